"""LangChain messages to the API's message dicts, for requests.

Pure functions, no I/O: ``convert_message_to_dict`` checks and converts one
message. The other direction lives in ``_response`` (non-streaming bodies)
and ``_chunks`` (stream chunks).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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

from langchain_provider._reasoning import reasoning_fields

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
        return "".join(part["text"] for part in parts)
    return parts


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


def _tool_content_to_text(content: str | list[Any]) -> str:
    """Tool results go out as strings; the API has no structured tool output."""
    if isinstance(content, str):
        return content
    texts = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, Mapping) and block.get("type") == "text":
            texts.append(str(block.get("text") or ""))
        elif isinstance(block, Mapping) and (
            block.get("type") in ("image", "image_url", "file", "audio", "video")
            or is_data_content_block(dict(block))
        ):
            # Serialized, a screenshot would put megabytes of base64 text into
            # the prompt: refuse it clearly instead.
            raise ValueError(
                "Tool results must be text: the SambaNova API takes no images or "
                "files in tool messages. Return a description, or send the image "
                "in a user message."
            )
        else:
            texts.append(json.dumps(block, ensure_ascii=False, default=str))
    return "\n".join(texts)


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
            (``"auto"``, ``"always"``, ``"never"``; see ``_reasoning``).

    Returns:
        The ``messages`` entry for the request body.

    Raises:
        ValueError: For an unsupported message type or role, a non-image
            multimodal block, or an image given by http(s) URL.
    """
    role = _message_role(message)
    result: dict[str, Any] = {"role": role}
    if role == "tool":
        result["content"] = _tool_content_to_text(message.content)
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
