"""What LangChain should know about the models the service is known to serve.

The service adds and retires models often, so this table only seeds each
model's ``profile`` (context window, tool calling, image input, ...). Any
model name is accepted; an unknown one simply has no profile.
"""

from __future__ import annotations

from typing import Any

_TEXT_TOOLS: dict[str, Any] = {
    "text_inputs": True,
    "text_outputs": True,
    "tool_calling": True,
    "tool_choice": True,
    "tool_call_streaming": True,
    "structured_output": True,
    "image_inputs": False,
    "image_url_inputs": False,
}

_NO_TOOLS: dict[str, Any] = {
    **_TEXT_TOOLS,
    "tool_calling": False,
    "tool_choice": False,
    "tool_call_streaming": False,
    "structured_output": False,
}

_REASONING: dict[str, Any] = {"reasoning_output": True}

# Context windows, output limits and capabilities as the service lists them
# (late 2026; output limits are the catalog's ``max_completion_tokens``).
# Where the service documents no context window, none is claimed. The live
# catalog is the source of truth: ``ChatSambaNova.list_models()`` reads it.
MODEL_PROFILES: dict[str, dict[str, Any]] = {
    "Meta-Llama-3.3-70B-Instruct": {
        **_TEXT_TOOLS,
        "max_input_tokens": 131072,
        "max_output_tokens": 8192,
    },
    "Meta-Llama-3.1-8B-Instruct": {
        **_NO_TOOLS,
        "max_input_tokens": 16384,
        "max_output_tokens": 4096,
    },
    "Llama-4-Maverick-17B-128E-Instruct": {
        **_TEXT_TOOLS,
        "image_inputs": True,
        "max_output_tokens": 8192,
    },
    "DeepSeek-V3-0324": {
        **_TEXT_TOOLS,
        "max_input_tokens": 131072,
        "max_output_tokens": 8192,
    },
    "DeepSeek-V3.1": {
        **_TEXT_TOOLS,
        "max_input_tokens": 131072,
        "max_output_tokens": 8192,
    },
    "DeepSeek-V3.2": {
        **_TEXT_TOOLS,
        "max_input_tokens": 32768,
        "max_output_tokens": 7168,
    },
    "DeepSeek-R1-0528": {
        **_NO_TOOLS,
        **_REASONING,
        "max_input_tokens": 131072,
        "max_output_tokens": 32768,
    },
    "DeepSeek-R1-Distill-Llama-70B": {
        **_NO_TOOLS,
        **_REASONING,
        "max_input_tokens": 131072,
        "max_output_tokens": 16384,
    },
    "gpt-oss-120b": {
        **_TEXT_TOOLS,
        **_REASONING,
        "max_input_tokens": 131072,
        "max_output_tokens": 32768,
        "reasoning_effort_levels": ["low", "medium", "high"],
    },
    "Qwen3-235B": {**_TEXT_TOOLS, "max_output_tokens": 8192},
    "Qwen3-32B": {
        **_NO_TOOLS,
        **_REASONING,
        "max_input_tokens": 32768,
        "max_output_tokens": 8192,
    },
    "MiniMax-M2.7": {
        **_TEXT_TOOLS,
        "max_input_tokens": 196608,
        "max_output_tokens": 32768,
    },
    "MiniMax-M3": {
        **_NO_TOOLS,
        "max_input_tokens": 1048576,
        "max_output_tokens": 32768,
    },
    "gemma-4-31B-it": {**_NO_TOOLS, "image_inputs": True, "max_output_tokens": 8192},
}
"""Model name -> LangChain ``ModelProfile`` fields."""


def profile_for(model: str) -> dict[str, Any] | None:
    """Return a copy of the known profile of ``model``, or ``None``."""
    profile = MODEL_PROFILES.get(model)
    return dict(profile) if profile is not None else None
