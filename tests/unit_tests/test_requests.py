"""What a call sends: LangChain messages to the API's messages, reasoning sent
back, media in tool results, and the request body with its checks.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import ValidationError

from langchain_provider import ChatSambaNova
from langchain_provider._request import (
    build_request_body,
    convert_message_to_dict,
    convert_messages,
)
from unit_tests.conftest import (
    chunk,
    completion,
    json_reply,
    make_model,
    sse_reply,
    usage_chunk,
)

# ============================================================================
# Message conversion for requests (``_messages``), through the model and the wire.
# Tables check what the MockTransport receives; the response direction is
# tested in ``test_responses.py`` and ``test_streaming.py``.
# ============================================================================

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


VISION_MODEL = "gemma-4-31B-it"  # its profile: takes images
TEXT_MODEL = "Meta-Llama-3.3-70B-Instruct"  # its profile: takes no images
PNG_BLOCK = {"type": "image", "base64": PNG_B64, "mime_type": "image/png"}
LEFT_OUT = "[{} was left out of this tool result.]"
NOT_SENT = "(the API takes no files, audio or video)"


def _sent_after_the_tool_call(content: list, **settings: Any) -> list[dict]:
    """What one call sends after the assistant's tool call: the tool result on."""
    model, server = make_model(**settings)
    call = {"name": "shot", "args": {}, "id": "c1", "type": "tool_call"}
    model.invoke(
        [
            HumanMessage("look"),
            AIMessage("", tool_calls=[call]),
            ToolMessage(content, tool_call_id="c1"),
        ]
    )
    return server.body["messages"][2:]


