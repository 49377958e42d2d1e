"""HTTP for the API: headers, connection pools, and the send-and-retry loops.

The sync and async twins differ only in ``await``; everything that is not
I/O is shared:

- ``_retry.RetryPolicy`` decides what is retried and how long to wait;
- ``errors.classify`` says what the server said, as a typed error;
- ``_sse`` frames and decodes streams.

Every httpx and decoding failure is translated to the ``errors`` tree here,
without copying httpx's text when it could hold request headers. A stream is
retried only until its first chunk arrives: before it, any failure the policy
retries (a dropped connection, a body that ends empty, an in-stream error
whose kind is retryable, a JSON error answer) is retried like a failed
request; after it, a failure raises, because chunks were already handed to
the caller.

Headers and the key: keys pasted from files carry a trailing newline, CRLF or
a byte-order mark; those are stripped. A key that still cannot travel in an
HTTP header is refused with a ``ValueError`` that names the problem and never
the key, before any request is sent.

A ``Pools`` object holds one ``httpx.Client`` for the process and one
``httpx.AsyncClient`` per running event loop (pooled connections belong to
the loop that opened them). Pools are not keyed by timeout: httpx takes the
timeout per request, so any number of distinct timeouts share one pool.

``SHARED`` is the pools every model uses by default, so that agents building
many model instances still open few connections. A model used as a context
manager (``with ChatSambaNova(...) as llm``) gets its own ``Pools`` for the
block, closed on exit. Clients the user passes in are never touched here.

Lifecycle:

- **fork**: a child process must never read from a connection its parent
  opened (both would consume each other's responses). ``os.register_at_fork``
  makes every ``Pools`` forget its clients in the child, which then opens its
  own. The parent's clients are kept referenced, unused, in the child: closing
  them there could shut down connections the parent is still using.
- **event loops**: an async client is closed on the loop that owns it, when
  that loop closes (``asyncio.run`` and a bare ``loop.close()`` alike); see
  ``_close_before_loop``.
- **exit**: the shared sync client is closed at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import unicodedata
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from langchain_provider._rate_limits import rate_limit_from_headers
from langchain_provider._retry import DEFAULT_POLICY, RetryPolicy
from langchain_provider._sse import aiter_chunks, is_event_stream, iter_chunks
from langchain_provider._version import USER_AGENT
from langchain_provider.errors import (
    APIConnectionError,
    APITimeoutError,
    ResponseDecodeError,
    SambaNovaError,
    StreamInterruptedError,
    classify,
    decode_json,
    error_from_http,
)

# -- headers and the API key ---------------------------------------------------

# Zero-width characters and the BOM are not whitespace to str.strip(), yet
# editors and copy-paste leave them around keys.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _header_problem(value: str) -> str | None:
    """What keeps ``value`` out of an HTTP header, described without quoting it."""
    if value.isascii() and value.isprintable():
        return None  # the usual case, checked at C speed
    for position, char in enumerate(value):
        if not (char.isascii() and char.isprintable()):
            name = unicodedata.name(char, "a control character")
            return f"character {position + 1} is U+{ord(char):04X} ({name})"
    return None


def normalize_api_key(key: SecretStr | str | None) -> SecretStr | None:
    """The key with surrounding whitespace stripped; ``None`` when empty.

    Raises:
        ValueError: When the key holds a character no HTTP header can carry.
            The message names the character and its position, never the key.
    """
    if key is None:
        return None
    raw = key.get_secret_value() if isinstance(key, SecretStr) else key
    stripped = raw.strip().strip(_INVISIBLE).strip()
    problem = _header_problem(stripped)
    if problem is not None:
        raise ValueError(
            f"The API key cannot be sent in an HTTP header: {problem}. "
            "Check the key for stray characters (e.g. copied from a document)."
        ) from None
    if stripped == raw and isinstance(key, SecretStr):
        return key
    return SecretStr(stripped)


def check_default_headers(headers: Mapping[str, str] | None) -> None:
    """Refuse header names or values that cannot be sent, naming the header.

    Raises:
        ValueError: For a non-string or non-ASCII name or value.
    """
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError(f"default_headers entries must be strings: {name!r}.")
        if _header_problem(name) or " " in name or ":" in name:
            raise ValueError(f"default_headers has an invalid header name {name!r}.")
        problem = _header_problem(value)
        if problem is not None:
            raise ValueError(f"default_headers[{name!r}] cannot be sent: {problem}.")


def build_headers(
    api_key: SecretStr | None, extra: Mapping[str, str] | None, *, stream: bool
) -> dict[str, str]:
    """The request headers, merged case-insensitively.

    The package's ``Accept``, ``Content-Type`` and ``User-Agent`` give way to
    the same headers in ``extra`` whatever their case; so does the
    ``Authorization`` built from ``api_key``: an explicit ``Authorization`` in
    ``extra`` wins (a gateway's own credential is never overwritten by a
    SambaNova key found in the environment). No header is ever sent twice.
    """
    headers = {
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
        "user-agent": USER_AGENT,
    }
    if api_key is not None:
        secret = api_key.get_secret_value()
        if secret:
            headers["authorization"] = f"Bearer {secret}"
    for name, value in (extra or {}).items():
        headers[name.lower()] = value
    return headers


# -- connection pools and their lifecycle --------------------------------------

# Connections: generous yet bounded, since agents fan out widely. Idle ones
# kept: few, like the vendor's SDK (20). httpcore 1.0 rescans every pooled
# connection for each idle one on every request start and end, so a big idle
# pool makes wide fan-outs quadratic: 256 concurrent requests took ~5x longer.
POOL_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=20)

_all_pools: weakref.WeakSet[Pools] = weakref.WeakSet()
# Clients inherited from the parent process: kept alive, never used or closed.
_inherited: list[Any] = []


class Pools:
    """One sync client per process and one async client per running loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sync: httpx.Client | None = None
        self._async: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, httpx.AsyncClient
        ] = weakref.WeakKeyDictionary()
        self._hooked: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        _all_pools.add(self)

    def sync_client(self) -> httpx.Client:
        """The process's sync client, opened on first use (again after close)."""
        client = self._sync
        if client is not None and not client.is_closed:
            return client
        with self._lock:
            if self._sync is None or self._sync.is_closed:
                self._sync = httpx.Client(limits=POOL_LIMITS)
            return self._sync

    def async_client(self) -> httpx.AsyncClient:
        """The running loop's async client, opened on first use on that loop."""
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is not None and not client.is_closed:
            return client
        with self._lock:
            client = self._async.get(loop)
            if client is None or client.is_closed:
                client = httpx.AsyncClient(limits=POOL_LIMITS)
                self._async[loop] = client
                if loop not in self._hooked:
                    self._hooked.add(loop)
                    _close_before_loop(loop, self)
            return client

    def async_client_for(
        self, loop: asyncio.AbstractEventLoop
    ) -> httpx.AsyncClient | None:
        """The client opened on ``loop``, if any (for tests and closing)."""
        return self._async.get(loop)

    def close(self) -> None:
        """Close the sync client (the async ones close with ``aclose``)."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the sync client and the running loop's async client."""
        self.close()
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._async.pop(loop, None)
        if client is not None:
            await client.aclose()

    def _close_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close ``loop``'s client by running its ``aclose`` on that loop."""
        with self._lock:
            client = self._async.pop(loop, None)
        if client is not None and not client.is_closed:
            loop.run_until_complete(client.aclose())

    def _forget_in_child(self) -> None:
        _inherited.extend([self._sync, *self._async.values()])
        _inherited[:] = [client for client in _inherited if client is not None]
        self._lock = threading.Lock()  # another thread may have held it at fork
        self._sync = None
        self._async = weakref.WeakKeyDictionary()
        self._hooked = weakref.WeakSet()


