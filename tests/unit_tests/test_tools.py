"""Tool calling and structured output: tools and schemas out, tool calls back
(whole and streamed), with_structured_output for each method.
"""

from __future__ import annotations

import functools
import inspect
import json
import operator
import os
import re
import warnings
from typing import Annotated, Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_provider import ResponseDecodeError
from langchain_provider._tools import (
    MAX_SCHEMA_DEPTH,
    StreamedToolCalls,
    arguments_text,
    check_json_schema,
    cut_off_seal,
    format_tools,
    parse_tool_calls,
)
from unit_tests.conftest import chunk, completion, json_reply, make_model, sse_reply

# ============================================================================
# bind_tools: every tool kind, tool_choice, parallel_tool_calls, strict.
# ============================================================================


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
        (
            {"type": "function", "function": "get_weather"},
            "Every tool needs a name; {'type': 'function', 'function': "
            "'get_weather'} has none. The API supports function tools only.",
        ),
        (42, "Cannot use 42 as a tool: "),
    ],
    ids=["no name", "function not an object", "not a tool"],
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


def test_every_problem_of_a_sloppy_tool_schema_is_warned_about_once() -> None:
    # One problem must not hide the next: a non-schema member, a keyword of the
    # wrong shape, each is reported and the rest of the schema still checked.
    sloppy = {
        "title": "sloppy",
        "description": "d",
        "type": "object",
        "properties": {"a": {"type": "strng"}, "b": 3},
        "patternProperties": ["x"],
        "$defs": {"d": {"type": "int"}},
        "anyOf": {"type": "string"},
        "allOf": [{"type": "float"}],
    }
    model, _ = make_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.bind_tools([sloppy])
    where = "tool 'sloppy' parameters"
    problems = [
        f"{where}: 'patternProperties' must be an object.",
        f"{where}: 'anyOf' must be a list of schemas.",
        f"{where}.allOf[0]: unknown JSON schema type 'float'.",
        f"{where}.$defs.d: unknown JSON schema type 'int'.",
        f"{where}.properties.b must be a JSON schema (object or boolean).",
        f"{where}.properties.a: unknown JSON schema type 'strng'.",
    ]
    assert sorted(str(w.message) for w in caught) == sorted(
        f"{problem} Sent as given; the service may reject it." for problem in problems
    )
    assert {w.category for w in caught} == {UserWarning}


def test_a_sloppy_tool_schema_warning_points_at_the_bind_tools_call() -> None:
    sloppy = {"title": "t", "type": "object", "properties": {"x": {"type": "int"}}}
    model, _ = make_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        model.bind_tools([sloppy])
    assert len(caught) == 1
    if "MUTANT_UNDER_TEST" not in os.environ:
        # Under mutmut every function runs through a trampoline frame, which
        # then takes the blame; the attribution is checked in plain runs only.
        assert (caught[0].filename, caught[0].lineno) == (__file__, line)


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


@pytest.mark.parametrize("tool_choice", [None, "auto", "none"])
def test_no_tools_are_sent_as_none_with_nothing_to_choose_from(
    tool_choice: str | None,
) -> None:
    # create_agent binds [] when it has no tools; the API documents no empty list.
    model, server = make_model(*[json_reply(completion())] * 2)
    model.bind_tools([], tool_choice=tool_choice).invoke("hi")
    model.invoke("hi", tools=[], tool_choice=tool_choice)
    for body in server.bodies:
        assert "tools" not in body
        assert "tool_choice" not in body


def test_a_sloppy_tool_schema_is_warned_about_at_bind_time_only() -> None:
    sloppy = {"title": "t", "type": "object", "properties": {"x": {"type": "int"}}}
    model, server = make_model()
    with pytest.warns(UserWarning, match="unknown JSON schema type 'int'"):
        bound = model.bind_tools([sloppy])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bound.invoke("hi")
    assert server.body["tools"][0]["function"]["parameters"] == {
        "type": "object",
        "properties": {"x": {"type": "int"}},
    }


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


