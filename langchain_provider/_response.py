"""Non-streaming responses to a ``ChatResult``, one generation per choice.

Pure functions, no I/O. The parts a choice is made of (reasoning, tool calls,
finish reason, log probabilities) come from the same helpers the stream
assembler (``_chunks``) uses, so that a stream's aggregate equals the message
``invoke`` returns for the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_provider import _shapes
from langchain_provider._metrics import raw_usage, timing_from, usage_metadata_from
from langchain_provider._think import split_think_tags
from langchain_provider._tool_calls import parse_tool_calls
from langchain_provider.errors import ResponseDecodeError

MODEL_PROVIDER = "sambanova"
# The wire fields that name what answered, and their response_metadata keys.
IDENTITY_FIELDS = (
    ("model", "model_name"),
    ("system_fingerprint", "system_fingerprint"),
)


def identity_metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    """The provider, model and fingerprint a body or chunk names.

    Reports the model the response names, not the constructor's: a per-call
    ``model=`` override must show up here.

    Raises:
        ResponseDecodeError: When ``model`` or ``system_fingerprint`` is not
            a string.
    """
    metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
    for wire_name, key in IDENTITY_FIELDS:
        value = _shapes.optional_text(body.get(wire_name), wire_name)
        if value is not None:
            metadata[key] = value
    return metadata


def usage_fields(body: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Return ``(usage_metadata, metadata)`` for a body or chunk with usage.

    ``metadata`` holds the raw usage (``token_usage``) and the timing the
    server reported; both are empty when the body reports no usage.
    """
    usage = raw_usage(body)
    if usage is None:
        return None, {}
    metadata: dict[str, Any] = {"token_usage": usage}
    timing = timing_from(usage)
    if timing:
        metadata["timing"] = timing
    return usage_metadata_from(usage), metadata


def reasoning_of(source: Mapping[str, Any], what: str) -> str:
    """The reasoning a message or delta carries in its own field.

    gpt-oss sends ``reasoning``; other OpenAI-compatible servers
    ``reasoning_content``; the first non-empty one counts.
    """
    return _shapes.text(source.get("reasoning"), f"{what}.reasoning") or _shapes.text(
        source.get("reasoning_content"), f"{what}.reasoning_content"
    )


def logprobs_of(choice: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A choice's log probabilities (``{"content": [{"token", "logprob", ...}]}``)."""
    logprobs = choice.get("logprobs")
    if logprobs is None:
        return None
    return _shapes.mapping(logprobs, "choices[].logprobs")


def _ordered_choices(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    choices = _shapes.items(body.get("choices"), "choices")
    if not choices:
        raise ResponseDecodeError(
            "The response has no choices: the server returned no answer."
        )
    # With n > 1, generation i is choice i whatever order the server used.
    keys = []
    for position, choice in enumerate(choices):
        index = _shapes.index(choice.get("index"), "choices[].index")
        keys.append((position if index is None else index, position))
    order = sorted(range(len(choices)), key=keys.__getitem__)
    return [choices[i] for i in order]


def _generation(
    choice: Mapping[str, Any], body: Mapping[str, Any], usage: tuple[Any, dict]
) -> ChatGeneration:
    raw = _shapes.mapping(choice.get("message"), "choices[].message")
    content = _shapes.text(raw.get("content"), "message.content")
    reasoning: str | None = reasoning_of(raw, "message")
    if not reasoning:
        reasoning, content = split_think_tags(content)
    tool_calls, invalid_tool_calls = parse_tool_calls(raw.get("tool_calls"))
    finish_reason = _shapes.optional_text(
        choice.get("finish_reason"), "choices[].finish_reason"
    )
    metadata = identity_metadata(body)
    generation_info: dict[str, Any] = {"finish_reason": finish_reason}
    if finish_reason is not None:
        metadata["finish_reason"] = finish_reason
    logprobs = logprobs_of(choice)
    if logprobs is not None:
        metadata["logprobs"] = generation_info["logprobs"] = logprobs
    usage_metadata, usage_metadata_fields = usage
    message = AIMessage(
        content=content,
        id=_shapes.optional_text(body.get("id"), "id"),
        additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
        tool_calls=tool_calls,
        invalid_tool_calls=invalid_tool_calls,
        usage_metadata=usage_metadata,
        response_metadata={**metadata, **usage_metadata_fields},
    )
    return ChatGeneration(message=message, generation_info=generation_info)


def chat_result_from_response(body: Mapping[str, Any]) -> ChatResult:
    """Convert a non-streaming response body to a ``ChatResult``.

    Args:
        body: The decoded ``chat.completion`` body.

    Returns:
        One generation per choice, in ``index`` order (``n > 1`` gives
        several); each ``AIMessage`` carries the response id, tool calls,
        reasoning, usage metadata and response metadata (model, finish
        reason, fingerprint, log probabilities, raw token usage, timing). The
        usage is the whole request's, so with ``n > 1`` each message carries
        the same figures.

    Raises:
        ResponseDecodeError: For a body without choices or whose fields have
            shapes the API does not promise.
    """
    usage = usage_fields(body)
    generations = [
        _generation(choice, body, usage) for choice in _ordered_choices(body)
    ]
    # Only what the server reported: LangChain copies llm_output into the
    # message's response_metadata, where a None the stream lacks would differ.
    llm_output = {
        key: value
        for key, value in (
            ("token_usage", usage[1].get("token_usage")),
            ("model_name", body.get("model")),
            ("system_fingerprint", body.get("system_fingerprint")),
        )
        if value is not None
    }
    return ChatResult(generations=generations, llm_output=llm_output)
