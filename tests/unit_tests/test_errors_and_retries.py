"""When a call fails: the typed errors and their classification, the retry
policy and its waits, rate-limit headers and the pacer.
"""

from __future__ import annotations

import asyncio
import copy
import email.utils
import json
import pickle
import random
import threading
import time
from typing import Any

import httpx
import pytest
from langchain_core import exceptions as core
from langchain_core.exceptions import ContextOverflowError, ModelRateLimitError
from pydantic import SecretStr

from langchain_provider import ChatSambaNova, errors
from langchain_provider._retry import (
    DEFAULT_POLICY,
    Pacer,
    RetryPolicy,
    Ticket,
    pacer_for,
    parse_reset,
    quota_reset_seconds,
    rate_limit_from_headers,
    retry_after_seconds,
)
from langchain_provider.errors import (
    class_for,
    classify,
    decode_json,
    error_from_http,
)
from unit_tests.conftest import (
    SSE_HEADERS,
    broken_sse_reply,
    chunk,
    completion,
    error_reply,
    json_reply,
    make_model,
    sse_reply,
    text_reply,
)

# ============================================================================
# Errors: every status to its typed class, bodies of every shape, stream faults.
# Each typed error must also be the matching ``langchain_core.exceptions`` class,
# carry what the server said (status, message, code, param, request id), and a
# stream that fails must raise after yielding what came before, never end as a
# silent, truncated success.
# ============================================================================

# (status, code, our class, langchain-core class)
STATUSES = [
    (400, "invalid_type", errors.InvalidRequestError, core.ModelInvalidRequestError),
    (
        400,
        "context_length_exceeded",
        errors.ContextLengthExceededError,
        core.ContextOverflowError,
    ),
    (401, "invalid_api_key", errors.AuthenticationError, core.ModelAuthenticationError),
    (
        402,
        "payment_required",
        errors.PaymentRequiredError,
        core.ModelPermissionDeniedError,
    ),
    (403, None, errors.PermissionDeniedError, core.ModelPermissionDeniedError),
    (404, "model_not_found", errors.NotFoundError, core.ModelNotFoundError),
    (408, None, errors.APITimeoutError, core.ModelTimeoutError),
    (409, None, errors.APIStatusError, core.ModelError),
    (410, "model_deprecated", errors.NotFoundError, core.ModelNotFoundError),
    (422, None, errors.InvalidRequestError, core.ModelInvalidRequestError),
    (429, "rate_limit_exceeded", errors.RateLimitError, core.ModelRateLimitError),
    (500, None, errors.ServerError, core.ModelAPIError),
    (503, None, errors.ServerError, core.ModelAPIError),
    (504, None, errors.ServerError, core.ModelAPIError),
]
STATUS_IDS = [f"{s}-{c}" if c else str(s) for s, c, _, _ in STATUSES]


@pytest.mark.parametrize(
    ("status", "code", "cls", "core_cls"), STATUSES, ids=STATUS_IDS
)
def test_status_maps_to_typed_error(
    status: int, code: str | None, cls: type, core_cls: type
) -> None:
    reply = error_reply(
        status,
        "The server says no.",
        code=code,
        param="top_p",
        type="invalid_request_error",
        request_id="req-123",
    )
    model, server = make_model(reply, max_retries=0)
    with pytest.raises(cls) as excinfo:
        model.invoke("hi")
    error = excinfo.value
    assert type(error) is cls
    assert isinstance(error, core_cls)
    assert isinstance(error, errors.SambaNovaError)
    assert isinstance(error, core.ModelError)
    assert error.status_code == status
    assert error.message == "The server says no."
    assert error.code == code
    assert error.param == "top_p"
    assert error.error_type == "invalid_request_error"
    assert error.request_id == "req-123"
    text = str(error)
    assert str(status) in text
    assert "The server says no." in text
    assert "req-123" in text
    assert server.calls == 1


@pytest.mark.parametrize(
    ("status", "code", "cls", "core_cls"), STATUSES, ids=STATUS_IDS
)
async def test_status_maps_to_typed_error_async(
    status: int, code: str | None, cls: type, core_cls: type
) -> None:
    model, _ = make_model(error_reply(status, "no", code=code), max_retries=0)
    with pytest.raises(cls) as excinfo:
        await model.ainvoke("hi")
    assert isinstance(excinfo.value, core_cls)
    assert excinfo.value.status_code == status


@pytest.mark.parametrize(
    ("status", "code", "cls", "core_cls"), STATUSES, ids=STATUS_IDS
)
def test_status_on_a_stream_request(
    status: int, code: str | None, cls: type, core_cls: type
) -> None:
    model, _ = make_model(error_reply(status, "no", code=code), max_retries=0)
    with pytest.raises(cls) as excinfo:
        list(model.stream("hi"))
    assert isinstance(excinfo.value, core_cls)
    assert excinfo.value.status_code == status


def test_context_length_exceeded_is_invalid_request_and_context_overflow() -> None:
    model, _ = make_model(
        error_reply(
            400,
            "This model's maximum context length is 131072 tokens.",
            code="context_length_exceeded",
            param="messages",
        )
    )
    with pytest.raises(core.ContextOverflowError) as excinfo:
        model.invoke("hi")
    assert isinstance(excinfo.value, errors.InvalidRequestError)
    assert isinstance(excinfo.value, core.ModelInvalidRequestError)
    assert "131072" in str(excinfo.value)


def test_a_bad_request_without_a_code_is_an_overflow_when_its_message_says_so() -> None:
    quoted = "This model's maximum context length is 131072 tokens."
    model, _ = make_model(error_reply(400, quoted), max_retries=0)
    with pytest.raises(errors.ContextLengthExceededError) as excinfo:
        model.invoke("hi")
    assert excinfo.value.message == quoted
    assert excinfo.value.code is None


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (422, errors.InvalidRequestError),
        (429, errors.RateLimitError),
        (502, errors.ServerError),
    ],
)
def test_plain_text_error_body(status: int, cls: type) -> None:
    model, _ = make_model(
        text_reply("Expected one of: ['str'], got list", status), max_retries=0
    )
    with pytest.raises(cls) as excinfo:
        model.invoke("hi")
    assert excinfo.value.message == "Expected one of: ['str'], got list"
    assert excinfo.value.status_code == status
    assert excinfo.value.code is None


def test_empty_error_body() -> None:
    model, _ = make_model(lambda request: httpx.Response(500), max_retries=0)
    with pytest.raises(errors.ServerError) as excinfo:
        model.invoke("hi")
    assert "500" in excinfo.value.message


def test_request_id_from_header_when_body_has_none() -> None:
    reply = error_reply(429, "slow down", headers={"x-request-id": "hdr-42"})
    model, _ = make_model(reply, max_retries=0)
    with pytest.raises(errors.RateLimitError) as excinfo:
        model.invoke("hi")
    assert excinfo.value.request_id == "hdr-42"


def test_request_id_in_body_wins_over_header() -> None:
    reply = error_reply(
        400, "bad", request_id="body-1", headers={"x-request-id": "hdr-1"}
    )
    model, _ = make_model(reply)
    with pytest.raises(errors.InvalidRequestError) as excinfo:
        model.invoke("hi")
    assert excinfo.value.request_id == "body-1"


def test_error_object_without_envelope() -> None:
    model, _ = make_model(
        json_reply({"message": "bad key", "code": "invalid_authentication"}, 401)
    )
    with pytest.raises(errors.AuthenticationError) as excinfo:
        model.invoke("hi")
    assert excinfo.value.message == "bad key"
    assert excinfo.value.code == "invalid_authentication"


def test_a_200_body_holding_an_error_raises() -> None:
    body = {"error": {"message": "model overloaded", "code": "overloaded"}}
    model, _ = make_model(json_reply(body, 200))
    with pytest.raises(errors.SambaNovaError) as excinfo:
        model.invoke("hi")
    assert excinfo.value.message == "model overloaded"
    assert excinfo.value.code == "overloaded"


def test_a_200_body_that_is_not_json_raises() -> None:
    model, _ = make_model(text_reply("<html>gateway</html>", 200))
    with pytest.raises(errors.ResponseDecodeError):
        model.invoke("hi")


def test_a_200_body_that_is_not_an_object_raises() -> None:
    model, _ = make_model(json_reply([1, 2, 3]))
    with pytest.raises(errors.ResponseDecodeError):
        model.invoke("hi")


