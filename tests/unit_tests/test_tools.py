"""bind_tools: every tool kind, tool_choice, parallel_tool_calls, strict."""

from __future__ import annotations

import re
from typing import Annotated, Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_provider._request import (
    MAX_SCHEMA_DEPTH,
    check_json_schema,
    format_tools,
)
from unit_tests.conftest import completion, json_reply, make_model


class GetWeather(BaseModel):
    """Get the current weather in a given location."""

    location: str = Field(description="City and country")


class GetTimeDict(TypedDict):
    """Get the local time in a timezone."""

    tz: Annotated[str, ..., "IANA timezone name"]


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First number.
        b: Second number.
    """
    return a + b


@tool
def search(query: str) -> str:
    """Search the web."""
    return query


JSON_SCHEMA = {
    "title": "lookup",
    "description": "Look a word up.",
    "type": "object",
    "properties": {"word": {"type": "string"}},
    "required": ["word"],
}

OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "translate",
        "description": "Translate text.",
        "parameters": {
            "type": "object",
            "properties": {"text": {"type": "string"}, "to": {"type": "string"}},
            "required": ["text", "to"],
        },
    },
}

TOOL_KINDS = [
    pytest.param(GetWeather, "GetWeather", ["location"], id="pydantic"),
    pytest.param(GetTimeDict, "GetTimeDict", ["tz"], id="TypedDict"),
    pytest.param(add, "add", ["a", "b"], id="function"),
    pytest.param(search, "search", ["query"], id="@tool BaseTool"),
    pytest.param(JSON_SCHEMA, "lookup", ["word"], id="JSON schema"),
    pytest.param(OPENAI_TOOL, "translate", ["text", "to"], id="OpenAI dict"),
]


@pytest.mark.parametrize(("tool_like", "name", "properties"), TOOL_KINDS)
def test_every_tool_kind_reaches_the_body(
    tool_like: Any, name: str, properties: list[str]
) -> None:
    model, server = make_model()
    model.bind_tools([tool_like]).invoke("hi")
    [sent] = server.body["tools"]
    assert sent["type"] == "function"
    assert sent["function"]["name"] == name
    assert sent["function"]["description"]
    parameters = sent["function"]["parameters"]
    assert parameters["type"] == "object"
    assert sorted(parameters["properties"]) == sorted(properties)
    assert "tool_choice" not in server.body
    assert "parallel_tool_calls" not in server.body


def test_all_kinds_together() -> None:
    model, server = make_model()
    tools = [GetWeather, GetTimeDict, add, search, JSON_SCHEMA, OPENAI_TOOL]
    model.bind_tools(tools, tool_choice="required").invoke("hi")
    names = [t["function"]["name"] for t in server.body["tools"]]
    assert names == [
        "GetWeather",
        "GetTimeDict",
        "add",
        "search",
        "lookup",
        "translate",
    ]


def test_tool_descriptions_and_argument_docs_are_kept() -> None:
    model, server = make_model()
    model.bind_tools([GetWeather, add]).invoke("hi")
    weather, adder = server.body["tools"]
    assert weather["function"]["description"] == (
        "Get the current weather in a given location."
    )
    location = weather["function"]["parameters"]["properties"]["location"]
    assert location["description"] == "City and country"
    assert adder["function"]["parameters"]["properties"]["a"]["description"] == (
        "First number."
    )


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("auto", "auto"),
        ("required", "required"),
        ("none", "none"),
        ("any", "required"),
        ("GetWeather", {"type": "function", "function": {"name": "GetWeather"}}),
        (
            {"type": "function", "function": {"name": "add"}},
            {"type": "function", "function": {"name": "add"}},
        ),
        (False, "none"),
    ],
)
def test_tool_choice(tool_choice: Any, expected: Any) -> None:
    model, server = make_model()
    model.bind_tools([GetWeather, add], tool_choice=tool_choice).invoke("hi")
    assert server.body["tool_choice"] == expected


def test_tool_choice_true_with_one_tool_forces_it() -> None:
    model, server = make_model()
    model.bind_tools([GetWeather], tool_choice=True).invoke("hi")
    assert server.body["tool_choice"] == {
        "type": "function",
        "function": {"name": "GetWeather"},
    }


def test_tool_choice_true_with_two_tools_raises() -> None:
    model, _ = make_model()
    with pytest.raises(ValueError, match="exactly one tool"):
        model.bind_tools([GetWeather, add], tool_choice=True)


@pytest.mark.parametrize(
    "tool_choice",
    ["get_wether", {"type": "function", "function": {"name": "nope"}}],
    ids=["unknown name", "unknown dict"],
)
def test_unknown_tool_choice_names_the_valid_tools(tool_choice: Any) -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match=re.escape("(GetWeather, add).")):
        model.bind_tools([GetWeather, add], tool_choice=tool_choice)
    assert server.calls == 0


@pytest.mark.parametrize(
    ("tool_choice", "message"),
    [
        (
            "get_weather",
            "tool_choice 'get_weather' is neither 'auto', 'required', 'none', "
            "'any' nor the name of a bound tool (none bound).",
        ),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            "tool_choice {'type': 'function', 'function': {'name': 'get_weather'}} "
            "does not name a bound tool (none bound).",
        ),
        (
            {"type": "function"},
            "tool_choice {'type': 'function'} does not name a bound tool (none bound).",
        ),
        (
            {"type": "function", "function": "get_weather"},
            "tool_choice {'type': 'function', 'function': 'get_weather'} does not "
            "name a bound tool (none bound).",
        ),
    ],
    ids=["name", "dict", "dict without function", "function not a dict"],
)
def test_a_per_call_tool_choice_without_tools_says_none_are_bound(
    tool_choice: Any, message: str
) -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        model.invoke("hi", tool_choice=tool_choice)
    assert server.calls == 0


def test_unsupported_tool_choice_type() -> None:
    model, _ = make_model()
    with pytest.raises(ValueError, match="tool_choice"):
        model.bind_tools([GetWeather], tool_choice=3)


@pytest.mark.parametrize("parallel", [True, False])
def test_parallel_tool_calls(parallel: bool) -> None:
    model, server = make_model()
    model.bind_tools([GetWeather], parallel_tool_calls=parallel).invoke("hi")
    assert server.body["parallel_tool_calls"] is parallel


def test_strict_reaches_the_body() -> None:
    # The vendor integration crashed on strict=True.
    model, server = make_model()
    model.bind_tools([GetWeather, add, JSON_SCHEMA], strict=True).invoke("hi")
    for sent in server.body["tools"]:
        assert sent["function"]["strict"] is True
        assert sent["function"]["parameters"]["additionalProperties"] is False


def test_strict_unset_sends_no_strict() -> None:
    model, server = make_model()
    model.bind_tools([GetWeather]).invoke("hi")
    assert "strict" not in server.body["tools"][0]["function"]


@pytest.mark.parametrize(
    "bad_tool",
    [
        {"type": "object", "properties": {"x": {"type": "string"}}},
        {"type": "function", "function": {"description": "no name"}},
        42,
    ],
    ids=["schema without title", "OpenAI dict without name", "not a tool"],
)
def test_tool_without_a_name_raises(bad_tool: Any) -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match="^(Every tool needs a name|Cannot use)"):
        model.bind_tools([bad_tool])
    assert server.calls == 0


@pytest.mark.parametrize(
    ("bad_tool", "message"),
    [
        (
            {"type": "function", "function": {"description": "no name"}},
            "Every tool needs a name; {'type': 'function', 'function': "
            "{'description': 'no name'}} has none. The API supports function "
            "tools only.",
        ),
        (42, "Cannot use 42 as a tool: "),
    ],
    ids=["no name", "not a tool"],
)
def test_a_refused_tool_is_named_in_the_message(bad_tool: Any, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        format_tools([bad_tool])


def test_a_tools_own_strict_flag_is_kept() -> None:
    """The tool's ``strict`` wins over the one given to ``bind_tools``."""
    tool = {
        "type": "function",
        "function": {"name": "f", "parameters": {"type": "object"}, "strict": False},
    }
    (formatted,) = format_tools([tool], strict=True)
    assert formatted["function"]["strict"] is False


