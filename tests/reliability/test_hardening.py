"""Hostile networks and sloppy configuration (issue 9), over real loopback TCP.

Byte-exact faults come from ``rawserver.RawServer``; behaviour that needs a
real API (keys, fork, pools) runs against the emulator. Each test failed
before the fix it guards; the numbers they print are in docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import traceback
import zlib
from typing import Any

import httpx
import pytest
from clock import backoff
from langchain_core.exceptions import ContextOverflowError, ModelRateLimitError

from langchain_provider import ChatSambaNova
from langchain_provider.errors import (
    ContextLengthExceededError,
    InvalidRequestError,
    QuotaExceededError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    StreamEventError,
)

from .conftest import CALL_STYLES, STREAM_STYLES, call, chat_requests, report
from .rawserver import (
    RawReply,
    RawServer,
    chunk,
    chunked_head,
    completion_body,
    gzip_corrupt,
    response,
    sse,
    text_chunk,
)

SSE = {"content-type": "text/event-stream"}
JSON = {"content-type": "application/json"}
ANSWER = sse(text_chunk("Hello"), text_chunk(" wide"), text_chunk(" world"))
ALL_STYLES = pytest.mark.parametrize("style", CALL_STYLES)
STREAMS = pytest.mark.parametrize("style", STREAM_STYLES)


def raw_model(server: RawServer, **kwargs: Any) -> ChatSambaNova:
    settings: dict[str, Any] = {"base_url": server.base_url, "api_key": "k"}
    settings.update(kwargs)
    return ChatSambaNova(**settings)


def sse_reply(body: bytes, **kwargs: Any) -> RawReply:
    return RawReply(response(200, body, SSE, chunked=True), **kwargs)


def streaming(style: str) -> dict[str, Any]:
    """Model settings that send ``invoke`` styles down the stream path too."""
    return {"streaming": True} if style in ("invoke", "ainvoke") else {}


# 1. The API key ----------------------------------------------------------------

SECRET = "sk-hardening-5e1f0c2b77"


def _chain_text(exc: BaseException) -> str:
    parts, seen = [], set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        parts += [str(current), repr(current), *map(repr, current.args)]
        todo += [current.__cause__, current.__context__]
    parts.append("".join(traceback.format_exception(exc)))
    return "\n".join(parts)


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "  ", "\t\r\n", "\ufeff"])
@ALL_STYLES
async def test_key_with_surrounding_whitespace_works(
    emu, make_model, monkeypatch, suffix, style
):
    emu.config.api_key = SECRET
    monkeypatch.setenv("SAMBANOVA_API_KEY", " " + SECRET + suffix)
    outcome = await call(ChatSambaNova(base_url=emu.base_url), style)
    assert outcome.error is None, outcome.error
    assert chat_requests(emu)[0].headers["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize("bad", ["\u200b", "\x00", "é", "\n"])
@pytest.mark.parametrize("source", ["argument", "environment"])
def test_key_that_cannot_be_a_header_is_refused_without_quoting_it(
    emu, make_model, monkeypatch, bad, source
):
    key = SECRET[:6] + bad + SECRET[6:]
    if source == "environment" and bad == "\x00":
        pytest.skip("the environment cannot hold a NUL byte")
    if source == "environment":
        monkeypatch.setenv("SAMBANOVA_API_KEY", key)
    settings = {"api_key": key} if source == "argument" else {}
    with pytest.raises(ValueError, match="API key cannot be sent") as excinfo:
        ChatSambaNova(base_url=emu.base_url, **settings)
    text = _chain_text(excinfo.value)
    assert SECRET[6:] not in text and SECRET[:6] not in text
    assert chat_requests(emu) == []


# 2. Fork safety -------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_parent_and_child_never_swap_answers(emu, make_model):
    emu.config.time_to_first_token = 0.02
    model = make_model()
    assert model.invoke("warm the shared pool").content  # the parent has a pool
    rounds = 8
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: call as often as the parent, at the same time
        os.close(read_end)
        failures = 0
        for i in range(rounds):
            reply = model.invoke(f"child {i}").content
            failures += reply != f"Emulated reply to: child {i}"
        os.write(write_end, str(failures).encode())
        os._exit(0)
    os.close(write_end)
    mismatches = [
        i
        for i in range(rounds)
        if model.invoke(f"parent {i}").content != f"Emulated reply to: parent {i}"
    ]
    _, status = os.waitpid(pid, 0)
    child_failures = int(os.read(read_end, 16) or b"-1")
    os.close(read_end)
    assert status == 0
    assert mismatches == [] and child_failures == 0
    report("fork: rounds per process without a swapped answer", rounds)


# 3. Bounded pools ---------------------------------------------------------------


async def test_forty_timeouts_share_one_pool(emu, make_model):
    model = make_model()
    for i in range(40):
        assert model.invoke("hi", timeout=5 + i / 10).content
        assert (await model.ainvoke("hi", timeout=5 + i / 10)).content
    for i in range(5):
        assert make_model(timeout=3 + i).invoke("hi").content
    # One sync and one async pooled connection, whatever the timeouts.
    assert emu.open_connections <= 2
    report("40 distinct timeouts: server connections open", emu.open_connections)


# 4. A stream ends at [DONE] ------------------------------------------------------


@pytest.mark.parametrize("ping", [b"", b": ping\n\n"], ids=["silent", "pings"])
@ALL_STYLES
async def test_stream_returns_promptly_at_done_when_the_body_stays_open(style, ping):
    head = chunked_head(200, SSE)
    held = RawReply(head + chunk(ANSWER), hold=10.0, ping=chunk(ping) if ping else b"")
    with RawServer(held) as server:
        model = raw_model(server, timeout=30, **streaming(style))
        outcome = await call(model, style)
        assert outcome.error is None, outcome.error
        assert outcome.text == "Hello wide world"
        assert outcome.seconds < 8.0  # the read timeout is 30 s, the hold 10 s
        assert server.wait_closed(8)  # cut by the client: the hold lasts 10 s
    report(f"[DONE] then held open ({style}, {ping!r}): seconds", outcome.seconds)


@STREAMS
async def test_a_well_ended_stream_keeps_its_connection(style):
    with RawServer(sse_reply(ANSWER)) as server:
        model = raw_model(server)
        for _ in range(3):
            outcome = await call(model, style)
            assert outcome.text == "Hello wide world"
        assert len(server.connections) == 1  # drained after [DONE], so reused


# 5 and 11. BOM, charset and media-type case -----------------------------------------


@ALL_STYLES
async def test_a_bom_at_stream_start_loses_nothing(style):
    with RawServer(sse_reply(b"\xef\xbb\xbf" + ANSWER)) as server:
        outcome = await call(raw_model(server, **streaming(style)), style)
    assert outcome.error is None, outcome.error
    assert outcome.text == "Hello wide world"


@pytest.mark.parametrize(
    "content_type",
    ["text/event-stream; charset=ISO-8859-1", "Text/Event-Stream", "TEXT/EVENT-STREAM"],
)
@STREAMS
async def test_sse_is_utf8_whatever_the_declared_charset(style, content_type):
    body = sse(text_chunk("Crème brûlée, 寿司 "), text_chunk("🙂"))
    reply = RawReply(response(200, body, {"content-type": content_type}, chunked=True))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server), style)
    assert outcome.error is None, outcome.error
    assert outcome.text == "Crème brûlée, 寿司 🙂"


# 8. Corrupt gzip -----------------------------------------------------------------


def _gzip_then_garbage(good: bytes) -> tuple[bytes, bytes]:
    packer = zlib.compressobj(wbits=31)
    return packer.compress(good) + packer.flush(zlib.Z_SYNC_FLUSH), b"\xff" * 64


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
async def test_corrupt_gzip_on_a_json_body_is_a_decode_error(style):
    headers = {**JSON, "content-encoding": "gzip"}
    reply = RawReply(response(200, gzip_corrupt(completion_body()), headers))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server, max_retries=0), style)
    assert isinstance(outcome.error, ResponseDecodeError), outcome.error
    assert outcome.error.status_code == 200


@STREAMS
async def test_corrupt_gzip_mid_stream_is_a_decode_error_after_the_chunks(style):
    good, garbage = _gzip_then_garbage(sse(text_chunk("Hello"), done=False))
    head = chunked_head(200, {**SSE, "content-encoding": "gzip"})
    reply = RawReply(head + chunk(good), later=chunk(garbage) + chunk(b""))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server, max_retries=0), style)
    assert outcome.content_chunks == ["Hello"]
    assert isinstance(outcome.error, ResponseDecodeError), outcome.error


@ALL_STYLES
async def test_corrupt_gzip_on_an_error_body_keeps_the_status(style, retry_clock):
    headers = {**JSON, "content-encoding": "gzip"}
    reply = RawReply(response(503, gzip_corrupt(b'{"error": {}}'), headers))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server, max_retries=1), style)
        assert len(server.requests) == 2  # a 503 is still retried
    assert retry_clock.waits == [backoff(0)]  # after a backoff: no hint was read
    assert type(outcome.error) is ServerError, outcome.error
    assert outcome.error.status_code == 503
    assert "could not be read" in outcome.error.message


@ALL_STYLES
async def test_absurdly_nested_json_is_a_decode_error(style):
    nested = b"[" * 100_000 + b"]" * 100_000
    if style in ("stream", "astream"):
        reply = sse_reply(b"data: " + nested + b"\n\n")
    else:
        reply = RawReply(response(200, nested, JSON))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server, max_retries=0), style)
    assert isinstance(outcome.error, ResponseDecodeError), outcome.error


# 9. A JSON error answering a stream ----------------------------------------------


@ALL_STYLES
async def test_json_error_answering_a_stream_is_the_invoke_error(style):
    error = {
        "error": {
            "message": "maximum context length is 16384 tokens",
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
        }
    }
    reply = RawReply(response(200, json.dumps(error).encode(), JSON))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server, **streaming(style)), style)
        assert len(server.requests) == 1  # not retryable
    assert isinstance(outcome.error, ContextLengthExceededError), outcome.error
    assert isinstance(outcome.error, ContextOverflowError)
    assert "maximum context length is 16384" in outcome.error.message


# 10. Unbounded messages -----------------------------------------------------------


@ALL_STYLES
async def test_a_huge_error_page_is_cut_in_the_message_but_kept_whole(style):
    page = "<html>" + "x" * 300_000 + "</html>"
    reply = RawReply(response(502, page.encode(), {"content-type": "text/html"}))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server, max_retries=0), style)
    assert isinstance(outcome.error, ServerError)
    assert len(str(outcome.error)) < 2200
    assert "[cut: 298,013 more characters" in str(outcome.error)
    assert outcome.error.body == page
    report("300 KB error page: message length", len(str(outcome.error)))


# 12-14. In-stream errors keep their kind; retried only when it is retryable ----------


@STREAMS
async def test_in_stream_rate_limit_is_a_rate_limit_and_is_retried(style, retry_clock):
    error = {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}
    event = f"event: error\ndata: {json.dumps(error)}"
    with RawServer(sse_reply(sse(event, done=False)), sse_reply(ANSWER)) as server:
        outcome = await call(raw_model(server), style)
        assert len(server.requests) == 2
    assert outcome.text == "Hello wide world"
    with RawServer(sse_reply(sse(event, done=False))) as server:
        outcome = await call(raw_model(server, max_retries=2), style)
        assert len(server.requests) == 3  # exhausted, then the typed error
    # One backoff for the first call, two growing ones for the second.
    assert retry_clock.waits == [backoff(0), backoff(0), backoff(1)]
    assert isinstance(outcome.error, RateLimitError)
    assert isinstance(outcome.error, ModelRateLimitError)
    assert isinstance(outcome.error, StreamEventError)
    assert outcome.error.message == "slow down"


@STREAMS
async def test_in_stream_invalid_request_is_not_retried(style):
    event = {"error": {"message": "bad", "type": "invalid_request_error"}}
    with RawServer(sse_reply(sse(event, done=False))) as server:
        outcome = await call(raw_model(server, max_retries=2), style)
        assert len(server.requests) == 1
    assert isinstance(outcome.error, InvalidRequestError)
    assert outcome.error.is_retryable is False


@STREAMS
async def test_in_stream_context_overflow_is_a_context_overflow(style):
    event = {"error": {"message": "too long", "code": "context_length_exceeded"}}
    with RawServer(sse_reply(sse(event, done=False))) as server:
        outcome = await call(raw_model(server), style)
        assert len(server.requests) == 1
    assert isinstance(outcome.error, ContextOverflowError)


@STREAMS
async def test_a_stream_that_ends_before_its_first_chunk_is_retried(style, retry_clock):
    empty = sse_reply(b": nothing yet\n\n")
    with RawServer(empty, sse_reply(ANSWER)) as server:
        outcome = await call(raw_model(server), style)
        assert len(server.requests) == 2
    assert retry_clock.waits == [backoff(0)]
    assert outcome.error is None and outcome.text == "Hello wide world"


# 15. is_retryable agrees with the client ------------------------------------------


@ALL_STYLES
async def test_409_is_retried_and_says_so(style, retry_clock):
    conflict = RawReply(response(409, b'{"error": {"message": "busy"}}', JSON))
    with RawServer(conflict) as server:
        outcome = await call(raw_model(server, max_retries=1), style)
        assert len(server.requests) == 2
    assert retry_clock.waits == [backoff(0)]
    assert outcome.error.status_code == 409 and outcome.error.is_retryable is True


# 16. default_headers are case-insensitive -------------------------------------------


@pytest.mark.parametrize("style", ["invoke", "stream"])
async def test_default_headers_replace_ours_whatever_their_case(style):
    ok = RawReply(response(200, completion_body(), JSON))
    with RawServer(ok if style == "invoke" else sse_reply(ANSWER)) as server:
        model = raw_model(
            server,
            api_key="sk-ours",
            default_headers={
                "user-agent": "mine/1",
                "ACCEPT": "*/*",
                "authorization": "Bearer gateway",
            },
        )
        assert (await call(model, style)).error is None
        head = server.requests[0].split(b"\r\n\r\n")[0].decode().lower()
    names = [line.split(":")[0] for line in head.split("\r\n")[1:]]
    for name in ("user-agent", "accept", "authorization"):
        assert names.count(name) == 1, head
    assert "authorization: bearer gateway" in head and "sk-ours" not in head
    assert "user-agent: mine/1" in head and "accept: */*" in head


# 18. Per-call None means "the model's setting" ---------------------------------------


@ALL_STYLES
async def test_per_call_none_means_the_models_setting(emu, make_model, style):
    emu.script.fault(status=503, times=1, headers={"retry-after-ms": "1"})
    outcome = await call(
        make_model(max_retries=1), style, timeout=None, max_retries=None
    )
    assert outcome.error is None, outcome.error
    assert len(chat_requests(emu)) == 2


# Issue 11.3: rate-limit headers and the daily quota ----------------------------------

LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-reset-requests": "4h17m",
}


@ALL_STYLES
async def test_rate_limit_headers_reach_response_metadata(style):
    if style in ("stream", "astream"):
        reply = RawReply(response(200, ANSWER, {**SSE, **LIMIT_HEADERS}, chunked=True))
    else:
        reply = RawReply(response(200, completion_body(), {**JSON, **LIMIT_HEADERS}))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server), style)
    assert outcome.error is None, outcome.error
    message = outcome.result or _sum(outcome.chunks)
    expected = {"limit": 60, "remaining": 59, "reset_seconds": 15420.0}
    assert message.response_metadata["rate_limit"] == {"requests": expected}


def _sum(chunks: list[Any]) -> Any:
    total = chunks[0]
    for piece in chunks[1:]:
        total = total + piece
    return total


@ALL_STYLES
async def test_no_rate_limit_headers_no_key(style):
    reply = (
        sse_reply(ANSWER)
        if style in ("stream", "astream")
        else RawReply(response(200, completion_body(), JSON))
    )
    with RawServer(reply) as server:
        outcome = await call(raw_model(server), style)
    message = outcome.result or _sum(outcome.chunks)
    assert "rate_limit" not in message.response_metadata


@ALL_STYLES
async def test_daily_quota_429_is_not_retried_and_says_when_it_resets(
    style, retry_clock
):
    body = {
        "error": {
            "message": "Request would exceed rate limit. Violated "
            "duration_s: 86400 limit: 1000",
            "code": "rate_limit_exceeded",
        }
    }
    headers = {
        **JSON,
        "x-ratelimit-remaining-requests-day": "0",
        "x-ratelimit-reset-requests-day": "3h5m",
    }
    reply = RawReply(response(429, json.dumps(body).encode(), headers))
    with RawServer(reply) as server:
        outcome = await call(raw_model(server, max_retries=3), style)
        assert len(server.requests) == 1
    assert isinstance(outcome.error, QuotaExceededError)
    assert isinstance(outcome.error, RateLimitError)
    assert outcome.error.is_retryable is False
    assert outcome.error.reset_seconds == 3 * 3600 + 5 * 60
    assert "resets in 3h05m" in str(outcome.error)
    assert outcome.error.rate_limit == {
        "requests_day": {"remaining": 0, "reset_seconds": 11100.0}
    }
    assert retry_clock.waits == []  # one request, no retry wait
    assert outcome.seconds < 10.0


@ALL_STYLES
async def test_a_burst_429_with_headers_is_still_retried(style):
    headers = {
        **JSON,
        "retry-after-ms": "1",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "2",
    }
    limited = RawReply(response(429, b'{"error": {"message": "wait"}}', headers))
    ok = (
        sse_reply(ANSWER)
        if style in ("stream", "astream")
        else RawReply(response(200, completion_body(), JSON))
    )
    # The retry verdict, not pacing: with pacing on, the retry would also wait
    # (for real) for the 2 s reset the headers announce (test_pacing covers it).
    with RawServer(limited, ok) as server:
        outcome = await call(raw_model(server, rate_limit_pacing=False), style)
        assert len(server.requests) == 2
    assert outcome.error is None


def test_rate_limit_error_carries_the_headers(emu, make_model):
    with RawServer(
        RawReply(
            response(429, b"{}", {**JSON, **LIMIT_HEADERS, "x-should-retry": "false"})
        )
    ) as server:
        with pytest.raises(RateLimitError) as excinfo:
            raw_model(server).invoke("hi")
    assert excinfo.value.rate_limit["requests"]["remaining"] == 59


# Timeouts (issue 11.2) --------------------------------------------------------------


async def test_an_httpx_timeout_is_accepted_and_applied():
    reply = RawReply(
        chunked_head(200, SSE) + chunk(sse(text_chunk("a"), done=False)), hold=5
    )
    with RawServer(reply) as server:
        # read=1 s, not less: the chunk before the silence must arrive within
        # it also on a loaded machine (in test_transport, a 0.3 s read timeout
        # was seen to fire before an in-process server's first chunk).
        model = raw_model(server, timeout=httpx.Timeout(10, read=1.0), max_retries=0)
        outcome = await call(model, "stream")
    assert outcome.content_chunks == ["a"]
    assert type(outcome.error).__name__ == "APITimeoutError"
    assert 0.95 < outcome.seconds < 4.5  # the read timeout, not the 5 s hold
