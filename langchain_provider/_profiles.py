"""Model profiles (what each served model can do) and the catalog (``list_models``).

``MODEL_PROFILES`` is what LangChain and agent frameworks read through
``llm.profile``; ``list_models`` / ``alist_models`` read ``GET
{base_url}/models`` into ``ModelInfo`` entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from langchain_provider._http import (
    transport_error,
)
from langchain_provider.errors import ResponseDecodeError, error_from_http

# -- profiles ------------------------------------------------------------------

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


# -- the catalog (list_models) -------------------------------------------------


class ModelInfo(BaseModel):
    """One model of the service's catalog.

    Attributes:
        id: The model's name, as ``model=`` takes it.
        context_length: Most tokens of prompt and answer together.
        max_completion_tokens: Most tokens the model generates in one answer.
        price_per_input_token: US dollars per prompt token, when given.
        price_per_output_token: US dollars per completion token, when given.
        owned_by: The model's owner, when given.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    context_length: int | None = None
    max_completion_tokens: int | None = None
    price_per_input_token: float | None = None
    price_per_output_token: float | None = None
    owned_by: str | None = None


def models_url(base_url: str) -> str:
    """The catalog's URL under an API root such as ``https://api.sambanova.ai/v1``."""
    return base_url.rstrip("/") + "/models"


def _entry(raw: Any) -> ModelInfo:
    if not isinstance(raw, Mapping):
        raise ResponseDecodeError(f"A model entry is not a JSON object: {raw!r:.200}")
    pricing = raw.get("pricing")
    if not isinstance(pricing, Mapping):
        pricing = {}
    try:
        return ModelInfo.model_validate(
            {
                "id": raw.get("id"),
                "context_length": raw.get("context_length"),
                "max_completion_tokens": raw.get("max_completion_tokens"),
                "price_per_input_token": pricing.get("prompt"),
                "price_per_output_token": pricing.get("completion"),
                "owned_by": raw.get("owned_by"),
            }
        )
    except ValidationError as exc:
        # ModelInfo is flat: each error's location is one field name.
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise ResponseDecodeError(
            f"Unreadable model entry {raw.get('id')!r:.100}: {problems}"
        ) from None


def models_from_response(response: httpx.Response) -> list[ModelInfo]:
    """Read a catalog response (already fully received) into `ModelInfo` entries.

    Raises:
        SambaNovaError: The status's typed error for a non-2xx response.
        ResponseDecodeError: For a body that is not the catalog's shape.
    """
    if not response.is_success:
        raise error_from_http(response.status_code, response.content, response.headers)
    try:
        payload = response.json()
    except ValueError:
        raise ResponseDecodeError(
            f"The model list is not valid JSON: {response.text[:200]!r}",
            status_code=response.status_code,
        ) from None
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, list):
        raise ResponseDecodeError(
            "The model list has no 'data' array.", status_code=response.status_code
        )
    return [_entry(raw) for raw in data]


def list_models(
    client: httpx.Client, base_url: str, headers: Mapping[str, str], timeout: Any
) -> list[ModelInfo]:
    """``GET {base_url}/models`` with ``client``; see `models_from_response`.

    Raises:
        SambaNovaError: The package's typed error for any failure.
    """
    try:
        response = client.get(models_url(base_url), headers=headers, timeout=timeout)
    except httpx.TransportError as exc:
        raise transport_error(exc, streaming=False) from exc
    return models_from_response(response)


async def alist_models(
    client: httpx.AsyncClient,
    base_url: str,
    headers: Mapping[str, str],
    timeout: Any,
) -> list[ModelInfo]:
    """Async `list_models`.

    Raises:
        SambaNovaError: The package's typed error for any failure.
    """
    try:
        response = await client.get(
            models_url(base_url), headers=headers, timeout=timeout
        )
    except httpx.TransportError as exc:
        raise transport_error(exc, streaming=False) from exc
    return models_from_response(response)