# ============================================================================
# Tool calls in responses (``_tool_calls``): parsing, stream indexing, seals.
# The seal test cuts real arguments at every position and checks the one rule
# both paths share: a call whose arguments were cut off is never runnable, and
# the aggregate langchain-core builds from the streamed fragments equals what
# ``parse_tool_calls`` reports for the whole text.
# ============================================================================

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
    assert cut_off_seal("") == ""
    assert cut_off_seal('{"a": 1}') == ""
    assert cut_off_seal("city=Paris") == ""
    assert cut_off_seal('{"a": 1') == "]"
    assert cut_off_seal('{"a": "b') == '"]'


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


# The live service's own ids: "call_" and 24 lowercase hex digits
# (cassettes/test_structured_output.yaml).
SERVICE_CALL_ID = re.compile(r"^call_[0-9a-f]{24}$")


def test_calls_sent_without_an_id_get_distinct_ids_in_the_services_form() -> None:
    calls = [
        {"type": "function", "function": {"name": name, "arguments": "{}"}}
        for name in ("a", "b")
    ]
    reply = completion("", tool_calls=calls, finish_reason="tool_calls")
    model, _ = make_model(json_reply(reply))
    ids = [call["id"] for call in model.invoke("go").tool_calls]
    assert all(SERVICE_CALL_ID.match(str(call_id)) for call_id in ids), ids
    assert len(set(ids)) == 2


def test_streamed_calls_sent_without_an_id_get_ids_in_the_services_form() -> None:
    events = [
        chunk(
            {"tool_calls": [{"index": 0, "function": {"name": "a", "arguments": "{}"}}]}
        ),
        chunk(
            {"tool_calls": [{"index": 1, "function": {"name": "b", "arguments": "{}"}}]}
        ),
    ]
    events.append(chunk({}, finish_reason="tool_calls"))
    model, _ = make_model(sse_reply(events))
    ids = [call["id"] for call in _aggregate(list(model.stream("go"))).tool_calls]
    assert all(SERVICE_CALL_ID.match(str(call_id)) for call_id in ids), ids
    assert len(set(ids)) == 2


