"""Walking away from a stream closes its connection, every time.

The emulator counts a stream as disconnected when the client closes the
connection before the end, so these tests see what the server sees: a
cancelled ``astream`` task, a ``break`` out of ``async for`` or ``for``, and
1,000 of them in a row without a connection or file descriptor left behind.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator

import pytest

from langchain_provider import ChatSambaNova
from langchain_provider._http import POOL_LIMITS
from langchain_provider.emulator import Emulator

from .conftest import API_KEY, Sampler, fast_config, open_fds, report, wait_for

LONG_REPLY = " ".join(f"word{i}" for i in range(400))
PROMPT = "Tell me a long story"
# Conditions are awaited, never assumed: the server notices a closed connection
# on its own loop, later than the client. A generous deadline costs nothing
# when things go well and keeps a busy machine from failing the test.
DEADLINE = 60.0


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulator of its own: connection counts are not shared with other tests."""
    with Emulator(fast_config(tokens_per_second=500)) as emulator:
        # Every stream pauses after its first words for longer than any test
        # runs, so it is still going when the client walks away, however
        # slowly a busy machine lets the client get there.
        emulator.script.stall(
            after_chunks=3, seconds=DEADLINE, text=LONG_REPLY, times=None
        )
        yield emulator


@pytest.fixture
def model(emu: Emulator) -> ChatSambaNova:
    return ChatSambaNova(base_url=emu.base_url, api_key=API_KEY, timeout=10)


def settled(emu: Emulator, disconnected: int) -> bool:
    return emu.active_streams == 0 and emu.disconnected_streams == disconnected


async def test_cancelling_an_astream_task_closes_the_connection(emu, model):
    first_chunk = asyncio.Event()
    received: list[str] = []

    async def consume() -> None:
        async for chunk in model.astream(PROMPT):
            received.append(str(chunk.content))
            first_chunk.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_chunk.wait(), DEADLINE)
    assert emu.active_streams == 1
    cancelled_at = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await wait_for(lambda: settled(emu, 1), timeout=DEADLINE)
    noticed = time.perf_counter() - cancelled_at
    assert "".join(received) != LONG_REPLY  # it really was cut short
    assert await wait_for(lambda: emu.open_connections == 0, timeout=DEADLINE)
    report("task cancel -> server sees disconnect (ms)", round(noticed * 1000, 1))


async def test_breaking_out_of_async_for_closes_the_connection(emu, model):
    async for chunk in model.astream(PROMPT):
        if chunk.content:
            break
    broke_at = time.perf_counter()
    assert await wait_for(lambda: settled(emu, 1), timeout=DEADLINE)
    noticed = time.perf_counter() - broke_at
    assert await wait_for(lambda: emu.open_connections == 0, timeout=DEADLINE)
    report("async for break -> server sees disconnect (ms)", round(noticed * 1000, 1))


async def test_breaking_out_of_a_sync_stream_closes_the_connection(emu, model):
    for chunk in model.stream(PROMPT):
        if chunk.content:
            break
    assert await wait_for(lambda: settled(emu, 1), timeout=DEADLINE)
    assert await wait_for(lambda: emu.open_connections == 0, timeout=DEADLINE)


async def test_a_finished_stream_is_not_counted_as_disconnected(emu, model):
    emu.script.clear()
    text = "".join([str(c.content) async for c in model.astream(PROMPT)])
    assert text == f"Emulated reply to: {PROMPT}"
    # The server ends its side of the stream after the client has read [DONE].
    assert await wait_for(lambda: emu.active_streams == 0, timeout=DEADLINE)
    assert emu.disconnected_streams == 0


async def test_one_thousand_abandoned_streams_leak_nothing(emu, model):
    total, wave = 1000, 50

    async def abandon(index: int) -> None:
        if index % 2:  # break out of the loop
            async for chunk in model.astream(PROMPT):
                if chunk.content:
                    break
            return
        first_chunk = asyncio.Event()  # or cancel the task consuming it

        async def consume() -> None:
            async for _ in model.astream(PROMPT):
                first_chunk.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first_chunk.wait(), DEADLINE)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    # Warm up: the pool, the client and the emulator's lazy state exist now.
    await abandon(0)
    await abandon(1)
    assert await wait_for(lambda: settled(emu, 2), timeout=DEADLINE)
    assert await wait_for(lambda: emu.open_connections == 0, timeout=DEADLINE)
    gc.collect()
    fds_before = open_fds()

    started = time.perf_counter()
    with Sampler(lambda: emu.open_connections) as connections:
        for start in range(0, total, wave):
            await asyncio.gather(*(abandon(i) for i in range(start, start + wave)))
            # Each wave gives back every connection before the next opens, so
            # the peak below measures one wave, not the server's lag in
            # noticing closes on a busy machine.
            assert await wait_for(
                lambda: emu.open_connections == 0, timeout=DEADLINE
            ), f"wave at {start} left {emu.open_connections} connections open"
    assert await wait_for(lambda: settled(emu, total + 2), timeout=DEADLINE)
    elapsed = time.perf_counter() - started

    assert await wait_for(lambda: emu.open_connections == 0, timeout=DEADLINE)
    gc.collect()
    assert await wait_for(lambda: open_fds() <= fds_before, timeout=DEADLINE)
    fds_after = open_fds()
    assert connections.peak <= min(wave, POOL_LIMITS.max_connections)
    report("1,000 abandoned streams: wall time (s)", round(elapsed, 2))
    report("1,000 abandoned streams: peak server connections", connections.peak)
    report("1,000 abandoned streams: fd delta", fds_after - fds_before)
