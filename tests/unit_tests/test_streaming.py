"""Streaming: SSE bodies through the real client, sync and async.

Covers content deltas, both tool-call streaming styles, the usage chunk,
``choices: null``, reasoning (``delta.reasoning`` and ``<think>`` split across
chunk boundaries), and the rule that the aggregate of a stream equals what
``invoke`` returns for the same answer.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_provider import ChatSambaNova
from langchain_provider._chunks import StreamState, generation_chunk_from_chunk
from langchain_provider._messages import split_think_tags
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


async def test_usage_before_finish_still_reports_model(collect: Any) -> None:
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


THINK_SAMPLES = [
    "<think>\nI reason.\n</think>\n\nThe answer.",
    "  <think> a < b </think>  x",
    "<think>unfinished  ",
    "<think>\n\n</think>\n\nA",
    "<thinking>x",
    "plain <think>",
    "<think></th",
    "Answer\n\n",
]


@pytest.mark.parametrize("content", THINK_SAMPLES)
def test_think_split_is_the_same_wherever_the_chunks_break(content: str) -> None:
    # Every way of cutting the content into three chunks must give what the
    # non-streaming conversion gives for the whole.
    expected_reasoning, expected_answer = split_think_tags(content)
    n = len(content)
    for i in range(n + 1):
        for j in range(i, n + 1):
            pieces = [content[:i], content[i:j], content[j:]]
            state = StreamState()
            reasoning = answer = ""
            for position, piece in enumerate(pieces):
                finish = "stop" if position == 2 else None
                generated = generation_chunk_from_chunk(
                    chunk({"content": piece}, finish_reason=finish), state
                )
                assert generated is not None
                answer += generated.message.text
                reasoning += generated.message.additional_kwargs.get(
                    "reasoning_content", ""
                )
            assert (reasoning, answer) == (expected_reasoning or "", expected_answer), (
                pieces
            )


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
    return {
        "content": message.content,
        "id": message.id,
        "tool_calls": message.tool_calls,
        "invalid_tool_calls": message.invalid_tool_calls,
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
    from langchain_provider._client import ChatCompletionsClient

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
