"""Streaming: SSE framing and decoding, the stream assembler (aggregate equals
invoke's message), stream routing, and the end of a stream after [DONE].
"""

from __future__ import annotations

import asyncio.trsock
import functools
import json
import operator
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import (
    AsyncCallbackHandler,
    AsyncCallbackManagerForLLMRun,
    BaseCallbackHandler,
    CallbackManagerForLLMRun,
)
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from langchain_provider import ChatSambaNova, ResponseDecodeError, errors
from langchain_provider._response import StreamAssembler
from langchain_provider._sse import (
    DONE_GRACE,
    SSEParser,
    _Done,
    _Watch,
    _Watchdog,
    cut_after,
    decode_event,
)
from unit_tests.conftest import (
    LIVE_TIMING,
    MODEL,
    SSE_HEADERS,
    Reply,
    chunk,
    completion,
    json_reply,
    make_model,
    sse_bytes,
    sse_reply,
    text_chunks,
    usage_chunk,
)

# ============================================================================
# Streaming transport: SSE bodies through the real client, closed when done.
# Stopping early (``break``, ``aclose``) closes the connection, and so does a
# stream read to its end. What the chunks are turned into is tested in
# ``test_streaming.py``.
# ============================================================================


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


# ============================================================================
# The stream assembler (``_chunks``): API chunks to LangChain chunks.
# Through the real client and SSE bodies, sync and async: content, both
# tool-call streaming styles, reasoning, what is reported once per stream
# (provider, model, fingerprint, finish reason, usage), log probabilities,
# refused second choices and odd shapes, the callback token path, and the rule
# that a stream's aggregate equals what ``invoke`` returns for the same answer.
# ============================================================================


def _with_logprobs(text: str) -> dict[str, Any]:
    body = chunk({"content": text})
    body["choices"][0]["logprobs"] = {"content": [_logprob(text)], "refusal": None}
    return body


def _logprob(token: str) -> dict[str, Any]:
    data = list(token.encode())
    return {
        "token": token,
        "logprob": -0.25,
        "bytes": data,
        "top_logprobs": [{"token": token, "logprob": -0.25, "bytes": data}],
    }


def _aggregate(chunks: Sequence[AIMessageChunk]) -> AIMessageChunk:
    assert chunks, "the stream yielded nothing"
    return functools.reduce(operator.add, chunks)


def stream_sync(llm: ChatSambaNova, **kwargs: Any) -> AIMessageChunk:
    return _aggregate(list(llm.stream("hi", **kwargs)))


async def stream_async(llm: ChatSambaNova, **kwargs: Any) -> AIMessageChunk:
    return _aggregate([c async for c in llm.astream("hi", **kwargs)])


@pytest.fixture(params=["sync", "async"])
def collect(request: pytest.FixtureRequest) -> Any:
    """Run a stream to its end (sync or async) and return the aggregate."""

    async def run(llm: ChatSambaNova, **kwargs: Any) -> AIMessageChunk:
        if request.param == "sync":
            return stream_sync(llm, **kwargs)
        return await stream_async(llm, **kwargs)

    return run


