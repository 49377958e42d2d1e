"""HTTP for the chat completion endpoint: build, send, retry; sync and async twins.

Everything that is not I/O lives in plain functions (``build_headers``,
``retry_delay``, ``transport_error``) that both twins call, so the sync and
async methods differ only in ``await``. httpx's errors are translated to the
``langchain_provider.errors`` tree here and nowhere else (what the server
says in a stream is read by ``_streaming``).

Retry policy (the vendor SDK's, made explicit): statuses 408, 409, 429 and 5xx,
and failures to connect or connections dropped before a response, are retried
up to ``max_retries`` times with exponential backoff and jitter, honouring
``retry-after-ms``, ``retry-after`` (at most 60 s) and ``x-should-retry``.
Read timeouts are not retried: the caller's ``timeout`` is the longest they
asked to wait. A stream is retried only until its first chunk arrives (an
in-stream error event before it counts as a 5xx); after that a failure raises,
because chunks were already handed to the caller.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import threading
import time
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
)
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from langchain_provider._streaming import aiter_chunks, iter_chunks
from langchain_provider._version import __version__
from langchain_provider.errors import (
    APIConnectionError,
    APITimeoutError,
    ResponseDecodeError,
    SambaNovaError,
    StreamEventError,
    StreamInterruptedError,
    error_from_payload,
    error_from_response,
)

logger = logging.getLogger("langchain_provider")

USER_AGENT = f"langchain-provider/{__version__}"
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0
# Connections: generous yet bounded, since agents fan out widely. Idle ones
# kept: few, like the vendor's SDK (20). httpcore 1.0 rescans every pooled
# connection for each idle one on every request start and end, so a big idle
# pool makes wide fan-outs quadratic: 256 concurrent requests took ~5x longer.
POOL_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=20)

_RETRY_STATUSES = frozenset({408, 409, 429})
# Transport failures after which the request can safely be sent again: the
# server never produced a response. Timeouts other than connect are excluded.
_RETRYABLE_TRANSPORT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


class _Failure(Exception):
    """Internal: one attempt failed; carries the typed error and whether to retry."""

    def __init__(self, error: SambaNovaError, retryable: bool, headers: Any = None):
        super().__init__(str(error))
        self.error = error
        self.retryable = retryable
        self.headers = headers


def build_headers(
    api_key: SecretStr | None, extra: Mapping[str, str] | None, *, stream: bool
) -> dict[str, str]:
    """Return the request headers; the key is read here and nowhere else."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
        "User-Agent": USER_AGENT,
    }
    if extra:
        headers.update(extra)
    if api_key is not None and api_key.get_secret_value():
        headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
    return headers


def _seconds_from_retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            milliseconds = float(value)
        except ValueError:
            milliseconds = math.nan
        if math.isfinite(milliseconds):
            return milliseconds / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds):
        return seconds
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        # Neither seconds nor an HTTP date: ignore the hint, fall back to backoff.
        return None
    return parsed.timestamp() - time.time()


def retry_delay(attempt: int, headers: Any = None) -> float:
    """Seconds to wait before retry number ``attempt + 1``.

    The server's ``retry-after-ms`` or ``retry-after`` wins when it is between 0
    and 60 s; otherwise exponential backoff from 0.5 s, capped at 8 s, minus up
    to 25 % jitter so that many clients do not retry in lock step.
    """
    told = _seconds_from_retry_after(headers)
    if told is not None and 0 <= told <= MAX_RETRY_AFTER:
        return told
    backoff = min(INITIAL_BACKOFF * 2**attempt, MAX_BACKOFF)
    return backoff * (1 - 0.25 * random.random())


def should_retry_status(status_code: int, headers: Any) -> bool:
    """Whether a response with this status may be retried."""
    hint = (headers.get("x-should-retry") or "").lower() if headers else ""
    if hint in ("true", "false"):
        return hint == "true"
    return status_code in _RETRY_STATUSES or status_code >= 500


