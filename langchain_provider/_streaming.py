"""Server-sent events to decoded API chunks, with every way a stream can fail.

SSE framing is left to ``httpx-sse``; this module decides what each event
means. ``decode_event`` is the one place that happens, shared by the sync and
async iterators, which differ only in ``for`` versus ``async for``.

A stream ends well only with ``data: [DONE]``. An ``event: error`` (or
``error_event``), a ``data:`` payload holding an ``error`` object, a chunk that
is not JSON, and a stream that stops early each raise, after the chunks that
came before were delivered.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent

from langchain_provider.errors import (
    ResponseDecodeError,
    StreamEventError,
    StreamInterruptedError,
    error_from_payload,
)

_DONE = "[DONE]"
_ERROR_EVENTS = frozenset({"error", "error_event"})


class _Done(Exception):
    """Internal signal: the server sent ``[DONE]``."""


def check_event_stream(response: httpx.Response) -> None:
    """Make sure a successful streaming response really is an event stream.

    Raises:
        ResponseDecodeError: When the server answered with another content type.
    """
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        raise ResponseDecodeError(
            "Expected a text/event-stream response to a streaming request, got "
            f"{content_type or 'no content type'!r}.",
            status_code=response.status_code,
        )


def decode_event(sse: ServerSentEvent) -> dict[str, Any] | None:
    """Turn one server-sent event into a decoded chunk.

    Args:
        sse: The event as framed by httpx-sse.

    Returns:
        The decoded chunk, or ``None`` for an event that carries nothing
        (comments, keep-alives).

    Raises:
        _Done: On ``data: [DONE]``.
        StreamEventError: On an error event or a payload holding an ``error``.
        ResponseDecodeError: On a ``data:`` payload that is not a JSON object.
    """
    data = sse.data
    if sse.event in _ERROR_EVENTS:
        try:
            payload: Any = json.loads(data) if data else "error event with no data"
        except json.JSONDecodeError:
            payload = data
        raise error_from_payload(
            payload, status_code=None, default_class=StreamEventError
        )
    if not data:
        return None
    if data == _DONE:
        raise _Done
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ResponseDecodeError(
            f"A stream chunk is not valid JSON ({exc.msg}): {data[:200]!r}"
        ) from exc
    if not isinstance(chunk, dict):
        raise ResponseDecodeError(
            f"A stream chunk is not a JSON object: {data[:200]!r}"
        )
    if chunk.get("error"):
        # The other way the service reports an in-stream error: not a chunk.
        raise error_from_payload(
            chunk, status_code=None, default_class=StreamEventError
        )
    return chunk


def _incomplete() -> StreamInterruptedError:
    return StreamInterruptedError(
        "The stream ended before the server sent [DONE]; the answer is incomplete."
    )


def iter_chunks(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """Yield the decoded chunks of a streaming response until ``[DONE]``.

    Args:
        response: An open streaming response with a success status.

    Yields:
        Each decoded chunk.

    Raises:
        StreamEventError, ResponseDecodeError, StreamInterruptedError: As
            described in the module docstring.
    """
    check_event_stream(response)
    events = EventSource(response).iter_sse()
    try:
        for sse in events:
            chunk = decode_event(sse)
            if chunk is not None:
                yield chunk
    except _Done:
        # Read what follows [DONE] (normally only the chunked terminator): a
        # response closed half-read takes its connection down with it, and
        # every stream would pay a new TCP and TLS handshake. The vendor and
        # OpenAI SDKs drain the same way; a server that held the body open
        # after [DONE] would delay the return up to the read timeout.
        try:
            for _ in events:
                pass
        except httpx.TransportError:
            pass  # the answer is complete; the connection just is not reused
        return
    raise _incomplete()


async def aiter_chunks(
    response: httpx.Response,
) -> AsyncGenerator[dict[str, Any], None]:
    """Async twin of :func:`iter_chunks`."""
    check_event_stream(response)
    events = EventSource(response).aiter_sse()
    try:
        async for sse in events:
            chunk = decode_event(sse)
            if chunk is not None:
                yield chunk
    except _Done:
        try:  # drain after [DONE], as in iter_chunks
            async for _ in events:
                pass
        except httpx.TransportError:
            pass
        return
    raise _incomplete()
