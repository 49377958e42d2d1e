"""Connection pools and their lifecycle (``_http.ConnectionPools``)."""

from __future__ import annotations

import asyncio
import gc
import os
import weakref
from typing import Any

import httpx
import pytest

from langchain_provider import ChatSambaNova
from langchain_provider._http import (
    POOL_LIMITS,
    SHARED,
    ConnectionPools,
    _reset_in_child,
)
from unit_tests.conftest import API_KEY


def test_models_share_one_pool_whatever_their_timeouts() -> None:
    first = ChatSambaNova(api_key=API_KEY)
    second = ChatSambaNova(api_key=API_KEY, model="gpt-oss-120b", timeout=5)
    third = ChatSambaNova(api_key=API_KEY, timeout=httpx.Timeout(3, connect=1))
    client = first.client.sync_http()
    assert second.client.sync_http() is client
    assert third.client.sync_http() is client
    assert client is SHARED.sync_client()


def test_the_pool_is_bounded() -> None:
    pool = SHARED.sync_client()._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == POOL_LIMITS.max_connections == 1000
    assert pool._max_keepalive_connections == POOL_LIMITS.max_keepalive_connections


def test_a_closed_shared_client_is_replaced_not_reused() -> None:
    pools = ConnectionPools()
    first = pools.sync_client()
    first.close()
    second = pools.sync_client()
    assert second is not first and not second.is_closed
    pools.close()
    assert second.is_closed
    assert pools.sync_client() is not second


async def test_async_pool_is_per_event_loop() -> None:
    here = SHARED.async_client()
    assert SHARED.async_client() is here

    def in_another_loop() -> Any:
        async def get() -> httpx.AsyncClient:
            return SHARED.async_client()

        return asyncio.run(get())

    there = await asyncio.to_thread(in_another_loop)
    assert there is not here
    assert there.is_closed  # its loop closed, and closed it


async def test_a_closed_async_client_is_replaced() -> None:
    pools = ConnectionPools()
    first = pools.async_client()
    await first.aclose()
    second = pools.async_client()
    assert second is not first
    await pools.aclose()
    assert second.is_closed


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_never_uses_the_parents_clients() -> None:
    parent = SHARED.sync_client()
    own = ConnectionPools()
    own_parent = own.sync_client()
    pid = os.fork()
    if pid == 0:  # the child
        fresh = SHARED.sync_client()
        ok = (
            fresh is not parent
            and not parent.is_closed  # not closed: the parent still uses it
            and own.sync_client() is not own_parent
        )
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert SHARED.sync_client() is parent  # the parent keeps its pool


async def test_closing_a_running_loop_fails_and_keeps_its_client() -> None:
    """``loop.close()`` on a running loop is refused; its pooled client stays."""
    pools = ConnectionPools()
    client = pools.async_client()
    loop = asyncio.get_running_loop()
    with pytest.raises(RuntimeError, match="running event loop"):
        loop.close()
    assert pools.async_client() is client and not client.is_closed
    await pools.aclose()


async def test_in_a_forked_child_pools_forget_their_clients_unclosed() -> None:
    """What fork runs in the child, run here: new clients, the old ones kept open.

    (In a real child coverage cannot follow; see the fork test above.)
    """
    pools = ConnectionPools()
    sync, here = pools.sync_client(), pools.async_client()
    inherited = [weakref.ref(sync), weakref.ref(here)]
    _reset_in_child()
    assert pools.sync_client() is not sync and pools.async_client() is not here
    assert not sync.is_closed and not here.is_closed
    del sync, here
    gc.collect()
    # Still referenced: collecting them could close sockets the parent uses.
    assert all(ref() is not None for ref in inherited)
    await pools.aclose()