@pytest.mark.parametrize(
    ("model", "media", "block", "note"),
    [
        pytest.param(
            TEXT_MODEL,
            "move",
            PNG_BLOCK,
            "An image (the model takes no images)",
            id="model takes no images",
        ),
        pytest.param(
            VISION_MODEL,
            "drop",
            PNG_BLOCK,
            "An image (the API takes images only in user messages)",
            id="drop on a model that takes images",
        ),
        pytest.param(
            "my-finetune",
            "drop",
            PNG_BLOCK,
            "An image (the API takes images only in user messages)",
            id="drop on a model without a profile",
        ),
        pytest.param(
            VISION_MODEL,
            "move",
            {"type": "image", "url": "https://example.com/cat.png"},
            "An image in a form the API cannot take (it takes base64 data only)",
            id="image by URL",
        ),
        pytest.param(
            VISION_MODEL,
            "move",
            {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"},
            f"A file (application/pdf) {NOT_SENT}",
            id="file with its type",
        ),
        pytest.param(
            VISION_MODEL,
            "move",
            {"type": "file", "file_id": "file-1"},
            f"A file {NOT_SENT}",
            id="file without a type",
        ),
        pytest.param(
            VISION_MODEL,
            "move",
            {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"},
            f"An audio clip (audio/wav) {NOT_SENT}",
            id="audio",
        ),
        pytest.param(
            VISION_MODEL,
            "move",
            {"type": "video", "base64": "AAAAGGZ0eXA=", "mime_type": "video/mp4"},
            f"A video (video/mp4) {NOT_SENT}",
            id="video",
        ),
        pytest.param(
            VISION_MODEL,
            "move",
            {
                "type": "text-plain",
                "url": "https://x.test/a.txt",
                "mime_type": "text/plain",
            },
            f"A text document (text/plain) {NOT_SENT}",
            id="a text document given by URL",
        ),
    ],
)
def test_media_a_tool_result_cannot_send_is_named_in_a_note(
    model: str, media: str, block: dict, note: str
) -> None:
    sent = _sent_after_the_tool_call(
        [{"type": "text", "text": "done"}, block],
        model=model,
        tool_result_media=media,
    )
    assert sent == [
        {
            "role": "tool",
            "content": f"done\n{LEFT_OUT.format(note)}",
            "tool_call_id": "c1",
        }
    ]


@pytest.mark.parametrize(
    "document",
    [
        {"type": "text-plain", "text": "a,b\n1,2", "mime_type": "text/plain"},
        {"type": "text-plain", "base64": "YSxiCjEsMg==", "mime_type": "text/plain"},
    ],
    ids=["inline text", "base64"],
)
def test_a_plain_text_document_a_tool_returns_is_sent_as_its_text(
    document: dict,
) -> None:
    # MCP resources and v1 tool outputs carry text files as text-plain blocks:
    # they are text, so the model reads them rather than a note.
    sent = _sent_after_the_tool_call(
        [{"type": "text", "text": "file:"}, document], model=TEXT_MODEL
    )
    assert sent == [
        {"role": "tool", "content": "file:\na,b\n1,2", "tool_call_id": "c1"}
    ]


def test_a_plain_text_document_in_a_user_message_is_sent_as_its_text() -> None:
    model, server = make_model()
    document = {"type": "text-plain", "text": "a,b", "mime_type": "text/plain"}
    model.invoke([HumanMessage([{"type": "text", "text": "Sum:"}, document])])
    assert server.body["messages"] == [{"role": "user", "content": "Sum:\na,b"}]


@pytest.mark.parametrize(
    ("data", "problem"),
    [("not base64!", "Only base64 data is allowed"), ("//79", "invalid start byte")],
)
def test_a_plain_text_document_that_is_not_text_in_base64_is_refused_before_sending(
    data: str, problem: str
) -> None:
    model, server = make_model()
    document = {"type": "text-plain", "base64": data, "mime_type": "text/plain"}
    expected = "^A text-plain block's 'base64' must be UTF-8 text encoded in base64 "
    with pytest.raises(ValueError, match=expected) as caught:
        model.invoke([HumanMessage([document])])
    assert problem in str(caught.value)
    assert server.calls == 0


def test_media_left_out_is_logged_once_per_model_naming_the_model_and_the_media(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model, _ = make_model(*[json_reply(completion())] * 3, model=TEXT_MODEL)
    pdf = {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}
    wav = {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"}
    call = {"name": "shot", "args": {}, "id": "c1", "type": "tool_call"}

    def call_with(blocks: list) -> list[str]:
        caplog.clear()
        history = [
            HumanMessage("look"),
            AIMessage("", tool_calls=[call]),
            ToolMessage(blocks, tool_call_id="c1"),
        ]
        with caplog.at_level(logging.WARNING):
            model.invoke(history)
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    def warning(left_out: str) -> str:
        return (
            f"{TEXT_MODEL}: left out of the tool results sent (the service takes "
            f"images only in user messages, and no files): {left_out}. Set "
            "tool_result_media='refuse' to raise instead."
        )

    image_note = "An image (the model takes no images)"
    pdf_note = f"A file (application/pdf) {NOT_SENT}"
    assert call_with([PNG_BLOCK, pdf]) == [warning(f"{pdf_note}; {image_note}")]
    assert call_with([pdf, PNG_BLOCK]) == []  # already said
    wav_note = f"An audio clip (audio/wav) {NOT_SENT}"
    assert call_with([pdf, wav]) == [warning(wav_note)]


def test_text_after_a_moved_image_stays_in_the_tool_result() -> None:
    sent = _sent_after_the_tool_call(
        [PNG_BLOCK, {"type": "text", "text": "caption"}], model=VISION_MODEL
    )
    where = "[The 1 image(s) this tool returned are in the next user message.]"
    assert sent[0] == {
        "role": "tool",
        "content": f"caption\n{where}",
        "tool_call_id": "c1",
    }
    assert sent[1]["content"][1:] == [IMAGE_PART]


@pytest.mark.parametrize(
    ("block", "kind"),
    [
        (PNG_BLOCK, "image"),
        ({"type": "image_url", "image_url": {"url": PNG_DATA_URL}}, "image"),
        (
            {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"},
            "file",
        ),
    ],
    ids=["image", "OpenAI-style image", "file"],
)
def test_refuse_names_the_media_and_the_settings_that_send_the_text(
    block: dict, kind: str
) -> None:
    model, server = make_model(model=VISION_MODEL, tool_result_media="refuse")
    call = {"name": "shot", "args": {}, "id": "c1", "type": "tool_call"}
    history = [
        HumanMessage("look"),
        AIMessage("", tool_calls=[call]),
        ToolMessage([block], tool_call_id="c1"),
    ]
    message = (
        f"A tool returned {kind} content, which the SambaNova API takes only in "
        "user messages (images) or not at all (files, audio, video), and "
        "tool_result_media='refuse' is set. Use 'move' (the default) or 'drop' "
        "to send the tool's text."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        model.invoke(history)
    assert server.calls == 0


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


# ============================================================================
# ``_request.build_request_body``: the merged body, checked once, before sending.
# ============================================================================

HI = [HumanMessage(content="hi")]
DEFAULTS = {"model": "m", "temperature": 0.3}
TOOL = {"type": "function", "function": {"name": "f", "parameters": {}}}


def _build(overrides: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    options = {"stop": None, "stream": False, "stream_usage": True, **kwargs}
    stop = options.pop("stop")
    defaults = options.pop("defaults", DEFAULTS)
    return build_request_body(defaults, HI, stop, overrides or {}, **options)


def test_defaults_then_per_call_values() -> None:
    body = _build({"temperature": 1.5, "seed": 3})
    assert body == {
        "model": "m",
        "temperature": 1.5,
        "seed": 3,
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_per_call_none_means_the_models_setting() -> None:
    assert _build({"temperature": None, "top_p": None})["temperature"] == 0.3
    assert "top_p" not in _build({"top_p": None})


def test_per_call_none_is_not_sent_as_null_through_the_client() -> None:
    model, server = make_model(temperature=0.3, max_tokens=50)
    model.invoke("hi", temperature=None, max_tokens=None, top_p=None)
    assert server.body["temperature"] == 0.3
    assert server.body["max_tokens"] == 50
    assert "top_p" not in server.body


def test_the_merged_body_is_checked_whatever_gave_the_value() -> None:
    # A value from the defaults (model_kwargs) is checked like a per-call one.
    with pytest.raises(ValueError, match="frequency_penalty must be"):
        _build(defaults={"model": "m", "frequency_penalty": 9})
    with pytest.raises(ValueError, match="temperature must be"):
        _build({"temperature": 2.5})


def test_stop_string_and_list() -> None:
    assert _build(stop="END")["stop"] == ["END"]
    assert _build({"stop": "END"})["stop"] == ["END"]
    assert _build(stop=["a", "b"])["stop"] == ["a", "b"]
    assert "stop" not in _build(stop=[])


def test_stream_and_stream_options() -> None:
    assert _build(stream=True)["stream_options"] == {"include_usage": True}
    assert "stream_options" not in _build(stream=True, stream_usage=False)
    plain = _build()
    assert "stream" not in plain and "stream_options" not in plain


def test_stream_options_per_call_are_refused() -> None:
    with pytest.raises(ValueError) as refused:
        _build({"stream_options": {"include_usage": False}}, stream=True)
    assert str(refused.value) == (
        "['stream_options'] cannot be passed per call: the request builder sets "
        "them (use stream_usage= for stream options)."
    )


def test_n_above_one_refused_in_streams_and_with_tools_before_sending() -> None:
    assert _build({"n": 2})["n"] == 2
    with pytest.raises(ValueError, match="n=2 cannot stream"):
        _build({"n": 2}, stream=True)
    with pytest.raises(ValueError, match="n=2 cannot be combined with tools"):
        _build({"n": 2, "tools": [TOOL]})
    model, server = make_model(n=2)
    with pytest.raises(ValueError, match="cannot stream"):
        list(model.stream("hi"))
    with pytest.raises(ValueError, match="tools"):
        model.bind_tools([TOOL]).invoke("hi")
    assert server.calls == 0


def test_top_logprobs_without_logprobs_is_refused() -> None:
    with pytest.raises(ValueError, match="top_logprobs needs logprobs=True"):
        _build({"top_logprobs": 2})
    assert _build({"top_logprobs": 2, "logprobs": True})["top_logprobs"] == 2


def test_empty_messages_are_refused() -> None:
    with pytest.raises(ValueError) as refused:
        build_request_body(DEFAULTS, [], None, {}, stream=False, stream_usage=True)
    assert str(refused.value) == "messages must not be empty."


def test_structured_output_marker_is_never_sent() -> None:
    body = _build({"ls_structured_output_format": {"schema": {}}})
    assert "ls_structured_output_format" not in body


# ============================================================================
# Reasoning sent back with assistant turns (``_reasoning``, ``reasoning_in_history``).
# Through the real client: each test sends a conversation and reads the body
# that went over the (mock) wire.
# ============================================================================

PLAN = "The user wants the weather; I will call get_weather."
CALL = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}


def _sent_assistant(llm: ChatSambaNova, server: Any, turn: AIMessage) -> dict:
    """Send [user, turn, tool result] and return the assistant dict sent."""
    history: list[Any] = [HumanMessage("Weather in Paris?"), turn]
    if turn.tool_calls:
        history.append(ToolMessage("sunny", tool_call_id="call_1"))
    else:
        history.append(HumanMessage("thanks"))
    llm.invoke(history)
    return server.bodies[-1]["messages"][1]


def _tool_turn(**kwargs: Any) -> AIMessage:
    return AIMessage(content="", tool_calls=[CALL], **kwargs)


@pytest.mark.parametrize(
    "turn",
    [
        _tool_turn(additional_kwargs={"reasoning_content": PLAN}),
        _tool_turn(additional_kwargs={"reasoning": PLAN}),
        AIMessage(
            content=[
                {"type": "reasoning", "reasoning": PLAN},
                {"type": "tool_call", **CALL},
            ],
            tool_calls=[CALL],
        ),
    ],
    ids=["reasoning_content", "reasoning-kwarg", "v1-block"],
)
def test_tool_call_turn_sends_its_reasoning_back(turn: AIMessage) -> None:
    llm, server = make_model()
    sent = _sent_assistant(llm, server, turn)
    assert sent["reasoning"] == PLAN
    assert sent["tool_calls"][0]["id"] == "call_1"
    assert PLAN not in (sent["content"] or "")


def test_answer_turn_keeps_its_reasoning_by_default() -> None:
    llm, server = make_model()
    turn = AIMessage(content="Sunny.", additional_kwargs={"reasoning_content": PLAN})
    sent = _sent_assistant(llm, server, turn)
    assert "reasoning" not in sent
    assert sent["content"] == "Sunny."


@pytest.mark.parametrize(
    ("policy", "tool_turn", "answer_turn"),
    [("always", True, True), ("never", False, False), ("auto", True, False)],
)
def test_policy(policy: str, tool_turn: bool, answer_turn: bool) -> None:
    llm, server = make_model(reasoning_in_history=policy)
    kwargs = {"reasoning_content": PLAN}
    sent_tool = _sent_assistant(llm, server, _tool_turn(additional_kwargs=kwargs))
    answer = AIMessage(content="Sunny.", additional_kwargs=kwargs)
    sent_answer = _sent_assistant(llm, server, answer)
    assert ("reasoning" in sent_tool) is tool_turn
    assert ("reasoning" in sent_answer) is answer_turn
    assert "reasoning_in_history" not in server.bodies[-1]


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValidationError, match="reasoning_in_history"):
        ChatSambaNova(base_url="http://x/v1", reasoning_in_history="sometimes")
    llm, server = make_model()
    with pytest.raises(ValueError, match="reasoning_in_history must be one of"):
        llm.invoke("hi", reasoning_in_history="sometimes")
    assert server.calls == 0


def test_policy_per_call_is_not_a_body_field() -> None:
    llm, server = make_model()
    turn = _tool_turn(additional_kwargs={"reasoning_content": PLAN})
    history = [
        HumanMessage("Weather?"),
        turn,
        ToolMessage("sunny", tool_call_id="call_1"),
    ]
    llm.invoke(history, reasoning_in_history="never")
    llm.bind(reasoning_in_history="never").invoke(history)
    llm.invoke(history)
    never, bound, default = server.bodies
    assert "reasoning" not in never["messages"][1]
    assert "reasoning" not in bound["messages"][1]
    assert default["messages"][1]["reasoning"] == PLAN
    assert "reasoning_in_history" not in never and "reasoning_in_history" not in bound


@pytest.mark.parametrize("policy", ["auto", "always", "never"])
def test_think_text_never_goes_back_into_content(policy: str) -> None:
    llm, server = make_model(reasoning_in_history=policy)
    turn = AIMessage(
        content="<think>\nplan it\n</think>\n\nCalling.", tool_calls=[CALL]
    )
    sent = _sent_assistant(llm, server, turn)
    assert sent["content"] == "Calling."
    assert sent.get("reasoning") == (None if policy == "never" else "plan it")


def test_reasoning_survives_an_invoke_round_trip() -> None:
    reply = completion(
        None,
        model="gpt-oss-120b",
        finish_reason="tool_calls",
        message={"reasoning": PLAN},
        tool_calls=[
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    )
    llm, server = make_model(json_reply(reply), json_reply(completion("Sunny.")))
    first = llm.invoke("Weather in Paris?")
    llm.invoke(
        [
            HumanMessage("Weather in Paris?"),
            first,
            ToolMessage("sunny", tool_call_id="call_1"),
        ]
    )
    assert server.bodies[1]["messages"][1]["reasoning"] == PLAN


def test_reasoning_survives_a_stream_round_trip() -> None:
    model = "gpt-oss-120b"
    events = [
        chunk(
            {
                "role": "assistant",
                "reasoning": "The user wants ",
                "channel": "analysis",
            },
            model=model,
        ),
        chunk({"reasoning": "the weather."}, model=model),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            },
            model=model,
        ),
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "function": {"arguments": '{"city": "Paris"}'}}
                ]
            },
            model=model,
        ),
        chunk({"content": ""}, finish_reason="tool_calls", model=model),
        usage_chunk(model=model),
    ]
    llm, server = make_model(sse_reply(events), json_reply(completion("Sunny.")))
    aggregate: AIMessageChunk | None = None
    for piece in llm.stream("Weather in Paris?"):
        aggregate = piece if aggregate is None else aggregate + piece
    assert aggregate is not None and aggregate.tool_calls
    llm.invoke(
        [
            HumanMessage("Weather in Paris?"),
            aggregate,
            ToolMessage("sunny", tool_call_id="call_1"),
        ]
    )
    sent = server.bodies[1]["messages"][1]
    assert sent["reasoning"] == "The user wants the weather."
    assert sent["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'


@pytest.mark.parametrize(
    "turn",
    [
        AIMessage(content="", invalid_tool_calls=[{**CALL, "args": "{", "error": "x"}]),
        AIMessage(
            content="",
            additional_kwargs={
                # Without arguments langchain-core leaves it unparsed.
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "f"}}
                ]
            },
        ),
    ],
    ids=["invalid tool call", "raw tool call in additional_kwargs only"],
)
def test_any_kind_of_tool_call_turn_sends_its_reasoning_back(turn: AIMessage) -> None:
    turn.additional_kwargs["reasoning_content"] = PLAN
    llm, server = make_model()
    llm.invoke(
        [
            HumanMessage("Weather in Paris?"),
            turn,
            ToolMessage("sunny", tool_call_id="call_1"),
        ]
    )
    assert server.body["messages"][1]["reasoning"] == PLAN