def test_a_tool_with_a_sloppy_schema_is_warned_about_and_kept() -> None:
    bad = {
        "title": "broken",
        "description": "d",
        "type": "object",
        "properties": {"x": {"type": "strng"}},
    }
    model, _ = make_model()
    message = "tool 'broken' parameters.properties.x: unknown JSON schema type 'strng'."
    with pytest.warns(UserWarning, match="^" + re.escape(message)):
        bound = model.bind_tools([bad])
    sent = bound.kwargs["tools"][0]["function"]["parameters"]  # type: ignore[attr-defined]
    assert sent["properties"]["x"] == {"type": "strng"}


def test_a_tool_schema_that_can_never_be_sent_is_refused() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": 3}}
    with pytest.raises(ValueError, match="must be a JSON schema object"):
        format_tools([tool])


def test_bound_tool_calls_come_back_parsed() -> None:
    tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
        }
    ]
    model, _ = make_model(
        json_reply(completion("", tool_calls=tool_calls, finish_reason="tool_calls"))
    )
    message = model.bind_tools([add]).invoke("2+3?")
    assert message.tool_calls == [
        {"name": "add", "args": {"a": 2, "b": 3}, "id": "call_1", "type": "tool_call"}
    ]


def test_other_bind_kwargs_pass_through() -> None:
    model, server = make_model()
    model.bind_tools([GetWeather], temperature=0.1, tool_choice="auto").invoke("hi")
    assert server.body["temperature"] == 0.1
    assert server.body["tool_choice"] == "auto"


