"""Streaming transport: SSE bodies through the real client, closed when done.

Stopping early (``break``, ``aclose``) closes the connection, and so does a
stream read to its end. What the chunks are turned into is tested in
``test_chunks.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from unit_tests.conftest import SSE_HEADERS, make_model, sse_bytes, text_chunks

# ---------------------------------------------------------------------------
# Stopping early closes the connection
# ---------------------------------------------------------------------------


class TrackedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """An SSE body that records whether the client closed it."""

    def __init__(self, body: bytes) -> None:
        self.parts = [part + b"\n\n" for part in body.split(b"\n\n") if part]
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def _tracked_reply() -> tuple[TrackedStream, Any]:
    body = TrackedStream(sse_bytes(text_chunks("one", "two", "three")))
    return body, lambda request: httpx.Response(200, headers=SSE_HEADERS, stream=body)


def test_breaking_out_of_a_stream_closes_the_connection() -> None:
    body, reply = _tracked_reply()
    model, _ = make_model(reply)
    stream = model.stream("hi")
    assert next(stream).text == "one"
    assert not body.closed
    stream.close()
    assert body.closed


async def test_breaking_out_of_an_astream_closes_the_connection() -> None:
    body, reply = _tracked_reply()
    model, _ = make_model(reply)
    stream = model.astream("hi")
    assert (await stream.__anext__()).text == "one"
    await stream.aclose()
    assert body.closed


def test_a_finished_stream_closes_the_connection() -> None:
    body, reply = _tracked_reply()
    model, _ = make_model(reply)
    assert "".join(c.text for c in model.stream("hi")) == "onetwothree"
    assert body.closed


def test_closing_a_stream_early_closes_the_clients_iterator(monkeypatch) -> None:
    # Folded from the former test_mutation_gaps.py: ``_stream`` must close the
    # client's chunk iterator (and so the connection) when closed early.
    from langchain_provider._http import ChatCompletionsClient

    closed = []

    class Chunks:
        def __init__(self, chunks: list[dict[str, Any]]) -> None:
            self._chunks = iter(chunks)

        def __iter__(self) -> Chunks:
            return self

        def __next__(self) -> dict[str, Any]:
            return next(self._chunks)

        def close(self) -> None:
            closed.append(True)

    held = Chunks(text_chunks("a", "b"))
    monkeypatch.setattr(ChatCompletionsClient, "stream", lambda self, body: held)
    model, _ = make_model()
    stream = model.stream("hi")
    next(stream)
    stream.close()
    assert closed == [True]
