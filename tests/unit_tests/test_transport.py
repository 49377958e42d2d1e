"""The client over HTTP: send and stream with retries, headers and the key,
connection pools and their lifecycle.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import weakref
from typing import Any

import httpx
import pytest
from clock import RecordingClock
from langchain_core import exceptions as core
from pydantic import SecretStr

from langchain_provider import ChatSambaNova, errors
from langchain_provider._http import (
    POOL_LIMITS,
    SHARED,
    STREAM_READ_TIMEOUT,
    ConnectionPools,
    _reset_in_child,
    build_headers,
    check_default_headers,
    normalize_api_key,
    translate_failures,
)
from langchain_provider._retry import RetryPolicy
from langchain_provider._version import USER_AGENT
from unit_tests.conftest import (
    API_KEY,
    BrokenStream,
    broken_sse_reply,
    chunk,
    completion,
    error_reply,
    json_reply,
    make_model,
    raise_reply,
    sse_bytes,
    sse_reply,
    text_chunks,
)

# ============================================================================
# The HTTP layer: retries (counted at the server), transport failures, pools.
# No test here sleeps: every model waits on the ``retry_clock`` fixture (see
# ``conftest.py``), which records each delay the client plans and returns at
# once, so the tests below assert the exact waits (a backoff with the jitter
# pinned, or the server's hint) instead of timing them. The policy itself
# (statuses, delays) is tested without I/O in ``test_errors_and_retries.py``; pools in
# ``test_transport.py``.
# ============================================================================

FAST = {"retry-after-ms": "1"}
SSE = {"content-type": "text/event-stream"}
NO_WAIT = {"max_retries": 2}


async def _collect(model: Any, use_async: bool) -> str:
    """The streamed text, sync or async; retries wait 0.5-1 s without hints."""
    if use_async:
        return "".join([c.text async for c in model.astream("hi")])
    return "".join(c.text for c in model.stream("hi"))


async def _invoke(model: Any, use_async: bool) -> Any:
    """The answer of invoke or ainvoke."""
    return await model.ainvoke("hi") if use_async else model.invoke("hi")


RETRIED_STATUSES = [408, 409, 429, 500, 502, 503, 504]
NEVER_RETRIED = [400, 401, 403, 404, 422]


# ---------------------------------------------------------------------------
# Which statuses are retried
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", RETRIED_STATUSES)
def test_retried_status_then_success(status: int) -> None:
    model, server = make_model(
        error_reply(status, "try again", headers=FAST), json_reply(completion("ok"))
    )
    assert model.invoke("hi").content == "ok"
    assert server.calls == 2
    # The same request was sent again.
    assert server.bodies[0] == server.bodies[1]


@pytest.mark.parametrize("status", RETRIED_STATUSES)
async def test_retried_status_then_success_async(status: int) -> None:
    model, server = make_model(
        error_reply(status, "try again", headers=FAST), json_reply(completion("ok"))
    )
    assert (await model.ainvoke("hi")).content == "ok"
    assert server.calls == 2


@pytest.mark.parametrize("status", RETRIED_STATUSES)
def test_retried_status_then_success_stream(status: int) -> None:
    # A stream that fails before its first chunk is retried like any request.
    model, server = make_model(
        error_reply(status, "try again", headers=FAST),
        sse_reply(text_chunks("Hel", "lo")),
    )
    assert "".join(c.text for c in model.stream("hi")) == "Hello"
    assert server.calls == 2


@pytest.mark.parametrize("status", RETRIED_STATUSES)
async def test_retried_status_then_success_astream(status: int) -> None:
    model, server = make_model(
        error_reply(status, "try again", headers=FAST),
        sse_reply(text_chunks("Hel", "lo")),
    )
    assert "".join([c.text async for c in model.astream("hi")]) == "Hello"
    assert server.calls == 2


@pytest.mark.parametrize("max_retries", [0, 1, 2, 4])
def test_exhausted_retries_raise_after_max_retries_plus_one(max_retries: int) -> None:
    model, server = make_model(
        error_reply(503, "maintenance", headers=FAST), max_retries=max_retries
    )
    with pytest.raises(errors.ServerError) as excinfo:
        model.invoke("hi")
    assert excinfo.value.status_code == 503
    assert excinfo.value.message == "maintenance"
    assert server.calls == max_retries + 1


async def test_exhausted_retries_async() -> None:
    model, server = make_model(
        error_reply(429, "slow down", headers=FAST), max_retries=2
    )
    with pytest.raises(errors.RateLimitError):
        await model.ainvoke("hi")
    assert server.calls == 3


def test_exhausted_retries_stream() -> None:
    model, server = make_model(error_reply(500, "boom", headers=FAST), max_retries=2)
    with pytest.raises(errors.ServerError):
        list(model.stream("hi"))
    assert server.calls == 3


def test_default_max_retries_is_two() -> None:
    model, server = make_model(error_reply(503, "busy", headers=FAST))
    with pytest.raises(errors.ServerError):
        model.invoke("hi")
    assert server.calls == 3


def test_max_retries_zero_raises_at_once(retry_clock: RecordingClock) -> None:
    model, server = make_model(
        error_reply(429, "slow down", headers={"retry-after": "30"}), max_retries=0
    )
    with pytest.raises(errors.RateLimitError):
        model.invoke("hi")
    assert retry_clock.waits == []  # not the 30 s the server asked
    assert server.calls == 1


@pytest.mark.parametrize("status", NEVER_RETRIED)
def test_client_errors_are_never_retried(status: int) -> None:
    model, server = make_model(
        error_reply(status, "no", headers=FAST), json_reply(completion("ok"))
    )
    with pytest.raises(errors.SambaNovaError):
        model.invoke("hi")
    assert server.calls == 1


@pytest.mark.parametrize("status", NEVER_RETRIED)
async def test_client_errors_are_never_retried_async(status: int) -> None:
    model, server = make_model(
        error_reply(status, "no", headers=FAST), json_reply(completion("ok"))
    )
    with pytest.raises(errors.SambaNovaError):
        await model.ainvoke("hi")
    assert server.calls == 1


@pytest.mark.parametrize("status", NEVER_RETRIED)
def test_client_errors_are_never_retried_stream(status: int) -> None:
    model, server = make_model(
        error_reply(status, "no", headers=FAST), sse_reply(text_chunks("ok"))
    )
    with pytest.raises(errors.SambaNovaError):
        list(model.stream("hi"))
    assert server.calls == 1


def test_context_overflow_is_not_retried() -> None:
    model, server = make_model(
        error_reply(400, "too long", code="context_length_exceeded", headers=FAST)
    )
    with pytest.raises(errors.ContextLengthExceededError):
        model.invoke("hi")
    assert server.calls == 1


# ---------------------------------------------------------------------------
# Server hints: retry-after-ms, retry-after, x-should-retry
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({"retry-after-ms": "1"}, 0.001), ({"retry-after": "0"}, 0.0)],
    ids=["ms", "seconds"],
)
def test_retry_after_is_honoured(
    headers: dict[str, str], wait: float, retry_clock: RecordingClock
) -> None:
    # Without the hint, the backoffs would be 0.4375 s and 0.875 s.
    model, server = make_model(
        error_reply(429, "slow down", headers=headers),
        error_reply(429, "slow down", headers=headers),
        json_reply(completion("ok")),
    )
    assert model.invoke("hi").content == "ok"
    assert retry_clock.waits == [wait, wait]
    assert server.calls == 3


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_retry_after_is_waited_for(
    use_async: bool, retry_clock: RecordingClock
) -> None:
    model, server = make_model(
        error_reply(503, "busy", headers={"retry-after-ms": "150"}),
        json_reply(completion("ok")),
    )
    assert (await _invoke(model, use_async)).content == "ok"
    assert retry_clock.waits == [0.15]
    assert server.calls == 2


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_without_a_hint_the_backoff_doubles_with_jitter(
    use_async: bool, retry_clock: RecordingClock
) -> None:
    model, server = make_model(
        error_reply(503, "busy"), error_reply(503, "busy"), json_reply(completion())
    )
    retry_clock.jitter = 0.2
    assert (await _invoke(model, use_async)).content == "Hello!"
    # 0.5 s then 1 s, each shortened by 25 % of the jitter draw.
    assert retry_clock.waits == [0.5 * 0.95, 1.0 * 0.95]
    assert server.calls == 3


def test_a_model_waits_on_its_own_policy(retry_clock: RecordingClock) -> None:
    """``_retry_policy`` set on one instance wins over the default it was made with."""
    model, server = make_model(
        error_reply(503, "busy", headers={"retry-after": "2"}), max_retries=1
    )
    own = RecordingClock()
    model._retry_policy = own.policy()
    with pytest.raises(errors.ServerError):
        model.invoke("hi")
    assert (own.waits, retry_clock.waits) == ([2.0], [])
    assert server.calls == 2


def test_x_should_retry_false_stops_a_retry() -> None:
    model, server = make_model(
        error_reply(503, "busy", headers={**FAST, "x-should-retry": "false"}),
        json_reply(completion("ok")),
    )
    with pytest.raises(errors.ServerError):
        model.invoke("hi")
    assert server.calls == 1


def test_x_should_retry_true_forces_a_retry() -> None:
    model, server = make_model(
        error_reply(400, "flaky", headers={**FAST, "x-should-retry": "true"}),
        json_reply(completion("ok")),
    )
    assert model.invoke("hi").content == "ok"
    assert server.calls == 2


def test_x_should_retry_true_still_bounded_by_max_retries() -> None:
    model, server = make_model(
        error_reply(400, "flaky", headers={**FAST, "x-should-retry": "true"}),
        max_retries=1,
    )
    with pytest.raises(errors.InvalidRequestError):
        model.invoke("hi")
    assert server.calls == 2


# ---------------------------------------------------------------------------
# Transport failures
# ---------------------------------------------------------------------------


def test_connection_error_is_retried() -> None:
    model, server = make_model(
        raise_reply(httpx.ConnectError("connection refused")),
        json_reply(completion("ok")),
        max_retries=1,
    )
    assert model.invoke("hi").content == "ok"
    assert server.calls == 2


async def test_connection_error_is_retried_async() -> None:
    model, server = make_model(
        raise_reply(httpx.ConnectError("connection refused")),
        json_reply(completion("ok")),
        max_retries=1,
    )
    assert (await model.ainvoke("hi")).content == "ok"
    assert server.calls == 2


def test_connection_error_on_a_stream_is_retried() -> None:
    model, server = make_model(
        raise_reply(httpx.ConnectError("connection refused")),
        sse_reply(text_chunks("ok")),
        max_retries=1,
    )
    assert "".join(c.text for c in model.stream("hi")) == "ok"
    assert server.calls == 2


@pytest.mark.parametrize(
    ("exc", "cls", "core_cls", "message"),
    [
        (
            httpx.ConnectError("connection refused"),
            errors.APIConnectionError,
            core.ModelConnectionError,
            "Could not reach the SambaNova API (ConnectError: connection refused).",
        ),
        (
            # Before any response: not a stream cut, even on a stream request.
            httpx.RemoteProtocolError("server disconnected"),
            errors.APIConnectionError,
            core.ModelConnectionError,
            "Could not reach the SambaNova API "
            "(RemoteProtocolError: server disconnected).",
        ),
        (
            httpx.ConnectTimeout("connect timed out"),
            errors.APITimeoutError,
            core.ModelTimeoutError,
            "The request timed out (ConnectTimeout: connect timed out).",
        ),
    ],
)
@pytest.mark.parametrize("method", ["invoke", "stream"])
def test_connection_errors_exhausted(
    exc: Exception, cls: type, core_cls: type, message: str, method: str
) -> None:
    model, server = make_model(raise_reply(exc), max_retries=0)
    with pytest.raises(cls) as excinfo:
        model.invoke("hi") if method == "invoke" else list(model.stream("hi"))
    assert type(excinfo.value) is cls
    assert isinstance(excinfo.value, core_cls)
    assert excinfo.value.message == message
    assert excinfo.value.__cause__ is exc
    assert server.calls == 1


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_read_timeout_is_not_retried(stream: bool) -> None:
    model, server = make_model(
        raise_reply(httpx.ReadTimeout("read timed out")),
        json_reply(completion("ok")),
        max_retries=2,
    )
    with pytest.raises(errors.APITimeoutError) as excinfo:
        if stream:
            list(model.stream("hi"))
        else:
            model.invoke("hi")
    assert isinstance(excinfo.value, core.ModelTimeoutError)
    assert server.calls == 1


async def test_read_timeout_is_not_retried_async() -> None:
    model, server = make_model(
        raise_reply(httpx.ReadTimeout("read timed out")), max_retries=2
    )
    with pytest.raises(errors.APITimeoutError):
        await model.ainvoke("hi")
    assert server.calls == 1


def test_stream_cut_before_its_first_chunk_is_retried() -> None:
    model, server = make_model(
        broken_sse_reply([]), sse_reply(text_chunks("ok")), max_retries=1
    )
    assert "".join(c.text for c in model.stream("hi")) == "ok"
    assert server.calls == 2


async def test_stream_cut_before_its_first_chunk_is_retried_async() -> None:
    model, server = make_model(
        broken_sse_reply([]), sse_reply(text_chunks("ok")), max_retries=1
    )
    assert "".join([c.text async for c in model.astream("hi")]) == "ok"
    assert server.calls == 2


def test_stream_cut_after_a_chunk_is_not_retried() -> None:
    model, server = make_model(
        broken_sse_reply([chunk({"content": "Once"})]),
        sse_reply(text_chunks("Once upon a time")),
    )
    received = []
    with pytest.raises(errors.StreamInterruptedError):
        for message_chunk in model.stream("hi"):
            received.append(message_chunk.text)
    assert received == ["Once"]
    assert server.calls == 1


async def test_stream_cut_after_a_chunk_is_not_retried_async() -> None:
    model, server = make_model(
        broken_sse_reply([chunk({"content": "Once"})]),
        sse_reply(text_chunks("Once upon a time")),
    )
    received = []
    with pytest.raises(errors.StreamInterruptedError):
        async for message_chunk in model.astream("hi"):
            received.append(message_chunk.text)
    assert received == ["Once"]
    assert server.calls == 1


def test_error_event_before_the_first_chunk_is_retried() -> None:
    model, server = make_model(
        sse_reply(['event: error\ndata: {"error": {"message": "busy"}}'], done=False),
        sse_reply(text_chunks("ok")),
        max_retries=1,
    )
    assert "".join(c.text for c in model.stream("hi")) == "ok"
    assert server.calls == 2


# ---------------------------------------------------------------------------
# Injected clients
# ---------------------------------------------------------------------------


def test_injected_clients_are_used() -> None:
    model, server = make_model()
    assert model.client.sync_http() is model.http_client
    assert model.client.async_http() is model.http_async_client
    model.invoke("hi")
    assert server.calls == 1


# ---------------------------------------------------------------------------
# Stream and body edges (folded from the former test_stream_edges.py)
# ---------------------------------------------------------------------------

ERROR_PAYLOAD = {"error": {"message": "Internal error", "type": "server_error"}}


def test_error_payload_before_first_chunk_is_retried() -> None:
    model, server = make_model(
        sse_reply([ERROR_PAYLOAD], done=False), sse_reply(text_chunks("Hi"))
    )
    assert "".join(c.text for c in model.stream("hi")) == "Hi"
    assert server.calls == 2


def test_error_payload_after_a_chunk_raises_after_the_chunk() -> None:
    model, server = make_model(
        sse_reply([chunk({"content": "He"}), ERROR_PAYLOAD], done=False)
    )
    received = []
    with pytest.raises(errors.StreamEventError, match="Internal error"):
        for piece in model.stream("hi"):
            received.append(piece.text)
    assert received == ["He"]
    assert server.calls == 1


@pytest.mark.parametrize("method", ["stream", "invoke", "astream", "ainvoke"])
async def test_error_body_cut_while_read_is_a_retried_connection_failure(
    method: str,
) -> None:
    def cut_error_body(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            503,
            headers={"content-type": "application/json", **FAST},
            stream=BrokenStream(
                [b'{"error": {"mess'], httpx.RemoteProtocolError("cut")
            ),
        )

    ok = (
        sse_reply(text_chunks("Hi"))
        if method.endswith("stream")
        else json_reply(completion("Hi"))
    )
    model, server = make_model(cut_error_body, ok)
    if method.endswith("stream"):
        assert await _collect(model, method == "astream") == "Hi"
    else:
        assert (await _invoke(model, method == "ainvoke")).content == "Hi"
    assert server.calls == 2


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_a_200_body_holding_an_error_is_typed_by_its_code_not_status_200(
    use_async: bool,
) -> None:
    model, _ = make_model(
        json_reply({"error": {"message": "boom", "code": "internal"}})
    )
    with pytest.raises(errors.ServerError) as info:
        await _invoke(model, use_async)
    assert "200" not in str(info.value) and "boom" in str(info.value)


# ---------------------------------------------------------------------------
# Stream close paths, in-stream errors and the first-chunk rule
# ---------------------------------------------------------------------------


class ClosingBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that records whether it was closed."""

    def __init__(self, parts: list[bytes], exc: Exception | None = None) -> None:
        self.parts = parts
        self.exc = exc
        self.closed = False

    def __iter__(self) -> Any:
        yield from self.parts
        if self.exc:
            raise self.exc

    async def __aiter__(self) -> Any:
        for part in self.parts:
            yield part
        if self.exc:
            raise self.exc

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def _closing_replies(*bodies: ClosingBody) -> list[Any]:
    return [
        (lambda request, body=body: httpx.Response(200, headers=SSE, stream=body))
        for body in bodies
    ]


