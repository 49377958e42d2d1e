"""Event loops come and go; the pooled connections on them never outlive them.

Pooled connections belong to the loop that opened them, so the shared async
client is per loop (``_transport.Pools``) and is closed when its loop closes:
after ``asyncio.run`` and after a bare ``new_event_loop()`` /
``run_until_complete()`` / ``close()`` (no ``shutdown_asyncgens``), which left
5 ``ResourceWarning``s over 3 loops with the old async-generator finalizer.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import warnings
from collections.abc import Callable

from langchain_provider import ChatSambaNova
from langchain_provider._http import SHARED
from langchain_provider.emulator import Emulator


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _eventually(predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes.

    The emulator closes its end of a socket on its own thread, after the
    client closed its end: on a busy machine that takes a moment.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_asyncio_run_per_call_leaks_no_client_loop_or_socket():
    with Emulator(time_to_first_token=0, tokens_per_second=None) as emulator:
        model = ChatSambaNova(base_url=emulator.base_url)
        asyncio.run(model.ainvoke("warm up"))
        before = _open_fds()
        for _ in range(30):
            assert asyncio.run(model.ainvoke("hi")).content.startswith("Emulated")
        # Both ends of each loopback socket live in this process: a leak would
        # add two descriptors per call.
        assert _eventually(lambda: _open_fds() - before <= 2)
        gc.collect()
        assert len(SHARED._async) == 0  # every loop's client closed and dropped


def test_a_loop_closed_without_shutdown_leaves_no_resource_warning():
    with Emulator(time_to_first_token=0, tokens_per_second=None) as emulator:
        model = ChatSambaNova(base_url=emulator.base_url)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(3):
                loop = asyncio.new_event_loop()
                reply = loop.run_until_complete(model.ainvoke("hi"))
                assert reply.content.startswith("Emulated")
                client = SHARED.async_client_for(loop)
                loop.close()
                assert client is not None and client.is_closed
                del loop
            gc.collect()
        leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
        assert leaks == [], [str(w.message) for w in leaks]
        assert _eventually(lambda: emulator.open_connections == 0)


async def test_async_context_manager_closes_its_own_pool_only():
    with Emulator(time_to_first_token=0, tokens_per_second=None) as emulator:
        shared_model = ChatSambaNova(base_url=emulator.base_url)
        await shared_model.ainvoke("hi")
        shared_client = SHARED.async_client()
        async with ChatSambaNova(base_url=emulator.base_url) as model:
            await model.ainvoke("hi")
            assert model.client.async_http() is not shared_client
            own = model.client.async_http()
        assert own.is_closed and not shared_client.is_closed
        assert (await model.ainvoke("again")).content  # back on the shared pool
