"""The package's tour: invoke, stream, an agent, structured output, timing.

Run it with ``python -m langchain_provider.demo``.

With ``SAMBANOVA_API_KEY`` set it talks to ``SAMBANOVA_BASE_URL`` (the live
service when that is unset); without a key it starts the embedded emulator
in-process and talks to it over loopback HTTP. Its first line names the server.
It shows a plain invoke, a live-printed stream (with the reasoning of
reasoning models), a LangGraph tool-calling agent running a real Python tool,
structured output into a pydantic model, and a table of the server-reported
timing metrics beside what the client measured for the same calls, after a
warm-up.

Needs the ``demo`` extra of the ``langchain-sambanova-cloud`` distribution
(``pip install -e ".[demo]"`` in a checkout); it says so before starting when
a package of that extra is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import textwrap
from collections.abc import Iterator
from urllib.parse import urlsplit

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

# The live service's host: only a base URL on it is "the live service".
LIVE_HOST = "api.sambanova.ai"

# What the ``demo`` extra brings beyond the core install: LangChain's agent on
# LangGraph, and the emulator's server.
DEMO_EXTRA_MODULES = ("langchain", "langgraph", "starlette", "uvicorn")


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the exact product."""
    return a * b


class CityFacts(BaseModel):
    """Facts about a city."""

    city: str = Field(description="The city's name")
    country: str = Field(description="The country it is in")
    population_millions: float = Field(description="Population in millions")


def missing_extras() -> list[str]:
    """The packages of the ``demo`` extra that cannot be imported."""
    missing = []
    for name in DEMO_EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def describe_target(base_url: str) -> str:
    """Name the server at `base_url`: the live service only on its own host.

    Args:
        base_url: The API root the model talks to.
    """
    if urlsplit(base_url).hostname == LIVE_HOST:
        return f"the live SambaNova service ({base_url})"
    return f"the server at {base_url}"


@contextlib.contextmanager
def _target(
    model: str, timing_naming: str
) -> Iterator[tuple[ChatSambaNova, str, bool]]:
    """Yield a model, the name of its server, and whether that is the emulator."""
    if os.environ.get("SAMBANOVA_API_KEY"):
        # Key and base URL come from the environment, as in the user's code.
        llm = ChatSambaNova(model=model, temperature=0)
        yield llm, describe_target(llm.base_url), False
        return
    from langchain_provider.emulator import Emulator

    # Realistic pacing so the timing metrics mean something.
    with Emulator(
        time_to_first_token=0.12, tokens_per_second=250.0, timing_naming=timing_naming
    ) as emulator:
        llm = ChatSambaNova(model=model, base_url=emulator.base_url, temperature=0)
        yield llm, f"the embedded emulator at {emulator.base_url}", True


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
    reasoning = answer.additional_kwargs.get("reasoning_content")
    if reasoning:
        print(style(f"   reasoning: {reasoning}", "2", _COLOUR))
    print(answer.content)
    print(
        f"   model={answer.response_metadata.get('model_name')}  "
        f"usage={answer.usage_metadata}"
    )


def show_stream(llm: ChatSambaNova, timer: CallTimer) -> None:
    """A stream printed as it arrives, reasoning first; the timer notes token one."""
    _heading("2. stream")
    config = _timed(timer, "stream")
    in_reasoning = False
    for chunk in llm.stream("Write three short lines about fast inference.", config):
        reasoning = chunk.additional_kwargs.get("reasoning_content")
        if reasoning:
            if not in_reasoning:
                print(style("   reasoning: ", "2", _COLOUR), end="")
                in_reasoning = True
            print(style(reasoning, "2", _COLOUR), end="", flush=True)
        if chunk.text:
            if in_reasoning:  # the answer starts on its own line
                print()
                in_reasoning = False
            print(chunk.text, end="", flush=True)
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


def show_structured_output(
    llm: ChatSambaNova, timer: CallTimer, *, emulated: bool = False
) -> None:
    """Structured output parsed into a pydantic model."""
    _heading("4. structured output")
    structured = llm.with_structured_output(CityFacts)
    facts = structured.invoke(
        "Give me the facts about Paris.", config=_timed(timer, "structured")
    )
    print(f"   {facts!r}")
    if emulated:
        print(
            style(
                "   (the emulator's placeholder values: valid for the schema, "
                "not facts)",
                "2",
                _COLOUR,
            )
        )


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
            "(client TTFT needs a stream). Both TTFTs count the same first token:\n"
            "for reasoning models, the first reasoning token. network+client =\n"
            "client wall - server exec. The public cloud reports no queue time;\n"
            "--timing-naming reference (here and in the emulator's CLI) uses the\n"
            "reference page's names, queue time included.",
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
    missing = missing_extras()
    if missing:  # before anything runs, not two steps in
        sys.exit(
            f"The demo needs its extra (missing: {', '.join(missing)}): "
            'pip install "langchain-sambanova-cloud[demo]"'
        )
    timer = CallTimer()
    with _target(args.model, args.timing_naming) as (llm, where, emulated):
        print(style(f"{DISTRIBUTION_NAME} demo: {args.model} on {where}", "1", _COLOUR))
        warm_up(llm)
        show_invoke(llm, timer)
        show_stream(llm, timer)
        show_agent(llm, timer)
        show_structured_output(llm, timer, emulated=emulated)
        print_timing_table(timer)


if __name__ == "__main__":
    main()
