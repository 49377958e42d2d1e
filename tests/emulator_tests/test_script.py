"""Scripted replies and faults, as a client sees them."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from clock import TIMER_TOLERANCE
from httpx_sse import connect_sse

from .helpers import chat_body, complete, post, stream_events

URL = "/chat/completions"


def _collect_until_error(client, emu, body) -> tuple[list[str], BaseException]:
    """Stream until the transport fails; return the data seen and the error."""
    seen: list[str] = []
    with pytest.raises(httpx.TransportError) as failure:
        with connect_sse(client, "POST", emu.base_url + URL, json=body) as source:
            for event in source.iter_sse():
                seen.append(event.data)
    return seen, failure.value


def test_fault_sends_status_headers_and_error_body(emu, client):
    emu.script.fault(
        status=429,
        message="Request would exceed rate limit",
        code="rate_limit_exceeded",
        headers={"retry-after": "1", "retry-after-ms": "1000"},
    )
    response = post(client, emu, chat_body())

    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.headers["retry-after-ms"] == "1000"
    error = response.json()["error"]
    assert error == {
        "message": "Request would exceed rate limit",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert post(client, emu, chat_body()).status_code == 200  # consumed once


def test_fault_with_a_plain_text_body(emu, client):
    emu.script.fault(status=422, message="Unprocessable entity", plain_text=True)
    response = post(client, emu, chat_body())
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Unprocessable entity"


def test_fault_applies_to_streaming_requests_too(emu, client):
    emu.script.fault(status=503)
    response = post(client, emu, chat_body(stream=True))
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "server_error"


def test_times_repeats_an_item(emu, client):
    emu.script.fault(status=500, times=2)
    statuses = [post(client, emu, chat_body()).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_times_none_repeats_until_clear(emu, client):
    emu.script.reply_text("Again", times=None)
    for _ in range(4):
        assert complete(client, emu)["choices"][0]["message"]["content"] == "Again"
    emu.clear()
    assert complete(client, emu)["choices"][0]["message"]["content"] != "Again"


def test_items_are_consumed_in_fifo_order(emu, client):
    emu.script.reply_text("first")
    emu.script.fault(status=400)
    emu.script.reply_text("third")
    assert complete(client, emu)["choices"][0]["message"]["content"] == "first"
    assert post(client, emu, chat_body()).status_code == 400
    assert complete(client, emu)["choices"][0]["message"]["content"] == "third"
    assert len(emu.script) == 0


def test_scripted_reply_applies_to_streams(emu, client):
    emu.script.reply_text("Hello there")
    events = stream_events(client, emu, chat_body())
    text = "".join(
        json.loads(data)["choices"][0]["delta"].get("content", "")
        for _, data in events[:-1]
    )
    assert text == "Hello there"


def test_cut_stream_drops_the_connection(emu, client):
    emu.script.cut_stream(after_chunks=3)
    seen, error = _collect_until_error(client, emu, chat_body(stream=True))
    assert len(seen) == 3
    assert "[DONE]" not in seen
    assert isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError))


def test_cut_non_stream_response_fails_the_read(emu, client):
    emu.script.cut_stream()
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        post(client, emu, chat_body())


def test_malformed_chunk(emu, client):
    emu.script.malformed_chunk(after_chunks=2)
    events = stream_events(client, emu, chat_body())
    assert len(events) == 3
    json.loads(events[1][1])  # the first two are good
    assert events[2] == ("message", "{not json")


def test_malformed_non_stream_body(emu, client):
    emu.script.malformed_chunk()
    response = post(client, emu, chat_body())
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


@pytest.mark.parametrize(
    ("style", "event_name"), [("event", "error"), ("data", "message")]
)
def test_error_event(emu, client, style, event_name):
    emu.script.error_event(after_chunks=2, message="Model crashed", style=style)
    events = stream_events(client, emu, chat_body())

    assert len(events) == 3
    name, data = events[2]
    assert name == event_name
    assert json.loads(data)["error"]["message"] == "Model crashed"


def test_error_event_on_a_non_stream_request_is_a_500(emu, client):
    emu.script.error_event(message="Model crashed")
    response = post(client, emu, chat_body())
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "Model crashed"


def test_no_done_ends_cleanly_without_done(emu, client):
    emu.script.no_done()
    events = stream_events(client, emu, chat_body())
    assert events[-1][1] != "[DONE]"
    assert json.loads(events[-1][1])["choices"][0]["finish_reason"] == "stop"


def test_no_done_after_some_chunks(emu, client):
    emu.script.no_done(after_chunks=2)
    assert len(stream_events(client, emu, chat_body())) == 2


def test_slow_delays_the_response(emu, client):
    emu.script.slow(0.3)
    started = time.perf_counter()
    post(client, emu, chat_body())
    # The server's 0.3 s sleep lies within this interval; the tolerance only
    # covers the test clock's granularity.
    assert time.perf_counter() - started >= 0.3 - TIMER_TOLERANCE


def test_stall_pauses_mid_stream_then_continues(emu, client):
    emu.script.stall(after_chunks=2, seconds=1.0)
    arrivals: list[float] = []
    with connect_sse(
        client, "POST", emu.base_url + URL, json=chat_body(stream=True)
    ) as source:
        for event in source.iter_sse():
            arrivals.append(time.perf_counter())
            last = event.data
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps[1] >= 0.95  # between the 2nd and 3rd events
    # The pause is there and nowhere else (unpaced gaps are milliseconds; the
    # bound leaves a busy machine plenty of room).
    assert max(gaps[:1] + gaps[2:]) < 0.95
    assert last == "[DONE]"


def test_fault_text_overrides_the_reply(emu, client):
    emu.script.no_done(text="one two three")
    events = stream_events(client, emu, chat_body())
    pieces = [json.loads(d)["choices"][0]["delta"]["content"] for _, d in events]
    assert "".join(pieces) == "one two three"