def _tool_call(
    id: str, name: str, arguments: Any, index: int | None = None
) -> dict[str, Any]:
    call: dict[str, Any] = {
        "id": id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    if index is not None:
        call["index"] = index
    return call


def _finish(reason: str = "stop") -> dict[str, Any]:
    return chunk({}, finish_reason=reason)


# ---------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------


def test_content_deltas_arrive_in_order() -> None:
    model, _ = make_model(sse_reply(text_chunks("The ", "capital ", "is Paris.")))
    texts = [c.text for c in model.stream("hi")]
    assert [t for t in texts if t] == ["The ", "capital ", "is Paris."]


async def test_content_deltas_arrive_in_order_async() -> None:
    model, _ = make_model(sse_reply(text_chunks("The ", "capital ", "is Paris.")))
    texts = [c.text async for c in model.astream("hi")]
    assert [t for t in texts if t] == ["The ", "capital ", "is Paris."]


async def test_stream_aggregate(collect: Any) -> None:
    model, _ = make_model(sse_reply(text_chunks("Hel", "lo")))
    message = await collect(model)
    assert message.content == "Hello"
    assert message.id == "resp-1"
    assert message.usage_metadata == {
        "input_tokens": 10,
        "output_tokens": 51,
        "total_tokens": 61,
    }
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["model_name"] == MODEL
    assert message.response_metadata["model_provider"] == "sambanova"
    assert message.response_metadata["timing"] == LIVE_TIMING


async def test_choices_null_and_keepalives_are_skipped(collect: Any) -> None:
    events: list[dict[str, Any] | str] = [
        ": keep-alive",
        {"id": "resp-1", "model": MODEL, "choices": None},
        chunk({"role": "assistant", "content": "Hi"}),
        {"id": "resp-1", "model": MODEL, "choices": None, "usage": None},
        _finish(),
        usage_chunk(),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert message.content == "Hi"
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 61


async def test_usage_chunk_with_empty_choices(collect: Any) -> None:
    usage = {"prompt_tokens": 21, "completion_tokens": 41, "total_tokens": 62}
    model, _ = make_model(sse_reply(text_chunks("Tesla", usage=usage)))
    message = await collect(model)
    assert message.usage_metadata == {
        "input_tokens": 21,
        "output_tokens": 41,
        "total_tokens": 62,
    }
    assert message.response_metadata["token_usage"] == usage


async def test_usage_before_finish_reports_model_and_fingerprint_once(
    collect: Any,
) -> None:
    # Issue 9, fault 19: they came twice ("gpt-oss-120bgpt-oss-120b") when
    # the usage chunk arrived before the finish chunk.
    events = [
        chunk({"content": "Hi"}, model="gpt-oss-120b"),
        usage_chunk(model="gpt-oss-120b"),
        chunk({}, finish_reason="stop", model="gpt-oss-120b"),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert message.response_metadata["model_name"] == "gpt-oss-120b"
    assert message.response_metadata["system_fingerprint"] == "fastcoe"
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.usage_metadata is not None


async def test_usage_without_finish_still_reports_model(collect: Any) -> None:
    events = [
        chunk({"content": "Hi"}, model="DeepSeek-V3.1"),
        usage_chunk(model="DeepSeek-V3.1"),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert message.response_metadata["model_name"] == "DeepSeek-V3.1"
    assert message.usage_metadata is not None


async def test_stream_without_usage(collect: Any) -> None:
    model, _ = make_model(
        sse_reply([chunk({"content": "Hi"}), _finish()]), stream_usage=False
    )
    message = await collect(model)
    assert message.content == "Hi"
    assert message.usage_metadata is None
    assert message.response_metadata["model_name"] == MODEL


async def test_model_name_is_reported_once(collect: Any) -> None:
    # Chunk metadata strings concatenate when chunks are added: the model
    # name must not arrive twice.
    model, _ = make_model(sse_reply(text_chunks("a", "b", model="gpt-oss-120b")))
    message = await collect(model, model="gpt-oss-120b")
    assert message.response_metadata["model_name"] == "gpt-oss-120b"
    assert message.response_metadata["model_provider"] == "sambanova"


# ---------------------------------------------------------------------------
# Tool calls, both streaming styles
# ---------------------------------------------------------------------------

TOOL_STREAMS: dict[str, list[dict[str, Any]]] = {
    "whole calls with index": [
        chunk({"role": "assistant", "content": ""}),
        chunk(
            {
                "tool_calls": [
                    _tool_call("call_1", "get_weather", '{"city": "Paris"}', 0)
                ]
            }
        ),
        chunk({"tool_calls": [_tool_call("call_2", "get_time", '{"tz": "CET"}', 1)]}),
        _finish("tool_calls"),
        usage_chunk(),
    ],
    "whole calls without index in separate deltas": [
        chunk(
            {"tool_calls": [_tool_call("call_1", "get_weather", '{"city": "Paris"}')]}
        ),
        chunk({"tool_calls": [_tool_call("call_2", "get_time", '{"tz": "CET"}')]}),
        _finish("tool_calls"),
        usage_chunk(),
    ],
    "whole calls without index in one delta": [
        chunk(
            {
                "tool_calls": [
                    _tool_call("call_1", "get_weather", '{"city": "Paris"}'),
                    _tool_call("call_2", "get_time", '{"tz": "CET"}'),
                ]
            }
        ),
        _finish("tool_calls"),
        usage_chunk(),
    ],
    "arguments as an object": [
        chunk({"tool_calls": [_tool_call("call_1", "get_weather", {"city": "Paris"})]}),
        chunk({"tool_calls": [_tool_call("call_2", "get_time", {"tz": "CET"})]}),
        _finish("tool_calls"),
        usage_chunk(),
    ],
    "parallel fragments interleaved by index": [
        chunk({"tool_calls": [_tool_call("call_1", "get_weather", "", 0)]}),
        chunk({"tool_calls": [_tool_call("call_2", "get_time", "", 1)]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"tz": '}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": '"CET"}'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        _finish("tool_calls"),
        usage_chunk(),
    ],
    "OpenAI-style fragments": [
        chunk({"tool_calls": [_tool_call("call_1", "get_weather", "", 0)]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Pa'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]}),
        chunk({"tool_calls": [_tool_call("call_2", "get_time", "", 1)]}),
        chunk(
            {"tool_calls": [{"index": 1, "function": {"arguments": '{"tz": "CET"}'}}]}
        ),
        _finish("tool_calls"),
        usage_chunk(),
    ],
}

EXPECTED_CALLS = [
    ("get_weather", {"city": "Paris"}, "call_1"),
    ("get_time", {"tz": "CET"}, "call_2"),
]


@pytest.mark.parametrize("events", TOOL_STREAMS.values(), ids=TOOL_STREAMS.keys())
async def test_tool_call_styles(collect: Any, events: list[dict[str, Any]]) -> None:
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert [(c["name"], c["args"], c["id"]) for c in message.tool_calls] == (
        EXPECTED_CALLS
    )
    assert message.invalid_tool_calls == []
    assert message.response_metadata["finish_reason"] == "tool_calls"


def _anonymous_call(name: str | None, arguments: str) -> dict[str, Any]:
    function = {"name": name, "arguments": arguments}
    if name is None:
        del function["name"]
    return {"type": "function", "function": function}


@pytest.mark.parametrize(
    ("deltas", "expected"),
    [
        (
            [[_anonymous_call("a", '{"x": 1}')], [_anonymous_call("b", '{"y": 2}')]],
            [("a", {"x": 1}), ("b", {"y": 2})],
        ),
        (
            [
                [_anonymous_call("a", '{"x": 1}'), _anonymous_call("b", "{}")],
                [_anonymous_call("c", '{"z": 3}')],
            ],
            [("a", {"x": 1}), ("b", {}), ("c", {"z": 3})],
        ),
        (
            [[_anonymous_call("a", '{"x": ')], [_anonymous_call(None, "1}")]],
            [("a", {"x": 1})],
        ),
    ],
    ids=["separate deltas", "two then one", "nameless continuation"],
)
async def test_tool_calls_with_neither_index_nor_id(
    collect: Any, deltas: list[list[dict[str, Any]]], expected: list[tuple]
) -> None:
    # Separate calls must not merge into one ("ab" with both arguments).
    events = [chunk({"tool_calls": calls}) for calls in deltas]
    events.append(_finish("tool_calls"))
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == expected
    assert message.invalid_tool_calls == []


async def test_index_reused_for_a_new_call(collect: Any) -> None:
    # Some servers number each delta's calls from 0; the ids tell them apart.
    events = [
        chunk(
            {
                "tool_calls": [
                    _tool_call("call_1", "get_weather", '{"city": "Paris"}', 0)
                ]
            }
        ),
        chunk({"tool_calls": [_tool_call("call_2", "get_time", '{"tz": "CET"}', 0)]}),
        _finish("tool_calls"),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert [(c["name"], c["args"], c["id"]) for c in message.tool_calls] == (
        EXPECTED_CALLS
    )


async def test_tool_call_without_arguments(collect: Any) -> None:
    events = [
        chunk({"tool_calls": [_tool_call("call_1", "ping", None)]}),
        _finish("tool_calls"),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("ping", {})]


async def test_streamed_bad_arguments_become_invalid_tool_calls(
    collect: Any,
) -> None:
    # (A merely truncated object would be completed by langchain-core's
    # partial-JSON parsing of chunks; text that is not JSON at all cannot be.)
    events = [
        chunk({"tool_calls": [_tool_call("call_1", "get_weather", "city=Paris", 0)]}),
        _finish("tool_calls"),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert message.tool_calls == []
    assert [c["name"] for c in message.invalid_tool_calls] == ["get_weather"]


async def test_a_finish_chunk_with_the_last_fragment_seals_the_whole_call(
    collect: Any,
) -> None:
    """The fragment that comes with finish_reason "length" is kept before the seal."""
    events = [
        chunk({"tool_calls": [_tool_call("c1", "f", "", 0)]}),
        chunk(
            {"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 1'}}]},
            finish_reason="length",
        ),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert message.tool_calls == []
    assert [c["args"] for c in message.invalid_tool_calls] == ['{"a": 1]']


def test_tool_call_chunks_are_yielded_as_they_come() -> None:
    model, _ = make_model(sse_reply(TOOL_STREAMS["OpenAI-style fragments"]))
    fragments = [
        tc["args"]
        for c in model.stream("hi")
        for tc in c.tool_call_chunks
        if tc["index"] == 0
    ]
    assert fragments == ["", '{"ci', 'ty": "Pa', 'ris"}']


# ---------------------------------------------------------------------------
# Reasoning
# ---------------------------------------------------------------------------


async def test_think_tags_split_across_chunks(collect: Any) -> None:
    events = [
        chunk({"content": "<th"}),
        chunk({"content": "ink>abc</thi"}),
        chunk({"content": "nk>answer"}),
        _finish(),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert message.content == "answer"
    assert message.additional_kwargs["reasoning_content"] == "abc"


def test_think_content_never_reaches_answer_chunks() -> None:
    events = [
        chunk({"content": "<think>"}),
        chunk({"content": "let me see"}),
        chunk({"content": "</think>"}),
        chunk({"content": "42"}),
        _finish(),
    ]
    model, _ = make_model(sse_reply(events))
    texts = [c.text for c in model.stream("hi")]
    assert "".join(texts) == "42"
    assert not any("<" in t for t in texts)


async def test_partial_tag_that_is_text_after_all(collect: Any) -> None:
    # "<th" could be the start of "<think>"; when the stream ends without it,
    # the held-back text is the answer's.
    model, _ = make_model(sse_reply([chunk({"content": "<th"}), _finish()]))
    message = await collect(model)
    assert message.content == "<th"
    assert "reasoning_content" not in message.additional_kwargs


async def test_less_than_sign_in_an_answer(collect: Any) -> None:
    model, _ = make_model(sse_reply(text_chunks("<", "b> is bold")))
    message = await collect(model)
    assert message.content == "<b> is bold"
    assert "reasoning_content" not in message.additional_kwargs


async def test_gpt_oss_reasoning_deltas(collect: Any) -> None:
    events = [
        chunk({"role": "assistant", "reasoning": "6 times 7", "channel": "analysis"}),
        chunk({"reasoning": " is 42", "channel": "analysis"}),
        chunk({"content": "42", "channel": "final"}),
        _finish(),
        usage_chunk(),
    ]
    model, _ = make_model(sse_reply(events), model="gpt-oss-120b")
    message = await collect(model)
    assert message.content == "42"
    assert message.additional_kwargs["reasoning_content"] == "6 times 7 is 42"


async def test_reasoning_and_content_in_one_delta_both_arrive(collect: Any) -> None:
    """A delta carrying both fields, the finish chunk's included, loses neither."""
    events = [
        chunk({"reasoning": "6 times 7", "content": "4"}),
        chunk({"reasoning": " is 42", "content": "2"}, finish_reason="stop"),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    assert message.content == "42"
    assert message.additional_kwargs["reasoning_content"] == "6 times 7 is 42"
    assert message.response_metadata["finish_reason"] == "stop"


# ---------------------------------------------------------------------------
# The aggregate of a stream equals what invoke returns
# ---------------------------------------------------------------------------

REFERENCE_USAGE = {
    "input_tokens_count": 12,
    "output_tokens_count": 8,
    "total_tokens_count": 20,
    "time_to_first_token": 0.05,
    "throughput_after_first_token": 300.5,
    "model_execution_time": 0.2,
    "queue_time": 0.01,
}


def _invoke_stream_pair(case: str) -> tuple[Reply, Reply]:
    """A non-streaming body and an SSE stream carrying the same answer."""
    model = "DeepSeek-V3.1"
    if case == "text":
        return (
            json_reply(completion("The capital is Paris.", model=model)),
            sse_reply(text_chunks("The capital ", "is Paris.", model=model)),
        )
    if case == "tool calls":
        calls = [
            _tool_call("call_1", "get_weather", '{"city": "Paris"}'),
            _tool_call("call_2", "get_time", '{"tz": "CET"}'),
        ]
        events = [
            chunk({"tool_calls": [dict(c, index=i)]}, model=model)
            for i, c in enumerate(calls)
        ]
        events += [
            chunk({}, finish_reason="tool_calls", model=model),
            usage_chunk(model=model),
        ]
        return (
            json_reply(
                completion(
                    "", tool_calls=calls, finish_reason="tool_calls", model=model
                )
            ),
            sse_reply(events),
        )
    if case == "reference naming":
        body = completion("Hi there", model=model, usage=None)
        del body["usage"]
        body.update(REFERENCE_USAGE)
        last = usage_chunk(model=model)
        del last["usage"]
        last.update(REFERENCE_USAGE)
        events = [chunk({"content": "Hi there"}, model=model)]
        events += [chunk({}, finish_reason="stop", model=model), last]
        return json_reply(body), sse_reply(events)
    if case == "cached and reasoning tokens":
        usage = {
            "prompt_tokens": 30,
            "completion_tokens": 20,
            "total_tokens": 50,
            "prompt_tokens_details": {"cached_tokens": 16},
            "completion_tokens_details": {"reasoning_tokens": 12},
            "total_latency": 0.5,
        }
        return (
            json_reply(
                completion(
                    "42",
                    model="gpt-oss-120b",
                    usage=usage,
                    message={"reasoning": "hmm"},
                )
            ),
            sse_reply(
                [
                    chunk({"reasoning": "hmm"}, model="gpt-oss-120b"),
                    chunk({"content": "42"}, model="gpt-oss-120b"),
                    chunk({}, finish_reason="stop", model="gpt-oss-120b"),
                    usage_chunk(usage, model="gpt-oss-120b"),
                ]
            ),
        )
    if case == "think block":
        return (
            json_reply(completion("<think>abc</think>answer", model=model)),
            sse_reply(
                [
                    chunk({"content": "<th"}, model=model),
                    chunk({"content": "ink>abc</thi"}, model=model),
                    chunk({"content": "nk>answer"}, model=model),
                    chunk({}, finish_reason="stop", model=model),
                    usage_chunk(model=model),
                ]
            ),
        )
    if case == "think block with blank lines":
        # DeepSeek-R1's real layout: the blank lines around the reasoning are
        # neither reasoning nor answer, streamed or not.
        pieces = ["<think>", "\nI reason.", "\n</think>", "\n\n", "The answer."]
        return (
            json_reply(completion("".join(pieces), model=model)),
            sse_reply(text_chunks(*pieces, model=model)),
        )
    if case == "reasoning_content deltas":
        return (
            json_reply(completion("42", message={"reasoning_content": "6 x 7"})),
            sse_reply(
                [
                    chunk({"reasoning_content": "6 x"}),
                    chunk({"reasoning_content": " 7"}),
                    *text_chunks("42"),
                ]
            ),
        )
    if case == "log probabilities":
        body = completion("Hello world")
        body["choices"][0]["logprobs"] = {
            "content": [_logprob("Hello"), _logprob(" world")],
            "refusal": None,
        }
        events = [_with_logprobs("Hello"), _with_logprobs(" world"), *text_chunks()]
        return json_reply(body), sse_reply(events)
    if case == "tool call cut off by the token limit":
        arguments = '{"city": "San Francisco", "unit": "fahr'
        calls = [_tool_call("call_1", "get_weather", arguments)]
        events = [
            chunk({"tool_calls": [_tool_call("call_1", "get_weather", "", 0)]}),
            chunk(
                {"tool_calls": [{"index": 0, "function": {"arguments": arguments[:9]}}]}
            ),
            chunk(
                {"tool_calls": [{"index": 0, "function": {"arguments": arguments[9:]}}]}
            ),
            chunk({}, finish_reason="length"),
            usage_chunk(),
        ]
        return (
            json_reply(completion("", tool_calls=calls, finish_reason="length")),
            sse_reply(events),
        )
    if case == "no usage reported":
        body = completion("Hi", model=model)
        del body["usage"]
        events = [
            chunk({"content": "Hi"}, model=model),
            chunk({}, finish_reason="stop", model=model),
        ]
        return json_reply(body), sse_reply(events)
    raise AssertionError(case)


def _comparable(message: AIMessage) -> dict[str, Any]:
    # langchain-core rebuilds a stream aggregate's invalid tool calls from the
    # fragments, with error=None: the error text cannot be carried, the rest is.
    return {
        "content": message.content,
        "id": message.id,
        "tool_calls": message.tool_calls,
        "invalid_tool_calls": [
            {**c, "error": None} for c in message.invalid_tool_calls
        ],
        "usage_metadata": message.usage_metadata,
        "response_metadata": message.response_metadata,
        "additional_kwargs": message.additional_kwargs,
    }


@pytest.mark.parametrize(
    "case",
    [
        "text",
        "tool calls",
        "reference naming",
        "cached and reasoning tokens",
        "think block",
        "think block with blank lines",
        "reasoning_content deltas",
        "log probabilities",
        "tool call cut off by the token limit",
        "no usage reported",
    ],
)
async def test_stream_aggregate_equals_invoke(collect: Any, case: str) -> None:
    plain, streamed = _invoke_stream_pair(case)
    model, server = make_model(plain, streamed)
    invoked = model.invoke("hi")
    aggregate = await collect(model)
    assert server.calls == 2
    assert "stream" not in server.bodies[0]
    assert server.bodies[1]["stream"] is True
    assert _comparable(aggregate) == _comparable(invoked)


async def test_timing_survives_streaming(collect: Any) -> None:
    # The vendor integration dropped timing metrics when streaming.
    model, _ = make_model(sse_reply(text_chunks("Hi")))
    message = await collect(model)
    assert message.response_metadata["timing"] == LIVE_TIMING
    assert message.response_metadata["token_usage"]["total_latency"] == 0.3774


def test_streaming_invoke_equals_plain_invoke() -> None:
    plain, streamed = _invoke_stream_pair("tool calls")
    model, _ = make_model(plain)
    streaming_model, _ = make_model(streamed, streaming=True)
    invoked = model.invoke("hi")
    via_stream = streaming_model.invoke("hi")
    assert _comparable(via_stream) == _comparable(invoked)


# ---------------------------------------------------------------------------
# Edges of a stream
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "events",
    [[], [{"id": "resp-1", "model": MODEL, "choices": None}]],
    ids=["only [DONE]", "only choices null"],
)
def test_a_stream_without_an_answer_chunk_is_an_error(events: list) -> None:
    """A stream with no chunk to hand over (just [DONE]) fails, it is no answer."""
    model, _ = make_model(sse_reply(events))
    with pytest.raises(ResponseDecodeError) as raised:
        model.invoke("hi", stream=True)
    assert raised.value.message == (
        "The stream ended without an answer: the server sent no chunk."
    )


async def test_a_stream_of_only_a_usage_report_is_an_empty_answer(
    collect: Any,
) -> None:
    """A usage chunk alone is an answer: empty content, the usage and the model."""
    model, _ = make_model(sse_reply([usage_chunk()]))
    message = await collect(model)
    assert message.content == ""
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 61
    assert message.response_metadata["model_name"] == MODEL


def test_held_back_text_is_flushed_without_a_finish_chunk() -> None:
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


async def test_unclosed_think_is_reasoning_without_a_finish_chunk(collect: Any) -> None:
    model, _ = make_model(sse_reply([chunk({"content": "<think>pondering</th"})]))
    full = await collect(model)
    assert full.content == ""
    assert full.additional_kwargs["reasoning_content"] == "pondering</th"


async def test_argument_fragments_without_index_or_id_continue_the_call(
    collect: Any,
) -> None:
    first = {"id": "call_1", "type": "function", "function": {"name": "f"}}
    model, _ = make_model(
        sse_reply(
            [
                chunk({"tool_calls": [first]}),
                chunk({"tool_calls": [{"function": {"arguments": '{"a": '}}]}),
                chunk({"tool_calls": [{"function": {"arguments": "1}"}}]}),
                _finish("tool_calls"),
            ]
        )
    )
    full = await collect(model)
    assert full.tool_calls == [
        {"name": "f", "args": {"a": 1}, "id": "call_1", "type": "tool_call"}
    ]


async def test_a_cut_off_call_is_sealed_without_a_finish_chunk(collect: Any) -> None:
    events = [chunk({"tool_calls": [_tool_call("c1", "f", '{"a": 1', 0)]})]
    model, _ = make_model(sse_reply(events))
    full = await collect(model)
    assert full.tool_calls == []
    assert [c["args"] for c in full.invalid_tool_calls] == ['{"a": 1]']


async def test_metadata_is_reported_once_per_stream(collect: Any) -> None:
    # A second finish chunk and a second usage report must not add up.
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    events = [
        chunk({"content": "a"}),
        chunk({"content": "b"}, finish_reason="stop"),
        usage_chunk({"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}),
        chunk({}, finish_reason="stop"),
        usage_chunk(usage),
    ]
    model, _ = make_model(sse_reply(events))
    message = await collect(model)
    metadata = message.response_metadata
    assert (metadata["model_name"], metadata["finish_reason"]) == (MODEL, "stop")
    assert metadata["model_provider"] == "sambanova"
    assert metadata["token_usage"] == usage  # the last report wins
    assert message.usage_metadata == {
        "input_tokens": 5,
        "output_tokens": 2,
        "total_tokens": 7,
    }


def test_a_model_named_only_later_is_still_reported() -> None:
    first = chunk({"content": "a"})
    del first["model"], first["system_fingerprint"]
    assembler = StreamAssembler()
    head = assembler.feed(first)
    tail = assembler.feed(chunk({"content": "b"}, finish_reason="stop"))
    assert head is not None and tail is not None
    assert "model_name" not in head.message.response_metadata
    assert tail.message.response_metadata["model_name"] == MODEL
    assert assembler.finish() is None


def test_each_identity_field_goes_out_once_even_when_named_apart() -> None:
    """A fingerprint named only later comes alone: model and provider not again."""
    first = chunk({"content": "a"})
    del first["system_fingerprint"]
    assembler = StreamAssembler()
    head = assembler.feed(first)
    tail = assembler.feed(chunk({"content": "b"}, finish_reason="stop"))
    assert head is not None and tail is not None
    assert head.message.response_metadata == {
        "model_provider": "sambanova",
        "model_name": MODEL,
    }
    assert tail.message.response_metadata == {
        "system_fingerprint": "fastcoe",
        "finish_reason": "stop",
    }


async def test_a_model_named_only_by_the_usage_chunk_is_reported(
    collect: Any,
) -> None:
    """Model and fingerprint that only the usage chunk names reach the message."""
    events = [chunk({"content": "<"}), chunk({"content": "b"}, finish_reason="stop")]
    for event in events:
        del event["model"], event["system_fingerprint"]
    model, _ = make_model(sse_reply([*events, usage_chunk()]))
    message = await collect(model)
    assert message.content == "<b"
    assert message.response_metadata["model_name"] == MODEL
    assert message.response_metadata["system_fingerprint"] == "fastcoe"


def test_the_last_chunk_carries_the_usage_chunks_id() -> None:
    """The chunk that hands over the usage has the id the usage chunk names."""
    assembler = StreamAssembler()
    assembler.feed(chunk({"content": "a"}, finish_reason="stop"))
    assert assembler.feed(usage_chunk(id="resp-7")) is None
    last = assembler.finish()
    assert last is not None
    assert last.message.id == "resp-7"
    assert last.message.usage_metadata is not None


def test_held_back_text_of_an_unnamed_stream_is_flushed() -> None:
    """A stream that never names its model still hands over the held-back text."""
    first = chunk({"content": "<"})
    del first["model"], first["system_fingerprint"]
    assembler = StreamAssembler()
    assembler.feed(first)
    last = assembler.finish()
    assert last is not None
    assert last.message.content == "<"
    assert "model_name" not in last.message.response_metadata


# ---------------------------------------------------------------------------
# Several choices are refused, never spliced (issue 9, fault 6)
# ---------------------------------------------------------------------------


def _choice_chunk(index: Any, text: str) -> dict[str, Any]:
    body = chunk({"content": text})
    body["choices"][0]["index"] = index
    return body


@pytest.mark.parametrize("style", ["sync", "async"])
async def test_a_second_choice_in_a_stream_is_refused_not_spliced(style: str) -> None:
    events = [
        _choice_chunk(0, "Hello"),
        _choice_chunk(1, "Bonjour"),
        _choice_chunk(0, " there"),
    ]
    model, _ = make_model(sse_reply(events))
    received = []
    with pytest.raises(ResponseDecodeError, match=r"second choice \(index 1\)") as info:
        if style == "sync":
            for piece in model.stream("hi"):
                received.append(piece.text)
        else:
            async for piece in model.astream("hi"):
                received.append(piece.text)
    assert received == ["Hello"]
    message = str(info.value)
    assert "a LangChain stream is one message" in message
    assert "splicing choices together would garble it" in message
    assert "Ask for n=1 when streaming" in message
    assert "invoke and generate return one generation per choice." in message


def test_choice_index_zero_as_text_or_absent_is_the_first_choice() -> None:
    first = _choice_chunk("0", "a")
    second = chunk({"content": "b"})
    del second["choices"][0]["index"]
    model, _ = make_model(sse_reply([first, second, _finish()]))
    assert "".join(c.text for c in model.stream("hi")) == "ab"


# ---------------------------------------------------------------------------
# Shapes the API does not promise (issue 9, fault 8)
# ---------------------------------------------------------------------------


def _odd(change: Any) -> dict[str, Any]:
    body = chunk({"content": "x"})
    change(body)
    return body


def _usage_with_id(value: Any) -> dict[str, Any]:
    return {**usage_chunk(), "id": value}


ODD_CHUNKS = {
    "choices [null]": (
        _odd(lambda b: b.update(choices=[None])),
        "each entry of choices should be an object, got None.",
    ),
    "choices a string": (
        _odd(lambda b: b.update(choices="x")),
        "choices should be a list, got 'x'.",
    ),
    "choices [chunk, null]": (
        _odd(lambda b: b["choices"].append(None)),
        "each entry of choices should be an object, got None.",
    ),
    "delta a string": (
        _odd(lambda b: b["choices"][0].update(delta="x")),
        "choices[].delta should be an object, got 'x'.",
    ),
    "content a number": (
        _odd(lambda b: b["choices"][0]["delta"].update(content=1)),
        "delta.content should be a string, got 1.",
    ),
    "reasoning a number": (
        _odd(lambda b: b["choices"][0]["delta"].update(reasoning=2)),
        "delta.reasoning should be a string, got 2.",
    ),
    "reasoning_content a list": (
        _odd(lambda b: b["choices"][0]["delta"].update(reasoning_content=["r"])),
        "delta.reasoning_content should be a string, got ['r'].",
    ),
    "tool_calls [null]": (
        _odd(lambda b: b["choices"][0]["delta"].update(tool_calls=[None])),
        "each entry of delta.tool_calls should be an object, got None.",
    ),
    "tool-call index a word": (
        _odd(
            lambda b: b["choices"][0]["delta"].update(
                tool_calls=[{"index": "one", "function": {"arguments": "{}"}}]
            )
        ),
        "tool_calls[].index should be a non-negative integer, got 'one'.",
    ),
    "choice index a word": (
        _odd(lambda b: b["choices"][0].update(index="first")),
        "choices[].index should be a non-negative integer, got 'first'.",
    ),
    "finish_reason an object": (
        _odd(lambda b: b["choices"][0].update(finish_reason={})),
        "choices[].finish_reason should be a string, got {}.",
    ),
    "logprobs a list": (
        _odd(lambda b: b["choices"][0].update(logprobs=[1])),
        "choices[].logprobs should be an object, got [1].",
    ),
    "id a number": (_odd(lambda b: b.update(id=5)), "id should be a string, got 5."),
    "model a number": (
        _odd(lambda b: b.update(model=7)),
        "model should be a string, got 7.",
    ),
    "system_fingerprint a list": (
        _odd(lambda b: b.update(system_fingerprint=["f"])),
        "system_fingerprint should be a string, got ['f'].",
    ),
    "usage chunk id a number": (_usage_with_id(6), "id should be a string, got 6."),
}


@pytest.mark.parametrize(("bad", "said"), ODD_CHUNKS.values(), ids=ODD_CHUNKS.keys())
async def test_odd_shapes_raise_response_decode_error_naming_the_field(
    collect: Any, bad: dict[str, Any], said: str
) -> None:
    """An odd chunk raises ResponseDecodeError naming the field and its value."""
    model, _ = make_model(sse_reply([bad, _finish()]), max_retries=0)
    with pytest.raises(ResponseDecodeError, match="not what the API promises") as info:
        await collect(model)
    assert said in str(info.value)


# ---------------------------------------------------------------------------
# The callback token path
# ---------------------------------------------------------------------------


class _Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **_: Any) -> None:
        self.seen.append((token, chunk))


class _AsyncTokens(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    async def on_llm_new_token(
        self, token: str, *, chunk: Any = None, **_: Any
    ) -> None:
        self.seen.append((token, chunk))


# An empty role-only delta, a "<" held back (it may start "<think>") and a
# stream that ends without a finish chunk, so that the last chunk, carrying
# the "<" and the usage, comes from finish().
CALLBACK_EVENTS = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "<"}),
    usage_chunk(),
]


def test_on_llm_new_token_gets_each_chunks_text_and_chunk() -> None:
    model, _ = make_model(sse_reply(CALLBACK_EVENTS))
    handler = _Tokens()
    manager = CallbackManagerForLLMRun(
        run_id=uuid.uuid4(), handlers=[handler], inheritable_handlers=[]
    )
    chunks = list(model._stream([HumanMessage("hi")], run_manager=manager))
    assert [token for token, _ in handler.seen] == ["", "", "<"]
    assert [c for _, c in handler.seen] == chunks
    assert all(seen is c for (_, seen), c in zip(handler.seen, chunks, strict=True))


async def test_on_llm_new_token_gets_each_chunks_text_and_chunk_async() -> None:
    model, _ = make_model(sse_reply(CALLBACK_EVENTS))
    handler = _AsyncTokens()
    manager = AsyncCallbackManagerForLLMRun(
        run_id=uuid.uuid4(), handlers=[handler], inheritable_handlers=[]
    )
    chunks = [
        c async for c in model._astream([HumanMessage("hi")], run_manager=manager)
    ]
    assert [token for token, _ in handler.seen] == ["", "", "<"]
    assert all(seen is c for (_, seen), c in zip(handler.seen, chunks, strict=True))


def test_the_finish_reason_is_in_the_finish_chunks_generation_info() -> None:
    """Callers of _stream see the finish reason in the chunk's generation info."""
    assembler = StreamAssembler()
    first = assembler.feed(chunk({"content": "a"}))
    last = assembler.feed(chunk({"content": "b"}, finish_reason="stop"))
    assert first is not None and last is not None
    assert first.generation_info is None
    assert last.generation_info == {"finish_reason": "stop"}


def test_logprobs_are_in_each_chunks_message_and_generation_info() -> None:
    generated = StreamAssembler().feed(_with_logprobs("Hi"))
    assert generated is not None
    expected = {"content": [_logprob("Hi")], "refusal": None}
    assert generated.message.response_metadata["logprobs"] == expected
    assert generated.generation_info == {"logprobs": expected}


# ============================================================================
# SSE framing and event decoding (``_streaming``), without and with HTTP.
# ============================================================================

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
@pytest.mark.parametrize("after_a_chunk", [False, True], ids=["first", "later"])
async def test_a_chunk_that_is_no_json_object_is_a_decode_error(
    data: str, message: str, use_async: bool, after_a_chunk: bool
) -> None:
    """The message says why and quotes 200 characters; ``.body`` keeps the chunk.

    A chunk that is not JSON at all is typed at the client's translation seam:
    no ``JSONDecodeError`` or ``RecursionError`` reaches the caller, whether it
    is the first chunk or one after the stream began.
    """
    good = f"data: {json.dumps(chunk({'content': 'Hi'}))}\n\n" if after_a_chunk else ""
    body = f"{good}data: {data}\n\n".encode()
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


# ============================================================================
# The drain deadline (``_deadline``): a socket is cut when, and only when, due.
# Uses a Unix socket pair standing in for a connection, and a response stand-in
# with httpx's ``is_closed`` flag and ``network_stream`` extension; over real TCP
# see ``tests/reliability/test_hardening.py::test_stream_returns_promptly_at_done...``.
# Most tests use a watchdog of their own, as a freshly forked process would.
# ============================================================================


@dataclass
class FakeResponse:
    is_closed: bool = False
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeNetworkStream:
    """httpcore's ``network_stream`` extension, as far as ``_deadline`` uses it."""

    sock: Any

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


@pytest.fixture
def watchdog() -> _Watchdog:
    return _Watchdog()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, peer = socket.socketpair()
    with ours, peer:
        yield ours, peer


def _blocked_read_returns_within(ours: socket.socket, seconds: float) -> bool:
    ours.settimeout(seconds)
    try:
        return ours.recv(1) == b""
    except TimeoutError:
        return False


def test_a_due_deadline_cuts_the_socket_and_wakes_the_reader(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, _ = pair
    started = time.monotonic()
    watchdog.arm(FakeResponse(), ours, 0.05)  # type: ignore[arg-type]
    assert _blocked_read_returns_within(ours, 5.0)
    # Not early: the watchdog compares time.monotonic() with the deadline and
    # cuts only once it has passed, and ``started`` was read before arming, so
    # the lower bound holds on any machine; 10 ms spare covers the clock's
    # granularity. The upper bound only catches a cut that never came on time.
    assert 0.04 <= time.monotonic() - started < 4.0


def test_an_asyncio_transport_socket_is_cut_too(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    """The async path hands over asyncio's TransportSocket, not the socket."""
    ours, _ = pair
    watchdog.arm(FakeResponse(), asyncio.trsock.TransportSocket(ours), 0.01)  # type: ignore[arg-type]
    assert _blocked_read_returns_within(ours, 5.0)


def test_a_disarmed_deadline_never_cuts(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, _ = pair
    watch = watchdog.arm(FakeResponse(), ours, 0.05)  # type: ignore[arg-type]
    watchdog.disarm(watch)
    # Three times the deadline: a disarmed watch cannot fire late (it is
    # dropped under the lock), so a busy machine only gives it more time.
    assert not _blocked_read_returns_within(ours, 0.15)


def test_a_disarmed_deadline_does_not_hold_up_the_next(watchdog: _Watchdog) -> None:
    first, first_peer = socket.socketpair()
    second, second_peer = socket.socketpair()
    with first, first_peer, second, second_peer:
        watchdog.disarm(watchdog.arm(FakeResponse(), first, 0.02))  # type: ignore[arg-type]
        watchdog.arm(FakeResponse(), second, 0.05)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(second, 5.0)
        assert not _blocked_read_returns_within(first, 0.05)


def test_a_closed_response_is_never_cut(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    # Its connection may already serve another request.
    ours, _ = pair
    watchdog.arm(FakeResponse(is_closed=True), ours, 0.01)  # type: ignore[arg-type]
    assert not _blocked_read_returns_within(ours, 0.15)


def test_every_armed_deadline_fires_also_after_a_quiet_spell(
    watchdog: _Watchdog,
) -> None:
    sockets = [socket.socketpair() for _ in range(3)]
    try:
        (one, _), (two, _), (three, _) = sockets
        watchdog.arm(FakeResponse(), one, 0.02)  # type: ignore[arg-type]
        watchdog.arm(FakeResponse(), two, 0.02)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(one, 5.0)
        assert _blocked_read_returns_within(two, 5.0)
        # Nothing armed now: the watchdog waits, then serves the next one.
        watchdog.arm(FakeResponse(), three, 0.02)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(three, 5.0)
    finally:
        for ours, peer in sockets:
            ours.close()
            peer.close()


def test_deadlines_fire_in_order_whatever_order_they_were_armed_in(
    watchdog: _Watchdog,
) -> None:
    late, late_peer = socket.socketpair()
    soon, soon_peer = socket.socketpair()
    with late, late_peer, soon, soon_peer:
        later = watchdog.arm(FakeResponse(), late, 5.0)  # type: ignore[arg-type]
        watchdog.arm(FakeResponse(), soon, 0.05)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(soon, 3.0)
        assert not _blocked_read_returns_within(late, 0.1)
        watchdog.disarm(later)


def test_deadlines_due_at_the_same_instant_keep_the_order_armed() -> None:
    """A tie on the deadline is broken by arming order (never by comparing None)."""
    first = _Watch(1.0, 0, FakeResponse(), None)  # type: ignore[arg-type]
    second = _Watch(1.0, 1, FakeResponse(), None)  # type: ignore[arg-type]
    assert sorted([second, first]) == [first, second]


def test_the_watchdog_thread_never_keeps_the_process_alive(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    before = set(threading.enumerate())
    watch = watchdog.arm(FakeResponse(), pair[0], 5.0)  # type: ignore[arg-type]
    started = set(threading.enumerate()) - before
    watchdog.disarm(watch)
    assert started and all(thread.daemon for thread in started)


# ---------------------------------------------------------------------------
# cut_after: the response's own socket, found through httpcore's extension
# ---------------------------------------------------------------------------


def test_cut_after_cuts_the_responses_socket_within_the_block(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    response = FakeResponse(extensions={"network_stream": FakeNetworkStream(ours)})
    with cut_after(response, 0.02):  # type: ignore[arg-type]
        assert _blocked_read_returns_within(ours, 5.0)


def test_leaving_cut_after_in_time_disarms_it(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    response = FakeResponse(extensions={"network_stream": FakeNetworkStream(ours)})
    with cut_after(response, 0.05):  # type: ignore[arg-type]
        pass
    assert not _blocked_read_returns_within(ours, 0.15)


@pytest.mark.parametrize(
    "extensions",
    [
        {},
        {"network_stream": FakeNetworkStream(None)},
        {"network_stream": FakeNetworkStream(object())},
    ],
    ids=["no network stream", "no socket", "no shutdown"],
)
def test_without_a_usable_socket_cut_after_arms_nothing(
    extensions: dict[str, Any], pair: tuple[socket.socket, socket.socket]
) -> None:
    """The body is read as before, and the deadlines of others still fire."""
    ours, _ = pair
    other = FakeResponse(extensions={"network_stream": FakeNetworkStream(ours)})
    with cut_after(FakeResponse(extensions=extensions), 0.0):  # type: ignore[arg-type]
        with cut_after(other, 0.02):  # type: ignore[arg-type]
            assert _blocked_read_returns_within(ours, 5.0)
