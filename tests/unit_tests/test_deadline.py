"""The drain deadline (``_deadline``): a socket is cut when, and only when, due.

Uses a Unix socket pair standing in for a connection, and a response stand-in
with httpx's ``is_closed`` flag; over real TCP see
``tests/reliability/test_hardening.py::test_stream_returns_promptly_at_done...``.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from langchain_provider._deadline import _WATCHDOG


@dataclass
class FakeResponse:
    is_closed: bool = False


def _blocked_read_returns_within(ours: socket.socket, seconds: float) -> bool:
    ours.settimeout(seconds)
    try:
        return ours.recv(1) == b""
    except TimeoutError:
        return False


def test_a_due_deadline_cuts_the_socket_and_wakes_the_reader() -> None:
    ours, peer = socket.socketpair()
    with ours, peer:
        started = time.monotonic()
        _WATCHDOG.arm(FakeResponse(), ours, 0.05)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(ours, 5.0)
        assert 0.04 <= time.monotonic() - started < 4.0


def test_a_disarmed_deadline_never_cuts() -> None:
    ours, peer = socket.socketpair()
    with ours, peer:
        watch = _WATCHDOG.arm(FakeResponse(), ours, 0.05)  # type: ignore[arg-type]
        _WATCHDOG.disarm(watch)
        assert not _blocked_read_returns_within(ours, 0.3)


def test_a_closed_response_is_never_cut() -> None:
    # Its connection may already serve another request.
    ours, peer = socket.socketpair()
    with ours, peer:
        _WATCHDOG.arm(FakeResponse(is_closed=True), ours, 0.01)  # type: ignore[arg-type]
        assert not _blocked_read_returns_within(ours, 0.3)


def test_deadlines_fire_in_order_whatever_order_they_were_armed_in() -> None:
    late, late_peer = socket.socketpair()
    soon, soon_peer = socket.socketpair()
    with late, late_peer, soon, soon_peer:
        later = _WATCHDOG.arm(FakeResponse(), late, 5.0)  # type: ignore[arg-type]
        _WATCHDOG.arm(FakeResponse(), soon, 0.05)  # type: ignore[arg-type]
        assert _blocked_read_returns_within(soon, 3.0)
        assert not _blocked_read_returns_within(late, 0.1)
        _WATCHDOG.disarm(later)
