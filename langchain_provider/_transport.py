"""The connection pools: who owns them, how long they live, who closes them.

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
import os
import threading
import weakref
from typing import Any

import httpx

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
