"""LangChain messages to API dicts, and API responses and chunks to messages.

Pure functions, no I/O: ``convert_message_to_dict`` for requests and
``chat_result_from_response`` for non-streaming answers. Streamed chunks are
``_chunks``'s job; it shares the response helpers defined here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
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
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_provider._metrics import raw_usage, timing_from, usage_metadata_from
from langchain_provider._reasoning import reasoning_fields
from langchain_provider.errors import ResponseDecodeError

MODEL_PROVIDER = "sambanova"

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
        elif block.get("type") == "text" and "source_type" not in block:
            parts.append({"type": "text", "text": block.get("text") or ""})
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
    return "\n".join(texts) if len(texts) > 1 else "".join(texts)


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


# ---------------------------------------------------------------------------
# Responses: API dicts -> LangChain messages
# ---------------------------------------------------------------------------

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_THINK_BLOCK = re.compile(r"^\s*<think>(.*?)(?:</think>|$)", re.DOTALL)


def split_think_tags(content: str) -> tuple[str | None, str]:
    """Split DeepSeek-R1's leading ``<think>...</think>`` reasoning from the answer.

    Args:
        content: The message content as the server sent it.

    Returns:
        ``(reasoning, answer)``; reasoning is ``None`` when there is no block.
    """
    match = _THINK_BLOCK.match(content)
    if match is None:
        return None, content
    return match.group(1).strip(), content[match.end() :].lstrip()


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as the JSON text LangChain expects."""
    # Older servers sent arguments as a JSON object rather than a string; the
    # service also sends null for tools called without arguments.
    if arguments is None:
        return ""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def _parse_tool_calls(
    raw_calls: Sequence[Mapping[str, Any]],
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    tool_calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        function = raw.get("function") or {}
        name = function.get("name")
        arguments = arguments_text(function.get("arguments"))
        try:
            args = json.loads(arguments) if arguments.strip() else {}
            problem = None if isinstance(args, dict) else "must be a JSON object"
        except json.JSONDecodeError as exc:
            problem = f"are not valid JSON: {exc}"
        if problem is None:
            tool_calls.append(tool_call(name=name or "", args=args, id=raw.get("id")))
        else:
            invalid.append(
                invalid_tool_call(
                    name=name,
                    args=arguments,
                    id=raw.get("id"),
                    error=f"Arguments {problem}.",
                )
            )
    return tool_calls, invalid


def response_metadata(body: Mapping[str, Any], finish_reason: Any) -> dict[str, Any]:
    """The response metadata a body or chunk carries (model, finish, fingerprint)."""
    metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
    if finish_reason is not None:
        metadata["finish_reason"] = finish_reason
    # Report the model the response names, not the constructor's: a per-call
    # `model=` override must show up here.
    if body.get("model") is not None:
        metadata["model_name"] = body["model"]
    if body.get("system_fingerprint") is not None:
        metadata["system_fingerprint"] = body["system_fingerprint"]
    return metadata


def usage_fields(body: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Return ``(usage_metadata, metadata)`` for a body or chunk with usage."""
    usage = raw_usage(body)
    if usage is None:
        return None, {}
    metadata: dict[str, Any] = {"token_usage": usage}
    timing = timing_from(usage)
    if timing:
        metadata["timing"] = timing
    return usage_metadata_from(usage), metadata


def chat_result_from_response(body: Mapping[str, Any]) -> ChatResult:
    """Convert a non-streaming response body to a ``ChatResult``.

    Args:
        body: The decoded ``chat.completion`` body.

    Returns:
        One generation per choice; each ``AIMessage`` carries the response id,
        tool calls, reasoning, usage metadata and response metadata (model,
        finish reason, fingerprint, raw token usage, timing).
    """
    usage_metadata, usage_meta = usage_fields(body)
    generations = []
    for choice in body.get("choices") or []:
        raw = choice.get("message") or {}
        content = raw.get("content") or ""
        additional_kwargs: dict[str, Any] = {}
        reasoning = raw.get("reasoning") or raw.get("reasoning_content")
        if not reasoning and isinstance(content, str):
            reasoning, content = split_think_tags(content)
        if reasoning:
            additional_kwargs["reasoning_content"] = reasoning
        tool_calls, invalid_tool_calls = _parse_tool_calls(raw.get("tool_calls") or [])
        finish_reason = choice.get("finish_reason")
        message = AIMessage(
            content=content,
            id=body.get("id"),
            additional_kwargs=additional_kwargs,
            tool_calls=tool_calls,
            invalid_tool_calls=invalid_tool_calls,
            usage_metadata=usage_metadata,
            response_metadata={**response_metadata(body, finish_reason), **usage_meta},
        )
        generation_info = {"finish_reason": finish_reason}
        if choice.get("logprobs") is not None:
            generation_info["logprobs"] = choice["logprobs"]
        generations.append(
            ChatGeneration(message=message, generation_info=generation_info)
        )
    # Only what the server reported: LangChain copies llm_output into the
    # message's response_metadata, where a None the stream lacks would differ.
    if not generations:
        raise ResponseDecodeError(
            "The response has no choices: the server returned no answer."
        )
    llm_output = {
        key: value
        for key, value in (
            ("token_usage", usage_meta.get("token_usage")),
            ("model_name", body.get("model")),
            ("system_fingerprint", body.get("system_fingerprint")),
        )
        if value is not None
    }
    return ChatResult(generations=generations, llm_output=llm_output)
