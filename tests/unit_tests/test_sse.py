"""SSE framing and event decoding (``_streaming``), without and with HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from langchain_provider import errors
from langchain_provider._sse import DONE_GRACE, SSEParser, _Done, decode_event
from unit_tests.conftest import SSE_HEADERS, chunk, make_model, sse_bytes, text_chunks

ANSWER = sse_bytes(text_chunks("Hello", " wide", " world"))


def _frame(*reads: bytes) -> list[tuple[str, str]]:
    parser = SSEParser()
    return [event for raw in reads for event in parser.feed(raw)]


def test_events_and_fields() -> None:
    raw = (
        b"event: error\ndata: a\ndata: b\n\n: a comment\n:\n\n"
        b"data:no-space\n\nid: 1\nretry: 5\ndata: c\n\n"
    )
    assert _frame(raw) == [("error", "a\nb"), ("", "no-space"), ("", "c")]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_framing_is_the_same_wherever_the_reads_break(size: int) -> None:
    raw = (
        "\ufeffdata: héllo 🙂\r\n\r\ndata: x\r\rdata: y\n\n"
        "data: 1\r\ndata: 2\r\n\r\n"  # a line break inside an event
    ).encode()
    reads = [raw[i : i + size] for i in range(0, len(raw), size)]
    assert _frame(*reads) == [("", "héllo 🙂"), ("", "x"), ("", "y"), ("", "1\n2")]


def test_a_bom_is_dropped_only_at_the_start() -> None:
    assert _frame(b"\xef\xbb\xbfdata: a\n\n") == [("", "a")]
    assert _frame(b"\xef\xbb", b"\xbfdata: a\n\n") == [("", "a")]
    assert _frame("data: \ufeffa\n\n".encode()) == [("", "\ufeffa")]
    assert _frame(b"data: ", "\ufeffa\n\n".encode()) == [("", "\ufeffa")]


def test_bytes_that_are_not_utf8_are_replaced() -> None:
    """A bad byte becomes U+FFFD; it never ends the stream with a decode error."""
    assert _frame(b"data: a\xffb\n\n") == [("", "a\ufffdb")]


def test_an_unfinished_event_is_pending() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: [DONE]") == []
    assert parser.pending_data() == "[DONE]"
    parser = SSEParser()
    assert parser.feed(b"data: a\ndata: b") == []
    assert parser.pending_data() == "a\nb"


def test_decode_event() -> None:
    """A JSON object is a chunk, an empty event is nothing, ``[DONE]`` the end."""
    assert decode_event("", '{"a": 1}') == {"a": 1}
    assert decode_event("", "") is None
    with pytest.raises(_Done):
        decode_event("", "[DONE]")


BAD_JSON = (
    "not valid JSON (Expecting property name enclosed in double quotes: "
    "line 1 column 2 (char 1))"
)


LONG = "{" + "x" * 300
QUOTED = '"' + "x" * 300 + '"'


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{nope", f"A stream chunk is {BAD_JSON}: " + repr("{nope")),
        (LONG, f"A stream chunk is {BAD_JSON}: " + repr(LONG[:200])),
        (
            "[" * 100_000 + "]" * 100_000,
            "A stream chunk is not valid JSON (nested too deeply).",
        ),
        ("[1]", "A stream chunk is not a JSON object: '[1]'"),
        (QUOTED, "A stream chunk is not a JSON object: " + repr(QUOTED[:200])),
    ],
    ids=["bad", "long", "nested", "array", "string"],
)
async def test_a_chunk_that_is_no_json_object_is_a_decode_error(
    data: str, message: str, use_async: bool
) -> None:
    """The message says why and quotes 200 characters; ``.body`` keeps the chunk.

    A chunk that is not JSON at all is typed at the client's translation seam:
    no ``JSONDecodeError`` or ``RecursionError`` reaches the caller.
    """
    body = f"data: {data}\n\n".encode()
    model, _ = make_model(
        lambda request: httpx.Response(200, headers=SSE_HEADERS, content=body),
        max_retries=0,
    )
    with pytest.raises(errors.ResponseDecodeError) as excinfo:
        if use_async:
            [c async for c in model.astream("hi")]
        else:
            list(model.stream("hi"))
    assert excinfo.value.message == message
    assert excinfo.value.body == (None if "nested" in message else data)
    assert excinfo.value.__context__ is None


@pytest.mark.parametrize("event", ["error", "error_event"])
@pytest.mark.parametrize(
    ("data", "cls", "message"),
    [
        (
            '{"error": {"message": "slow", "code": "rate_limit_exceeded"}}',
            errors.StreamRateLimitError,
            "slow",
        ),
        ("not json", errors.StreamEventError, "not json"),
        ("", errors.StreamEventError, "error event with no data"),
    ],
)
def test_error_events_are_classified(
    event: str, data: str, cls: type, message: str
) -> None:
    """An error event raises its kind's class with its message; ``.body`` keeps it."""
    with pytest.raises(errors.StreamEventError) as excinfo:
        decode_event(event, data)
    assert type(excinfo.value) is cls
    assert (excinfo.value.message, excinfo.value.body) == (message, data)


