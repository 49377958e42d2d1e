"""Load: 500 concurrent streams through one model, and LangChain's rate limiter.

The emulator runs in this process, so ``/proc/self/fd`` counts both ends of
every loopback connection; the bounds below allow for that.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from langchain_core.rate_limiters import InMemoryRateLimiter

from langchain_provider import ChatSambaNova
from langchain_provider._http import POOL_LIMITS
from langchain_provider.emulator import Emulator

from .conftest import (
    API_KEY,
    Sampler,
    chat_requests,
    fast_config,
    open_fds,
    report,
    wait_for,
)

CONCURRENCY = 500


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulator of its own, paced like a (fast) real service."""
    with Emulator(fast_config(time_to_first_token=0.05, tokens_per_second=200)) as e:
        yield e


async def stream_all(model: ChatSambaNova, count: int) -> list[tuple[str, str]]:
    """Stream ``count`` distinct prompts at once; return (text, finish reason)."""

    async def one(index: int) -> tuple[str, str]:
        text, finish = "", ""
        async for chunk in model.astream(f"prompt number {index}"):
            text += str(chunk.content)
            finish = chunk.response_metadata.get("finish_reason") or finish
        return text, finish

    return await asyncio.gather(*(one(i) for i in range(count)))


def live_objects() -> Counter[str]:
    """Live garbage-collected objects, counted by type name."""
    gc.collect()
    return Counter(type(o).__name__ for o in gc.get_objects())


def rss_bytes() -> int:
    """Resident set size of this process."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def settled_growth(
    before: Counter[str], limit: int, timeout: float = 3.0
) -> dict[str, int]:
    """Object types that grew by ``limit`` or more, once things settle."""
    deadline = time.monotonic() + timeout
    while True:
        after = live_objects()
        grown = {
            name: after[name] - before[name]
            for name in after
            if after[name] - before[name] >= limit
        }
        if not grown or time.monotonic() > deadline:
            return grown
        await asyncio.sleep(0.05)


def check_replies(results: list[tuple[str, str]]) -> None:
    for index, (text, finish) in enumerate(results):
        assert text == f"Emulated reply to: prompt number {index}"
        assert finish == "stop"


async def test_500_concurrent_streams_through_one_model(emu):
    model = ChatSambaNova(base_url=emu.base_url, api_key=API_KEY, timeout=30)
    gc.collect()
    fds_start = open_fds()

    # First wave: the shared pool grows to one connection per stream in flight.
    started = time.perf_counter()
    with Sampler(lambda: emu.open_connections) as connections:
        results = await stream_all(model, CONCURRENCY)
    first_wave = time.perf_counter() - started
    assert len(results) == CONCURRENCY
    check_replies(results)
    assert len(chat_requests(emu)) == CONCURRENCY
    assert connections.peak <= min(CONCURRENCY, POOL_LIMITS.max_connections)
    # Afterwards only the pool's keep-alive connections stay open.
    keepalive = POOL_LIMITS.max_keepalive_connections
    assert await wait_for(lambda: emu.open_connections <= keepalive, timeout=60)
    assert await wait_for(lambda: emu.active_streams == 0, timeout=60)
    emu.clear()
    gc.collect()
    fds_between = open_fds()
    # Both ends of each kept-alive connection live in this process.
    assert fds_between - fds_start <= 2 * keepalive

    # Second wave, measured: nothing may accumulate from one wave to the next.
    objects_before = live_objects()
    rss_before = rss_bytes()
    started = time.perf_counter()
    with Sampler(lambda: emu.open_connections) as connections_2:
        check_replies(await stream_all(model, CONCURRENCY))
    second_wave = time.perf_counter() - started
    assert connections_2.peak <= min(CONCURRENCY, POOL_LIMITS.max_connections)
    assert await wait_for(lambda: emu.active_streams == 0, timeout=60)
    emu.clear()
    # Callbacks and generator finalizers finish on the loop shortly after.
    grown = await settled_growth(objects_before, limit=CONCURRENCY // 2)
    assert not grown, f"object types that grew by one per stream or more: {grown}"
    rss_growth = rss_bytes() - rss_before
    assert rss_growth < 64 * 2**20
    assert await wait_for(lambda: open_fds() <= fds_between + 4, timeout=60)
    fds_end = open_fds()

    report("500 streams, wave 1 wall time (s)", round(first_wave, 2))
    report("500 streams, wave 2 wall time (s)", round(second_wave, 2))
    report(
        "500 streams, peak server connections (wave 1, 2)",
        (connections.peak, connections_2.peak),
    )
    report(
        "500 streams, fds: start, after wave 1, after wave 2",
        (fds_start, fds_between, fds_end),
    )
    report("500 streams, RSS growth over wave 2 (KiB)", rss_growth // 1024)


async def test_a_smaller_caller_pool_bounds_the_connections(emu):
    # The caller's own client and its limits are honoured: 200 streams share
    # 20 connections, queueing for them rather than failing.
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(limits=limits) as client:
        model = ChatSambaNova(
            base_url=emu.base_url,
            api_key=API_KEY,
            timeout=30,
            http_async_client=client,
        )
        started = time.perf_counter()
        with Sampler(lambda: emu.open_connections) as connections:
            results = await stream_all(model, 200)
        elapsed = time.perf_counter() - started
    check_replies(results)
    assert 0 < connections.peak <= 20
    assert await wait_for(lambda: emu.open_connections == 0, timeout=60)
    report("200 streams over a 20-connection pool: wall time (s)", round(elapsed, 2))
    report("200 streams over a 20-connection pool: peak connections", connections.peak)


async def test_sequential_streams_reuse_one_pooled_connection(emu):
    # A stream read to its [DONE] gives its connection back to the pool, so a
    # conversation does not pay a new TCP (and, live, TLS) handshake per turn.
    emu.config = fast_config()
    model = ChatSambaNova(base_url=emu.base_url, api_key=API_KEY)
    for turn in range(5):
        text = "".join([str(c.content) async for c in model.astream(f"turn {turn}")])
        assert text == f"Emulated reply to: turn {turn}"
        assert await wait_for(lambda: emu.active_streams == 0)
        assert emu.open_connections == 1
    for _ in range(5):
        assert "".join(str(c.content) for c in model.stream("sync")) != ""
        assert await wait_for(lambda: emu.active_streams == 0)
        assert emu.open_connections == 2  # the sync pool's one, and the async one


RATE = 20.0  # requests per second
REQUESTS = 8


def rate_limited_model(emu: Emulator) -> ChatSambaNova:
    limiter = InMemoryRateLimiter(
        requests_per_second=RATE, check_every_n_seconds=0.005, max_bucket_size=1
    )
    return ChatSambaNova(base_url=emu.base_url, api_key=API_KEY, rate_limiter=limiter)


def arrival_times(emu: Emulator, expected: int) -> tuple[Sampler, list[float]]:
    """Timestamp each request's arrival at the emulator by polling its records."""
    times: list[float] = []

    def read() -> int:
        count = len(chat_requests(emu))
        while len(times) < count:
            times.append(time.perf_counter())
        return count

    return Sampler(read, interval=0.001), times