def _close_before_loop(loop: asyncio.AbstractEventLoop, pools: Pools) -> None:
    """Make ``loop.close()`` first close ``pools``' client for that loop.

    A loop closed with pooled sockets still open leaves them to the garbage
    collector (``ResourceWarning: unclosed transport``), and only the loop can
    close them properly. ``asyncio.run`` and ``loop.close()`` both end in
    ``close()``, the one hook every loop passes through, so the loop's own
    ``close`` is wrapped (once per loop and ``Pools``). Loops whose ``close``
    cannot be replaced (e.g. uvloop's) keep the old behaviour: call
    ``aclose()`` on the model, or the sockets are collected with the loop.
    """
    original = loop.close

    def close() -> None:
        if not loop.is_closed() and not loop.is_running():
            pools._close_on(loop)
        original()

    try:
        loop.close = close  # type: ignore[method-assign]
    except (AttributeError, TypeError):  # pragma: no cover - e.g. uvloop
        pass


def _reset_in_child() -> None:
    for pools in list(_all_pools):
        pools._forget_in_child()


def _close_shared_at_exit() -> None:
    SHARED.close()


SHARED = Pools()
os.register_at_fork(after_in_child=_reset_in_child)
atexit.register(_close_shared_at_exit)


# -- sending, streaming and retrying -------------------------------------------