ERROR_EVENT = 'event: error\ndata: {"error": {"message": "down"}}'


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_every_attempt_is_closed_on_early_failure_and_retry(
    use_async: bool,
) -> None:
    failing = ClosingBody([sse_bytes([ERROR_EVENT], done=False)])
    cut = ClosingBody([], httpx.RemoteProtocolError("cut"))
    good = ClosingBody([sse_bytes(text_chunks("ok"))])
    model, server = make_model(*_closing_replies(failing, cut, good), **NO_WAIT)
    assert await _collect(model, use_async) == "ok"
    assert server.calls == 3
    assert failing.closed and cut.closed and good.closed


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_a_failure_after_the_first_chunk_closes_the_response(
    use_async: bool,
) -> None:
    body = ClosingBody(
        [sse_bytes(text_chunks("a"), done=False)], httpx.ReadError("reset")
    )
    model, server = make_model(*_closing_replies(body), **NO_WAIT)
    with pytest.raises(errors.StreamInterruptedError) as excinfo:
        await _collect(model, use_async)
    assert server.calls == 1 and body.closed
    assert isinstance(excinfo.value.__cause__, httpx.ReadError)


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_in_stream_errors_exhaust_retries_then_raise_the_typed_error(
    use_async: bool,
) -> None:
    model, server = make_model(sse_reply([ERROR_EVENT], done=False), max_retries=2)
    with pytest.raises(errors.StreamEventError, match="down") as excinfo:
        await _collect(model, use_async)
    assert server.calls == 3
    assert excinfo.value.is_retryable is True


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_an_in_stream_invalid_request_is_sent_once(use_async: bool) -> None:
    event = {"error": {"message": "bad", "type": "invalid_request_error"}}
    model, server = make_model(sse_reply([event], done=False), max_retries=2)
    with pytest.raises(errors.StreamInvalidRequestError):
        await _collect(model, use_async)
    assert server.calls == 1


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_a_stream_that_ends_empty_is_retried(use_async: bool) -> None:
    model, server = make_model(
        sse_reply([": keep-alive"], done=False),
        sse_reply(text_chunks("ok")),
        **NO_WAIT,
    )
    assert await _collect(model, use_async) == "ok"
    assert server.calls == 2


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_a_json_error_answering_a_stream_is_the_invoke_error(
    use_async: bool,
) -> None:
    model, server = make_model(
        error_reply(200, "too long", code="context_length_exceeded")
    )
    with pytest.raises(errors.ContextLengthExceededError, match="too long"):
        await _collect(model, use_async)
    assert server.calls == 1