def transport_error(exc: httpx.TransportError, *, streaming: bool) -> SambaNovaError:
    """Translate an httpx transport error into the package's error tree."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"The request timed out ({type(exc).__name__}).")
    if streaming and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return StreamInterruptedError(
            f"The connection broke in the middle of the stream: {exc}"
        )
    return APIConnectionError(f"Could not reach the SambaNova API: {exc}")


def _failure_from_transport(
    exc: httpx.TransportError, *, streaming: bool = False
) -> _Failure:
    error = transport_error(exc, streaming=streaming)
    return _Failure(error, isinstance(exc, _RETRYABLE_TRANSPORT))


def _failure_from_response(response: httpx.Response, body: bytes) -> _Failure:
    error = error_from_response(response.status_code, body, response.headers)
    retryable = should_retry_status(response.status_code, response.headers)
    return _Failure(error, retryable, response.headers)


def _decode_json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise ResponseDecodeError(
            f"The response body is not valid JSON: {response.text[:200]!r}",
            status_code=response.status_code,
        ) from exc
    if not isinstance(body, dict):
        raise ResponseDecodeError("The response body is not a JSON object.")
    if body.get("error"):
        # A 200 that carries an error object is still a failure; its status
        # says nothing, so the error's code decides the class.
        raise error_from_payload(body, status_code=None)
    return body


_T = TypeVar("_T")
_OpenStream = tuple[httpx.Response, Iterator[dict[str, Any]], "dict[str, Any] | None"]
_AsyncOpenStream = tuple[
    httpx.Response, AsyncGenerator[dict[str, Any], None], "dict[str, Any] | None"
]


def _first_chunk_failure(exc: httpx.TransportError | StreamEventError) -> _Failure:
    """A failure before a stream's first chunk, as one attempt's failure.

    Nothing has reached the caller yet, so a dropped connection or an error
    event (the in-stream form of a 5xx) is retried like a failed request.
    Other failures (a malformed chunk, a cancellation) are not retried.
    """
    if isinstance(exc, httpx.TransportError):
        return _failure_from_transport(exc, streaming=True)
    return _Failure(exc, True)


def _cause(exc: BaseException) -> BaseException | None:
    # A typed error is its own explanation; an httpx error is kept as the cause.
    return exc if isinstance(exc, httpx.TransportError) else None


_shared_sync: dict[float, httpx.Client] = {}
# loop -> {timeout: (client, the async generator that closes it with the loop)}
_shared_async: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop,
    dict[float, tuple[httpx.AsyncClient, AsyncGenerator[None, None]]],
] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


async def _close_with_loop(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Close ``client`` when its event loop shuts down.

    ``asyncio.run`` (and ``loop.shutdown_asyncgens``) closes every async
    generator still suspended on the loop; this one's ``finally`` then closes
    the client's connections on the loop that owns them. Without it, each
    ``asyncio.run`` would leave a client, its sockets and the dead loop behind.
    """
    try:
        yield
    finally:
        await client.aclose()


