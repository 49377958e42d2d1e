"""Tool calls in responses (``_tool_calls``): parsing, stream indexing, seals.

The seal test cuts real arguments at every position and checks the one rule
both paths share: a call whose arguments were cut off is never runnable, and
the aggregate langchain-core builds from the streamed fragments equals what
``parse_tool_calls`` reports for the whole text.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk

from langchain_provider import ResponseDecodeError
from langchain_provider._response import (
    StreamedToolCalls,
    arguments_text,
    parse_tool_calls,
    seal_for,
)

ARGUMENTS = [
    '{"city": "San Francisco", "unit": "fahrenheit"}',
    '{"path": "C:\\\\temp\\\\x", "quote": "say \\"hi\\"", "n": [1, 2.5, {"d": null}]}',
    '{"nested": {"list": [true, false], "empty": {}}, "text": "a\\nb"}',
]


def _call(arguments: str, **extra: Any) -> dict[str, Any]:
    return {"id": "c1", "function": {"name": "f", "arguments": arguments}, **extra}


def _aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    return functools.reduce(operator.add, chunks)


@pytest.mark.parametrize("arguments", ARGUMENTS)
def test_a_cut_off_call_is_never_runnable_and_both_paths_agree(arguments: str) -> None:
    for cut in range(len(arguments) + 1):
        prefix = arguments[:cut]
        valid, invalid = parse_tool_calls([_call(prefix)])
        tools = StreamedToolCalls()
        # The call's first delta, then its arguments' rest as a fragment.
        deltas = [[_call(prefix[:3], index=0)]]
        if len(prefix) > 3:
            deltas.append([{"index": 0, "function": {"arguments": prefix[3:]}}])
        chunks = [
            AIMessageChunk(content="", tool_call_chunks=tools.chunks(d)) for d in deltas
        ]
        chunks.append(AIMessageChunk(content="", tool_call_chunks=tools.seals()))
        streamed = _aggregate(chunks)
        whole = cut in (0, len(arguments))  # no arguments, or all of them
        assert bool(valid) == whole and bool(streamed.tool_calls) == whole, prefix
        assert streamed.tool_calls == valid, prefix
        assert [c["args"] for c in streamed.invalid_tool_calls] == [
            c["args"] for c in invalid
        ], prefix


def test_seal_for_leaves_complete_and_unparseable_arguments_alone() -> None:
    assert seal_for("") == ""
    assert seal_for('{"a": 1}') == ""
    assert seal_for("city=Paris") == ""
    assert seal_for('{"a": 1') == "]"
    assert seal_for('{"a": "b') == '"]'


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ("[1, 2]", "Arguments must be a JSON object."),
        ('"x"', "Arguments must be a JSON object."),
        ("city=Paris", "Arguments are not valid JSON: Expecting value"),
        ('{"a": 1', "Arguments are incomplete JSON (cut off, e.g. by max_tokens"),
    ],
    ids=["a list", "a string", "not json", "cut off"],
)
def test_an_invalid_call_says_what_is_wrong_with_its_arguments(
    arguments: str, error: str
) -> None:
    """The invalid tool call's error tells a list from bad JSON from a cut-off."""
    valid, [invalid] = parse_tool_calls([_call(arguments)])
    assert valid == []
    assert invalid["error"] is not None
    assert invalid["error"].startswith(error)


def test_a_call_without_a_name_is_runnable_with_an_empty_name() -> None:
    """A whole call whose function has no name keeps its arguments and id."""
    valid, invalid = parse_tool_calls([{"id": "c1", "function": {"arguments": "{}"}}])
    assert valid == [{"name": "", "args": {}, "id": "c1", "type": "tool_call"}]
    assert invalid == []


def test_arguments_text() -> None:
    assert arguments_text(None) == ""
    assert arguments_text('{"a": 1}') == '{"a": 1}'
    assert arguments_text({"a": "é"}) == '{"a": "é"}'


def test_parallel_interleaved_fragments_stay_with_their_call() -> None:
    # Two calls whose argument fragments interleave by index.
    tools = StreamedToolCalls()
    deltas = [
        [{"index": 0, "id": "a", "function": {"name": "weather", "arguments": ""}}],
        [{"index": 1, "id": "b", "function": {"name": "time", "arguments": ""}}],
        [{"index": 0, "function": {"arguments": '{"city": '}}],
        [{"index": 1, "function": {"arguments": '{"tz": '}}],
        [{"index": 0, "function": {"arguments": '"Paris"}'}}],
        [{"index": 1, "function": {"arguments": '"CET"}'}}],
    ]
    chunks = [
        AIMessageChunk(content="", tool_call_chunks=tools.chunks(d)) for d in deltas
    ]
    assert tools.seals() == []
    calls = _aggregate(chunks).tool_calls
    assert [(c["name"], c["args"], c["id"]) for c in calls] == [
        ("weather", {"city": "Paris"}, "a"),
        ("time", {"tz": "CET"}, "b"),
    ]