def test_a_200_rate_limit_body_is_retried_like_a_429() -> None:
    model, server = make_model(
        error_reply(200, "slow", code="rate_limit_exceeded"),
        json_reply(completion("ok")),
        **NO_WAIT,
    )
    assert model.invoke("hi").content == "ok"
    assert server.calls == 2


def _corrupt_gzip(status: int) -> Any:
    headers = {"content-encoding": "gzip", "content-type": "application/json"}
    return lambda request: httpx.Response(
        status, stream=ClosingBody([b"\x1f\x8bnot gzip"]), headers=headers
    )


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_corrupt_gzip_on_an_error_status_keeps_the_status(
    use_async: bool,
) -> None:
    """An unreadable error body: the status decides the class; no body is kept."""
    model, _ = make_model(_corrupt_gzip(503), max_retries=0)
    with pytest.raises(errors.ServerError) as excinfo:
        await _invoke(model, use_async)
    error = excinfo.value
    assert type(error) is errors.ServerError and error.status_code == 503
    assert "the error body could not be read (DecodingError)" in error.message
    assert error.body is None


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_corrupt_gzip_on_a_success_is_a_decode_error(use_async: bool) -> None:
    """A 2xx body that cannot be decoded: ResponseDecodeError keeping the cause."""
    model, _ = make_model(_corrupt_gzip(200))
    with pytest.raises(errors.ResponseDecodeError) as excinfo:
        await _invoke(model, use_async)
    error = excinfo.value
    assert error.status_code == 200
    assert error.message.startswith(
        "The response body could not be decoded (DecodingError: "
    )
    assert isinstance(error.__cause__, httpx.DecodingError)