logger = logging.getLogger("langchain_provider")

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
"""Without a ``timeout``: 5 s to connect, 600 s for a whole non-streamed answer
(a reasoning model may think for minutes before it answers), as the vendor SDK."""

STREAM_READ_TIMEOUT = 60.0
"""Without a ``timeout``, a stream that sends nothing (not even a keep-alive)
for this many seconds is a stalled stream and raises ``APITimeoutError``."""

_STREAM_TIMEOUT = httpx.Timeout(STREAM_READ_TIMEOUT, connect=5.0)
_SAFE_TO_QUOTE = (
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.TimeoutException,
)
_T = TypeVar("_T")


def resolve_timeout(
    timeout: float | httpx.Timeout | None, *, stream: bool
) -> float | httpx.Timeout:
    """The httpx timeout of one request: the given one, or the default for its kind."""
    if timeout is None:
        return _STREAM_TIMEOUT if stream else DEFAULT_TIMEOUT
    return timeout


def transport_error(
    exc: httpx.HTTPError, *, streaming: bool, policy: RetryPolicy = DEFAULT_POLICY
) -> SambaNovaError:
    """Translate an httpx error into the package's error tree.

    The text of errors that can quote request headers (``LocalProtocolError``
    says "Illegal header value ...") is never copied.
    """
    reason = type(exc).__name__
    if isinstance(exc, _SAFE_TO_QUOTE) and str(exc):
        reason = f"{reason}: {str(exc)[:300]}"
    if isinstance(exc, httpx.DecodingError):
        return ResponseDecodeError(
            f"The response body could not be decoded ({reason})."
        )
    retryable = policy.retryable_transport(exc)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"The request timed out ({reason}).", retryable=retryable
        )
    if streaming and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return StreamInterruptedError(
            f"The connection broke in the middle of the stream ({reason}).",
            retryable=retryable,
        )
    return APIConnectionError(
        f"Could not reach the SambaNova API ({reason}).", retryable=retryable
    )


def _cause(exc: BaseException) -> BaseException | None:
    # Keep the httpx error for debugging, unless its text may quote headers.
    return exc if isinstance(exc, _SAFE_TO_QUOTE + (httpx.DecodingError,)) else None


