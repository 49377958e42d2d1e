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
        │   └── QuotaExceededError          429 daily quota used up (not retried)
        ├── APIStatusError                  any other non-2xx status (e.g. 409)
        ├── ServerError                     5xx           + ModelAPIError
        │   ├── StreamEventError            an error event inside a stream; when
        │   │                               the event says what kind, also that
        │   │                               kind's class (Stream<Kind>Error)
        │   └── ResponseDecodeError         a body or chunk that is not valid JSON
        ├── APITimeoutError                 408, client timeouts + ModelTimeoutError
        └── APIConnectionError              refused, reset    + ModelConnectionError
            └── StreamInterruptedError      stream cut before ``data: [DONE]``

``is_retryable`` on every error comes from the one retry policy
(``_retry.DEFAULT_POLICY``), so it always says what the client itself does:
a 409 is retried and says so; a read timeout is not, and says so too.

Messages are cut to about 2 KB (and marked as cut); the whole body the server
sent stays on ``error.body``.

Bad input (out-of-range parameters, unsupported content, unknown tool names)
raises ``ValueError`` before any request is sent; it never reaches this tree.
"""

from __future__ import annotations

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

from langchain_provider._retry import DEFAULT_POLICY

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
    "QuotaExceededError",
    "RateLimitError",
    "ResponseDecodeError",
    "SambaNovaError",
    "ServerError",
    "StreamAuthenticationError",
    "StreamContextLengthExceededError",
    "StreamEventError",
    "StreamInterruptedError",
    "StreamInvalidRequestError",
    "StreamNotFoundError",
    "StreamPermissionDeniedError",
    "StreamRateLimitError",
    "StreamTimeoutError",
    "error_from_payload",
    "error_from_response",
]

MAX_MESSAGE_CHARS = 2000


def cut_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [cut: {len(text) - limit:,} more characters in .body]"


class SambaNovaError(ModelError):
    """Base class of every error raised for a failed SambaNova API call.

    Attributes:
        message: The server's message (cut to about 2 KB), or a description of
            the client-side fault.
        status_code: The HTTP status, when the server answered with one.
        code: The server's machine-readable error code (e.g. ``rate_limit_exceeded``).
        param: The request field the server blamed, if any.
        error_type: The server's error ``type`` (e.g. ``invalid_request_error``).
        request_id: The server's request id, useful when reporting a problem.
        body: The whole error body or event the server sent, uncut, if any.
        rate_limit: The normalized rate-limit headers of the response, if sent
            (see ``_rate_limits``).
    """

    kind_status: int | None = None
    """The HTTP status that means this kind of failure; drives ``is_retryable``."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        param: str | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        body: str | None = None,
        rate_limit: dict[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.message = cut_message(message)
        self.status_code = status_code
        self.code = code
        self.param = param
        self.error_type = error_type
        self.request_id = request_id
        self.body = body
        self.rate_limit = rate_limit
        self.is_retryable = (
            self._default_retryable() if retryable is None else retryable
        )
        """Whether sending the same request again may succeed, per the retry policy.

        The policy's verdict on this very response (``x-should-retry``
        included) when the client raised it; otherwise its verdict on the
        error's status, or on the status its kind stands for."""
        super().__init__(self._describe())

    def _default_retryable(self) -> bool:
        return DEFAULT_POLICY.retryable_status(self.status_code or self.kind_status)

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
            "body": self.body,
            "rate_limit": self.rate_limit,
            "retryable": self.is_retryable,
        }


def _rebuild_error(
    cls: type[SambaNovaError], message: str, fields: dict[str, Any]
) -> SambaNovaError:
    return cls(message, **fields)


class InvalidRequestError(SambaNovaError, ModelInvalidRequestError):
    """The service rejected the request as invalid (HTTP 400 or 422)."""

    kind_status = 400


class ContextLengthExceededError(InvalidRequestError, ContextOverflowError):
    """The prompt does not fit the model's context window.

    Raised for the ``context_length_exceeded`` code.
    """


class AuthenticationError(SambaNovaError, ModelAuthenticationError):
    """The API key is missing, malformed or revoked (HTTP 401)."""

    kind_status = 401


class PermissionDeniedError(SambaNovaError, ModelPermissionDeniedError):
    """The key may not use this model or endpoint (HTTP 403)."""

    kind_status = 403


class PaymentRequiredError(PermissionDeniedError):
    """The account needs a payment method before it can call the API (HTTP 402)."""

    kind_status = 402


