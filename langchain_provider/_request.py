"""LangChain -> API: the JSON body of one request, built and checked.

Pure functions, no I/O, so every check on input runs before anything is
sent: ``build_request_body`` assembles the body from the model's defaults,
the converted messages (``convert_messages``), the tools (checked by
``_tools``) and per-call fields.

Tool results with media: the service takes images only in user messages and
no files at all, so ``tool_result_media`` decides: ``"move"`` sends a tool
result's images in a user turn right after the tool results (on models that
take images), ``"drop"`` leaves a short note in their place, ``"refuse"``
raises. The caller's messages are never modified.

Reasoning sent back: a reasoning model that called a tool must see its own
chain of thought again when the tool's result comes back; the service takes
it in the assistant message's ``reasoning`` field. Which assistant turns
carry it is the ``reasoning_in_history`` policy (``"auto"``: turns that made
tool calls; ``"always"``; ``"never"``). It is read from
``additional_kwargs["reasoning_content"]``, an ``additional_kwargs["reasoning"]``
string, or v1 ``reasoning`` blocks; a ``<think>`` block is never sent back in
``content``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, get_args

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolMessage,
    is_data_content_block,
)
from langchain_core.messages.block_translators.openai import (
    convert_to_openai_data_block,
)

from langchain_provider._params import check_parameters, check_request, normalize_stop
from langchain_provider._response import split_think_tags
from langchain_provider._tools import normalize_request_tools

logger = logging.getLogger(__name__)

# -- reasoning sent back -------------------------------------------------------

ReasoningInHistory = Literal["auto", "always", "never"]
"""Which assistant turns send their reasoning back (see the module docstring)."""

_POLICIES: tuple[str, ...] = get_args(ReasoningInHistory)


def checked_policy(value: Any) -> str:
    """Return ``value`` if it is a ``reasoning_in_history`` policy.

    Args:
        value: The policy given (e.g. per call).

    Raises:
        ValueError: For anything but ``"auto"``, ``"always"`` or ``"never"``.
    """
    if value not in _POLICIES:
        raise ValueError(
            f"reasoning_in_history must be one of {list(_POLICIES)}, got {value!r}."
        )
    return str(value)


def reasoning_text(message: AIMessage) -> str | None:
    """Return the reasoning an assistant message carries, or ``None``.

    Args:
        message: An assistant message, as returned (any output version) or
            built by hand.
    """
    for key in ("reasoning_content", "reasoning"):
        value = message.additional_kwargs.get(key)
        if isinstance(value, str) and value:
            return value
    if isinstance(message.content, list):
        texts = [
            str(block.get("reasoning") or "")
            for block in message.content
            if isinstance(block, Mapping) and block.get("type") == "reasoning"
        ]
        joined = "".join(texts)
        return joined or None
    return None


def _made_tool_calls(message: AIMessage) -> bool:
    return bool(
        message.tool_calls
        or message.invalid_tool_calls
        or message.additional_kwargs.get("tool_calls")
    )


def reasoning_fields(message: AIMessage, content: Any, policy: str) -> dict[str, Any]:
    """Return the fields to update an assistant message's API dict with.

    Args:
        message: The assistant message.
        content: Its content as already converted for the API.
        policy: ``"auto"``, ``"always"`` or ``"never"``.

    Returns:
        ``{"content": ...}`` when a ``<think>`` block had to be taken out of
        the content, and ``{"reasoning": ...}`` when the policy sends the
        turn's reasoning back; empty when there is nothing to change.
    """
    fields: dict[str, Any] = {}
    think = None
    if isinstance(content, str) and content.lstrip().startswith("<think>"):
        think, fields["content"] = split_think_tags(content)
    if policy == "never" or (policy == "auto" and not _made_tool_calls(message)):
        return fields
    reasoning = reasoning_text(message) or think
    if reasoning:
        fields["reasoning"] = reasoning
    return fields


# -- messages ------------------------------------------------------------------

_ROLES = frozenset({"system", "user", "assistant", "tool"})
_MESSAGE_ROLES: dict[type[BaseMessage], str] = {
    SystemMessage: "system",
    HumanMessage: "user",
    AIMessage: "assistant",
    ToolMessage: "tool",
}

# ---------------------------------------------------------------------------
# Requests: LangChain messages -> API dicts
# ---------------------------------------------------------------------------


def _image_part(block: Mapping[str, Any]) -> dict[str, Any]:
    """Convert one image block (standard or OpenAI-style) to an API image part."""
    if block.get("type") == "image_url":
        image_url = block.get("image_url")
        url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
        part: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    elif block.get("type") == "image":
        part = convert_to_openai_data_block(dict(block))
    else:
        raise ValueError(
            f"Unsupported content block type {block.get('type')!r}: the SambaNova "
            "API accepts text and images only."
        )
    url = part["image_url"]["url"]
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ValueError(
            "Image URLs are not supported: the SambaNova API accepts only base64 "
            "data URLs (data:<mime>;base64,...). Download the image and pass it as "
            f"a base64 block instead of {str(url)[:80]!r}."
        )
    return part


def _block_text(block: Mapping[str, Any]) -> str:
    text = block.get("text")
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ValueError(
            "A text content block's 'text' must be a string, got "
            f"{type(text).__name__}: {str(text)[:80]!r}."
        )
    return text


def _document_text(block: Any) -> str | None:
    """The text a ``text-plain`` block (a plain-text document) carries inline.

    The API has no documents, but a plain-text one is just text: its
    ``text``, or its ``base64`` data read as UTF-8. ``None`` for any other
    block, and for a document given only by reference (``url``,
    ``file_id``): there is no text to send.

    Raises:
        ValueError: When the text is not a string, or the base64 data is not
            UTF-8 text in base64.
    """
    if not isinstance(block, Mapping) or block.get("type") != "text-plain":
        return None
    if block.get("text") is not None:
        return _block_text(block)
    data = block.get("base64")
    if data is None:
        return None
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(
            "A text-plain block's 'base64' must be UTF-8 text encoded in base64 "
            f"({error})."
        ) from None


def _content_to_api(
    content: str | list[Any], *, allow_images: bool
) -> str | list[dict[str, Any]]:
    """Convert message content; text-only content becomes a plain string.

    Some models reject list content outright ("Expected one of: ['str'], got
    list"), so lists are sent only when they really carry an image.
    """
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif not isinstance(block, Mapping):
            raise ValueError(f"Unsupported content block {block!r}.")
        elif block.get("type") == "text":
            parts.append({"type": "text", "text": _block_text(block)})
        elif (text := _document_text(block)) is not None:
            parts.append({"type": "text", "text": text})
        elif block.get("type") in ("image", "image_url") or is_data_content_block(
            dict(block)
        ):
            if not allow_images:
                raise ValueError(
                    "Only user messages may carry images in the SambaNova API."
                )
            parts.append(_image_part(block))
        elif not allow_images:
            # Assistant turns replayed from other providers may hold reasoning
            # or tool-use blocks; the API takes only their text.
            continue
        else:
            raise ValueError(
                f"Unsupported content block type {block.get('type')!r}: the "
                "SambaNova API accepts text and images only."
            )
    if all(part["type"] == "text" for part in parts):
        return _join_texts([part["text"] for part in parts])
    return parts


def _join_texts(texts: list[str]) -> str:
    """Join text blocks so that no two words are glued together.

    Separate blocks are separate pieces of text ("Summarize:" and the text to
    summarize): they are joined with a newline, unless one side already has
    whitespace there (blocks split mid-sentence, "Hello " + "world").
    """
    joined = ""
    for text in texts:
        if joined and text and not (joined[-1].isspace() or text[0].isspace()):
            joined += "\n"
        joined += text
    return joined


def _tool_call_to_api(tool_call: ToolCall) -> dict[str, Any]:
    return {
        "id": tool_call["id"],
        "type": "function",
        "function": {
            "name": tool_call["name"],
            "arguments": json.dumps(tool_call["args"], ensure_ascii=False),
        },
    }


def _invalid_tool_call_to_api(tool_call: InvalidToolCall) -> dict[str, Any]:
    return {
        "id": tool_call.get("id"),
        "type": "function",
        "function": {
            "name": tool_call.get("name"),
            "arguments": tool_call.get("args") or "",
        },
    }


ToolResultMedia = Literal["move", "drop", "refuse"]
"""What happens to images and files a tool returns (see ``ChatSambaNova``)."""

TOOL_RESULT_MEDIA: tuple[str, ...] = get_args(ToolResultMedia)

_MEDIA_TYPES = frozenset({"image", "image_url", "file", "audio", "video"})
_MEDIA_LABELS = {
    "file": "A file",
    "audio": "An audio clip",
    "video": "A video",
    "text-plain": "A text document",
}


def _is_media(block: Any) -> bool:
    return isinstance(block, Mapping) and (
        block.get("type") in _MEDIA_TYPES or is_data_content_block(dict(block))
    )


def _media_kind(block: Mapping[str, Any]) -> str:
    kind = str(block.get("type"))
    return "image" if kind == "image_url" else kind


def _tool_result_to_api(
    content: str | list[Any], *, policy: str, takes_images: bool | None
) -> tuple[str, list[dict[str, Any]], list[str]]:
    """A tool result as the API takes it: text only.

    The service reads images only from user messages and has no file, audio
    or video parts at all. Images go, by ``policy`` (see `ToolResultMedia`),
    to a user turn after the tool results (``"move"``, unless the model is
    known to take no images); what cannot go is replaced by a short note.

    Returns:
        ``(text, image parts moved out, descriptions of what was left out)``.

    Raises:
        ValueError: With ``policy="refuse"``, for any image or file.
    """
    if isinstance(content, str):
        return content, [], []
    texts: list[str] = []
    moved: list[dict[str, Any]] = []
    left_out: list[str] = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, Mapping) and block.get("type") == "text":
            texts.append(str(block.get("text") or ""))
        elif (text := _document_text(block)) is not None:
            texts.append(text)
        elif _is_media(block):
            kind = _media_kind(block)
            if policy == "refuse":
                raise ValueError(
                    f"A tool returned {kind} content, which the SambaNova API "
                    "takes only in user messages (images) or not at all (files, "
                    "audio, video), and tool_result_media='refuse' is set. Use "
                    "'move' (the default) or 'drop' to send the tool's text."
                )
            if kind == "image" and policy == "move" and takes_images is not False:
                try:
                    moved.append(_image_part(block))
                    continue
                except ValueError:
                    left_out.append(
                        "An image in a form the API cannot take (it takes base64 "
                        "data only)"
                    )
            elif kind == "image":
                left_out.append(
                    "An image (the API takes images only in user messages)"
                    if policy == "drop" or takes_images is None
                    else "An image (the model takes no images)"
                )
            else:
                label = _MEDIA_LABELS[kind]  # kind: a data block type, image aside
                mime = block.get("mime_type")
                label += f" ({mime})" if isinstance(mime, str) else ""
                left_out.append(f"{label} (the API takes no files, audio or video)")
        else:
            # Serialized as JSON: the API has no structured tool output.
            texts.append(json.dumps(block, ensure_ascii=False, default=str))
    if moved:
        texts.append(
            f"[The {len(moved)} image(s) this tool returned are in the next "
            "user message.]"
        )
    texts.extend(f"[{what} was left out of this tool result.]" for what in left_out)
    return "\n".join(texts), moved, left_out


def _image_turn(images: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """The user turn that carries the images tool results returned."""
    parts: list[dict[str, Any]] = []
    for tool_call_id, moved in images:
        parts.append(
            {"type": "text", "text": f"Image(s) returned by tool call {tool_call_id}:"}
        )
        parts.extend(moved)
    return {"role": "user", "content": parts}


def _message_role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        if message.role not in _ROLES:
            raise ValueError(
                f"ChatMessage role {message.role!r} is not one the SambaNova API "
                f"accepts; use one of {sorted(_ROLES)}."
            )
        return message.role
    for message_type, role in _MESSAGE_ROLES.items():
        if isinstance(message, message_type):
            return role
    raise ValueError(
        f"Unsupported message type {type(message).__name__}: the SambaNova API "
        "takes system, human, AI, tool and ChatMessage messages."
    )


def convert_message_to_dict(
    message: BaseMessage, reasoning_in_history: str = "auto"
) -> dict[str, Any]:
    """Convert a LangChain message to the API's message dict.

    Args:
        message: A system, human, AI, tool or ``ChatMessage``.
        reasoning_in_history: Which assistant turns send their reasoning back
            (``"auto"``, ``"always"``, ``"never"``; see "reasoning sent back" above).

    Returns:
        The ``messages`` entry for the request body.

    Raises:
        ValueError: For an unsupported message type or role, a non-image
            multimodal block, or an image given by http(s) URL.
    """
    role = _message_role(message)
    result: dict[str, Any] = {"role": role}
    if role == "tool":
        # Alone, a tool message cannot place its images anywhere else: they
        # are left out with a note (`convert_messages` moves them).
        result["content"] = _tool_result_to_api(
            message.content, policy="drop", takes_images=None
        )[0]
        tool_call_id = getattr(
            message, "tool_call_id", None
        ) or message.additional_kwargs.get("tool_call_id")
        if not tool_call_id:
            raise ValueError("A tool message needs the tool_call_id it answers.")
        result["tool_call_id"] = tool_call_id
        return result
    result["content"] = _content_to_api(message.content, allow_images=role == "user")
    if message.name:
        result["name"] = message.name
    if isinstance(message, AIMessage):
        tool_calls = [_tool_call_to_api(call) for call in message.tool_calls]
        tool_calls += [_invalid_tool_call_to_api(c) for c in message.invalid_tool_calls]
        if not tool_calls and message.additional_kwargs.get("tool_calls"):
            tool_calls = list(message.additional_kwargs["tool_calls"])
        if tool_calls:
            result["tool_calls"] = tool_calls
        result.update(
            reasoning_fields(message, result["content"], reasoning_in_history)
        )
    return result


def convert_messages(
    messages: Sequence[BaseMessage],
    reasoning_in_history: str = "auto",
    *,
    tool_result_media: str = "move",
    takes_images: bool | None = None,
    on_left_out: Callable[[list[str]], None] | None = None,
) -> list[dict[str, Any]]:
    """Convert a conversation to the API's ``messages``.

    Like `convert_message_to_dict` for each message, except that images in
    tool results, which the service takes only in user messages, go to a
    user turn placed right after the run of tool results (their tool
    messages keep their text and say where the images went). The messages
    given are never modified.

    Args:
        messages: The conversation.
        reasoning_in_history: Which assistant turns send their reasoning back.
        tool_result_media: ``"move"``, ``"drop"`` or ``"refuse"`` (see
            `ToolResultMedia`).
        takes_images: Whether the model takes images (its profile's
            ``image_inputs``); ``None`` when unknown, and then images are moved
            and the service decides.
        on_left_out: Called with what was left out of the tool results, if
            anything (e.g. to warn).

    Raises:
        ValueError: As `convert_message_to_dict`; with ``"refuse"``, for a
            tool result holding an image or a file.
    """
    if tool_result_media not in TOOL_RESULT_MEDIA:
        raise ValueError(
            f"tool_result_media must be one of {list(TOOL_RESULT_MEDIA)}, got "
            f"{tool_result_media!r}."
        )
    converted: list[dict[str, Any]] = []
    pending: list[tuple[str, list[dict[str, Any]]]] = []
    left_out: list[str] = []
    for message in messages:
        if _message_role(message) != "tool":
            if pending:
                converted.append(_image_turn(pending))
                pending = []
            converted.append(convert_message_to_dict(message, reasoning_in_history))
            continue
        result = convert_message_to_dict(message.model_copy(update={"content": ""}))
        text, moved, dropped = _tool_result_to_api(
            message.content, policy=tool_result_media, takes_images=takes_images
        )
        result["content"] = text
        converted.append(result)
        if moved:
            pending.append((result["tool_call_id"], moved))
        left_out.extend(dropped)
    if pending:
        converted.append(_image_turn(pending))
    if left_out and on_left_out is not None:
        on_left_out(left_out)
    return converted


# -- the request body ----------------------------------------------------------

_PER_CALL_RESERVED = frozenset({"messages", "stream_options"})


def build_request_body(
    defaults: Mapping[str, Any],
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    overrides: Mapping[str, Any],
    *,
    stream: bool,
    stream_usage: bool,
    reasoning_in_history: str = "auto",
    tool_result_media: str = "move",
    takes_images: bool | None = None,
    on_left_out: Callable[[list[str]], None] | None = None,
) -> dict[str, Any]:
    """Build the body of one request.

    Args:
        defaults: The model's own body fields (model, what the user set).
        messages: The conversation.
        stop: Stop sequences for this call (override the defaults').
        overrides: Per-call body fields (``tools``, ``tool_choice``,
            ``response_format``, sampling overrides, ``model``, ...);
            ``None`` means "not set".
        stream: Whether the request streams.
        stream_usage: Whether a stream asks for usage in its last chunk.
        reasoning_in_history: Which assistant turns send their reasoning
            back (see "reasoning sent back" above).
        tool_result_media: What happens to images and files tools returned
            (see `convert_messages`).
        takes_images: Whether the model takes images, if known.
        on_left_out: Called with what was left out of tool results.

    Returns:
        The request body.

    Raises:
        ValueError: For any input the API would reject.
    """
    if not messages:
        raise ValueError("messages must not be empty.")
    # A per-call None means "not set": never send JSON null over a default.
    fields = {
        name: value
        for name, value in overrides.items()
        if value is not None and name != "ls_structured_output_format"
    }
    owned = sorted(_PER_CALL_RESERVED & fields.keys())
    if owned:
        raise ValueError(
            f"{owned} cannot be passed per call: the request builder sets them "
            "(use stream_usage= for stream options)."
        )
    body = {**defaults, **fields}
    if stop is not None:
        body["stop"] = stop
    # One check of the merged body covers fields, model_kwargs and per-call
    # values alike (and assignments made after construction).
    check_parameters(body)
    if "stop" in body:
        normalized = normalize_stop(body.pop("stop"))
        if normalized:
            body["stop"] = normalized
    normalize_request_tools(body)
    check_request(body, stream=stream)
    body["messages"] = convert_messages(
        messages,
        reasoning_in_history,
        tool_result_media=tool_result_media,
        takes_images=takes_images,
        on_left_out=on_left_out,
    )
    if stream:
        body["stream"] = True
        if stream_usage:
            body["stream_options"] = {"include_usage": True}
    return body


def left_out_warner(model: str, warned: set[str]) -> Callable[[list[str]], None]:
    """A callback that logs, once per model instance, media left out of tool results.

    Args:
        model: The model the request is for, named in the warning.
        warned: What this instance already warned about (updated in place).
    """

    def warn(left_out: list[str]) -> None:
        new = sorted(set(left_out) - warned)
        if new:
            warned.update(new)
            logger.warning(
                "%s: left out of the tool results sent (the service takes "
                "images only in user messages, and no files): %s. Set "
                "tool_result_media='refuse' to raise instead.",
                model,
                "; ".join(new),
            )

    return warn
