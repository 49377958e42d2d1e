"""The retry policy, stated once and free of I/O.

Every decision about sending a request again lives here: which statuses and
transport failures are retried, how long to wait (exponential backoff with
jitter, capped, or the server's ``retry-after-ms`` / ``retry-after``), the
server's ``x-should-retry`` override and the daily-quota rule for 429s. The
client's retry loops ask this object, and every error's ``is_retryable`` is
derived from it, so both always agree.

The first-chunk rule for streams: before a stream's first chunk, any failure
this policy retries (including a body that ends empty, or an in-stream error
whose kind is retryable) is retried like a failed request; after it, nothing
is, because chunks were handed over. ``_http`` applies it by wrapping only
the opening of a stream, up to its first chunk, in the retry loop.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from langchain_provider._rate_limits import rate_limit_from_headers

# Transport failures after which a request can safely be sent again: the server
# never produced a response. Read and write timeouts are excluded: ``timeout``
# is the longest the caller agreed to wait.
_RETRYABLE_TRANSPORT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)

# "Violated duration_s: 86400" is how the service names the window a 429 hit.
_DURATION = re.compile(r"duration_s\W{0,3}(\d+)")
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class RetryPolicy:
    """When to send a failed request again, and how long to wait first.

    Attributes:
        statuses: Statuses retried besides every 5xx.
        initial_backoff: Seconds before the first retry when the server gives
            no hint; doubled for each further retry.
        max_backoff: Cap on the backoff (before jitter).
        max_retry_after: The longest server-requested wait honoured; a longer
            ``retry-after`` falls back to backoff, and a 429 whose quota resets
            later than this is not retried at all (daily-quota rule).
        sleep: How the sync client waits between attempts.
        async_sleep: How the async client waits between attempts.
        random: The jitter source, a float in [0, 1).

    The last three are the clock: tests inject recording stand-ins so that
    retry timing is asserted exactly and never slept for real.
    """

    statuses: frozenset[int] = field(default=frozenset({408, 409, 429}))
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(
        default=asyncio.sleep, compare=False
    )
    random: Callable[[], float] = field(default=random.random, compare=False)

    def retryable_status(self, status: int | None) -> bool:
        """Whether an error of this (effective) status is worth retrying."""
        if status is None:
            return False
        return status in self.statuses or status >= 500

    def should_retry_response(self, status: int, headers: Mapping[str, str]) -> bool:
        """Whether an HTTP error response may be retried; ``x-should-retry`` wins."""
        hint = (headers.get("x-should-retry") or "").lower()
        if hint in ("true", "false"):
            return hint == "true"
        return self.retryable_status(status)

    def retryable_transport(self, exc: BaseException) -> bool:
        """Whether a transport failure left the request unanswered (safe to resend)."""
        return isinstance(exc, _RETRYABLE_TRANSPORT)

    def is_quota_exhausted(
        self, message: str, rate_limit: Mapping[str, Any] | None
    ) -> bool:
        """Whether a 429 reports a used-up quota that no retry soon can cure.

        A 429 is a quota, not a burst limit, when its body names a window of a
        day or more (``duration_s: 86400``) or when a window with nothing
        remaining resets later than ``max_retry_after``.
        """
        found = _DURATION.search(message)
        if found and int(found.group(1)) >= DAY_SECONDS:
            return True
        reset = quota_reset_seconds(rate_limit)
        return reset is not None and reset > self.max_retry_after

    def delay(
        self,
        attempt: int,
        headers: Mapping[str, str] | None = None,
        *,
        status: int | None = None,
    ) -> float:
        """Seconds to wait before retry number ``attempt + 1``.

        The server's ``retry-after-ms`` or ``retry-after`` wins when it lies
        between 0 and ``max_retry_after``; without it, a 429 whose request
        window has nothing left waits for that window's reset
        (``x-ratelimit-reset-requests``), as the pacer does. Otherwise
        exponential backoff from ``initial_backoff``, capped at
        ``max_backoff``, minus up to 25 % jitter so that many clients do not
        retry in lock step.
        """
        told = retry_after_seconds(headers)
        if told is None and status == 429:
            told = _window_reset(headers)
        if told is not None and 0 <= told <= self.max_retry_after:
            return told
        backoff = min(self.initial_backoff * 2**attempt, self.max_backoff)
        return backoff * (1 - 0.25 * self.random())


def quota_reset_seconds(rate_limit: Mapping[str, Any] | None) -> float | None:
    """Seconds until every exhausted rate-limit window has reset, if known."""
    resets = [
        window["reset_seconds"]
        for window in (rate_limit or {}).values()
        if isinstance(window, dict)
        and window.get("reset_seconds") is not None
        and window.get("remaining") == 0
    ]
    return max(resets) if resets else None


def _window_reset(headers: Mapping[str, str] | None) -> float | None:
    """Seconds until the request window resets, when it has nothing left."""
    window = (rate_limit_from_headers(headers or {}) or {}).get("requests", {})
    if window.get("remaining") == 0:
        reset = window.get("reset_seconds")
        return float(reset) if reset is not None else None
    return None


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The wait the server asked for, in seconds, or ``None`` if it gave none.

    Reads ``retry-after-ms`` first, then ``retry-after`` as seconds or as an
    HTTP date. Unparseable values are ignored (backoff applies instead).
    """
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        milliseconds = _finite(value)
        if milliseconds is not None:
            return milliseconds / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return seconds
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() - time.time()


DEFAULT_POLICY = RetryPolicy()
