"""Event loops come and go; the pooled connections on them never outlive them.

Pooled connections belong to the loop that opened them, so the shared async
client is per loop (``_http.ConnectionPools``) and is closed when its loop closes:
after ``asyncio.run`` and after a bare ``new_event_loop()`` /
``run_until_complete()`` / ``close()`` (no ``shutdown_asyncgens``), which left
5 ``ResourceWarning``s over 3 loops with the old async-generator finalizer.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
import warnings
import weakref
from collections.abc import Callable

import httpx

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


async def _async_http(model: ChatSambaNova) -> httpx.AsyncClient:
    """The async client ``model`` uses on the running loop."""
    return model.client.async_http()


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
                client = loop.run_until_complete(_async_http(model))
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


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_many_async_with_blocks_on_one_loop_end_cleanly_keeping_no_pool():
    """Issue 18, defect 1: the loop's close hook is installed once, not per block.

    Each block used to wrap ``loop.close`` again, never unhooked: ~1,000
    blocks made ``asyncio.run`` overflow the stack at exit, and every closed
    pool stayed referenced until then. The stack is capped here so that 150
    blocks show what 1,000 did, without opening 1,000 TLS-ready clients.
    """
    blocks = 150
    with Emulator(time_to_first_token=0, tokens_per_second=None) as emulator:

        async def run_blocks() -> int:
            pools = []
            for _ in range(blocks):
                async with ChatSambaNova(base_url=emulator.base_url) as model:
                    model.client.async_http()  # this block's own client
                    pools.append(weakref.ref(model._pools))  # private, for the test
            gc.collect()
            return sum(ref() is not None for ref in pools)

        async def a_request() -> None:
            async with ChatSambaNova(base_url=emulator.base_url) as model:
                assert (await model.ainvoke("hi")).content

        # A request first, at full depth: LangChain's call stack and the
        # first imports of httpx's internals are deep, the blocks are not.
        asyncio.run(a_request())
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(_depth() + 100)  # well below one frame per block
        try:
            alive = asyncio.run(run_blocks())  # raised RecursionError at exit
        finally:
            sys.setrecursionlimit(limit)
        assert alive == 0
        assert _eventually(lambda: emulator.open_connections == 0)


async def test_a_plain_with_block_around_ainvoke_closes_its_async_connections():
    """Issue 18, defect 11: ``with`` (not ``async with``) around ``ainvoke``.

    ``__exit__`` closed only the sync client, so each block left its async
    connection (and two descriptors, both ends being in this process) open
    until the loop closed; a server whose loop never closes ran out of them.
    """
    with Emulator(time_to_first_token=0, tokens_per_second=None) as emulator:
        before = _open_fds()
        for _ in range(20):
            with ChatSambaNova(base_url=emulator.base_url) as model:
                assert (await model.ainvoke("hi")).content
        deadline = time.monotonic() + 30
        while emulator.open_connections and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # the closes are tasks on this loop
        assert emulator.open_connections == 0
        assert _open_fds() - before <= 2
