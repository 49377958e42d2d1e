"""The README's first command: the demo runs offline and shows what it promises."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from langchain_provider import demo as demo_module
from langchain_provider._timing_table import CallTimer, use_colour
from langchain_provider.emulator import Emulator

ROWS = ("invoke", "stream", "agent step 1", "agent step 2", "structured")


def _run_demo(
    *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMBANOVA_")}
    env.update(env_extra or {})
    return subprocess.run(
        [
            sys.executable,
            "-W",
            "error::DeprecationWarning",
            "-m",
            "langchain_provider.demo",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _table(out: str) -> tuple[list[str], dict[str, list[str]]]:
    """The timing table's header cells (joined over its 3 lines) and its rows."""
    section = out.split("== 5. timing metrics")[1]
    lines = section.splitlines()[1:]
    rule = next(i for i, line in enumerate(lines) if line.startswith("----"))
    header_lines = lines[rule - 3 : rule]
    spans = [m.span() for m in re.finditer(r"-+", lines[rule])]
    header = [
        " ".join(line[a:b].strip() for line in header_lines).strip() for a, b in spans
    ]
    rows = {}
    for line in lines[rule + 1 :]:
        if not line.strip():
            break
        cells = [line[a:b].strip() for a, b in spans]
        rows[cells[0]] = cells[1:]
    return header, rows


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    """One run of the demo, shared by the tests that read its output."""
    return _run_demo()


def test_demo_runs_against_the_embedded_emulator(demo):
    result = demo
    assert result.returncode == 0, result.stderr
    out = result.stdout
    first_line = out.splitlines()[0]
    assert "on the embedded emulator at http://127.0.0.1:" in first_line
    assert "live" not in first_line
    assert "warm-up call done" in out.split("== 1. invoke")[0]
    # The agent really ran the Python tool: 17 * 23 = 391, and answered with it.
    assert "tool call: multiply({'a': 17, 'b': 23})" in out
    assert "tool result: 391" in out
    assert "agent's answer:" in out and "391" in out.split("agent's answer:")[1]
    assert "CityFacts(" in out
    # The emulator's facts are shapes, not knowledge: the demo says so.
    facts = out.split("== 4. structured output ==")[1].split("==")[0]
    assert "the emulator's placeholder values" in facts
    assert "\033[" not in out  # not a terminal: no colour codes


def test_the_timing_table_compares_the_same_call(demo):
    result = demo
    assert result.returncode == 0, result.stderr
    header, rows = _table(result.stdout)
    assert header == [
        "call",
        "server TTFT (ms)",
        "client TTFT (ms)",
        "server exec (ms)",
        "client wall (ms)",
        "network +client (ms)",
        "server speed (tok/s)",
    ]
    assert list(rows) == list(ROWS)  # each agent step is its own row
    for label, cells in rows.items():
        server_ttft, client_ttft, server_exec, wall, overhead, speed = cells
        # The overhead is this row's wall minus this row's server time.
        assert abs(float(wall) - float(server_exec) - float(overhead)) <= 0.11, label
        assert float(wall) >= float(server_exec), label
        assert re.fullmatch(r"\d+", speed), label  # whole tok/s, no false precision
        assert float(server_ttft) > 0
        # Warmed up: no row carries the first call's connection set-up.
        assert float(overhead) < 250, label
        assert (client_ttft == "-") == (label != "stream"), label
    stream = rows["stream"]
    assert float(stream[1]) >= float(stream[0])  # the client sees it after the server
    headline = result.stdout.split("Headline:")[1]
    assert "ms per call (median)" in headline
    assert "after the server's TTFT" in headline
    assert "--reference-naming" not in result.stdout


def test_reference_naming_adds_the_queue_column():
    result = _run_demo("--timing-naming", "reference")
    assert result.returncode == 0, result.stderr
    header, rows = _table(result.stdout)
    assert header[-1] == "server queue (ms)"
    assert all(cells[-1] != "-" for cells in rows.values())


def test_help_is_plain_text():
    result = _run_demo("--help")
    assert result.returncode == 0
    assert "``" not in result.stdout
    assert "--timing-naming" in result.stdout


