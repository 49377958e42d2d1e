"""The package's tour: ``python -m langchain_provider.demo``.

With ``SAMBANOVA_API_KEY`` set it talks to the live service (or to
``SAMBANOVA_BASE_URL``); without one it starts the bundled emulator in-process
and talks to it over loopback HTTP. It shows a plain invoke, a live-printed
stream, a LangGraph tool-calling agent running a real Python tool, structured
output into a pydantic model, and a table of the server-reported timing
metrics beside what the client measured.

Needs the ``demo`` extra: ``pip install "langchain-provider[demo]"``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_provider import ChatSambaNova

TIMING_COLUMNS = (
    ("time_to_first_token", "TTFT (s)"),
    ("throughput_after_first_token", "tok/s after 1st"),
    ("model_execution_time", "exec (s)"),
    ("queue_time", "queue (s)"),
)


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the exact product."""
    return a * b


class CityFacts(BaseModel):
    """Facts about a city."""

    city: str = Field(description="The city's name")
    country: str = Field(description="The country it is in")
    population_millions: float = Field(description="Population in millions")


@dataclass
class TimingRow:
    """One call's timing: what the server reported and what the client saw."""

    label: str
    server: dict[str, float] = field(default_factory=dict)
    client_ttft: float | None = None
    client_total: float | None = None


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
    print(f"\n== {text} ==")


def _timing_of(message: BaseMessage) -> dict[str, float]:
    return dict(message.response_metadata.get("timing") or {})


def show_invoke(llm: ChatSambaNova, rows: list[TimingRow]) -> None:
    """A plain invoke, with usage and the model the server named."""
    _heading("1. invoke")
    started = time.perf_counter()
    answer = llm.invoke("In one sentence, what is SambaNova Cloud?")
    elapsed = time.perf_counter() - started
    print(answer.content)
    print(
        f"   model={answer.response_metadata.get('model_name')}  "
        f"usage={answer.usage_metadata}"
    )
    rows.append(TimingRow("invoke", _timing_of(answer), None, elapsed))


def show_stream(llm: ChatSambaNova, rows: list[TimingRow]) -> None:
    """A stream printed as it arrives; the client times the first token."""
    _heading("2. stream")
    started = time.perf_counter()
    first: float | None = None
    full: AIMessageChunk | None = None
    for chunk in llm.stream("Write three short lines about fast inference."):
        if first is None and chunk.content:
            first = time.perf_counter() - started
        print(chunk.content, end="", flush=True)
        full = chunk if full is None else full + chunk
    elapsed = time.perf_counter() - started
    print()
    timing = _timing_of(full) if full is not None else {}
    rows.append(TimingRow("stream", timing, first, elapsed))


def show_agent(llm: ChatSambaNova, rows: list[TimingRow]) -> None:
    """A LangGraph tool-calling agent that runs a real Python tool, then answers."""
    from langchain.agents import create_agent  # LangChain's agent, on LangGraph

    _heading("3. LangGraph tool-calling agent")
    agent = create_agent(llm, [multiply])
    started = time.perf_counter()
    result = agent.invoke(
        {"messages": [("user", "Use the multiply tool: what is 17 times 23?")]}
    )
    elapsed = time.perf_counter() - started
    for message in result["messages"]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"   tool call: {call['name']}({call['args']})")
        elif message.type == "tool":
            print(f"   tool result: {message.content}")
    final = result["messages"][-1]
    print(f"   agent's answer: {final.content}")
    rows.append(TimingRow("agent (last step)", _timing_of(final), None, elapsed))


def show_structured_output(llm: ChatSambaNova, rows: list[TimingRow]) -> None:
    """Structured output parsed into a pydantic model."""
    _heading("4. structured output")
    structured = llm.with_structured_output(CityFacts, include_raw=True)
    started = time.perf_counter()
    result = structured.invoke("Give me the facts about Paris.")
    elapsed = time.perf_counter() - started
    print(f"   {result['parsed']!r}")
    rows.append(TimingRow("structured", _timing_of(result["raw"]), None, elapsed))


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_timing_table(rows: list[TimingRow]) -> None:
    """Server-reported metrics beside the client's own clock."""
    _heading("5. timing metrics (server-reported | client-measured)")
    headers = ["call", *(title for _, title in TIMING_COLUMNS), "client TTFT", "wall"]
    table = [
        [
            row.label,
            *(_cell(row.server.get(key)) for key, _ in TIMING_COLUMNS),
            _cell(row.client_ttft),
            _cell(row.client_total),
        ]
        for row in rows
    ]
    widths = [
        max(len(str(c)) for c in column) for column in zip(headers, *table, strict=True)
    ]
    for line in [headers, ["-" * w for w in widths], *table]:
        print(
            "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True))
        )
    print(
        "(- = not reported by the server, or not measurable for that call; the\n"
        " public cloud reports no queue time: --reference-naming emulates the\n"
        " deployments that use the reference page's names, queue time included)"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the tour."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="Meta-Llama-3.3-70B-Instruct")
    parser.add_argument(
        "--reference-naming",
        action="store_true",
        help="emulator only: report timings with the reference page's names",
    )
    args = parser.parse_args(argv)
    naming = "reference" if args.reference_naming else "usage"
    rows: list[TimingRow] = []
    with _target(args.model, naming) as (llm, where):
        print(f"langchain-provider demo: {args.model} on {where}")
        show_invoke(llm, rows)
        show_stream(llm, rows)
        show_agent(llm, rows)
        show_structured_output(llm, rows)
        print_timing_table(rows)


if __name__ == "__main__":
    main()
