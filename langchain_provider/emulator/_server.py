"""The `Emulator`: uvicorn serving the app from a background thread.

The server gets its own thread and event loop, so it never blocks the caller's
loop and works the same from sync and async code. It listens on a socket bound
here (port 0 picks a free one), which tells us the port before uvicorn starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import uvicorn

from ._app import build_app
from ._config import EmulatorConfig
from ._hooks import with_response_hooks
from ._script import Script
from ._state import EmulatorState, RecordedRequest

_STARTUP_TIMEOUT = 10.0
_BACKLOG = 2048  # the load test opens 500 connections at once


class Emulator:
    """A local HTTP server of the chat completion API, on loopback by default.

    Use it as a context manager (sync or async), or call `start` and `stop`::

        with Emulator(time_to_first_token=0, tokens_per_second=None) as emu:
            httpx.post(f"{emu.base_url}/chat/completions", json=...)

    Args:
        config: The settings; default `EmulatorConfig()`.
        host: Interface to bind; keep the loopback default unless you mean it.
        port: Port to bind; 0 picks a free one.
        **overrides: `EmulatorConfig` fields overriding those of `config`.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **overrides: Any,
    ) -> None:
        if overrides:
            config = dataclasses.replace(config or EmulatorConfig(), **overrides)
        self._state = EmulatorState(config or EmulatorConfig())
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def config(self) -> EmulatorConfig:
        """The live settings; changes apply to the next request."""
        return self._state.config

    @config.setter
    def config(self, config: EmulatorConfig) -> None:
        self._state.config = config

    @property
    def script(self) -> Script:
        """The queue of scripted replies and faults."""
        return self._state.script

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``http://127.0.0.1:54321/v1``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}/v1"

    @property
    def port(self) -> int:
        """The port the server listens on (known once started)."""
        return self._port

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        return self._state.requests

    @property
    def open_connections(self) -> int:
        """TCP connections the server has open right now."""
        return len(self._server.server_state.connections) if self._server else 0

    @property
    def active_streams(self) -> int:
        """Streaming responses in progress right now."""
        return self._state.active_streams

    @property
    def disconnected_streams(self) -> int:
        """Streams that ended because the client went away, since the start."""
        return self._state.disconnected_streams

    def clear(self) -> None:
        """Forget the recorded requests and the scripted items."""
        self._state.clear()

    @contextlib.contextmanager
    def hold_streams(self) -> Iterator[None]:
        """Hold every stream that starts inside the block before its first event.

        Held streams have sent their headers and count in
        :attr:`active_streams`; leaving the block releases them all. Lets a
        test have many streams open at once however busy the machine is.
        """
        self._state.stream_gate.hold()
        try:
            yield
        finally:
            self._state.stream_gate.release()

    def start(self) -> Emulator:
        """Start serving; return once the server accepts connections.

        Raises:
            RuntimeError: If it is already running or does not come up.
        """
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        sock = _bind(self._host, self._port)
        self._port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(
                with_response_hooks(build_app(self._state), self._state),
                loop="asyncio",
                http="httptools" if importlib.util.find_spec("httptools") else "h11",
                lifespan="off",
                access_log=False,
                log_config=None,
                backlog=_BACKLOG,
                limit_concurrency=None,
                # Outlive httpx's 5 s keep-alive expiry: a server closing first
                # races clients reusing the connection at that very moment.
                timeout_keep_alive=30,
                timeout_graceful_shutdown=1,
            )
        )
        thread = threading.Thread(
            target=_serve, args=(server, sock), name=f"emulator:{self._port}"
        )
        thread.daemon = True  # never keep the interpreter alive on its own
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(_STARTUP_TIMEOUT)
                sock.close()
                raise RuntimeError("the emulator's server did not start")
            time.sleep(0.002)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, close the port, and join the server thread."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._state.stream_gate.release()  # a held stream must not block shutdown
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Emulator:
        # Start and stop wait on the server thread: keep them off the caller's loop.
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be named: asyncio only sets TCP_NODELAY on sockets whose proto
    # is IPPROTO_TCP, and without it every response waits out a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    # uvicorn closes the socket on shutdown, which frees the port.
    asyncio.run(server.serve(sockets=[sock]))
