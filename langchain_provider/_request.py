"""The JSON body of one chat completion request, built and checked.

A pure function, tested directly: every check on input runs here, so a bad
value fails before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_provider._messages import convert_message_to_dict
from langchain_provider._params import (
    check_parameters,
    check_request,
    normalize_stop,
)
from langchain_provider._tools import normalize_request_tools

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
            back (see ``_reasoning``).

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
    body["messages"] = [
        convert_message_to_dict(m, reasoning_in_history) for m in messages
    ]
    if stream:
        body["stream"] = True
        if stream_usage:
            body["stream_options"] = {"include_usage": True}
    return body
