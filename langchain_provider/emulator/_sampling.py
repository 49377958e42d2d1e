"""Sampling the emulator makes observable: ``n`` choices, ``seed``, log probabilities.

The emulated model is deterministic, so sampling shows where a client can see
it. Choice ``i`` (from 0) of ``n`` is the model's reply, the ones after the
first ending in `` (choice <i+1>)`` so that choices differ. With
``logprobs: true`` each content token of each choice gets a log probability,
with ``top_logprobs`` alternatives, in the OpenAI shape the service uses
(``choices[i].logprobs.content[j]``: ``token``, ``logprob``, ``bytes``,
``top_logprobs``). The numbers are drawn from ``seed`` and the choice index:
the same seed gives the same numbers, no seed gives fresh ones each time.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from ._model import Reply
from ._tokens import tokenize

ALTERNATIVES = (
    " the", " a", ",", ".", " and", " to", " of", " is", " in", "!",
    " it", " that", " for", " on", " with", " as", " I", " be", " at", " you", "?",
)  # fmt: skip
"""Tokens offered as ``top_logprobs`` alternatives (never the chosen token)."""


def reply_choices(body: dict[str, Any], first: Reply) -> list[Reply]:
    """Return the ``n`` choices of a validated request, with their log probabilities.

    Args:
        body: The validated request body.
        first: The model's reply (choice 0).
    """
    count = body.get("n") or 1
    replies = [first] + [_variant(first, index) for index in range(1, count)]
    if body.get("logprobs"):
        top = body.get("top_logprobs") or 0
        for index, reply in enumerate(replies):
            seed = body.get("seed")
            rng = random.Random(f"{seed}:{index}" if seed is not None else None)
            reply.logprobs = [_entry(piece, rng, top) for piece in reply.content_pieces]
    return replies


def combined_usage_reply(replies: list[Reply]) -> Reply:
    """A reply whose token counts are the sum over the choices (for ``usage``).

    Args:
        replies: The choices.
    """
    first = replies[0]
    if len(replies) == 1:
        return first
    return dataclasses.replace(
        first,
        completion_tokens=sum(r.completion_tokens for r in replies),
        reasoning_tokens=sum(r.reasoning_tokens for r in replies),
    )


def _variant(first: Reply, index: int) -> Reply:
    reply = dataclasses.replace(
        first,
        content_pieces=list(first.content_pieces),
        reasoning_pieces=list(first.reasoning_pieces),
        tool_calls=list(first.tool_calls),
    )
    if reply.tool_calls or reply.forced_chunks or reply.finish_reason == "length":
        return reply  # nothing that can take a suffix without breaking it
    suffix = tokenize(f" (choice {index + 1})")
    reply.content_pieces.extend(suffix)
    reply.completion_tokens += len(suffix)
    return reply


def _entry(token: str, rng: random.Random, top: int) -> dict[str, Any]:
    logprob = -round(rng.random() * 2, 6)
    entry: dict[str, Any] = {
        "token": token,
        "logprob": logprob,
        "bytes": list(token.encode()),
    }
    others = [t for t in ALTERNATIVES if t != token][:top]
    alternatives = [(token, logprob)]
    for other in others:
        alternatives.append((other, round(logprob - 0.01 - rng.random() * 5, 6)))
    entry["top_logprobs"] = [
        {"token": t, "logprob": p, "bytes": list(t.encode())}
        for t, p in sorted(alternatives, key=lambda pair: -pair[1])[:top]
    ]
    return entry
