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