def test_an_error_body_cut_while_read_is_still_closed() -> None:
    body = ClosingBody([b'{"error": '], httpx.ReadError("cut"))
    model, _ = make_model(
        lambda request: httpx.Response(503, stream=body), max_retries=0
    )
    with pytest.raises(errors.APIConnectionError):
        list(model.stream("hi"))
    assert body.closed


# ---------------------------------------------------------------------------
# Per-call options, timeouts, rate limits
# ---------------------------------------------------------------------------


def test_per_call_none_means_the_models_setting() -> None:
    model, server = make_model(
        error_reply(503, headers=FAST),
        json_reply(completion()),
        max_retries=1,
        timeout=9,
    )
    model.invoke("hi", timeout=None, max_retries=None)
    assert server.calls == 2
    assert server.requests[0].extensions["timeout"]["read"] == 9


def test_an_httpx_timeout_is_used_as_given() -> None:
    model, server = make_model(timeout=httpx.Timeout(4, connect=1.5))
    model.invoke("hi")
    model.invoke("hi", timeout=httpx.Timeout(2))
    first, second = (r.extensions["timeout"] for r in server.requests)
    assert first == {"connect": 1.5, "read": 4, "write": 4, "pool": 4}
    assert second == {"connect": 2, "read": 2, "write": 2, "pool": 2}


LIMITS = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-reset-requests": "30",
}
RATE_LIMIT = {"requests": {"limit": 60, "remaining": 59, "reset_seconds": 30.0}}


async def test_rate_limit_headers_reach_the_metadata() -> None:
    model, _ = make_model(
        json_reply(completion(), headers=LIMITS),
        sse_reply(text_chunks("a", "b"), headers=LIMITS),
    )
    assert model.invoke("hi").response_metadata["rate_limit"] == RATE_LIMIT
    model.http_async_client = httpx.AsyncClient(
        transport=httpx.MockTransport(json_reply(completion(), headers=LIMITS))
    )
    assert (await model.ainvoke("hi")).response_metadata["rate_limit"] == RATE_LIMIT
    chunks = list(model.stream("hi"))
    assert [c.response_metadata.get("rate_limit") for c in chunks].count(
        RATE_LIMIT
    ) == 1
    total = chunks[0]
    for piece in chunks[1:]:
        total += piece
    assert total.response_metadata["rate_limit"] == RATE_LIMIT


def test_without_headers_no_rate_limit_key() -> None:
    model, _ = make_model(json_reply(completion()), sse_reply(text_chunks("a")))
    assert "rate_limit" not in model.invoke("hi").response_metadata
    assert all("rate_limit" not in c.response_metadata for c in model.stream("hi"))


def test_a_rate_limit_error_carries_the_headers() -> None:
    model, _ = make_model(error_reply(429, headers={**LIMITS, **FAST}), max_retries=0)
    with pytest.raises(errors.RateLimitError) as excinfo:
        model.invoke("hi")
    assert excinfo.value.rate_limit == RATE_LIMIT


