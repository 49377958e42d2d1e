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

from langchain_provider._http import translate_failures
from langchain_provider.errors import ResponseDecodeError, error_from_http

# -- profiles ------------------------------------------------------------------

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
    # ``ChatSambaNova.tool_result_media``): on a model that takes images they go to
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


_LIST = "The model list"


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
        json.JSONDecodeError, RecursionError: For a body that is not JSON;
            ``translate_failures`` types them.
    """
    if not response.is_success:
        raise error_from_http(response.status_code, response.content, response.headers)
    payload = response.json()
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, list):
        raise ResponseDecodeError(
            "The model list has no 'data' array.", status_code=response.status_code
        )
    return [_entry(raw) for raw in data]


def _catalog_request(
    client: httpx.Client | httpx.AsyncClient,
    base_url: str,
    headers: Mapping[str, str],
    timeout: Any,
) -> httpx.Request:
    return client.build_request(
        "GET", models_url(base_url), headers=headers, timeout=timeout
    )


def list_models(
    client: httpx.Client, base_url: str, headers: Mapping[str, str], timeout: Any
) -> list[ModelInfo]:
    """``GET {base_url}/models`` with ``client``; see `models_from_response`.

    Raises:
        SambaNovaError: The package's typed error for any failure.
    """
    with translate_failures():
        request = _catalog_request(client, base_url, headers, timeout)
        response = client.send(request, stream=True)
    try:
        with translate_failures(decoding=_LIST, status_code=response.status_code):
            response.read()
            return models_from_response(response)
    finally:
        response.close()


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
    with translate_failures():
        request = _catalog_request(client, base_url, headers, timeout)
        response = await client.send(request, stream=True)
    try:
        with translate_failures(decoding=_LIST, status_code=response.status_code):
            await response.aread()
            return models_from_response(response)
    finally:
        await response.aclose()