@pytest.mark.parametrize(
    ("content", "additional_kwargs", "expected"),
    [
        (
            [
                {"type": "reasoning", "reasoning": "The user wants "},
                "Calling.",
                {"type": "reasoning"},
                {"type": "reasoning", "reasoning": "the weather."},
            ],
            {},
            "The user wants the weather.",
        ),
        ([{"type": "reasoning"}, "Calling."], {}, None),
        ("", {"reasoning_content": "", "reasoning": PLAN}, PLAN),
        # OpenAI's Responses API keeps a reasoning *object* there: not text.
        ("", {"reasoning": {"id": "rs_1", "summary": []}}, None),
    ],
    ids=[
        "v1 blocks joined, text and empty blocks skipped",
        "only an empty reasoning block",
        "empty reasoning_content falls back to reasoning",
        "a non-text reasoning value is not sent",
    ],
)
def test_which_reasoning_a_turn_sends_back(
    content: Any, additional_kwargs: dict, expected: str | None
) -> None:
    turn = AIMessage(
        content=content, additional_kwargs=additional_kwargs, tool_calls=[CALL]
    )
    llm, server = make_model()
    sent = _sent_assistant(llm, server, turn)
    assert sent.get("reasoning") == expected


def test_a_think_block_after_leading_whitespace_is_taken_out_of_content() -> None:
    llm, server = make_model()
    turn = AIMessage(content="\n <think>plan it</think>\n\nCalling.", tool_calls=[CALL])
    sent = _sent_assistant(llm, server, turn)
    assert sent["content"] == "Calling."
    assert sent["reasoning"] == "plan it"