def test_a_daily_quota_is_raised_at_once() -> None:
    model, server = make_model(
        error_reply(429, "Violated duration_s: 86400", headers=FAST), max_retries=3
    )
    with pytest.raises(errors.QuotaExceededError):
        model.invoke("hi")
    assert server.calls == 1


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
@pytest.mark.parametrize(
    "exc",
    [
        httpx.InvalidURL("Invalid port: 'x'"),
        httpx.UnsupportedProtocol("Request URL has an unsupported protocol"),
    ],
)
async def test_an_invalid_url_at_call_time_is_typed_and_not_retried(
    exc: Exception, use_async: bool
) -> None:
    """The backstop behind the base_url check: no raw httpx error escapes."""
    model, server = make_model(raise_reply(exc), max_retries=3)
    with pytest.raises(errors.APIConnectionError) as excinfo:
        await _invoke(model, use_async)
    error = excinfo.value
    assert error.message == (
        f"The request URL is not valid ({type(exc).__name__}): check base_url."
    )
    assert error.is_retryable is False and server.calls == 1
    assert error.__cause__ is None and error.__context__ is None


def test_a_transport_error_quoting_headers_is_not_copied() -> None:
    leak = httpx.LocalProtocolError("Illegal header value b'Bearer sk-x'")
    model, _ = make_model(raise_reply(leak), max_retries=0)
    with pytest.raises(errors.APIConnectionError) as excinfo:
        model.invoke("hi")
    assert "sk-x" not in str(excinfo.value)
    assert excinfo.value.__cause__ is None and excinfo.value.__context__ is None


# ---------------------------------------------------------------------------
# What the typed errors say: messages, status, body, cause
# ---------------------------------------------------------------------------


class NoTransportRetries(RetryPolicy):
    """A policy that never resends after a transport failure."""

    def retryable_transport(self, exc: BaseException) -> bool:
        return False


def transport_error(
    exc: Exception, *, streaming: bool, policy: RetryPolicy | None = None
) -> errors.SambaNovaError:
    """The error the client's translation seam makes of ``exc``."""
    with pytest.raises(errors.SambaNovaError) as caught:
        with translate_failures(streaming=streaming, policy=policy or RetryPolicy()):
            raise exc
    return caught.value


@pytest.mark.parametrize(
    ("exc", "streaming", "cls", "message"),
    [
        (
            httpx.ReadError("reset"),
            True,
            errors.StreamInterruptedError,
            "The connection broke in the middle of the stream (ReadError: reset).",
        ),
        (
            httpx.ReadError("reset"),
            False,
            errors.APIConnectionError,
            "Could not reach the SambaNova API (ReadError: reset).",
        ),
        (
            httpx.ConnectError(""),
            True,
            errors.APIConnectionError,
            "Could not reach the SambaNova API (ConnectError).",
        ),
        (
            httpx.DecodingError("bad gzip"),
            True,
            errors.ResponseDecodeError,
            "The response body could not be decoded (DecodingError: bad gzip).",
        ),
        (
            UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
            False,
            errors.ResponseDecodeError,
            "The response body is not valid JSON ('utf-8' codec can't decode "
            "byte 0xff in position 0: invalid start byte).",
        ),
    ],
)
def test_transport_error_class_and_message(
    exc: Exception, streaming: bool, cls: type, message: str
) -> None:
    """The class depends on the failure and on being mid-stream; text is quoted.

    Undecodable bytes have no text to quote: the message ends at the reason.
    """
    error = transport_error(exc, streaming=streaming)
    assert type(error) is cls
    assert error.message == message


def test_transport_error_quotes_at_most_300_characters() -> None:
    error = transport_error(httpx.ConnectError("x" * 1000), streaming=False)
    assert (
        error.message
        == f"Could not reach the SambaNova API (ConnectError: {'x' * 300})."
    )


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.RemoteProtocolError("cut")]
)
def test_transport_error_is_retryable_as_the_policy_says(
    exc: httpx.HTTPError, streaming: bool
) -> None:
    assert transport_error(exc, streaming=streaming).is_retryable is True
    error = transport_error(exc, streaming=streaming, policy=NoTransportRetries())
    assert error.is_retryable is False


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_a_stream_cut_before_its_first_chunk_is_a_stream_interruption(
    use_async: bool,
) -> None:
    """Retries exhausted: the cut stream is named as such, keeping its cause."""
    model, server = make_model(broken_sse_reply([]), max_retries=0)
    with pytest.raises(errors.StreamInterruptedError) as excinfo:
        await _collect(model, use_async)
    assert excinfo.value.message == (
        "The connection broke in the middle of the stream "
        "(RemoteProtocolError: peer closed connection)."
    )
    assert isinstance(excinfo.value.__cause__, httpx.RemoteProtocolError)
    assert server.calls == 1


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_an_unexpected_error_before_the_first_chunk_propagates_and_closes(
    use_async: bool,
) -> None:
    """Not an HTTP failure: raised unchanged (not retried), the response closed."""
    body = ClosingBody([], RuntimeError("bug in a transport"))
    model, server = make_model(*_closing_replies(body), **NO_WAIT)
    with pytest.raises(RuntimeError, match="bug in a transport"):
        await _collect(model, use_async)
    assert server.calls == 1 and body.closed


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_a_stream_of_only_done_yields_nothing(use_async: bool) -> None:
    model, server = make_model(sse_reply([]))
    client = model.client
    if use_async:
        assert [c async for c in client.astream({"stream": True})] == []
    else:
        assert list(client.stream({"stream": True})) == []
    assert server.calls == 1


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (b"<html>" + b"x" * 300, repr("<html>" + "x" * 194)),
        (b"\xff not json", repr("\ufffd not json")),
    ],
)
def test_a_success_that_is_not_json_is_a_decode_error(
    content: bytes, shown: str
) -> None:
    """The message quotes the first 200 characters; the whole text is kept."""
    model, _ = make_model(lambda request: httpx.Response(200, content=content))
    with pytest.raises(errors.ResponseDecodeError) as excinfo:
        model.invoke("hi")
    error = excinfo.value
    assert error.message.startswith("The response body is not valid JSON (")
    assert error.message.endswith(f": {shown}")
    assert error.status_code == 200
    assert error.body == content.decode("utf-8", errors="replace")


