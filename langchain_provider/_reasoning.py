"""Reasoning sent back with assistant turns (gpt-oss ``reasoning``).

A reasoning model that called a tool must see its own chain of thought again
when the tool's result comes back, or multi-step agents degrade: the service
takes it in the assistant message's ``reasoning`` field. Which assistant
turns carry it is the ``reasoning_in_history`` policy:

- ``"auto"`` (default): turns that made tool calls, the turns whose reasoning
  the model is still acting on; a finished answer's reasoning is not resent;
- ``"always"``: every assistant turn that has reasoning;
- ``"never"``: none.

Reasoning is read from ``additional_kwargs["reasoning_content"]`` (where
``ChatSambaNova`` puts it, streamed or not), an ``additional_kwargs["reasoning"]``
string, or v1 ``reasoning`` content blocks. A DeepSeek-style ``<think>``
block is never sent back in ``content``: one found there is moved out and
treated as the turn's reasoning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from langchain_core.messages import AIMessage

from langchain_provider._think import split_think_tags

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
