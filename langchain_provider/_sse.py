"""Server-sent events to decoded API chunks, with every way a stream can fail.

``SSEParser`` frames the byte stream into events as the SSE specification
says: the body is UTF-8 whatever charset the content type declares, a
leading byte-order mark is dropped, lines end in CRLF, LF or CR, and ``:``
lines are comments (keep-alive pings). httpx-sse does the framing well but
decodes with the declared charset, keeps the BOM (which hides the first
event's field name, losing the first chunk) and compares the content type
case-sensitively, so the framing is done here (and is leaner per chunk).

``decode_event`` decides what each event means, shared by the sync and async
iterators, which differ only in ``for`` versus ``async for``.

A stream ends well only with ``data: [DONE]``, and ends *there*: a server that
keeps the body open afterwards (silently or with ``: ping`` comments) gets
``DONE_GRACE`` seconds to finish the body, so that the connection can be
reused, and is then cut (``cut_after``). An ``event: error`` (or
``error_event``), a ``data:`` payload holding an ``error`` object, a chunk that
is not JSON, and a stream that stops early each raise, after the chunks that
came before were delivered.

Cutting after ``[DONE]``: httpx has no per-read deadline once a body is
being read, so one daemon thread keeps the deadlines of such reads and, when
one passes, shuts the socket down (from httpcore's documented
``network_stream`` response extension); the blocked read then sees the end of
the connection at once. Responses without a socket (``httpx.MockTransport``)
have finite bodies and are read to the end.
"""

from __future__ import annotations

import codecs
import heapq
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from langchain_provider.errors import (
    ResponseDecodeError,
    StreamInterruptedError,
    classify,
    decode_json,
)

# -- cutting a body that stays open after [DONE] -------------------------------

DONE_GRACE = 0.25
"""Seconds a server gets to end the body after ``data: [DONE]``."""


class _Watch:
    __slots__ = ("deadline", "order", "response", "sock", "active")

    def __init__(
        self, deadline: float, order: int, response: httpx.Response, sock: Any
    ) -> None:
        self.deadline = deadline
        self.order = order
        self.response = response
        self.sock = sock
        self.active = True

    def __lt__(self, other: _Watch) -> bool:
        return (self.deadline, self.order) < (other.deadline, other.order)


class _Watchdog:
    """One daemon thread per process that enforces the armed deadlines."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[_Watch] = []
        self._order = itertools.count()
        self._pid = -1

    def arm(self, response: httpx.Response, sock: Any, seconds: float) -> _Watch:
        watch = _Watch(time.monotonic() + seconds, next(self._order), response, sock)
        with self._condition:
            if self._pid != os.getpid():  # first use, or a forked child
                self._pid = os.getpid()
                self._heap = []
                threading.Thread(target=self._run, daemon=True).start()
            heapq.heappush(self._heap, watch)
            self._condition.notify()
        return watch

    def disarm(self, watch: _Watch) -> None:
        with self._condition:
            watch.active = False

    def _run(self) -> None:
        with self._condition:
            while True:
                while self._heap and not self._heap[0].active:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._condition.wait()
                    continue
                wait = self._heap[0].deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                _cut(heapq.heappop(self._heap))


def _cut(watch: _Watch) -> None:
    # httpx marks a response closed before it hands the connection back to
    # the pool, so a response that is not closed still owns its socket. The
    # one window left (the read ends and the connection is reused between
    # this check and the shutdown) needs the body to end exactly at the
    # deadline and another request to take that very connection within
    # microseconds; its worst outcome is a retryable connection error there.
    if watch.response.is_closed:
        return
    try:
        if isinstance(watch.sock, socket.socket):
            # socket.socket's own shutdown, also for an SSLSocket: no TLS
            # close_notify is attempted from this thread.
            socket.socket.shutdown(watch.sock, socket.SHUT_RDWR)
        else:  # asyncio's TransportSocket, which allows shutdown
            watch.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_WATCHDOG = _Watchdog()


def _socket_of(response: httpx.Response) -> Any:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    sock = stream.get_extra_info("socket")
    # A socket.socket (sync) or asyncio's TransportSocket (async, via anyio).
    return sock if hasattr(sock, "shutdown") else None


@contextmanager
def cut_after(response: httpx.Response, seconds: float) -> Iterator[None]:
    """Within the block, cut ``response``'s connection after ``seconds``."""
    sock = _socket_of(response)
    if sock is None:
        yield
        return
    watch = _WATCHDOG.arm(response, sock, seconds)
    try:
        yield
    finally:
        _WATCHDOG.disarm(watch)


# -- SSE framing and decoding --------------------------------------------------

_DONE = "[DONE]"
_ERROR_EVENTS = frozenset({"error", "error_event"})
_BOM = "\ufeff"


class _Done(Exception):
    """Internal signal: the server sent ``[DONE]``."""


def is_event_stream(response: httpx.Response) -> bool:
    """Whether the response's media type is ``text/event-stream`` (any case)."""
    content_type = response.headers.get("content-type", "")
    return content_type.partition(";")[0].strip().lower() == "text/event-stream"


