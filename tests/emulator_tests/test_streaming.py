"""Streams: chunk shapes, include_usage, concatenation, tool-call styles."""

from __future__ import annotations

import json
import time

import pytest

from .helpers import chat_body, complete, stream_chunks, stream_events, streamed_content


def test_stream_without_include_usage_has_no_usage_chunk(emu, client):
    chunks = stream_chunks(client, emu)

    assert all(chunk.get("usage") is None for chunk in chunks)
    assert all(chunk["choices"] for chunk in chunks)
    first, last = chunks[0], chunks[-1]
    assert first["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    assert last["choices"][0] == {
        "index": 0,
        "delta": {"content": ""},
        "finish_reason": "stop",
        "logprobs": None,
    }
    for chunk in chunks:
        assert chunk["object"] == "chat.completion.chunk"
        assert isinstance(chunk["created"], int)
        assert chunk["system_fingerprint"] == "fastcoe"
        assert chunk["id"] == first["id"]


def test_stream_with_include_usage_ends_with_a_usage_chunk(emu, client):
    chunks = stream_chunks(client, emu, stream_options={"include_usage": True})

    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == []
    usage = usage_chunk["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] == len(chunks) - 2  # one token per delta
    assert usage["is_last_response"] is True
    assert all("usage" not in chunk for chunk in chunks[:-1])


def test_streamed_pieces_concatenate_to_the_non_stream_text(emu, client):
    question = "Why is the sky blue, and why aren't sunsets? (Explain briefly.)"
    chunks = stream_chunks(client, emu, content=question)
    body = complete(client, emu, content=question)
    assert streamed_content(chunks) == body["choices"][0]["message"]["content"]


def test_tokens_per_chunk_groups_tokens(emu, client):
    emu.config.tokens_per_chunk = 3
    chunks = stream_chunks(client, emu, stream_options={"include_usage": True})
    content_chunks = chunks[:-2]
    assert len(content_chunks) == 4  # 10 tokens in groups of 3
    assert streamed_content(chunks) == "Emulated reply to: What is 2+2?"
    assert chunks[-1]["usage"]["completion_tokens"] == 10


def test_scripted_chunks_are_sent_exactly(emu, client):
    emu.script.reply_text("Hello world", chunks=["Hel", "lo wor", "ld"])
    chunks = stream_chunks(client, emu)
    pieces = [c["choices"][0]["delta"]["content"] for c in chunks[:-1]]
    assert pieces == ["Hel", "lo wor", "ld"]


@pytest.mark.parametrize("placement", ["usage", "top_level"])
def test_reference_naming_in_the_usage_chunk(emu, client, placement):
    emu.config.timing_naming = "reference"
    emu.config.reference_placement = placement
    chunks = stream_chunks(client, emu, stream_options={"include_usage": True})

    last = chunks[-1]
    fields = last["usage"] if placement == "usage" else last
    assert fields["output_tokens_count"] == len(chunks) - 2
    assert "throughput_after_first_token" in fields
    assert "prompt_tokens" not in json.dumps(last)
    if placement == "top_level":
        assert "usage" not in last


def test_gpt_oss_streams_reasoning_before_content(emu, client):
    chunks = stream_chunks(client, emu, model="gpt-oss-120b")
    deltas = [c["choices"][0]["delta"] for c in chunks[:-1]]
    kinds = ["reasoning" if "reasoning" in d else "content" for d in deltas]
    assert kinds == sorted(kinds, reverse=True)  # all reasoning, then all content
    assert "".join(d.get("reasoning", "") for d in deltas).startswith("The user")
    assert streamed_content(chunks) == "Emulated reply to: What is 2+2?"


def test_json_object_stream_parses_once_joined(emu, client):
    chunks = stream_chunks(client, emu, response_format={"type": "json_object"})
    assert json.loads(streamed_content(chunks)) == {
        "answer": "Emulated reply to: What is 2+2?"
    }


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "multiply",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    },
]
TWO_CALLS = "Use get_weather for Paris, then multiply 6 by 7."


def _tool_deltas(emu, client) -> tuple[list[dict], list[dict]]:
    chunks = stream_chunks(client, emu, content=TWO_CALLS, tools=TOOLS)
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    deltas = [c["choices"][0]["delta"] for c in chunks[:-1]]
    assert deltas[0]["role"] == "assistant"
    return deltas, [call for d in deltas for call in d["tool_calls"]]


def test_fragments_style(emu, client):
    deltas, calls = _tool_deltas(emu, client)

    heads = [call for call in calls if "id" in call]
    assert [h["function"] for h in heads] == [
        {"name": "get_weather", "arguments": ""},
        {"name": "multiply", "arguments": ""},
    ]
    assert all(h["id"].startswith("call_") and h["type"] == "function" for h in heads)
    joined = {0: "", 1: ""}
    for call in calls:
        joined[call["index"]] += call["function"]["arguments"]
    assert json.loads(joined[0]) == {"city": "Paris"}
    assert json.loads(joined[1]) == {"a": 6, "b": 7}
    assert len(deltas) > 4  # arguments really come in pieces


@pytest.mark.parametrize(
    ("style", "has_index", "arguments"),
    [
        ("whole", True, '{"city": "Paris"}'),
        ("whole_no_index", False, '{"city": "Paris"}'),
        ("whole_object_args", False, {"city": "Paris"}),
    ],
)
def test_whole_styles(emu, client, style, has_index, arguments):
    emu.config.tool_call_style = style
    deltas, calls = _tool_deltas(emu, client)

    assert len(deltas) == 2 and len(calls) == 2
    assert ("index" in calls[0]) is has_index
    assert calls[0]["function"] == {"name": "get_weather", "arguments": arguments}
    assert calls[0]["id"].startswith("call_")


def test_whole_object_args_also_in_non_stream_bodies(emu, client):
    emu.config.tool_call_style = "whole_object_args"
    body = complete(client, emu, content=TWO_CALLS, tools=TOOLS)
    calls = body["choices"][0]["message"]["tool_calls"]
    assert calls[1]["function"]["arguments"] == {"a": 6, "b": 7}


def test_stream_events_are_plain_data_events(emu, client):
    events = stream_events(client, emu, chat_body())
    assert {name for name, _ in events} == {"message"}


async def test_a_late_first_token_moves_the_schedule_instead_of_bursting():
    from langchain_provider.emulator._timing import Pacer

    # Generation "started" a second ago: the first token is already late.
    pacer = Pacer(0.1, 10.0, time.perf_counter() - 1.0)
    await pacer.wait(0)
    started = time.perf_counter()
    await pacer.wait(1)
    # The second token keeps its interval after the (late) first one.
    assert time.perf_counter() - started >= 0.09
