"""When to send a request, and when to send it again: retries and rate limits.

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

Rate limits: the service (and gateways in front of it) may send
``x-ratelimit-{limit,remaining,reset}-{window}`` headers, e.g.
``x-ratelimit-remaining-requests`` or ``x-ratelimit-reset-requests-day``. The
reset comes as seconds, as a Unix time, or as a duration such as ``4h17m``.
``rate_limit_from_headers`` turns them into::

    {"requests": {"limit": 60, "remaining": 59, "reset_seconds": 12.0},
     "requests_day": {"limit": 1000, "remaining": 0, "reset_seconds": 15420.0}}

Responses without such headers give ``None``: no key is added anywhere.

``Pacer`` acts on them: before each attempt the client takes a ``Ticket``
from the process's pacer for its target (``pacer_for``), which waits while
the service's window is full, and hands the answer's headers back to it.

Pure decisions apart from the pacer's waits: the module sits below
``errors`` and ``_http`` and imports neither.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import hashlib
import math
import os
import random
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

# -- the retry policy ----------------------------------------------------------

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


# -- rate-limit headers -------------------------------------------------------

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


# -- pacing -------------------------------------------------------------------
#
# The pacer turns those headers into waits before requests start. The pure
# part (`Pacer._admit`, `Pacer._learn`) decides under a lock held for a few
# lines only; the thin part (`acquire`, `aacquire`) sleeps outside it.

_WINDOW = "requests"  # the per-minute window; the daily one fails fast instead
_LATER_WINDOW = 0.5  # seconds: a reset this much later is a new window, not jitter
_MIN_SHARE = 1 / 64


@dataclass(frozen=True)
class _Wait:
    """Internal: wait ``seconds``; with ``on_answer``, also until woken."""

    seconds: float
    on_answer: bool


_NO_WAIT = _Wait(0.0, on_answer=False)


class _Waiter:
    """Internal: one caller waiting for an answer to free a place.

    ``promised``: woken for a place that is kept for it (`Pacer._promised`).
    """

    __slots__ = ("promised", "wake")

    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake
        self.promised = False


class Ticket:
    """One request's place in its pacer's window, from start to answer.

    Call `answered` as soon as the response headers arrive (for a stream, at
    its headers, not its end), or `release` when the attempt got no answer.
    Used as a context manager, the place is released on the way out unless it
    was answered: an exception or a cancellation never keeps it.
    """

    __slots__ = ("_done", "_pacer")

    def __init__(self, pacer: Pacer | None) -> None:
        self._pacer = pacer
        self._done = pacer is None

    def answered(self, rate_limit: Mapping[str, Any] | None, status: int) -> None:
        """Report the answer: its normalized rate-limit headers and status.

        Args:
            rate_limit: ``rate_limit_from_headers(response.headers)``.
            status: The HTTP status of the answer.
        """
        if not self._done and self._pacer is not None:
            self._done = True
            self._pacer._finish(self, rate_limit, status, answered=True)

    def release(self) -> None:
        """Give the place back without an answer (the attempt failed)."""
        if not self._done and self._pacer is not None:
            self._done = True
            self._pacer._finish(self, None, None, answered=False)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


UNPACED = Ticket(None)
"""A ticket that paces nothing (pacing switched off): its calls do nothing."""


class Pacer:
    """Lets requests start only while the service's window has room for them.

    One pacer serves one target (base URL, key, model) in the process; see
    `pacer_for`. It learns from every answer, 429s included, how many
    requests the current window has left (``x-ratelimit-remaining-requests``)
    and when it resets (``x-ratelimit-reset-requests``), and decides:

    - **cold** (no window known, or the known one has reset): one request (the
      probe) goes; the others wait for its answer, so a burst never overshoots
      a window it knows nothing about. A probe unanswered after
      ``probe_timeout`` lets one more go.
    - **room left**: a request starts while this process has fewer requests in
      flight than ``share`` of the remaining ones (at least one). Other
      processes on the same key are seen only through ``remaining``; keeping
      most of it in reserve until the next answer is what lets several
      processes converge without a coordinator. Each window with a 429 halves
      ``share``; each window without one wins back an eighth of the start.
    - **window full** (``remaining`` reached 0, or every remaining request is
      in flight): wait until the reset, then start cold again.
    - **no headers**: an answer without the request window's headers switches
      pacing off for the target until an answer has them again: servers that
      do not report limits are never slowed.
    - a reset further away than ``max_wait`` is a quota, not a burst limit:
      no wait; the server's 429 fails fast (``QuotaExceededError``), and so
      does the daily window, which the pacer never waits for.

    Waiting calls get freed places in the order they came: a place freed for
    a waiting call is kept for it until it starts (or gives up, and passes
    it to the next in line), so a call that comes meanwhile waits behind.

    Args:
        now: The clock (monotonic seconds).
        sleep: How sync callers wait for a reset.
        async_sleep: How async callers wait for a reset.
        share: The part of the remaining requests one process may have in
            flight at once, and the most it grows back to.
        max_wait: The longest wait for a reset; a later reset is not waited for.
        probe_timeout: Seconds a cold-start probe holds the others back.
    """

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        share: float = 0.25,
        max_wait: float = 60.0,
        probe_timeout: float = 2.0,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self._lock = threading.Lock()
        self._now = now
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._max_share = share
        self._max_wait = max_wait
        self._probe_timeout = probe_timeout
        self.share = share
        self.paced = True
        self.remaining = 0
        self.reset_at: float | None = None
        self.in_flight = 0
        self._probe: Ticket | None = None
        self._probe_since = 0.0
        self._throttled_at: float | None = None  # reset_at of the window last cut
        self._waiters: list[_Waiter] = []
        # Places freed for woken waiters that have not started yet: taken for
        # everyone else, or a newcomer could overtake them.
        self._promised = 0

    def __repr__(self) -> str:
        return (
            f"Pacer(paced={self.paced}, remaining={self.remaining}, "
            f"in_flight={self.in_flight}, share={self.share:g})"
        )

    # -- decisions (under the lock, no I/O) -----------------------------------

    def _live(self, now: float) -> bool:
        return self.reset_at is not None and now < self.reset_at

    def _cap(self) -> int:
        return max(1, math.ceil(self.remaining * self.share))

    def _admit(self, now: float) -> _Wait | None:
        """``None`` and a place taken, or how to wait before asking again.

        A caller woken for a place kept for it has just taken its own out of
        ``_promised``; the places still counted there are others' to take.
        """
        if not self.paced:
            return None
        taken = self.in_flight + self._promised
        if self._live(now):
            assert self.reset_at is not None
            left = self.reset_at - now
            if left > self._max_wait or (
                self.remaining > 0 and taken < min(self._cap(), self.remaining)
            ):
                return None
            # Only an answer or a release of ours (or a woken waiter giving up)
            # can free a place before the reset; with none, only the reset will.
            return _Wait(left, on_answer=taken > 0 and self.remaining > 0)
        if self._probe is None:
            if not self._promised:
                return None
            # A woken waiter is about to probe: wait for its answer.
            return _Wait(self._probe_timeout, on_answer=True)
        if now >= self._probe_since + self._probe_timeout:
            return None
        return _Wait(self._probe_since + self._probe_timeout - now, on_answer=True)

    def _start(self, now: float) -> Ticket:
        ticket = Ticket(self)
        self.in_flight += 1
        if self.paced and not self._live(now):
            self._probe, self._probe_since = ticket, now
        return ticket

    def _free_places(self, now: float) -> int | None:
        """How many places waiters may take now, or ``None``: wake all to re-plan."""
        if not self.paced:
            return None
        if self._live(now):
            if self.remaining <= 0 or (
                self.reset_at is not None and self.reset_at - now > self._max_wait
            ):
                # Full: each goes back to sleep until the reset, exactly.
                return None
            taken = self.in_flight + self._promised
            return max(0, min(self._cap(), self.remaining) - taken)
        return 1 if self._probe is None and not self._promised else 0

    def _learn(
        self, rate_limit: Mapping[str, Any] | None, status: int, now: float
    ) -> None:
        window = (rate_limit or {}).get(_WINDOW)
        if not isinstance(window, Mapping) or not {"remaining", "reset_seconds"} <= (
            window.keys()
        ):
            # A bare 429 may come from a gateway that adds no headers: it says
            # nothing about whether the service reports its limits.
            if rate_limit or status != 429:
                self.paced = False
            return
        self.paced = True
        remaining, reset_at = int(window["remaining"]), now + window["reset_seconds"]
        if not self._live(now):
            if reset_at <= now:
                return  # the answer of a window that has just ended
            self._open_window(remaining, reset_at)
        elif reset_at > self.reset_at + _LATER_WINDOW:  # type: ignore[operator]
            self._open_window(remaining, reset_at)
        else:
            self.remaining = min(self.remaining, remaining)
        if status == 429 and self._throttled_at != self.reset_at:
            self._throttled_at = self.reset_at
            self.share = max(self.share / 2, _MIN_SHARE)

    def _open_window(self, remaining: int, reset_at: float) -> None:
        if self.reset_at is not None and self._throttled_at != self.reset_at:
            # The last window ended without a 429: win some share back.
            self.share = min(self.share + self._max_share / 8, self._max_share)
        self.remaining, self.reset_at = remaining, reset_at

    def _finish(
        self,
        ticket: Ticket,
        rate_limit: Mapping[str, Any] | None,
        status: int | None,
        *,
        answered: bool,
    ) -> None:
        with self._lock:
            now = self._now()
            self.in_flight -= 1
            if self._probe is ticket:
                self._probe = None
            if answered and status is not None:
                self._learn(rate_limit, status, now)
            woken = self._pop_waiters(now)
        for waiter in woken:
            waiter.wake()

    def _pop_waiters(self, now: float) -> list[_Waiter]:
        """Take the waiters to wake off the line.

        Each woken to start gets a place kept for it; a re-plan keeps none,
        as its waiters only go back to sleep.
        """
        places = self._free_places(now)  # None slices all: a re-plan
        woken, self._waiters = self._waiters[:places], self._waiters[places:]
        if places is not None:
            self._promised += len(woken)
            for waiter in woken:
                waiter.promised = True
        return woken

    def _forget(self, waiter: _Waiter) -> bool:
        """Drop a waiter that stopped waiting; whether a place is kept for it.

        Asked under the lock, not of its event: a wake-up can come just after
        the wait timed out, and the place kept with it must not be lost.
        """
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                return False
            return waiter.promised

    def _pass_on(self) -> None:
        """A place kept for a caller that gives up goes to the next in line.

        Giving up is an exception while waiting or right after the wake-up (a
        cancellation, a signal handler's): the place would else stay kept for
        nobody.
        """
        with self._lock:
            self._promised -= 1
            woken = self._pop_waiters(self._now())
        for other in woken:
            other.wake()

    def _enter(
        self, promised: bool, wake: Callable[[], None]
    ) -> tuple[Ticket | None, _Wait, _Waiter | None]:
        """Start now (a ticket), or say how to wait.

        In line (a waiter woken by ``wake``) when an answer may free a place,
        else until the reset. ``promised``: the caller was woken for a place
        kept for it, which is now its own to take.
        """
        with self._lock:
            now = self._now()
            if promised:
                self._promised -= 1
            wait = self._admit(now)
            if wait is None:
                return self._start(now), _NO_WAIT, None
            waiter = _Waiter(wake) if wait.on_answer else None
            if waiter is not None:
                self._waiters.append(waiter)
            return None, wait, waiter

    # -- waiting (outside the lock) ---------------------------------------------

    def acquire(self) -> Ticket:
        """Wait (sync) until a request may start; return its ticket.

        A wait for an answer of another thread uses a ``threading.Event``; a
        wait for the window's reset goes through ``sleep``.
        """
        promised = False
        try:
            while True:
                event = threading.Event()
                ticket, wait, waiter = self._enter(promised, event.set)
                promised = False
                if ticket is not None:
                    return ticket
                if waiter is None:
                    self._sleep(wait.seconds)
                    continue
                try:
                    event.wait(wait.seconds)
                finally:
                    promised = self._forget(waiter)
        except BaseException:
            if promised:
                self._pass_on()
            raise

    async def aacquire(self) -> Ticket:
        """Wait (async) until a request may start; return its ticket.

        Cancelling the waiting task leaves no trace: it held no place yet, and
        a wake-up meant for it goes to the next waiter.
        """
        loop = asyncio.get_running_loop()
        promised = False
        try:
            while True:
                future: asyncio.Future[None] = loop.create_future()
                wake = functools.partial(_resolve_threadsafe, loop, future)
                ticket, wait, waiter = self._enter(promised, wake)
                promised = False
                if ticket is not None:
                    return ticket
                if waiter is None:
                    await self._async_sleep(wait.seconds)
                    continue
                sleeper = asyncio.ensure_future(self._async_sleep(wait.seconds))
                try:
                    await asyncio.wait(
                        {future, sleeper}, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    sleeper.cancel()
                    promised = self._forget(waiter)
        except BaseException:
            if promised:
                self._pass_on()
            raise


def _resolve_threadsafe(loop: asyncio.AbstractEventLoop, future: Any) -> None:
    def resolve() -> None:
        if not future.done():
            future.set_result(None)

    try:
        loop.call_soon_threadsafe(resolve)
    except RuntimeError:  # the waiter's loop is closed: nobody to wake
        pass


_pacers: dict[tuple[str, str, str], Pacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(
    base_url: str, api_key: SecretStr | str | None, model: str | None
) -> Pacer:
    """The process's pacer for one target, shared by every model instance.

    The service limits requests per key and per model (its documentation sets
    RPM and RPD per model ID and tier), so the target is the base URL, the
    key and the model. The key is kept only as its SHA-256.

    Args:
        base_url: The API root.
        api_key: The key (a ``SecretStr``, a string, or ``None``).
        model: The model of the request.
    """
    raw = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    digest = hashlib.sha256((raw or "").encode()).hexdigest()
    key = (base_url.rstrip("/"), digest, model or "")
    with _pacers_lock:
        pacer = _pacers.get(key)
        if pacer is None:
            pacer = _pacers[key] = Pacer()
        return pacer


def forget_pacers() -> None:
    """Drop every pacer: what the process learned of its windows starts over.

    Runs in a forked child, which learns its own windows (as the connection
    pools open their own connections); a lock another thread held at fork
    would never be freed there. Tests call it to start from a clean slate.
    """
    global _pacers_lock
    _pacers_lock = threading.Lock()
    _pacers.clear()


os.register_at_fork(after_in_child=forget_pacers)
