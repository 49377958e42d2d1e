"""Message conversion for requests (``_messages``), through the model and the wire.

Tables check what the MockTransport receives; the response direction is
tested in ``test_response.py`` and ``test_chunks.py``.
"""

from __future__ import annotations

import json
import re
from datetime import date
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

from langchain_provider._request import convert_message_to_dict, convert_messages
from unit_tests.conftest import make_model

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
        "a text block is text whatever other keys it has",
        AIMessage(content=[{"type": "text", "text": "Hi", "source_type": "text"}]),
        {"role": "assistant", "content": "Hi"},
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
        "tool call arguments keep non-ASCII text as is",
        AIMessage(
            content="",
            tool_calls=[{"name": "w", "args": {"city": "Zürich"}, "id": "c1"}],
        ),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "w", "arguments": '{"city": "Zürich"}'},
                }
            ],
        },
    ),
    (
        "an invalid tool call without arguments is replayed with empty arguments",
        AIMessage(
            content="",
            invalid_tool_calls=[
                {"name": "w", "args": None, "id": "c1", "error": "bad"}
            ],
        ),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "w", "arguments": ""},
                }
            ],
        },
    ),
    (
        "tool result with one string block",
        ToolMessage(content=["18 C"], tool_call_id="call_1"),
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C"},
    ),
    (
        "tool result mixing strings, empty text and other blocks",
        ToolMessage(
            content=[
                "18 C",
                {"type": "text", "text": None},
                {"type": "json", "json": {"city": "Zürich", "on": date(2026, 1, 2)}},
            ],
            tool_call_id="call_1",
        ),
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": '18 C\n\n{"type": "json", "json": {"city": "Zürich", '
            '"on": "2026-01-02"}}',
        },
    ),
    (
        "raw tool calls langchain-core could not parse are replayed as they are",
        AIMessage(
            content="",
            additional_kwargs={
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f"}}
                ]
            },
        ),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f"}}],
        },
    ),
    (
        "ChatMessage tool result with its id in additional_kwargs",
        ChatMessage(
            role="tool", content="sunny", additional_kwargs={"tool_call_id": "c1"}
        ),
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
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
        "^Unsupported message type FunctionMessage: the SambaNova API takes "
        "system, human, AI, tool and ChatMessage messages.$",
        id="unsupported message type",
    ),
    pytest.param(
        HumanMessage(content=[{"type": "tool_use", "id": "t", "name": "f"}]),
        "^Unsupported content block type 'tool_use': the SambaNova API accepts "
        "text and images only.$",
        id="a block of another provider",
    ),
    pytest.param(
        HumanMessage(
            content=[
                {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}
            ]
        ),
        "Unsupported content block type 'file': the SambaNova API accepts text "
        "and images only.",
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


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        {"type": "image", "source": {"type": "base64", "data": PNG_B64}},
    ],
    ids=["v1 image", "another provider's image"],
)
@pytest.mark.parametrize("message_class", [AIMessage, SystemMessage])
def test_images_only_in_user_messages(
    message_class: type[BaseMessage], block: dict
) -> None:
    # Pinned: the API takes images in user turns only, so a system prompt
    # with an image is refused before sending rather than sent to fail.
    model, server = make_model()
    message = message_class(content=[block])
    message_text = "^Only user messages may carry images in the SambaNova API.$"
    with pytest.raises(ValueError, match=message_text):
        model.invoke([HumanMessage("hi"), message])
    assert server.calls == 0


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
    ],
)
def test_an_image_in_a_tool_result_is_never_sent_as_base64_text(block):
    # Alone, a tool message has nowhere to put its image: a note replaces it
    # (convert_messages moves it to a user turn; see the integration tests).
    message = ToolMessage(
        content=[{"type": "text", "text": "shot:"}, block], tool_call_id="c1"
    )
    assert convert_message_to_dict(message)["content"] == (
        "shot:\n[An image (the API takes images only in user messages) was left "
        "out of this tool result.]"
    )


