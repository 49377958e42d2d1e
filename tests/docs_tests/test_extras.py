"""A missing extra ends in one message naming the extra to install.

The demo's own check is tested in test_demo.py; here, the emulator package.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["uvicorn", "starlette"])
def test_emulator_without_its_extra_names_the_extra(module):
    # A fresh interpreter where the module cannot be imported, as after a
    # plain `pip install -e .`.
    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from langchain_provider.emulator import Emulator\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ModuleNotFoundError: ")
    assert repr(module) in last_line
    assert 'pip install "langchain-sambanova-cloud[emulator]"' in last_line
    # One error, not a chain ending in the bare one.
    assert result.stderr.count("Traceback") == 1
    assert "No module named" not in result.stderr


@pytest.mark.parametrize(
    ("argv0", "prog"),
    [
        ("/venv/bin/sambanova-emulator", "sambanova-emulator"),
        (
            "/src/langchain_provider/emulator/__main__.py",
            "python -m langchain_provider.emulator",
        ),
    ],
)
def test_emulator_help_names_the_command_as_run(monkeypatch, argv0, prog):
    """The docs name the console script; its --help must not name another."""
    from langchain_provider.emulator.__main__ import build_parser

    monkeypatch.setattr(sys, "argv", [argv0, "--help"])
    assert build_parser().format_usage().startswith(f"usage: {prog} ")
