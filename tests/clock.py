"""A retry clock for tests: records the waits the client asks for, never sleeps.

The client sleeps only through its retry policy's ``sleep`` / ``async_sleep``
and jitters only through its ``random`` (the seam in ``RetryPolicy``). A test
hands the model a policy built here and then asserts the exact delays the
client planned: no wall clock is read, so a busy or an idle machine gives the
same verdict, and no test waits for a backoff for real.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_provider._retry import RetryPolicy

HALF_JITTER = 0.5
"""A jitter draw that sits in the middle of [0, 1): a backoff ``b`` becomes 0.875 b."""

ROUNDS_UP_JITTER = 0.4396
"""The draw that makes the first backoff 0.44505 s.

The retry log line prints it as ``0.45s``: a test that read the delay back
from the log and demanded that at least 0.45 s pass failed whenever the real
0.44505 s sleep (plus a few milliseconds of work) came in under 0.45 s, i.e.
nearly every time on an idle machine (issue 17)."""

ROUNDS_UP_DELAY = 0.5 * (1 - 0.25 * ROUNDS_UP_JITTER)
"""The first backoff with ``ROUNDS_UP_JITTER`` (0.44505 s)."""

TIMER_TOLERANCE = 0.02
"""How much earlier than asked a real sleep may seem to end, seen from a test.

``time.sleep`` and ``asyncio.sleep`` never end early on their own clock, but
a test reads ``time.perf_counter``, which on some systems is another clock
with another granularity (Windows' monotonic clock ticks every 15.6 ms). Any
lower bound a test puts on a real wait is the planned delay minus this."""


@dataclass
class RecordingClock:
    """Stands in for ``time.sleep`` / ``asyncio.sleep`` and the jitter source.

    Attributes:
        jitter: What ``random()`` returns (a float in [0, 1)), fixed so that
            every planned delay is known exactly.
        real: Whether each wait is also slept for real (for the few tests
            that prove, over real sockets, that a wait is a wait).
        waits: Every delay the client asked to sleep, sync or async, in order.
    """

    jitter: float = HALF_JITTER
    real: bool = False
    waits: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        """Record a sync wait; return at once unless ``real``."""
        self.waits.append(seconds)
        if self.real:
            time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """Record an async wait; return at once (no yield) unless ``real``."""
        self.waits.append(seconds)
        if self.real:
            await asyncio.sleep(seconds)

    def random(self) -> float:
        """The pinned jitter draw."""
        return self.jitter

    def policy(self, **settings: Any) -> RetryPolicy:
        """A retry policy (defaults unless ``settings`` say otherwise) on this clock."""
        return RetryPolicy(
            sleep=self.sleep,
            async_sleep=self.async_sleep,
            random=self.random,
            **settings,
        )


def backoff(attempt: int, jitter: float = HALF_JITTER) -> float:
    """The documented backoff before retry ``attempt + 1`` with a given jitter draw.

    0.5 s doubled per retry, capped at 8 s, then shortened by up to 25 %:
    stated here from the README's contract, not computed by the code under
    test.
    """
    return min(0.5 * 2**attempt, 8.0) * (1 - 0.25 * jitter)
