"""HTTP for the chat completion endpoint: the thin send-and-retry loops.

Everything that is not I/O lives elsewhere and is shared by the sync and
async twins, which differ only in ``await``:

- ``_retry.RetryPolicy``: what is retried and how long to wait;
- ``_classify``: what the server said, as a typed error;
- ``_headers``: the request headers and the API key's hygiene;
- ``_transport.Pools``: the shared connection pools and their lifecycle;
- ``_streaming``: SSE framing and decoding;
- ``_rate_limits.Pacer``: waits before an attempt while the service's window
  is full (``pacing``), told of each answer at its headers.

httpx's exceptions are translated to the ``langchain_provider.errors`` tree
here and nowhere else, without copying their text when it could hold request
headers. A stream is retried only until its first chunk arrives: before it,
any failure the policy retries (a dropped connection, a body that ends empty,
an in-stream error whose kind is retryable, a JSON error answer) is retried
like a failed request; after it, a failure raises, because chunks were
already handed to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from langchain_provider._classify import classify, decode_json, error_from_http
from langchain_provider._headers import USER_AGENT, build_headers
from langchain_provider._rate_limits import (
    UNPACED,
    Pacer,
    Ticket,
    pacer_for,
    rate_limit_from_headers,
)
from langchain_provider._retry import DEFAULT_POLICY, RetryPolicy
from langchain_provider._streaming import aiter_chunks, is_event_stream, iter_chunks
from langchain_provider._transport import POOL_LIMITS, SHARED, Pools
from langchain_provider.errors import (
    APIConnectionError,
    APITimeoutError,
    ResponseDecodeError,
    SambaNovaError,
    StreamInterruptedError,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "POOL_LIMITS",
    "STREAM_READ_TIMEOUT",
    "USER_AGENT",
    "ChatCompletionsClient",
    "build_headers",
    "resolve_timeout",
    "transport_error",
]

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
        pacing: Take a place from the process's pacer for this base URL, key
            and model before each attempt (see ``_rate_limits.Pacer``); its
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
        pools: Pools = SHARED,
        policy: RetryPolicy = DEFAULT_POLICY,
        pacing: bool = True,
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

    def _delay_or_raise(self, failure: _Failure, attempt: int) -> float:
        """Seconds to wait before retrying, or raise the typed error if giving up.

        Called outside the ``except`` block, so the error's context chain holds
        only its cause (never an httpx error whose text may quote headers).
        """
        if not failure.error.is_retryable or attempt >= self.max_retries:
            raise failure.error from failure.cause
        delay = self._policy.delay(
            attempt, failure.headers, status=failure.error.status_code
        )
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

    def _send(
        self, body: dict[str, Any], ticket: Ticket, *, stream: bool
    ) -> httpx.Response:
        """Send once; return a 2xx response of the expected kind, still open."""
        client = self.sync_http()
        try:
            response = client.send(self._request(client, body, stream), stream=True)
        except httpx.TransportError as exc:
            raise _failure(exc) from exc
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
        return self._with_retries(body, lambda ticket: self._create_once(body, ticket))

    def stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Send a streaming request and yield each decoded chunk until ``[DONE]``.

        Closing the iterator closes the connection.
        """
        response, chunks, first = self._with_retries(
            body, lambda ticket: self._open_stream(body, ticket)
        )
        try:
            if first is not None:
                yield first
                yield from chunks
        except httpx.HTTPError as exc:
            raise transport_error(exc, streaming=True) from _cause(exc)
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

    async def _asend(
        self, body: dict[str, Any], ticket: Ticket, *, stream: bool
    ) -> httpx.Response:
        """Async twin of :meth:`_send`."""
        client = self.async_http()
        try:
            request = self._request(client, body, stream)
            response = await client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _failure(exc) from exc
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
        return await self._awith_retries(
            body, lambda ticket: self._acreate_once(body, ticket)
        )

    async def astream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Async twin of :meth:`stream`; cancel or close it to close the connection."""
        response, chunks, first = await self._awith_retries(
            body, lambda ticket: self._aopen_stream(body, ticket)
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