def test_an_error_payload_is_classified() -> None:
    """A ``data:`` chunk holding an ``error`` raises, keeping the chunk as body."""
    data = '{"error": {"message": "long", "code": "context_length_exceeded"}}'
    with pytest.raises(errors.StreamContextLengthExceededError) as excinfo:
        decode_event("", data)
    assert (excinfo.value.message, excinfo.value.body) == ("long", data)


# Over (mock) HTTP.


@pytest.mark.parametrize(
    "content_type",
    ["text/event-stream", "Text/Event-Stream", "text/event-stream; charset=ISO-8859-1"],
)
def test_content_type_is_case_insensitive_and_charset_ignored(
    content_type: str,
) -> None:
    body = sse_bytes([chunk({"content": "Crème 寿司"})])
    model, _ = make_model(
        lambda request: httpx.Response(
            200, content=body, headers={"content-type": content_type}
        )
    )
    assert "".join(c.text for c in model.stream("hi")) == "Crème 寿司"


def test_a_bom_at_stream_start_loses_no_chunk() -> None:
    model, _ = make_model(
        lambda request: httpx.Response(
            200,
            content=b"\xef\xbb\xbf" + ANSWER,
            headers={"content-type": "text/event-stream"},
        )
    )
    assert "".join(c.text for c in model.stream("hi")) == "Hello wide world"


def test_done_without_its_blank_line_at_the_end_is_done() -> None:
    body = ANSWER[: -len(b"\n\n")]
    model, _ = make_model(
        lambda request: httpx.Response(
            200, content=body, headers={"content-type": "text/event-stream"}
        )
    )
    assert "".join(c.text for c in model.stream("hi")) == "Hello wide world"


@pytest.mark.parametrize("body", [b"", ANSWER[: -len(b"data: [DONE]\n\n")]])
async def test_a_stream_that_ends_before_done_is_incomplete(body: bytes) -> None:
    """No ``[DONE]``: the stream raises (sync and async), saying the answer is cut."""
    model, _ = make_model(
        lambda request: httpx.Response(200, content=body, headers=SSE_HEADERS),
        max_retries=0,
    )
    expected = (
        "The stream ended before the server sent [DONE]; the answer is incomplete."
    )
    with pytest.raises(errors.StreamInterruptedError) as excinfo:
        list(model.stream("hi"))
    assert excinfo.value.message == expected
    with pytest.raises(errors.StreamInterruptedError) as excinfo:
        [c async for c in model.astream("hi")]
    assert excinfo.value.message == expected


class HeldOpen(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that stays open after ``[DONE]`` until its socket is cut."""

    def __init__(self, body: bytes, sock: socket.socket) -> None:
        self.body = body
        self.sock = sock
        self.cut = False

    def _wait_for_the_cut(self) -> None:
        self.sock.settimeout(5.0)
        try:
            self.cut = self.sock.recv(1) == b""
        except TimeoutError:
            self.cut = False

    def __iter__(self) -> Iterator[bytes]:
        yield self.body
        self._wait_for_the_cut()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body
        self._wait_for_the_cut()


class NetworkStream:
    """httpcore's ``network_stream`` extension, over one end of a socket pair."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_body_held_open_after_done_is_cut_after_the_grace(mode: str) -> None:
    """After ``[DONE]`` the body gets ``DONE_GRACE`` seconds, then its socket is cut."""
    ours, peer = socket.socketpair()
    with ours, peer:
        held = HeldOpen(ANSWER, ours)
        model, _ = make_model(
            lambda request: httpx.Response(
                200,
                headers={"content-type": "text/event-stream"},
                stream=held,
                extensions={"network_stream": NetworkStream(ours)},
            )
        )
        started = time.monotonic()
        if mode == "sync":
            text = "".join(c.text for c in model.stream("hi"))
        else:
            text = "".join([c.text async for c in model.astream("hi")])
        assert text == "Hello wide world"
        assert held.cut
        # The cut is due DONE_GRACE after [DONE], which came after ``started``,
        # on the same monotonic clock: 10 ms spare only covers its granularity.
        assert DONE_GRACE - 0.01 <= time.monotonic() - started < 4.0
