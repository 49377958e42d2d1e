"""The error the emulator answers with, in the service's shape."""

from __future__ import annotations

from collections.abc import Mapping

_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "payment_required",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    410: "not_found_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}

_MESSAGE_BY_STATUS = {
    400: "Invalid request",
    401: "Invalid API key",
    402: "Payment method required",
    404: "Not found",
    408: "Request timeout",
    410: "Model deprecated",
    422: "Unprocessable entity",
    429: "Request would exceed rate limit",
    500: "Internal server error",
    503: "Service unavailable",
    504: "Queue full",
}


def default_type(status: int) -> str:
    """Return the error ``type`` the service uses for an HTTP status.

    Args:
        status: The HTTP status code.
    """
    return _TYPE_BY_STATUS.get(status, "server_error" if status >= 500 else "error")


def default_message(status: int) -> str:
    """Return a plausible error message for an HTTP status.

    Args:
        status: The HTTP status code.
    """
    return _MESSAGE_BY_STATUS.get(status, f"HTTP error {status}")


class ApiError(Exception):
    """An error response: raised inside the emulator, rendered by the app.

    Attributes:
        status: HTTP status code.
        message: Human-readable message (the whole body when `plain_text`).
        type: The ``error.type`` field.
        param: The request field at fault, or None.
        code: The ``error.code`` field, or None.
        headers: Extra response headers (e.g. ``retry-after``).
        plain_text: Send a ``text/plain`` body holding only the message.
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        type: str | None = None,  # named like the wire field it fills
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        plain_text: bool = False,
    ) -> None:
        self.status = status
        self.message = message if message is not None else default_message(status)
        self.type = type if type is not None else default_type(status)
        self.param = param
        self.code = code
        self.headers = dict(headers or {})
        self.plain_text = plain_text
        super().__init__(self.message)


def invalid(message: str, param: str | None, code: str) -> ApiError:
    """Build a 400 ``invalid_request_error`` naming the field at fault.

    Args:
        message: What is wrong, including the allowed range where there is one.
        param: The request field at fault.
        code: The machine-readable error code.
    """
    return ApiError(400, message, param=param, code=code)