def test_the_unknown_policy_message_lists_the_policies() -> None:
    llm, _ = make_model()
    message = (
        "reasoning_in_history must be one of ['auto', 'always', 'never'], "
        "got 'sometimes'."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        llm.invoke("hi", reasoning_in_history="sometimes")


def test_tool_result_images_move_to_one_user_turn_after_the_tool_results() -> None:
    """Each tool's images follow a line naming its call, in the order of the calls."""
    png = "iVBORw0KGgo="
    image = {"type": "image", "base64": png, "mime_type": "image/png"}
    calls = [
        {"name": "shot", "args": {}, "id": "c1", "type": "tool_call"},
        {"name": "shot", "args": {}, "id": "c2", "type": "tool_call"},
    ]
    history = [
        HumanMessage("look"),
        AIMessage("", tool_calls=calls),
        ToolMessage(
            [{"type": "text", "text": "Screenshot A"}, image], tool_call_id="c1"
        ),
        ToolMessage([image], tool_call_id="c2"),
    ]
    where = "[The 1 image(s) this tool returned are in the next user message.]"
    url = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}
    assert convert_messages(history, takes_images=True)[2:] == [
        {"role": "tool", "content": f"Screenshot A\n{where}", "tool_call_id": "c1"},
        {"role": "tool", "content": where, "tool_call_id": "c2"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Image(s) returned by tool call c1:"},
                url,
                {"type": "text", "text": "Image(s) returned by tool call c2:"},
                url,
            ],
        },
    ]