def _register_closer(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    closer = _close_with_loop(client)
    step = closer.__anext__()  # first iteration: the loop now tracks `closer`
    try:
        step.send(None)  # runs to the `yield` without awaiting anything
    except StopIteration:
        pass
    return closer


def shared_sync_client(timeout: float) -> httpx.Client:
    """A process-wide client per timeout, so model instances share one pool."""
    with _shared_lock:
        client = _shared_sync.get(timeout)
        if client is None or client.is_closed:
            client = httpx.Client(timeout=timeout, limits=POOL_LIMITS)
            _shared_sync[timeout] = client
        return client


def shared_async_client(timeout: float) -> httpx.AsyncClient:
    """An async client per event loop and timeout.

    Pooled connections belong to the loop that opened them, so a client is
    never shared across loops (notebooks and ``asyncio.run`` create new ones),
    and it is closed when its loop shuts down.
    """
    loop = asyncio.get_running_loop()
    with _shared_lock:
        clients = _shared_async.setdefault(loop, {})
        entry = clients.get(timeout)
        if entry is not None and not entry[0].is_closed:
            return entry[0]
        for other in [other for other in _shared_async if other.is_closed()]:
            del _shared_async[other]  # loops closed without shutting down
        client = httpx.AsyncClient(timeout=timeout, limits=POOL_LIMITS)
        clients[timeout] = (client, _register_closer(client))
        return client


class ChatCompletionsClient:
    """Sends chat completion requests with retries; one instance per model.

    Args:
        base_url: The API root, e.g. ``https://api.sambanova.ai/v1``.
        api_key: The bearer key, or ``None`` for servers that need none.
        timeout: Seconds to wait for connect, each read and each write.
        max_retries: Retries after the first attempt.
        default_headers: Extra headers sent with every request.
        http_client: A caller-owned sync client; a shared one otherwise.
        http_async_client: A caller-owned async client; a shared one otherwise.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None,
        timeout: float,
        max_retries: int,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self._api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self._default_headers = dict(default_headers or {})
        self._http_client = http_client
        self._http_async_client = http_async_client

    def __repr__(self) -> str:
        return f"ChatCompletionsClient(url={self.url!r})"

    def _sync_client(self) -> httpx.Client:
        return self._http_client or shared_sync_client(self.timeout)

    def _async_client(self) -> httpx.AsyncClient:
        return self._http_async_client or shared_async_client(self.timeout)

    def _request(
        self,
        client: httpx.Client | httpx.AsyncClient,
        body: dict[str, Any],
        stream: bool,
    ) -> httpx.Request:
        headers = build_headers(self._api_key, self._default_headers, stream=stream)
        return client.build_request(
            "POST", self.url, json=body, headers=headers, timeout=self.timeout
        )

    def _delay_or_raise(self, failure: _Failure, attempt: int) -> float:
        """Seconds to wait before retrying, or raise the typed error if giving up."""
        if not failure.retryable or attempt >= self.max_retries:
            raise failure.error from failure.__cause__
        delay = retry_delay(attempt, failure.headers)
        logger.debug(
            "SambaNova request failed (%s); retry %d of %d in %.2fs",
            failure.error,
            attempt + 1,
            self.max_retries,
            delay,
        )
        return delay

    # -- sync -------------------------------------------------------------

    def _with_retries(self, attempt_once: Callable[[], _T]) -> _T:
        attempt = 0
        while True:
            try:
                return attempt_once()
            except _Failure as failure:
                delay = self._delay_or_raise(failure, attempt)
            time.sleep(delay)
            attempt += 1

    def _send(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        client = self._sync_client()
        request = self._request(client, body, stream)
        try:
            response = client.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise _failure_from_transport(exc) from exc
        if response.is_success:
            return response
        try:
            content = response.read()
        except httpx.TransportError as exc:
            # The error's body was cut short: still one failed attempt.
            raise _failure_from_transport(exc) from exc
        finally:
            response.close()
        raise _failure_from_response(response, content)

    def _open_stream(self, body: dict[str, Any]) -> _OpenStream:
        """Send the request and read up to the first chunk: the retryable part."""
        response = self._send(body, stream=True)
        chunks = iter_chunks(response)
        try:
            return response, chunks, next(chunks, None)
        except (httpx.TransportError, StreamEventError) as exc:
            response.close()
            raise _first_chunk_failure(exc) from _cause(exc)
        except BaseException:
            response.close()
            raise

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send a non-streaming request and return the decoded body."""
        return self._with_retries(lambda: _decode_json(self._send(body, stream=False)))

    def stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Send a streaming request and yield each decoded chunk until ``[DONE]``.

        Closing the iterator closes the connection.
        """
        response, chunks, first = self._with_retries(lambda: self._open_stream(body))
        try:
            if first is not None:
                yield first
                yield from chunks
        except httpx.TransportError as exc:
            raise transport_error(exc, streaming=True) from exc
        finally:
            response.close()

    # -- async ------------------------------------------------------------

    async def _awith_retries(self, attempt_once: Callable[[], Awaitable[_T]]) -> _T:
        attempt = 0
        while True:
            try:
                return await attempt_once()
            except _Failure as failure:
                delay = self._delay_or_raise(failure, attempt)
            await asyncio.sleep(delay)
            attempt += 1

    async def _asend(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        client = self._async_client()
        request = self._request(client, body, stream)
        try:
            response = await client.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise _failure_from_transport(exc) from exc
        if response.is_success:
            return response
        try:
            content = await response.aread()
        except httpx.TransportError as exc:
            # The error's body was cut short: still one failed attempt.
            raise _failure_from_transport(exc) from exc
        finally:
            await response.aclose()
        raise _failure_from_response(response, content)

    async def _aopen_stream(self, body: dict[str, Any]) -> _AsyncOpenStream:
        """Async twin of :meth:`_open_stream`."""
        response = await self._asend(body, stream=True)
        chunks = aiter_chunks(response)
        try:
            return response, chunks, await anext(chunks, None)
        except (httpx.TransportError, StreamEventError) as exc:
            await response.aclose()
            raise _first_chunk_failure(exc) from _cause(exc)
        except BaseException:
            await response.aclose()
            raise

    async def acreate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Async twin of :meth:`create`."""

        async def attempt_once() -> dict[str, Any]:
            return _decode_json(await self._asend(body, stream=False))

        return await self._awith_retries(attempt_once)

    async def astream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Async twin of :meth:`stream`; cancel or close it to close the connection."""
        response, chunks, first = await self._awith_retries(
            lambda: self._aopen_stream(body)
        )
        try:
            if first is not None:
                yield first
                async for chunk in chunks:
                    yield chunk
        except httpx.TransportError as exc:
            raise transport_error(exc, streaming=True) from exc
        finally:
            await chunks.aclose()
            await response.aclose()
