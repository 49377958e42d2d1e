"""Rate-limit headers as the service sends them (when switched on).

The service reports request limits per minute and per day::

    x-ratelimit-limit-requests: 60
    x-ratelimit-remaining-requests: 59
    x-ratelimit-reset-requests: 1764500460      (a Unix time)
    x-ratelimit-limit-requests-day: 12000
    x-ratelimit-remaining-requests-day: 11999
    x-ratelimit-reset-requests-day: 4h17m       (a duration)

Responses from early 2025 carried none, so they are off by default
(`EmulatorConfig.rate_limit_headers`). The emulator counts requests in fixed
windows and reports the counts; it does not enforce them (script a 429 with
`Script.fault` or `Script.daily_quota` for that).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

MINUTE = 60.0
DAY = 86400.0


def format_duration(seconds: float) -> str:
    """Format seconds the way the service writes a reset: ``4h17m``, ``59s``.

    Args:
        seconds: The time left, rounded up (to minutes from an hour on).
    """
    left = max(math.ceil(seconds), 0)
    if left >= 3600:  # whole minutes, rounded up: never a reset that comes early
        hours, minutes = divmod(math.ceil(left / 60), 60)
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    minutes, secs = divmod(left, 60)
    if minutes:
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


@dataclass
class _Window:
    length: float
    started: float = -math.inf
    count: int = 0

    def hit(self, now: float) -> None:
        if now >= self.started + self.length:
            self.started, self.count = now, 0
        self.count += 1

    def reset_at(self) -> float:
        return self.started + self.length


class RateLimitCounter:
    """Counts chat completion requests per minute and per day.

    Only the server's event loop calls it, so it needs no lock.

    Args:
        clock: Wall-clock seconds (``time.time``), replaceable in tests.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._minute = _Window(MINUTE)
        self._day = _Window(DAY)

    def headers(self, per_minute: int, per_day: int) -> list[tuple[bytes, bytes]]:
        """Count one request; return the headers its response carries.

        Args:
            per_minute: The reported requests-per-minute limit.
            per_day: The reported requests-per-day limit.
        """
        now = self._clock()
        self._minute.hit(now)
        self._day.hit(now)
        values = {
            "x-ratelimit-limit-requests": str(per_minute),
            "x-ratelimit-remaining-requests": str(
                max(per_minute - self._minute.count, 0)
            ),
            "x-ratelimit-reset-requests": str(math.ceil(self._minute.reset_at())),
            "x-ratelimit-limit-requests-day": str(per_day),
            "x-ratelimit-remaining-requests-day": str(
                max(per_day - self._day.count, 0)
            ),
            "x-ratelimit-reset-requests-day": format_duration(
                self._day.reset_at() - now
            ),
        }
        return [(name.encode(), value.encode()) for name, value in values.items()]


def daily_quota_headers(limit: int, reset_in: float) -> dict[str, str]:
    """The headers of a 429 for an exhausted daily quota.

    Args:
        limit: The daily request limit.
        reset_in: Seconds until the quota resets.
    """
    return {
        "x-ratelimit-limit-requests-day": str(limit),
        "x-ratelimit-remaining-requests-day": "0",
        "x-ratelimit-reset-requests-day": format_duration(reset_in),
    }
