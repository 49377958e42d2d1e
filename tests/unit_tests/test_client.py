"""The HTTP layer: retries (counted at the server), transport failures, pools.

Retried replies carry ``retry-after-ms: 1`` so the suite stays fast; the only
real backoff sleeps are for transport failures, which carry no header, and
those tests allow a single retry. The policy itself (statuses, delays) is
tested without I/O in ``test_retry.py``; pools in ``test_transport.py``.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

import httpx
import pytest
from langchain_core import exceptions as core

from langchain_provider import ChatSambaNova, errors
from unit_tests.conftest import (
    API_KEY,
    broken_sse_reply,
    chunk,
    completion,
    error_reply,
    json_reply,
    make_model,
    raise_reply,
    sse_reply,
    text_chunks,
)

FAST = {"retry-after-ms": "1"}
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


def test_max_retries_zero_raises_at_once() -> None:
    model, server = make_model(
        error_reply(429, "slow down", headers={"retry-after": "30"}), max_retries=0
    )
    start = time.monotonic()
    with pytest.raises(errors.RateLimitError):
        model.invoke("hi")
    assert time.monotonic() - start < 1
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
    "headers", [{"retry-after-ms": "1"}, {"retry-after": "0"}], ids=["ms", "seconds"]
)
def test_retry_after_is_honoured(headers: dict[str, str]) -> None:
    # Without the hint, the first backoff is at least 0.375 s.
    model, server = make_model(
        error_reply(429, "slow down", headers=headers),
        error_reply(429, "slow down", headers=headers),
        json_reply(completion("ok")),
    )
    start = time.monotonic()
    assert model.invoke("hi").content == "ok"
    assert time.monotonic() - start < 0.3
    assert server.calls == 3


def test_retry_after_is_waited_for() -> None:
    model, server = make_model(
        error_reply(503, "busy", headers={"retry-after-ms": "150"}),
        json_reply(completion("ok")),
    )
    start = time.monotonic()
    model.invoke("hi")
    assert time.monotonic() - start >= 0.14
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
    ("exc", "cls", "core_cls"),
    [
        (
            httpx.ConnectError("connection refused"),
            errors.APIConnectionError,
            core.ModelConnectionError,
        ),
        (
            httpx.RemoteProtocolError("server disconnected"),
            errors.APIConnectionError,
            core.ModelConnectionError,
        ),
        (
            httpx.ConnectTimeout("connect timed out"),
            errors.APITimeoutError,
            core.ModelTimeoutError,
        ),
    ],
)
def test_connection_errors_exhausted(exc: Exception, cls: type, core_cls: type) -> None:
    model, server = make_model(raise_reply(exc), max_retries=0)
    with pytest.raises(cls) as excinfo:
        model.invoke("hi")
    assert isinstance(excinfo.value, core_cls)
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
    assert model.client._sync_client() is model.http_client
    assert model.client._async_client() is model.http_async_client
    model.invoke("hi")
    assert server.calls == 1
