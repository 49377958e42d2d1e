"""One classifier from "what the server said" to the package's error class.

An HTTP status with its body, a 200 whose body is an error object, and an
error event inside a stream all go through ``classify``, so the same meaning
always gives the same class: a rate limit is a ``RateLimitError`` whether it
came as a 429 or as ``{"error": {"code": "rate_limit_exceeded"}}`` mid-stream
(where it is a ``StreamRateLimitError``, also a ``StreamEventError``). Whether
the error is worth retrying is the retry policy's verdict on that meaning.

Pure: no I/O, only decoding of bytes already read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_provider._rate_limits import rate_limit_from_headers
from langchain_provider._retry import DEFAULT_POLICY, RetryPolicy, quota_reset_seconds
from langchain_provider.errors import (
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ContextLengthExceededError,
    InvalidRequestError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    SambaNovaError,
    ServerError,
    StreamAuthenticationError,
    StreamContextLengthExceededError,
    StreamEventError,
    StreamInvalidRequestError,
    StreamNotFoundError,
    StreamPermissionDeniedError,
    StreamRateLimitError,
    StreamTimeoutError,
)

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
# The in-stream twin of each class: both that class and a StreamEventError.
_STREAM_CLASSES: dict[type[SambaNovaError], type[SambaNovaError]] = {
    InvalidRequestError: StreamInvalidRequestError,
    ContextLengthExceededError: StreamContextLengthExceededError,
    AuthenticationError: StreamAuthenticationError,
    PaymentRequiredError: StreamPermissionDeniedError,
    PermissionDeniedError: StreamPermissionDeniedError,
    NotFoundError: StreamNotFoundError,
    RateLimitError: StreamRateLimitError,
    APITimeoutError: StreamTimeoutError,
}
# Codes that say "the prompt is too long" whatever the status that carries them.
CONTEXT_OVERFLOW_CODES = frozenset(
    {"context_length_exceeded", "context_window_exceeded"}
)
# What an error's ``code`` or ``type`` says, as the HTTP status that means it
# (OpenAI's and Anthropic's vocabularies, which servers in front of the API use).
_WORD_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "bad_request": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "invalid_authentication": 401,
    "permission_error": 403,
    "permission_denied": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "timeout": 408,
    "timeout_error": 408,
    "request_timeout": 408,
    "rate_limit_exceeded": 429,
    "rate_limit_error": 429,
    "too_many_requests": 429,
    "queue_full": 429,
    "server_error": 500,
    "api_error": 500,
    "internal_error": 500,
    "overloaded_error": 503,
    "overloaded": 503,
    "service_unavailable": 503,
}
_STATUS_KEYS = ("status", "status_code", "http_status", "code")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _status_in(error: Mapping[str, Any]) -> int | None:
    """A numeric HTTP status the error object itself carries, if any."""
    for key in _STATUS_KEYS:
        value = error.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            status = int(value)
            if 400 <= status <= 599:
                return status
    return None


def _meaning(error: Mapping[str, Any], status_code: int | None) -> int | None:
    """The HTTP status an error means: the response's, else what it says."""
    if status_code is not None and status_code >= 400:
        return status_code
    said = _status_in(error)
    if said is not None:
        return said
    for key in ("code", "type"):
        word = str(error.get(key) or "").lower()
        if word in _WORD_STATUS:
            return _WORD_STATUS[word]
    return None


def class_for(status: int | None, code: str | None) -> type[SambaNovaError]:
    """The error class for an (effective) HTTP status and an error code."""
    if code in CONTEXT_OVERFLOW_CODES:
        return ContextLengthExceededError
    if status is None or status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, APIStatusError)