class _Failure(Exception):
    """Internal: one attempt failed; the typed error, its headers and its cause."""

    def __init__(
        self,
        error: SambaNovaError,
        headers: Any = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.headers = headers
        self.cause = cause


def _failure(exc: httpx.HTTPError, *, streaming: bool = False) -> _Failure:
    return _Failure(transport_error(exc, streaming=streaming), cause=_cause(exc))


def _raise_if_error_body(response: httpx.Response, body: Any) -> None:
    if isinstance(body, dict) and body.get("error"):
        # A 2xx that carries an error object is still a failure; its status
        # says nothing, so what the error says decides the class.
        rate_limit = rate_limit_from_headers(response.headers)
        error = classify(body, status_code=None, rate_limit=rate_limit)
        raise _Failure(error, response.headers)


def _undecodable(response: httpx.Response, exc: httpx.DecodingError) -> _Failure:
    return _Failure(
        ResponseDecodeError(
            f"The response body could not be decoded ({type(exc).__name__}: {exc}).",
            status_code=response.status_code,
        ),
        cause=exc,
    )


def completion_from_body(response: httpx.Response, content: bytes) -> dict[str, Any]:
    """The decoded completion of a 2xx answer, or the typed error it holds.

    Raises:
        _Failure: For a body that holds an error object (classified like the
            same HTTP error; a retryable kind is retried) or is not JSON.
    """
    text = content.decode("utf-8", errors="replace")
    try:
        body = decode_json(text)
    except ValueError as exc:
        raise _Failure(
            ResponseDecodeError(
                f"The response body is not valid JSON ({exc}): {text[:200]!r}",
                status_code=response.status_code,
                body=text,
            )
        ) from None
    _raise_if_error_body(response, body)
    if not isinstance(body, dict):
        raise _Failure(
            ResponseDecodeError(
                "The response body is not a JSON object.",
                status_code=response.status_code,
                body=text,
            )
        )
    return body


def _error_answer(
    response: httpx.Response, content: bytes, unreadable: str
) -> _Failure:
    """The failure for an error status, or a non-SSE answer to a stream request."""
    if response.is_success:
        # JSON in answer to a streaming request: the same error invoke raises.
        try:
            body = decode_json(content.decode("utf-8", errors="replace"))
        except ValueError:
            body = None
        _raise_if_error_body(response, body)
        return _Failure(
            ResponseDecodeError(
                "Expected a text/event-stream response to a streaming request, got "
                f"{response.headers.get('content-type') or 'no content type'!r}.",
                status_code=response.status_code,
            )
        )
    error = error_from_http(
        response.status_code, content, response.headers, unreadable=unreadable
    )
    return _Failure(error, response.headers)


class ChatCompletionsClient:
    """Sends chat completion requests with retries; one instance per call.

    Args:
        base_url: The API root, e.g. ``https://api.sambanova.ai/v1``.
        api_key: The bearer key (already normalized), or ``None``.
        timeout: Seconds (all phases), an ``httpx.Timeout``, or ``None`` for
            the defaults (``DEFAULT_TIMEOUT``; streams: ``STREAM_READ_TIMEOUT``
            between reads).
        max_retries: Retries after the first attempt.
        default_headers: Extra headers sent with every request.
        http_client: A caller-owned sync client (never closed here).
        http_async_client: A caller-owned async client (never closed here).
        pools: Where shared clients come from when none is given.
        policy: How long to wait between attempts, and the clock that waits
            (tests inject one that records instead of sleeping).

    What is retried and what an error means is ``DEFAULT_POLICY``'s verdict
    (so an error's ``is_retryable`` always says what this client does with
    it); ``policy`` sets the waits.

    Attributes:
        rate_limit: The normalized rate-limit headers of the last successful
            response, or ``None`` when it had none.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        pools: Pools = SHARED,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self._api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self._default_headers = dict(default_headers or {})
        self._http_client = http_client
        self._http_async_client = http_async_client
        self._pools = pools
        self._policy = policy
        self.rate_limit: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"ChatCompletionsClient(url={self.url!r})"

    def sync_http(self) -> httpx.Client:
        """The httpx client sync requests go through (yours, or a shared one)."""
        return self._http_client or self._pools.sync_client()

    def async_http(self) -> httpx.AsyncClient:
        """The httpx client async requests go through on the running loop."""
        return self._http_async_client or self._pools.async_client()

    def _request(
        self,
        client: httpx.Client | httpx.AsyncClient,
        body: dict[str, Any],
        stream: bool,
    ) -> httpx.Request:
        return client.build_request(
            "POST",
            self.url,
            json=body,
            headers=build_headers(self._api_key, self._default_headers, stream=stream),
            timeout=resolve_timeout(self.timeout, stream=stream),
        )

    def _delay_or_raise(self, failure: _Failure, attempt: int) -> float:
        """Seconds to wait before retrying, or raise the typed error if giving up.

        Called outside the ``except`` block, so the error's context chain holds
        only its cause (never an httpx error whose text may quote headers).
        """
        if not failure.error.is_retryable or attempt >= self.max_retries:
            raise failure.error from failure.cause
        delay = self._policy.delay(attempt, failure.headers)
        logger.debug(
            "SambaNova request failed (%s); retry %d of %d in %.2fs",
            failure.error,
            attempt + 1,
            self.max_retries,
            delay,
        )
        return delay

    def _accept(self, response: httpx.Response) -> None:
        self.rate_limit = rate_limit_from_headers(response.headers)

    # -- sync -------------------------------------------------------------

    def _with_retries(self, attempt_once: Callable[[], _T]) -> _T:
        attempt = 0
        while True:
            try:
                return attempt_once()
            except _Failure as caught:
                failure = caught
            self._policy.sleep(self._delay_or_raise(failure, attempt))
            attempt += 1

    def _read(self, response: httpx.Response) -> tuple[bytes, str]:
        """The whole body (closed after), and why it was unreadable if it was."""
        try:
            return response.read(), ""
        except httpx.DecodingError as exc:
            if response.is_success:
                raise _undecodable(response, exc) from None
            return b"", type(exc).__name__  # the status still tells the kind
        except httpx.TransportError as exc:
            # The body was cut short: still one failed attempt.
            raise _failure(exc) from exc
        finally:
            response.close()

    def _send(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        """Send once; return a 2xx response of the expected kind, still open."""
        client = self.sync_http()
        try:
            response = client.send(self._request(client, body, stream), stream=True)
        except httpx.TransportError as exc:
            raise _failure(exc) from exc
        if response.is_success and (not stream or is_event_stream(response)):
            return response
        content, unreadable = self._read(response)
        raise _error_answer(response, content, unreadable)

    def _create_once(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self._send(body, stream=False)
        content, _ = self._read(response)
        completion = completion_from_body(response, content)
        self._accept(response)
        return completion

    def _open_stream(
        self, body: dict[str, Any]
    ) -> tuple[httpx.Response, Iterator[dict[str, Any]], dict[str, Any] | None]:
        """Send the request and read up to the first chunk: the retryable part."""
        response = self._send(body, stream=True)
        chunks = iter_chunks(response)
        try:
            first = next(chunks, None)
        except SambaNovaError as error:
            response.close()
            raise _Failure(error) from None
        except httpx.HTTPError as exc:
            response.close()
            raise _failure(exc, streaming=True) from exc
        except BaseException:
            response.close()
            raise
        self._accept(response)
        return response, chunks, first

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send a non-streaming request and return the decoded body."""
        return self._with_retries(lambda: self._create_once(body))

    def stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Send a streaming request and yield each decoded chunk until ``[DONE]``.

        Closing the iterator closes the connection.
        """
        response, chunks, first = self._with_retries(lambda: self._open_stream(body))
        try:
            if first is not None:
                yield first
                yield from chunks
        except httpx.HTTPError as exc:
            raise transport_error(exc, streaming=True) from _cause(exc)
        finally:
            response.close()

    # -- async ------------------------------------------------------------

    async def _awith_retries(self, attempt_once: Callable[[], Awaitable[_T]]) -> _T:
        attempt = 0
        while True:
            try:
                return await attempt_once()
            except _Failure as caught:
                failure = caught
            await self._policy.async_sleep(self._delay_or_raise(failure, attempt))
            attempt += 1

    async def _aread(self, response: httpx.Response) -> tuple[bytes, str]:
        """Async twin of :meth:`_read`."""
        try:
            return await response.aread(), ""
        except httpx.DecodingError as exc:
            if response.is_success:
                raise _undecodable(response, exc) from None
            return b"", type(exc).__name__
        except httpx.TransportError as exc:
            raise _failure(exc) from exc
        finally:
            await response.aclose()

    async def _asend(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        """Async twin of :meth:`_send`."""
        client = self.async_http()
        try:
            request = self._request(client, body, stream)
            response = await client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _failure(exc) from exc
        if response.is_success and (not stream or is_event_stream(response)):
            return response
        content, unreadable = await self._aread(response)
        raise _error_answer(response, content, unreadable)

    async def _acreate_once(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self._asend(body, stream=False)
        content, _ = await self._aread(response)
        completion = completion_from_body(response, content)
        self._accept(response)
        return completion

    async def _aopen_stream(
        self, body: dict[str, Any]
    ) -> tuple[httpx.Response, Any, dict[str, Any] | None]:
        """Async twin of :meth:`_open_stream`."""
        response = await self._asend(body, stream=True)
        chunks = aiter_chunks(response)
        try:
            first = await anext(chunks, None)
        except SambaNovaError as error:
            await _aclose_all(chunks, response)
            raise _Failure(error) from None
        except httpx.HTTPError as exc:
            await _aclose_all(chunks, response)
            raise _failure(exc, streaming=True) from exc
        except BaseException:
            await _aclose_all(chunks, response)
            raise
        self._accept(response)
        return response, chunks, first

    async def acreate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Async twin of :meth:`create`."""
        return await self._awith_retries(lambda: self._acreate_once(body))

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
        except httpx.HTTPError as exc:
            raise transport_error(exc, streaming=True) from _cause(exc)
        finally:
            await _aclose_all(chunks, response)


async def _aclose_all(chunks: Any, response: httpx.Response) -> None:
    try:
        await chunks.aclose()
    finally:
        await response.aclose()
