"""The server itself: lifecycle, CLI, recording, pacing, load, disconnects."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from httpx_sse import aconnect_sse, connect_sse

from langchain_provider.emulator import Emulator, EmulatorConfig

from .helpers import chat_body, fast_config, post


def _wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_start_is_fast_and_stop_frees_port_and_thread():
    threads_before = set(threading.enumerate())
    started = time.perf_counter()
    emulator = Emulator(time_to_first_token=0, tokens_per_second=None)
    emulator.start()
    # About 15 ms when idle; the bound only catches a start that waits for
    # its startup timeout, and holds on a machine busy with other work.
    assert time.perf_counter() - started < 5.0
    assert emulator.base_url == f"http://127.0.0.1:{emulator.port}/v1"
    assert emulator.config.tokens_per_second is None  # kwargs shortcut
    assert httpx.post(
        f"{emulator.base_url}/chat/completions", json=chat_body()
    ).is_success
    emulator.stop()

    assert set(threading.enumerate()) <= threads_before
    with socket.socket() as probe:  # the port is free again
        probe.bind(("127.0.0.1", emulator.port))


def test_config_object_and_overrides_combine():
    config = EmulatorConfig(api_key="k", latency=0.5)
    emulator = Emulator(config, latency=0)
    assert (emulator.config.api_key, emulator.config.latency) == ("k", 0)


def test_config_rejects_unknown_choices():
    with pytest.raises(ValueError):
        EmulatorConfig(tool_call_style="sideways")


async def test_async_context_manager_does_not_block_the_loop():
    async with Emulator(fast_config()) as emulator:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{emulator.base_url}/chat/completions", json=chat_body()
            )
    assert response.json()["choices"][0]["message"]["content"].startswith("Emulated")


def test_requests_are_recorded(emu, client):
    post(client, emu, chat_body(temperature=0.5))
    client.post(f"{emu.base_url}/chat/completions", content=b"raw bytes")
    first, second = emu.requests

    assert first.path == "/v1/chat/completions"
    assert first.method == "POST"
    assert first.body["temperature"] == 0.5
    assert first.headers["content-type"] == "application/json"
    assert json.loads(first.raw) == first.body
    assert (second.body, second.raw) == (None, b"raw bytes")
    emu.clear()
    assert emu.requests == []


def test_cli_serves_until_terminated():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = f"--port {port} --ttft 0 --tps 0 --api-key k".split()
    command = [sys.executable, "-m", "langchain_provider.emulator", *options]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            base_url = process.stdout.readline().strip()
            assert base_url == f"http://127.0.0.1:{port}/v1"
            response = httpx.post(
                f"{base_url}/chat/completions",
                json=chat_body(),
                headers={"authorization": "Bearer k"},
            )
            assert response.status_code == 200
        finally:
            process.terminate()
        assert process.wait(timeout=60) == 0


def test_timings_follow_configured_pacing(emu, client):
    emu.config.time_to_first_token = 0.1
    emu.config.tokens_per_second = 100.0
    started = time.perf_counter()
    body = post(client, emu, chat_body("one two three four five six seven")).json()
    elapsed = time.perf_counter() - started
    usage = body["usage"]
    tokens = usage["completion_tokens"]  # 12

    # Tight lower bounds (a sleep never ends early) and the rate's upper bound
    # (a late token moves the schedule, it never makes a burst) are exact; the
    # other bounds only catch a pacing off by an order of magnitude, so a busy
    # machine that oversleeps still passes.
    assert 0.09 <= usage["time_to_first_token"] <= 5.0
    assert 10 <= usage["completion_tokens_after_first_per_sec"] <= 110
    expected = 0.1 + (tokens - 1) / 100
    assert expected * 0.9 <= usage["total_latency"] <= expected + 5.0
    assert usage["total_latency"] <= elapsed


def test_stream_is_paced_in_real_time(emu, client):
    emu.config.time_to_first_token = 0.1
    emu.config.tokens_per_second = 50.0
    arrivals = []
    started = time.perf_counter()
    body = chat_body(stream=True, stream_options={"include_usage": True})
    with connect_sse(
        client, "POST", f"{emu.base_url}/chat/completions", json=body
    ) as s:
        for event in s.iter_sse():
            arrivals.append(time.perf_counter() - started)
            if event.data != "[DONE]":
                usage = json.loads(event.data).get("usage")
    # Lower bounds and the rate's ceiling are exact; upper bounds on time are
    # loose enough for a busy machine (see test_timings_follow_configured_pacing).
    assert 0.09 <= arrivals[0] <= 5.0
    assert 9 / 50 * 0.9 <= arrivals[-1] - arrivals[0] <= 9 / 50 + 5.0  # 10 tokens
    assert 5 <= usage["completion_tokens_after_first_per_sec"] <= 55


def test_cut_leaves_no_error_in_the_server_log(emu, client, caplog):
    emu.script.cut_stream(after_chunks=1)
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        with pytest.raises(httpx.TransportError):
            post(client, emu, chat_body(stream=True)).read()
    assert not [r for r in caplog.records if r.name == "uvicorn.error"]


def test_client_leaving_mid_stream_is_counted(emu):
    emu.config.tokens_per_second = 20.0  # a 10-token reply takes ~0.5 s
    before = emu.disconnected_streams
    with httpx.Client() as http:
        body = chat_body(stream=True)
        with http.stream("POST", f"{emu.base_url}/chat/completions", json=body) as r:
            lines = r.iter_lines()  # kept: dropping it would close the connection
            next(lines)
            assert emu.active_streams == 1
    assert _wait_for(lambda: emu.disconnected_streams == before + 1)
    assert _wait_for(lambda: emu.active_streams == 0)


async def test_500_concurrent_streams(shared_emulator):
    emu = shared_emulator
    emu.config = fast_config()
    emu.clear()
    # httpx's default keep-alive cap (20): an unlimited idle pool makes httpcore's
    # bookkeeping quadratic, and the client, not the server, takes seconds.
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=20)

    async def one(http: httpx.AsyncClient, i: int) -> str:
        body = chat_body(f"Request {i}", stream=True)
        url = f"{emu.base_url}/chat/completions"
        async with aconnect_sse(http, "POST", url, json=body) as source:
            data = [event.data async for event in source.aiter_sse()]
        assert data[-1] == "[DONE]"
        return "".join(
            json.loads(d)["choices"][0]["delta"].get("content", "") for d in data[:-1]
        )

    # A generous read timeout: on a busy machine, opening 500 connections
    # while the first ones are held can take many seconds.
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        # Held streams stay open however long the others take to connect, so
        # "all 500 at once" is a condition to wait for, not a race with a timer.
        with emu.hold_streams():
            streams = asyncio.gather(*(one(http, i) for i in range(500)))
            all_open = await _await_condition(lambda: emu.active_streams == 500)
            assert emu.open_connections >= 500
        assert all_open, f"only {emu.active_streams} of 500 streams open at once"
        texts = await streams
        assert texts == [f"Emulated reply to: Request {i}" for i in range(500)]
        assert emu.open_connections > 0
    # The client is closed: the server sees its connections go.
    assert await _await_condition(lambda: emu.open_connections == 0)
    assert await _await_condition(lambda: emu.active_streams == 0)


async def _await_condition(condition, timeout: float = 60.0) -> bool:
    """Poll ``condition`` without blocking the loop, up to a generous deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True