def _fields(payload: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a payload into its error object and the error's text fields."""
    error: Any = payload
    if isinstance(payload, dict):
        error = payload.get("error", payload)
    if not isinstance(error, dict):
        return {}, {"message": str(error)}
    message = error.get("message")
    if message is None or message == "":
        message = json.dumps(error, default=str)
    return error, {
        "message": str(message),
        "code": _text(error.get("code")),
        "param": _text(error.get("param")),
        "error_type": _text(error.get("type")),
    }


def classify(
    payload: Any,
    *,
    status_code: int | None,
    request_id: str | None = None,
    in_stream: bool = False,
    body: str | None = None,
    rate_limit: dict[str, Any] | None = None,
    retryable: bool | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> SambaNovaError:
    """The typed error for what the server said.

    Args:
        payload: The decoded error: ``{"error": {...}, "request_id": ...}``, a
            bare error object, or any other value (used as the message).
        status_code: The HTTP status that carried it (``None`` for a 200 body
            or an in-stream event).
        request_id: A request id from the headers, used when the body has none.
        in_stream: Whether it arrived inside an event stream.
        body: The raw text, kept whole on the error.
        rate_limit: Normalized rate-limit headers, kept on the error.
        retryable: The policy's verdict when the caller already made it (e.g.
            with ``x-should-retry``); otherwise derived from the meaning.
        policy: The retry policy whose verdict ``is_retryable`` reports.

    Returns:
        The matching ``SambaNovaError`` subclass instance.
    """
    error, fields = _fields(payload)
    if isinstance(payload, dict):
        request_id = _text(payload.get("request_id")) or request_id
    meaning = _meaning(error, status_code)
    cls = class_for(meaning, fields.get("code"))
    if in_stream:
        cls = _STREAM_CLASSES.get(cls, StreamEventError)
    if retryable is None:
        retryable = policy.retryable_status(meaning or cls.kind_status)
    if issubclass(cls, RateLimitError) and policy.is_quota_exhausted(
        f"{fields['message']} {body or ''}", rate_limit
    ):
        return _quota_error(fields, status_code, request_id, body, rate_limit)
    return cls(
        fields.pop("message"),
        status_code=status_code if status_code is not None else _status_in(error),
        request_id=request_id,
        body=body,
        rate_limit=rate_limit,
        retryable=retryable,
        **fields,
    )


def _quota_error(
    fields: dict[str, Any],
    status_code: int | None,
    request_id: str | None,
    body: str | None,
    rate_limit: dict[str, Any] | None,
) -> QuotaExceededError:
    reset = quota_reset_seconds(rate_limit)
    when = f"in {_duration(reset)}" if reset is not None else "at the end of its window"
    message = f"Quota used up, not retried; it resets {when}. {fields.pop('message')}"
    return QuotaExceededError(
        message,
        reset_seconds=reset,
        status_code=status_code,
        request_id=request_id,
        body=body,
        rate_limit=rate_limit,
        **fields,
    )


def _duration(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def decode_json(text: str) -> Any:
    """``json.loads`` that reports absurd nesting as bad JSON, not RecursionError."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply to decode") from exc


def error_from_http(
    status_code: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    unreadable: str | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> SambaNovaError:
    """The typed error for a non-success HTTP response.

    Args:
        status_code: The response status.
        body: The raw body (JSON error shape or plain text).
        headers: The response headers (case-insensitive ``get``).
        unreadable: Why the body could not be read (e.g. corrupt gzip); the
            status still decides the class.
        policy: The retry policy.

    Returns:
        The matching ``SambaNovaError`` subclass instance.
    """
    request_id = headers.get("x-request-id") or headers.get("request-id")
    text = body.decode("utf-8", errors="replace").strip()
    try:
        payload: Any = decode_json(text) if text else None
    except ValueError:
        payload = None
    if payload is None:
        # Some endpoints answer with a text/plain body (seen with 422).
        payload = text or f"HTTP {status_code} with an empty body"
    if unreadable:
        payload = f"HTTP {status_code}; the error body could not be read ({unreadable})"
    return classify(
        payload,
        status_code=status_code,
        request_id=request_id,
        body=text or None,
        rate_limit=rate_limit_from_headers(headers),
        retryable=policy.should_retry_response(status_code, headers),
        policy=policy,
    )
