"""The retry policy (``_retry``): pure decisions, no I/O.

The client's loops and every error's ``is_retryable`` ask this one object;
``test_client.py`` proves the loops follow it over (mock) HTTP.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time

import httpx
import pytest

from langchain_provider._retry import (
    DEFAULT_POLICY,
    RetryPolicy,
    quota_reset_seconds,
    retry_after_seconds,
)

POLICY = DEFAULT_POLICY


@pytest.mark.parametrize(
    ("status", "hint", "expected"),
    [
        (503, None, True),
        (429, None, True),
        (408, None, True),
        (409, None, True),
        (599, None, True),
        (400, None, False),
        (404, None, False),
        (503, "false", False),
        (503, "FALSE", False),
        (400, "true", True),
        (400, "maybe", False),
    ],
)
def test_should_retry_status(status: int, hint: str | None, expected: bool) -> None:
    headers = httpx.Headers({"x-should-retry": hint} if hint else {})
    assert POLICY.should_retry_response(status, headers) is expected


# retry_delay: the pure arithmetic behind every wait.


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "0"}, 0.0),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "60"}, 60.0),
        # retry-after-ms wins over retry-after.
        ({"retry-after-ms": "100", "retry-after": "9"}, 0.1),
    ],
)
def test_retry_delay_follows_the_server(
    headers: dict[str, str], expected: float
) -> None:
    assert POLICY.delay(0, httpx.Headers(headers)) == pytest.approx(expected)


def test_nan_retry_after_ms_falls_back_to_retry_after() -> None:
    headers = httpx.Headers({"retry-after-ms": "nan", "retry-after": "2"})
    assert POLICY.delay(0, headers) == 2


# An HTTP date is read against the wall clock: these tests stop it at NOW (a
# whole second, as HTTP dates are), so the expected wait is exact.
NOW = 1_800_000_000.0


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(time, "time", lambda: NOW)
    return NOW


def test_retry_delay_http_date(frozen_now: float) -> None:
    when = email.utils.formatdate(frozen_now + 10, usegmt=True)
    assert POLICY.delay(0, httpx.Headers({"retry-after": when})) == 10.0


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "120"},  # over the 60 s cap
        {"retry-after-ms": "61000"},
        {"retry-after": "-5"},
        {"retry-after": "soon"},  # neither seconds nor a date
        {"retry-after": ""},
        {"retry-after-ms": "abc"},
        {"retry-after": email.utils.formatdate(NOW - 100, usegmt=True)},
        {},
    ],
    ids=[
        "over-cap",
        "ms-over-cap",
        "negative",
        "garbage",
        "empty",
        "ms-garbage",
        "past-date",
        "none",
    ],
)
def test_retry_delay_falls_back_to_backoff(
    headers: dict[str, str], frozen_now: float
) -> None:
    for attempt in range(6):
        delay = POLICY.delay(attempt, httpx.Headers(headers))
        backoff = min(POLICY.initial_backoff * 2**attempt, POLICY.max_backoff)
        assert 0.75 * backoff <= delay <= backoff


def test_retry_delay_backoff_grows_then_caps() -> None:
    assert POLICY.delay(0) <= POLICY.initial_backoff
    assert POLICY.delay(3) > POLICY.delay(0)
    assert all(POLICY.delay(20) <= POLICY.max_backoff for _ in range(50))


@pytest.mark.parametrize(
    ("jitter", "delays"),
    [
        (0.0, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]),
        (0.5, [0.4375, 0.875, 1.75, 3.5, 7.0, 7.0]),
        # The largest draw random() can give: just over 0.75 of the backoff.
        (1 - 2**-53, [0.375, 0.75, 1.5, 3.0, 6.0, 6.0]),
    ],
    ids=["no jitter", "half", "most"],
)
def test_exact_backoff_for_a_pinned_jitter(jitter: float, delays: list[float]) -> None:
    policy = RetryPolicy(random=lambda: jitter)
    planned = [policy.delay(attempt) for attempt in range(6)]
    assert planned == pytest.approx(delays, rel=1e-12, abs=1e-12)


def test_a_server_hint_draws_no_jitter() -> None:
    draws: list[None] = []

    def jitter() -> float:
        draws.append(None)
        return 0.5

    policy = RetryPolicy(random=jitter)
    assert policy.delay(3, httpx.Headers({"retry-after-ms": "20"})) == 0.02
    assert draws == []
    assert policy.delay(3) == 3.5
    assert len(draws) == 1


def test_the_default_policy_sleeps_and_jitters_for_real() -> None:
    """What production uses: tests swap these out, so this pins the defaults."""
    assert DEFAULT_POLICY.sleep is time.sleep
    assert DEFAULT_POLICY.async_sleep is asyncio.sleep
    assert DEFAULT_POLICY.random is random.random


def test_retry_delay_has_jitter() -> None:
    delays = {POLICY.delay(2) for _ in range(50)}
    assert len(delays) > 1
    assert all(0.75 * 2.0 <= d <= 2.0 for d in delays)


def test_backoff_cap_is_eight_seconds() -> None:
    assert POLICY.max_backoff == 8.0
    delays = [POLICY.delay(attempt) for attempt in (4, 5, 10) for _ in range(30)]
    assert all(6.0 <= delay <= 8.0 for delay in delays)
    assert max(delays) > 7.0  # the cap is reached, not some lower bound


def test_backoff_doubles_from_half_a_second() -> None:
    for attempt, full in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0)]:
        delays = [POLICY.delay(attempt) for _ in range(30)]
        assert all(0.75 * full <= delay <= full for delay in delays)


@pytest.mark.parametrize(
    ("seconds", "honoured"), [(59.9, True), (60, True), (60.1, False)]
)
def test_retry_after_cap_is_sixty_seconds(seconds: float, honoured: bool) -> None:
    delay = POLICY.delay(0, httpx.Headers({"retry-after": str(seconds)}))
    assert (delay == seconds) is honoured
    if not honoured:
        assert delay <= POLICY.initial_backoff


def test_a_policy_can_be_tuned() -> None:
    patient = RetryPolicy(initial_backoff=1.0, max_backoff=2.0, max_retry_after=5.0)
    assert all(1.5 <= patient.delay(9) <= 2.0 for _ in range(20))
    assert patient.delay(0, httpx.Headers({"retry-after": "5"})) == 5.0
    assert patient.delay(0, httpx.Headers({"retry-after": "6"})) <= 1.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, False),
        (400, False),
        (404, False),
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
    ],
)
def test_retryable_status(status: int | None, expected: bool) -> None:
    assert POLICY.retryable_status(status) is expected


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("x"), True),
        (httpx.ConnectTimeout("x"), True),
        (httpx.ReadError("x"), True),
        (httpx.RemoteProtocolError("x"), True),
        (httpx.ReadTimeout("x"), False),
        (httpx.WriteTimeout("x"), False),
        (httpx.LocalProtocolError("x"), False),
    ],
)
def test_retryable_transport(exc: Exception, expected: bool) -> None:
    assert POLICY.retryable_transport(exc) is expected


def test_retry_after_seconds_without_headers() -> None:
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(httpx.Headers({})) is None


# The daily-quota rule.


@pytest.mark.parametrize(
    ("message", "rate_limit", "expected"),
    [
        ("Violated duration_s: 86400 limit 10", None, True),
        ("Violated duration_s:86400", None, True),
        ("Violated duration_s: 60", None, False),
        ("Request would exceed rate limit", None, False),
        ("", {"requests_day": {"remaining": 0, "reset_seconds": 3600.0}}, True),
        ("", {"requests": {"remaining": 0, "reset_seconds": 60.0}}, False),
        ("", {"requests": {"remaining": 0, "reset_seconds": 60.5}}, True),
        ("", {"requests_day": {"remaining": 5, "reset_seconds": 3600.0}}, False),
    ],
)
def test_quota_rule(message: str, rate_limit: dict | None, expected: bool) -> None:
    assert POLICY.is_quota_exhausted(message, rate_limit) is expected


def test_quota_resets_when_every_exhausted_window_has() -> None:
    rate_limit = {
        "requests": {"remaining": 0, "reset_seconds": 10.0},
        "requests_day": {"remaining": 0, "reset_seconds": 900.0},
        "tokens": {"remaining": 9, "reset_seconds": 5000.0},
    }
    assert quota_reset_seconds(rate_limit) == 900.0
    assert quota_reset_seconds(None) is None
    assert quota_reset_seconds({"requests": {"remaining": 0}}) is None


def test_http_date_in_the_future(frozen_now: float) -> None:
    when = email.utils.formatdate(frozen_now + 30, usegmt=True)
    assert retry_after_seconds(httpx.Headers({"retry-after": when})) == 30.0


def test_http_date_is_read_against_the_wall_clock() -> None:
    """Unfrozen, a date 30 s ahead is about 30 s away (HTTP dates drop fractions)."""
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    # Generous: the lower side allows the dropped fraction and a stalled machine.
    assert 20 < retry_after_seconds(httpx.Headers({"retry-after": when})) <= 30.0


# Any mapping with the wire's (lower-case) names will do, not only httpx.Headers.


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after-ms": "250"}, 0.25), ({"retry-after": "3"}, 3.0)],
)
def test_retry_after_reads_a_plain_mapping(
    headers: dict[str, str], expected: float
) -> None:
    assert retry_after_seconds(headers) == expected


@pytest.mark.parametrize(("hint", "expected"), [("true", True), ("false", False)])
def test_x_should_retry_read_from_a_plain_mapping(hint: str, expected: bool) -> None:
    assert (
        POLICY.should_retry_response(400 if expected else 503, {"x-should-retry": hint})
        is expected
    )