def test_an_index_reused_with_a_new_id_is_a_new_call() -> None:
    tools = StreamedToolCalls()
    first = tools.chunks([_call('{"x"', index=0)])
    second = tools.chunks([{**_call("{}", index=0), "id": "c2"}])
    assert [first[0]["index"], second[0]["index"]] == [0, 1]
    # The seal goes to the cut call only, under its own index.
    assert tools.seals() == [
        {"name": None, "args": "}", "id": None, "index": 0, "type": "tool_call_chunk"}
    ]


def test_each_reuse_of_an_index_with_a_new_id_is_a_new_call() -> None:
    """Calls all numbered 0 but with their own ids stay apart, however many."""
    tools = StreamedToolCalls()
    indexes = [
        tools.chunks([{**_call("{}", index=0), "id": call_id}])[0]["index"]
        for call_id in ("c1", "c2", "c3", "c4")
    ]
    assert indexes == [0, 1, 2, 3]


def test_fragments_after_a_reused_index_go_to_the_new_call() -> None:
    """After index 0 comes back with a new id, index 0's fragments are its."""
    tools = StreamedToolCalls()
    deltas = [
        [_call('{"x": 1}', index=0)],
        [{**_call('{"y": ', index=0), "id": "c2"}],
        [{"index": 0, "function": {"arguments": "2}"}}],
    ]
    chunks = [
        AIMessageChunk(content="", tool_call_chunks=tools.chunks(d)) for d in deltas
    ]
    assert [(c["args"], c["id"]) for c in _aggregate(chunks).tool_calls] == [
        ({"x": 1}, "c1"),
        ({"y": 2}, "c2"),
    ]


def test_calls_without_index_get_one_each() -> None:
    tools = StreamedToolCalls()
    one = tools.chunks([{"function": {"name": "a", "arguments": "{"}}])
    more = tools.chunks([{"function": {"arguments": "}"}}])  # continues "a"
    other = tools.chunks([{"function": {"name": "b", "arguments": "{}"}}])
    assert [c["index"] for c in one + more + other] == [0, 0, 1]


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (None, "each entry of delta.tool_calls should be an object, got None."),
        ("call", "each entry of delta.tool_calls should be an object, got 'call'."),
        ({"index": "first"}, "tool_calls[].index should be a non-negative integer"),
        ({"index": -1}, "tool_calls[].index should be a non-negative integer, got -1"),
        ({"index": True}, "tool_calls[].index should be a non-negative integer"),
        ({"function": 1}, "tool_calls[].function should be an object, got 1."),
        ({"function": {"name": 2}}, "tool_calls[].function.name should be a string"),
        ({"id": 3, "function": {}}, "tool_calls[].id should be a string, got 3."),
    ],
    ids=[
        "null",
        "string",
        "word index",
        "negative index",
        "bool index",
        "function",
        "name",
        "id",
    ],
)
def test_odd_streamed_shapes_raise_response_decode_error(raw: Any, said: str) -> None:
    """A streamed call of the wrong shape raises, naming the field."""
    with pytest.raises(ResponseDecodeError) as info:
        StreamedToolCalls().chunks([raw])
    assert said in str(info.value)


@pytest.mark.parametrize(
    ("raw_calls", "said"),
    [
        ("call", "delta.tool_calls should be a list, got 'call'."),
        ({"id": "c"}, "delta.tool_calls should be a list, got {'id': 'c'}."),
    ],
)
def test_streamed_tool_calls_that_are_not_a_list_raise(
    raw_calls: Any, said: str
) -> None:
    """A delta's tool_calls must be a list: the error says so."""
    with pytest.raises(ResponseDecodeError) as info:
        StreamedToolCalls().chunks(raw_calls)
    assert said in str(info.value)


@pytest.mark.parametrize(
    ("raw_calls", "said"),
    [
        ("call", "message.tool_calls should be a list, got 'call'."),
        ([None], "each entry of message.tool_calls should be an object, got None."),
        ([{"function": "f"}], "tool_calls[].function should be an object, got 'f'."),
        ([{"function": {"name": 1}}], "tool_calls[].function.name should be a string"),
        ([{"id": 2, "function": {}}], "tool_calls[].id should be a string, got 2."),
    ],
)
def test_whole_tool_calls_of_odd_shapes_raise(raw_calls: Any, said: str) -> None:
    """A message's tool calls of the wrong shape raise, naming the field."""
    with pytest.raises(ResponseDecodeError) as info:
        parse_tool_calls(raw_calls)
    assert said in str(info.value)


def test_a_reused_index_after_interleaving_gets_a_fresh_index() -> None:
    # Calls 0 and 1 are open; a fragment of call 0 comes back, then index 0
    # arrives with a new id: it must not land on call 1's index.
    tools = StreamedToolCalls()
    tools.chunks([_call("{", index=0)])
    tools.chunks([{**_call("{", index=1), "id": "c2"}])
    tools.chunks([{"index": 0, "function": {"arguments": "}"}}])
    [new] = tools.chunks([{**_call("{}", index=0), "id": "c3"}])
    assert new["index"] == 2


def test_a_new_call_keeps_the_index_the_server_gave_it() -> None:
    """Only a reused index is renumbered: a first call at index 1 stays at 1."""
    tools = StreamedToolCalls()
    (chunk,) = tools.chunks([{**_call("{}", index=1), "id": "c1"}])
    assert chunk["index"] == 1
