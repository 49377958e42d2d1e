"""with_structured_output: the request each method sends and what comes back."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from unit_tests.conftest import chunk, completion, json_reply, make_model, sse_reply


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