@pytest.mark.parametrize(
    ("error", "extra"),
    [
        (
            errors.RateLimitError(
                "slow down", status_code=429, code="rate", param="p", request_id="r"
            ),
            {},
        ),
        (
            errors.QuotaExceededError(
                "used up", reset_seconds=90.0, status_code=429, request_id="r"
            ),
            {"reset_seconds": 90.0},
        ),
        (
            errors.ServerError(
                "x-should-retry: false", status_code=503, retryable=False
            ),
            {},
        ),
    ],
)
def test_errors_pickle(error: errors.SambaNovaError, extra: dict[str, Any]) -> None:
    """Errors cross process boundaries (multiprocessing, LangGraph checkpoints)."""
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    fields = ("message", "status_code", "code", "param", "request_id", "is_retryable")
    assert [getattr(clone, f) for f in fields] == [getattr(error, f) for f in fields]
    assert {name: getattr(clone, name) for name in extra} == extra
    assert str(clone) == str(error)


def test_str_names_status_code_param_and_request_id() -> None:
    """``str(error)`` is what logs show: every identifying field, when present."""
    error = errors.RateLimitError(
        "slow down", status_code=429, code="rate", param="p", request_id="r"
    )
    assert (
        str(error)
        == "SambaNova API error 429 (rate): slow down [param=p] [request_id=r]"
    )
    assert str(errors.ServerError("boom")) == "SambaNova API error: boom"


def test_messages_are_cut_only_beyond_2000_characters() -> None:
    """A 2000-character message stays whole; one more and it is cut, marked so."""
    assert errors.ServerError("x" * 2000).message == "x" * 2000
    cut = errors.ServerError("x" * 2001).message
    assert cut == "x" * 2000 + "... [cut: 1 more characters in .body]"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error": {"message": "nope"}}', "nope"),
        (b"plain words", "plain words"),
        (b"", "HTTP 418 with an empty body"),
        (b'"just a string"', "just a string"),
    ],
)
def test_error_from_response_shapes(body: bytes, message: str) -> None:
    error = error_from_http(418, body, httpx.Headers())
    assert type(error) is errors.APIStatusError
    assert error.message == message
    assert error.status_code == 418


@pytest.mark.parametrize(
    ("in_stream", "cls"),
    [
        (False, errors.RateLimitError),
        (True, errors.StreamRateLimitError),
    ],
)
def test_classify_keeps_status_and_request_id(in_stream: bool, cls: type) -> None:
    """An in-stream error is also a StreamEventError of the same kind."""
    payload = {"error": {"message": "slow"}}
    error = classify(payload, status_code=429, request_id="rid", in_stream=in_stream)
    assert type(error) is cls
    assert (error.message, error.status_code, error.request_id) == ("slow", 429, "rid")


def test_classify_context_code_wins_in_a_stream() -> None:
    payload = {"error": {"message": "too long", "code": "context_length_exceeded"}}
    error = classify(payload, status_code=None, in_stream=True)
    assert isinstance(error, errors.ContextLengthExceededError)


# ---------------------------------------------------------------------------
# Faults in the middle of a stream
# ---------------------------------------------------------------------------

FIRST = chunk({"role": "assistant", "content": "Once"})
SECOND = chunk({"content": " upon"})

STREAM_FAULTS: dict[str, tuple[Any, type]] = {
    "event: error": (
        sse_reply(
            [
                FIRST,
                SECOND,
                'event: error\ndata: {"error": {"message": "model crashed", '
                '"code": "internal"}}',
            ],
            done=False,
        ),
        errors.StreamEventError,
    ),
    "event: error_event": (
        sse_reply(
            [FIRST, SECOND, 'event: error_event\ndata: {"message": "queue reset"}'],
            done=False,
        ),
        errors.StreamEventError,
    ),
    "event: error with plain text": (
        sse_reply([FIRST, SECOND, "event: error\ndata: overloaded"], done=False),
        errors.StreamEventError,
    ),
    "data payload with error": (
        sse_reply(
            [
                FIRST,
                SECOND,
                {"error": {"message": "generation failed", "code": "internal"}},
            ]
        ),
        errors.StreamEventError,
    ),
    "data payload with context overflow": (
        sse_reply(
            [
                FIRST,
                SECOND,
                {"error": {"message": "too long", "code": "context_length_exceeded"}},
            ]
        ),
        errors.ContextLengthExceededError,
    ),
    "malformed JSON chunk": (
        sse_reply([FIRST, SECOND, 'data: {"id": "resp-1", "choices": [']),
        errors.ResponseDecodeError,
    ),
    "chunk that is not an object": (
        sse_reply([FIRST, SECOND, "data: [1, 2]"]),
        errors.ResponseDecodeError,
    ),
    "stream ends without [DONE]": (
        sse_reply([FIRST, SECOND], done=False),
        errors.StreamInterruptedError,
    ),
    "connection cut (RemoteProtocolError)": (
        broken_sse_reply([FIRST, SECOND]),
        errors.StreamInterruptedError,
    ),
    "connection reset (ReadError)": (
        broken_sse_reply([FIRST, SECOND], httpx.ReadError("connection reset")),
        errors.StreamInterruptedError,
    ),
    "read timeout mid-stream": (
        broken_sse_reply([FIRST, SECOND], httpx.ReadTimeout("timed out")),
        errors.APITimeoutError,
    ),
}


@pytest.mark.parametrize(
    ("reply", "cls"), STREAM_FAULTS.values(), ids=STREAM_FAULTS.keys()
)
def test_stream_fault_raises_after_the_chunks_before(reply: Any, cls: type) -> None:
    model, server = make_model(reply)
    received: list[str] = []
    with pytest.raises(cls) as excinfo:
        for message_chunk in model.stream("hi"):
            received.append(message_chunk.text)
    assert "".join(received) == "Once upon"
    assert isinstance(excinfo.value, errors.SambaNovaError)
    # Chunks were handed over: never retried.
    assert server.calls == 1


@pytest.mark.parametrize(
    ("reply", "cls"), STREAM_FAULTS.values(), ids=STREAM_FAULTS.keys()
)
async def test_stream_fault_raises_after_the_chunks_before_async(
    reply: Any, cls: type
) -> None:
    model, server = make_model(reply)
    received: list[str] = []
    with pytest.raises(cls):
        async for message_chunk in model.astream("hi"):
            received.append(message_chunk.text)
    assert "".join(received) == "Once upon"
    assert server.calls == 1


@pytest.mark.parametrize(
    ("reply", "cls"), STREAM_FAULTS.values(), ids=STREAM_FAULTS.keys()
)
def test_streaming_invoke_never_returns_a_truncated_answer(
    reply: Any, cls: type
) -> None:
    model, _ = make_model(reply, streaming=True)
    with pytest.raises(cls):
        model.invoke("hi")


def test_stream_event_error_carries_the_server_fields() -> None:
    reply = sse_reply(
        [
            FIRST,
            'event: error\ndata: {"error": {"message": "model crashed", '
            '"code": "internal", "type": "server_error"}, "request_id": "r-9"}',
        ],
        done=False,
    )
    model, _ = make_model(reply)
    with pytest.raises(errors.StreamEventError) as excinfo:
        list(model.stream("hi"))
    error = excinfo.value
    assert isinstance(error, core.ModelAPIError)
    assert error.message == "model crashed"
    assert error.code == "internal"
    assert error.error_type == "server_error"
    assert error.request_id == "r-9"


def test_stream_cut_is_a_connection_error() -> None:
    model, _ = make_model(broken_sse_reply([FIRST]))
    with pytest.raises(core.ModelConnectionError):
        list(model.stream("hi"))


@pytest.mark.parametrize(
    "headers",
    [{"content-type": "application/json"}, {"content-type": "text/html"}, {}],
)
def test_stream_with_wrong_content_type(headers: dict[str, str]) -> None:
    body = completion("Hello")

    def reply(request: httpx.Request) -> httpx.Response:
        import json

        return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)

    model, server = make_model(reply)
    with pytest.raises(errors.ResponseDecodeError, match="text/event-stream"):
        list(model.stream("hi"))
    assert server.calls == 1


async def test_stream_with_wrong_content_type_async() -> None:
    model, _ = make_model(json_reply(completion("Hello")))
    with pytest.raises(errors.ResponseDecodeError, match="text/event-stream"):
        [c async for c in model.astream("hi")]


def test_empty_stream_without_done_raises() -> None:
    model, _ = make_model(
        lambda request: httpx.Response(200, content=b"", headers=SSE_HEADERS),
        max_retries=0,
    )
    with pytest.raises(errors.StreamInterruptedError):
        list(model.stream("hi"))