def test_per_call_tools_are_converted_and_checked() -> None:
    model, server = make_model()
    model.invoke("hi", tools=[GetWeather], tool_choice="any")
    assert server.body["tools"][0]["function"]["name"] == "GetWeather"
    assert server.body["tool_choice"] == "required"
    with pytest.raises(ValueError, match="GetWeather"):
        model.invoke("hi", tools=[GetWeather], tool_choice="get_wether")
    assert server.calls == 1


@pytest.mark.parametrize("strict", [True, False])
def test_strict_reaches_openai_format_dict_tools(strict):
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
            },
        },
    }
    (formatted,) = format_tools([tool], strict=strict)
    assert formatted["function"]["strict"] is strict
    assert "strict" not in tool["function"]  # the caller's dict is not modified


# -- JSON schemas: never refuse a valid one (issue 9.17), bound the nesting ----


VALID_SCHEMAS = {
    "boolean subschema": {"properties": {"payload": True, "never": False}},
    "tuple-form items": {
        "properties": {"pair": {"type": "array", "items": [{"type": "string"}, True]}}
    },
    "prefixItems": {
        "properties": {"pair": {"type": "array", "prefixItems": [{"type": "number"}]}}
    },
    "required from additionalProperties": {
        "properties": {"x": {"type": "string"}},
        "additionalProperties": {"type": "integer"},
        "required": ["y"],
    },
    "boolean items and additionalProperties": {
        "properties": {"xs": {"type": "array", "items": True}},
        "additionalProperties": False,
    },
    "not, if/then/else": {
        "properties": {"v": {"not": {"type": "null"}, "if": True, "then": {}}}
    },
    "type list": {"properties": {"v": {"type": ["string", "null"]}}},
}


@pytest.mark.parametrize("schema", VALID_SCHEMAS.values(), ids=VALID_SCHEMAS.keys())
def test_valid_json_schemas_are_sent_unchanged(schema: dict[str, Any]) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "f",
            "description": "d",
            "parameters": {"type": "object", **schema},
        },
    }
    model, server = make_model()
    model.bind_tools([tool]).invoke("hi")
    sent = server.body["tools"][0]["function"]["parameters"]
    assert sent == {"type": "object", **schema}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"properties": {"x": {"type": "strng"}}},
            r"\.properties\.x: unknown JSON schema type 'strng'\.",
        ),
        (
            {"properties": {"x": 3}},
            r"\.properties\.x must be a JSON schema \(object or boolean\)\.",
        ),
        ({"properties": ["x"]}, ": 'properties' must be an object."),
        ({"required": "x"}, ": 'required' must be a list of property names."),
        ({"anyOf": {"type": "string"}}, ": 'anyOf' must be a list of schemas."),
        ({"items": [{"type": "strng"}]}, r"\.items\[0\]: unknown JSON schema type"),
        (
            {"properties": {"x": {"type": "strng"}, "y": True}},
            r"\.properties\.x: unknown JSON schema type",
        ),
        ({"$defs": {"d": {"type": "strng"}}}, r"\.\$defs\.d: unknown JSON schema type"),
        ({"oneOf": [{"type": "strng"}]}, r"\.oneOf\[0\]: unknown JSON schema type"),
    ],
    ids=[
        "unknown type",
        "not a schema",
        "properties not an object",
        "required not a list",
        "anyOf not a list",
        "tuple items",
        "after a boolean subschema",
        "$defs without properties",
        "oneOf without anyOf",
    ],
)
def test_invalid_json_schemas_are_refused_naming_where(
    schema: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match="^p" + message):
        check_json_schema({"type": "object", **schema}, where="p")


def test_a_schema_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^p must be a JSON schema object, got 3\.$"):
        check_json_schema(3, where="p")


def test_schema_at_the_nesting_limit_passes_and_one_deeper_is_refused() -> None:
    def nested(levels: int) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        for _ in range(levels):
            schema = {"type": "array", "items": schema}
        return schema

    # Each "items" level nests one object in another.
    check_json_schema(nested(MAX_SCHEMA_DEPTH), where="p")
    message = (
        f"p is nested more than {MAX_SCHEMA_DEPTH} levels deep; the API cannot use "
        "such a schema."
    )
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        check_json_schema(nested(MAX_SCHEMA_DEPTH + 1), where="p")


@pytest.mark.parametrize("kind", ["json schema", "openai dict"])
def test_tool_nested_a_thousand_levels_raises_value_error_not_recursion(
    kind: str,
) -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(1000):
        schema = {"type": "object", "properties": {"a": schema}}
    tool: dict[str, Any] = {"title": "deep", "description": "d", **schema}
    if kind == "openai dict":
        tool = {"type": "function", "function": {"name": "deep", "parameters": schema}}
    model, server = make_model()
    message = "^tool schema is nested more than 100 levels deep; the API cannot"
    with pytest.raises(ValueError, match=message):
        model.bind_tools([tool])
    with pytest.raises(ValueError, match=message):
        model.invoke("hi", tools=[tool])
    assert server.calls == 0
