"""Rate-limit headers (on or off) and the scripted daily-quota 429."""

from __future__ import annotations

import time

import pytest

from langchain_provider.emulator import EmulatorConfig
from langchain_provider.emulator.__main__ import build_parser
from langchain_provider.emulator._rate_limits import (
    RateLimitCounter,
    RateLimiter,
    format_duration,
    parse_rate_limit,
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


# -- an enforced limit (rate_limit="N/window") ----------------------------------


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_an_enforced_limit_counts_down_then_answers_429(emu, client):
    emu.config = fast_config(rate_limit="3/60s")
    url = f"{emu.base_url}/chat/completions"
    answers = [
        client.post(url, json=chat_body(), headers=_as("k-429")) for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining-requests"] for a in answers] == [
        "2",
        "1",
        "0",
        "0",
    ]
    assert {a.headers["x-ratelimit-limit-requests"] for a in answers} == {"3"}
    for answer in answers:  # seconds to the reset, as the pacer reads them
        assert 0 < float(answer.headers["x-ratelimit-reset-requests"]) <= 60
    over = answers[-1]
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert "retry-after" not in answers[0].headers
    error = over.json()["error"]
    assert error["type"] == "rate_limit_error"
    assert error["code"] == "rate_limit_exceeded"
    assert "Violated duration_s: 60," in error["message"]


def test_the_limit_is_per_key(emu, client):
    emu.config = fast_config(rate_limit="1/60s")
    url = f"{emu.base_url}/chat/completions"
    assert client.post(url, json=chat_body(), headers=_as("k-one")).status_code == 200
    assert client.post(url, json=chat_body(), headers=_as("k-one")).status_code == 429
    assert client.post(url, json=chat_body(), headers=_as("k-two")).status_code == 200


def test_streams_are_counted_and_carry_the_headers(emu, client):
    emu.config = fast_config(rate_limit="2/60s")
    url = f"{emu.base_url}/chat/completions"
    with client.stream(
        "POST", url, json=chat_body(stream=True), headers=_as("k-stream")
    ) as response:
        response.read()
    assert response.headers["x-ratelimit-remaining-requests"] == "1"
    assert response.headers["content-type"].startswith("text/event-stream")


def test_an_enforced_limit_wins_over_the_reported_one(emu, client):
    emu.config = fast_config(rate_limit="5/60s", rate_limit_headers=True)
    response = client.post(
        f"{emu.base_url}/chat/completions", json=chat_body(), headers=_as("k-both")
    )
    assert response.headers.get_list("x-ratelimit-limit-requests") == ["5"]
    assert response.headers["x-ratelimit-limit-requests-day"] == "12000"


def test_other_routes_are_not_limited(emu, client):
    emu.config = fast_config(rate_limit="1/60s")
    for _ in range(3):
        models = client.get(f"{emu.base_url}/models", headers=_as("k-models"))
        assert models.status_code == 200
        assert "x-ratelimit-limit-requests" not in models.headers


def test_the_enforcer_restarts_windows_and_rounds_retry_after_up():
    now = [100.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert limiter.admit("k", "2/5s").admitted
    now[0] += 2.8
    assert limiter.admit("k", "2/5s").admitted
    over = limiter.admit("k", "2/5s")
    assert not over.admitted
    assert over.headers["retry-after"] == "3"  # 2.2 s left, rounded up
    assert over.headers["x-ratelimit-reset-requests"] == "2.200"
    now[0] += 2.2  # the window ends; the rejected request did not count
    fresh = limiter.admit("k", "2/5s")
    assert fresh.admitted
    assert fresh.headers["x-ratelimit-remaining-requests"] == "1"
    assert fresh.headers["x-ratelimit-reset-requests"] == "5.000"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("20/5s", (20, 5.0)),
        ("60/1m", (60, 60.0)),
        ("60/m", (60, 60.0)),
        ("5/500ms", (5, 0.5)),
        ("10/2", (10, 2.0)),
        (" 3 / 1.5s ", (3, 1.5)),
    ],
)
def test_parse_rate_limit(text, parsed):
    assert parse_rate_limit(text) == parsed


@pytest.mark.parametrize("text", ["20", "20/", "0/5s", "20/0s", "20/5x", "a/5s"])
def test_a_malformed_rate_limit_is_refused_at_configuration(text):
    with pytest.raises(ValueError, match="rate_limit"):
        EmulatorConfig(rate_limit=text)


def test_the_command_line_takes_a_rate_limit():
    assert build_parser().parse_args(["--rate-limit", "20/5s"]).rate_limit == "20/5s"
    assert build_parser().parse_args([]).rate_limit is None
