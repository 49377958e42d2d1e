"""Rate-limit headers, normalized into one small dict.

The service (and gateways in front of it) may send
``x-ratelimit-{limit,remaining,reset}-{window}`` headers, e.g.
``x-ratelimit-remaining-requests`` or ``x-ratelimit-reset-requests-day``. The
reset comes as seconds, as a Unix time, or as a duration such as ``4h17m``.
``rate_limit_from_headers`` turns them into::

    {"requests": {"limit": 60, "remaining": 59, "reset_seconds": 12.0},
     "requests_day": {"limit": 1000, "remaining": 0, "reset_seconds": 15420.0}}

Responses without such headers give ``None``: no key is added anywhere.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from typing import Any

_PREFIX = "x-ratelimit-"
_FIELDS = {"limit": "limit", "remaining": "remaining", "reset": "reset_seconds"}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# A reset above this is a Unix time, not a number of seconds (2001-09-09).
_UNIX_TIME_FLOOR = 1_000_000_000


def parse_reset(value: str, now: float | None = None) -> float | None:
    """Seconds from now until a window resets, or ``None`` if unreadable.

    Args:
        value: ``"12"``, ``"0.5"``, ``"1767225600"`` (Unix time), ``"4h17m"``,
            ``"250ms"`` or ``"1m30s"``.
        now: The current Unix time (for tests); ``time.time()`` by default.
    """
    text = value.strip().lower()
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if math.isfinite(number):
        if number >= _UNIX_TIME_FLOOR:
            return max(0.0, number - (time.time() if now is None else now))
        return max(0.0, number)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text:
        return None
    return sum(float(amount) * _UNIT_SECONDS[unit] for amount, unit in parts)


def _parse_count(value: str) -> int | None:
    try:
        return int(float(value.strip()))
    except (ValueError, OverflowError):
        return None


def rate_limit_from_headers(headers: Mapping[str, str]) -> dict[str, Any] | None:
    """The normalized rate-limit state the headers report, or ``None`` if none.

    Args:
        headers: Response headers (any case; httpx lowercases them).

    Returns:
        ``{window: {"limit", "remaining", "reset_seconds"}}`` with each value
        present only when its header was readable; ``None`` without headers.
    """
    raw = getattr(headers, "raw", None)  # httpx.Headers: skip decoding when absent
    if raw is not None and not any(
        name[:12].lower() == b"x-ratelimit-" for name, _ in raw
    ):
        return None
    found: dict[str, dict[str, Any]] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if not lowered.startswith(_PREFIX):
            continue
        kind, _, window = lowered[len(_PREFIX) :].partition("-")
        if kind not in _FIELDS or not window:
            continue
        parsed = parse_reset(value) if kind == "reset" else _parse_count(value)
        if parsed is not None:
            found.setdefault(window.replace("-", "_"), {})[_FIELDS[kind]] = parsed
    return found or None
