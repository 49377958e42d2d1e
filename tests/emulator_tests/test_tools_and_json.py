"""Tool choice, tool-call arguments, and JSON output (checked with jsonschema)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from .helpers import complete
from .test_streaming import TOOLS


def _calls(body: dict) -> list[dict]:
    message = body["choices"][0]["message"]
    return message.get("tool_calls") or []


def test_required_calls_a_tool_with_valid_arguments(emu, client):
    body = complete(client, emu, content="Hello!", tools=TOOLS, tool_choice="required")

    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["choices"][0]["message"]["content"] is None
    (call,) = _calls(body)
    assert call["type"] == "function" and call["id"].startswith("call_")
    schema = TOOLS[0]["function"]["parameters"]
    jsonschema.validate(json.loads(call["function"]["arguments"]), schema)


def test_named_tool_choice_calls_that_tool(emu, client):
    choice = {"type": "function", "function": {"name": "multiply"}}
    body = complete(client, emu, content="3 and 4?", tools=TOOLS, tool_choice=choice)
    (call,) = _calls(body)
    assert call["function"]["name"] == "multiply"
    assert json.loads(call["function"]["arguments"]) == {"a": 3, "b": 4}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Please multiply 12 by 5", ["multiply"]),
        ("GET WEATHER for Rome", ["get_weather"]),
        ("get_weather in Oslo, then Multiply 2 and 3", ["get_weather", "multiply"]),
        ("Tell me a joke", []),
    ],
)
def test_auto_calls_the_tools_the_user_mentions(emu, client, content, expected):
    body = complete(client, emu, content=content, tools=TOOLS)
    assert [c["function"]["name"] for c in _calls(body)] == expected
    reason = "tool_calls" if expected else "stop"
    assert body["choices"][0]["finish_reason"] == reason


def test_auto_fills_arguments_from_the_message(emu, client):
    body = complete(client, emu, content="Please multiply 12 by 5", tools=TOOLS)
    (call,) = _calls(body)
    assert json.loads(call["function"]["arguments"]) == {"a": 12, "b": 5}


def test_none_never_calls_tools(emu, client):
    body = complete(
        client, emu, content="multiply 2 by 3", tools=TOOLS, tool_choice="none"
    )
    assert _calls(body) == []
    assert body["choices"][0]["message"]["content"].startswith("Emulated reply")


def test_usage_counts_tool_call_tokens(emu, client):
    body = complete(client, emu, content="multiply 2 by 3", tools=TOOLS)
    assert body["usage"]["completion_tokens"] > 5
    assert body["usage"]["stop_reason"] == "tool_calls"


def test_json_object_content_is_a_json_object(emu, client):
    body = complete(client, emu, response_format={"type": "json_object"})
    value = json.loads(body["choices"][0]["message"]["content"])
    assert isinstance(value, dict)


PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The person's name"},
        "age": {"type": "integer", "minimum": 0},
        "height": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "role": {"enum": ["admin", "user", "guest"]},
        "address": {"$ref": "#/$defs/Address"},
        "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "active": {"type": "boolean", "default": False},
    },
    "required": ["name", "age", "tags", "role", "address"],
    "additionalProperties": False,
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["city"],
        }
    },
}


def test_json_schema_content_validates_against_the_schema(emu, client):
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": PERSON_SCHEMA, "strict": True},
    }
    body = complete(
        client,
        emu,
        content="Anna is 31 years old, 1.7 m tall, and a guest.",
        response_format=response_format,
    )
    value = json.loads(body["choices"][0]["message"]["content"])
    jsonschema.validate(value, PERSON_SCHEMA)
    assert value["name"] == "Anna"
    assert value["age"] == 31
    assert value["height"] == 1.7
    assert value["role"] == "guest"
    assert value["active"] is False


def test_scripted_json_and_tool_calls(emu, client):
    emu.script.reply_json({"a": 1})
    emu.script.reply_tool_calls(
        [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_x"}]
    )
    assert json.loads(complete(client, emu)["choices"][0]["message"]["content"]) == {
        "a": 1
    }
    body = complete(client, emu)
    assert _calls(body) == [
        {
            "id": "call_x",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
