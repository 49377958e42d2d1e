"""What happens around every response: rate-limit headers and the access log.

An ASGI wrapper around the app, so that JSON bodies, streams and errors all
get the same treatment in one place. With both features off (the default) it
hands the request straight to the app: the streaming path pays nothing.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._app import error_response
from ._errors import ApiError
from ._rate_limits import RateLimitCounter, RateLimiter
from ._state import EmulatorState

ACCESS_LOGGER = "langchain_provider.emulator.access"
"""The logger the access log writes to (INFO), one line per request."""

_COUNTED_PATH = "/v1/chat/completions"
_access = logging.getLogger(ACCESS_LOGGER)


def with_response_hooks(app: ASGIApp, state: EmulatorState) -> ASGIApp:
    """Wrap `app` so its responses get the hooks the live config asks for.

    Args:
        app: The emulator's ASGI app.
        state: The shared state; its config is read at every request.
    """
    counter = RateLimitCounter()
    limiter = RateLimiter()

    async def hooked(scope: Scope, receive: Receive, send: Send) -> None:
        config = state.config
        if scope["type"] != "http" or not (
            config.rate_limit_headers or config.log_requests or config.rate_limit
        ):
            await app(scope, receive, send)
            return
        extra: list[tuple[bytes, bytes]] = []
        target = app
        if config.rate_limit and scope["path"] == _COUNTED_PATH:
            admission = limiter.admit(_authorization(scope), config.rate_limit)
            extra = [(n.encode(), v.encode()) for n, v in admission.headers.items()]
            if not admission.admitted:
                target = error_response(
                    ApiError(
                        429,
                        limiter.over_limit_message(config.rate_limit),
                        code="rate_limit_exceeded",
                    )
                )
        if config.rate_limit_headers and scope["path"] == _COUNTED_PATH:
            # The enforced limit's headers win over the reported ones.
            taken = {name for name, _ in extra}
            extra += [
                (name, value)
                for name, value in counter.headers(
                    config.rate_limit_per_minute, config.rate_limit_per_day
                )
                if name not in taken
            ]
        entry = _Entry(scope["method"], scope["path"])

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                entry.body += message.get("body", b"")
            return message

        async def hooked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A scripted response's own rate-limit headers win (daily quota).
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
                entry.started(message["status"], headers)
            await send(message)

        try:
            await target(scope, recording_receive, hooked_send)
        finally:
            if config.log_requests:
                _access.info(entry.line())

    return hooked


def _authorization(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return ""


class _Entry:
    """One access-log line in the making."""

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = path
        self.body = b""
        self.status: int | None = None
        self.streamed = False
        self.begun = time.perf_counter()

    def started(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status = status
        content_type = dict(headers).get(b"content-type", b"")
        self.streamed = content_type.startswith(b"text/event-stream")

    def line(self) -> str:
        elapsed_ms = (time.perf_counter() - self.begun) * 1000
        status = "-" if self.status is None else str(self.status)
        return (
            f"{self.method} {self.path} {status} model={self._model()} "
            f"stream={'yes' if self.streamed else 'no'} {elapsed_ms:.1f} ms"
        )

    def _model(self) -> str:
        try:
            body: Any = json.loads(self.body) if self.body else None
        except ValueError:
            return "-"
        model = body.get("model") if isinstance(body, dict) else None
        return str(model) if model else "-"
