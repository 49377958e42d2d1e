"""SSE framing and event decoding (``_streaming``), without and with HTTP."""

from __future__ import annotations

import httpx
import pytest

from langchain_provider import errors
from langchain_provider._streaming import SSEParser, _Done, decode_event
from unit_tests.conftest import chunk, make_model, sse_bytes, text_chunks

ANSWER = sse_bytes(text_chunks("Hello", " wide", " world"))


def _frame(*reads: bytes) -> list[tuple[str, str]]:
    parser = SSEParser()
    return [event for raw in reads for event in parser.feed(raw)]


def test_events_and_fields() -> None:
    raw = (
        b"event: error\ndata: a\ndata: b\n\n: a comment\n\n"
        b"data:no-space\n\nid: 1\nretry: 5\ndata: c\n\n"
    )
    assert _frame(raw) == [("error", "a\nb"), ("", "no-space"), ("", "c")]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_framing_is_the_same_wherever_the_reads_break(size: int) -> None:
    raw = "\ufeffdata: héllo 🙂\r\n\r\ndata: x\r\rdata: y\n\n".encode()
    reads = [raw[i : i + size] for i in range(0, len(raw), size)]
    assert _frame(*reads) == [("", "héllo 🙂"), ("", "x"), ("", "y")]


def test_a_bom_is_dropped_only_at_the_start() -> None:
    assert _frame(b"\xef\xbb\xbfdata: a\n\n") == [("", "a")]
    assert _frame(b"\xef\xbb", b"\xbfdata: a\n\n") == [("", "a")]
    assert _frame("data: \ufeffa\n\n".encode()) == [("", "\ufeffa")]


def test_an_unfinished_event_is_pending() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: [DONE]") == []
    assert parser.pending_data() == "[DONE]"


def test_decode_event() -> None:
    assert decode_event("", '{"a": 1}') == {"a": 1}
    assert decode_event("", "") is None
    with pytest.raises(_Done):
        decode_event("", "[DONE]")
    with pytest.raises(errors.ResponseDecodeError, match="not valid JSON"):
        decode_event("", "{nope")
    with pytest.raises(errors.ResponseDecodeError, match="not a JSON object"):
        decode_event("", "[1]")
    with pytest.raises(errors.ResponseDecodeError, match="nested too deeply"):
        decode_event("", "[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("event", ["error", "error_event"])
def test_error_events_are_classified(event: str) -> None:
    with pytest.raises(errors.StreamRateLimitError) as excinfo:
        decode_event(
            event, '{"error": {"message": "slow", "code": "rate_limit_exceeded"}}'
        )
    assert excinfo.value.message == "slow"
    with pytest.raises(errors.StreamEventError, match="not json"):
        decode_event(event, "not json")
    with pytest.raises(errors.StreamEventError, match="error event with no data"):
        decode_event(event, "")


def test_an_error_payload_is_classified() -> None:
    with pytest.raises(errors.StreamContextLengthExceededError):
        decode_event(
            "", '{"error": {"message": "long", "code": "context_length_exceeded"}}'
        )


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
