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

# Context windows and capabilities as the service documents them (late 2026);
# where it documents no context window, none is claimed.
MODEL_PROFILES: dict[str, dict[str, Any]] = {
    "Meta-Llama-3.3-70B-Instruct": {**_TEXT_TOOLS, "max_input_tokens": 131072},
    "Llama-4-Maverick-17B-128E-Instruct": {**_TEXT_TOOLS, "image_inputs": True},
    "DeepSeek-V3.1": {**_TEXT_TOOLS, "max_input_tokens": 131072},
    "DeepSeek-V3.2": {**_TEXT_TOOLS, "max_input_tokens": 32768},
    "DeepSeek-R1-0528": {**_NO_TOOLS, "reasoning_output": True},
    "gpt-oss-120b": {
        **_TEXT_TOOLS,
        "max_input_tokens": 131072,
        "reasoning_output": True,
        "reasoning_effort_levels": ["low", "medium", "high"],
    },
    "Qwen3-235B": dict(_TEXT_TOOLS),
    "MiniMax-M2.7": {**_TEXT_TOOLS, "max_input_tokens": 196608},
    "MiniMax-M3": {**_NO_TOOLS, "max_input_tokens": 1048576},
    "gemma-4-31B-it": {**_NO_TOOLS, "image_inputs": True},
}


def profile_for(model: str) -> dict[str, Any] | None:
    """Return a copy of the known profile of ``model``, or ``None``."""
    profile = MODEL_PROFILES.get(model)
    return dict(profile) if profile is not None else None
