"""One measurement of one client, in a fresh process; prints one JSON line.

    python -m benchmarks.worker CLIENT SCENARIO BASE_URL

Scenarios: ``stream`` (CPU per chunk), ``invoke`` (CPU per request),
``concurrent`` (wall time of 256 ``ainvoke``), ``memory`` (tracemalloc peak
while streaming). Startup and imports are outside every measurement, and each
measurement follows a warm-up call (connection open, lazy imports done).
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
import tracemalloc
from typing import Any

from benchmarks._payload import (
    PROMPT,
    SMALL_PROMPT,
    SMALL_REPLY,
    STREAM_CHUNKS,
    STREAM_TEXT,
)
from benchmarks.clients import FACTORIES, Client

STREAM_REPEATS = 3
INVOKES = 200
INVOKE_WARMUP = 10
CONCURRENCY = 256
CONCURRENT_BATCHES = 5


class WrongAnswer(Exception):
    """The client returned text other than what the server sent."""


def _check(got: str, expected: str) -> None:
    if got != expected:
        diverge = next(
            (i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
            min(len(got), len(expected)),
        )
        raise WrongAnswer(
            f"wrong text: {len(got)} chars vs {len(expected)} expected, first "
            f"difference at {diverge}: {got[diverge : diverge + 40]!r}"
        )


def bench_stream(client: Client) -> dict[str, Any]:
    assert client.stream is not None
    _check(client.stream(PROMPT), STREAM_TEXT)  # warm-up
    samples = []
    for _ in range(STREAM_REPEATS):
        cpu = time.process_time()
        text = client.stream(PROMPT)
        samples.append((time.process_time() - cpu) / STREAM_CHUNKS * 1e6)
        _check(text, STREAM_TEXT)
    return {"value": statistics.median(samples), "samples": samples, "unit": "us"}


def bench_invoke(client: Client) -> dict[str, Any]:
    assert client.invoke is not None
    for _ in range(INVOKE_WARMUP):
        _check(client.invoke(SMALL_PROMPT), SMALL_REPLY)
    replies = []
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(INVOKES):
        replies.append(client.invoke(SMALL_PROMPT))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    for reply in replies:
        _check(reply, SMALL_REPLY)
    return {
        "value": cpu / INVOKES * 1e6,
        "wall_per_request_us": wall / INVOKES * 1e6,
        "unit": "us",
    }


def bench_concurrent(client: Client) -> dict[str, Any]:
    ainvoke = client.ainvoke
    assert ainvoke is not None

    async def main() -> tuple[list[float], float]:
        _check(await ainvoke(SMALL_PROMPT), SMALL_REPLY)  # warm-up
        walls = []
        cpu = time.process_time()
        for _ in range(CONCURRENT_BATCHES):
            start = time.perf_counter()
            replies = await asyncio.gather(
                *(ainvoke(SMALL_PROMPT) for _ in range(CONCURRENCY))
            )
            walls.append((time.perf_counter() - start) * 1e3)
            for reply in replies:
                _check(reply, SMALL_REPLY)
        return walls, time.process_time() - cpu

    walls, cpu = asyncio.run(main())
    return {
        "value": statistics.median(walls),
        "samples": walls,
        "cpu_per_request_us": cpu / (CONCURRENT_BATCHES * CONCURRENCY) * 1e6,
        "unit": "ms",
    }


def bench_memory(client: Client) -> dict[str, Any]:
    assert client.stream is not None
    _check(client.stream(PROMPT), STREAM_TEXT)  # warm-up
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    text = client.stream(PROMPT)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    _check(text, STREAM_TEXT)
    return {"value": (peak - base) / 1024, "unit": "KiB"}


SCENARIOS = {
    "stream": bench_stream,
    "invoke": bench_invoke,
    "concurrent": bench_concurrent,
    "memory": bench_memory,
}


def main() -> None:
    client_name, scenario, base_url = sys.argv[1:4]
    client = FACTORIES[client_name](base_url)
    try:
        result = SCENARIOS[scenario](client)
    except WrongAnswer as exc:
        result = {"value": None, "error": str(exc)}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