@pytest.mark.parametrize("body", [[1, 2], "hello", 3])
def test_a_success_that_is_not_a_json_object_is_a_decode_error(body: Any) -> None:
    model, server = make_model(json_reply(body), **NO_WAIT)
    with pytest.raises(errors.ResponseDecodeError) as excinfo:
        model.invoke("hi")
    error = excinfo.value
    assert error.message == "The response body is not a JSON object."
    assert error.status_code == 200
    assert error.body == httpx.Response(200, json=body).text
    assert server.calls == 1  # a 200 that is not an object is not retried


def test_invalid_utf8_in_a_completion_is_replaced_not_fatal() -> None:
    body = json_reply(completion("caf_")).__call__(httpx.Request("POST", "/"))
    content = body.content.replace(b"caf_", b"caf\xe9")
    model, _ = make_model(lambda request: httpx.Response(200, content=content))
    assert model.invoke("hi").content == "caf\ufffd"


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_invalid_utf8_in_a_json_error_answering_a_stream_is_replaced(
    use_async: bool,
) -> None:
    content = json_reply(
        {"error": {"message": "too long_", "code": "context_length_exceeded"}}
    )(httpx.Request("POST", "/")).content.replace(b"long_", b"long\xff")
    model, _ = make_model(
        lambda request: httpx.Response(
            200, content=content, headers={"content-type": "application/json"}
        )
    )
    with pytest.raises(errors.ContextLengthExceededError) as excinfo:
        await _collect(model, use_async)
    assert excinfo.value.message == "too long\ufffd"


@pytest.mark.parametrize(
    ("headers", "named"),
    [({"content-type": "text/plain"}, "'text/plain'"), ({}, "'no content type'")],
)
@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_a_stream_request_answered_without_sse_is_a_decode_error(
    headers: dict[str, str], named: str, use_async: bool
) -> None:
    model, server = make_model(
        lambda request: httpx.Response(200, content=b"hello", headers=headers),
        **NO_WAIT,
    )
    with pytest.raises(errors.ResponseDecodeError) as excinfo:
        await _collect(model, use_async)
    assert excinfo.value.message == (
        f"Expected a text/event-stream response to a streaming request, got {named}."
    )
    assert excinfo.value.status_code == 200
    assert server.calls == 1


# ---------------------------------------------------------------------------
# A 2xx body holding an error: its headers still count
# ---------------------------------------------------------------------------


def test_a_200_error_body_carries_the_rate_limit_headers() -> None:
    model, _ = make_model(
        error_reply(200, "slow", code="rate_limit_exceeded", headers=LIMITS),
        max_retries=0,
    )
    with pytest.raises(errors.RateLimitError) as excinfo:
        model.invoke("hi")
    assert excinfo.value.rate_limit == RATE_LIMIT


def test_a_200_error_body_retry_waits_as_its_retry_after_says(
    caplog: pytest.LogCaptureFixture, retry_clock: RecordingClock
) -> None:
    model, server = make_model(
        error_reply(200, "slow", code="rate_limit_exceeded", headers=FAST),
        json_reply(completion("ok")),
    )
    with caplog.at_level(logging.DEBUG, logger="langchain_provider"):
        assert model.invoke("hi").content == "ok"
    assert server.calls == 2
    assert retry_clock.waits == [0.001]
    # The log line's wording (its rounded delay is for people, not for tests).
    [record] = [r for r in caplog.records if "retry" in r.getMessage()]
    assert record.getMessage() == (
        "SambaNova request failed (SambaNova API error (rate_limit_exceeded): "
        "slow); retry 1 of 2 in 0.00s"
    )


# ---------------------------------------------------------------------------
# The request sent for a stream
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
async def test_a_stream_request_asks_for_sse_with_the_stream_timeout(
    use_async: bool,
) -> None:
    """Without a timeout, a stream gets 60 s between reads (not 600 s in all)."""
    model, server = make_model(sse_reply(text_chunks("ok")))
    assert await _collect(model, use_async) == "ok"
    [request] = server.requests
    assert request.headers["accept"] == "text/event-stream"
    assert request.extensions["timeout"] == {
        "connect": 5.0,
        "read": STREAM_READ_TIMEOUT,
        "write": STREAM_READ_TIMEOUT,
        "pool": STREAM_READ_TIMEOUT,
    }


# ============================================================================
# Connection pools and their lifecycle (``_http.ConnectionPools``).
# ============================================================================


def test_models_share_one_pool_whatever_their_timeouts() -> None:
    first = ChatSambaNova(api_key=API_KEY)
    second = ChatSambaNova(api_key=API_KEY, model="gpt-oss-120b", timeout=5)
    third = ChatSambaNova(api_key=API_KEY, timeout=httpx.Timeout(3, connect=1))
    client = first.client.sync_http()
    assert second.client.sync_http() is client
    assert third.client.sync_http() is client
    assert client is SHARED.sync_client()


def test_the_pool_is_bounded() -> None:
    pool = SHARED.sync_client()._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == POOL_LIMITS.max_connections == 1000
    assert pool._max_keepalive_connections == POOL_LIMITS.max_keepalive_connections


def test_a_closed_shared_client_is_replaced_not_reused() -> None:
    pools = ConnectionPools()
    first = pools.sync_client()
    first.close()
    second = pools.sync_client()
    assert second is not first and not second.is_closed
    pools.close()
    assert second.is_closed
    assert pools.sync_client() is not second


async def test_async_pool_is_per_event_loop() -> None:
    here = SHARED.async_client()
    assert SHARED.async_client() is here

    def in_another_loop() -> Any:
        async def get() -> httpx.AsyncClient:
            return SHARED.async_client()

        return asyncio.run(get())

    there = await asyncio.to_thread(in_another_loop)
    assert there is not here
    assert there.is_closed  # its loop closed, and closed it


async def test_a_closed_async_client_is_replaced() -> None:
    pools = ConnectionPools()
    first = pools.async_client()
    await first.aclose()
    second = pools.async_client()
    assert second is not first
    await pools.aclose()
    assert second.is_closed


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_never_uses_the_parents_clients() -> None:
    parent = SHARED.sync_client()
    own = ConnectionPools()
    own_parent = own.sync_client()
    pid = os.fork()
    if pid == 0:  # the child
        fresh = SHARED.sync_client()
        ok = (
            fresh is not parent
            and not parent.is_closed  # not closed: the parent still uses it
            and own.sync_client() is not own_parent
        )
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert SHARED.sync_client() is parent  # the parent keeps its pool


