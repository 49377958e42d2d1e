"""Bursts against an enforced rate limit, with pacing off and on (issue 21).

    python -m benchmarks.rate_limits            # about 2 minutes
    python -m benchmarks.rate_limits --write    # also benchmarks/results/rate_limits.md

The emulator enforces 20 requests per 5 s window per key (``rate_limit``),
sends the ``x-ratelimit-*-requests`` headers on every answer, and a 429 with
``retry-after`` when over; its timing is its default (50 ms to the first
token, 500 tokens/s). Each setup fires 100 concurrent ``ainvoke`` with
``ChatSambaNova``'s defaults, from one process or from four processes
sharing the key (25 calls each), and uses a key of its own, so each starts on
a fresh window. Every client runs in a fresh process; all start their burst at
an agreed instant once every one has imported, so wall time excludes
interpreter start-up.

Reported per setup: calls that failed at the user, 429s the server answered
(from its access log), requests sent (every answer the server gave), and the
wall time from the agreed start to the last call's end. The shortest wall
the limit allows is 20 s: the fifth batch of 20 starts when the fifth window
opens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/rate_limits.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESULTS = Path(__file__).resolve().parent / "results" / "rate_limits.md"
LIMIT = "20/5s"
CALLS = 100
IDEAL = 20.0
START_DELAY = 0.5  # from "all workers ready" to the agreed start
WORKER_TIMEOUT = 300


def worker(base_url: str, key: str, calls: int, pacing: bool) -> None:
    """One client process: ``calls`` concurrent ``ainvoke``; prints a JSON line.

    It says ``ready`` once imported, then reads the agreed start time from
    stdin, so that no process's start-up counts in the wall time.
    """
    from langchain_provider import ChatSambaNova

    llm = ChatSambaNova(base_url=base_url, api_key=key, rate_limit_pacing=pacing)
    print("ready", flush=True)
    start_at = float(sys.stdin.readline())

    async def burst() -> list[Any]:
        return await asyncio.gather(
            *(llm.ainvoke(f"question {i}") for i in range(calls)),
            return_exceptions=True,
        )

    time.sleep(max(0.0, start_at - time.time()))
    results = asyncio.run(burst())
    failed = Counter(type(r).__name__ for r in results if isinstance(r, BaseException))
    print(json.dumps({"end": time.time(), "failed": dict(failed)}), flush=True)


class _Statuses(logging.Handler):
    """Counts the emulator's answers to chat completions by status."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[int] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        parts = record.getMessage().split()
        if parts[:2] == ["POST", "/v1/chat/completions"]:
            self.counts[int(parts[2])] += 1


def run_setup(base_url: str, statuses: _Statuses, processes: int, pacing: bool) -> dict:
    """Run one setup; return its row."""
    statuses.counts.clear()
    key = f"bench-{uuid.uuid4().hex}"
    per_process = CALLS // processes
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.rate_limits",
                "--worker",
                json.dumps([base_url, key, per_process, pacing]),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )
        for _ in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("a worker failed to start")
    start_at = time.time() + START_DELAY
    reports = []
    for child in children:
        out, _ = child.communicate(f"{start_at}\n", timeout=WORKER_TIMEOUT)
        reports.append(json.loads(out.strip().splitlines()[-1]))
    time.sleep(0.2)  # the access log line is written as the answer ends
    failed: Counter[str] = Counter()
    for report in reports:
        failed.update(report["failed"])
    return {
        "processes": processes,
        "pacing": pacing,
        "failed": sum(failed.values()),
        "failed_kinds": dict(failed),
        "429s": statuses.counts[429],
        "sent": sum(statuses.counts.values()),
        "wall": max(report["end"] for report in reports) - start_at,
    }


def render(rows: list[dict], machine: str) -> str:
    """The Markdown table of the rows, with date, machine and targets."""
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        "# Bursts against an enforced rate limit (issue 21)",
        "",
        f"Measured {date} on {machine} with `python -m benchmarks.rate_limits "
        "--write`: the emulator enforcing 20 requests per 5 s per key (default "
        "timing: 50 ms to the first token, 500 tokens/s), 100 concurrent "
        "`ainvoke` with `ChatSambaNova`'s defaults (`max_retries=2`), from one "
        "process or four sharing the key (25 calls each). The ideal wall is 20 s.",
        "",
        "| setup | pacing | failed at the user | 429s at the server "
        "| requests sent | wall | wall / ideal |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        setup = (
            "1 process" if row["processes"] == 1 else f"{row['processes']} processes"
        )
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(row["failed_kinds"].items()))
        failed = f"{row['failed']} ({kinds})" if kinds else "0"
        lines.append(
            f"| {setup} | {'on (default)' if row['pacing'] else 'off'} | {failed} "
            f"| {row['429s']} | {row['sent']} | {row['wall']:.1f} s "
            f"| {row['wall'] / IDEAL:.2f} |"
        )
    lines += [
        "",
        "Targets with pacing on: one process, 100 succeed, at most 2 429s, wall at "
        "most 1.15 x 20 s; four processes, all succeed, at most 25 429s in total, "
        "wall at most 1.25 x 20 s.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run every setup, print the table, and write it with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS}")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*json.loads(args.worker))
        return

    from langchain_provider.emulator import Emulator

    statuses = _Statuses()
    access = logging.getLogger("langchain_provider.emulator.access")
    access.addHandler(statuses)
    access.setLevel(logging.INFO)
    access.propagate = False
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    rows = []
    with Emulator(rate_limit=LIMIT, log_requests=True) as emu:
        for processes in (1, 4):
            for pacing in (False, True):
                row = run_setup(emu.base_url, statuses, processes, pacing)
                print(json.dumps(row), flush=True)
                rows.append(row)
    table = render(rows, machine)
    print(table)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(table)


if __name__ == "__main__":
    main()
