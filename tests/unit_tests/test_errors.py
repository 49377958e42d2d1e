"""Errors: every status to its typed class, bodies of every shape, stream faults.

Each typed error must also be the matching ``langchain_core.exceptions`` class,
carry what the server said (status, message, code, param, request id), and a
stream that fails must raise after yielding what came before, never end as a
silent, truncated success.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import httpx
import pytest
from langchain_core import exceptions as core

from langchain_provider import errors
from langchain_provider.errors import classify, error_from_http
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