async def test_closing_a_running_loop_fails_and_keeps_its_client() -> None:
    """``loop.close()`` on a running loop is refused; its pooled client stays."""
    pools = ConnectionPools()
    client = pools.async_client()
    loop = asyncio.get_running_loop()
    with pytest.raises(RuntimeError, match="running event loop"):
        loop.close()
    assert pools.async_client() is client and not client.is_closed
    await pools.aclose()


async def test_in_a_forked_child_pools_forget_their_clients_unclosed() -> None:
    """What fork runs in the child, run here: new clients, the old ones kept open.

    (In a real child coverage cannot follow; see the fork test above.)
    """
    pools = ConnectionPools()
    sync, here = pools.sync_client(), pools.async_client()
    inherited = [weakref.ref(sync), weakref.ref(here)]
    _reset_in_child()
    assert pools.sync_client() is not sync and pools.async_client() is not here
    assert not sync.is_closed and not here.is_closed
    del sync, here
    gc.collect()
    # Still referenced: collecting them could close sockets the parent uses.
    assert all(ref() is not None for ref in inherited)
    await pools.aclose()


# ============================================================================
# A model's own connection lifecycle (``_lifecycle``): ``with``, ``close``.
# ============================================================================


def test_with_gives_the_model_its_own_pool_and_closes_it() -> None:
    with ChatSambaNova(api_key=API_KEY) as model:
        own = model.client.sync_http()
        assert own is not SHARED.sync_client()
    assert own.is_closed and not SHARED.sync_client().is_closed
    assert model.client.sync_http() is SHARED.sync_client()
    model.close()  # idempotent


async def test_async_with_closes_its_own_async_pool() -> None:
    async with ChatSambaNova(api_key=API_KEY) as model:
        own = model.client.async_http()
        assert own is not SHARED.async_client()
    assert own.is_closed and not SHARED.async_client().is_closed


async def test_clients_passed_in_are_never_closed() -> None:
    model, server = make_model()
    with model:
        model.invoke("hi")
    async with model:
        await model.ainvoke("hi")
    model.close()
    await model.aclose()
    assert not model.http_client.is_closed
    assert not model.http_async_client.is_closed
    assert server.calls == 2


# ============================================================================
# Request headers and API-key hygiene (``_headers``), through the real client.
# ============================================================================

KEY = "sk-unit-0f9e8d7c"


@pytest.mark.parametrize(
    "raw", [KEY + "\n", KEY + "\r\n", f"  {KEY}\t", "\ufeff" + KEY, KEY + "\u200b"]
)
def test_surrounding_whitespace_is_stripped(raw: str) -> None:
    normalized = normalize_api_key(raw)
    assert normalized is not None and normalized.get_secret_value() == KEY
    model, server = make_model(api_key=raw)
    model.invoke("hi")
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_a_clean_key_is_kept_as_is() -> None:
    key = SecretStr(KEY)
    assert normalize_api_key(key) is key
    assert normalize_api_key(None) is None


def test_a_key_comes_back_secret_and_stripped_whatever_its_form() -> None:
    """A plain string comes back a SecretStr (never as text), and a SecretStr
    with stray whitespace comes back stripped, not as given."""
    plain = normalize_api_key(KEY)
    assert isinstance(plain, SecretStr) and plain.get_secret_value() == KEY
    padded = normalize_api_key(SecretStr(f" {KEY}\n"))
    assert isinstance(padded, SecretStr) and padded.get_secret_value() == KEY


def test_the_endpoint_is_the_base_url_without_its_trailing_slashes() -> None:
    for base_url, path in [
        ("http://h.test/vX", "/vX/chat/completions"),
        ("http://h.test/v1//", "/v1/chat/completions"),
    ]:
        model, server = make_model(base_url=base_url)
        model.invoke("hi")
        assert server.requests[0].url.path == path


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("\n", "U+000A (a control character)"),
        ("\x7f", "U+007F (a control character)"),
        ("é", "U+00E9"),
    ],
)
def test_a_key_that_cannot_be_a_header_is_refused_naming_the_problem(
    bad: str, named: str
) -> None:
    key = KEY[:5] + bad + KEY[5:]
    with pytest.raises(ValueError, match="API key cannot be sent") as excinfo:
        ChatSambaNova(api_key=key)
    assert named in str(excinfo.value) and "character 6" in str(excinfo.value)
    advice = ". Check the key for stray characters (e.g. copied from a document)."
    assert advice in str(excinfo.value)
    for text in (str(excinfo.value), repr(excinfo.value)):
        assert KEY[5:] not in text and KEY[:5] not in text


def test_an_empty_key_sends_no_authorization_header() -> None:
    assert "authorization" not in build_headers(SecretStr(""), None, stream=False)
    model, server = make_model(api_key="  \r\n", base_url="http://localhost:8000/v1")
    model.invoke("hi")
    assert "authorization" not in server.requests[0].headers


def test_the_headers_of_a_request_with_a_key() -> None:
    """JSON in, JSON out, our user agent, the key as a bearer token: nothing else."""
    assert build_headers(SecretStr(KEY), None, stream=False) == {
        "content-type": "application/json",
        "accept": "application/json",
        "user-agent": USER_AGENT,
        "authorization": f"Bearer {KEY}",
    }


def test_accept_follows_the_kind_of_request() -> None:
    assert build_headers(None, None, stream=True)["accept"] == "text/event-stream"
    assert build_headers(None, None, stream=False)["accept"] == "application/json"
    model, server = make_model()
    model.invoke("hi")
    server.replies = [sse_reply(text_chunks("a"))]
    list(model.stream("hi"))
    accepts = [r.headers.get_list("accept") for r in server.requests]
    assert accepts == [["application/json"], ["text/event-stream"]]
    assert server.requests[0].headers["user-agent"] == USER_AGENT


@pytest.mark.parametrize("name", ["authorization", "AUTHORIZATION", "Authorization"])
def test_default_authorization_wins_over_the_key_and_is_sent_once(name: str) -> None:
    headers = build_headers(SecretStr(KEY), {name: "Bearer gateway"}, stream=False)
    assert headers["authorization"] == "Bearer gateway"
    assert len([h for h in headers if h.lower() == "authorization"]) == 1
    model, server = make_model(api_key=KEY, default_headers={name: "Bearer gateway"})
    model.invoke("hi")
    assert server.requests[0].headers.get_list("authorization") == ["Bearer gateway"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("user-agent", "mine/1"),
        ("ACCEPT", "*/*"),
        ("Content-Type", "application/json; charset=utf-8"),
        ("X-Extra", "1"),
    ],
)
def test_default_headers_replace_ours_whatever_their_case(
    name: str, value: str
) -> None:
    model, server = make_model(default_headers={name: value})
    model.invoke("hi")
    assert server.requests[0].headers.get_list(name) == [value]