class NotFoundError(SambaNovaError, ModelNotFoundError):
    """The model does not exist, was removed or is deprecated (HTTP 404 or 410)."""

    kind_status = 404


class RateLimitError(SambaNovaError, ModelRateLimitError):
    """The rate limit was hit or the service queue is full (HTTP 429).

    ``rate_limit`` holds the response's normalized rate-limit headers, when
    the service sent any.
    """

    kind_status = 429


class QuotaExceededError(RateLimitError):
    """A 429 that reports a used-up quota (e.g. the daily one): never retried.

    Retrying within seconds cannot succeed, so the client raises at once.

    Attributes:
        reset_seconds: Seconds until the quota resets, when the response said.
    """

    def __init__(
        self, message: str, *, reset_seconds: float | None = None, **fields: Any
    ) -> None:
        self.reset_seconds = reset_seconds
        fields["retryable"] = False
        super().__init__(message, **fields)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "reset_seconds": self.reset_seconds}


class APIStatusError(SambaNovaError):
    """A non-success status with no more specific class (e.g. 409 conflict)."""


class ServerError(SambaNovaError, ModelAPIError):
    """The service failed while handling the request (HTTP 5xx)."""

    kind_status: int | None = 500


class StreamEventError(ServerError):
    """The service reported an error inside a stream (or in a 200 body).

    When the event says what kind of error it is (its code, type or status),
    the error is also that kind's class, e.g. ``StreamRateLimitError`` is a
    ``RateLimitError`` too; otherwise it counts as a server failure.
    """


class ResponseDecodeError(ServerError):
    """A response body or stream chunk was not the JSON the API promises.

    Not retried: the server answered, and the same request would likely get
    the same unreadable answer.
    """

    kind_status = None


class APITimeoutError(SambaNovaError, ModelTimeoutError):
    """The request timed out, on the client or reported by the server (HTTP 408).

    A server's 408 is retried; a client-side read timeout is not (``timeout``
    is the longest the caller agreed to wait), and ``is_retryable`` says so.
    """

    kind_status = 408


class APIConnectionError(SambaNovaError, ModelConnectionError):
    """The service could not be reached, or the connection broke."""

    def _default_retryable(self) -> bool:
        return True  # the policy retries failures to connect


class StreamInterruptedError(APIConnectionError):
    """A stream ended before the service sent its closing ``data: [DONE]``."""


class StreamInvalidRequestError(StreamEventError, InvalidRequestError):
    """An in-stream error that says the request was invalid."""

    kind_status = 400


class StreamContextLengthExceededError(StreamEventError, ContextLengthExceededError):
    """An in-stream error that says the prompt does not fit the context."""

    kind_status = 400


class StreamAuthenticationError(StreamEventError, AuthenticationError):
    """An in-stream error that says the key was refused."""

    kind_status = 401


class StreamPermissionDeniedError(StreamEventError, PermissionDeniedError):
    """An in-stream error that says the key may not do this."""

    kind_status = 403


class StreamNotFoundError(StreamEventError, NotFoundError):
    """An in-stream error that says the model was not found."""

    kind_status = 404


class StreamRateLimitError(StreamEventError, RateLimitError):
    """An in-stream error that says a rate limit was hit."""

    kind_status = 429


class StreamTimeoutError(StreamEventError, APITimeoutError):
    """An in-stream error that says the server timed out."""

    kind_status = 408


def error_from_payload(
    payload: Any,
    *,
    status_code: int | None,
    request_id: str | None = None,
    default_class: type[SambaNovaError] | None = None,
) -> SambaNovaError:
    """Build the typed error for a decoded error body or in-stream error event.

    Kept for callers of earlier versions; ``_classify.classify`` does the work.

    Args:
        payload: The decoded JSON: ``{"error": {...}, "request_id": ...}``, a bare
            error object, or any other value (used as the message).
        status_code: The HTTP status that carried it, if any.
        request_id: A request id from the response headers, used when the body
            has none.
        default_class: ``StreamEventError`` marks an in-stream error; other
            values are ignored (the classifier decides).

    Returns:
        The matching ``SambaNovaError`` subclass instance.
    """
    from langchain_provider._classify import classify

    in_stream = default_class is not None and issubclass(
        default_class, StreamEventError
    )
    return classify(
        payload, status_code=status_code, request_id=request_id, in_stream=in_stream
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
    from langchain_provider._classify import error_from_http

    return error_from_http(status_code, body, headers)
