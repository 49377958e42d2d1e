"""The emulator's tokenizer: a regex, so counts are cheap and reproducible.

A token is a run of word characters or a single other symbol, with the
whitespace before it attached; trailing whitespace is a token of its own. The
tokens of a text concatenate back to exactly that text, which is what lets
streamed pieces add up to the non-streamed reply.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")

MESSAGE_OVERHEAD = 4
"""Tokens a chat template adds around each message (role markers and the like)."""


def tokenize(text: str) -> list[str]:
    """Split text into tokens that concatenate back to it.

    Args:
        text: Any text.
    """
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """Return the number of tokens in a text.

    Args:
        text: Any text.
    """
    return len(_TOKEN.findall(text))


def count_prompt_tokens(
    messages: list[dict[str, Any]], tools: list[Any] | None = None
) -> int:
    """Return the emulated prompt size of a conversation.

    Each message costs its text tokens plus `MESSAGE_OVERHEAD`; images cost a
    flat 64 tokens; echoed tool calls and bound tools cost the tokens of their
    JSON; reasoning sent back in an assistant turn costs its tokens.

    Args:
        messages: The request's messages (already validated).
        tools: The request's tools, if any.
    """
    total = 0
    for message in messages:
        total += MESSAGE_OVERHEAD
        content = message.get("content")
        if isinstance(content, str):
            total += count_tokens(content)
        elif isinstance(content, list):
            for part in content:
                if part.get("type") == "text":
                    total += count_tokens(part.get("text") or "")
                else:
                    total += 64
        if message.get("tool_calls"):
            total += count_tokens(json.dumps(message["tool_calls"]))
        total += _reasoning_tokens(message)
    if tools:
        total += count_tokens(json.dumps(tools))
    return total


def _reasoning_tokens(message: dict[str, Any]) -> int:
    """Tokens of the reasoning an assistant turn sends back (gpt-oss style)."""
    reasoning = message.get("reasoning")
    return count_tokens(reasoning) if isinstance(reasoning, str) else 0