@pytest.mark.parametrize("kind", ["image", "image_url", "file", "audio", "video"])
def test_a_media_block_of_another_provider_in_a_tool_result_is_left_out(kind):
    """Media blocks langchain-core does not recognise (Anthropic's ``source``)."""
    source = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
    history = [
        AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": "c"}]),
        ToolMessage(content=[{"type": kind, "source": source}], tool_call_id="c"),
    ]
    sent = convert_messages(history, takes_images=True)
    assert [m["role"] for m in sent] == ["assistant", "tool"]
    assert "was left out of this tool result" in sent[1]["content"]
    assert "iVBORw0KGgo=" not in json.dumps(sent)
    with pytest.raises(ValueError, match="tool_result_media='refuse'"):
        convert_messages(history, tool_result_media="refuse")


def test_a_text_block_holding_none_is_empty_text():
    message = AIMessage(content=[{"type": "text", "text": None}, "after"])
    assert convert_message_to_dict(message)["content"] == "after"


@pytest.mark.parametrize("text", [42, ["a"], {"t": "x"}], ids=["int", "list", "dict"])
@pytest.mark.parametrize("message_class", [HumanMessage, SystemMessage, AIMessage])
def test_a_text_block_whose_text_is_not_a_string_is_refused(
    message_class: type[BaseMessage], text: object
) -> None:
    # It was a bare TypeError from str.join (issue 9, fault 8).
    model, server = make_model()
    message = message_class(content=[{"type": "text", "text": text}])
    with pytest.raises(ValueError, match="'text' must be a string"):
        model.invoke([message])
    assert server.calls == 0


LONG = "x" * 100


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            [{"type": "text", "text": 42}],
            "A text content block's 'text' must be a string, got int: '42'.",
            id="text not a string",
        ),
        pytest.param(
            [{"type": "text", "text": [LONG]}],
            "A text content block's 'text' must be a string, got list: "
            f"{str([LONG])[:80]!r}.",
            id="text value cut to 80 characters",
        ),
        pytest.param(
            [{"type": "image_url", "image_url": "https://example.com/cat.png"}],
            "Image URLs are not supported: the SambaNova API accepts only base64 "
            "data URLs (data:<mime>;base64,...). Download the image and pass it as "
            "a base64 block instead of 'https://example.com/cat.png'.",
            id="image URL",
        ),
        pytest.param(
            [{"type": "image_url", "image_url": f"https://example.com/{LONG}.png"}],
            "a base64 block instead of 'https://example.com/" + "x" * 60 + "'.",
            id="image URL cut to 80 characters",
        ),
    ],
)
def test_refusal_messages_name_the_problem_and_the_value(
    content: list, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        convert_message_to_dict(HumanMessage(content=content))


@pytest.mark.parametrize(
    "message",
    [ChatMessage(role="tool", content="x"), ToolMessage(content="x", tool_call_id="")],
    ids=["chat-message", "empty-id"],
)
def test_a_tool_message_needs_its_tool_call_id(message: BaseMessage) -> None:
    # Folded from the former test_mutation_gaps.py.
    message_text = "^A tool message needs the tool_call_id it answers.$"
    with pytest.raises(ValueError, match=message_text):
        convert_message_to_dict(message)


def test_a_block_that_is_neither_text_nor_a_dict_is_refused() -> None:
    message = HumanMessage("placeholder")
    message.content = ["Hi", 3]  # content edited after validation
    with pytest.raises(ValueError, match=r"^Unsupported content block 3\.$"):
        convert_message_to_dict(message)


@pytest.mark.parametrize(
    ("texts", "sent"),
    [
        (["Summarize:", "The fox."], "Summarize:\nThe fox."),
        (["Hello ", "world"], "Hello world"),
        (["Line one", "\nLine two"], "Line one\nLine two"),
        (["", "only"], "only"),
    ],
)
def test_text_blocks_are_never_glued_into_one_word(texts: list[str], sent: str) -> None:
    blocks = [{"type": "text", "text": text} for text in texts]
    assert convert_message_to_dict(HumanMessage(blocks))["content"] == sent
