"""A new event loop per call (``asyncio.run`` per request) leaks nothing.

Pooled connections belong to the loop that opened them, so the shared async
client is per loop; it must be closed when its loop shuts down, or each
``asyncio.run`` leaves a client, its sockets and the dead loop behind.
"""

from __future__ import annotations

import asyncio
import os

from langchain_provider import ChatSambaNova, _client
from langchain_provider.emulator import Emulator


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_asyncio_run_per_call_leaks_no_client_loop_or_socket():
    with Emulator(time_to_first_token=0, tokens_per_second=None) as emulator:
        model = ChatSambaNova(base_url=emulator.base_url)
        asyncio.run(model.ainvoke("warm up"))
        before = _open_fds()
        for _ in range(30):
            assert asyncio.run(model.ainvoke("hi")).content.startswith("Emulated")
        # Both ends of each loopback socket live in this process: a leak would
        # add two descriptors per call.
        assert _open_fds() - before <= 2
        live = [loop for loop in _client._shared_async if not loop.is_closed()]
        assert live == []
        assert len(_client._shared_async) <= 1