def test_a_retry_verdict_given_at_raise_time_survives_pickling() -> None:
    """``x-should-retry: false`` on a 503 stays "not retryable" in the copy."""
    error = errors.ServerError("busy", status_code=503, retryable=False)
    assert pickle.loads(pickle.dumps(error)).is_retryable is False
    assert errors.ServerError("busy", status_code=503).is_retryable is True


@pytest.mark.parametrize(
    "duplicate",
    [lambda error: pickle.loads(pickle.dumps(error)), copy.deepcopy, copy.copy],
    ids=["pickle", "deepcopy", "copy"],
)
def test_a_cut_message_is_not_cut_again_by_a_copy(duplicate: Any) -> None:
    """Issue 18, defect 9: the copy said "[cut: 41 more characters]", not 3,000."""
    model, _ = make_model(text_reply("x" * 5000, 400))
    with pytest.raises(errors.InvalidRequestError) as excinfo:
        model.invoke("hi")
    error = excinfo.value
    assert "[cut: 3,000 more characters in .body]" in error.message
    clone = duplicate(error)
    assert str(clone) == str(error)
    assert clone.message == error.message and clone.body == error.body


# ============================================================================
# One classifier (``_classify``): the same meaning gives the same class.
# An HTTP status with its body, a 200 whose body is an error, and an in-stream
# error event are compared directly here; ``test_errors.py`` and the reliability
# suite check the same over HTTP.
# ============================================================================


def _http(status: int, body: object, **headers: str) -> errors.SambaNovaError:
    return error_from_http(status, json.dumps(body).encode(), httpx.Headers(headers))


@pytest.mark.parametrize(
    ("error", "http_status", "cls", "stream_cls", "retryable"),
    [
        (
            {"code": "rate_limit_exceeded"},
            429,
            errors.RateLimitError,
            errors.StreamRateLimitError,
            True,
        ),
        (
            {"type": "rate_limit_error"},
            429,
            errors.RateLimitError,
            errors.StreamRateLimitError,
            True,
        ),
        (
            {"status": 429},
            429,
            errors.RateLimitError,
            errors.StreamRateLimitError,
            True,
        ),
        (
            {"code": "429"},
            429,
            errors.RateLimitError,
            errors.StreamRateLimitError,
            True,
        ),
        (
            {"type": "invalid_request_error"},
            400,
            errors.InvalidRequestError,
            errors.StreamInvalidRequestError,
            False,
        ),
        (
            {"code": "context_length_exceeded"},
            400,
            errors.ContextLengthExceededError,
            errors.StreamContextLengthExceededError,
            False,
        ),
        (
            {"type": "authentication_error"},
            401,
            errors.AuthenticationError,
            errors.StreamAuthenticationError,
            False,
        ),
        (
            {"type": "permission_error"},
            403,
            errors.PermissionDeniedError,
            errors.StreamPermissionDeniedError,
            False,
        ),
        (
            {"code": "model_not_found"},
            404,
            errors.NotFoundError,
            errors.StreamNotFoundError,
            False,
        ),
        (
            {"type": "timeout_error"},
            408,
            errors.APITimeoutError,
            errors.StreamTimeoutError,
            True,
        ),
        (
            {"type": "overloaded_error"},
            503,
            errors.ServerError,
            errors.StreamEventError,
            True,
        ),
        ({"message": "boom"}, 500, errors.ServerError, errors.StreamEventError, True),
    ],
)
def test_same_meaning_same_class_everywhere(
    error, http_status, cls, stream_cls, retryable
) -> None:
    payload = {"error": {"message": "m", **error}}
    from_http = _http(http_status, payload)
    from_body = classify(payload, status_code=None)
    in_stream = classify(payload, status_code=None, in_stream=True)
    assert type(from_http) is cls
    assert type(from_body) is cls
    assert type(in_stream) is stream_cls
    assert isinstance(in_stream, cls) and isinstance(in_stream, errors.StreamEventError)
    assert (
        from_http.is_retryable
        is from_body.is_retryable
        is in_stream.is_retryable
        is retryable
    )


def test_in_stream_rate_limit_is_langchains_rate_limit_too() -> None:
    error = classify(
        {"error": {"code": "rate_limit_exceeded"}}, status_code=None, in_stream=True
    )
    assert isinstance(error, ModelRateLimitError)
    overflow = classify(
        {"error": {"code": "context_length_exceeded"}}, status_code=None, in_stream=True
    )
    assert isinstance(overflow, ContextOverflowError)


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, errors.InvalidRequestError, False),
        (401, errors.AuthenticationError, False),
        (402, errors.PaymentRequiredError, False),
        (403, errors.PermissionDeniedError, False),
        (404, errors.NotFoundError, False),
        (408, errors.APITimeoutError, True),
        (409, errors.APIStatusError, True),
        (410, errors.NotFoundError, False),
        (418, errors.APIStatusError, False),
        (422, errors.InvalidRequestError, False),
        (429, errors.RateLimitError, True),
        (500, errors.ServerError, True),
        (504, errors.ServerError, True),
    ],
)
def test_http_status_class_and_retry_verdict(
    status: int, cls: type, retryable: bool
) -> None:
    error = _http(status, {"error": {"message": "m"}})
    assert type(error) is cls and error.status_code == status
    assert error.is_retryable is retryable
    # A bare instance (e.g. made by a user) gets the same verdict.
    assert cls("m", status_code=status).is_retryable is retryable


def test_x_should_retry_sets_the_verdict() -> None:
    assert _http(503, {}, **{"x-should-retry": "false"}).is_retryable is False
    assert _http(400, {}, **{"x-should-retry": "true"}).is_retryable is True


def test_the_response_status_wins_over_what_the_body_says() -> None:
    error = _http(503, {"error": {"type": "invalid_request_error"}})
    assert type(error) is errors.ServerError


def test_class_for() -> None:
    assert class_for(None, None) is errors.ServerError
    assert class_for(599, None) is errors.ServerError
    assert (
        class_for(400, "context_window_exceeded") is errors.ContextLengthExceededError
    )
    assert class_for(409, None) is errors.APIStatusError


def test_long_messages_are_cut_and_the_body_kept() -> None:
    page = "x" * 300_000
    error = error_from_http(502, page.encode(), httpx.Headers())
    assert len(error.message) < 2100
    assert error.message.endswith("... [cut: 298,000 more characters in .body]")
    assert len(str(error)) < 2200
    assert error.body == page
    short = error_from_http(502, b"short", httpx.Headers())
    assert short.message == "short" and "cut" not in str(short)


def test_absurd_nesting_in_an_error_body_is_plain_text() -> None:
    nested = b"[" * 50_000 + b"]" * 50_000
    error = error_from_http(500, nested, httpx.Headers())
    assert type(error) is errors.ServerError and error.body == nested.decode()


def test_an_unreadable_error_body_keeps_the_status() -> None:
    error = error_from_http(503, b"", httpx.Headers(), unreadable="DecodingError")
    assert type(error) is errors.ServerError and error.status_code == 503
    assert "could not be read (DecodingError)" in error.message


def test_daily_quota_429_is_a_non_retryable_quota_error() -> None:
    body = {
        "error": {
            "message": "Violated duration_s: 86400",
            "code": "rate_limit_exceeded",
        }
    }
    error = _http(
        429,
        body,
        **{
            "x-ratelimit-remaining-requests-day": "0",
            "x-ratelimit-reset-requests-day": "90",
        },
    )
    assert type(error) is errors.QuotaExceededError
    assert error.is_retryable is False and error.reset_seconds == 90.0
    assert error.message.startswith("Quota used up, not retried; it resets in 1m30s.")
    unknown = _http(429, body)
    assert (
        unknown.reset_seconds is None and "at the end of its window" in unknown.message
    )


def test_a_burst_429_is_retryable() -> None:
    error = _http(429, {"error": {"message": "Request would exceed rate limit"}})
    assert type(error) is errors.RateLimitError and error.is_retryable


def test_request_id_and_fields() -> None:
    error = _http(
        400,
        {
            "error": {"message": "m", "param": "top_p", "code": "c", "type": "t"},
            "request_id": "rid",
        },
    )
    assert (error.param, error.code, error.error_type, error.request_id) == (
        "top_p",
        "c",
        "t",
        "rid",
    )
    assert _http(400, {}, **{"x-request-id": "h"}).request_id == "h"


