"""The package's tour: invoke, stream, an agent, structured output, timing.

Run it with ``python -m langchain_provider.demo``.

With ``SAMBANOVA_API_KEY`` set it talks to the live service (or to
``SAMBANOVA_BASE_URL``); without one it starts the bundled emulator in-process
and talks to it over loopback HTTP. It shows a plain invoke, a live-printed
stream, a LangGraph tool-calling agent running a real Python tool, structured
output into a pydantic model, and a table of the server-reported timing
metrics beside what the client measured for the same calls, after a warm-up.

Needs the ``demo`` extra of the ``langchain-sambanova-cloud`` distribution:
``pip install -e ".[demo]"`` in a checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import textwrap
from collections.abc import Iterator

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_provider import ChatSambaNova
from langchain_provider._timing_table import (
    CallTimer,
    headline,
    style,
    table_lines,
    use_colour,
)
from langchain_provider._version import DISTRIBUTION_NAME

_COLOUR = use_colour()


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the exact product."""
    return a * b


class CityFacts(BaseModel):
    """Facts about a city."""

    city: str = Field(description="The city's name")
    country: str = Field(description="The country it is in")
    population_millions: float = Field(description="Population in millions")


@contextlib.contextmanager
def _target(model: str, timing_naming: str) -> Iterator[tuple[ChatSambaNova, str]]:
    """Yield a model bound to the live service or to an in-process emulator."""
    if os.environ.get("SAMBANOVA_API_KEY"):
        yield ChatSambaNova(model=model, temperature=0), "the live SambaNova service"
        return
    from langchain_provider.emulator import Emulator

    # Realistic pacing so the timing metrics mean something.
    with Emulator(
        time_to_first_token=0.12, tokens_per_second=250.0, timing_naming=timing_naming
    ) as emulator:
        llm = ChatSambaNova(model=model, base_url=emulator.base_url, temperature=0)
        yield llm, f"the bundled emulator at {emulator.base_url}"


def _heading(text: str) -> None:
    print(style(f"\n== {text} ==", "1", _COLOUR))


def _timed(timer: CallTimer, label: str) -> RunnableConfig:
    """Label the next calls and hand back the config that times them."""
    timer.label = label
    return {"callbacks": [timer]}


def warm_up(llm: ChatSambaNova) -> None:
    """One untimed call first: it opens the connection and loads the code paths."""
    llm.invoke("Warm-up: say hi.")
    print(style("(warm-up call done; it is not in the table)", "2", _COLOUR))


def show_invoke(llm: ChatSambaNova, timer: CallTimer) -> None:
    """A plain invoke, with usage and the model the server named."""
    _heading("1. invoke")
    answer = llm.invoke(
        "In one sentence, what is SambaNova Cloud?", config=_timed(timer, "invoke")
    )
    print(answer.content)
    print(
        f"   model={answer.response_metadata.get('model_name')}  "
        f"usage={answer.usage_metadata}"
    )


def show_stream(llm: ChatSambaNova, timer: CallTimer) -> None:
    """A stream printed as it arrives; the timer notes the first token."""
    _heading("2. stream")
    config = _timed(timer, "stream")
    for chunk in llm.stream("Write three short lines about fast inference.", config):
        print(chunk.content, end="", flush=True)
    print()


def show_agent(llm: ChatSambaNova, timer: CallTimer) -> None:
    """A LangGraph tool-calling agent that runs a real Python tool, then answers."""
    from langchain.agents import create_agent  # LangChain's agent, on LangGraph

    _heading("3. LangGraph tool-calling agent")
    agent = create_agent(llm, [multiply])
    result = agent.invoke(
        {"messages": [("user", "Use the multiply tool: what is 17 times 23?")]},
        config=_timed(timer, "agent"),  # each model call is a row: step 1, 2, ...
    )
    for message in result["messages"]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"   tool call: {call['name']}({call['args']})")
        elif message.type == "tool":
            print(f"   tool result: {message.content}")
    print(f"   agent's answer: {result['messages'][-1].content}")


def show_structured_output(llm: ChatSambaNova, timer: CallTimer) -> None:
    """Structured output parsed into a pydantic model."""
    _heading("4. structured output")
    structured = llm.with_structured_output(CityFacts)
    facts = structured.invoke(
        "Give me the facts about Paris.", config=_timed(timer, "structured")
    )
    print(f"   {facts!r}")


def print_timing_table(timer: CallTimer) -> None:
    """Each call as the server reported it and as the client measured it."""
    _heading("5. timing metrics: server-reported vs client-measured, same call")
    for index, line in enumerate(table_lines(timer.calls)):
        text = "  ".join(line).rstrip()
        print(style(text, "1", _COLOUR) if index < 3 else text)  # header: bold
    summary = textwrap.fill(f"Headline: {headline(timer.calls)}", width=78)
    print(style(f"\n{summary}", "1", _COLOUR))
    print(
        style(
            "\n- = not reported by the server, or not measurable for that call\n"
            "(client TTFT needs a stream). network+client = client wall - server\n"
            "exec. The public cloud reports no queue time; --timing-naming\n"
            "reference (here and in the emulator's CLI) uses the reference\n"
            "page's names, queue time included.",
            "2",
            _COLOUR,
        )
    )


def main(argv: list[str] | None = None) -> None:
    """Run the tour."""
    parser = argparse.ArgumentParser(
        prog="python -m langchain_provider.demo",
        description=(__doc__ or "").split("\n\n", 1)[0].replace("``", ""),
    )
    parser.add_argument(
        "--model",
        default="Meta-Llama-3.3-70B-Instruct",
        help="model to call (default: Meta-Llama-3.3-70B-Instruct)",
    )
    parser.add_argument(
        "--timing-naming",
        choices=("usage", "reference"),
        default="usage",
        help="emulator only: name the timing fields as the live service does "
        "(usage) or as the reference page does (reference, with queue time)",
    )
    args = parser.parse_args(argv)
    timer = CallTimer()
    with _target(args.model, args.timing_naming) as (llm, where):
        print(style(f"{DISTRIBUTION_NAME} demo: {args.model} on {where}", "1", _COLOUR))
        warm_up(llm)
        show_invoke(llm, timer)
        show_stream(llm, timer)
        show_agent(llm, timer)
        show_structured_output(llm, timer)
        print_timing_table(timer)


if __name__ == "__main__":
    main()
