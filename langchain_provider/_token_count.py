"""Offline prompt-size estimates: no tokenizer download, no extra dependency.

SambaNova serves models whose tokenizers differ (Llama 3/4, gpt-oss's
o200k-style, DeepSeek, Qwen, ...), and shipping any of them would add a heavy
dependency and a network fetch. The estimate here is a word-piece heuristic
plus what each model family's chat template adds; it is built on the same
message conversion as a request, so it counts exactly what is sent: text,
images, echoed tool calls, reasoning sent back, and bound tools.

How close it is (measured; see ``docs/agents.md``, "Token counting, offline"): it
matches the service's ``usage.prompt_tokens`` on the three live prompts whose
counts are known (they calibrated the template overheads), and the
emulator's counts to 3.7% on average, 19% at worst, over varied conversations
with tools. It is an estimate: keep a margin (10%) where a hard limit
matters. langchain-core's ``count_tokens_approximately`` (characters / 4) is
not used: it knows no template overheads and counts tool calls by their
Python repr rather than the JSON that is sent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_PIECE = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_")

IMAGE_TOKENS = 256
"""Tokens charged per image: what gemma's and Llama 4's vision encoders give a
small image (larger images cost more on Llama 4, which tiles them)."""


@dataclass(frozen=True)
class TemplateCost:
    """What a chat template adds to a prompt, in tokens.

    Attributes:
        per_prompt: Once per prompt: begin-of-text, the assistant header that
            primes the answer, and any system preamble the template inserts.
        per_message: Around each message: role markers and end-of-turn.
    """

    per_prompt: int
    per_message: int


DEFAULT_COST = TemplateCost(per_prompt=3, per_message=4)
"""For models of unknown family (an OpenAI-style template's overhead)."""

# Matched in order against the lower-cased model name. Calibrated on the
# service's own counts: gpt-oss's harmony template adds a ~60-token system
# preamble (73 tokens for a 6-word question), Llama 4 five tokens per turn
# (18 for the same), DeepSeek one (10 for "What is the capital of France?").
_FAMILY_COSTS: tuple[tuple[str, TemplateCost], ...] = (
    ("gpt-oss", TemplateCost(per_prompt=63, per_message=4)),
    ("llama-4", TemplateCost(per_prompt=7, per_message=5)),
    ("llama", TemplateCost(per_prompt=5, per_message=5)),
    ("deepseek", TemplateCost(per_prompt=2, per_message=1)),
    ("qwen", TemplateCost(per_prompt=3, per_message=5)),
)


def template_cost(model: str) -> TemplateCost:
    """Return the chat-template overhead of a model, by its family.

    Args:
        model: The model name, e.g. ``"gpt-oss-120b"``.
    """
    lowered = model.lower()
    for prefix, cost in _FAMILY_COSTS:
        if prefix in lowered:
            return cost
    return DEFAULT_COST


def _piece_tokens(piece: str) -> int:
    if piece[0].isdigit():
        return math.ceil(len(piece) / 3)  # digits go in groups of up to three
    if not piece.isascii():
        return len(piece)  # CJK and the like: about a token per character
    # Common words are one token; long ones (13 letters or more) split.
    return 1 + (len(piece) - 1) // 12


def estimate_text_tokens(text: str) -> int:
    """Estimate the tokens of a text with a BPE-like heuristic.

    A run of letters costs one token per twelve letters begun, a run of
    digits one per three, and each punctuation mark one; whitespace joins the
    next piece, as BPE vocabularies do.

    Args:
        text: Any text.
    """
    return sum(_piece_tokens(piece) for piece in _PIECE.findall(text))


def _content_tokens(content: Any, count_text: Callable[[str], int]) -> int:
    if isinstance(content, str):
        return count_text(content)
    total = 0
    for part in content or []:
        if part.get("type") == "text":
            total += count_text(part.get("text") or "")
        else:
            total += IMAGE_TOKENS
    return total


def estimate_prompt_tokens(
    api_messages: Sequence[Mapping[str, Any]],
    api_tools: Sequence[Any] | None,
    cost: TemplateCost,
    count_text: Callable[[str], int] = estimate_text_tokens,
) -> int:
    """Estimate the prompt tokens of a request's messages and tools.

    Args:
        api_messages: The ``messages`` of the request body, as converted.
        api_tools: The request's ``tools`` (OpenAI format), if any.
        cost: The model's template overhead.
        count_text: Counts the tokens of one text (a user's own tokenizer,
            LangChain's ``custom_get_token_ids``, or the estimate).

    Returns:
        The estimated ``usage.prompt_tokens``.
    """
    total = cost.per_prompt
    for message in api_messages:
        total += cost.per_message + _content_tokens(message.get("content"), count_text)
        if message.get("tool_calls"):
            total += count_text(json.dumps(message["tool_calls"]))
        if message.get("reasoning"):
            total += count_text(message["reasoning"])
    if api_tools:
        total += count_text(json.dumps(api_tools))
    return total
