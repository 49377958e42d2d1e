"""The model catalog: ``GET {base_url}/models`` read into typed entries.

The service lists each model with its context length, its most completion
tokens and its prices, per token in US dollars. The vendor SDK types prices as
numbers; the live service sends them as decimal strings (``"0.0000045"``):
both are read. Failures raise the package's typed errors, as chat calls do.
The catalog is one small request, so it is not retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from langchain_provider._client import (
    ChatCompletionsClient,
    resolve_timeout,
    transport_error,
)
from langchain_provider._headers import build_headers, normalize_api_key
from langchain_provider.errors import ResponseDecodeError, error_from_response

__all__ = ["ModelInfo", "alist_models", "list_models", "models_from_response"]


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
        raise error_from_response(
            response.status_code, response.content, response.headers
        )
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


class ModelCatalog:
    """``list_models`` / ``alist_models`` for ``ChatSambaNova`` (a mixin).

    They go through the model's own HTTP client (its pools, headers and
    timeout), so a catalog request is configured like a chat request.

    Attributes:
        base_url: The API root the catalog is read from.
        api_key: The bearer key.
        default_headers: Extra headers.
        timeout: The model's timeout setting.
    """

    base_url: str
    api_key: SecretStr | None
    default_headers: dict[str, str] | None
    timeout: float | httpx.Timeout | None

    if TYPE_CHECKING:

        @property
        def client(self) -> ChatCompletionsClient:
            """The model's HTTP client (``ChatSambaNova.client``)."""
            ...

    def list_models(self) -> list[ModelInfo]:
        """List the models the service offers (``GET {base_url}/models``).

        Returns:
            One `ModelInfo` per model: id, context length, most completion
            tokens, and price per input and output token when the service
            gives them.

        Raises:
            SambaNovaError: The package's typed error for a failed request or
                an unreadable answer.
        """
        return list_models(
            self.client.sync_http(),
            self.base_url,
            self._catalog_headers(),
            resolve_timeout(self.timeout, stream=False),
        )

    async def alist_models(self) -> list[ModelInfo]:
        """Async `list_models`.

        Returns:
            One `ModelInfo` per model the service offers.

        Raises:
            SambaNovaError: The package's typed error for a failed request or
                an unreadable answer.
        """
        return await alist_models(
            self.client.async_http(),
            self.base_url,
            self._catalog_headers(),
            resolve_timeout(self.timeout, stream=False),
        )

    def _catalog_headers(self) -> dict[str, str]:
        api_key = normalize_api_key(self.api_key)
        return build_headers(api_key, self.default_headers, stream=False)
