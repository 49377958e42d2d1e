"""The README's first command: the demo runs offline and shows what it promises."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_runs_against_the_embedded_emulator():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMBANOVA_")}
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::DeprecationWarning",
            "-m",
            "langchain_provider.demo",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "bundled emulator at http://127.0.0.1:" in out
    # The agent really ran the Python tool: 17 * 23 = 391, and answered with it.
    assert "tool call: multiply({'a': 17, 'b': 23})" in out
    assert "tool result: 391" in out
    assert "agent's answer:" in out and "391" in out.split("agent's answer:")[1]
    assert "CityFacts(" in out
    table = out.split("timing metrics")[1]
    for row in ("invoke", "stream", "structured"):
        assert row in table
    assert "TTFT (s)" in table and "queue (s)" in table