def check_throttled(started: float, elapsed: float, times: list[float]) -> None:
    # The bucket starts empty and holds one token: request k (from 1) may
    # leave k/RATE seconds after the start, so N take about N/RATE seconds.
    assert len(times) == REQUESTS
    # Loose above: a busy machine only makes the throttled run slower.
    assert REQUESTS / RATE * 0.85 <= elapsed < REQUESTS / RATE + 10.0
    for k, arrived in enumerate(times, start=1):
        assert arrived - started >= k / RATE * 0.9, (k, arrived - started)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    report(f"rate limiter {RATE:g}/s, {REQUESTS} requests (s)", round(elapsed, 3))
    report("rate limiter: arrival gaps (ms)", [round(g * 1000) for g in gaps])


async def test_rate_limiter_throttles_concurrent_async_calls(emu):
    emu.config = fast_config()
    model = rate_limited_model(emu)
    sampler, times = arrival_times(emu, REQUESTS)
    started = time.perf_counter()
    with sampler:
        results = await model.abatch([f"q{i}" for i in range(REQUESTS)])
    elapsed = time.perf_counter() - started
    assert [r.content for r in results] == [
        f"Emulated reply to: q{i}" for i in range(REQUESTS)
    ]
    check_throttled(started, elapsed, times)


async def test_rate_limiter_throttles_sync_calls(emu):
    emu.config = fast_config()
    model = rate_limited_model(emu)
    sampler, times = arrival_times(emu, REQUESTS)
    started = time.perf_counter()
    with sampler:
        for i in range(REQUESTS):
            assert model.invoke(f"q{i}").content == f"Emulated reply to: q{i}"
    check_throttled(started, time.perf_counter() - started, times)
