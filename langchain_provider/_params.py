"""Checks on sampling parameters, run before any request is sent.

The same checks serve constructor fields and per-call overrides
(``model.invoke(..., temperature=3)``), so a bad value fails with the same
clear message wherever it was given, and never costs a round trip.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import httpx

# name -> (lowest, highest, kind), as the API reference documents them.
_RANGES: dict[str, tuple[float, float | None, type]] = {
    "temperature": (0.0, 1.0, float),
    "top_p": (0.0, 1.0, float),
    "top_k": (1, 100, int),
    "max_tokens": (1, None, int),
}
MAX_STOP_SEQUENCES = 4
REASONING_EFFORTS = ("low", "medium", "high")


def _check_number(name: str, value: Any) -> None:
    low, high, kind = _RANGES[name]
    allowed = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number {allowed}, got {value!r}.")
    if kind is int and not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number {allowed}, got {value!r}.")
    if math.isnan(value) or value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be {allowed}, got {value!r}.")


def normalize_stop(stop: Any) -> list[str] | None:
    """Return stop sequences as a list (``None`` when empty), checking them.

    Raises:
        ValueError: For more than four sequences or a non-string entry.
    """
    if stop is None:
        return None
    sequences = [stop] if isinstance(stop, str) else list(stop)
    if len(sequences) > MAX_STOP_SEQUENCES:
        raise ValueError(
            f"stop accepts at most {MAX_STOP_SEQUENCES} sequences, "
            f"got {len(sequences)}."
        )
    for sequence in sequences:
        if not isinstance(sequence, str) or not sequence:
            raise ValueError(
                f"stop sequences must be non-empty strings, got {sequence!r}."
            )
    return sequences or None


def validate_params(params: Mapping[str, Any]) -> None:
    """Check the sampling parameters present in ``params``; ``None`` means unset.

    Raises:
        ValueError: Naming the parameter, the allowed range and the bad value.
    """
    for name in _RANGES.keys() & params.keys():
        if params[name] is not None:
            _check_number(name, params[name])
    if params.get("stop") is not None:
        normalize_stop(params["stop"])
    effort = params.get("reasoning_effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        raise ValueError(
            f"reasoning_effort must be one of {list(REASONING_EFFORTS)}, "
            f"got {effort!r}."
        )


def validate_max_retries(max_retries: Any) -> None:
    """Retries are a whole number, zero or more (``None``: the model's setting)."""
    if max_retries is None:
        return
    if (
        isinstance(max_retries, bool)
        or not isinstance(max_retries, int)
        or max_retries < 0
    ):
        raise ValueError(
            f"max_retries must be a whole number >= 0, got {max_retries!r}."
        )


def validate_timeout(timeout: Any) -> None:
    """A timeout is a finite number of seconds > 0, an ``httpx.Timeout`` or ``None``.

    ``None`` means the default (see ``ChatSambaNova.timeout``); an
    ``httpx.Timeout`` is taken as given.
    """
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ValueError(
            "timeout must be a finite number of seconds > 0, an httpx.Timeout or "
            f"None (the default), got {timeout!r}."
        )
