"""Shared helpers: a scripted ``httpx.MockTransport`` server and body builders.

Every unit test goes through the real client code (request building, headers,
retries, SSE decoding); only the socket is replaced, by a handler that records
each request and answers from a script. Real network access is refused
(pytest-socket, when installed), so a test that forgets to inject its client
fails instead of calling the live service.

Nor does any unit test sleep between retries: every model made here gets a
retry policy on a ``RecordingClock`` (``retry_clock``), which records the
waits the client plans, with the jitter pinned, and returns at once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from clock import RecordingClock
from sse_frames import sse_bytes  # noqa: F401 - re-exported to the unit tests

from langchain_provider import ChatSambaNova

API_KEY = "test-key"
MODEL = "Meta-Llama-3.3-70B-Instruct"
URL = "https://api.sambanova.ai/v1/chat/completions"

# A live-style usage object (see wire-format.md).
LIVE_USAGE: dict[str, Any] = {
    "prompt_tokens": 10,
    "completion_tokens": 51,
    "total_tokens": 61,
    "time_to_first_token": 0.1313,
    "total_latency": 0.3774,
    "completion_tokens_after_first_per_sec": 203.19,
    "completion_tokens_per_sec": 135.12,
    "start_time": 1746852567.3655,
    "end_time": 1746852567.7429,
    "is_last_response": True,
    "stop_reason": "stop",
}
LIVE_TIMING = {
    "time_to_first_token": 0.1313,
    "throughput_after_first_token": 203.19,
    "model_execution_time": 0.3774,
}

Reply = Callable[[httpx.Request], httpx.Response]


try:  # pytest-socket is in the dev venv; guard so the suite runs without it.
    import pytest_socket
except ImportError:  # pragma: no cover
    pytest_socket = None


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    if pytest_socket is None:  # pragma: no cover
        yield
        return
    # Unix sockets stay allowed: asyncio's event loop needs a socketpair.
    pytest_socket.disable_socket(allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()


@pytest.fixture(autouse=True)
def _retries_never_sleep(retry_clock: RecordingClock) -> None:
    # Every unit test's models wait on the recording clock (tests/conftest.py);
    # a test asserts its waits by asking for ``retry_clock`` itself.
    return None


# ---------------------------------------------------------------------------
# Response builders
# ---------------------------------------------------------------------------


def completion(
    content: str | None = "Hello!",
    *,
    model: str = MODEL,
    id: str = "resp-1",
    finish_reason: str | None = "stop",
    usage: dict[str, Any] | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    message: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` body."""
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        msg["tool_calls"] = tool_calls
    msg.update(message or {})
    body: dict[str, Any] = {
        "id": id,
        "object": "chat.completion",
        "created": 1746852567.742961,
        "model": model,
        "system_fingerprint": "fastcoe",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "logprobs": None,
                "message": msg,
            }
        ],
        "usage": dict(LIVE_USAGE) if usage is None else usage,
    }
    body.update(extra)
    return body


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish_reason: str | None = None,
    model: str = MODEL,
    id: str = "resp-1",
    **extra: Any,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with a single choice."""
    body: dict[str, Any] = {
        "id": id,
        "object": "chat.completion.chunk",
        "created": 1771518114,
        "model": model,
        "system_fingerprint": "fastcoe",
        "choices": [
            {
                "index": 0,
                "delta": delta if delta is not None else {},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
    }
    body.update(extra)
    return body


def usage_chunk(
    usage: dict[str, Any] | None = None, *, model: str = MODEL, id: str = "resp-1"
) -> dict[str, Any]:
    """The last chunk of a stream with ``include_usage``: ``choices`` is ``[]``."""
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": 1771518114,
        "model": model,
        "system_fingerprint": "fastcoe",
        "choices": [],
        "usage": dict(LIVE_USAGE) if usage is None else usage,
    }


def text_chunks(
    *pieces: str, model: str = MODEL, usage: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """A whole streamed answer: content deltas, finish chunk, usage chunk."""
    chunks = [
        chunk({"role": "assistant", "content": piece}, model=model) for piece in pieces
    ]
    chunks.append(chunk({"content": ""}, finish_reason="stop", model=model))
    chunks.append(usage_chunk(usage, model=model))
    return chunks


SSE_HEADERS = {"content-type": "text/event-stream"}


def json_reply(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Reply:
    return lambda request: httpx.Response(status, json=body, headers=headers)


def text_reply(text: str, status: int, headers: dict[str, str] | None = None) -> Reply:
    all_headers = {"content-type": "text/plain", **(headers or {})}
    return lambda request: httpx.Response(status, text=text, headers=all_headers)


def error_reply(
    status: int,
    message: str = "something went wrong",
    *,
    code: str | None = None,
    param: str | None = None,
    type: str = "invalid_request_error",
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    body: dict[str, Any] = {
        "error": {"message": message, "type": type, "param": param, "code": code}
    }
    if request_id is not None:
        body["request_id"] = request_id
    return json_reply(body, status, headers)


def sse_reply(
    events: Sequence[dict[str, Any] | str],
    *,
    done: bool = True,
    headers: dict[str, str] | None = None,
) -> Reply:
    content = sse_bytes(events, done=done)
    all_headers = {**SSE_HEADERS, **(headers or {})}
    return lambda request: httpx.Response(200, content=content, headers=all_headers)


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that yields some bytes, then the connection breaks."""

    def __init__(self, parts: Sequence[bytes], exc: Exception) -> None:
        self.parts = list(parts)
        self.exc = exc

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts
        raise self.exc

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part
        raise self.exc


def broken_sse_reply(
    events: Sequence[dict[str, Any] | str], exc: Exception | None = None
) -> Reply:
    """A stream that delivers ``events`` (each its own network read), then breaks."""
    parts = [sse_bytes([event], done=False) for event in events]
    error = exc or httpx.RemoteProtocolError("peer closed connection")
    return lambda request: httpx.Response(
        200, headers=SSE_HEADERS, stream=BrokenStream(parts, error)
    )


def raise_reply(exc: Exception) -> Reply:
    def reply(request: httpx.Request) -> httpx.Response:
        raise exc

    return reply


# ---------------------------------------------------------------------------
# The scripted server
# ---------------------------------------------------------------------------


@dataclass
class Server:
    """A MockTransport handler answering from a script; the last reply repeats."""

    replies: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        return reply(request)

    @property
    def calls(self) -> int:
        return len(self.requests)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]

    @property
    def body(self) -> dict[str, Any]:
        """The body of the only request sent."""
        assert self.calls == 1, f"expected one request, got {self.calls}"
        return self.bodies[0]


def make_model(*replies: Reply, **kwargs: Any) -> tuple[ChatSambaNova, Server]:
    """A ChatSambaNova whose sync and async clients talk to a scripted server."""
    server = Server(list(replies) or [json_reply(completion())])
    transport = httpx.MockTransport(server)
    params: dict[str, Any] = {"model": MODEL, "api_key": API_KEY}
    params.update(kwargs)
    model = ChatSambaNova(
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **params,
    )
    return model, server