def test_an_authorization_header_stands_in_for_the_key_on_the_live_service() -> None:
    ChatSambaNova(default_headers={"Authorization": "Bearer gateway"})
    with pytest.raises(ValueError, match="No SambaNova API key"):
        ChatSambaNova()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-Key": "a\nb"}, r"default_headers\['X-Key'\] cannot be sent: character 2"),
        ({"Bad Name": "x"}, "invalid header name 'Bad Name'"),
        ({"Bad:Name": "x"}, "invalid header name 'Bad:Name'"),
        ({"X-Num": 5}, "must be strings"),
    ],
)
def test_default_headers_that_cannot_be_sent_are_refused(
    headers: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_default_headers(headers)


# -- closing async clients from sync code (``with`` around ``ainvoke``) ---------


def _pools_with_a_client_on(loop: asyncio.AbstractEventLoop) -> tuple[Any, Any]:
    from langchain_provider._http import ConnectionPools

    pools = ConnectionPools()

    async def open_client() -> Any:
        return pools.async_client()

    return pools, loop.run_until_complete(open_client())


def test_close_closes_an_idle_loops_client_by_running_that_loop() -> None:
    loop = asyncio.new_event_loop()
    try:
        pools, client = _pools_with_a_client_on(loop)
        pools.close()
        assert client.is_closed
        assert loop not in pools._async
    finally:
        loop.close()


async def test_close_inside_the_running_loop_schedules_the_close_on_it() -> None:
    from langchain_provider._http import ConnectionPools

    pools = ConnectionPools()
    client = pools.async_client()
    pools.close()  # a plain `with` block around `await llm.ainvoke(...)`
    assert not client.is_closed  # a task was scheduled, not run inline
    for _ in range(10):
        await asyncio.sleep(0)
        if client.is_closed:
            break
    assert client.is_closed
    assert asyncio.get_running_loop() not in pools._async


def test_close_sends_the_close_to_a_loop_running_in_another_thread() -> None:
    loop = asyncio.new_event_loop()
    pools, client = _pools_with_a_client_on(loop)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        pools.close()
        for _ in range(1000):
            if client.is_closed:
                break
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result(30)
        assert client.is_closed
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def test_close_after_the_loop_closed_just_forgets_its_client() -> None:
    loop = asyncio.new_event_loop()
    pools, client = _pools_with_a_client_on(loop)
    loop.close()  # the loop's own hook closed the client already
    pools.close()
    assert loop not in pools._async
    assert client.is_closed


def test_close_after_a_loop_closed_without_its_hook_lets_the_pools_go() -> None:
    """A loop whose close cannot be hooked (uvloop): its client is only forgotten.

    Its entry is dropped too, so the closed loop does not keep the pools alive.
    """
    loop = asyncio.new_event_loop()
    pools, _ = _pools_with_a_client_on(loop)
    type(loop).close(loop)  # the loop's own close: the hook never runs
    pools.close()
    assert loop not in pools._async
    gone = weakref.ref(pools)
    del pools
    gc.collect()
    assert gone() is None


async def test_a_close_scheduled_on_the_running_loop_is_not_kept_once_done() -> None:
    from langchain_provider._http import ConnectionPools

    pools = ConnectionPools()
    client = pools.async_client()
    pools.close()
    (task,) = asyncio.all_tasks() - {asyncio.current_task()}
    gone = weakref.ref(task)
    del task
    for _ in range(10):
        await asyncio.sleep(0)
    gc.collect()
    assert client.is_closed
    assert gone() is None  # a `with` block per call must not pile tasks up


def test_in_a_forked_child_closing_a_loop_of_the_parent_closes_nothing() -> None:
    """The child forgot the parent's clients: the loop's hook finds none to close."""
    loop = asyncio.new_event_loop()
    _, client = _pools_with_a_client_on(loop)
    _reset_in_child()  # what fork runs in the child
    loop.close()
    assert loop.is_closed()
    assert not client.is_closed  # the parent's, still in use there


def test_closing_a_loop_closes_the_client_of_every_pools_on_it() -> None:
    from langchain_provider._http import ConnectionPools

    loop = asyncio.new_event_loop()
    first, second = ConnectionPools(), ConnectionPools()

    async def open_clients() -> list[Any]:
        return [first.async_client(), second.async_client()]

    clients = loop.run_until_complete(open_clients())
    loop.close()
    assert [client.is_closed for client in clients] == [True, True]


async def test_aclose_also_closes_the_clients_on_other_loops() -> None:
    from langchain_provider._http import ConnectionPools

    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever, daemon=True)
    thread.start()
    pools = ConnectionPools()

    async def open_client() -> Any:
        return pools.async_client()

    def on_other(coroutine: Any) -> Any:
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, other))

    try:
        there = await on_other(open_client())
        here = pools.async_client()
        await pools.aclose()
        for _ in range(1000):
            if there.is_closed:
                break
            await on_other(asyncio.sleep(0))
        assert here.is_closed and there.is_closed
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join(timeout=30)
        other.close()


async def test_after_aclose_the_running_loop_does_not_keep_the_pools_alive() -> None:
    from langchain_provider._http import ConnectionPools

    pools = ConnectionPools()
    pools.async_client()
    await pools.aclose()
    gone = weakref.ref(pools)
    del pools
    gc.collect()
    assert gone() is None


def test_aclose_inside_a_loop_leaves_an_idle_loops_client_to_that_loop() -> None:
    """An idle loop cannot run inside another: its own close hook closes it."""
    from langchain_provider._http import ConnectionPools

    other = asyncio.new_event_loop()
    pools, idle_client = _pools_with_a_client_on(other)

    async def main() -> Any:
        client = pools.async_client()
        await pools.aclose()  # raised RuntimeError: another loop is running
        return client

    try:
        assert isinstance(pools, ConnectionPools)
        assert asyncio.run(main()).is_closed
        assert not idle_client.is_closed
    finally:
        other.close()
    assert idle_client.is_closed
