"""The demo's timing table: each model call timed by the server and the client.

A callback handler times every chat model call from the client's side (start,
first streamed token, end) and keeps the timing the server reported for that
same call, so each row compares like with like:

- server TTFT (``time_to_first_token``) beside the client's first token (streams):
  the same token on both sides, the first the model generated, reasoning
  included (the server's TTFT counts reasoning tokens too);
- server execution (``model_execution_time``) beside the client's wall time;
- their difference: what the network and the client add to that call.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGeneration, LLMResult


@dataclass
class CallTiming:
    """One model call as both sides saw it (seconds)."""

    label: str
    server: dict[str, float] = field(default_factory=dict)
    client_ttft: float | None = None
    client_wall: float | None = None

    @property
    def overhead(self) -> float | None:
        """Client wall time minus server execution time: network plus client."""
        execution = self.server.get("model_execution_time")
        if execution is None or self.client_wall is None:
            return None
        return self.client_wall - execution


class CallTimer(BaseCallbackHandler):
    """Times each chat model call it sees; label them with `label` first.

    Attributes:
        calls: The finished calls, in order.
        label: The label given to the calls that start from now on.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        """Make a timer.

        Args:
            clock: Seconds from a monotonic clock (tests pass a fake one).
        """
        self.calls: list[CallTiming] = []
        self.label = "call"
        self._clock = clock
        self._open: dict[UUID, tuple[float, CallTiming]] = {}

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, run_id: UUID, **kwargs: Any
    ) -> None:
        """Start the clock of one call."""
        self._open[run_id] = (self._clock(), CallTiming(self.label))

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: Any = None,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Note the first streamed token, whatever it carries.

        The server's TTFT is the time of the first token the model generated,
        reasoning included. So the client's is its first chunk of the answer,
        text or not: reasoning (gpt-oss), a ``<think>`` tag the client parses
        away (DeepSeek-R1), a tool call or text. Only an empty chunk that closes
        the stream (finish reason, usage) carries no token.
        """
        started, timing = self._open.get(run_id, (0.0, None))
        if timing is None or timing.client_ttft is not None:
            return
        if not (_carries_token(chunk) if chunk is not None else token):
            return
        timing.client_ttft = self._clock() - started

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Stop the clock; keep what the server reported for this call."""
        if run_id not in self._open:
            return
        started, timing = self._open.pop(run_id)
        timing.client_wall = self._clock() - started
        generation = response.generations[0][0] if response.generations else None
        if isinstance(generation, ChatGeneration):
            metadata = generation.message.response_metadata
            timing.server = dict(metadata.get("timing") or {})
        self.calls.append(timing)


def _carries_token(chunk: Any) -> bool:
    """Whether a streamed chunk holds a generated token (seen or parsed away)."""
    message = getattr(chunk, "message", chunk)
    if (
        getattr(message, "content", None)
        or getattr(message, "additional_kwargs", {}).get("reasoning_content")
        or getattr(message, "tool_call_chunks", None)
    ):
        return True
    # An empty chunk counts unless it only ends the stream.
    closes = (
        getattr(message, "usage_metadata", None)
        or getattr(message, "response_metadata", {}).get("finish_reason")
        or getattr(message, "chunk_position", None) == "last"
    )
    return not closes


# (header words, value of a row, unit) -- every header names its unit.
_COLUMNS: tuple[tuple[str, Callable[[CallTiming], float | None], str], ...] = (
    ("server TTFT", lambda c: c.server.get("time_to_first_token"), "ms"),
    ("client TTFT", lambda c: c.client_ttft, "ms"),
    ("server exec", lambda c: c.server.get("model_execution_time"), "ms"),
    ("client wall", lambda c: c.client_wall, "ms"),
    ("network +client", lambda c: c.overhead, "ms"),
    ("server speed", lambda c: c.server.get("throughput_after_first_token"), "tok/s"),
)
_QUEUE = ("server queue", lambda c: c.server.get("queue_time"), "ms")


def _cell(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f}" if unit == "ms" else f"{value:.0f}"


def table_lines(calls: list[CallTiming]) -> list[list[str]]:
    """The table as rows of cells: a three-line header, a rule, one row per call.

    Args:
        calls: The timed calls.
    """
    columns = list(_COLUMNS)
    if any(c.server.get("queue_time") is not None for c in calls):
        columns.append(_QUEUE)
    titles = [title.split(" ", 1) for title, _, _ in columns]
    header = [
        ["call", *(first for first, _ in titles)],
        ["", *(second for _, second in titles)],
        ["", *(f"({unit})" for _, _, unit in columns)],
    ]
    rows = [
        [name, *(_cell(value(c), unit) for _, value, unit in columns)]
        for name, c in zip(_names(calls), calls, strict=True)
    ]
    widths = [max(map(len, column)) for column in zip(*header, *rows, strict=True)]
    rule = ["-" * width for width in widths]
    return [
        [
            cell.ljust(width) if index == 0 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        for line in (*header, rule, *rows)
    ]


def _names(calls: list[CallTiming]) -> list[str]:
    """Labels, numbered as steps where one label covers several calls."""
    totals = Counter(c.label for c in calls)
    seen: Counter[str] = Counter()
    names = []
    for call in calls:
        seen[call.label] += 1
        step = f" step {seen[call.label]}" if totals[call.label] > 1 else ""
        names.append(call.label + step)
    return names


def headline(calls: list[CallTiming]) -> str:
    """The one sentence to take away from the table.

    Args:
        calls: The timed calls.
    """
    overheads = [c.overhead for c in calls if c.overhead is not None]
    if not overheads:
        return "The server reported no execution time: nothing to compare."
    executions = [
        c.server["model_execution_time"] for c in calls if c.overhead is not None
    ]
    text = (
        f"the server's execution took {statistics.median(executions) * 1000:.0f} ms "
        f"per call (median); network and client added "
        f"{statistics.median(overheads) * 1000:.1f} ms on top "
        f"({min(overheads) * 1000:.1f} to {max(overheads) * 1000:.1f} ms)."
    )
    gaps = [
        c.client_ttft - c.server["time_to_first_token"]
        for c in calls
        if c.client_ttft is not None and "time_to_first_token" in c.server
    ]
    if gaps:
        text += (
            f" The streamed first token reached the client "
            f"{statistics.median(gaps) * 1000:.1f} ms after the server's TTFT."
        )
    return text


def use_colour(stream: TextIO = sys.stdout) -> bool:
    """Whether to colour: a terminal that can, and no ``NO_COLOR`` (no-color.org).

    Args:
        stream: Where the output goes.
    """
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def style(text: str, code: str, colour: bool) -> str:
    """Wrap `text` in an ANSI style (``"1"`` bold, ``"2"`` dim) when colouring.

    Args:
        text: The text.
        code: The SGR code.
        colour: Whether to colour at all.
    """
    return f"\033[{code}m{text}\033[0m" if colour else text
