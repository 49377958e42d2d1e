"""Streams that break: every break raises after exactly the chunks that came first.

A stream may never end as a silent partial success: neither ``stream`` nor
``invoke(streaming=True)`` may hand back a shortened answer as if it were
whole.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import pytest
from clock import backoff
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import ModelConnectionError

from langchain_provider import ChatSambaNova
from langchain_provider.errors import (
    APIConnectionError,
    ResponseDecodeError,
    ServerError,
    StreamEventError,
    StreamInterruptedError,
)

from .conftest import STREAM_STYLES, call, chat_requests

PROMPT = "one two three four five six"
TOKENS = ["Emulated", " reply", " to", ":", " one", " two", " three", " four"]
N = 3  # chunks delivered before the fault


def script_fault(emu: Any, kind: str, after: int | None = N) -> None:
    if kind == "cut":
        emu.script.cut_stream(after_chunks=after)
    elif kind == "malformed":
        emu.script.malformed_chunk(after_chunks=after)
    elif kind == "error_event":
        emu.script.error_event(
            after_chunks=after, message="GPU fell over", style="event"
        )
    elif kind == "error_data":
        emu.script.error_event(
            after_chunks=after, message="GPU fell over", style="data"
        )
    elif kind == "no_done":
        emu.script.no_done(after_chunks=after)
    else:  # pragma: no cover
        raise AssertionError(kind)


EXPECTED = {
    "cut": StreamInterruptedError,
    "malformed": ResponseDecodeError,
    "error_event": StreamEventError,
    "error_data": StreamEventError,
    "no_done": StreamInterruptedError,
}


@pytest.mark.parametrize("style", STREAM_STYLES)
@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_stream_fault_raises_after_the_delivered_chunks(
    emu, make_model, style, kind
):
    script_fault(emu, kind)
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert isinstance(outcome.error, EXPECTED[kind]), outcome.error
    assert outcome.content_chunks == TOKENS[:N]
    # Chunks were handed over, so the request is not sent again.
    assert len(chat_requests(emu)) == 1
    if kind.startswith("error"):
        assert "GPU fell over" in str(outcome.error)
        assert outcome.error.code == "internal_error"
    if kind in ("cut", "no_done"):
        assert isinstance(outcome.error, APIConnectionError)
        assert isinstance(outcome.error, ModelConnectionError)


@pytest.mark.parametrize("style", STREAM_STYLES)
async def test_stream_without_done_after_the_whole_reply_still_raises(
    emu, make_model, style
):
    # Every chunk, finish_reason and usage arrive; only [DONE] is missing.
    emu.script.no_done(after_chunks=None)
    outcome = await call(make_model(), style, PROMPT)
    assert isinstance(outcome.error, StreamInterruptedError)
    assert outcome.text == f"Emulated reply to: {PROMPT}"


class TokenCounter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_invoke_with_streaming_raises_instead_of_a_partial_answer(
    emu, make_model, style, kind
):
    script_fault(emu, kind)
    counter = TokenCounter()
    model = make_model(streaming=True, max_retries=2)
    outcome = await call(model, style, PROMPT, config={"callbacks": [counter]})
    assert isinstance(outcome.error, EXPECTED[kind]), outcome.error
    assert outcome.result is None
    assert [t for t in counter.tokens if t] == TOKENS[:N]
    assert len(chat_requests(emu)) == 1


@pytest.mark.parametrize("style", STREAM_STYLES + ("invoke", "ainvoke"))
@pytest.mark.parametrize("kind", ["cut", "error_event"])
async def test_fault_before_the_first_chunk_is_retried_losslessly(
    emu, make_model, style, kind, retry_clock
):
    # Nothing was handed over yet, so sending the request again loses nothing.
    if style.endswith("invoke"):
        # Non-streaming: a body cut halfway, or a 500 carrying the error.
        script_fault(emu, kind)
    else:
        script_fault(emu, kind, after=0)
    emu.script.reply_text("All good", chunks=["All", " good"])
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    if outcome.error is not None and kind == "error_event" and style in STREAM_STYLES:
        pytest.fail(f"an error event before any chunk was not retried: {outcome.error}")
    assert outcome.error is None, outcome.error
    assert outcome.text == "All good"
    assert len(chat_requests(emu)) == 2
    assert retry_clock.waits == [backoff(0)]  # once, after the first backoff


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
async def test_malformed_non_streaming_body_raises_decode_error(emu, make_model, style):
    emu.script.malformed_chunk()
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert isinstance(outcome.error, ResponseDecodeError)
    assert isinstance(outcome.error, ServerError)
    assert "not valid JSON" in str(outcome.error)
    assert len(chat_requests(emu)) == 1


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
async def test_cut_non_streaming_body_without_retries_raises(emu, make_model, style):
    emu.script.cut_stream()
    outcome = await call(make_model(max_retries=0), style, PROMPT)
    assert isinstance(outcome.error, APIConnectionError)
    assert outcome.result is None
    assert len(chat_requests(emu)) == 1


class DoneThenDrop:
    """A bare TCP server: one complete SSE answer ending in [DONE], then the
    connection drops without the chunked terminator (seen behind proxies)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        chunk = {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [
                {"index": 0, "delta": {"content": "Whole"}, "finish_reason": "stop"}
            ],
        }
        body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
        head = (
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(head + f"{len(body):x}\r\n".encode() + body + b"\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("style", STREAM_STYLES)
async def test_done_then_dropped_connection_is_a_complete_answer(style):
    # [DONE] arrived, so the answer is whole even though the body never ended.
    server = DoneThenDrop()
    try:
        model = ChatSambaNova(
            base_url=f"http://127.0.0.1:{server.port}/v1", api_key="k", max_retries=0
        )
        outcome = await call(model, style)
    finally:
        server.close()
    assert outcome.error is None, outcome.error
    assert outcome.text == "Whole"
