"""Token usage and timing metrics, from either naming the service uses.

The public cloud reports counts and timings inside ``usage`` with OpenAI-style
names (``prompt_tokens``, ``total_latency``, ...). The published reference
page and some deployments use the vendor's older names (``input_tokens_count``,
``model_execution_time``, ...), inside ``usage`` or at the top level of the
body. Everything here accepts both, and tolerates any field being absent,
``null`` or of an unexpected type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.messages.ai import (
    InputTokenDetails,
    OutputTokenDetails,
    UsageMetadata,
)

# Timing keys we report, each with the source names that carry it, in order of
# preference: the reference page's name first, then the live `usage` name.
TIMING_SOURCES: dict[str, tuple[str, ...]] = {
    "time_to_first_token": ("time_to_first_token",),
    "throughput_after_first_token": (
        "throughput_after_first_token",
        "completion_tokens_after_first_per_sec",
    ),
    "model_execution_time": ("model_execution_time", "total_latency"),
    "queue_time": ("queue_time",),
}

_COUNT_SOURCES: dict[str, tuple[str, ...]] = {
    "input_tokens": ("prompt_tokens", "input_tokens_count"),
    "output_tokens": ("completion_tokens", "output_tokens_count"),
    "total_tokens": ("total_tokens", "total_tokens_count"),
}

# Top-level fields of the reference naming that belong with the usage data.
_TOP_LEVEL_USAGE_FIELDS = frozenset(
    {
        "input_tokens_count",
        "output_tokens_count",
        "total_tokens_count",
        *(name for names in TIMING_SOURCES.values() for name in names),
    }
)

# The token counts that may be summed across responses; everything else in a
# usage object (rates, timestamps, flags) is meaningless when added up.
_SUMMABLE_COUNTS = frozenset(
    {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "input_tokens_count",
        "output_tokens_count",
        "total_tokens_count",
    }
)


def _int(value: Any) -> int | None:
    # bool is an int subclass; a flag is never a token count.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _first(source: Mapping[str, Any], names: Iterable[str], convert: Any) -> Any:
    for name in names:
        value = convert(source.get(name))
        if value is not None:
            return value
    return None


def raw_usage(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the usage data of a response body or chunk, as the server sent it.

    The ``usage`` object is returned as is; reference-naming fields found at the
    top level of the body are added to it (or form it, when there is no
    ``usage``), so one dict holds everything the server reported.

    Args:
        body: A decoded response body or stream chunk.

    Returns:
        The usage dict, or ``None`` when the body reports no usage at all.
    """
    usage = body.get("usage")
    merged: dict[str, Any] | None = dict(usage) if isinstance(usage, Mapping) else None
    for name in _TOP_LEVEL_USAGE_FIELDS.intersection(body):
        if body[name] is not None:
            merged = merged if merged is not None else {}
            merged.setdefault(name, body[name])
    return merged


def reports_usage(body: Mapping[str, Any]) -> bool:
    """Whether a body or chunk reports usage (cheap: called once per chunk)."""
    return body.get("usage") is not None or not _TOP_LEVEL_USAGE_FIELDS.isdisjoint(body)


def usage_metadata_from(usage: Mapping[str, Any]) -> UsageMetadata | None:
    """Map a usage dict to LangChain's ``UsageMetadata``.

    Args:
        usage: A usage dict as returned by :func:`raw_usage`.

    Returns:
        Input, output and total token counts (total computed when absent), with
        cached-input and reasoning-output details when the server gave them;
        ``None`` when the dict holds no token counts.
    """
    counts = {key: _first(usage, names, _int) for key, names in _COUNT_SOURCES.items()}
    if counts["input_tokens"] is None and counts["output_tokens"] is None:
        return None
    input_tokens = counts["input_tokens"] or 0
    output_tokens = counts["output_tokens"] or 0
    total = counts["total_tokens"]
    # mypy misreads langchain-core's NotRequired detail keys as required.
    metadata: UsageMetadata = {  # type: ignore[typeddict-item]
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": total if total is not None else input_tokens + output_tokens,
    }
    prompt_details = usage.get("prompt_tokens_details")
    if isinstance(prompt_details, Mapping):
        cached = _int(prompt_details.get("cached_tokens"))
        if cached is not None:
            metadata["input_token_details"] = InputTokenDetails(cache_read=cached)
    completion_details = usage.get("completion_tokens_details")
    if isinstance(completion_details, Mapping):
        reasoning = _int(completion_details.get("reasoning_tokens"))
        if reasoning is not None:
            metadata["output_token_details"] = OutputTokenDetails(reasoning=reasoning)
    return metadata


def timing_from(usage: Mapping[str, Any]) -> dict[str, float]:
    """Extract the server-reported timing metrics from a usage dict.

    Args:
        usage: A usage dict as returned by :func:`raw_usage`.

    Returns:
        Of ``time_to_first_token`` (s), ``throughput_after_first_token``
        (tokens/s), ``model_execution_time`` (s) and ``queue_time`` (s), the
        ones the server reported, under these names whichever naming it used.
    """
    timing = {}
    for key, names in TIMING_SOURCES.items():
        value = _first(usage, names, _number)
        if value is not None:
            timing[key] = value
    return timing


def combine_token_usage(usages: Iterable[Mapping[str, Any] | None]) -> dict[str, int]:
    """Sum the token counts of several usage dicts (for multi-prompt ``generate``).

    Only integer token counts are summed; ``null``, strings, rates and
    timestamps are ignored rather than crashing the addition.

    Args:
        usages: Usage dicts, some possibly ``None``.

    Returns:
        The summed counts, under the names the servers used.
    """
    total: dict[str, int] = {}
    for usage in usages:
        if not usage:
            continue
        for name in _SUMMABLE_COUNTS.intersection(usage):
            value = _int(usage[name])
            if value is not None:
                total[name] = total.get(name, 0) + value
    return total
