"""The Speed guide's results block, rendered from the files the benchmark writes.

``python -m benchmarks.run`` writes ``benchmarks/results/results.json`` and
``results.md``; after a run, ``python tests/docs_tests/_speed.py`` rewrites the
block between the markers in ``docs/speed.md`` from them (the command, date and
machine of the run, then its tables). ``test_speed_guide`` checks the block is
current, so the guide never shows figures of another run.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "speed.md"
RESULTS = ROOT / "benchmarks" / "results"
BEGIN = (
    "<!-- benchmark results: begin (generated from benchmarks/results/ by "
    "`python tests/docs_tests/_speed.py`; do not edit by hand) -->"
)
END = "<!-- benchmark results: end -->"


def render_block(results_dir: Path = RESULTS) -> str:
    """The block: how, when and where the run was made, then its tables."""
    meta = json.loads((results_dir / "results.json").read_text())["meta"]
    report = (results_dir / "results.md").read_text().splitlines()
    # Drop the report's title and its one-line summary of the run: the line
    # below says the same with the machine named.
    body = report[1:]
    while body and (not body[0].strip() or re.match(r"\d{4}-\d\d-\d\d ", body[0])):
        body = body[1:]
    body = [f"#{line}" if line.startswith("## ") else line for line in body]
    command = "python -m benchmarks.run"
    options = []
    if meta.get("server", "fast") != "fast":
        options.append(f"--server {meta['server']}")
    if meta.get("rounds", 5) != 5:
        options.append(f"--rounds {meta['rounds']}")
    command = " ".join([command, *options])
    machine = f"{meta['platform']}, {meta['cpus']} CPUs, Python {meta['python']}"
    header = (
        f"Run `{command}` on {meta['date']}, on {machine} "
        f"({meta['rounds']} rounds, {meta['server']} server, "
        f"{meta['elapsed_s']:.0f} s)."
    )
    return "\n".join([BEGIN, "", header, "", *body, "", END])


def current_block(text: str) -> str:
    """The block as the guide holds it now."""
    start = text.index(BEGIN)
    end = text.index(END, start) + len(END)
    return text[start:end]


def main() -> int:
    """Rewrite the guide's block from the latest results."""
    text = GUIDE.read_text()
    GUIDE.write_text(text.replace(current_block(text), render_block()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
