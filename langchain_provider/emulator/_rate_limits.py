"""Rate-limit headers as the service sends them (when switched on).

The service reports request limits per minute and per day::

    x-ratelimit-limit-requests: 60
    x-ratelimit-remaining-requests: 59
    x-ratelimit-reset-requests: 1764500460      (a Unix time)
    x-ratelimit-limit-requests-day: 12000
    x-ratelimit-remaining-requests-day: 11999
    x-ratelimit-reset-requests-day: 4h17m       (a duration)

Responses from early 2025 carried none, so they are off by default
(`EmulatorConfig.rate_limit_headers`). That switch only reports counts: it
does not enforce them (script a 429 with `Script.fault` or
`Script.daily_quota` for that).

`EmulatorConfig.rate_limit` (``"20/5s"``; ``--rate-limit`` on the command
line) enforces a limit instead, per API key, in fixed windows that start at
the first request after the previous one ended, as the service reports them:
every answer carries ``x-ratelimit-limit-requests``,
``x-ratelimit-remaining-requests`` and ``x-ratelimit-reset-requests``
(seconds until the reset, to the millisecond), and a request over the limit
gets a 429 with the same headers and ``retry-after`` (whole seconds, rounded
up). A rejected request does not count against the window.
"""

from __future__ import annotations

import hashlib
import math
import re
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


_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h|d)?\s*")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_rate_limit(text: str) -> tuple[int, float]:
    """Read a limit such as ``"20/5s"``: requests, and the window in seconds.

    Args:
        text: ``N/<length><unit>`` (``20/5s``, ``60/1m``, ``5/500ms``) or
            ``N/<unit>`` (``60/m``); a bare length is in seconds.

    Raises:
        ValueError: For anything else, a zero count or a zero window.
    """
    found = _RATE.fullmatch(text)
    if found is None or (found.group(2) is None and found.group(3) is None):
        raise ValueError(f"rate_limit must look like '20/5s' or '60/m', got {text!r}")
    count = int(found.group(1))
    length = float(found.group(2) or 1) * _UNIT_SECONDS[found.group(3) or "s"]
    if count < 1 or length <= 0:
        raise ValueError(
            f"rate_limit needs at least 1 request per window, got {text!r}"
        )
    return count, length


@dataclass
class Admission:
    """What the enforcer decided for one request.

    Attributes:
        admitted: False when the request is over the limit (answer 429).
        headers: The ``x-ratelimit-*-requests`` headers (and, when not
            admitted, ``retry-after``) the answer carries.
        window: The window's length in seconds.
    """

    admitted: bool
    headers: dict[str, str]
    window: float


class RateLimiter:
    """Enforces N requests per window per API key, in fixed windows.

    Only the server's event loop calls it, so it needs no lock. Keys are kept
    as their SHA-256 only.

    Args:
        clock: Monotonic seconds, replaceable in tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}

    def admit(self, api_key: str, spec: str) -> Admission:
        """Count one request of ``api_key`` against the limit ``spec``.

        Args:
            api_key: Whatever identifies the caller (its Authorization header).
            spec: The limit, as `parse_rate_limit` reads it.
        """
        limit, length = parse_rate_limit(spec)
        now = self._clock()
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        window = self._windows.setdefault((digest, spec), _Window(length))
        if now >= window.reset_at():
            window.started, window.count = now, 0
        admitted = window.count < limit
        if admitted:
            window.count += 1
        left = window.reset_at() - now
        headers = {
            "x-ratelimit-limit-requests": str(limit),
            "x-ratelimit-remaining-requests": str(limit - window.count),
            "x-ratelimit-reset-requests": f"{left:.3f}",
        }
        if not admitted:
            headers["retry-after"] = str(max(1, math.ceil(left)))
        return Admission(admitted, headers, length)

    def over_limit_message(self, spec: str) -> str:
        """The 429's message, worded like the service's.

        Args:
            spec: The limit, as `parse_rate_limit` reads it.
        """
        limit, length = parse_rate_limit(spec)
        return (
            f"Request would exceed rate limit. Violated duration_s: {length:g}, "
            f"limit: {limit} requests per {length:g} s."
        )
