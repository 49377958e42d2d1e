"""Cut a response's connection if its body has not ended by a deadline.

After ``data: [DONE]`` the answer is whole, but reading on (to let the
connection be reused) could block until the read timeout if the server holds
the body open. httpx has no per-read deadline once a body is being read, so
one daemon thread keeps the deadlines of such reads and, when one passes,
shuts the socket down: the blocked read (sync, or the event loop's) then sees
the end of the connection at once and the response is discarded with it.

The socket comes from httpcore's documented ``network_stream`` response
extension. Responses without one (e.g. ``httpx.MockTransport``) have finite
bodies and are read to the end as before.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

DONE_GRACE = 0.25
"""Seconds a server gets to end the body after ``data: [DONE]``."""


class _Watch:
    __slots__ = ("deadline", "order", "response", "sock", "active")

    def __init__(
        self, deadline: float, order: int, response: httpx.Response, sock: Any
    ) -> None:
        self.deadline = deadline
        self.order = order
        self.response = response
        self.sock = sock
        self.active = True

    def __lt__(self, other: _Watch) -> bool:
        return (self.deadline, self.order) < (other.deadline, other.order)


class _Watchdog:
    """One daemon thread per process that enforces the armed deadlines."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[_Watch] = []
        self._order = itertools.count()
        self._pid = -1

    def arm(self, response: httpx.Response, sock: Any, seconds: float) -> _Watch:
        watch = _Watch(time.monotonic() + seconds, next(self._order), response, sock)
        with self._condition:
            if self._pid != os.getpid():  # first use, or a forked child
                self._pid = os.getpid()
                self._heap = []
                threading.Thread(target=self._run, daemon=True).start()
            heapq.heappush(self._heap, watch)
            self._condition.notify()
        return watch

    def disarm(self, watch: _Watch) -> None:
        with self._condition:
            watch.active = False

    def _run(self) -> None:
        with self._condition:
            while True:
                while self._heap and not self._heap[0].active:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._condition.wait()
                    continue
                wait = self._heap[0].deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                _cut(heapq.heappop(self._heap))


def _cut(watch: _Watch) -> None:
    # httpx marks a response closed before it hands the connection back to
    # the pool, so a response that is not closed still owns its socket. The
    # one window left (the read ends and the connection is reused between
    # this check and the shutdown) needs the body to end exactly at the
    # deadline and another request to take that very connection within
    # microseconds; its worst outcome is a retryable connection error there.
    if watch.response.is_closed:
        return
    try:
        if isinstance(watch.sock, socket.socket):
            # socket.socket's own shutdown, also for an SSLSocket: no TLS
            # close_notify is attempted from this thread.
            socket.socket.shutdown(watch.sock, socket.SHUT_RDWR)
        else:  # asyncio's TransportSocket, which allows shutdown
            watch.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_WATCHDOG = _Watchdog()


def _socket_of(response: httpx.Response) -> Any:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    sock = stream.get_extra_info("socket")
    # A socket.socket (sync) or asyncio's TransportSocket (async, via anyio).
    return sock if hasattr(sock, "shutdown") else None


@contextmanager
def cut_after(response: httpx.Response, seconds: float) -> Iterator[None]:
    """Within the block, cut ``response``'s connection after ``seconds``."""
    sock = _socket_of(response)
    if sock is None:
        yield
        return
    watch = _WATCHDOG.arm(response, sock, seconds)
    try:
        yield
    finally:
        _WATCHDOG.disarm(watch)
