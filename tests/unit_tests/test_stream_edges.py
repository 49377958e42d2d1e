"""Stream edge cases an independent review found, through the real client.

An error payload before the first chunk (retried like an error event), a
stream that is only ``[DONE]``, held-back ``<think>`` text with no finish
chunk, argument fragments with neither index nor id, an error body cut while
it is read, and a body with no choices.
"""

from __future__ import annotations

import httpx
import pytest

from langchain_provider import ResponseDecodeError, ServerError, StreamEventError
from langchain_provider._client import retry_delay
from unit_tests.conftest import (
    BrokenStream,
    chunk,
    completion,
    json_reply,
    make_model,
    sse_reply,
    text_chunks,
)

ERROR_PAYLOAD = {"error": {"message": "Internal error", "type": "server_error"}}
RETRY_NOW = {"retry-after-ms": "1"}


def test_error_payload_before_first_chunk_is_retried():
    model, server = make_model(
        sse_reply([ERROR_PAYLOAD], done=False), sse_reply(text_chunks("Hi"))
    )
    assert "".join(c.text for c in model.stream("hi")) == "Hi"
    assert server.calls == 2


def test_error_payload_after_a_chunk_raises_after_the_chunk():
    model, server = make_model(
        sse_reply([chunk({"content": "He"}), ERROR_PAYLOAD], done=False)
    )
    received = []
    with pytest.raises(StreamEventError, match="Internal error"):
        for piece in model.stream("hi"):
            received.append(piece.text)
    assert received == ["He"]
    assert server.calls == 1


@pytest.mark.parametrize("streaming", [False, True])
def test_an_answer_with_no_choices_is_an_error(streaming):
    empty = (
        sse_reply([])  # just [DONE]
        if streaming
        else json_reply({**completion("x"), "choices": None})
    )
    model, _ = make_model(empty, streaming=streaming)
    with pytest.raises(ResponseDecodeError, match="no (choices|chunk)"):
        model.invoke("hi")


def test_held_back_text_is_flushed_without_a_finish_chunk():
    # "<" might start "<think>", so it is held back; the stream then ends
    # with only a usage chunk and [DONE]: the "<" must still arrive.
    model, _ = make_model(
        sse_reply(
            [
                chunk({"role": "assistant", "content": "<"}),
                {**chunk(), "choices": [], "usage": {"prompt_tokens": 1}},
            ]
        )
    )
    assert "".join(c.text for c in model.stream("hi")) == "<"


async def test_unclosed_think_is_reasoning_without_a_finish_chunk():
    model, _ = make_model(sse_reply([chunk({"content": "<think>pondering</th"})]))
    full = None
    async for piece in model.astream("hi"):
        full = piece if full is None else full + piece
    assert full.content == ""
    assert full.additional_kwargs["reasoning_content"] == "pondering</th"


def test_argument_fragments_without_index_or_id_continue_the_call():
    first = {"id": "call_1", "type": "function", "function": {"name": "f"}}
    model, _ = make_model(
        sse_reply(
            [
                chunk({"tool_calls": [first]}),
                chunk({"tool_calls": [{"function": {"arguments": '{"a": '}}]}),
                chunk({"tool_calls": [{"function": {"arguments": "1}"}}]}),
                chunk({}, finish_reason="tool_calls"),
            ]
        )
    )
    full = None
    for piece in model.stream("hi"):
        full = piece if full is None else full + piece
    assert full.tool_calls == [
        {"name": "f", "args": {"a": 1}, "id": "call_1", "type": "tool_call"}
    ]


@pytest.mark.parametrize("method", ["stream", "invoke"])
def test_error_body_cut_while_read_is_a_retried_connection_failure(method):
    def cut_error_body(request):
        return httpx.Response(
            503,
            headers={"content-type": "application/json", **RETRY_NOW},
            stream=BrokenStream(
                [b'{"error": {"mess'], httpx.RemoteProtocolError("cut")
            ),
        )

    ok = (
        sse_reply(text_chunks("Hi"))
        if method == "stream"
        else json_reply(completion("Hi"))
    )
    model, server = make_model(cut_error_body, ok)
    if method == "stream":
        assert "".join(c.text for c in model.stream("hi")) == "Hi"
    else:
        assert model.invoke("hi").content == "Hi"
    assert server.calls == 2


def test_a_200_body_holding_an_error_is_typed_by_its_code_not_status_200():
    model, _ = make_model(
        json_reply({"error": {"message": "boom", "code": "internal"}})
    )
    with pytest.raises(ServerError) as info:
        model.invoke("hi")
    assert "200" not in str(info.value) and "boom" in str(info.value)


def test_nan_retry_after_ms_falls_back_to_retry_after():
    assert (
        retry_delay(0, httpx.Headers({"retry-after-ms": "nan", "retry-after": "2"}))
        == 2
    )
