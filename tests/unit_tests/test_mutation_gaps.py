"""Tests for the four mutations a mutation spot-check found surviving.

An empty key must send no Authorization header; an error body cut while being
read must still be closed; ``_stream`` must close the client's iterator when
it is closed early; a tool message must carry its ``tool_call_id``.
"""

from __future__ import annotations

import httpx
import pytest
from langchain_core.messages import ChatMessage, ToolMessage
from pydantic import SecretStr

from langchain_provider import APIConnectionError
from langchain_provider._client import ChatCompletionsClient, build_headers
from langchain_provider._messages import convert_message_to_dict
from unit_tests.conftest import make_model, sse_bytes, text_chunks


def test_an_empty_key_sends_no_authorization_header():
    assert "Authorization" not in build_headers(SecretStr(""), None, stream=False)
    model, server = make_model(api_key="", base_url="http://localhost:8000/v1")
    model.invoke("hi")
    assert "authorization" not in server.requests[0].headers


class _CutBody(httpx.SyncByteStream):
    closed = False

    def __iter__(self):
        yield b'{"error": '
        raise httpx.ReadError("cut")

    def close(self):
        self.closed = True


def test_an_error_body_cut_while_read_is_still_closed():
    body = _CutBody()
    model, _ = make_model(
        lambda request: httpx.Response(503, stream=body), max_retries=0
    )
    with pytest.raises(APIConnectionError):
        list(model.stream("hi"))
    assert body.closed


def test_closing_a_stream_early_closes_the_clients_iterator(monkeypatch):
    closed = []

    class Chunks:
        def __init__(self, chunks):
            self._chunks = iter(chunks)

        def __iter__(self):
            return self

        def __next__(self):
            return next(self._chunks)

        def close(self):
            closed.append(True)

    import json

    events = [
        json.loads(line[6:])
        for line in sse_bytes(text_chunks("a", "b"), done=False).decode().split("\n\n")
        if line
    ]
    held = Chunks(events)
    monkeypatch.setattr(ChatCompletionsClient, "stream", lambda self, body: held)
    model, _ = make_model()
    stream = model.stream("hi")
    next(stream)
    stream.close()
    assert closed == [True]


@pytest.mark.parametrize(
    "message",
    [ChatMessage(role="tool", content="x"), ToolMessage(content="x", tool_call_id="")],
    ids=["chat-message", "empty-id"],
)
def test_a_tool_message_needs_its_tool_call_id(message):
    with pytest.raises(ValueError, match="tool_call_id"):
        convert_message_to_dict(message)
