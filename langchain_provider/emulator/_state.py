"""What the server shares with the tests driving it: settings, script, records."""

from __future__ import annotations

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
