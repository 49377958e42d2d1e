"""The stream assembler (``_chunks``): API chunks to LangChain chunks.

Through the real client and SSE bodies, sync and async: content, both
tool-call streaming styles, reasoning, what is reported once per stream
(provider, model, fingerprint, finish reason, usage), log probabilities,
refused second choices and odd shapes, the callback token path, and the rule
that a stream's aggregate equals what ``invoke`` returns for the same answer.
"""

from __future__ import annotations

import functools
import operator
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.callbacks import (
    AsyncCallbackHandler,
    AsyncCallbackManagerForLLMRun,
    BaseCallbackHandler,
    CallbackManagerForLLMRun,
)
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from langchain_provider import ChatSambaNova, ResponseDecodeError
from langchain_provider._response import StreamAssembler
from unit_tests.conftest import (
    LIVE_TIMING,
    MODEL,
    Reply,
    chunk,
    completion,
    json_reply,
    make_model,
    sse_reply,
    text_chunks,
    usage_chunk,
)


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
