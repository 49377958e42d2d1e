"""What the server shares with the tests driving it: settings, script, records."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from ._config import EmulatorConfig
from ._script import Script


@dataclass(frozen=True)
class RecordedRequest:
    """A request the emulator received.

    Attributes:
        method: The HTTP method.
        path: The URL path, e.g. ``/v1/chat/completions``.
        headers: The headers, with lower-case names.
        body: The parsed JSON body, or None when it was not JSON.
        raw: The body's bytes.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes


class StreamGate:
    """Holds every new stream before its first event until released.

    Load tests use it to have N streams open on the server at once without
    racing the clock: a held stream has sent its headers and counts as active.
    ``hold`` and ``release`` may be called from any thread; waiters live on
    the server's event loop and are woken there.
    """

    def __init__(self) -> None:
        self._held = False
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._lock = threading.Lock()

    def hold(self) -> None:
        """Make streams that start from now on wait for :meth:`release`."""
        with self._lock:
            self._held = True

    def release(self) -> None:
        """Let every held stream go on, and new ones start unheld."""
        with self._lock:
            self._held = False
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def wait(self) -> None:
        """Return at once unless held; otherwise when released."""
        with self._lock:
            if not self._held:
                return
            event = asyncio.Event()
            self._waiters.append((asyncio.get_running_loop(), event))
        await event.wait()


class EmulatorState:
    """The live state of one emulator, shared between its thread and callers.

    Counters are only changed on the server's event loop; reading them from
    another thread is safe (plain ints).

    Args:
        config: The live settings.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.script = Script()
        self.active_streams = 0
        self.disconnected_streams = 0
        self.stream_gate = StreamGate()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def record(self, request: RecordedRequest) -> None:
        """Remember a received request.

        Args:
            request: The request.
        """
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget the recorded requests and the scripted items."""
        with self._lock:
            self._requests.clear()
        self.script.clear()
