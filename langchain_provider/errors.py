"""The exceptions this package raises, one tree for every failure.

Each class also inherits the matching ``langchain_core.exceptions`` class, so
code written against LangChain's provider-neutral vocabulary (``except
ModelRateLimitError``, ``exc.is_retryable``) works unchanged::

    ModelError (langchain_core)
    └── SambaNovaError                      status, message, code, param, request_id
        ├── InvalidRequestError             400, 422      + ModelInvalidRequestError
        │   └── ContextLengthExceededError  400 context_length_exceeded
        │                                                 + ContextOverflowError
        ├── AuthenticationError             401           + ModelAuthenticationError
        ├── PermissionDeniedError           403           + ModelPermissionDeniedError
        │   └── PaymentRequiredError        402
        ├── NotFoundError                   404, 410      + ModelNotFoundError
        ├── RateLimitError                  429           + ModelRateLimitError
        ├── APIStatusError                  any other non-2xx status (e.g. 409)
        ├── ServerError                     5xx           + ModelAPIError
        │   ├── StreamEventError            an error event inside a stream
        │   └── ResponseDecodeError         a body or chunk that is not valid JSON
        ├── APITimeoutError                 408, client timeouts + ModelTimeoutError
        └── APIConnectionError              refused, reset    + ModelConnectionError
            └── StreamInterruptedError      stream cut before ``data: [DONE]``

Bad input (out-of-range parameters, unsupported content, unknown tool names)
raises ``ValueError`` before any request is sent; it never reaches this tree.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ContextLengthExceededError",
    "InvalidRequestError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseDecodeError",
    "SambaNovaError",
    "ServerError",
    "StreamEventError",
    "StreamInterruptedError",
    "error_from_payload",
    "error_from_response",
]


class SambaNovaError(ModelError):
    """Base class of every error raised for a failed SambaNova API call.

    Attributes:
        message: The server's message, or a description of the client-side fault.
        status_code: The HTTP status, when the server answered with one.
        code: The server's machine-readable error code (e.g. ``rate_limit_exceeded``).
        param: The request field the server blamed, if any.
        error_type: The server's error ``type`` (e.g. ``invalid_request_error``).
        request_id: The server's request id, useful when reporting a problem.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        param: str | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.code = code
        self.param = param
        self.error_type = error_type
        self.request_id = request_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        head = "SambaNova API error"
        if self.status_code is not None:
            head += f" {self.status_code}"
        if self.code:
            head += f" ({self.code})"
        text = f"{head}: {self.message}"
        if self.param:
            text += f" [param={self.param}]"
        if self.request_id:
            text += f" [request_id={self.request_id}]"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor arguments need explicit pickling support so
        # errors survive multiprocessing and LangGraph checkpoints.
        return (_rebuild_error, (type(self), self.message, self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {
            "status_code": self.status_code,
            "code": self.code,
            "param": self.param,
            "error_type": self.error_type,
            "request_id": self.request_id,
        }


def _rebuild_error(
    cls: type[SambaNovaError], message: str, fields: dict[str, Any]
) -> SambaNovaError:
    return cls(message, **fields)


class InvalidRequestError(SambaNovaError, ModelInvalidRequestError):
    """The service rejected the request as invalid (HTTP 400 or 422)."""


class ContextLengthExceededError(InvalidRequestError, ContextOverflowError):
    """The prompt does not fit the model's context window.

    Raised for the ``context_length_exceeded`` code.
    """


class AuthenticationError(SambaNovaError, ModelAuthenticationError):
    """The API key is missing, malformed or revoked (HTTP 401)."""


class PermissionDeniedError(SambaNovaError, ModelPermissionDeniedError):
    """The key may not use this model or endpoint (HTTP 403)."""


class PaymentRequiredError(PermissionDeniedError):
    """The account needs a payment method before it can call the API (HTTP 402)."""


class NotFoundError(SambaNovaError, ModelNotFoundError):
    """The model does not exist, was removed or is deprecated (HTTP 404 or 410)."""


class RateLimitError(SambaNovaError, ModelRateLimitError):
    """The rate limit was hit or the service queue is full (HTTP 429)."""


class APIStatusError(SambaNovaError):
    """A non-success status with no more specific class (e.g. 409 conflict)."""


class ServerError(SambaNovaError, ModelAPIError):
    """The service failed while handling the request (HTTP 5xx)."""


class StreamEventError(ServerError):
    """The service reported an error inside a stream, after it had started."""


class ResponseDecodeError(ServerError):
    """A response body or stream chunk was not the JSON the API promises."""


class APITimeoutError(SambaNovaError, ModelTimeoutError):
    """The request timed out, on the client or reported by the server (HTTP 408)."""


class APIConnectionError(SambaNovaError, ModelConnectionError):
    """The service could not be reached, or the connection broke."""


class StreamInterruptedError(APIConnectionError):
    """A stream ended before the service sent its closing ``data: [DONE]``."""


_STATUS_CLASSES: dict[int, type[SambaNovaError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: APITimeoutError,
    410: NotFoundError,
    422: InvalidRequestError,
    429: RateLimitError,
}

# Codes that say "the prompt is too long" whatever the status that carries them.
_CONTEXT_OVERFLOW_CODES = frozenset(
    {"context_length_exceeded", "context_window_exceeded"}
)


def _error_class(status_code: int | None, code: str | None) -> type[SambaNovaError]:
    if code in _CONTEXT_OVERFLOW_CODES:
        return ContextLengthExceededError
    if status_code is None:
        return ServerError
    if status_code in _STATUS_CLASSES:
        return _STATUS_CLASSES[status_code]
    if status_code >= 500:
        return ServerError
    return APIStatusError


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


def error_from_payload(
    payload: Any,
    *,
    status_code: int | None,
    request_id: str | None = None,
    default_class: type[SambaNovaError] | None = None,
) -> SambaNovaError:
    """Build the typed error for a decoded error body or in-stream error event.

    Args:
        payload: The decoded JSON: ``{"error": {...}, "request_id": ...}``, a bare
            error object, or any other value (used as the message).
        status_code: The HTTP status that carried it, if any.
        request_id: A request id from the response headers, used when the body
            has none.
        default_class: The class to use when neither status nor code decides
            (in-stream errors use ``StreamEventError``).

    Returns:
        The matching ``SambaNovaError`` subclass instance.
    """
    error: Any = payload
    if isinstance(payload, dict):
        request_id = _as_text(payload.get("request_id")) or request_id
        error = payload.get("error", payload)
    if isinstance(error, dict):
        message = _as_text(error.get("message")) or json.dumps(error)
        code = _as_text(error.get("code"))
        param = _as_text(error.get("param"))
        error_type = _as_text(error.get("type"))
    else:
        message, code, param, error_type = str(error), None, None, None
    if default_class is not None and code not in _CONTEXT_OVERFLOW_CODES:
        cls = default_class
    else:
        cls = _error_class(status_code, code)
    return cls(
        message,
        status_code=status_code,
        code=code,
        param=param,
        error_type=error_type,
        request_id=request_id,
    )


def error_from_response(status_code: int, body: bytes, headers: Any) -> SambaNovaError:
    """Build the typed error for a non-success HTTP response.

    Handles the service's JSON error shape and plain-text bodies alike.

    Args:
        status_code: The response status.
        body: The raw response body.
        headers: The response headers (a mapping with case-insensitive ``get``).

    Returns:
        The matching ``SambaNovaError`` subclass instance.
    """
    request_id = headers.get("x-request-id") or headers.get("request-id")
    text = body.decode("utf-8", errors="replace").strip()
    try:
        payload: Any = json.loads(text) if text else None
    except json.JSONDecodeError:
        payload = None
    if payload is None:
        # Some endpoints answer with a text/plain body (seen with 422).
        payload = text or f"HTTP {status_code} with an empty body"
    return error_from_payload(payload, status_code=status_code, request_id=request_id)
