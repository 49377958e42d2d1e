"""HTTP for the API: headers, connection pools, and the send-and-retry loops.

The sync and async twins differ only in ``await``; everything that is not
I/O is shared:

- ``_retry.RetryPolicy`` decides what is retried and how long to wait;
- ``errors.classify`` says what the server said, as a typed error;
- ``_sse`` frames and decodes streams.

Every httpx and decoding failure is translated to the ``errors`` tree in one
place, ``translate_failures``: a context manager around URL building,
sending, reading, stream iteration and JSON decoding (the client's, and the
catalog's in ``_profiles``), as httpx does with ``map_httpcore_exceptions``.
It never copies httpx's text when that could hold request headers. A stream is
retried only until its first chunk arrives: before it, any failure the policy
retries (a dropped connection, a body that ends empty, an in-stream error
whose kind is retryable, a JSON error answer) is retried like a failed
request; after it, a failure raises, because chunks were already handed to
the caller.

Headers and the key: keys pasted from files carry a trailing newline, CRLF or
a byte-order mark; those are stripped. A key that still cannot travel in an
HTTP header is refused with a ``ValueError`` that names the problem and never
the key, before any request is sent.

A ``ConnectionPools`` object holds one ``httpx.Client`` for the process and
one ``httpx.AsyncClient`` per running event loop (pooled connections belong to
the loop that opened them). Pools are not keyed by timeout: httpx takes the
timeout per request, so any number of distinct timeouts share one pool.

``SHARED`` is the pools every model uses by default, so that agents building
many model instances still open few connections. A model used as a context
manager (``with ChatSambaNova(...) as llm``) gets its own ``ConnectionPools``
for the block, closed on exit (async connections included). Clients the user
passes in are never touched here.

Lifecycle:

- **fork**: a child process must never read from a connection its parent
  opened (both would consume each other's responses). ``os.register_at_fork``
  makes every ``ConnectionPools`` forget its clients in the child, which then
  opens its own. The parent's clients are kept referenced, unused, in the
  child: closing them there could shut down connections the parent still uses.
- **event loops**: an async client is closed on the loop that owns it, when
  that loop closes (``asyncio.run`` and a bare ``loop.close()`` alike); see
  ``_close_before_loop``, installed once per loop.
- **exit**: the shared sync client is closed at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import threading
import unicodedata
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from langchain_provider._retry import (
    DEFAULT_POLICY,
    UNPACED,
    Pacer,
    RetryPolicy,
    Ticket,
    pacer_for,
    rate_limit_from_headers,
)
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

_all_pools: weakref.WeakSet[ConnectionPools] = weakref.WeakSet()
# Clients inherited from the parent process: kept alive, never used or closed.
_inherited: list[Any] = []
# The pools with an open async client on each loop, whose ``close`` is hooked
# once (see ``_close_before_loop``). A pools leaves the set when it closes its
# client there, so closed pools are never kept alive by a loop.
_pools_on_loop: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, set[ConnectionPools]
] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()
# Closes scheduled by a sync ``close()`` on the running loop: asyncio keeps
# only weak references to tasks.
_closing: set[asyncio.Task[None]] = set()


class ConnectionPools:
    """One sync client per process and one async client per running loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sync: httpx.Client | None = None
        self._async: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, httpx.AsyncClient
        ] = weakref.WeakKeyDictionary()
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
                _register(loop, self)
            return client

    def close(self) -> None:
        """Close the sync client and every async client, wherever it can be.

        A client on the loop running in this thread (``with`` around
        ``await llm.ainvoke(...)``) is closed by a task scheduled on that
        loop; one on a loop running elsewhere, by a coroutine sent to it; one
        on a loop that is not running, by running that loop until it is
        closed. If a scheduled close never runs, the loop closes the client
        when it closes.
        """
        with self._lock:
            client, self._sync = self._sync, None
            loops = list(self._async)
        if client is not None:
            client.close()
        for loop in loops:
            self._close_async_on(loop)

    async def aclose(self) -> None:
        """Close the sync client and every async client (this loop's awaited)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            others = [other for other in self._async if other is not loop]
        for other in others:
            self._close_async_on(other)
        self.close_sync()
        await self._aclose_on(loop)

    def close_sync(self) -> None:
        """Close the sync client only (the async ones close with their loops)."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def _aclose_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close ``loop``'s client; awaited on that loop."""
        with self._lock:
            client = self._async.pop(loop, None)
        _unregister(loop, self)
        if client is not None:
            await client.aclose()

    def _close_async_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close ``loop``'s client from sync code, as that loop's state allows."""
        if loop.is_closed():
            with self._lock:
                self._async.pop(loop, None)
            _unregister(loop, self)
        elif _running_loop() is loop:
            task = loop.create_task(self._aclose_on(loop))
            _closing.add(task)
            task.add_done_callback(_closing.discard)
        elif loop.is_running():
            asyncio.run_coroutine_threadsafe(self._aclose_on(loop), loop)
        elif _running_loop() is None:
            loop.run_until_complete(self._aclose_on(loop))
        # else: an idle loop cannot be run from inside another one; its close
        # hook closes the client when that loop closes.

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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _register(loop: asyncio.AbstractEventLoop, pools: ConnectionPools) -> None:
    """Note that ``pools`` has a client on ``loop``; hook the loop on first use."""
    with _registry_lock:
        registered = _pools_on_loop.get(loop)
        if registered is None:
            registered = _pools_on_loop[loop] = set()
            _close_before_loop(loop)
        registered.add(pools)


def _unregister(loop: asyncio.AbstractEventLoop, pools: ConnectionPools) -> None:
    with _registry_lock:
        _pools_on_loop.get(loop, set()).discard(pools)


def _close_before_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop.close()`` first close every pools' client on that loop.

    A loop closed with pooled sockets still open leaves them to the garbage
    collector (``ResourceWarning: unclosed transport``), and only the loop can
    close them properly. ``asyncio.run`` and ``loop.close()`` both end in
    ``close()``, the one hook every loop passes through, so the loop's own
    ``close`` is wrapped, once per loop whatever the number of pools (one
    wrapper per pools made a thousand ``async with`` blocks overflow the
    stack at exit). Loops whose ``close`` cannot be replaced (e.g. uvloop's)
    keep the old behaviour: call ``aclose()`` on the model, or the sockets
    are collected with the loop.
    """
    original = loop.close

    def close() -> None:
        if not loop.is_closed() and not loop.is_running():
            with _registry_lock:
                registered = list(_pools_on_loop.pop(loop, ()))
            for pools in registered:
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
    SHARED.close_sync()


