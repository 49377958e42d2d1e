"""The catalog (``list_models``): the model list as typed entries, failures typed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from langchain_provider import (
    APIConnectionError,
    AuthenticationError,
    ChatSambaNova,
    ResponseDecodeError,
    ServerError,
)
from langchain_provider._profiles import ModelInfo, models_from_response, models_url

ENTRY = {
    "id": "DeepSeek-V3.2",
    "object": "model",
    "owned_by": "sambanova",
    "context_length": 32768,
    "max_completion_tokens": 7168,
    "pricing": {"prompt": "0.0000045", "completion": "0.00001"},
}


def _model(handler: Any, **kwargs: Any) -> tuple[ChatSambaNova, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    transport = httpx.MockTransport(record)
    model = ChatSambaNova(
        api_key="test-key",
        base_url="http://catalog.test/v1/",
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **kwargs,
    )
    return model, seen


async def _fetch(model: ChatSambaNova, how: str) -> list[ModelInfo]:
    return model.list_models() if how == "sync" else await model.alist_models()


both = pytest.mark.parametrize("how", ["sync", "async"])


def _json(payload: Any, status: int = 200) -> Any:
    return lambda request: httpx.Response(status, json=payload)


def test_entries_are_typed_with_string_prices() -> None:
    model, seen = _model(_json({"object": "list", "data": [ENTRY, {"id": "bare"}]}))
    full, bare = model.list_models()
    assert full == ModelInfo(
        id="DeepSeek-V3.2",
        context_length=32768,
        max_completion_tokens=7168,
        price_per_input_token=4.5e-6,
        price_per_output_token=1e-5,
        owned_by="sambanova",
    )
    assert bare == ModelInfo(id="bare")
    [request] = seen
    assert request.method == "GET"
    assert str(request.url) == "http://catalog.test/v1/models"
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.headers["accept"] == "application/json"


async def test_async_and_numeric_prices() -> None:
    entry = {**ENTRY, "pricing": {"prompt": 4.5e-6, "completion": 1e-5}}
    model, _ = _model(_json({"data": [entry]}))
    [info] = await model.alist_models()
    assert info.price_per_input_token == 4.5e-6
    assert info.price_per_output_token == 1e-5


def test_models_url() -> None:
    assert models_url("http://x/v1/") == "http://x/v1/models"
    assert models_url("http://x/v1") == "http://x/v1/models"
    # Only slashes are trimmed.
    assert models_url("http://x/GATEWAYX") == "http://x/GATEWAYX/models"


@both
@pytest.mark.parametrize(
    ("timeout", "sent"),
    [
        (7.5, {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}),
        # No timeout: the non-streamed default (5 s to connect, 600 s in all).
        (None, {"connect": 5.0, "read": 600.0, "write": 600.0, "pool": 600.0}),
    ],
)
async def test_catalog_request_is_configured_like_a_chat_request(
    how: str, timeout: float | None, sent: dict[str, float]
) -> None:
    """The model's key, extra headers and timeout apply to the catalog request."""
    model, seen = _model(
        _json({"data": [ENTRY]}), timeout=timeout, default_headers={"X-Team": "a"}
    )
    [info] = await _fetch(model, how)
    assert info.id == "DeepSeek-V3.2"
    [request] = seen
    assert (request.method, str(request.url)) == (
        "GET",
        "http://catalog.test/v1/models",
    )
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-team"] == "a"
    assert request.extensions["timeout"] == sent


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationError), (503, ServerError)]
)
def test_error_statuses_raise_the_packages_errors(status: int, error: type) -> None:
    body = {"error": {"message": "nope here", "type": "x", "code": "y"}}
    model, _ = _model(_json(body, status))
    with pytest.raises(error, match="nope here"):
        model.list_models()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>", "not valid JSON"),
        (b'{"object": "list"}', "no 'data' array"),
        (b'{"data": [3]}', "not a JSON object"),
        (b'{"data": [{"context_length": 5}]}', "Unreadable model entry"),
        (b'{"data": [{"id": "m", "pricing": {"prompt": "free"}}]}', "price_per_input"),
        (b'{"data": [{"id": "m", "context_length": "big"}]}', "context_length"),
    ],
)
def test_unreadable_bodies_raise_response_decode_error(
    content: bytes, message: str
) -> None:
    model, _ = _model(lambda request: httpx.Response(200, content=content))
    with pytest.raises(ResponseDecodeError, match=message):
        model.list_models()