def test_a_made_up_id_goes_on_the_first_chunk_and_stays_over_a_late_server_id():
    # A server id arriving on a later fragment would be glued onto (or
    # replace) the id already given to the call, and the result would no
    # longer pair with the call the agent saw start.
    events = [
        chunk({"tool_calls": [{"index": 0, "function": {"name": "a"}}]}),
        chunk({"tool_calls": [{"index": 0, "id": "call_late", "function": {}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
        chunk({}, finish_reason="tool_calls"),
    ]
    model, _ = make_model(sse_reply(events))
    chunks = list(model.stream("go"))
    ids = [c["id"] for ch in chunks for c in ch.tool_call_chunks]
    assert SERVICE_CALL_ID.match(str(ids[0])), ids
    assert ids[1:] == [None, None]
    assert [c["id"] for c in _aggregate(chunks).tool_calls] == [ids[0]]


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


# ============================================================================
# with_structured_output: the request each method sends and what comes back.
# ============================================================================


class Joke(BaseModel):
    """A joke with a setup and a punchline."""

    setup: str = Field(description="The question")
    punchline: str = Field(description="The answer")


class JokeDict(TypedDict):
    """A joke with a setup and a punchline."""

    setup: str
    punchline: str


JOKE_SCHEMA = {
    "title": "Joke",
    "description": "A joke with a setup and a punchline.",
    "type": "object",
    "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}},
    "required": ["setup", "punchline"],
}

JOKE = {
    "setup": "Why did the cat sit on the computer?",
    "punchline": "To keep an eye on the mouse.",
}


def _tool_call_reply(name: str, arguments: str) -> Any:
    tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
    ]
    return json_reply(completion("", tool_calls=tool_calls, finish_reason="tool_calls"))


SCHEMAS = [
    pytest.param(Joke, "Joke", Joke(**JOKE), id="pydantic"),
    pytest.param(JokeDict, "JokeDict", JOKE, id="TypedDict"),
    pytest.param(JOKE_SCHEMA, "Joke", JOKE, id="JSON schema"),
]


@pytest.mark.parametrize(("schema", "name", "expected"), SCHEMAS)
def test_function_calling_forces_the_named_tool(
    schema: Any, name: str, expected: Any
) -> None:
    model, server = make_model(_tool_call_reply(name, json.dumps(JOKE)))
    result = model.with_structured_output(schema).invoke("Tell me a joke")
    assert result == expected
    body = server.body
    [sent_tool] = body["tools"]
    assert sent_tool["function"]["name"] == name
    assert sorted(sent_tool["function"]["parameters"]["properties"]) == [
        "punchline",
        "setup",
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
    assert body["parallel_tool_calls"] is False
    assert "response_format" not in body
    assert "ls_structured_output_format" not in body


@pytest.mark.parametrize(("schema", "name", "expected"), SCHEMAS)
async def test_function_calling_async(schema: Any, name: str, expected: Any) -> None:
    model, _ = make_model(_tool_call_reply(name, json.dumps(JOKE)))
    assert await model.with_structured_output(schema).ainvoke("joke") == expected


def test_function_calling_over_a_stream() -> None:
    arguments = json.dumps(JOKE)
    first = {
        "index": 0,
        "id": "c1",
        "type": "function",
        "function": {"name": "Joke", "arguments": ""},
    }
    events = [chunk({"tool_calls": [first]})]
    for piece in (arguments[:20], arguments[20:]):
        events.append(
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        )
    events.append(chunk({}, finish_reason="tool_calls"))
    model, server = make_model(sse_reply(events))
    results = list(model.with_structured_output(Joke).stream("joke"))
    assert results[-1] == Joke(**JOKE)
    assert server.body["stream"] is True


@pytest.mark.parametrize(("schema", "name", "expected"), SCHEMAS)
def test_json_schema_method(schema: Any, name: str, expected: Any) -> None:
    model, server = make_model(json_reply(completion(json.dumps(JOKE))))
    result = model.with_structured_output(schema, method="json_schema").invoke("joke")
    assert result == expected
    body = server.body
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    spec = response_format["json_schema"]
    assert spec["name"] == name
    assert spec["schema"]["type"] == "object"
    assert sorted(spec["schema"]["properties"]) == ["punchline", "setup"]
    assert "strict" not in spec
    assert "tools" not in body
    assert "tool_choice" not in body


def test_json_schema_strict_is_sent() -> None:
    model, server = make_model(json_reply(completion(json.dumps(JOKE))))
    model.with_structured_output(Joke, method="json_schema", strict=True).invoke("j")
    assert server.body["response_format"]["json_schema"]["strict"] is True


@pytest.mark.parametrize(
    ("schema", "expected"),
    [(Joke, Joke(**JOKE)), (None, JOKE), (JOKE_SCHEMA, JOKE)],
    ids=["pydantic", "no schema", "JSON schema"],
)
def test_json_mode(schema: Any, expected: Any) -> None:
    model, server = make_model(json_reply(completion(json.dumps(JOKE))))
    result = model.with_structured_output(schema, method="json_mode").invoke(
        "Tell me a joke as JSON with setup and punchline"
    )
    assert result == expected
    assert server.body["response_format"] == {"type": "json_object"}
    assert "tools" not in server.body


def test_include_raw() -> None:
    model, _ = make_model(_tool_call_reply("Joke", json.dumps(JOKE)))
    result = model.with_structured_output(Joke, include_raw=True).invoke("joke")
    assert set(result) == {"raw", "parsed", "parsing_error"}
    assert isinstance(result["raw"], AIMessage)
    assert result["raw"].tool_calls[0]["name"] == "Joke"
    assert result["parsed"] == Joke(**JOKE)
    assert result["parsing_error"] is None


@pytest.mark.parametrize(
    ("method", "reply"),
    [
        ("function_calling", _tool_call_reply("Joke", '{"setup": "only half"}')),
        ("json_schema", json_reply(completion('{"setup": "only half"}'))),
        ("json_mode", json_reply(completion("this is not JSON"))),
    ],
)
def test_include_raw_parsing_failure_is_reported_not_raised(
    method: str, reply: Any
) -> None:
    model, _ = make_model(reply)
    result = model.with_structured_output(Joke, method=method, include_raw=True).invoke(
        "joke"
    )
    assert isinstance(result["raw"], AIMessage)
    assert result["parsed"] is None
    assert isinstance(result["parsing_error"], Exception)


@pytest.mark.parametrize(
    ("method", "reply"),
    [
        ("function_calling", _tool_call_reply("Joke", '{"setup": "only half"}')),
        ("json_mode", json_reply(completion("this is not JSON"))),
    ],
)
def test_parsing_failure_raises_without_include_raw(method: str, reply: Any) -> None:
    model, _ = make_model(reply)
    with pytest.raises((OutputParserException, ValueError)):
        model.with_structured_output(Joke, method=method).invoke("joke")


@pytest.mark.parametrize(
    "schema",
    [
        {"title": "Bad", "type": "object", "properties": {"x": {"type": "strng"}}},
        {"title": "Bad", "type": "object", "properties": ["x"]},
        {"type": "object", "properties": {"x": {"type": "string"}}},
    ],
    ids=[
        "unknown type",
        "properties not an object",
        "no title",
    ],
)
@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_invalid_schema_raises_before_sending(schema: Any, method: str) -> None:
    model, server = make_model()
    with pytest.raises(ValueError):
        model.with_structured_output(schema, method=method).invoke("hi")
    assert server.calls == 0


def test_schema_required_for_schema_methods() -> None:
    model, _ = make_model()
    for method in ("json_schema", "function_calling"):
        with pytest.raises(ValueError, match="needs a schema"):
            model.with_structured_output(None, method=method)


def test_unknown_method_and_extra_arguments() -> None:
    model, _ = make_model()
    with pytest.raises(ValueError, match="method"):
        model.with_structured_output(Joke, method="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unsupported arguments"):
        model.with_structured_output(Joke, temperature=0)


def test_nested_pydantic_schema() -> None:
    class Punch(BaseModel):
        text: str

    class Nested(BaseModel):
        """A joke with a nested punchline."""

        setup: str
        punch: Punch

    answer = {"setup": "s", "punch": {"text": "p"}}
    model, server = make_model(json_reply(completion(json.dumps(answer))))
    result = model.with_structured_output(Nested, method="json_schema").invoke("j")
    assert result == Nested(setup="s", punch=Punch(text="p"))
    schema = server.body["response_format"]["json_schema"]["schema"]
    punch = schema["properties"]["punch"]
    if "$ref" in punch:  # nested models may be referenced rather than inlined
        punch = schema["$defs"][punch["$ref"].rsplit("/", 1)[-1]]
    assert punch["properties"]["text"]["type"] == "string"


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_valid_schema_with_required_from_additional_properties_is_sent(
    method: str,
) -> None:
    # Valid JSON Schema: "y" may come from additionalProperties (issue 9.17).
    schema = {
        "title": "Open",
        "type": "object",
        "properties": {"x": {"type": "string"}},
        "additionalProperties": {"type": "integer"},
        "required": ["y"],
    }
    model, server = make_model()
    model.with_structured_output(schema, method=method, include_raw=True).invoke("hi")
    assert server.calls == 1


def test_output_schema_nested_a_thousand_levels_is_refused_by_name() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(1000):
        schema = {"type": "object", "properties": {"a": schema}}
    model, server = make_model()
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        model.with_structured_output({"title": "Deep", **schema}, method="json_schema")
    assert server.calls == 0
    with pytest.raises(ValueError, match="^output schema is nested more than 100"):
        model.with_structured_output(schema, method="json_schema")


@pytest.mark.parametrize(
    ("schema", "sent"),
    [
        (
            {
                "type": "function",
                "function": {"name": "Joke", "parameters": JOKE_SCHEMA},
            },
            {"name": "Joke", "schema": JOKE_SCHEMA},
        ),
        (
            {"type": "function", "function": {"name": "Anything"}},
            {"name": "Anything", "schema": {}},
        ),
        (
            {**JOKE_SCHEMA, "title": ""},
            {"name": "response", "schema": {**JOKE_SCHEMA, "title": ""}},
        ),
    ],
    ids=["OpenAI tool dict", "OpenAI tool dict without parameters", "empty title"],
)
def test_json_schema_name_and_schema_sent(schema: Any, sent: dict) -> None:
    model, server = make_model(json_reply(completion(json.dumps(JOKE))))
    model.with_structured_output(schema, method="json_schema").invoke("joke")
    assert server.body["response_format"] == {
        "type": "json_schema",
        "json_schema": sent,
    }


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (42, "^Cannot use 42 as an output schema: "),
        (
            {"title": "T", "type": "object", "properties": {"x": {"type": "strng"}}},
            "^" + re.escape("json_schema.properties.x: unknown JSON schema type"),
        ),
    ],
    ids=["not a schema", "invalid schema"],
)
def test_json_schema_refusals_say_what_is_wrong(schema: Any, message: str) -> None:
    model, _ = make_model()
    with pytest.raises(ValueError, match=message):
        model.with_structured_output(schema, method="json_schema")


def test_a_function_calling_output_schema_is_refused_by_name_without_a_warning() -> (
    None
):
    # An output schema is the caller's own: refused outright, where a sloppy
    # tool schema is only warned about.
    model, _ = make_model()
    schema = {"title": "T", "type": "object", "properties": {"x": {"type": "strng"}}}
    message = "tool 'T' parameters.properties.x: unknown JSON schema type 'strng'."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            model.with_structured_output(schema, method="function_calling")


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_the_missing_schema_message_names_the_method(method: str) -> None:
    model, _ = make_model()
    with pytest.raises(ValueError, match=f"^method='{method}' needs a schema.$"):
        model.with_structured_output(None, method=method)


def test_function_calling_strict_reaches_the_tool() -> None:
    model, server = make_model(_tool_call_reply("Joke", json.dumps(JOKE)))
    model.with_structured_output(Joke, strict=True).invoke("joke")
    assert server.body["tools"][0]["function"]["strict"] is True


class _Options(BaseCallbackHandler):
    def __init__(self) -> None:
        self.options: dict[str, Any] = {}

    def on_chat_model_start(
        self, serialized: Any, messages: Any, **kwargs: Any
    ) -> None:
        self.options = kwargs["options"]


@pytest.mark.parametrize(
    ("method", "reply"),
    [
        ("function_calling", _tool_call_reply("Joke", json.dumps(JOKE))),
        ("json_schema", json_reply(completion(json.dumps(JOKE)))),
        ("json_mode", json_reply(completion(json.dumps(JOKE)))),
    ],
)
def test_tracing_sees_the_structured_output_method_and_schema(
    method: str, reply: Any
) -> None:
    """LangSmith reads ``ls_structured_output_format`` from the run's options."""
    handler = _Options()
    model, _ = make_model(reply)
    runnable = model.with_structured_output(JOKE_SCHEMA, method=method)  # type: ignore[arg-type]
    runnable.invoke("joke", config={"callbacks": [handler]})
    traced = handler.options["ls_structured_output_format"]
    assert traced["kwargs"] == {"method": method}
    assert traced["schema"]["title"] == "Joke"


@pytest.mark.parametrize("choice", ["required", "any"])
def test_a_forcing_tool_choice_with_no_tools_is_refused_before_sending(
    choice: str,
) -> None:
    llm, server = make_model()
    message = (
        "tool_choice='required' asks the model to call a tool, but no tools are "
        "bound: bind some, or drop tool_choice."
    )
    with pytest.raises(ValueError) as refused:  # bind_tools reads "any" as required
        llm.bind_tools([], tool_choice=choice).invoke("hi")
    assert str(refused.value) == message
    with pytest.raises(ValueError) as refused:
        llm.invoke("hi", tool_choice=choice)
    assert str(refused.value) == message.replace("'required'", repr(choice))
    assert server.requests == []