def test_each_run_of_tool_results_gets_its_own_image_turn() -> None:
    """Images go right after their own run of tool results, not after the last."""
    model, server = make_model(model=VISION_MODEL)
    where = "[The 1 image(s) this tool returned are in the next user message.]"

    def round_trip(call_id: str) -> list[BaseMessage]:
        call = {"name": "shot", "args": {}, "id": call_id, "type": "tool_call"}
        return [
            AIMessage("", tool_calls=[call]),
            ToolMessage([PNG_BLOCK], tool_call_id=call_id),
        ]

    model.invoke([HumanMessage("look"), *round_trip("c1"), *round_trip("c2")])

    def image_turn(call_id: str) -> dict:
        line = f"Image(s) returned by tool call {call_id}:"
        return {"role": "user", "content": [{"type": "text", "text": line}, IMAGE_PART]}

    assert [(m["role"], m.get("tool_call_id")) for m in server.body["messages"]] == [
        ("user", None),
        ("assistant", None),
        ("tool", "c1"),
        ("user", None),
        ("assistant", None),
        ("tool", "c2"),
        ("user", None),
    ]
    sent = server.body["messages"]
    assert sent[2]["content"] == sent[5]["content"] == where
    assert sent[3] == image_turn("c1")
    assert sent[6] == image_turn("c2")


def test_tool_result_media_per_call_applies_and_never_reaches_the_body() -> None:
    """A client option per call, like reasoning_in_history: applied, not sent."""
    png = "iVBORw0KGgo="
    history = [
        HumanMessage("look"),
        AIMessage(
            "",
            tool_calls=[{"name": "shot", "args": {}, "id": "c1", "type": "tool_call"}],
        ),
        ToolMessage(
            [{"type": "image", "base64": png, "mime_type": "image/png"}],
            tool_call_id="c1",
        ),
    ]
    llm, server = make_model(model="gemma-4-31B-it")
    llm.invoke(history, tool_result_media="drop")
    body = server.bodies[0]
    assert "tool_result_media" not in body
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "tool"]
    with pytest.raises(ValueError, match="tool_result_media must be one of"):
        llm.invoke(history, tool_result_media="keep")
    assert len(server.requests) == 1
