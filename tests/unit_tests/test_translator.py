"""Standard content blocks for ``model_provider="sambanova"`` (``_translator``).

Each case goes through the real client (invoke, or a stream aggregated the
way LangChain does) and reads ``content_blocks`` or the v1 content.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.block_translators import (
    PROVIDER_TRANSLATORS,
    get_translator,
)

from langchain_provider import _langchain as _translator

from .conftest import chunk, completion, json_reply, make_model, sse_reply, usage_chunk

GPT_OSS = "gpt-oss-120b"
R1 = "DeepSeek-R1-0528"
PLAN = "I will call get_weather."


def _call(call_id: str | None, arguments: str, *, index: int | None = 0) -> dict:
    raw: dict[str, Any] = {
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments},
    }
    if call_id is not None:
        raw["id"] = call_id
    if index is not None:
        raw["index"] = index
    return raw


def _invoke(message: dict[str, Any], model: str = GPT_OSS, **kwargs: Any) -> AIMessage:
    body = completion(None, model=model, message=message, finish_reason="tool_calls")
    llm, _ = make_model(json_reply(body), model=model, **kwargs)
    return llm.invoke("Weather in Paris?")


def _stream(deltas: list[dict[str, Any]], model: str = GPT_OSS, **kwargs: Any) -> Any:
    events = [chunk(delta, model=model) for delta in deltas]
    events += [
        chunk({"content": ""}, finish_reason="stop", model=model),
        usage_chunk(model=model),
    ]
    llm, _ = make_model(sse_reply(events), model=model, **kwargs)
    aggregate: AIMessageChunk | None = None
    for piece in llm.stream("Weather in Paris?"):
        aggregate = piece if aggregate is None else aggregate + piece
    assert aggregate is not None
    return aggregate


def _types(blocks: list[Any]) -> list[str]:
    return [block["type"] for block in blocks]


def test_registered_for_sambanova() -> None:
    translator = get_translator("sambanova")
    assert translator is not None
    assert translator["translate_content"] is _translator.translate_content


def test_invoke_reasoning_text_and_tool_calls() -> None:
    message = _invoke(
        {
            "content": "Let me check.",
            "reasoning": PLAN,
            "tool_calls": [
                _call("call_1", '{"city": "Paris"}', index=None),
                _call(None, '{"city": "Rome"}', index=None),
                _call("call_3", '{"city": ', index=None),
            ],
        }
    )
    blocks = message.content_blocks
    assert _types(blocks) == [
        "reasoning",
        "text",
        "tool_call",
        "tool_call",
        "invalid_tool_call",
    ]
    assert blocks[0]["reasoning"] == PLAN
    assert blocks[1]["text"] == "Let me check."
    assert blocks[2]["id"] == "call_1" and blocks[2]["args"] == {"city": "Paris"}
    # A call sent without an id gets one: agents pair results with calls by id.
    assert blocks[3]["id"].startswith("call_") and blocks[3]["args"] == {"city": "Rome"}
    invalid = blocks[4]
    # The cut-off arguments, sealed so no partial-JSON parser completes them
    # into a runnable call (see _tool_calls.seal_for).
    assert invalid["id"] == "call_3" and invalid["args"].startswith('{"city": ')
    assert "incomplete JSON" in invalid["error"]


def test_invoke_think_tags() -> None:
    message = _invoke({"content": "<think>\nHmm.\n</think>\n\nParis."}, model=R1)
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "Hmm."},
        {"type": "text", "text": "Paris."},
    ]


def test_hand_built_think_content_is_split() -> None:
    message = AIMessage(
        "<think>plan</think>answer", response_metadata={"model_provider": "sambanova"}
    )
    assert _types(message.content_blocks) == ["reasoning", "text"]


def test_list_content_falls_back_to_langchain_core() -> None:
    message = AIMessage(
        [{"type": "text", "text": "hi"}],
        response_metadata={"model_provider": "sambanova"},
    )
    with pytest.raises(NotImplementedError):
        _translator.translate_content(message)
    assert message.content_blocks == [{"type": "text", "text": "hi"}]


FRAGMENTS = [
    {"role": "assistant", "reasoning": "I will ", "channel": "analysis"},
    {"reasoning": "call get_weather."},
    {"tool_calls": [_call("call_1", "")]},
    {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
    {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
]
WHOLE_NO_ID = [
    {"role": "assistant", "reasoning": PLAN},
    {"tool_calls": [_call(None, '{"city": "Paris"}', index=None)]},
    {"tool_calls": [_call(None, "city=Rome", index=None)]},
]


@pytest.mark.parametrize("deltas", [FRAGMENTS, WHOLE_NO_ID], ids=["fragments", "whole"])
def test_stream_aggregate(deltas: list[dict[str, Any]]) -> None:
    aggregate = _stream(deltas)
    blocks = aggregate.content_blocks
    assert blocks[0] == {"type": "reasoning", "reasoning": PLAN}
    calls = [b for b in blocks if b["type"] == "tool_call"]
    assert calls[0]["args"] == {"city": "Paris"} and calls[0]["name"] == "get_weather"
    if deltas is WHOLE_NO_ID:
        # Sent without an id, the call gets one (agents pair results by id).
        assert calls[0]["id"].startswith("call_")
        invalid = [b for b in blocks if b["type"] == "invalid_tool_call"]
        assert len(invalid) == 1 and invalid[0]["args"] == "city=Rome"


def test_stream_aggregate_think_tags() -> None:
    deltas = [
        {"role": "assistant", "content": "<thi"},
        {"content": "nk>Hmm.</th"},
        {"content": "ink>\n\nParis."},
    ]
    blocks = _stream(deltas, model=R1).content_blocks
    assert blocks == [
        {"type": "reasoning", "reasoning": "Hmm."},
        {"type": "text", "text": "Paris."},
    ]


def test_single_chunk_carries_tool_call_chunks() -> None:
    piece = AIMessageChunk(
        content="",
        tool_call_chunks=[
            {
                "name": "f",
                "args": '{"a"',
                "id": None,
                "index": 1,
                "type": "tool_call_chunk",
            }
        ],
        response_metadata={"model_provider": "sambanova"},
    )
    (block,) = piece.content_blocks
    assert block == {
        "type": "tool_call_chunk",
        "id": None,
        "name": "f",
        "args": '{"a"',
        "index": f"{_translator.TOOL_CHUNK_INDEX_PREFIX}1",
    }


def test_tool_call_chunks_without_an_index_are_keyed_by_position() -> None:
    piece = AIMessageChunk(
        content="",
        tool_call_chunks=[
            {"name": "f", "args": "{}", "id": "a", "index": None},
            {"name": "g", "args": "{}", "id": "b", "index": None},
        ],
        response_metadata={"model_provider": "sambanova"},
    )
    prefix = _translator.TOOL_CHUNK_INDEX_PREFIX
    assert [b["index"] for b in piece.content_blocks] == [f"{prefix}0", f"{prefix}1"]


def test_an_invalid_tool_call_block_keeps_the_call_name() -> None:
    message = AIMessage(
        "",
        invalid_tool_calls=[{"name": "f", "args": "{", "id": "c", "error": "bad"}],
        response_metadata={"model_provider": "sambanova"},
    )
    assert message.content_blocks == [
        {
            "type": "invalid_tool_call",
            "id": "c",
            "name": "f",
            "args": "{",
            "error": "bad",
        }
    ]


@pytest.mark.parametrize(
    ("content", "additional_kwargs"),
    [
        ("\n<think>plan</think>answer", {}),
        ("<think>plan</think>answer", {"reasoning_content": ""}),
    ],
    ids=["after leading whitespace", "empty reasoning_content"],
)
def test_a_think_block_in_content_becomes_the_reasoning(
    content: str, additional_kwargs: dict
) -> None:
    message = AIMessage(
        content,
        additional_kwargs=additional_kwargs,
        response_metadata={"model_provider": "sambanova"},
    )
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "plan"},
        {"type": "text", "text": "answer"},
    ]


def test_output_version_v1_invoke() -> None:
    message = _invoke(
        {"content": "", "reasoning": PLAN, "tool_calls": [_call("call_1", "{}")]},
        output_version="v1",
    )
    assert _types(message.content) == ["reasoning", "tool_call"]  # type: ignore[arg-type]


def test_output_version_v1_stream() -> None:
    deltas = [*FRAGMENTS[:2], {"content": "Checking."}, *FRAGMENTS[2:]]
    aggregate = _stream(deltas, output_version="v1")
    content = aggregate.content
    assert _types(content) == ["reasoning", "text", "tool_call"]
    assert content[0]["reasoning"] == PLAN
    assert content[1]["text"] == "Checking."
    assert content[2]["id"] == "call_1" and content[2]["args"] == {"city": "Paris"}


async def test_output_version_v1_astream() -> None:
    events = [chunk(delta, model=GPT_OSS) for delta in FRAGMENTS]
    events += [chunk({"content": ""}, finish_reason="tool_calls", model=GPT_OSS)]
    llm, _ = make_model(sse_reply(events), model=GPT_OSS, output_version="v1")
    aggregate: Any = None
    async for piece in llm.astream("Weather in Paris?"):
        aggregate = piece if aggregate is None else aggregate + piece
    assert _types(aggregate.content) == ["reasoning", "tool_call"]
    assert aggregate.content[1]["args"] == {"city": "Paris"}


def test_id_less_calls_get_ids_so_even_core_keeps_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """langchain-core's fallback drops id-less calls; they no longer are."""
    aggregate = _stream(WHOLE_NO_ID)
    monkeypatch.delitem(PROVIDER_TRANSLATORS, "sambanova")
    assert "tool_call" in _types(aggregate.content_blocks)
