"""Run the whole client-overhead benchmark (issue 6) and write its results.

    pip install -e ".[bench]"
    python -m benchmarks.run            # about 5 minutes on 2 cores

Servers run in their own processes; each measurement of each client runs in
a fresh process (``benchmarks.worker``); rounds interleave the clients, in a
rotated order, and every number reported is a median over rounds with its
min-max spread. Writes ``benchmarks/results/results.json``, ``results.md``
and ``benchmark.png``, and prints the table with each client's ratio to ours.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from importlib import metadata
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.clients import CLIENTS  # noqa: E402
from benchmarks.report import (  # noqa: E402
    SCENARIOS,
    evaluate_targets,
    render_markdown,
    write_chart,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
LATENCY = 0.05
IMPORT_REPEATS = 3  # fresh interpreters per client per round
WORKER_TIMEOUT = 300

Table = dict[str, dict[str, list[float]]]  # scenario -> client -> samples

# Which server each scenario talks to (the import benchmark talks to none).
SERVER_FOR = {
    "stream": "stream",
    "memory": "stream",
    "invoke": "small",
    "concurrent": "small_latency",
}
# Clients that cannot do a scenario: reported n/a.
NOT_APPLICABLE = {("fake", "concurrent")}

_PACKAGES = (
    "langchain-sambanova-cloud",
    "langchain-core",
    "httpx",
    "httpcore",
    "httpx-sse",
    "langchain-sambanova",
    "sambanova",
    "langchain-openai",
    "openai",
    "starlette",
    "uvicorn",
)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # Tracing would add network calls; a set key would be used by competitors.
    for name in list(env):
        if name.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_", "SAMBANOVA_")):
            del env[name]
    # Imports are timed as a user sees them: with compiled bytecode cached.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    paths = [str(ROOT), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


ENV = _child_env()


class Server:
    """A benchmark server in its own process."""

    def __init__(self, impl: str, reply: str, latency: float) -> None:
        command = [sys.executable, "-m", "benchmarks.server", "--impl", impl]
        command += ["--reply", reply, "--latency", str(latency)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, env=ENV, cwd=ROOT
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"server {impl}/{reply} did not start: {line!r}")
        self.base_url = line.split(" ", 1)[1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (outside the repo) and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=ENV,
        cwd="/",
        check=True,
    )
    return done.stdout


def _run_worker(client: str, scenario: str, base_url: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.worker", client, scenario, base_url]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
        timeout=WORKER_TIMEOUT,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"value": None, "error": done.stderr.strip()[-800:] or "no output"}
    return json.loads(lines[-1])


def _time_import(statement: str) -> tuple[float, float]:
    """Return ``(cpu_ms, wall_ms)`` of ``statement`` in a fresh interpreter.

    CPU time is the reported figure: importing is CPU-bound (the bytecode is
    cached), so it equals wall time on an idle machine and, unlike wall time,
    does not move when other processes compete for the cores.
    """
    code = (
        "import time; c, w = time.process_time(), time.perf_counter(); "
        f"{statement}; "
        "print(time.process_time() - c, time.perf_counter() - w)"
    )
    cpu, wall = _run_python(code).split()
    return float(cpu) * 1e3, float(wall) * 1e3


def _available(client: str) -> str | None:
    """Return why a client cannot run here, or None when it can."""
    done = subprocess.run(
        [sys.executable, "-c", CLIENTS[client][1]],  # also caches the bytecode
        capture_output=True,
        text=True,
        env=ENV,
        cwd="/",
    )
    if done.returncode:
        return done.stderr.strip().splitlines()[-1] + " (pip install -e '.[bench]')"
    return None


def import_breakdown(repeats: int = 5) -> dict[str, Any]:
    """What importing ours costs on top of langchain-core's ``BaseChatModel``.

    In fresh interpreters that already imported ``BaseChatModel`` (the fake
    client's import), the CPU time of importing ours, and the modules that
    only ours brings in. (``-X importtime`` misattributes modules loaded by
    langchain-core's lazy ``__getattr__`` imports, so it is not used.)
    """
    code = (
        f"{CLIENTS['fake'][1]}\n"
        "import json, sys, time\n"
        "before = set(sys.modules); c = time.process_time()\n"
        f"{CLIENTS['ours'][1]}\n"
        "added = time.process_time() - c\n"
        "print(json.dumps([added, sorted(set(sys.modules) - before)]))"
    )
    added_ms, modules = [], []
    for _ in range(repeats):
        added, modules = json.loads(_run_python(code))
        added_ms.append(added * 1e3)
    packages: dict[str, list[str]] = defaultdict(list)
    for name in modules:
        top = name.split(".")[0]
        packages[top if top != "langchain_core" else name].append(name)
    return {
        "added_cpu_ms": _summary(added_ms),
        "added_modules": {k: len(v) for k, v in sorted(packages.items())},
    }


def _summary(values: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "values": values,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Client-overhead benchmark.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--server",
        choices=("emulator", "fast"),
        default="fast",
        help="fast (default): pre-rendered raw asyncio server; emulator: the package's",
    )
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    clients = args.clients.split(",")
    scenarios = args.scenarios.split(",")
    started = time.perf_counter()

    unavailable = {c: why for c in clients if (why := _available(c))}
    for client, why in unavailable.items():
        print(f"! {client} unavailable: {why}", file=sys.stderr)
    runnable = [c for c in clients if c not in unavailable]

    servers = {}
    try:
        if any(s in SERVER_FOR for s in scenarios):
            servers = {
                "stream": Server(args.server, "stream", 0.0),
                "small": Server(args.server, "small", 0.0),
                "small_latency": Server(args.server, "small", LATENCY),
            }
        samples: Table = defaultdict(lambda: defaultdict(list))
        errors: dict[str, dict[str, str]] = defaultdict(dict)
        extras: Table = defaultdict(lambda: defaultdict(list))
        for round_ in range(args.rounds):
            shift = round_ % len(runnable)
            order = runnable[shift:] + runnable[:shift]
            for scenario in scenarios:
                for client in order:
                    if (client, scenario) in NOT_APPLICABLE:
                        continue
                    if scenario == "import":
                        for _ in range(IMPORT_REPEATS):
                            cpu, wall = _time_import(CLIENTS[client][1])
                            samples[scenario][client].append(cpu)
                            extras[scenario][f"{client}:wall_ms"].append(wall)
                        continue
                    result = _run_worker(
                        client, scenario, servers[SERVER_FOR[scenario]].base_url
                    )
                    if result.get("value") is None:
                        errors[scenario][client] = result.get("error", "?")
                        print(
                            f"! {client}/{scenario}: {result.get('error')}",
                            file=sys.stderr,
                        )
                        continue
                    samples[scenario][client].append(result["value"])
                    for key in ("wall_per_request_us", "cpu_per_request_us"):
                        if key in result:
                            extras[scenario][f"{client}:{key}"].append(result[key])
            print(
                f"round {round_ + 1}/{args.rounds} done "
                f"({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
            )
        breakdown = import_breakdown() if "import" in scenarios else None
    finally:
        for server in servers.values():
            server.stop()

    results: dict[str, Any] = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "server": args.server,
            "rounds": args.rounds,
            "elapsed_s": round(time.perf_counter() - started, 1),
            "versions": {p: _version(p) for p in _PACKAGES},
            "labels": {c: CLIENTS[c][0] for c in clients},
        },
        "scenarios": {},
        "errors": {s: dict(e) for s, e in errors.items()},
        "unavailable": unavailable,
        "extras": {
            scenario: {key: statistics.median(v) for key, v in values.items()}
            for scenario, values in extras.items()
        },
        "import_breakdown": breakdown,
    }
    for scenario in scenarios:
        per_client: dict[str, Any] = {}
        for client in clients:
            if (client, scenario) in NOT_APPLICABLE or client in unavailable:
                per_client[client] = None
            elif client in errors[scenario] or not samples[scenario][client]:
                per_client[client] = {"error": errors[scenario].get(client, "no data")}
            else:
                per_client[client] = _summary(samples[scenario][client])
        results["scenarios"][scenario] = per_client
    results["targets"] = evaluate_targets(results["scenarios"])

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    markdown = render_markdown(results)
    (args.out / "results.md").write_text(markdown)
    write_chart(results, args.out / "benchmark.png")
    print(markdown)
    print(
        f"wrote {args.out}/results.json, results.md, benchmark.png "
        f"in {time.perf_counter() - started:.0f} s"
    )


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
