"""The drain deadline (``_deadline``): a socket is cut when, and only when, due.

Uses a Unix socket pair standing in for a connection, and a response stand-in
with httpx's ``is_closed`` flag and ``network_stream`` extension; over real TCP
see ``tests/reliability/test_hardening.py::test_stream_returns_promptly_at_done...``.
Most tests use a watchdog of their own, as a freshly forked process would.
"""

from __future__ import annotations

import asyncio.trsock
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from langchain_provider._sse import _Watch, _Watchdog, cut_after


@dataclass
class FakeResponse:
    is_closed: bool = False
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeNetworkStream:
    """httpcore's ``network_stream`` extension, as far as ``_deadline`` uses it."""

    sock: Any

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


@pytest.fixture
def watchdog() -> _Watchdog:
    return _Watchdog()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, peer = socket.socketpair()
    with ours, peer:
        yield ours, peer


def _blocked_read_returns_within(ours: socket.socket, seconds: float) -> bool:
    ours.settimeout(seconds)
    try:
        return ours.recv(1) == b""
    except TimeoutError:
        return False


def test_a_due_deadline_cuts_the_socket_and_wakes_the_reader(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, _ = pair
    started = time.monotonic()
    watchdog.arm(FakeResponse(), ours, 0.05)  # type: ignore[arg-type]
    assert _blocked_read_returns_within(ours, 5.0)
    # Not early: the watchdog compares time.monotonic() with the deadline and
    # cuts only once it has passed, and ``started`` was read before arming, so
    # the lower bound holds on any machine; 10 ms spare covers the clock's
    # granularity. The upper bound only catches a cut that never came on time.
    assert 0.04 <= time.monotonic() - started < 4.0


def test_an_asyncio_transport_socket_is_cut_too(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    """The async path hands over asyncio's TransportSocket, not the socket."""
    ours, _ = pair
    watchdog.arm(FakeResponse(), asyncio.trsock.TransportSocket(ours), 0.01)  # type: ignore[arg-type]
    assert _blocked_read_returns_within(ours, 5.0)


def test_a_disarmed_deadline_never_cuts(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, _ = pair
    watch = watchdog.arm(FakeResponse(), ours, 0.05)  # type: ignore[arg-type]
    watchdog.disarm(watch)
    # Three times the deadline: a disarmed watch cannot fire late (it is
    # dropped under the lock), so a busy machine only gives it more time.
    assert not _blocked_read_returns_within(ours, 0.15)


def test_a_disarmed_deadline_does_not_hold_up_the_next(watchdog: _Watchdog) -> None:
    first, first_peer = socket.socketpair()
    second, second_peer = socket.socketpair()
    with first, first_peer, second, second_peer:
        watchdog.disarm(watchdog.arm(FakeResponse(), first, 0.02))  # type: ignore[arg-type]
        watchdog.arm(FakeResponse(), second, 0.05)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(second, 5.0)
        assert not _blocked_read_returns_within(first, 0.05)


def test_a_closed_response_is_never_cut(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    # Its connection may already serve another request.
    ours, _ = pair
    watchdog.arm(FakeResponse(is_closed=True), ours, 0.01)  # type: ignore[arg-type]
    assert not _blocked_read_returns_within(ours, 0.15)


def test_every_armed_deadline_fires_also_after_a_quiet_spell(
    watchdog: _Watchdog,
) -> None:
    sockets = [socket.socketpair() for _ in range(3)]
    try:
        (one, _), (two, _), (three, _) = sockets
        watchdog.arm(FakeResponse(), one, 0.02)  # type: ignore[arg-type]
        watchdog.arm(FakeResponse(), two, 0.02)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(one, 5.0)
        assert _blocked_read_returns_within(two, 5.0)
        # Nothing armed now: the watchdog waits, then serves the next one.
        watchdog.arm(FakeResponse(), three, 0.02)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(three, 5.0)
    finally:
        for ours, peer in sockets:
            ours.close()
            peer.close()


def test_deadlines_fire_in_order_whatever_order_they_were_armed_in(
    watchdog: _Watchdog,
) -> None:
    late, late_peer = socket.socketpair()
    soon, soon_peer = socket.socketpair()
    with late, late_peer, soon, soon_peer:
        later = watchdog.arm(FakeResponse(), late, 5.0)  # type: ignore[arg-type]
        watchdog.arm(FakeResponse(), soon, 0.05)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(soon, 3.0)
        assert not _blocked_read_returns_within(late, 0.1)
        watchdog.disarm(later)


def test_deadlines_due_at_the_same_instant_keep_the_order_armed() -> None:
    """A tie on the deadline is broken by arming order (never by comparing None)."""
    first = _Watch(1.0, 0, FakeResponse(), None)  # type: ignore[arg-type]
    second = _Watch(1.0, 1, FakeResponse(), None)  # type: ignore[arg-type]
    assert sorted([second, first]) == [first, second]


def test_the_watchdog_thread_never_keeps_the_process_alive(
    watchdog: _Watchdog, pair: tuple[socket.socket, socket.socket]
) -> None:
    before = set(threading.enumerate())
    watch = watchdog.arm(FakeResponse(), pair[0], 5.0)  # type: ignore[arg-type]
    started = set(threading.enumerate()) - before
    watchdog.disarm(watch)
    assert started and all(thread.daemon for thread in started)


# ---------------------------------------------------------------------------
# cut_after: the response's own socket, found through httpcore's extension
# ---------------------------------------------------------------------------


def test_cut_after_cuts_the_responses_socket_within_the_block(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    response = FakeResponse(extensions={"network_stream": FakeNetworkStream(ours)})
    with cut_after(response, 0.02):  # type: ignore[arg-type]
        assert _blocked_read_returns_within(ours, 5.0)


def test_leaving_cut_after_in_time_disarms_it(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    response = FakeResponse(extensions={"network_stream": FakeNetworkStream(ours)})
    with cut_after(response, 0.05):  # type: ignore[arg-type]
        pass
    assert not _blocked_read_returns_within(ours, 0.15)


@pytest.mark.parametrize(
    "extensions",
    [
        {},
        {"network_stream": FakeNetworkStream(None)},
        {"network_stream": FakeNetworkStream(object())},
    ],
    ids=["no network stream", "no socket", "no shutdown"],
)
def test_without_a_usable_socket_cut_after_arms_nothing(
    extensions: dict[str, Any], pair: tuple[socket.socket, socket.socket]
) -> None:
    """The body is read as before, and the deadlines of others still fire."""
    ours, _ = pair
    other = FakeResponse(extensions={"network_stream": FakeNetworkStream(ours)})
    with cut_after(FakeResponse(extensions=extensions), 0.0):  # type: ignore[arg-type]
        with cut_after(other, 0.02):  # type: ignore[arg-type]
            assert _blocked_read_returns_within(ours, 5.0)