def test_non_object_payloads_are_messages() -> None:
    assert classify("plain words", status_code=None).message == "plain words"
    assert classify({"error": "text"}, status_code=None).message == "text"
    assert json.loads(classify({"error": {"code": "x"}}, status_code=None).message) == {
        "code": "x"
    }
    empty = classify({"error": {"message": "", "code": "x"}}, status_code=None)
    assert json.loads(empty.message) == {"message": "", "code": "x"}


@pytest.mark.parametrize(
    ("error", "cls", "status"),
    [
        ({"status": 400}, errors.InvalidRequestError, 400),
        ({"status": "599"}, errors.ServerError, 599),
        ({"status": 600, "code": "bad_request"}, errors.InvalidRequestError, None),
        ({"status": 399, "code": "bad_request"}, errors.InvalidRequestError, None),
        ({"status": True, "code": 429}, errors.RateLimitError, 429),
        ({"status_code": 403}, errors.PermissionDeniedError, 403),
        ({"http_status": 404}, errors.NotFoundError, 404),
    ],
)
def test_a_status_in_the_error_object_counts_only_from_400_to_599(
    error: dict, cls: type, status: int | None
) -> None:
    """An error object's own status (not a bool) is its meaning and its status_code."""
    found = classify({"error": {"message": "m", **error}}, status_code=None)
    assert type(found) is cls and found.status_code == status


@pytest.mark.parametrize(
    ("reset", "when"),
    [
        (90, "in 1m30s"),
        (3540, "in 59m00s"),
        (5400, "in 1h30m"),
        (7260, "in 2h01m"),
        (None, "at the end of its window"),
    ],
)
def test_a_quota_error_says_when_it_resets_and_keeps_the_response(
    reset: int | None, when: str
) -> None:
    """The quota message names the reset time; status, ids, body and fields stay."""
    body = {
        "error": {
            "message": "Violated duration_s: 86400",
            "code": "rate_limit_exceeded",
            "type": "rate_limit_error",
            "param": "model",
        }
    }
    headers = {"x-request-id": "rid-7"}
    rate_limit = None
    if reset is not None:
        headers["x-ratelimit-remaining-requests-day"] = "0"
        headers["x-ratelimit-reset-requests-day"] = str(reset)
        rate_limit = {"requests_day": {"remaining": 0, "reset_seconds": float(reset)}}
    error = _http(429, body, **headers)
    assert type(error) is errors.QuotaExceededError
    assert error.message == (
        f"Quota used up, not retried; it resets {when}. Violated duration_s: 86400"
    )
    assert (error.status_code, error.request_id, error.body) == (
        429,
        "rid-7",
        json.dumps(body),
    )
    assert (error.code, error.error_type, error.param) == (
        "rate_limit_exceeded",
        "rate_limit_error",
        "model",
    )
    assert error.rate_limit == rate_limit


def test_request_id_from_the_request_id_header() -> None:
    """Without ``x-request-id``, the plain ``request-id`` header is used."""
    assert _http(400, {}, **{"request-id": "plain"}).request_id == "plain"


def test_an_error_body_that_is_not_utf8_is_still_read() -> None:
    """Bytes that are not UTF-8 are replaced, never a UnicodeDecodeError."""
    error = error_from_http(400, b"bad \xff byte", httpx.Headers())
    assert type(error) is errors.InvalidRequestError
    assert error.message == "bad \ufffd byte"


def test_error_from_http_uses_the_policy_it_is_given() -> None:
    """A policy with a shorter ``max_retry_after`` makes a 30 s reset a quota."""
    headers = httpx.Headers(
        {
            "x-ratelimit-remaining-requests-minute": "0",
            "x-ratelimit-reset-requests-minute": "30",
        }
    )
    body = json.dumps({"error": {"message": "slow down"}}).encode()
    assert type(error_from_http(429, body, headers)) is errors.RateLimitError
    strict = RetryPolicy(max_retry_after=10.0)
    error = error_from_http(429, body, headers, policy=strict)
    assert type(error) is errors.QuotaExceededError and error.reset_seconds == 30.0


def test_classify_reports_the_verdict_of_the_policy_it_is_given() -> None:
    """``is_retryable`` is the given policy's verdict on what the error means."""
    payload = {"error": {"code": "rate_limit_exceeded"}}
    assert classify(payload, status_code=None).is_retryable is True
    never = RetryPolicy(statuses=frozenset())
    assert classify(payload, status_code=None, policy=never).is_retryable is False


def test_a_quota_window_named_only_in_the_body_is_a_quota() -> None:
    """``duration_s: 86400`` anywhere in the body marks the 429 as a daily quota."""
    body = {"error": {"message": "Rate limit exceeded", "detail": "duration_s: 86400"}}
    error = _http(429, body)
    assert type(error) is errors.QuotaExceededError and not error.is_retryable


def test_absurdly_nested_json_is_a_value_error() -> None:
    """The nesting is named in a ``ValueError`` (callers quote it), not a crash."""
    with pytest.raises(ValueError, match="^JSON nested too deeply to decode$"):
        decode_json("[" * 100_000 + "]" * 100_000)


def test_the_overflow_message_is_an_overflow_only_on_a_bad_request() -> None:
    quoted = (
        "The maximum context length of DeepSeek-V3-0324 is 32768. However, "
        "answering your request will take 39732 tokens. Please reduce the length "
        "of the messages or the specified max_completion_tokens value."
    )
    assert class_for(400, None, quoted) is errors.ContextLengthExceededError
    assert class_for(None, None, quoted) is errors.ContextLengthExceededError
    assert class_for(500, None, quoted) is errors.ServerError
    assert class_for(429, None, quoted) is errors.RateLimitError
    assert class_for(400, None, "messages[0].content is required") is (
        errors.InvalidRequestError
    )


# ============================================================================
# The retry policy (``_retry``): pure decisions, no I/O.
# The client's loops and every error's ``is_retryable`` ask this one object;
# ``test_transport.py`` proves the loops follow it over (mock) HTTP.
# ============================================================================

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


# ============================================================================
# Rate-limit headers, normalized (``_retry``); over HTTP in test_client.
# ============================================================================

NOW_RATE_LIMITS = 1_800_000_000.0


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
        (str(int(NOW_RATE_LIMITS) + 600), 600.0),
        (str(int(NOW_RATE_LIMITS) - 600), 0.0),
        ("1000000000", 0.0),  # the floor itself is a (past) Unix time
    ],
)
def test_parse_reset(value: str, seconds: float) -> None:
    assert parse_reset(value, now=NOW_RATE_LIMITS) == pytest.approx(seconds)


def test_a_unix_time_reset_is_measured_from_the_clock() -> None:
    """Without ``now``, a Unix-time reset counts from the current time."""
    assert parse_reset(str(time.time() + 600)) == pytest.approx(600, abs=5)


@pytest.mark.parametrize("value", ["", "soon", "4h17", "h", "1x", "nan", "inf"])
def test_parse_reset_refuses_what_it_cannot_read(value: str) -> None:
    assert parse_reset(value, now=NOW_RATE_LIMITS) is None


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


# ============================================================================
# Pacing from the rate-limit headers: the pacer's decisions on an injected clock.
# No test here sleeps for real: the clock is a number the fake sleeps advance,
# and every wait a caller makes is recorded and asserted exactly.
# ============================================================================


class Clock:
    """A fake monotonic clock whose sleeps advance it and are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class VirtualClock(Clock):
    """Virtual time for async tests: sleeps end only when `run` advances time.

    Not driven, an async sleep never ends, so only a wake-up ends a wait.
    """

    def __init__(self) -> None:
        super().__init__()
        self.timers: list[tuple[float, asyncio.Future[None]]] = []

    async def async_sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        future = asyncio.get_running_loop().create_future()
        self.timers.append((self.now + seconds, future))
        await future

    async def run(self, *calls: Any) -> list[Any]:
        """Run the calls; whenever all are stuck, jump to the next timer."""
        tasks = [asyncio.ensure_future(call) for call in calls]
        while not all(task.done() for task in tasks):
            for _ in range(20):  # let every ready callback run
                await asyncio.sleep(0)
            self.timers = [(at, f) for at, f in self.timers if not f.done()]
            if self.timers:
                self.now = max(self.now, min(at for at, _ in self.timers))
                for at, future in self.timers:
                    if at <= self.now:
                        future.set_result(None)
        return [task.result() for task in tasks]


async def _turns(count: int = 10) -> None:
    """Let the loop run every ready callback (a wake-up takes a few turns)."""
    for _ in range(count):
        await asyncio.sleep(0)


async def _done(tasks: list[asyncio.Task[Any]]) -> list[bool]:
    """After the loop's ready callbacks ran: which of the tasks are done."""
    await _turns()
    return [task.done() for task in tasks]


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def window(remaining: int, reset: float, limit: int = 20) -> dict[str, Any]:
    """The normalized headers of an answer (``rate_limit_from_headers``)."""
    return {
        "requests": {"limit": limit, "remaining": remaining, "reset_seconds": reset}
    }


