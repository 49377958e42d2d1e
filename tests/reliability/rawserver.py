"""A raw TCP server on 127.0.0.1 that answers with byte-exact HTTP responses.

The emulator speaks correct HTTP; some faults need bytes no framework would
send (a BOM, corrupt gzip, a body held open after ``[DONE]``). Each accepted
connection reads one request at a time (head and ``content-length`` body),
answers with the next scripted ``RawReply`` (the last one repeats), and keeps
the connection for the next request unless the reply says otherwise. It
records every request and, per connection, whether and when the client closed
it, which ``httpx.MockTransport`` cannot show.
"""

from __future__ import annotations

import gzip
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sse_frames import sse_bytes


@dataclass
class RawReply:
    """What the server sends for one request.

    Attributes:
        data: The exact bytes (status line, headers and body).
        hold: Seconds to keep the connection open after ``data``, reading
            nothing more, unless the client closes it first.
        ping: Bytes sent every ``ping_every`` seconds while holding.
        ping_every: Interval between pings.
        close: Close the connection after the reply (and any hold).
        later: Bytes sent ``later_after`` seconds after ``data`` (a second
            network read for the client).
        later_after: The pause before ``later``.
    """

    data: bytes
    hold: float = 0.0
    ping: bytes = b""
    ping_every: float = 0.05
    close: bool = False
    later: bytes = b""
    later_after: float = 0.2


@dataclass
class Connection:
    """One accepted connection and what happened to it."""

    opened: float
    requests: int = 0
    closed_by_client: float | None = None
    done: threading.Event = field(default_factory=threading.Event)


def response(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    chunked: bool = False,
) -> bytes:
    """An HTTP/1.1 response; ``chunked`` frames ``body`` as one chunk plus the end."""
    lines = [f"HTTP/1.1 {status} X"]
    all_headers = dict(headers or {})
    if chunked:
        all_headers["transfer-encoding"] = "chunked"
        framed = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    else:
        all_headers["content-length"] = str(len(body))
        framed = body
    lines += [f"{name}: {value}" for name, value in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + framed


def chunked_head(status: int = 200, headers: dict[str, str] | None = None) -> bytes:
    """The head of a chunked response whose chunks follow (see ``chunk``)."""
    all_headers = {"transfer-encoding": "chunked", **(headers or {})}
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One HTTP chunk (``b""`` gives the terminating chunk)."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def sse(*events: dict[str, Any] | str, done: bool = True) -> bytes:
    """SSE text: dicts as ``data:`` JSON, strings verbatim (plus a blank line)."""
    return sse_bytes(events, done=done)


def text_chunk(content: str) -> dict[str, Any]:
    """A chunk with one content delta."""
    return {
        "id": "r",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": content},
                "finish_reason": None,
            }
        ],
    }


def finish_chunk() -> dict[str, Any]:
    """The finish chunk of an answer."""
    return {
        "id": "r",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }


def completion_body(content: str = "Hello") -> bytes:
    """A non-streamed completion body."""
    return json.dumps(
        {
            "id": "r",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    ).encode()


def gzip_corrupt(data: bytes) -> bytes:
    """Gzip ``data``, then break the compressed stream after its header."""
    packed = gzip.compress(data)
    return packed[:10] + b"\xff" * 8 + packed[18:]


class RawServer:
    """A threaded loopback server answering from a script of ``RawReply``."""

    def __init__(self, *replies: RawReply) -> None:
        self.replies = list(replies)
        self.requests: list[bytes] = []
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)  # so that accept() notices the stop flag
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        """The API root to give ``ChatSambaNova(base_url=...)``."""
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def wait_closed(self, timeout: float = 10.0) -> bool:
        """Wait until every connection so far was closed; return whether it was."""
        deadline = time.monotonic() + timeout
        for connection in list(self.connections):
            if not connection.done.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def _take(self, request: bytes) -> RawReply:
        with self._lock:
            self.requests.append(request)
            index = min(len(self.requests), len(self.replies)) - 1
            return self.replies[index]

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            record = Connection(opened=time.monotonic())
            self.connections.append(record)
            threading.Thread(
                target=self._serve, args=(conn, record), daemon=True
            ).start()

    def _serve(self, conn: socket.socket, record: Connection) -> None:
        with conn:
            try:
                for request in _requests(conn):
                    reply = self._take(request)
                    record.requests += 1
                    conn.sendall(reply.data)
                    if reply.later:
                        time.sleep(reply.later_after)
                        conn.sendall(reply.later)
                    if reply.hold and self._hold(conn, reply, record):
                        break
                    if reply.close:
                        break
            except OSError:
                pass
            if record.closed_by_client is None and _peer_closed(conn, 0.0):
                record.closed_by_client = time.monotonic()
        record.done.set()

    def _hold(self, conn: socket.socket, reply: RawReply, record: Connection) -> bool:
        """Hold the connection open; True if the client closed it meanwhile."""
        deadline = time.monotonic() + reply.hold
        while time.monotonic() < deadline:
            if _peer_closed(conn, reply.ping_every):
                record.closed_by_client = time.monotonic()
                return True
            if reply.ping:
                conn.sendall(reply.ping)
        return False


def _peer_closed(conn: socket.socket, wait: float) -> bool:
    readable, _, _ = select.select([conn], [], [], wait)
    if not readable:
        return False
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _requests(conn: socket.socket) -> Iterator[bytes]:
    """Each request read from ``conn`` (head plus body), until the peer closes."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return
            buffer += data
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(buffer) < length:
            data = conn.recv(65536)
            if not data:
                return
            buffer += data
        body, buffer = buffer[:length], buffer[length:]
        yield head + b"\r\n\r\n" + body