@pytest.mark.parametrize(
    ("content", "message", "status"),
    [
        (b'{"object": "list"}', "The model list has no 'data' array.", 200),
        (b'["m1", "m2"]', "The model list has no 'data' array.", 200),
        (
            b'{"data": [{"id": "m", "context_length": "big", "pricing": '
            b'{"completion": "free"}}]}',
            "Unreadable model entry 'm': context_length: Input should be a valid "
            "integer, unable to parse string as an integer; price_per_output_token: "
            "Input should be a valid number, unable to parse string as a number",
            None,
        ),
    ],
    ids=["no-data", "json-array", "bad-fields"],
)
def test_decode_error_messages(
    content: bytes, message: str, status: int | None
) -> None:
    """The whole message: what is wrong, with the body (cut) or the entry's id."""
    response = httpx.Response(200, content=content)
    with pytest.raises(ResponseDecodeError) as caught:
        models_from_response(response)
    assert caught.value.message == message
    assert caught.value.status_code == status


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body read over the wire, not at construction (as ``content=`` is)."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def __iter__(self) -> Iterator[bytes]:
        yield self.content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content


@both
@pytest.mark.parametrize(
    ("content", "headers", "message", "cause"),
    [
        (
            b"<" + b"a" * 300,
            {},
            "The model list is not valid JSON (Expecting value: line 1 column 1 "
            "(char 0)): '<" + "a" * 199 + "'",
            json.JSONDecodeError,
        ),
        (
            b"[" * 100_000 + b"]" * 100_000,
            {},
            "The model list is not valid JSON (nested too deeply).",
            None,
        ),
        (
            b"\x1f\x8bnot gzip",
            {"content-encoding": "gzip"},
            "The response body could not be decoded (DecodingError: ",
            httpx.DecodingError,
        ),
    ],
    ids=["not-json", "nested", "corrupt-gzip"],
)
async def test_an_undecodable_list_is_a_decode_error(
    how: str, content: bytes, headers: dict[str, str], message: str, cause: Any
) -> None:
    """Bad JSON, absurd nesting and corrupt gzip: all typed, none escapes raw."""
    model, _ = _model(
        lambda request: httpx.Response(200, stream=_Body(content), headers=headers)
    )
    with pytest.raises(ResponseDecodeError) as caught:
        await _fetch(model, how)
    assert caught.value.message.startswith(message)
    assert caught.value.status_code == 200
    if cause is None:
        assert caught.value.__cause__ is None
    else:
        assert isinstance(caught.value.__cause__, cause)


@both
@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("refused"), "ConnectError: refused"),
        # No stream to break: a read failure is a connection error too.
        (httpx.ReadError("reset"), "ReadError: reset"),
    ],
)
async def test_transport_failure_is_a_connection_error(
    how: str, error: httpx.TransportError, reason: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    model, _ = _model(fail)
    with pytest.raises(APIConnectionError) as caught:
        await _fetch(model, how)
    assert type(caught.value) is APIConnectionError
    assert caught.value.message == f"Could not reach the SambaNova API ({reason})."


def test_models_from_response_directly() -> None:
    request = httpx.Request("GET", "http://x/v1/models")
    response = httpx.Response(200, json={"data": [ENTRY]}, request=request)
    assert models_from_response(response)[0].id == "DeepSeek-V3.2"