def pacer(clock: Clock, **options: Any) -> Pacer:
    return Pacer(now=clock, sleep=clock.sleep, async_sleep=clock.async_sleep, **options)


def start_window(p: Pacer, remaining: int, reset: float) -> None:
    """Answer a cold-start probe, so that the pacer knows the window."""
    p.acquire().answered(window(remaining, reset), 200)


# -- sync decisions -------------------------------------------------------------


def test_a_known_window_lets_a_share_of_what_remains_go_at_once():
    clock = Clock()
    p = pacer(clock, share=0.25)
    start_window(p, remaining=19, reset=5.0)
    tickets = [p.acquire() for _ in range(5)]  # ceil(19 / 4)
    assert clock.sleeps == []
    assert p.in_flight == 5
    for ticket in tickets:
        ticket.answered(window(14, 5.0), 200)
    assert p.in_flight == 0 and p.remaining == 14


async def test_with_few_requests_left_one_goes_at_a_time():
    clock = VirtualClock()
    p = pacer(clock, share=0.25)
    start_window(p, remaining=3, reset=5.0)  # a quarter of 3 rounds up to one
    first = await p.aacquire()
    second = asyncio.create_task(p.aacquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done() and p.in_flight == 1
    first.answered(window(2, 5.0), 200)
    await asyncio.wait_for(second, timeout=5)
    assert p.in_flight == 1


def test_a_full_window_waits_exactly_until_its_reset_then_probes():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=0, reset=3.25)
    ticket = p.acquire()
    assert clock.sleeps == [3.25]
    # After the reset the window is unknown: this request is the probe.
    assert p._probe is ticket


def test_a_429_teaches_the_window_and_halves_the_share():
    clock = Clock()
    p = pacer(clock, share=0.5)
    start_window(p, remaining=10, reset=5.0)
    clock.now += 0.5
    p.acquire().answered(window(0, 4.5), 429)
    assert p.remaining == 0 and p.share == 0.25
    p.acquire()
    assert clock.sleeps == [4.5]


def test_several_429s_in_one_window_halve_the_share_once():
    clock = Clock()
    p = pacer(clock, share=0.5)
    start_window(p, remaining=10, reset=5.0)
    first, second = p.acquire(), p.acquire()
    first.answered(window(0, 4.0), 429)
    second.answered(window(0, 4.0), 429)
    assert p.share == 0.25


def test_a_window_without_429_wins_share_back():
    clock = Clock()
    p = pacer(clock, share=0.5)
    start_window(p, remaining=10, reset=5.0)
    p.acquire().answered(window(0, 5.0), 429)  # share 0.25
    p.acquire().answered(window(19, 5.0), 200)  # after the reset: a clean window
    assert clock.sleeps == [5.0]
    p.acquire().answered(window(19, 5.0), 200)  # the next window opens
    assert p.share == pytest.approx(0.25)  # the throttled window gave nothing back
    clock.sleep(5.0)
    p.acquire().answered(window(19, 5.0), 200)
    assert p.share == pytest.approx(0.25 + 0.5 / 8)


def test_answers_without_headers_switch_pacing_off_until_headers_return():
    clock = Clock()
    p = pacer(clock)
    p.acquire().answered(None, 200)
    tickets = [p.acquire() for _ in range(50)]
    assert clock.sleeps == [] and p.paced is False
    assert repr(p).startswith("Pacer(paced=False, ")
    tickets[0].answered(window(0, 2.0), 200)  # headers again: paced again
    p.acquire()
    assert clock.sleeps == [2.0]


def test_a_429_without_headers_does_not_switch_pacing_off():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=0, reset=1.0)
    clock.sleep(1.0)
    p.acquire().answered(None, 429)
    assert p.paced


def test_only_the_daily_window_is_no_reason_to_wait():
    clock = Clock()
    p = pacer(clock)
    daily = {"requests_day": {"limit": 100, "remaining": 0, "reset_seconds": 9000.0}}
    p.acquire().answered(daily, 429)
    assert [p.acquire() for _ in range(3)] and clock.sleeps == []


def test_a_reset_beyond_max_wait_is_a_quota_that_fails_fast():
    clock = Clock()
    p = pacer(clock, max_wait=60.0)
    start_window(p, remaining=0, reset=3600.0)
    p.acquire()
    assert clock.sleeps == []


def test_late_answers_of_an_ended_window_teach_nothing():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=5, reset=1.0)
    late = p.acquire()
    clock.sleep(1.5)
    late.answered(window(4, 0.0), 200)  # its window ended; the pacer is cold
    assert p.reset_at == pytest.approx(1001.0)
    probe = p.acquire()
    assert p._probe is probe


def test_remaining_only_goes_down_within_a_window():
    clock = Clock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=10, reset=5.0)
    first, second = p.acquire(), p.acquire()
    second.answered(window(3, 5.0), 200)  # another process used some
    first.answered(window(8, 5.0), 200)  # answered late, an older count
    assert p.remaining == 3


def test_a_later_reset_while_live_opens_a_new_window():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=5, reset=1.0)
    p.acquire().answered(window(9, 6.0), 200)  # the clocks disagree: trust it
    assert p.remaining == 9 and p.reset_at == pytest.approx(1006.0)


def test_a_reset_at_most_half_a_second_later_is_the_same_window():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=10, reset=5.0)
    p.acquire().answered(window(8, 5.5), 200)  # jitter between the server's clocks
    assert p.remaining == 8 and p.reset_at == 1005.0


def test_a_window_needs_no_limit_header_only_remaining_and_reset():
    clock = Clock()
    p = pacer(clock)
    p.acquire().answered({"requests": {"remaining": 3, "reset_seconds": 5.0}}, 200)
    assert (p.paced, p.remaining, p.reset_at) == (True, 3, 1005.0)


def test_the_registry_shares_one_pacer_per_target_and_hides_the_key():
    one = pacer_for("http://h/v1/", SecretStr("sk-secret"), "m")
    assert pacer_for("http://h/v1", "sk-secret", "m") is one
    assert pacer_for("http://h/v1", "sk-other", "m") is not one
    assert pacer_for("http://h/v1", "sk-secret", "other-model") is not one
    assert "sk-secret" not in repr(one)
    from langchain_provider import _retry as _rate_limits

    assert not any("sk-secret" in str(key) for key in _rate_limits._pacers)


def test_no_key_and_no_model_are_a_target_of_their_own():
    keyless = pacer_for("http://h/v1", None, None)
    assert pacer_for("http://h/v1", "", "") is keyless  # empty is the same as none
    # Whatever a key or a model is called, even like a placeholder, it is
    # another target than none at all.
    assert pacer_for("http://h/v1", "XXXX", None) is not keyless
    assert pacer_for("http://h/v1", None, "XXXX") is not keyless


def test_only_trailing_slashes_of_the_base_url_are_ignored():
    one = pacer_for("http://h/v1", "k", "m")
    assert pacer_for("http://h/v1//", "k", "m") is one
    assert pacer_for("http://h/v1X", "k", "m") is not one
    assert pacer_for("http://h/vX", "k", "m") is not pacer_for("http://h/v", "k", "m")


# -- cold start ------------------------------------------------------------------


async def test_cold_start_holds_a_burst_until_the_probe_answers():
    clock = VirtualClock()
    p = pacer(clock, share=0.25, probe_timeout=2.0)
    probe = await p.aacquire()
    waiting = [asyncio.create_task(p.aacquire()) for _ in range(10)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert not any(task.done() for task in waiting)
    assert clock.sleeps == [2.0] * 10  # each would give the probe 2 s at most
    probe.answered(window(15, 5.0), 200)
    for _ in range(5):
        await asyncio.sleep(0)
    done = [task for task in waiting if task.done()]
    assert len(done) == 4  # ceil(15 / 4) may be in flight
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)


def test_a_slow_probe_lets_one_more_go_after_the_probe_timeout():
    clock = Clock()
    p = pacer(clock, probe_timeout=2.0)
    p.acquire()
    clock.sleep(2.0)
    second = p.acquire()  # no wait: the probe is overdue
    assert clock.sleeps == [2.0] and p._probe is second


