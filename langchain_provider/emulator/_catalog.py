"""``GET /v1/models``: the served models with context, output limit and prices.

Entries follow the vendor SDK's ``ModelResponse``: ``id``, ``object: "model"``,
``owned_by``, ``context_length``, ``max_completion_tokens`` and ``pricing``
(``prompt`` and ``completion``, US dollars per token). Prices are decimal
strings, as the live service sends them. The figures are the emulator's own,
close to the service's late-2026 list; they are test data, not a price list.
"""

from __future__ import annotations

import json
from typing import Any

from ._config import EmulatorConfig

DEFAULT_MAX_COMPLETION_TOKENS = 8192
"""Output limit of served models the table below does not list."""

MODEL_LIMITS: dict[str, tuple[int, str, str]] = {
    "Meta-Llama-3.3-70B-Instruct": (8192, "0.0000006", "0.0000012"),
    "Meta-Llama-3.1-8B-Instruct": (4096, "0.0000001", "0.0000002"),
    "Llama-4-Maverick-17B-128E-Instruct": (8192, "0.00000063", "0.0000018"),
    "Qwen3-235B": (8192, "0.0000004", "0.0000008"),
    "Qwen3-32B": (8192, "0.0000004", "0.0000008"),
    "DeepSeek-V3-0324": (8192, "0.000003", "0.0000045"),
    "DeepSeek-V3.1": (8192, "0.000003", "0.0000045"),
    "DeepSeek-V3.2": (7168, "0.0000045", "0.00001"),
    "DeepSeek-R1-0528": (32768, "0.000005", "0.000007"),
    "DeepSeek-R1-Distill-Llama-70B": (16384, "0.0000007", "0.0000014"),
    "gpt-oss-120b": (32768, "0.00000022", "0.00000059"),
    "MiniMax-M2.7": (32768, "0.0000003", "0.0000012"),
    "MiniMax-M3": (32768, "0.0000004", "0.0000016"),
    "gemma-4-31B-it": (8192, "0.0000002", "0.0000004"),
}
"""Model -> (max completion tokens, price per prompt token, per completion token)."""


def model_entry(name: str, config: EmulatorConfig) -> dict[str, Any]:
    """The catalog entry of one served model.

    Args:
        name: The model's name.
        config: The emulator's settings (for the context length).
    """
    entry: dict[str, Any] = {
        "id": name,
        "object": "model",
        "owned_by": "emulator",
        "context_length": config.context_length(name),
    }
    limits = MODEL_LIMITS.get(name)
    if limits is None:
        entry["max_completion_tokens"] = DEFAULT_MAX_COMPLETION_TOKENS
        return entry
    entry["max_completion_tokens"] = limits[0]
    entry["pricing"] = {"prompt": limits[1], "completion": limits[2]}
    return entry


def models_body(config: EmulatorConfig) -> str:
    """The body of ``GET /v1/models``: ``{"object": "list", "data": [...]}``.

    Args:
        config: The emulator's settings (which models it serves).
    """
    data = [model_entry(name, config) for name in config.model_names()]
    return json.dumps({"object": "list", "data": data})
