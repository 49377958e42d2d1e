"""What LangChain should know about the models the service is known to serve.

The service adds and retires models often, so this table only seeds each
model's ``profile`` (context window, tool calling, image input, ...). Any
model name is accepted; an unknown one simply has no profile.
"""

from __future__ import annotations

from typing import Any

# Media: the service reads text and base64 images from user turns only; it
# has no file (PDF), audio or video parts, and no http(s) image URLs. Each
# profile states every media flag, because frameworks read a missing one as
# "supported" (deepagents decides from these flags whether a file it read can
# go into the thread or must become a text notice).
_TEXT_ONLY: dict[str, Any] = {
    "text_inputs": True,
    "text_outputs": True,
    "image_inputs": False,
    "image_url_inputs": False,
    # What ChatSambaNova does with images a tool returns (see
    # ``ChatSambaNova.tool_images``): on a model that takes images they go to
    # the service in a user turn right after the tool results, so a tool may
    # return them; on a text-only model they become a short text note.
    "image_tool_message": False,
    "pdf_inputs": False,
    "pdf_tool_message": False,
    "audio_inputs": False,
    "video_inputs": False,
}

_VISION: dict[str, Any] = {"image_inputs": True, "image_tool_message": True}

_TEXT_TOOLS: dict[str, Any] = {
    **_TEXT_ONLY,
    "tool_calling": True,
    "tool_choice": True,
    "tool_call_streaming": True,
    # The service takes a ``json_schema`` response_format, but nothing the
    # vendor publishes (docs, cookbooks, SDK tests; searched 2026-12) shows it
    # together with ``tools`` in one request, nor says whether the model still
    # calls tools while the schema is enforced. LangChain's ``create_agent``
    # reads this flag to send both on every turn (its provider strategy);
    # False makes it use its tool strategy instead: the answer schema becomes
    # one more tool, which only needs documented pieces. ``with_structured_
    # output(method="json_schema")`` still works: it sends no tools.
    "structured_output": False,
}

_NO_TOOLS: dict[str, Any] = {
    **_TEXT_TOOLS,
    "tool_calling": False,
    "tool_choice": False,
    "tool_call_streaming": False,
}

_REASONING: dict[str, Any] = {"reasoning_output": True}

# Context windows and output limits as the service lists them (late 2026;
# output limits are the catalog's ``max_completion_tokens``, context windows
# the catalog's ``context_length``). The live catalog is the source of truth:
# ``ChatSambaNova.list_models()`` reads it.
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
        **_VISION,
        "max_input_tokens": 131072,
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
    "Qwen3-235B": {
        **_TEXT_TOOLS,
        "max_input_tokens": 32768,
        "max_output_tokens": 8192,
    },
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
    # MiniMax-M3 and gemma-4-31B-it call tools: the vendor's function-calling
    # page lists both (https://docs.sambanova.ai/docs/ja/features/function-calling.md).
    "MiniMax-M3": {
        **_TEXT_TOOLS,
        "max_input_tokens": 1048576,
        "max_output_tokens": 32768,
    },
    "gemma-4-31B-it": {
        **_TEXT_TOOLS,
        **_VISION,
        "max_input_tokens": 131072,
        "max_output_tokens": 8192,
    },
}
"""Model name -> LangChain ``ModelProfile`` fields."""


def profile_for(model: str) -> dict[str, Any] | None:
    """Return a copy of the known profile of ``model``, or ``None``."""
    profile = MODEL_PROFILES.get(model)
    return dict(profile) if profile is not None else None