async def test_calls_held_by_the_probe_go_at_the_reset_its_answer_reports():
    """The probe's answer fills the window, which resets before the probe
    timeout: the calls held by the probe go at that reset, not at the timeout."""
    clock = VirtualClock()
    p = pacer(clock, probe_timeout=2.0)
    probe = await p.aacquire()
    waiting = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)
    probe.answered(window(0, 0.5), 200)
    (ticket,) = await clock.run(waiting)
    assert clock.now == 1000.5 and clock.sleeps == [2.0, 0.5]
    assert p._probe is ticket  # the window has reset: it probes the next one


async def test_a_probe_that_fails_lets_exactly_one_waiting_call_probe_next():
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    probe = await p.aacquire()
    waiting = [asyncio.create_task(p.aacquire()) for _ in range(3)]
    await asyncio.sleep(0)
    probe.release()  # no answer: the first in line probes instead
    assert await _done(waiting) == [True, False, False]
    assert p._probe is waiting[0].result()
    assert clock.sleeps == [2.0] * 3  # the others were not woken for nothing
    waiting[0].result().answered(window(1, 5.0), 200)  # one place: the next in line
    assert await _done(waiting) == [True, True, False]
    await _cancel(waiting[2])


async def test_a_late_answer_while_a_new_probe_is_out_keeps_the_waiting_calls_turn():
    clock = VirtualClock()
    p = pacer(clock, probe_timeout=2.0)
    start_window(p, remaining=5, reset=1.0)
    late = await p.aacquire()
    clock.now += 1.5  # the window has ended: the next call probes a new one
    probe = await p.aacquire()
    waiting = [asyncio.create_task(p.aacquire()) for _ in range(2)]
    await asyncio.sleep(0)
    late.answered(window(4, 0.0), 200)  # the ended window's answer frees nothing
    await _turns()
    assert clock.sleeps == [2.0] * 2  # nobody was woken to wait again
    probe.answered(window(1, 5.0), 200)  # one place: the first in line takes it
    assert await _done(waiting) == [True, False]
    await _cancel(waiting[1])


def test_a_sync_waiter_is_woken_by_an_answer_from_another_thread():
    clock = Clock()
    p = pacer(clock, probe_timeout=30.0)
    probe = p.acquire()
    got: list[Ticket] = []
    waiter = threading.Thread(target=lambda: got.append(p.acquire()))
    waiter.start()
    while not p._waiters:  # the waiter is parked
        threading.Event().wait(0.001)
    probe.answered(window(10, 5.0), 200)
    waiter.join(timeout=10)
    assert got and p.in_flight == 1


def test_a_sync_caller_waits_out_a_silent_probe_then_goes():
    """Nobody answers the probe: the wait ends at its timeout and leaves no trace."""
    p = Pacer(probe_timeout=0.05)  # the real clock: the wait is a real one
    p.acquire()  # the probe, never answered
    got: list[Ticket] = []
    caller = threading.Thread(target=lambda: got.append(p.acquire()), daemon=True)
    caller.start()
    caller.join(timeout=10)
    assert got and p._probe is got[0]
    assert p._waiters == [] and p.in_flight == 2


def test_sync_waiters_get_freed_places_in_the_order_they_came():
    clock = Clock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=2, reset=5.0)
    first_held, second_held = p.acquire(), p.acquire()
    got: list[tuple[int, Ticket]] = []
    threads = []
    for number in range(3):
        thread = threading.Thread(
            target=lambda n=number: got.append((n, p.acquire())), daemon=True
        )
        thread.start()
        threads.append(thread)
        while len(p._waiters) < number + 1:  # parked, in this order
            threading.Event().wait(0.001)
    first_held.release()
    threads[0].join(timeout=10)
    second_held.release()
    threads[1].join(timeout=10)
    assert [n for n, _ in got] == [0, 1]
    got[0][1].release()  # the last one's turn
    threads[2].join(timeout=10)
    assert [n for n, _ in got] == [0, 1, 2]


def _until(condition: Any) -> None:
    """Let other threads run until ``condition()`` holds (10 s at most)."""
    for _ in range(10_000):
        if condition():
            return
        threading.Event().wait(0.001)
    raise AssertionError("the other threads never got there")


def test_a_sync_newcomer_leaves_the_place_freed_for_a_woken_waiter_to_it():
    """A call that comes between a waiter's wake-up and its start waits behind."""
    clock = Clock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=1, reset=50.0)
    held = p.acquire()
    got: dict[str, Ticket] = {}

    def call(name: str) -> None:
        got[name] = p.acquire()

    first = threading.Thread(target=call, args=("first",), daemon=True)
    first.start()
    _until(lambda: len(p._waiters) == 1)
    (waiter,) = p._waiters
    deliver, waiter.wake = waiter.wake, lambda: None  # the wake-up is on its way
    held.release()  # the place frees: the first in line is woken for it
    newcomer = threading.Thread(target=call, args=("newcomer",), daemon=True)
    newcomer.start()
    _until(lambda: "newcomer" in got or len(p._waiters) == 1)
    assert "newcomer" not in got  # it waits behind, the place is kept
    deliver()  # the first caller runs at last and takes its place
    first.join(timeout=10)
    assert list(got) == ["first"]
    got["first"].release()  # the newcomer's turn
    newcomer.join(timeout=10)
    assert list(got) == ["first", "newcomer"]
    got["newcomer"].release()
    assert p.in_flight == 0 and p._promised == 0 and clock.sleeps == []


@pytest.mark.parametrize("where", ["in its wait", "after its wake-up"])
def test_a_sync_caller_interrupted_once_woken_passes_the_kept_place_on(
    where: str, monkeypatch: pytest.MonkeyPatch
):
    """Woken for a place kept for it, then interrupted (a signal handler's
    exception, say) before it takes it, in its wait or right after: the place
    goes to the next in line, and is not kept for nobody."""
    from langchain_provider import _retry as module

    class Interrupted(BaseException):
        pass

    clock = Clock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=1, reset=50.0)
    held = p.acquire()
    got: list[Ticket] = []
    real_event = threading.Event
    main = threading.current_thread()
    made_here: list[None] = []

    class WokenEvent:
        """This caller's first event: it is woken while it waits."""

        def __init__(self) -> None:
            self.set = real_event().set

        def wait(self, timeout: float) -> bool:
            next_in_line.start()
            _until(lambda: len(p._waiters) == 2)  # the next caller is parked behind
            held.release()  # frees the place: kept for this caller, woken for it
            if where == "in its wait":
                raise Interrupted
            return True

    class Threading:
        def __getattr__(self, name: str) -> Any:
            return getattr(threading, name)

        @staticmethod
        def Event() -> Any:  # noqa: N802 - stands in for threading.Event
            if threading.current_thread() is not main:
                return real_event()
            made_here.append(None)
            if len(made_here) == 1:
                return WokenEvent()
            raise Interrupted  # at the top of the next round, before the lock

    next_in_line = threading.Thread(target=lambda: got.append(p.acquire()), daemon=True)
    monkeypatch.setattr(module, "threading", Threading())
    with pytest.raises(Interrupted):
        p.acquire()
    next_in_line.join(timeout=10)
    assert got and p.in_flight == 1 and p._promised == 0 and p._waiters == []
    assert clock.sleeps == []


@pytest.mark.parametrize("share", [0, -0.5, 1.01, 2])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match=r"^share must be in \(0, 1\]$"):
        Pacer(share=share)


async def _settled(task: asyncio.Task[Any]) -> bool:
    await _turns(20)
    return task.done()


async def test_the_first_call_goes_at_once_even_when_the_clock_starts_at_zero():
    clock = VirtualClock()
    clock.now = 0.0  # a monotonic clock may start near zero
    p = pacer(clock)
    first = asyncio.create_task(p.aacquire())
    try:
        assert await _settled(first)
    finally:
        first.cancel()
    assert p._probe is first.result()


@pytest.mark.parametrize(("reset", "waits"), [(60.0, [60.0]), (60.5, [])])
def test_by_default_a_reset_more_than_a_minute_away_is_not_waited_for(
    reset: float, waits: list[float]
):
    clock = Clock()
    p = pacer(clock)  # max_wait as the client builds it: the default
    start_window(p, remaining=0, reset=reset)
    p.acquire()
    assert clock.sleeps == waits


def test_a_reset_exactly_max_wait_away_is_still_waited_for():
    clock = Clock()
    p = pacer(clock, max_wait=5.0)
    start_window(p, remaining=0, reset=5.0)
    p.acquire()
    assert clock.sleeps == [5.0]


