"""Transport failures: nobody listening, a server too slow, a stream that stalls.

Connection failures are retried (the request never reached a server); read
timeouts are not: ``timeout`` is the longest the caller agreed to wait, so the
typed error must come within it.
"""

from __future__ import annotations

import logging

import pytest
from langchain_core.exceptions import ModelConnectionError, ModelTimeoutError

from langchain_provider import ChatSambaNova
from langchain_provider.errors import APIConnectionError, APITimeoutError

from .conftest import (
    API_KEY,
    CALL_STYLES,
    STREAM_STYLES,
    call,
    chat_requests,
    closed_port,
    planned_delays,
    report,
)

TIMEOUT = 0.3
# Upper bounds on elapsed time only catch a hang or a wait of the wrong order
# (the emulator's pauses last seconds); what decides pass or fail is the error,
# the request count and the delays the client announced, which a busy machine
# cannot change.
SLACK = 5.0


def refused_model(max_retries: int) -> ChatSambaNova:
    return ChatSambaNova(
        base_url=f"http://127.0.0.1:{closed_port()}/v1",
        api_key=API_KEY,
        max_retries=max_retries,
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_connection_refused_raises_at_once_without_retries(style, caplog):
    caplog.set_level(logging.DEBUG, logger="langchain_provider")
    outcome = await call(refused_model(max_retries=0), style)
    assert isinstance(outcome.error, APIConnectionError)
    assert isinstance(outcome.error, ModelConnectionError)
    assert "Could not reach the SambaNova API" in str(outcome.error)
    assert outcome.chunks == []
    assert planned_delays(caplog) == []  # no retry was even planned
    assert outcome.seconds < SLACK
    report(f"connection refused, max_retries=0, {style} (s)", round(outcome.seconds, 4))


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_connection_refused_is_retried_with_backoff(style, caplog):
    caplog.set_level(logging.DEBUG, logger="langchain_provider")
    outcome = await call(refused_model(max_retries=1), style)
    assert isinstance(outcome.error, APIConnectionError)
    retries = [r for r in caplog.records if "retry 1 of 1" in r.getMessage()]
    assert len(retries) == 1
    # One backoff of 0.5 s minus at most 25 % jitter, then the final refusal.
    [delay] = planned_delays(caplog)
    assert 0.375 <= delay <= 0.5
    assert delay <= outcome.seconds < delay + SLACK


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_read_timeout_raises_within_the_timeout(emu, make_model, style):
    emu.script.slow(2)
    outcome = await call(make_model(timeout=TIMEOUT, max_retries=2), style)
    assert isinstance(outcome.error, APITimeoutError)
    assert isinstance(outcome.error, ModelTimeoutError)
    assert "timed out" in str(outcome.error)
    assert outcome.chunks == []
    # The server answers after 2 s: an error at all proves the timeout acted.
    assert TIMEOUT <= outcome.seconds < TIMEOUT + SLACK
    assert len(chat_requests(emu)) == 1  # a read timeout is not retried
    report(
        f"read timeout {TIMEOUT}s, {style}: raised after (s)", round(outcome.seconds, 3)
    )


@pytest.mark.parametrize("style", STREAM_STYLES)
async def test_stall_mid_stream_raises_after_the_delivered_chunks(
    emu, make_model, style
):
    emu.config.tokens_per_second = 200  # paced, so the stall's start is measurable
    emu.script.stall(after_chunks=3, seconds=1.5)
    outcome = await call(make_model(timeout=TIMEOUT), style, "one two three four")
    assert isinstance(outcome.error, APITimeoutError)
    assert outcome.content_chunks == ["Emulated", " reply", " to"]
    # 3 chunks at 200 tokens/s take ~10 ms, then one timeout of silence (the
    # stall lasts 1.5 s: an error at all proves the timeout acted).
    assert TIMEOUT <= outcome.seconds < TIMEOUT + SLACK
    assert len(chat_requests(emu)) == 1
    report(f"stall mid-stream, {style}: raised after (s)", round(outcome.seconds, 3))


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
async def test_stall_under_invoke_with_streaming_raises(emu, make_model, style):
    emu.script.stall(after_chunks=3, seconds=1.5)
    model = make_model(timeout=TIMEOUT, streaming=True)
    outcome = await call(model, style, "one two three four")
    assert isinstance(outcome.error, APITimeoutError)
    assert outcome.result is None
    assert outcome.seconds < TIMEOUT + SLACK


@pytest.mark.parametrize("style", STREAM_STYLES)
async def test_short_stall_within_the_timeout_is_harmless(emu, make_model, style):
    emu.script.stall(after_chunks=3, seconds=0.1)
    outcome = await call(make_model(timeout=TIMEOUT), style, "one two three four")
    assert outcome.error is None, outcome.error
    assert outcome.text == "Emulated reply to: one two three four"