class SSEParser:
    """Incremental SSE framing: bytes in, ``(event, data)`` pairs out."""

    __slots__ = ("_decoder", "_pending", "_cr", "_started", "_event", "_data")

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._cr = False
        self._started = False
        self._event = ""
        self._data: list[str] = []

    def feed(self, raw: bytes) -> list[tuple[str, str]]:
        """Frame ``raw`` (any slice of the body); return the completed events."""
        text = self._decoder.decode(raw)
        if not self._started and text:
            self._started = True
            if text[0] == _BOM:
                text = text[1:]
        if "\r" in text or self._cr:
            text = self._normalize(text)
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        events: list[tuple[str, str]] = []
        for line in lines:
            if line:
                self._field(line)
            elif self._data or self._event:
                events.append((self._event, "\n".join(self._data)))
                self._event, self._data = "", []
        return events

    def pending_data(self) -> str:
        """The data of an event the body ended in the middle of (no blank line)."""
        if self._pending:
            self._field(self._pending)
            self._pending = ""
        return "\n".join(self._data)

    def _normalize(self, text: str) -> str:
        # A CR at the end of one read may be the first half of a CRLF.
        if self._cr:
            text = "\r" + text
        self._cr = text.endswith("\r")
        if self._cr:
            text = text[:-1]
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def _field(self, line: str) -> None:
        # A comment (": ping", a keep-alive) has an empty field name: ignored.
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value


def decode_event(event: str, data: str) -> dict[str, Any] | None:
    """Turn one server-sent event into a decoded chunk.

    Args:
        event: The event's type (``""`` when it had no ``event:`` field).
        data: Its data lines, joined with newlines.

    Returns:
        The decoded chunk, or ``None`` for an event that carries nothing.

    Raises:
        _Done: On ``data: [DONE]``.
        StreamEventError: (or the class its kind maps to, e.g.
            ``StreamRateLimitError``) on an error event or a payload holding an
            ``error``.
        ResponseDecodeError: On a ``data:`` payload that is JSON but not an object.
        json.JSONDecodeError, RecursionError: On one that is not JSON (or is
            nested absurdly deep); ``_http.translate_failures`` types them.
    """
    if event in _ERROR_EVENTS:
        try:
            payload: Any = decode_json(data) if data else "error event with no data"
        except ValueError:
            payload = data
        raise classify(payload, status_code=None, in_stream=True, body=data)
    if not data:
        return None
    if data == _DONE:
        raise _Done
    # Not JSON: the JSONDecodeError (or RecursionError) becomes a
    # ResponseDecodeError at the client's one translation seam.
    chunk = json.loads(data)
    if not isinstance(chunk, dict):
        raise ResponseDecodeError(
            f"A stream chunk is not a JSON object: {data[:200]!r}", body=data
        )
    if chunk.get("error"):
        # The other way the service reports an in-stream error: not a chunk.
        raise classify(chunk, status_code=None, in_stream=True, body=data)
    return chunk


def _incomplete() -> StreamInterruptedError:
    return StreamInterruptedError(
        "The stream ended before the server sent [DONE]; the answer is incomplete."
    )


def _ended_with_done(parser: SSEParser) -> bool:
    # A body that closes right after "data: [DONE]" without the blank line
    # still said [DONE]; the answer is whole.
    return parser.pending_data() == _DONE


def _drain(response: httpx.Response, body: Iterator[bytes]) -> None:
    """Read what follows ``[DONE]`` for at most ``DONE_GRACE`` seconds.

    Normally only the chunked terminator follows: reading it lets the
    connection go back to the pool (a response closed half-read takes its
    connection down, and the next stream pays a new TCP and TLS handshake).
    A server that holds the body open is cut at the deadline instead.
    """
    with cut_after(response, DONE_GRACE):
        try:
            for _ in body:
                pass
        except (httpx.TransportError, httpx.DecodingError):
            pass  # the answer is complete; the connection just is not reused


def iter_chunks(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """Yield the decoded chunks of a streaming response until ``[DONE]``.

    Args:
        response: An open ``text/event-stream`` response with a success status.

    Yields:
        Each decoded chunk.

    Raises:
        StreamEventError, ResponseDecodeError, StreamInterruptedError: As
            described in the module docstring.
    """
    parser = SSEParser()
    body = response.iter_bytes()
    try:
        for raw in body:
            for event, data in parser.feed(raw):
                chunk = decode_event(event, data)
                if chunk is not None:
                    yield chunk
    except _Done:
        _drain(response, body)
        return
    if not _ended_with_done(parser):
        raise _incomplete()


async def _adrain(response: httpx.Response, body: AsyncIterator[bytes]) -> None:
    """Async twin of :func:`_drain`."""
    with cut_after(response, DONE_GRACE):
        try:
            async for _ in body:
                pass
        except (httpx.TransportError, httpx.DecodingError):
            pass


async def aiter_chunks(
    response: httpx.Response,
) -> AsyncGenerator[dict[str, Any], None]:
    """Async twin of :func:`iter_chunks`."""
    parser = SSEParser()
    body = response.aiter_bytes()
    try:
        async for raw in body:
            for event, data in parser.feed(raw):
                chunk = decode_event(event, data)
                if chunk is not None:
                    yield chunk
    except _Done:
        await _adrain(response, body)
        return
    if not _ended_with_done(parser):
        raise _incomplete()