def test_every_flag_the_footnote_names_is_accepted_by_the_emulator_cli():
    from langchain_provider.emulator.__main__ import build_parser

    build_parser().parse_args(["--timing-naming", "reference"])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, True),
        ({"NO_COLOR": "1"}, False),
        ({"NO_COLOR": ""}, False),
        ({"TERM": "dumb"}, False),
    ],
)
def test_colour_only_on_a_terminal_that_wants_it(monkeypatch, env, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert use_colour(_Terminal()) is expected
    assert use_colour(io.StringIO()) is False


def test_a_reasoning_model_on_another_server_is_named_and_timed_like_for_like():
    """Key set, base URL local: "the server at <url>", never "the live service".

    The emulator reasons slowly here (20 tokens/s), so a client TTFT taken at
    the first *text* token would trail the server's TTFT by the whole
    reasoning (about 0.8 s); the same first token arrives within milliseconds.
    """
    key = "demo-test-key"
    with Emulator(api_key=key, time_to_first_token=0.05, tokens_per_second=20) as emu:
        result = _run_demo(
            "--model",
            "gpt-oss-120b",
            env_extra={"SAMBANOVA_API_KEY": key, "SAMBANOVA_BASE_URL": emu.base_url},
        )
        served = [r for r in emu.requests if r.path == "/v1/chat/completions"]
    assert result.returncode == 0, result.stderr
    out = result.stdout
    first_line = out.splitlines()[0]
    assert f"gpt-oss-120b on the server at {emu.base_url}" in first_line
    assert "live" not in first_line
    assert len(served) >= 6  # every call of the tour went to that server
    # The reasoning is shown, for the invoke and for the stream.
    invoke = out.split("== 1. invoke ==")[1].split("== 2.")[0]
    stream = out.split("== 2. stream ==")[1].split("== 3.")[0]
    assert "reasoning: The user wrote" in invoke
    assert "reasoning: The user wrote" in stream
    assert stream.index("reasoning:") < stream.index("Emulated reply to:")
    assert "placeholder" not in out  # only said of the embedded emulator
    _, rows = _table(out)
    server_ttft, client_ttft = (float(cell) for cell in rows["stream"][:2])
    assert client_ttft - server_ttft < 400, (server_ttft, client_ttft)


class _Chunk:
    """The parts of a streamed ChatGenerationChunk the timer reads."""

    def __init__(self, content="", reasoning=None, **metadata):
        from langchain_core.messages import AIMessageChunk

        kwargs = {"reasoning_content": reasoning} if reasoning else {}
        self.message = AIMessageChunk(
            content=content,
            additional_kwargs=kwargs,
            response_metadata={k: v for k, v in metadata.items() if k != "usage"},
            usage_metadata=metadata.get("usage"),
        )


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("first", "expected_ttft"),
    [
        (_Chunk(reasoning="The"), 0.1),  # gpt-oss: reasoning deltas come first
        (_Chunk(), 0.1),  # DeepSeek-R1: "<think>", parsed away, is still a token
        (_Chunk(finish_reason="stop"), 0.3),  # a bare closing chunk is not
    ],
    ids=["reasoning", "think-tag", "closing-chunk"],
)
def test_client_ttft_is_the_first_generated_token(first, expected_ttft):
    from uuid import uuid4

    clock = _Clock()
    timer = CallTimer(clock=clock)
    run = uuid4()
    timer.on_chat_model_start({}, [], run_id=run)
    clock.now += 0.1
    timer.on_llm_new_token("", chunk=first, run_id=run)
    clock.now += 0.2
    timer.on_llm_new_token("Hello", chunk=_Chunk("Hello"), run_id=run)
    clock.now += 0.2
    timer.on_llm_new_token("", chunk=_Chunk(finish_reason="stop"), run_id=run)
    [(_, timing)] = timer._open.values()
    assert timing.client_ttft == pytest.approx(expected_ttft)


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://api.sambanova.ai/v1", "the live SambaNova service"),
        ("http://127.0.0.1:8765/v1", "the server at http://127.0.0.1:8765/v1"),
        (
            "https://api.sambanova.ai.example.com/v1",
            "the server at https://api.sambanova.ai.example.com/v1",
        ),
    ],
)
def test_the_target_is_named_by_its_host(base_url, expected):
    assert demo_module.describe_target(base_url).startswith(expected)


@pytest.mark.parametrize("module", ["langchain", "langgraph", "uvicorn"])
def test_a_missing_demo_extra_stops_before_the_tour(monkeypatch, capsys, module):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    with pytest.raises(SystemExit) as stopped:
        demo_module.main([])
    message = str(stopped.value.code)
    assert module in message
    assert 'pip install "langchain-sambanova-cloud[demo]"' in message
    assert capsys.readouterr().out == ""  # nothing ran
