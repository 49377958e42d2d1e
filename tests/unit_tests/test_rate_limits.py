"""Rate-limit headers, normalized (``_retry``); over HTTP in test_client."""

from __future__ import annotations

import time

import httpx
import pytest

from langchain_provider._retry import parse_reset, rate_limit_from_headers

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("12", 12.0),
        ("0.5", 0.5),
        (" 7 ", 7.0),
        ("-3", 0.0),
        ("4h17m", 4 * 3600 + 17 * 60),
        ("1m30s", 90.0),
        ("250ms", 0.25),
        ("2d", 172800.0),
        ("1.5s", 1.5),
        (str(int(NOW) + 600), 600.0),
        (str(int(NOW) - 600), 0.0),
        ("1000000000", 0.0),  # the floor itself is a (past) Unix time
    ],
)
def test_parse_reset(value: str, seconds: float) -> None:
    assert parse_reset(value, now=NOW) == pytest.approx(seconds)


def test_a_unix_time_reset_is_measured_from_the_clock() -> None:
    """Without ``now``, a Unix-time reset counts from the current time."""
    assert parse_reset(str(time.time() + 600)) == pytest.approx(600, abs=5)


@pytest.mark.parametrize("value", ["", "soon", "4h17", "h", "1x", "nan", "inf"])
def test_parse_reset_refuses_what_it_cannot_read(value: str) -> None:
    assert parse_reset(value, now=NOW) is None


def test_headers_are_normalized_per_window() -> None:
    headers = httpx.Headers(
        {
            "content-type": "application/json",
            "x-ratelimit-other": "1",
            "X-RateLimit-Limit-Requests": "60",
            "x-ratelimit-remaining-requests": "59",
            "x-ratelimit-reset-requests": "30",
            "x-ratelimit-limit-requests-day": "1000",
            "x-ratelimit-remaining-requests-day": "0",
            "x-ratelimit-reset-requests-day": "4h17m",
            "x-ratelimit-remaining-tokens": "junk",
            "x-ratelimit-limit-tokens": "1m",  # a count, never a duration
        }
    )
    assert rate_limit_from_headers(headers) == {
        "requests": {"limit": 60, "remaining": 59, "reset_seconds": 30.0},
        "requests_day": {"limit": 1000, "remaining": 0, "reset_seconds": 15420.0},
    }


def test_no_headers_no_rate_limit() -> None:
    assert rate_limit_from_headers(httpx.Headers({"content-type": "x"})) is None
    assert rate_limit_from_headers(httpx.Headers({"x-ratelimit-limit-": "5"})) is None


def test_a_plain_mapping_of_headers_is_read_too() -> None:
    """Headers need not be ``httpx.Headers``: any mapping, any case."""
    headers = {"Server": "x", "X-RateLimit-Remaining-Requests": "3"}
    assert rate_limit_from_headers(headers) == {"requests": {"remaining": 3}}
    assert rate_limit_from_headers({"server": "x"}) is None
