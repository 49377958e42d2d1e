"""Answers the client must not misread, sent byte-exact over loopback TCP.

A bare socket server (no emulator: it cannot send a second choice or a
malformed shape) answers each request with the exact bytes a test scripts:
an SSE stream or a JSON body. Issue 9, faults 6, 7, 8 and 19, and log
probabilities: a stream never splices choices, a cut-off tool call is never
runnable and the streamed aggregate equals ``invoke``'s message, odd shapes
raise ``ResponseDecodeError``, and stream metadata is reported once.
"""

from __future__ import annotations

import functools
import json
import operator
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_provider import ChatSambaNova, ResponseDecodeError

from .conftest import CALL_STYLES, STREAM_STYLES, call

MODEL = "Meta-Llama-3.3-70B-Instruct"


class ByteExactServer:
    """Answers every request on 127.0.0.1 with the scripted bytes, then closes.

    ``reply`` is a list of chunk dicts (sent as SSE, then ``[DONE]``) or a
    dict (sent as a JSON body); the same reply serves every request until
    changed.
    """

    def __init__(self) -> None:
        self.reply: Any = {}
        self.requests = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                self._read_request(conn)
                self.requests += 1
                conn.sendall(self._response())

    @staticmethod
    def _read_request(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(body) < length:
            body += conn.recv(65536)

    def _response(self) -> bytes:
        if isinstance(self.reply, list):
            events = [f"data: {json.dumps(chunk)}\n\n" for chunk in self.reply]
            body = ("".join(events) + "data: [DONE]\n\n").encode()
            content_type = b"text/event-stream; charset=utf-8"
        else:
            body = json.dumps(self.reply).encode()
            content_type = b"application/json"
        return (
            b"HTTP/1.1 200 OK\r\ncontent-type: " + content_type + b"\r\n"
            b"connection: close\r\ncontent-length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    def close(self) -> None:
        self._sock.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ByteExactServer]:
    running = ByteExactServer()
    yield running
    running.close()


@pytest.fixture
def model(server: ByteExactServer) -> ChatSambaNova:
    server.requests = 0
    return ChatSambaNova(base_url=server.base_url, api_key="k", max_retries=0)


def _chunk(delta: dict[str, Any], index: int = 0, **choice: Any) -> dict[str, Any]:
    return {
        "id": "r1",
        "object": "chat.completion.chunk",
        "created": 1771518114,
        "model": MODEL,
        "system_fingerprint": "fastcoe",
        "choices": [{"index": index, "delta": delta, "finish_reason": None, **choice}],
    }


USAGE = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
USAGE_CHUNK = {**_chunk({}), "choices": [], "usage": USAGE}


def _body(message: dict[str, Any], finish_reason: str = "stop", **choice: Any) -> dict:
    return {
        "id": "r1",
        "object": "chat.completion",
        "created": 1771518114,
        "model": MODEL,
        "system_fingerprint": "fastcoe",
        "choices": [
            {"index": 0, "message": message, "finish_reason": finish_reason, **choice}
        ],
        "usage": USAGE,
    }


def _aggregate(outcome: Any) -> AIMessage:
    assert outcome.error is None, outcome.error
    if outcome.result is not None:
        return outcome.result
    return functools.reduce(operator.add, outcome.chunks)


# ---------------------------------------------------------------------------
# Fault 6: a stream with several choices is refused, never spliced
# ---------------------------------------------------------------------------

SPLICED = [
    _chunk({"role": "assistant", "content": "Hello"}, 0),
    _chunk({"role": "assistant", "content": "Bonjour"}, 1),
    _chunk({"content": " there"}, 0),
    _chunk({"content": " toi"}, 1),
    {**_chunk({}, 0), "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
]


@pytest.mark.parametrize("style", STREAM_STYLES)
async def test_a_stream_with_two_choices_is_refused_not_spliced(
    server: ByteExactServer, model: ChatSambaNova, style: str
) -> None:
    server.reply = SPLICED
    outcome = await call(model, style)
    assert isinstance(outcome.error, ResponseDecodeError), outcome.error
    assert "second choice" in str(outcome.error)
    assert outcome.content_chunks == ["Hello"]  # never "Hello Bonjour theretoi"


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
async def test_invoke_streaming_with_two_choices_raises_not_a_spliced_answer(
    server: ByteExactServer, style: str
) -> None:
    server.reply = SPLICED
    llm = ChatSambaNova(
        base_url=server.base_url, api_key="k", max_retries=0, streaming=True
    )
    outcome = await call(llm, style)
    assert isinstance(outcome.error, ResponseDecodeError)
    assert outcome.result is None


async def test_generate_with_two_choices_returns_one_generation_each(
    server: ByteExactServer, model: ChatSambaNova
) -> None:
    body = _body({"role": "assistant", "content": "Hello there"})
    second = {**body["choices"][0], "index": 1}
    second["message"] = {"role": "assistant", "content": "Bonjour toi"}
    server.reply = {**body, "choices": [second, body["choices"][0]]}
    for result in (
        model.generate([[HumanMessage("hi")]], n=2),
        await model.agenerate([[HumanMessage("hi")]], n=2),
    ):
        texts = [g.message.content for g in result.generations[0]]
        assert texts == ["Hello there", "Bonjour toi"]


# ---------------------------------------------------------------------------
# Fault 7: tool arguments cut off by the token limit are never runnable
# ---------------------------------------------------------------------------

CUT = '{"city": "San Francisco", "unit": "fahr'


def _cut_stream() -> list[dict[str, Any]]:
    start = {"index": 0, "id": "call_1", "type": "function"}
    return [
        _chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {**start, "function": {"name": "get_weather", "arguments": ""}}
                ],
            }
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": CUT[:12]}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": CUT[12:]}}]}),
        {
            **_chunk({}),
            "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}],
        },
        USAGE_CHUNK,
    ]