SHARED = ConnectionPools()
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
_T = TypeVar("_T")
_CHUNK = "A stream chunk"


def resolve_timeout(
    timeout: float | httpx.Timeout | None, *, stream: bool
) -> float | httpx.Timeout:
    """The httpx timeout of one request: the given one, or the default for its kind."""
    if timeout is None:
        return _STREAM_TIMEOUT if stream else DEFAULT_TIMEOUT
    return timeout


# -- the one place where failures become the package's errors -----------------

# httpx errors whose text never quotes request headers or the URL (which may
# carry credentials): copied into the message and kept as the cause. Any other
# (``LocalProtocolError`` says "Illegal header value ...") is named only.
_SAFE_TO_QUOTE = (
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.TimeoutException,
    httpx.DecodingError,
)
# Kept as the cause too: decoding errors, whose text is the server's.
_KEPT_AS_CAUSE = (*_SAFE_TO_QUOTE, json.JSONDecodeError, UnicodeDecodeError)
_TRANSLATED = (
    httpx.HTTPError,
    httpx.InvalidURL,
    json.JSONDecodeError,
    UnicodeDecodeError,
    RecursionError,
)


@contextmanager
def translate_failures(
    *,
    streaming: bool = False,
    decoding: str = "The response body",
    status_code: int | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> Iterator[None]:
    """Turn every httpx and decoding failure in the block into a ``SambaNovaError``.

    Wrapped around URL building, sending, reading, stream iteration and JSON
    decoding, as httpx wraps its transports in ``map_httpcore_exceptions``:
    no httpx error, ``JSONDecodeError`` or ``RecursionError`` (absurd nesting)
    leaves the package untranslated. Errors of the package pass unchanged.

    Args:
        streaming: Whether chunks were being read (a broken connection is then
            a ``StreamInterruptedError``).
        decoding: What the JSON decoded in the block is, for the message
            (e.g. ``"A stream chunk"``).
        status_code: The status of the response being read, if known.
        policy: The retry policy whose verdict ``is_retryable`` reports.

    Raises:
        SambaNovaError: The translated error; its cause is the original only
            when that one's text cannot quote request headers (nor is a
            ``RecursionError``), and it never keeps the original as context.
    """
    try:
        yield
    except _TRANSLATED as exc:
        error = _translate(exc, streaming, decoding, status_code, policy)
        cause = exc if isinstance(exc, _KEPT_AS_CAUSE) else None
    else:
        return
    try:
        raise error from cause
    finally:
        # Raised while the with statement still handles ``exc``, the error
        # would keep it as its context, whose text may quote a header.
        error.__context__ = None


def _translate(
    exc: BaseException,
    streaming: bool,
    decoding: str,
    status_code: int | None,
    policy: RetryPolicy,
) -> SambaNovaError:
    """The package's error for one httpx or decoding failure."""
    reason = type(exc).__name__
    if isinstance(exc, _SAFE_TO_QUOTE) and str(exc):
        reason = f"{reason}: {str(exc)[:300]}"
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError, RecursionError)):
        return _not_json(exc, decoding, status_code)
    if isinstance(exc, httpx.DecodingError):
        return ResponseDecodeError(
            f"The response body could not be decoded ({reason}).",
            status_code=status_code,
        )
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return APIConnectionError(
            f"The request URL is not valid ({reason}): check base_url.",
            retryable=False,
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


def _not_json(
    exc: BaseException, decoding: str, status_code: int | None
) -> ResponseDecodeError:
    if isinstance(exc, RecursionError):
        return ResponseDecodeError(
            f"{decoding} is not valid JSON (nested too deeply).",
            status_code=status_code,
        )
    text = exc.doc if isinstance(exc, json.JSONDecodeError) else None
    quoted = f": {text[:200]!r}" if text is not None else "."
    return ResponseDecodeError(
        f"{decoding} is not valid JSON ({exc}){quoted}",
        status_code=status_code,
        body=text,
    )


class FailedAttempt(Exception):
    """Internal: an error answer, with the headers that say when to retry it."""

    def __init__(self, error: SambaNovaError, headers: Any) -> None:
        super().__init__(error.message)
        self.error = error
        self.headers = headers


def _raise_if_error_body(response: httpx.Response, body: Any) -> None:
    if isinstance(body, dict) and body.get("error"):
        # A 2xx that carries an error object is still a failure; its status
        # says nothing, so what the error says decides the class.
        rate_limit = rate_limit_from_headers(response.headers)
        error = classify(body, status_code=None, rate_limit=rate_limit)
        raise FailedAttempt(error, response.headers)


def completion_from_body(response: httpx.Response, content: bytes) -> dict[str, Any]:
    """The decoded completion of a 2xx answer, or the typed error it holds.

    Raises:
        FailedAttempt: For a body that holds an error object (classified like
            the same HTTP error; a retryable kind is retried).
        ResponseDecodeError: For a body that is not a JSON object.
    """
    text = content.decode("utf-8", errors="replace")
    with translate_failures(status_code=response.status_code):
        body = json.loads(text)
    _raise_if_error_body(response, body)
    if not isinstance(body, dict):
        raise ResponseDecodeError(
            "The response body is not a JSON object.",
            status_code=response.status_code,
            body=text,
        )
    return body


def _error_answer(
    response: httpx.Response, content: bytes, unreadable: str
) -> FailedAttempt:
    """The failure for an error status, or a non-SSE answer to a stream request."""
    if response.is_success:
        # JSON in answer to a streaming request: the same error invoke raises.
        try:
            body = decode_json(content.decode("utf-8", errors="replace"))
        except ValueError:
            body = None
        _raise_if_error_body(response, body)
        return FailedAttempt(
            ResponseDecodeError(
                "Expected a text/event-stream response to a streaming request, got "
                f"{response.headers.get('content-type') or 'no content type'!r}.",
                status_code=response.status_code,
            ),
            None,
        )
    error = error_from_http(
        response.status_code, content, response.headers, unreadable=unreadable
    )
    return FailedAttempt(error, response.headers)


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
        pacing: Take a place from the process's pacer for this base URL, key
            and model before each attempt (see ``_retry.Pacer``); its
            waits never use up a retry.

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
        pools: ConnectionPools = SHARED,
        policy: RetryPolicy = DEFAULT_POLICY,
        pacing: bool,
    ) -> None:
        self.base_url = base_url
        self.url = base_url.rstrip("/") + "/chat/completions"
        self._api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self._default_headers = dict(default_headers or {})
        self._http_client = http_client
        self._http_async_client = http_async_client
        self._pools = pools
        self._policy = policy
        self.pacing = pacing
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

    def _delay_or_raise(
        self, error: SambaNovaError, headers: Any, attempt: int
    ) -> float:
        """Seconds to wait before retrying, or raise the typed error if giving up.

        Called outside the ``except`` block, so the error's context chain holds
        only its cause (never an httpx error whose text may quote headers).
        """
        if not error.is_retryable or attempt >= self.max_retries:
            raise error
        delay = self._policy.delay(attempt, headers, status=error.status_code)
        logger.debug(
            "SambaNova request failed (%s); retry %d of %d in %.2fs",
            error,
            attempt + 1,
            self.max_retries,
            delay,
        )
        return delay

    def _accept(self, response: httpx.Response) -> None:
        self.rate_limit = rate_limit_from_headers(response.headers)

    def _pacer(self, body: dict[str, Any]) -> Pacer | None:
        if not self.pacing:
            return None
        return pacer_for(self.base_url, self._api_key, body.get("model"))

    # -- sync -------------------------------------------------------------

    def _with_retries(
        self, body: dict[str, Any], attempt_once: Callable[[Ticket], _T]
    ) -> _T:
        pacer = self._pacer(body)
        attempt = 0
        while True:
            # The pacer's wait comes before the attempt and is no attempt
            # itself; the ticket is released if the attempt gets no answer.
            ticket = pacer.acquire() if pacer is not None else UNPACED
            try:
                with ticket:
                    return attempt_once(ticket)
            except FailedAttempt as failed:
                error, headers = failed.error, failed.headers
            except SambaNovaError as failed:
                error, headers = failed, None
            self._policy.sleep(self._delay_or_raise(error, headers, attempt))
            attempt += 1

    def _read(self, response: httpx.Response) -> tuple[bytes, str]:
        """The whole body (closed after), and why it was unreadable if it was."""
        try:
            with translate_failures(status_code=response.status_code):
                return response.read(), ""
        except ResponseDecodeError as error:
            if response.is_success:
                raise
            return b"", type(error.__cause__).__name__  # the status tells the kind
        finally:
            response.close()

    def _send(
        self, body: dict[str, Any], ticket: Ticket, *, stream: bool
    ) -> httpx.Response:
        """Send once; return a 2xx response of the expected kind, still open."""
        client = self.sync_http()
        with translate_failures():
            response = client.send(self._request(client, body, stream), stream=True)
        ticket.answered(rate_limit_from_headers(response.headers), response.status_code)
        if response.is_success and (not stream or is_event_stream(response)):
            return response
        content, unreadable = self._read(response)
        raise _error_answer(response, content, unreadable)

    def _create_once(self, body: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
        response = self._send(body, ticket, stream=False)
        content, _ = self._read(response)
        completion = completion_from_body(response, content)
        self._accept(response)
        return completion

    def _open_stream(
        self, body: dict[str, Any], ticket: Ticket
    ) -> tuple[httpx.Response, Iterator[dict[str, Any]], dict[str, Any] | None]:
        """Send the request and read up to the first chunk: the retryable part."""
        response = self._send(body, ticket, stream=True)
        chunks = iter_chunks(response)
        try:
            with translate_failures(streaming=True, decoding=_CHUNK):
                first = next(chunks, None)
        except BaseException:
            response.close()
            raise
        self._accept(response)
        return response, chunks, first

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send a non-streaming request and return the decoded body."""
        return self._with_retries(body, lambda ticket: self._create_once(body, ticket))

    def stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Send a streaming request and yield each decoded chunk until ``[DONE]``.

        Closing the iterator closes the connection.
        """
        response, chunks, first = self._with_retries(
            body, lambda ticket: self._open_stream(body, ticket)
        )
        try:
            with translate_failures(streaming=True, decoding=_CHUNK):
                if first is not None:
                    yield first
                    yield from chunks
        finally:
            response.close()

    # -- async ------------------------------------------------------------

    async def _awith_retries(
        self, body: dict[str, Any], attempt_once: Callable[[Ticket], Awaitable[_T]]
    ) -> _T:
        pacer = self._pacer(body)
        attempt = 0
        while True:
            ticket = await pacer.aacquire() if pacer is not None else UNPACED
            try:
                with ticket:
                    return await attempt_once(ticket)
            except FailedAttempt as failed:
                error, headers = failed.error, failed.headers
            except SambaNovaError as failed:
                error, headers = failed, None
            delay = self._delay_or_raise(error, headers, attempt)
            await self._policy.async_sleep(delay)
            attempt += 1

    async def _aread(self, response: httpx.Response) -> tuple[bytes, str]:
        """Async twin of :meth:`_read`."""
        try:
            with translate_failures(status_code=response.status_code):
                return await response.aread(), ""
        except ResponseDecodeError as error:
            if response.is_success:
                raise
            return b"", type(error.__cause__).__name__
        finally:
            await response.aclose()

    async def _asend(
        self, body: dict[str, Any], ticket: Ticket, *, stream: bool
    ) -> httpx.Response:
        """Async twin of :meth:`_send`."""
        client = self.async_http()
        with translate_failures():
            request = self._request(client, body, stream)
            response = await client.send(request, stream=True)
        ticket.answered(rate_limit_from_headers(response.headers), response.status_code)
        if response.is_success and (not stream or is_event_stream(response)):
            return response
        content, unreadable = await self._aread(response)
        raise _error_answer(response, content, unreadable)

    async def _acreate_once(
        self, body: dict[str, Any], ticket: Ticket
    ) -> dict[str, Any]:
        response = await self._asend(body, ticket, stream=False)
        content, _ = await self._aread(response)
        completion = completion_from_body(response, content)
        self._accept(response)
        return completion

    async def _aopen_stream(
        self, body: dict[str, Any], ticket: Ticket
    ) -> tuple[httpx.Response, Any, dict[str, Any] | None]:
        """Async twin of :meth:`_open_stream`."""
        response = await self._asend(body, ticket, stream=True)
        chunks = aiter_chunks(response)
        try:
            with translate_failures(streaming=True, decoding=_CHUNK):
                first = await anext(chunks, None)
        except BaseException:
            await _aclose_all(chunks, response)
            raise
        self._accept(response)
        return response, chunks, first

    async def acreate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Async twin of :meth:`create`."""
        return await self._awith_retries(
            body, lambda ticket: self._acreate_once(body, ticket)
        )

    async def astream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Async twin of :meth:`stream`; cancel or close it to close the connection."""
        response, chunks, first = await self._awith_retries(
            body, lambda ticket: self._aopen_stream(body, ticket)
        )
        try:
            with translate_failures(streaming=True, decoding=_CHUNK):
                if first is not None:
                    yield first
                    async for chunk in chunks:
                        yield chunk
        finally:
            await _aclose_all(chunks, response)


async def _aclose_all(chunks: Any, response: httpx.Response) -> None:
    try:
        await chunks.aclose()
    finally:
        await response.aclose()
