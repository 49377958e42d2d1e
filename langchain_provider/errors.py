"""The exceptions this package raises, one tree for every failure.

Each class also inherits the matching ``langchain_core.exceptions`` class, so
code written against LangChain's provider-neutral vocabulary (``except
ModelRateLimitError``, ``exc.is_retryable``) works unchanged::

    ModelError (langchain_core)
    └── SambaNovaError                      status, message, code, param, request_id
        ├── InvalidRequestError             400, 422      + ModelInvalidRequestError
        │   └── ContextLengthExceededError  400 context_length_exceeded, or its message
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

What the server said becomes one of these classes in one place,
``classify``: an HTTP status with its body, a 200 whose body is an error
object, and an error event inside a stream all go through it, so the same
meaning always gives the same class (a rate limit is a ``RateLimitError``
whether it came as a 429 or as ``{"error": {"code": "rate_limit_exceeded"}}``
mid-stream). Failures of httpx and of decoding are translated by
``_http.translate_failures``, the one seam around every transport call.

Messages are cut to about 2 KB (and marked as cut); the whole body the server
sent stays on ``error.body``.

Bad input (out-of-range parameters, unsupported content, unknown tool names)
raises ``ValueError`` before any request is sent; it never reaches this tree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
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

from langchain_provider._rate_limits import rate_limit_from_headers
from langchain_provider._retry import DEFAULT_POLICY, RetryPolicy, quota_reset_seconds

# -- the exception tree --------------------------------------------------------

MAX_MESSAGE_CHARS = 2000


# What `cut_message` appends: a message that already ends with it at the limit
# was cut before (an error rebuilt by pickle or deepcopy) and stays as it is.
_CUT_MARK = re.compile(r"\.\.\. \[cut: [\d,]+ more characters in \.body\]")


def cut_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit or _CUT_MARK.fullmatch(text, limit):
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

    typical_status: int | None = None
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
        return DEFAULT_POLICY.retryable_status(self.status_code or self.typical_status)

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

    typical_status = 400


class ContextLengthExceededError(InvalidRequestError, ContextOverflowError):
    """The prompt does not fit the model's context window.

    Raised for the ``context_length_exceeded`` code, and for a 400 whose code
    is null but whose message is the service's "The maximum context length of
    <model> is <n>. ... Please reduce the length of the messages ...".
    """


class AuthenticationError(SambaNovaError, ModelAuthenticationError):
    """The API key is missing, malformed or revoked (HTTP 401)."""

    typical_status = 401


class PermissionDeniedError(SambaNovaError, ModelPermissionDeniedError):
    """The key may not use this model or endpoint (HTTP 403)."""

    typical_status = 403


class PaymentRequiredError(PermissionDeniedError):
    """The account needs a payment method before it can call the API (HTTP 402)."""

    typical_status = 402


class NotFoundError(SambaNovaError, ModelNotFoundError):
    """The model does not exist, was removed or is deprecated (HTTP 404 or 410)."""

    typical_status = 404


class RateLimitError(SambaNovaError, ModelRateLimitError):
    """The rate limit was hit or the service queue is full (HTTP 429).

    ``rate_limit`` holds the response's normalized rate-limit headers, when
    the service sent any.
    """

    typical_status = 429


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

    typical_status: int | None = 500


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

    typical_status = None


class APITimeoutError(SambaNovaError, ModelTimeoutError):
    """The request timed out, on the client or reported by the server (HTTP 408).

    A server's 408 is retried; a client-side read timeout is not (``timeout``
    is the longest the caller agreed to wait), and ``is_retryable`` says so.
    """

    typical_status = 408


class APIConnectionError(SambaNovaError, ModelConnectionError):
    """The service could not be reached, or the connection broke."""

    def _default_retryable(self) -> bool:
        return True  # the policy retries failures to connect


class StreamInterruptedError(APIConnectionError):
    """A stream ended before the service sent its closing ``data: [DONE]``."""


class StreamInvalidRequestError(StreamEventError, InvalidRequestError):
    """An in-stream error that says the request was invalid."""

    typical_status = 400


class StreamContextLengthExceededError(StreamEventError, ContextLengthExceededError):
    """An in-stream error that says the prompt does not fit the context."""

    typical_status = 400


class StreamAuthenticationError(StreamEventError, AuthenticationError):
    """An in-stream error that says the key was refused."""

    typical_status = 401


class StreamPermissionDeniedError(StreamEventError, PermissionDeniedError):
    """An in-stream error that says the key may not do this."""

    typical_status = 403


class StreamNotFoundError(StreamEventError, NotFoundError):
    """An in-stream error that says the model was not found."""

    typical_status = 404


class StreamRateLimitError(StreamEventError, RateLimitError):
    """An in-stream error that says a rate limit was hit."""

    typical_status = 429


class StreamTimeoutError(StreamEventError, APITimeoutError):
    """An in-stream error that says the server timed out."""

    typical_status = 408


# -- classification: what the server said -> which class -----------------------

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
# The service's own context-overflow message, which arrives with a null code:
# "The maximum context length of DeepSeek-V3-0324 is 32768. However, answering
# your request will take 39732 tokens. Please reduce the length of the messages
# or the specified max_completion_tokens value." (quoted by its clients); and
# OpenAI's "This model's maximum context length is ..." wording.
_CONTEXT_OVERFLOW_MESSAGE = re.compile(
    r"maximum context length (?:of .+ )?is \d+|reduce the length of the messages",
    re.IGNORECASE,
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


def class_for(
    status: int | None, code: str | None, message: str = ""
) -> type[SambaNovaError]:
    """The error class for an (effective) HTTP status, error code and message."""
    if code in CONTEXT_OVERFLOW_CODES:
        return ContextLengthExceededError
    # Without a code, only the message tells a context overflow from any other
    # bad request; only a 400 (or an in-stream error that names no status)
    # can be one, so a 5xx or a 429 quoting the words is not misread.
    if (
        code is None
        and status in (400, None)
        and _CONTEXT_OVERFLOW_MESSAGE.search(message)
    ):
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
    cls = class_for(meaning, fields.get("code"), fields["message"])
    if in_stream:
        cls = _STREAM_CLASSES.get(cls, StreamEventError)
    if retryable is None:
        retryable = policy.retryable_status(meaning or cls.typical_status)
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
    if 300 <= status_code < 400:
        return _redirect_error(status_code, headers, request_id)
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


def _redirect_error(
    status_code: int, headers: Mapping[str, str], request_id: str | None
) -> APIStatusError:
    # The client never follows redirects (a POST body must not be resent to a
    # place the user did not choose): the fix is a base_url pointing there.
    location = headers.get("location")
    where = f" to {location!r}" if location else ""
    return APIStatusError(
        f"The URL answered with a redirect ({status_code}){where} instead of an "
        "API response: set base_url to the URL the API is served at.",
        status_code=status_code,
        request_id=request_id,
        retryable=False,
    )