CUT_BODY = _body(
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": CUT},
            }
        ],
    },
    finish_reason="length",
)


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_a_cut_off_tool_call_is_never_runnable(
    server: ByteExactServer, model: ChatSambaNova, style: str
) -> None:
    server.reply = CUT_BODY if style.endswith("invoke") else _cut_stream()
    message = _aggregate(await call(model, style))
    assert message.tool_calls == []
    assert [(c["name"], c["id"], c["args"]) for c in message.invalid_tool_calls] == [
        ("get_weather", "call_1", CUT + '"]')
    ]
    assert message.response_metadata["finish_reason"] == "length"


async def test_the_streamed_aggregate_equals_invoke_for_a_cut_off_call(
    server: ByteExactServer, model: ChatSambaNova
) -> None:
    server.reply = CUT_BODY
    invoked = _aggregate(await call(model, "invoke"))
    server.reply = _cut_stream()
    streamed = _aggregate(await call(model, "stream"))
    for message in (invoked, streamed):
        # langchain-core rebuilds a stream's invalid calls with error=None.
        message.invalid_tool_calls = [
            {**c, "error": None} for c in message.invalid_tool_calls
        ]
    fields = ("content", "tool_calls", "invalid_tool_calls", "usage_metadata")
    for field in fields:
        assert getattr(streamed, field) == getattr(invoked, field), field
    assert streamed.response_metadata == invoked.response_metadata


# ---------------------------------------------------------------------------
# Fault 8: odd shapes raise the package's typed error
# ---------------------------------------------------------------------------


def _odd_stream(choice: Any) -> list[dict[str, Any]]:
    return [{**_chunk({}), "choices": [choice]}, USAGE_CHUNK]


ODD = {
    "choices [null]": (
        [{**_chunk({}), "choices": [None]}],
        {**CUT_BODY, "choices": [None]},
    ),
    "string message or delta": (
        _odd_stream({"index": 0, "delta": "Hello"}),
        {**CUT_BODY, "choices": [{"index": 0, "message": "Hello"}]},
    ),
    "tool_calls [null]": (
        _odd_stream({"index": 0, "delta": {"tool_calls": [None]}}),
        _body({"role": "assistant", "content": "", "tool_calls": [None]}),
    ),
    "non-numeric tool-call index": (
        _odd_stream(
            {
                "index": 0,
                "delta": {
                    "tool_calls": [{"index": "first", "function": {"name": "f"}}]
                },
            }
        ),
        {**CUT_BODY, "choices": [{"index": "first", "message": {"content": "x"}}]},
    ),
}


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize("case", ODD)
async def test_odd_shapes_raise_response_decode_error(
    server: ByteExactServer, model: ChatSambaNova, style: str, case: str
) -> None:
    stream, body = ODD[case]
    server.reply = body if style.endswith("invoke") else stream
    outcome = await call(model, style)
    assert isinstance(outcome.error, ResponseDecodeError), repr(outcome.error)
    assert "not what the API promises" in str(outcome.error)


# ---------------------------------------------------------------------------
# Fault 19 and log probabilities: once per stream, merged in order
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", STREAM_STYLES)
async def test_usage_before_finish_reports_model_and_fingerprint_once(
    server: ByteExactServer, model: ChatSambaNova, style: str
) -> None:
    server.reply = [
        _chunk({"role": "assistant", "content": "Hi"}),
        USAGE_CHUNK,
        {**_chunk({}), "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    metadata = _aggregate(await call(model, style)).response_metadata
    assert metadata["model_name"] == MODEL
    assert metadata["system_fingerprint"] == "fastcoe"
    assert metadata["finish_reason"] == "stop"


def _logprob(token: str) -> dict[str, Any]:
    data = list(token.encode())
    top = [{"token": token, "logprob": -0.5, "bytes": data}]
    return {"token": token, "logprob": -0.5, "bytes": data, "top_logprobs": top}


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_logprobs_come_back_in_response_metadata(
    server: ByteExactServer, model: ChatSambaNova, style: str
) -> None:
    tokens = ["Hel", "lo", " world"]
    expected = {"content": [_logprob(t) for t in tokens], "refusal": None}
    if style.endswith("invoke"):
        server.reply = _body(
            {"role": "assistant", "content": "Hello world"}, logprobs=expected
        )
    else:
        server.reply = [
            _chunk({"content": t}, logprobs={"content": [_logprob(t)], "refusal": None})
            for t in tokens
        ] + [
            {
                **_chunk({}),
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            },
            USAGE_CHUNK,
        ]
    message = _aggregate(await call(model, style))
    assert message.content == "Hello world"
    assert message.response_metadata["logprobs"] == expected


# ---------------------------------------------------------------------------
# Fault 8, request side: a text block whose text is not a string
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_a_text_block_whose_text_is_not_a_string_is_refused_before_sending(
    emu: Any, make_model: Any, style: str
) -> None:
    prompt = [HumanMessage(content=[{"type": "text", "text": 42}])]
    outcome = await call(make_model(), style, prompt)
    assert isinstance(outcome.error, ValueError), repr(outcome.error)
    assert "'text' must be a string" in str(outcome.error)
    assert emu.requests == []
