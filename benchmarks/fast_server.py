"""A pre-rendered, bottleneck-free server of the chat completion API.

Raw asyncio, no framework: every response is rendered once at start-up and
written with a single ``transport.write``. Streams use chunked transfer
encoding with one HTTP chunk per SSE event, as a real server sends them. It
understands exactly what the benchmark sends: ``POST .../chat/completions``
with a JSON body, ``stream`` and ``stream_options.include_usage``.

Run in its own process by ``benchmarks.run``; standalone::

    python -m benchmarks.fast_server --port 8765 --latency 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import time
import uuid

from benchmarks._payload import MODEL, SMALL_REPLY, STREAM_PIECES

_USAGE = {
    "prompt_tokens": 21,
    "completion_tokens": 41,
    "total_tokens": 62,
    "time_to_first_token": 0.0915,
    "total_latency": 0.168,
    "completion_tokens_after_first_per_sec": 522.9,
    "is_last_response": True,
}


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _chunked(payloads: list[bytes]) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in payloads) + b"0\r\n\r\n"


def render_stream(pieces: list[str], *, include_usage: bool) -> bytes:
    """The full HTTP response of a streamed answer made of ``pieces``."""
    base = {
        "id": str(uuid.uuid4()),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "system_fingerprint": "fastcoe",
    }
    events = []
    for piece in pieces:
        choice = {
            "index": 0,
            "delta": {"role": "assistant", "content": piece},
            "finish_reason": None,
            "logprobs": None,
        }
        events.append({**base, "choices": [choice]})
    finish = {"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}
    events.append({**base, "choices": [{**finish, "logprobs": None}]})
    if include_usage:
        events.append({**base, "choices": [], "usage": _USAGE})
    payloads = [f"data: {_dumps(e)}\n\n".encode() for e in events]
    payloads.append(b"data: [DONE]\n\n")
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    return head + _chunked(payloads)


def render_completion(text: str) -> bytes:
    """The full HTTP response of a non-streamed answer."""
    body = _dumps(
        {
            "id": str(uuid.uuid4()),
            "object": "chat.completion",
            "created": time.time(),
            "model": MODEL,
            "system_fingerprint": "fastcoe",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": _USAGE,
        }
    ).encode()
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    )
    return head + body


_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


class _Responses:
    def __init__(self, stream_pieces: list[str], reply: str) -> None:
        self.stream = render_stream(stream_pieces, include_usage=False)
        self.stream_usage = render_stream(stream_pieces, include_usage=True)
        self.completion = render_completion(reply)

    def for_request(self, head: bytes, body: bytes) -> bytes:
        request_line = head.split(b"\r\n", 1)[0]
        if not request_line.startswith(b"POST ") or b"/chat/completions" not in (
            request_line
        ):
            return _NOT_FOUND
        request = json.loads(body) if body else {}
        if not request.get("stream"):
            return self.completion
        options = request.get("stream_options") or {}
        return self.stream_usage if options.get("include_usage") else self.stream


class _HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; one request at a time per connection."""

    def __init__(self, responses: _Responses, latency: float) -> None:
        self.responses = responses
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            response = self.responses.for_request(head, body)
            if self.latency > 0:
                asyncio.get_running_loop().call_later(
                    self.latency, self._write, response
                )
            else:
                self._write(response)

    def _write(self, response: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(
    port: int,
    latency: float,
    *,
    pieces: list[str] = STREAM_PIECES,
    reply: str = SMALL_REPLY,
) -> None:
    """Serve forever on 127.0.0.1:``port`` (0 picks a free port).

    Streams answer with ``pieces``; non-streamed requests with ``reply``.
    """
    responses = _Responses(pieces, reply)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: server.close())
    server = await loop.create_server(
        lambda: _HTTPProtocol(responses, latency),
        "127.0.0.1",
        port,
        backlog=4096,  # 256 simultaneous connects must not overflow the queue
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"READY http://127.0.0.1:{bound}/v1", flush=True)
    async with server:
        try:
            await server.serve_forever()
        except asyncio.CancelledError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.latency))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