async def test_with_one_request_left_and_it_in_flight_the_next_waits_for_its_answer():
    """Not for the reset: the answer may say the window still has room."""
    clock = VirtualClock()
    p = pacer(clock)
    start_window(p, remaining=1, reset=5.0)
    first = await p.aacquire()
    second = asyncio.create_task(p.aacquire())
    assert not await _settled(second)
    first.answered(window(1, 4.0), 200)
    try:
        assert await _settled(second)  # woken by the answer, the reset not reached
    finally:
        second.cancel()
    assert clock.now == 1000.0


async def test_when_the_window_ends_with_a_call_in_flight_the_next_probes_at_once():
    """A call started inside a known window is not the cold start's probe."""
    clock = VirtualClock()
    p = pacer(clock)
    start_window(p, remaining=5, reset=1.0)
    await p.aacquire()  # still in flight when the window ends
    clock.now += 1.5
    probe = asyncio.create_task(p.aacquire())
    try:
        assert await _settled(probe)
    finally:
        probe.cancel()
    assert p._probe is probe.result() and clock.sleeps == []


# -- cancellation and release ----------------------------------------------------


async def test_cancelling_a_waiting_call_frees_its_wake_up_for_the_next():
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    probe = await p.aacquire()
    first = asyncio.create_task(p.aacquire())
    second = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)
    # The probe fails without an answer: one place (the next probe) is free,
    # and the first waiter is woken for it, but is cancelled before it runs.
    probe.release()
    await _cancel(first)
    ticket = await asyncio.wait_for(second, timeout=5)
    assert p._probe is ticket and p.in_flight == 1
    assert p._waiters == []


async def test_a_woken_waiter_cancelled_in_a_known_window_passes_its_place_on():
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=2, reset=5.0)
    held, _other = await p.aacquire(), await p.aacquire()
    first = asyncio.create_task(p.aacquire())
    second = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)
    held.release()  # one place frees: the first waiter is woken for it ...
    first.cancel()  # ... and cancelled before it runs
    (outcome,) = await asyncio.gather(first, return_exceptions=True)
    assert isinstance(outcome, asyncio.CancelledError)
    await asyncio.wait_for(second, timeout=5)
    assert p.in_flight == 2 and p._waiters == [] and p._promised == 0


async def test_freed_places_go_to_the_waiters_in_the_order_they_came():
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=2, reset=5.0)
    first_held, second_held = await p.aacquire(), await p.aacquire()
    waiting = [asyncio.create_task(p.aacquire()) for _ in range(3)]
    await asyncio.sleep(0)
    first_held.release()
    assert await _done(waiting) == [True, False, False]
    second_held.release()
    assert await _done(waiting) == [True, True, False]
    assert clock.sleeps == [5.0] * 3  # each waited once: none was woken for nothing
    await _cancel(waiting[2])


async def test_a_new_task_leaves_the_place_freed_for_a_woken_waiter_to_it():
    """A task that comes between a waiter's wake-up and its resumption waits."""
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=1, reset=50.0)
    held = await p.aacquire()
    first = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)  # parked
    held.release()  # wakes the first; it resumes on a later turn of the loop
    newcomer = asyncio.create_task(p.aacquire())  # runs before it does
    await _turns()
    assert first.done() and not newcomer.done()
    first.result().release()  # the newcomer's turn
    (await asyncio.wait_for(newcomer, timeout=10)).release()
    assert p.in_flight == 0 and p._promised == 0 and p._waiters == []
    assert clock.sleeps == [50.0] * 2  # each waited once: none was woken for nothing


async def test_with_no_window_known_a_newcomer_waits_for_the_woken_waiters_probe():
    """Cold: the place a failed probe frees is the next probe, kept for the
    first in line; a newcomer waits for that probe's answer."""
    clock = VirtualClock()
    p = pacer(clock)
    probe = await p.aacquire()
    first = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)  # parked behind the probe
    probe.release()  # no answer: the first in line is woken to probe next
    newcomer = asyncio.create_task(p.aacquire())  # runs before it does
    assert await _settled(first) and not newcomer.done()
    assert p._probe is first.result() and len(p._waiters) == 1
    assert clock.sleeps == [2.0, 2.0]  # each waits the probe's timeout at most
    first.result().answered(window(5, 5.0), 200)  # the answer lets it go
    (await asyncio.wait_for(newcomer, timeout=10)).release()
    assert p._promised == 0 and clock.now == 1000.0


async def test_places_freed_one_after_another_are_each_kept_and_no_more_woken():
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=2, reset=50.0)
    held = [await p.aacquire(), await p.aacquire()]
    waiting = [asyncio.create_task(p.aacquire()) for _ in range(3)]
    await asyncio.sleep(0)  # all three parked
    for ticket in held:  # two places free before any woken waiter runs
        ticket.release()
    assert p._promised == 2 and len(p._waiters) == 1  # the third keeps waiting
    newcomer = asyncio.create_task(p.aacquire())
    assert await _settled(waiting[1]) and not newcomer.done()
    assert waiting[0].done() and not waiting[2].done()
    for task in (*waiting, newcomer):
        task.cancel()


async def test_a_waiter_whose_wait_runs_out_in_line_holds_no_kept_place():
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=1, reset=5.0)
    await p.aacquire()  # in flight, never answered
    # It waits in line until the reset (real seconds bound a broken pacer).
    (ticket,) = await asyncio.wait_for(clock.run(p.aacquire()), timeout=10)
    assert clock.now == 1005.0 and p._probe is ticket and p._promised == 0


async def test_a_woken_waiter_that_gives_up_passes_its_kept_place_to_the_next():
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=1, reset=50.0)
    held = await p.aacquire()
    first = asyncio.create_task(p.aacquire())
    second = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)
    next_in_line = p._waiters[1]
    deliver, next_in_line.wake = next_in_line.wake, lambda: None  # held up
    held.release()  # the place frees for the first ...
    first.cancel()  # ... which gives up before it runs: the place is the second's
    (outcome,) = await asyncio.gather(first, return_exceptions=True)
    assert isinstance(outcome, asyncio.CancelledError)
    newcomer = asyncio.create_task(p.aacquire())  # comes before the second runs
    await _turns()
    assert not newcomer.done()
    deliver()
    await _turns()
    assert second.done() and not newcomer.done()
    second.result().release()
    (await asyncio.wait_for(newcomer, timeout=10)).release()
    assert p.in_flight == 0 and p._promised == 0 and p._waiters == []


async def test_a_cancelled_waiter_leaves_no_trace():
    clock = VirtualClock()
    p = pacer(clock)
    await p.aacquire()
    task = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)
    await _cancel(task)
    assert p._waiters == [] and p.in_flight == 1


@pytest.mark.parametrize(
    "answer",
    [window(1, 5.0), window(1, 10.0)],
    ids=["one-left-two-in-flight", "new-window-resetting-exactly-max-wait-away"],
)
async def test_an_answer_that_frees_no_place_keeps_the_waiting_calls_turn(
    answer: dict[str, Any],
):
    clock = VirtualClock()
    p = pacer(clock, share=1.0, max_wait=10.0)
    start_window(p, remaining=3, reset=5.0)
    first, second, third = [await p.aacquire() for _ in range(3)]
    waiting = [asyncio.create_task(p.aacquire()) for _ in range(2)]
    await asyncio.sleep(0)
    first.answered(answer, 200)  # one left, two still in flight: no room
    newcomer = asyncio.create_task(p.aacquire())  # came after the others
    await _turns()
    second.release()  # one left, one in flight: still no room
    await _turns()
    assert not any(task.done() for task in [*waiting, newcomer])
    assert len(clock.sleeps) == 3  # each waited once: none was woken for nothing
    third.release()  # now the one place left is free: the first in line takes it
    await _turns()
    assert [task.done() for task in [*waiting, newcomer]] == [True, False, False]
    for task in [waiting[1], newcomer]:
        task.cancel()
    await asyncio.gather(waiting[1], newcomer, return_exceptions=True)


async def test_a_new_window_resetting_beyond_max_wait_lets_every_waiting_call_go():
    clock = VirtualClock()
    p = pacer(clock, share=1.0, max_wait=10.0)
    start_window(p, remaining=2, reset=5.0)
    held, _other = await p.aacquire(), await p.aacquire()
    waiting = [asyncio.create_task(p.aacquire()) for _ in range(3)]
    await asyncio.sleep(0)
    held.answered(window(1, 11.0), 200)  # a quota, not a burst limit: no wait
    await _turns()
    assert all(task.done() for task in waiting)
    assert clock.now == 1000.0 and clock.sleeps == [5.0] * 3


