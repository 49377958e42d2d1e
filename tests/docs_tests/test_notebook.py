"""The docs notebook runs top to bottom against the emulator: it cannot go stale."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "chat_sambanova.ipynb"


def _code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_stored_notebook_has_outputs():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    # Every code cell but the final clean-up shows its result on the docs page.
    assert all(cell.outputs for cell in _code_cells(stored)[:-1])


def test_stored_notebook_ran_top_to_bottom_in_one_session():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    counts = [cell.execution_count for cell in _code_cells(stored)]
    assert counts == list(range(1, len(counts) + 1))


def _stored_text(cell) -> str:
    return "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for o in cell.outputs
    )


def test_stored_outputs_are_clean():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    cells = _code_cells(stored)
    [streamed] = [c for c in cells if 'end="|"' in c.source]
    # Empty closing chunks are not printed as separators ("|||").
    assert "||" not in _stored_text(streamed)
    assert _stored_text(streamed).count("|") >= 3
    [rejected] = [c for c in cells if "temperature=3" in c.source]
    # One clear line, not pydantic's three-line report.
    assert _stored_text(rejected).strip().splitlines() == [
        "Rejected: temperature must be a number from 0 to 2, got 3."
    ]


def test_stored_timing_plot_has_two_panels_side_by_side():
    """Server vs client phases beside a zoom at the first token (a wide figure)."""
    stored = nbformat.read(NOTEBOOK, as_version=4)
    pngs = [
        base64.b64decode(output["data"]["image/png"])
        for cell in _code_cells(stored)
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert pngs
    width, height = struct.unpack(">II", pngs[-1][16:24])  # the PNG's IHDR
    assert width >= 2.5 * height, (width, height)


def test_notebook_executes_against_the_emulator(monkeypatch, tmp_path):
    monkeypatch.delenv("SAMBANOVA_API_KEY", raising=False)
    monkeypatch.delenv("SAMBANOVA_BASE_URL", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [output for cell in _code_cells(notebook) for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for o in outputs
    )
    assert "Target: http://127.0.0.1:" in text
    assert "temperature must be a number from 0 to 2" in text
    assert "'name': 'GetWeather'" in text
    assert "391" in text  # the agent ran the real multiply tool
    assert "throughput_after_first_token" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the timing plot
    # The reasoning agent sent gpt-oss's reasoning back with its tool call.
    assert "reasoning sent back: The user wrote" in text
