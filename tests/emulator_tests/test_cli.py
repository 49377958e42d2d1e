"""The emulator's command line, run as a user runs it: a real process."""

from __future__ import annotations

import argparse
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from langchain_provider.emulator.__main__ import build_parser

from .helpers import chat_body

COMMAND = [sys.executable, "-m", "langchain_provider.emulator"]
DEADLINE = 30.0


class _Lines:
    """A process's stdout, read line by line on a thread, waited on with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout
        self._thread = threading.Thread(
            target=lambda: [self._queue.put(line) for line in stdout], daemon=True
        )
        self._thread.start()

    def next(self) -> str:
        return self._queue.get(timeout=DEADLINE).rstrip("\n")

    def rest(self) -> list[str]:
        """The lines left once the process has closed its stdout."""
        self._thread.join(DEADLINE)
        return [self._queue.get_nowait() for _ in range(self._queue.qsize())]


@pytest.fixture
def served() -> Iterator[tuple[str, _Lines]]:
    """The CLI serving on a free port with --log-requests; yields (base URL, log)."""
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", "--ttft", "0", "--tps", "0", "--log-requests"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _Lines(process)
        yield lines.next(), lines
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=DEADLINE)
        assert process.stderr is not None
        process.stderr.close()
        assert process.stdout is not None
        process.stdout.close()


def test_every_option_has_help() -> None:
    parser = build_parser()
    options = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    assert {"--timing-naming", "--reference-placement", "--tool-call-style"} <= {
        flag for action in options for flag in action.option_strings
    }
    undocumented = [a.option_strings for a in options if not (a.help or "").strip()]
    assert undocumented == []
    text = parser.format_help()
    assert "--log-requests" in text and "--rate-limit-headers" in text


def test_a_busy_port_gives_one_line_and_a_failing_exit_code() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*COMMAND, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port}:")
    assert "already in use" in line
    assert result.stdout == ""


def test_an_invalid_setting_is_a_usage_error() -> None:
    result = subprocess.run(
        [*COMMAND, "--port", "0", "--tokens-per-chunk", "0"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "tokens_per_chunk must be at least 1" in result.stderr


def test_log_requests_prints_one_line_per_request(served) -> None:
    base_url, log = served
    with httpx.Client(timeout=DEADLINE) as client:
        client.post(f"{base_url}/chat/completions", json=chat_body())
        with client.stream(
            "POST", f"{base_url}/chat/completions", json=chat_body(stream=True)
        ) as response:
            response.read()
        client.post(f"{base_url}/chat/completions", json=chat_body(top_p=7))
        client.get(f"{base_url}/models")
    complete, streamed, invalid, models = (log.next() for _ in range(4))
    model = "model=Meta-Llama-3.3-70B-Instruct"
    assert f"POST /v1/chat/completions 200 {model} stream=no " in complete
    assert f"POST /v1/chat/completions 200 {model} stream=yes " in streamed
    assert f"POST /v1/chat/completions 400 {model} stream=no " in invalid
    assert "GET /v1/models 200 model=- stream=no " in models
    for line in (complete, streamed, invalid, models):
        assert line.endswith(" ms")
        float(line.split()[-2])  # the duration is a number


def test_without_log_requests_nothing_is_logged() -> None:
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", "--ttft", "0", "--tps", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = _Lines(process)
        base_url = lines.next()
        httpx.post(f"{base_url}/chat/completions", json=chat_body(), timeout=DEADLINE)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=DEADLINE)
    assert lines.rest() == []