def test_the_ticket_releases_its_place_on_an_exception():
    clock = Clock()
    p = pacer(clock)
    with pytest.raises(RuntimeError), p.acquire() as ticket:
        raise RuntimeError("the attempt failed without an answer")
    assert p.in_flight == 0 and p._probe is None
    ticket.release()  # released once only, and a late answer counts no more
    ticket.answered(window(5, 5.0), 200)
    assert p.in_flight == 0 and p.reset_at is None


def test_an_answered_ticket_is_not_released_twice():
    clock = Clock()
    p = pacer(clock)
    with p.acquire() as ticket:
        ticket.answered(window(5, 5.0), 200)
    ticket.release()
    ticket.answered(window(4, 5.0), 200)  # a second answer counts no more
    assert p.in_flight == 0 and p.remaining == 5


def test_a_release_frees_a_place_in_a_window_whose_remaining_are_in_flight():
    clock = Clock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=2, reset=5.0)
    first, _second = p.acquire(), p.acquire()
    got: list[Ticket] = []
    waiter = threading.Thread(target=lambda: got.append(p.acquire()))
    waiter.start()
    while not p._waiters:
        threading.Event().wait(0.001)
    first.release()
    waiter.join(timeout=10)
    assert got and clock.sleeps == []


# -- async and threads -----------------------------------------------------------


async def test_async_full_window_waits_exactly_until_the_reset():
    clock = Clock()
    p = pacer(clock)
    (await p.aacquire()).answered(window(0, 4.0), 200)
    await p.aacquire()
    assert clock.sleeps == [4.0]


async def test_a_full_windows_waiter_sleeps_to_the_reset_through_answers():
    """With nothing remaining, an answer frees no place: no wake-up, no re-plan."""
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=2, reset=5.0)
    held, last = await p.aacquire(), await p.aacquire()
    last.answered(window(0, 5.0), 200)  # the window is used up
    waiting = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)
    held.answered(window(0, 5.0), 200)
    await _turns()
    assert clock.sleeps == [5.0] and not waiting.done()
    (ticket,) = await clock.run(waiting)
    assert p._probe is ticket  # after the reset, the first request probes
    assert p._promised == 0  # a wait that ran out was no wake-up: nothing kept


async def test_a_burst_takes_exactly_the_windows_it_needs_without_a_429():
    clock = VirtualClock()
    p = pacer(clock, share=0.5)
    limit, length = 6, 5.0
    server = {"reset_at": 0.0, "count": 0, "rejected": 0}
    peak = 0

    async def call() -> None:
        nonlocal peak
        with await p.aacquire() as ticket:
            peak = max(peak, p.in_flight)
            await asyncio.sleep(0)  # the request is in flight
            if clock.now >= server["reset_at"]:  # a fixed window, as the emulator's
                server["reset_at"], server["count"] = clock.now + length, 0
            server["count"] += 1
            over = server["count"] > limit
            server["rejected"] += over
            remaining = max(limit - server["count"], 0)
            reset = server["reset_at"] - clock.now
            ticket.answered(window(remaining, reset, limit), 429 if over else 200)

    start = clock.now
    await clock.run(*(call() for _ in range(20)))
    assert server["rejected"] == 0
    assert peak <= limit
    # 20 calls at 6 a window: four windows, so three waits for a reset.
    assert clock.now - start == 15.0


def test_threads_never_overshoot_a_window():
    clock = Clock()
    lock = threading.Lock()

    class Full(Exception):
        pass

    def full(seconds: float) -> None:
        raise Full  # the window is used up: this thread stops asking

    p = Pacer(now=clock, sleep=full, share=0.5)
    start_window(p, remaining=30, reset=50.0)
    granted: list[Ticket] = []

    def grab() -> None:
        for _ in range(10):
            try:
                ticket = p.acquire()
            except Full:
                return
            with lock:
                granted.append(ticket)

    threads = [threading.Thread(target=grab, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    while True:  # answer whatever is in flight, as a server would
        with lock:
            pending = [t for t in granted if not t._done]
            done = sum(t._done for t in granted)
        if not pending and done >= 30:
            break
        for ticket in pending:
            ticket.answered(window(max(30 - len(granted), 0), 49.0), 200)
        threading.Event().wait(0.001)
    for thread in threads:
        thread.join(timeout=10)
    assert len(granted) == 30  # never more than the window had
    assert p.remaining == 0 and p.in_flight == 0


# -- models feed the process's pacer ----------------------------------------------

WINDOW_HEADERS = {
    "x-ratelimit-limit-requests": "20",
    "x-ratelimit-remaining-requests": "7",
    "x-ratelimit-reset-requests": "30",
}


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_a_models_answers_teach_the_pacer_of_its_target(use_async: bool):
    model, _ = make_model(json_reply(completion("Hi"), 200, WINDOW_HEADERS))
    reply = await model.ainvoke("hi") if use_async else model.invoke("hi")
    assert reply.content == "Hi"
    p = pacer_for(model.base_url, "test-key", model.model)
    assert (p.paced, p.remaining, p.in_flight) == (True, 7, 0)


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_with_pacing_off_a_model_leaves_the_pacer_alone(use_async: bool):
    model, _ = make_model(
        json_reply(completion("Hi"), 200, WINDOW_HEADERS), rate_limit_pacing=False
    )
    reply = await model.ainvoke("hi") if use_async else model.invoke("hi")
    assert reply.content == "Hi"
    p = pacer_for(model.base_url, "test-key", model.model)
    assert (p.remaining, p.reset_at) == (0, None)


# -- the retry after a 429 waits for the window's reset -------------------------

LIMITED = {
    "x-ratelimit-limit-requests": "20",
    "x-ratelimit-remaining-requests": "0",
    "x-ratelimit-reset-requests": "3.5",
}


@pytest.mark.parametrize(
    ("status", "headers", "delay"),
    [
        (429, LIMITED, 3.5),  # no retry-after: the window's reset
        (429, {**LIMITED, "retry-after": "4"}, 4.0),  # retry-after wins
        (503, LIMITED, 0.5),  # not a rate limit: backoff
        (429, {**LIMITED, "x-ratelimit-remaining-requests": "3"}, 0.5),  # room left
        (429, {**LIMITED, "x-ratelimit-reset-requests": "600"}, 0.5),  # too far
        (429, {"x-ratelimit-remaining-requests": "0"}, 0.5),  # reset unknown
        (  # only the daily window: not waited for
            429,
            {
                "x-ratelimit-remaining-requests-day": "0",
                "x-ratelimit-reset-requests-day": "3.5",
            },
            0.5,
        ),
        (429, {}, 0.5),  # no rate-limit headers at all
    ],
)
def test_a_429_is_retried_after_the_reset_the_server_reports(status, headers, delay):
    policy = RetryPolicy(random=lambda: 0.0)
    assert policy.delay(0, httpx.Headers(headers), status=status) == delay


def test_a_model_waits_for_the_reset_before_retrying_a_429():
    answers = iter(
        [
            httpx.Response(
                429, json={"error": {"message": "slow down"}}, headers=LIMITED
            ),
            httpx.Response(200, json=completion("Hi")),
        ]
    )
    waits: list[float] = []
    llm = ChatSambaNova(
        api_key="k",
        http_client=httpx.Client(
            transport=httpx.MockTransport(lambda r: next(answers))
        ),
        rate_limit_pacing=False,  # the retry's own wait, alone
    )
    llm._retry_policy = RetryPolicy(sleep=waits.append)
    assert llm.invoke("hi").content == "Hi"
    assert waits == [3.5]


@pytest.mark.parametrize("status", [300, 301, 302, 307, 308])
def test_a_redirect_is_a_status_error_that_names_where_and_is_not_retried(
    status: int,
) -> None:
    """The client never follows a redirect: the user's fix is base_url."""
    error = error_from_http(
        status, b"", httpx.Headers({"location": "https://x.io/v1", "x-request-id": "r"})
    )
    assert type(error) is errors.APIStatusError
    assert error.message == (
        f"The URL answered with a redirect ({status}) to 'https://x.io/v1' instead "
        "of an API response: set base_url to the URL the API is served at."
    )
    assert (error.status_code, error.request_id) == (status, "r")
    assert error.is_retryable is False


def test_a_redirect_without_a_location_says_so_without_one() -> None:
    error = error_from_http(307, b"", httpx.Headers())
    assert error.message == (
        "The URL answered with a redirect (307) instead of an API response: set "
        "base_url to the URL the API is served at."
    )
