"""Fixtures and helpers of the reliability suite: real loopback HTTP, no mocks.

Every test talks to the emulator over TCP through the package's real client
code. Four call styles are exercised wherever a behaviour applies to all of
them: ``invoke``, ``ainvoke``, ``stream`` and ``astream``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from langchain_core.messages import BaseMessageChunk

from langchain_provider import ChatSambaNova
from langchain_provider.emulator import Emulator, EmulatorConfig

API_KEY = "sk-reliability-4b1d6c0e9f2a"
CALL_STYLES = ("invoke", "ainvoke", "stream", "astream")
STREAM_STYLES = ("stream", "astream")


def fast_config(**overrides: Any) -> EmulatorConfig:
    """Emulator settings with no latency or pacing unless a test asks."""
    settings: dict[str, Any] = {"time_to_first_token": 0.0, "tokens_per_second": None}
    settings.update(overrides)
    return EmulatorConfig(**settings)


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[Emulator]:
    with Emulator(fast_config()) as emu:
        yield emu


@pytest.fixture
def emu(shared_emulator: Emulator) -> Iterator[Emulator]:
    """The session's emulator, with a fresh script, records and settings."""
    shared_emulator.clear()
    shared_emulator.config = fast_config()
    yield shared_emulator
    shared_emulator.clear()


@pytest.fixture
def make_model(emu: Emulator) -> Callable[..., ChatSambaNova]:
    """Build a model pointed at the emulator; keyword arguments override."""

    def make(**kwargs: Any) -> ChatSambaNova:
        settings: dict[str, Any] = {
            "base_url": emu.base_url,
            "api_key": API_KEY,
            "model": "Meta-Llama-3.3-70B-Instruct",
        }
        settings.update(kwargs)
        return ChatSambaNova(**settings)

    return make


@dataclass
class Outcome:
    """What one call produced: the chunks handed over, the result, the error."""

    chunks: list[BaseMessageChunk] = field(default_factory=list)
    result: Any = None
    error: BaseException | None = None
    seconds: float = 0.0

    @property
    def text(self) -> str:
        if self.result is not None:
            return str(self.result.content)
        return "".join(str(chunk.content) for chunk in self.chunks)

    @property
    def content_chunks(self) -> list[str]:
        return [str(chunk.content) for chunk in self.chunks if chunk.content]


async def call(
    model: Any, style: str, prompt: Any = "Say hello", **kwargs: Any
) -> Outcome:
    """Call ``model`` in one of the four styles; record, never raise."""
    outcome = Outcome()
    start = time.perf_counter()
    try:
        if style == "invoke":
            outcome.result = model.invoke(prompt, **kwargs)
        elif style == "ainvoke":
            outcome.result = await model.ainvoke(prompt, **kwargs)
        elif style == "stream":
            for chunk in model.stream(prompt, **kwargs):
                outcome.chunks.append(chunk)
        elif style == "astream":
            async for chunk in model.astream(prompt, **kwargs):
                outcome.chunks.append(chunk)
        else:  # pragma: no cover - a typo in a parametrization
            raise AssertionError(style)
    except Exception as exc:  # noqa: BLE001 - the outcome is what is under test
        outcome.error = exc
    outcome.seconds = time.perf_counter() - start
    return outcome


def chat_requests(emu: Emulator) -> list[Any]:
    """The chat completion requests the emulator received."""
    return [r for r in emu.requests if r.path.endswith("/chat/completions")]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_fds() -> int:
    """The number of file descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


async def wait_for(
    predicate: Callable[[], bool], timeout: float = 60.0, interval: float = 0.005
) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()


class Sampler:
    """Samples a value on a background thread and keeps the peak.

    Args:
        read: What to sample (e.g. ``lambda: emu.open_connections``).
        interval: Seconds between samples.
    """

    def __init__(self, read: Callable[[], int], interval: float = 0.002) -> None:
        self._read = read
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak = 0
        self.samples = 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._read())
            self.samples += 1
            self._stop.wait(self._interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._read())


def report(name: str, value: Any) -> None:
    """Print a measured number (``pytest -s`` shows them; docs cite them)."""
    print(f"\n[reliability] {name} = {value}")  # noqa: T201
