"""The README's first command: the demo runs offline and shows what it promises."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from langchain_provider._timing_table import use_colour

ROWS = ("invoke", "stream", "agent step 1", "agent step 2", "structured")


def _run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMBANOVA_")}
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
    assert "bundled emulator at http://127.0.0.1:" in out
    assert "warm-up call done" in out.split("== 1. invoke")[0]
    # The agent really ran the Python tool: 17 * 23 = 391, and answered with it.
    assert "tool call: multiply({'a': 17, 'b': 23})" in out
    assert "tool result: 391" in out
    assert "agent's answer:" in out and "391" in out.split("agent's answer:")[1]
    assert "CityFacts(" in out
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
