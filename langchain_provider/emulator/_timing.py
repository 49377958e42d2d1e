"""Real pacing of emulated tokens, and the timing fields measured from it.

Every token has a due time: generation start + time to first token + its index
divided by tokens per second (plus any stall so far). Sleeping until a due time
rather than for a fixed interval keeps long streams from drifting. The usage
fields are then measured from the moments tokens were actually sent, so a
client's own clock and the reported numbers agree.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ._model import Reply


class Timeline:
    """The measured moments of one request (``perf_counter`` seconds).

    Attributes:
        arrival: When the request arrived.
        wall: Wall-clock time (``time.time()``) at arrival.
        start: When generation started (after latency and scripted delays).
        first: When the first token went out (None before).
        tenth: When the token with index 10 (the eleventh) went out (None before).
        end: When the last token so far went out (None before).
    """

    __slots__ = ("arrival", "wall", "start", "first", "tenth", "end")

    def __init__(self) -> None:
        self.arrival = time.perf_counter()
        self.wall = time.time()
        self.start = self.arrival
        self.first: float | None = None
        self.tenth: float | None = None
        self.end: float | None = None

    def begin(self) -> None:
        """Mark the start of generation."""
        self.start = time.perf_counter()

    def mark(self, token_index: int) -> None:
        """Mark that tokens up to `token_index` (0-based) have gone out.

        Args:
            token_index: Index of the last token sent.
        """
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        if self.tenth is None and token_index >= 10:
            self.tenth = now
        self.end = now

    def usage(self, reply: Reply, naming: str) -> dict[str, Any]:
        """Return the usage and timing fields in the chosen naming.

        Args:
            reply: The reply (token counts, finish reason).
            naming: ``"usage"`` (live names) or ``"reference"`` (reference page).
        """
        end = self.end if self.end is not None else self.start
        first = self.first if self.first is not None else end
        tenth = self.tenth if self.tenth is not None else end
        completion = reply.completion_tokens
        total = reply.prompt_tokens + completion
        ttft = first - self.arrival
        latency = end - self.arrival
        after_first = _rate(completion - 1, end - first)
        if naming == "reference":
            return {
                "time_to_first_token": ttft,
                "throughput_after_first_token": after_first,
                "model_execution_time": end - self.start,
                "queue_time": self.start - self.arrival,
                "input_tokens_count": reply.prompt_tokens,
                "output_tokens_count": completion,
                "total_tokens_count": total,
            }
        fields: dict[str, Any] = {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": total,
            "time_to_first_token": ttft,
            "total_latency": latency,
            "completion_tokens_after_first_per_sec": after_first,
            "completion_tokens_after_first_per_sec_first_ten": _rate(
                min(completion, 11) - 1, tenth - first
            ),
            "completion_tokens_per_sec": _rate(completion, latency),
            "total_tokens_per_sec": _rate(total, latency),
            "start_time": self.wall,
            "end_time": self.wall + latency,
            "is_last_response": True,
            "stop_reason": reply.finish_reason,
        }
        if reply.reasoning_tokens:
            fields["completion_tokens_details"] = {
                "reasoning_tokens": reply.reasoning_tokens
            }
        return fields


class Pacer:
    """Sleeps until each token is due.

    Args:
        ttft: Seconds from generation start to the first token.
        tokens_per_second: Rate after the first token; None or 0 for no pacing.
        start: Generation start (``perf_counter`` seconds).
    """

    def __init__(self, ttft: float, tokens_per_second: float | None, start: float):
        self._first_due = start + ttft
        self._interval = 1.0 / tokens_per_second if tokens_per_second else 0.0

    def delay(self, seconds: float) -> None:
        """Push every later token back (a stall).

        Args:
            seconds: The length of the pause.
        """
        self._first_due += seconds

    async def wait(self, token_index: int) -> None:
        """Sleep until the token with this index is due.

        Args:
            token_index: 0-based index of the token among the reply's tokens.
        """
        now = time.perf_counter()
        delay = self._first_due + token_index * self._interval - now
        if delay > 0:
            await asyncio.sleep(delay)
        elif token_index == 0:
            # A late first token (a busy machine) moves the schedule with it:
            # a real server keeps generating at its rate after the first
            # token, it does not burst to catch up, so the throughput it
            # reports never exceeds the configured rate.
            self._first_due = now


def _rate(count: int, seconds: float) -> float:
    # Unpaced replies take microseconds; clamp so the rate stays finite.
    return max(count, 0) / max(seconds, 1e-6)
