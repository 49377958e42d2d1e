"""Bad input: a clear ValueError naming the problem, and nothing on the wire.

Each case runs against a live emulator, which records every request it
receives; ``emu.requests`` staying empty proves no round trip was spent.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import (
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
)

from .conftest import CALL_STYLES, call

NAMELESS_TOOL = {
    "type": "function",
    "function": {
        "description": "Look something up.",
        "parameters": {"type": "object", "properties": {}},
    },
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


class WizardMessage(BaseMessage):
    """A message type the API has no role for."""

    type: str = "wizard"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("temperature", 2.5, "temperature must be a number from 0 to 2, got 2.5"),
        ("temperature", -0.1, "temperature must be a number from 0 to 2, got -0.1"),
        ("top_p", 1.01, "top_p must be a number from 0 to 1, got 1.01"),
        ("top_k", 0, "top_k must be a whole number from 1 to 100, got 0"),
        ("top_k", 101, "top_k must be a whole number from 1 to 100, got 101"),
        ("top_k", 2.5, "top_k must be a whole number from 1 to 100, got 2.5"),
        ("max_tokens", 0, "max_tokens must be a whole number >= 1, got 0"),
        ("temperature", float("nan"), "temperature must be a number from 0 to 2"),
        ("top_logprobs", 21, "top_logprobs must be a whole number from 0 to 20"),
        ("n", 0, "n must be a whole number >= 1, got 0"),
        ("stop", ["a", "b", "c", "d", "e"], "stop accepts at most 4 sequences"),
        (
            "reasoning_effort",
            "extreme",
            "reasoning_effort must be one of ['low', 'medium', 'high'], got 'extreme'",
        ),
    ],
)
def test_constructor_rejects_out_of_range_settings(
    emu, make_model, field, value, expected
):
    with pytest.raises(ValueError) as info:
        make_model(**{field: value})
    assert expected in str(info.value)
    assert emu.requests == []


PER_CALL = [
    ({"temperature": 2.01}, "temperature must be a number from 0 to 2, got 2.01"),
    ({"top_p": -1}, "top_p must be a number from 0 to 1, got -1"),
    ({"top_k": 1000}, "top_k must be a whole number from 1 to 100, got 1000"),
    ({"max_tokens": -5}, "max_tokens must be a whole number >= 1, got -5"),
    ({"logprobs": True, "top_logprobs": 21}, "top_logprobs must be a whole number"),
    ({"top_logprobs": 1}, "top_logprobs needs logprobs=True"),
    ({"stop": ["1", "2", "3", "4", "5"]}, "stop accepts at most 4 sequences, got 5"),
]


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize(("kwargs", "expected"), PER_CALL)
async def test_per_call_out_of_range_settings_send_nothing(
    emu, make_model, style, kwargs, expected
):
    outcome = await call(make_model(), style, "Say hello", **kwargs)
    assert isinstance(outcome.error, ValueError)
    assert expected in str(outcome.error)
    assert emu.requests == []


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize(("kwargs", "expected"), PER_CALL)
async def test_bound_out_of_range_settings_send_nothing(
    emu, make_model, style, kwargs, expected
):
    outcome = await call(make_model().bind(**kwargs), style, "Say hello")
    assert isinstance(outcome.error, ValueError)
    assert expected in str(outcome.error)
    assert emu.requests == []


BAD_MESSAGES: list[tuple[str, Any, str]] = [
    ("empty message list", [], "messages must not be empty"),
    (
        "unknown role",
        [ChatMessage(role="wizard", content="Abracadabra")],
        "ChatMessage role 'wizard' is not one the SambaNova API accepts",
    ),
    (
        "unknown role as a dict",
        [{"role": "wizard", "content": "Abracadabra"}],
        "Unexpected message type: 'wizard'",
    ),
    (
        "unknown message type",
        [WizardMessage(content="Abracadabra")],
        "Unsupported message type WizardMessage",
    ),
    (
        "legacy function message",
        [FunctionMessage(name="lookup", content="42")],
        "Unsupported message type FunctionMessage",
    ),
    (
        "http image url (OpenAI style)",
        [
            HumanMessage(
                content=[
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://example.com/cat.png"},
                    },
                ]
            )
        ],
        "Image URLs are not supported",
    ),
    (
        "http image url (standard block)",
        [
            HumanMessage(
                content=[{"type": "image", "url": "http://example.com/cat.png"}]
            )
        ],
        "Image URLs are not supported",
    ),
]


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize(
    ("messages", "expected"),
    [case[1:] for case in BAD_MESSAGES],
    ids=[case[0] for case in BAD_MESSAGES],
)
async def test_bad_messages_send_nothing(emu, make_model, style, messages, expected):
    outcome = await call(make_model(), style, messages)
    assert isinstance(outcome.error, ValueError)
    assert expected in str(outcome.error)
    assert emu.requests == []


def test_bind_tools_rejects_a_tool_without_a_name(emu, make_model):
    with pytest.raises(ValueError, match="Every tool needs a name"):
        make_model().bind_tools([NAMELESS_TOOL])
    assert emu.requests == []


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_per_call_tool_without_a_name_sends_nothing(emu, make_model, style):
    outcome = await call(make_model(), style, "Look it up", tools=[NAMELESS_TOOL])
    assert isinstance(outcome.error, ValueError)
    assert "Every tool needs a name" in str(outcome.error)
    assert emu.requests == []


@pytest.mark.parametrize(
    "tool_choice", ["get_wether", {"type": "function", "function": {"name": "nope"}}]
)
def test_bind_tools_rejects_an_unknown_tool_choice(emu, make_model, tool_choice):
    with pytest.raises(ValueError, match="bound tool"):
        make_model().bind_tools([WEATHER_TOOL], tool_choice=tool_choice)
    assert emu.requests == []


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_per_call_unknown_tool_choice_sends_nothing(emu, make_model, style):
    model = make_model().bind_tools([WEATHER_TOOL])
    outcome = await call(model, style, "Weather in Paris?", tool_choice="get_wether")
    assert isinstance(outcome.error, ValueError)
    assert "get_wether" in str(outcome.error)
    assert emu.requests == []


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_per_call_tool_choice_any_is_translated(emu, make_model, style):
    # LangChain's "any" is the API's "required", bound or given per call.
    model = make_model().bind_tools([WEATHER_TOOL])
    outcome = await call(model, style, "Weather in Paris?", tool_choice="any")
    assert outcome.error is None, outcome.error
    assert [r.body["tool_choice"] for r in emu.requests] == ["required"]


INVALID_SCHEMAS = [
    (
        {
            "title": "Answer",
            "type": "object",
            "properties": {"n": {"type": "integr"}},
        },
        "unknown JSON schema type 'integr'",
    ),
    (
        {"title": "Answer", "type": "object", "properties": ["a", "b"]},
        "'properties' must be an object",
    ),
    ("not a schema", "Cannot use 'not a schema' as an output schema"),
]


@pytest.mark.parametrize(("schema", "expected"), INVALID_SCHEMAS)
def test_json_schema_method_rejects_an_invalid_schema(
    emu, make_model, schema, expected
):
    with pytest.raises(ValueError) as info:
        make_model().with_structured_output(schema, method="json_schema")
    assert expected in str(info.value)
    assert emu.requests == []


@pytest.mark.parametrize("style", ["stream", "astream"])
async def test_streaming_with_n_above_one_sends_nothing(emu, make_model, style):
    # A LangChain stream is one message; the choices would be spliced together.
    outcome = await call(make_model(n=2), style, "Say hello")
    assert isinstance(outcome.error, ValueError)
    assert "n=2 cannot stream" in str(outcome.error)
    assert emu.requests == []


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_n_above_one_with_tools_sends_nothing(emu, make_model, style):
    outcome = await call(make_model(), style, "Say hello", n=2, tools=[WEATHER_TOOL])
    assert isinstance(outcome.error, ValueError)
    assert "n=2 cannot be combined with tools" in str(outcome.error)
    assert emu.requests == []


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_a_tool_schema_a_thousand_levels_deep_sends_nothing(
    emu, make_model, style
):
    tool = {
        "type": "function",
        "function": {"name": "deep", "parameters": _nested(1000)},
    }
    outcome = await call(make_model(), style, "Say hello", tools=[tool])
    assert isinstance(outcome.error, ValueError)  # not RecursionError
    assert "nested more than 100 levels deep" in str(outcome.error)
    assert emu.requests == []


VALID_SCHEMAS = [
    {"type": "object", "properties": {"payload": True}},
    {"type": "object", "properties": {"pair": {"type": "array", "items": [{}, True]}}},
    {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": {"type": "string"},
        "required": ["b"],
    },
]


@pytest.mark.parametrize("schema", VALID_SCHEMAS, ids=["bool", "tuple items", "extra"])
def test_valid_tool_schemas_reach_the_server(emu, make_model, schema):
    tool = {"type": "function", "function": {"name": "look", "parameters": schema}}
    make_model().bind_tools([tool]).invoke("Say hello")
    [request] = emu.requests
    assert request.body["tools"][0]["function"]["parameters"] == schema
