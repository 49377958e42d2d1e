"""Rate-limit headers (on or off) and the scripted daily-quota 429."""

from __future__ import annotations

import time

import pytest

from langchain_provider.emulator._rate_limits import (
    RateLimitCounter,
    format_duration,
)

from .helpers import chat_body, fast_config, post, stream_events

NAMES = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-requests-day",
    "x-ratelimit-remaining-requests-day",
    "x-ratelimit-reset-requests-day",
)


def test_off_by_default_as_in_the_early_2025_captures(emu, client):
    response = post(client, emu, chat_body())
    assert response.status_code == 200
    assert not [name for name in response.headers if name.startswith("x-ratelimit")]


def test_on_every_completion_counting_down(emu, client):
    emu.config = fast_config(
        rate_limit_headers=True, rate_limit_per_minute=5, rate_limit_per_day=100
    )
    before = time.time()
    first = post(client, emu, chat_body()).headers
    second = post(client, emu, chat_body(top_p=7)).headers  # a 400 counts too
    assert set(NAMES) <= set(first) and set(NAMES) <= set(second)
    assert first["x-ratelimit-limit-requests"] == "5"
    assert second["x-ratelimit-limit-requests-day"] == "100"
    # Counts are the emulator's since its start (the session's shared one).
    for name in (
        "x-ratelimit-remaining-requests",
        "x-ratelimit-remaining-requests-day",
    ):
        assert int(second[name]) == max(int(first[name]) - 1, 0)
    # The minute window resets at a Unix time; the day window in a duration.
    assert before + 59 <= int(first["x-ratelimit-reset-requests"]) <= time.time() + 61
    assert second["x-ratelimit-reset-requests-day"].endswith(("h", "m", "s"))


def test_streams_carry_them_too(emu, client):
    emu.config = fast_config(rate_limit_headers=True)
    with client.stream(
        "POST", f"{emu.base_url}/chat/completions", json=chat_body(stream=True)
    ) as response:
        response.read()
    assert int(response.headers["x-ratelimit-remaining-requests"]) < 60
    assert response.headers["content-type"].startswith("text/event-stream")


def test_other_routes_are_not_counted(emu, client):
    emu.config = fast_config(rate_limit_headers=True)
    models = client.get(f"{emu.base_url}/models")
    assert "x-ratelimit-limit-requests" not in models.headers
    completion = post(client, emu, chat_body())
    assert int(completion.headers["x-ratelimit-remaining-requests"]) < 60


def test_the_daily_quota_429_is_shaped_like_the_service(emu, client):
    emu.script.daily_quota(limit=12000, reset_in=4 * 3600 + 17 * 60 + 5)
    response = post(client, emu, chat_body())
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "rate_limit_error"
    assert error["code"] == "rate_limit_exceeded"
    assert error["message"].startswith(
        "Request would exceed rate limit. Violated duration_s: 86400"
    )
    assert response.headers["x-ratelimit-remaining-requests-day"] == "0"
    assert response.headers["x-ratelimit-limit-requests-day"] == "12000"
    assert response.headers["x-ratelimit-reset-requests-day"] == "4h18m"
    # One scripted item: the next request is served normally.
    assert post(client, emu, chat_body()).status_code == 200


def test_the_daily_quota_also_answers_a_stream_request(emu, client):
    emu.script.daily_quota(times=2)
    for _ in range(2):
        response = post(client, emu, chat_body(stream=True))
        assert response.status_code == 429
        assert "duration_s: 86400" in response.json()["error"]["message"]
    assert stream_events(client, emu, chat_body(stream=True))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59.2, "1m"),
        (59, "59s"),
        (61, "1m1s"),
        (3600, "1h"),
        (15420, "4h17m"),
        (86400, "24h"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_windows_restart_when_they_end():
    now = [1000.0]
    counter = RateLimitCounter(clock=lambda: now[0])
    for _ in range(3):
        counter.headers(10, 100)
    now[0] += 60
    headers = dict(counter.headers(10, 100))
    assert headers[b"x-ratelimit-remaining-requests"] == b"9"  # a new minute
    assert headers[b"x-ratelimit-remaining-requests-day"] == b"96"  # same day
    assert headers[b"x-ratelimit-reset-requests"] == b"1120"


def test_scripted_headers_win_over_the_counted_ones(emu, client):
    emu.config = fast_config(rate_limit_headers=True)
    emu.script.daily_quota()
    response = post(client, emu, chat_body())
    assert response.status_code == 429
    assert response.headers.get_list("x-ratelimit-remaining-requests-day") == ["0"]
    assert "x-ratelimit-remaining-requests" in response.headers  # per minute: counted
