"""Message conversion, both directions, through the model and the wire.

Request-side tables check what the MockTransport receives; response-side tests
check what ``invoke`` hands back for a given body.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_provider._messages import convert_message_to_dict, split_think_tags
from unit_tests.conftest import MODEL, completion, json_reply, make_model

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
PNG_DATA_URL = f"data:image/png;base64,{PNG_B64}"
IMAGE_PART = {"type": "image_url", "image_url": {"url": PNG_DATA_URL}}

# ---------------------------------------------------------------------------
# Requests: LangChain messages -> API dicts
# ---------------------------------------------------------------------------

CONVERSIONS: list[tuple[str, BaseMessage, dict[str, Any]]] = [
    (
        "system",
        SystemMessage("Be brief."),
        {"role": "system", "content": "Be brief."},
    ),
    ("human", HumanMessage("Hi"), {"role": "user", "content": "Hi"}),
    (
        "human with name",
        HumanMessage("Hi", name="alice"),
        {"role": "user", "content": "Hi", "name": "alice"},
    ),
    (
        "text-only list content goes as a plain string",
        HumanMessage(content=[{"type": "text", "text": "Hello "}, "world"]),
        {"role": "user", "content": "Hello world"},
    ),
    (
        "assistant list content keeps its text",
        AIMessage(
            content=[
                {"type": "text", "text": "Paris "},
                {"type": "reasoning", "reasoning": "the user wants a city"},
                {"type": "text", "text": "it is."},
            ]
        ),
        {"role": "assistant", "content": "Paris it is."},
    ),
    (
        "v1 base64 image block",
        HumanMessage(
            content=[
                {"type": "text", "text": "What is this?"},
                {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
            ]
        ),
        {
            "role": "user",
            "content": [{"type": "text", "text": "What is this?"}, IMAGE_PART],
        },
    ),
    (
        "v0 source_type base64 image block",
        HumanMessage(
            content=[
                {
                    "type": "image",
                    "source_type": "base64",
                    "data": PNG_B64,
                    "mime_type": "image/png",
                }
            ]
        ),
        {"role": "user", "content": [IMAGE_PART]},
    ),
    (
        "image_url data URL",
        HumanMessage(content=[{"type": "image_url", "image_url": PNG_DATA_URL}]),
        {"role": "user", "content": [IMAGE_PART]},
    ),
    (
        "image_url dict data URL",
        HumanMessage(
            content=[{"type": "image_url", "image_url": {"url": PNG_DATA_URL}}]
        ),
        {"role": "user", "content": [IMAGE_PART]},
    ),
    (
        "AI message with tool calls (arguments as JSON strings)",
        AIMessage(
            content="",
            tool_calls=[
                {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"},
                {"name": "get_time", "args": {}, "id": "call_2"},
            ],
        ),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "arguments": '{"city": "Paris"}',
                    },
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": "{}"},
                },
            ],
        },
    ),
    (
        "tool result",
        ToolMessage("18 C and sunny", tool_call_id="call_1"),
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C and sunny"},
    ),
    (
        "tool result with list content becomes a string",
        ToolMessage(
            content=[
                {"type": "text", "text": "18 C"},
                {"type": "text", "text": "sunny"},
            ],
            tool_call_id="call_1",
        ),
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C\nsunny"},
    ),
    (
        "ChatMessage with a role",
        ChatMessage(role="system", content="Be brief."),
        {"role": "system", "content": "Be brief."},
    ),
    (
        "ChatMessage assistant",
        ChatMessage(role="assistant", content="Sure."),
        {"role": "assistant", "content": "Sure."},
    ),
]


@pytest.mark.parametrize(
    ("message", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in CONVERSIONS],
)
def test_convert_message_to_dict(message: BaseMessage, expected: dict) -> None:
    assert convert_message_to_dict(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in CONVERSIONS],
)
def test_messages_reach_the_wire_converted(
    message: BaseMessage, expected: dict
) -> None:
    model, server = make_model()
    model.invoke([SystemMessage("Be brief."), message])
    assert server.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        expected,
    ]


def test_tool_call_arguments_on_the_wire_are_json_strings() -> None:
    model, server = make_model()
    history = [
        HumanMessage("Weather in Paris?"),
        AIMessage(
            content="",
            tool_calls=[{"name": "w", "args": {"city": "Paris", "n": 2}, "id": "c1"}],
        ),
        ToolMessage("sunny", tool_call_id="c1"),
    ]
    model.invoke(history)
    sent = server.body["messages"]
    arguments = sent[1]["tool_calls"][0]["function"]["arguments"]
    assert isinstance(arguments, str)
    assert json.loads(arguments) == {"city": "Paris", "n": 2}
    assert sent[2] == {"role": "tool", "tool_call_id": "c1", "content": "sunny"}


BAD_MESSAGES = [
    pytest.param(
        HumanMessage(content=[{"type": "image", "url": "https://example.com/cat.png"}]),
        "base64",
        id="v1 http image url",
    ),
    pytest.param(
        HumanMessage(
            content=[
                {
                    "type": "image",
                    "source_type": "url",
                    "url": "http://example.com/cat.png",
                }
            ]
        ),
        "base64",
        id="v0 url image",
    ),
    pytest.param(
        HumanMessage(
            content=[
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/cat.png"},
                }
            ]
        ),
        "base64",
        id="image_url with https",
    ),
    pytest.param(ChatMessage(role="wizard", content="hi"), "wizard", id="unknown role"),
    pytest.param(
        FunctionMessage(name="f", content="1"),
        "FunctionMessage",
        id="unsupported message type",
    ),
    pytest.param(
        HumanMessage(
            content=[
                {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}
            ]
        ),
        "file",
        id="pdf block",
    ),
]


@pytest.mark.parametrize(("message", "mentions"), BAD_MESSAGES)
def test_unsupported_input_raises_before_sending(
    message: BaseMessage, mentions: str
) -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match=mentions):
        model.invoke([message])
    assert server.calls == 0


@pytest.mark.parametrize(("message", "mentions"), BAD_MESSAGES)
async def test_unsupported_input_raises_before_sending_async(
    message: BaseMessage, mentions: str
) -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match=mentions):
        await model.ainvoke([message])
    assert server.calls == 0


def test_empty_message_list_raises_before_sending() -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match="empty"):
        model.invoke([])
    assert server.calls == 0


def test_images_only_in_user_messages() -> None:
    model, server = make_model()
    message = AIMessage(
        content=[{"type": "image", "base64": PNG_B64, "mime_type": "image/png"}]
    )
    with pytest.raises(ValueError, match="user messages"):
        model.invoke([HumanMessage("hi"), message])
    assert server.calls == 0


# ---------------------------------------------------------------------------
# Responses: API dicts -> LangChain messages
# ---------------------------------------------------------------------------


def test_invoke_returns_content_id_and_metadata() -> None:
    model, _ = make_model(json_reply(completion("Paris.", id="003de5ed")))
    message = model.invoke("Capital of France?")
    assert isinstance(message, AIMessage)
    assert message.content == "Paris."
    assert message.id == "003de5ed"
    metadata = message.response_metadata
    assert metadata["model_name"] == MODEL
    assert metadata["finish_reason"] == "stop"
    assert metadata["system_fingerprint"] == "fastcoe"
    assert metadata["model_provider"] == "sambanova"


def test_model_name_is_the_one_the_response_names() -> None:
    # The vendor integration repeated the constructor's model: a per-call
    # override was misreported.
    model, server = make_model(json_reply(completion(model="gpt-oss-120b")))
    message = model.invoke("hi", model="gpt-oss-120b")
    assert server.body["model"] == "gpt-oss-120b"
    assert message.response_metadata["model_name"] == "gpt-oss-120b"


def test_tool_calls_parsed_from_string_and_object_arguments() -> None:
    tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            # Older servers sent arguments as an object.
            "id": "call_2",
            "type": "function",
            "function": {"name": "get_time", "arguments": {"tz": "CET"}},
        },
        {
            # null arguments for a tool without parameters.
            "id": "call_3",
            "type": "function",
            "function": {"name": "ping", "arguments": None},
        },
    ]
    model, _ = make_model(
        json_reply(completion("", tool_calls=tool_calls, finish_reason="tool_calls"))
    )
    message = model.invoke("hi")
    assert [(c["name"], c["args"], c["id"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"}, "call_1"),
        ("get_time", {"tz": "CET"}, "call_2"),
        ("ping", {}, "call_3"),
    ]
    assert message.invalid_tool_calls == []
    assert message.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    "arguments", ['{"city": "Par', "[1, 2]"], ids=["bad json", "not an object"]
)
def test_bad_tool_arguments_become_invalid_tool_calls(arguments: str) -> None:
    tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": arguments},
        }
    ]
    model, _ = make_model(json_reply(completion("", tool_calls=tool_calls)))
    message = model.invoke("hi")
    assert message.tool_calls == []
    [invalid] = message.invalid_tool_calls
    assert invalid["name"] == "get_weather"
    assert invalid["args"] == arguments
    assert invalid["id"] == "call_1"
    assert invalid["error"]


def test_invalid_tool_call_is_echoed_back_in_history() -> None:
    tool_calls = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{"}}
    ]
    model, server = make_model(
        json_reply(completion("", tool_calls=tool_calls)), json_reply(completion())
    )
    first = model.invoke("hi")
    model.invoke([HumanMessage("hi"), first, ToolMessage("oops", tool_call_id="c1")])
    assert server.bodies[1]["messages"][1]["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{"}}
    ]


def test_gpt_oss_reasoning_field_is_reasoning_content() -> None:
    body = completion(
        "42.", model="gpt-oss-120b", message={"reasoning": "6 times 7 is 42"}
    )
    model, _ = make_model(json_reply(body), model="gpt-oss-120b")
    message = model.invoke("6*7?")
    assert message.content == "42."
    assert message.additional_kwargs["reasoning_content"] == "6 times 7 is 42"


def test_deepseek_think_block_is_reasoning_content() -> None:
    body = completion("<think>\nThe user greets me.\n</think>\n\nHello!")
    model, _ = make_model(json_reply(body))
    message = model.invoke("hi")
    assert message.content == "Hello!"
    assert "<think>" not in message.content
    assert message.additional_kwargs["reasoning_content"] == "The user greets me."


def test_no_reasoning_content_without_reasoning() -> None:
    model, _ = make_model(json_reply(completion("Plain <think> is just text")))
    message = model.invoke("hi")
    assert message.content == "Plain <think> is just text"
    assert "reasoning_content" not in message.additional_kwargs


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<think>a</think>b", ("a", "b")),
        ("  <think>\na\n</think>\n\nb", ("a", "b")),
        ("<think>unfinished", ("unfinished", "")),
        ("answer <think>x</think>", (None, "answer <think>x</think>")),
        ("", (None, "")),
    ],
)
def test_split_think_tags(content: str, expected: tuple) -> None:
    assert split_think_tags(content) == expected


def test_null_content_is_empty_string() -> None:
    tool_calls = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    model, _ = make_model(json_reply(completion(None, tool_calls=tool_calls)))
    message = model.invoke("hi")
    assert message.content == ""
    assert message.tool_calls[0]["name"] == "f"


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
    ],
)
def test_an_image_in_a_tool_result_is_refused_not_sent_as_base64_text(block):
    message = ToolMessage(
        content=[{"type": "text", "text": "shot:"}, block], tool_call_id="c1"
    )
    with pytest.raises(ValueError, match="Tool results must be text"):
        convert_message_to_dict(message)


def test_a_text_block_holding_none_is_empty_text():
    message = AIMessage(content=[{"type": "text", "text": None}, "after"])
    assert convert_message_to_dict(message)["content"] == "after"


@pytest.mark.parametrize(
    "message",
    [ChatMessage(role="tool", content="x"), ToolMessage(content="x", tool_call_id="")],
    ids=["chat-message", "empty-id"],
)
def test_a_tool_message_needs_its_tool_call_id(message: BaseMessage) -> None:
    # Folded from the former test_mutation_gaps.py.
    with pytest.raises(ValueError, match="tool_call_id"):
        convert_message_to_dict(message)
