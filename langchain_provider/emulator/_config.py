"""The emulator's settings and its built-in list of known models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._rate_limits import parse_rate_limit

TIMING_NAMINGS = ("usage", "reference")
"""Accepted values of `EmulatorConfig.timing_naming`."""

REFERENCE_PLACEMENTS = ("usage", "top_level")
"""Accepted values of `EmulatorConfig.reference_placement`."""

TOOL_CALL_STYLES = ("fragments", "whole", "whole_no_index", "whole_object_args")
"""Accepted values of `EmulatorConfig.tool_call_style`."""

DEFAULT_CONTEXT_LENGTH = 131072
"""Context length given to models named without one."""

KNOWN_MODELS: dict[str, int] = {
    "Meta-Llama-3.3-70B-Instruct": 131072,
    "Meta-Llama-3.1-8B-Instruct": 16384,
    "Llama-4-Maverick-17B-128E-Instruct": 131072,
    "Qwen3-235B": 32768,
    "Qwen3-32B": 32768,
    "DeepSeek-V3-0324": 131072,
    "DeepSeek-V3.1": 131072,
    "DeepSeek-V3.2": 32768,
    "DeepSeek-R1-0528": 131072,
    "DeepSeek-R1-Distill-Llama-70B": 131072,
    "gpt-oss-120b": 131072,
    "MiniMax-M2.7": 196608,
    "MiniMax-M3": 1048576,
    "gemma-4-31B-it": 131072,
}
"""Models served when `EmulatorConfig.models` is None: name -> context length.

Taken from wire-format.md ("Models", late 2026) plus the model of its captured
response. The list is a convenience, not a source of truth: pass `models=` to
serve others.
"""


@dataclass
class EmulatorConfig:
    """How the emulator behaves; the live object may be changed between requests.

    Attributes:
        api_key: When set, requests must carry ``Authorization: Bearer <key>``;
            others get a 401 with code ``invalid_api_key``.
        time_to_first_token: Seconds of real sleep before the first token.
        tokens_per_second: Real pacing of the tokens after the first; None or 0
            sends them as fast as possible.
        latency: Extra seconds before the response starts at all.
        timing_naming: ``"usage"`` for the live service's usage names
            (``time_to_first_token``, ``total_latency``, ...) or ``"reference"``
            for the reference page's names (``throughput_after_first_token``,
            ``model_execution_time``, ``queue_time``, ``input_tokens_count``, ...).
        reference_placement: With ``timing_naming="reference"``, put those fields
            inside ``usage`` (``"usage"``) or at the top level of the body or the
            last chunk (``"top_level"``, and then there is no ``usage`` key).
        tool_call_style: How streams carry tool calls: ``"fragments"``
            (OpenAI-style), ``"whole"`` (one delta per call), ``"whole_no_index"``
            (whole, without ``index``) or ``"whole_object_args"`` (whole, no
            index, ``arguments`` a JSON object; non-stream bodies too).
        tokens_per_chunk: Tokens per content delta in streams.
        models: Served models: None for `KNOWN_MODELS`, a sequence of names
            (each with a 128k context) or a mapping of name to context length.
        rate_limit_headers: Send the service's ``x-ratelimit-*`` headers
            (per minute and ``-day``) on chat completion responses; off by
            default, as in the early-2025 captures. See `_rate_limits`.
        rate_limit_per_minute: The requests-per-minute limit they report.
        rate_limit_per_day: The requests-per-day limit they report.
        rate_limit: Enforce a request limit per API key, e.g. ``"20/5s"`` or
            ``"60/m"``: every chat completion answer carries
            ``x-ratelimit-{limit,remaining,reset}-requests`` for it, and a
            request over the limit gets a 429 with ``retry-after``. None (the
            default) enforces nothing. See `_rate_limits`.
        log_requests: Log one line per request (method, path, status, model,
            streamed or not, duration) to the ``langchain_provider.emulator.access``
            logger at INFO.
    """

    api_key: str | None = None
    time_to_first_token: float = 0.05
    tokens_per_second: float | None = 500.0
    latency: float = 0.0
    timing_naming: str = "usage"
    reference_placement: str = "usage"
    tool_call_style: str = "fragments"
    tokens_per_chunk: int = 1
    models: Sequence[str] | Mapping[str, int] | None = None
    rate_limit_headers: bool = False
    rate_limit_per_minute: int = 60
    rate_limit_per_day: int = 12000
    rate_limit: str | None = None
    log_requests: bool = False

    def __post_init__(self) -> None:
        _check_choice("timing_naming", self.timing_naming, TIMING_NAMINGS)
        _check_choice(
            "reference_placement", self.reference_placement, REFERENCE_PLACEMENTS
        )
        _check_choice("tool_call_style", self.tool_call_style, TOOL_CALL_STYLES)
        if self.tokens_per_chunk < 1:
            raise ValueError("tokens_per_chunk must be at least 1")
        if self.rate_limit_per_minute < 1 or self.rate_limit_per_day < 1:
            raise ValueError(
                "rate_limit_per_minute and rate_limit_per_day must be >= 1"
            )
        if self.rate_limit is not None:
            parse_rate_limit(self.rate_limit)
        if self.time_to_first_token < 0 or self.latency < 0:
            raise ValueError("time_to_first_token and latency must not be negative")

    def context_length(self, model: str) -> int | None:
        """Return the context length of a served model, or None if not served.

        Args:
            model: The model name from the request.
        """
        if self.models is None:
            return KNOWN_MODELS.get(model)
        if isinstance(self.models, Mapping):
            return self.models.get(model)
        return DEFAULT_CONTEXT_LENGTH if model in self.models else None

    def model_names(self) -> list[str]:
        """Return the names of the served models."""
        return list(KNOWN_MODELS if self.models is None else self.models)


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
