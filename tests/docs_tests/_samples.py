"""Collect and run the Python samples of the README, the guides and the docstring.

Convention (visible in the docs themselves): a sample whose first line is a
comment starting with ``# Example output`` shows what a call returns; it is
collected but not run. Every other ``python`` block runs.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
REPL = Path(__file__).resolve().parent / "_repl.py"
OUTPUT_MARKER = "# Example output"

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
_RST_BLOCK = re.compile(r"^( *)\.\. code-block:: python[ \t]*\n")


@dataclass
class Sample:
    """One code sample and where it comes from."""

    source: str
    line: int
    code: str

    @property
    def output_only(self) -> bool:
        return self.code.lstrip().startswith(OUTPUT_MARKER)

    @property
    def label(self) -> str:
        return f"{self.source}:{self.line}"


def readme_samples(text: str | None = None, source: str = "README.md") -> list[Sample]:
    """Every ```python block of the README (or of `text`), in order."""
    text = README.read_text() if text is None else text
    return [
        Sample(source, text.count("\n", 0, match.start()) + 1, match.group(1))
        for match in _FENCE.finditer(text)
    ]


def documents() -> list[Path]:
    """The README and every guide in docs/."""
    return [README, *sorted(DOCS.glob("*.md"))]


def document_samples() -> list[Sample]:
    """Every ```python block of the README and of the guides, in order."""
    return [
        sample
        for path in documents()
        for sample in readme_samples(path.read_text(), str(path.relative_to(ROOT)))
    ]


def section(text: str, heading: str) -> str:
    """The body of a README section (up to the next heading of any level <= it)."""
    level = heading.split(" ", 1)[0]
    body = text.split(f"\n{heading}\n", 1)[1]
    return re.split(rf"\n#{{1,{len(level)}}} ", body, maxsplit=1)[0]


def docstring_samples(obj: Any) -> list[Sample]:
    """Every ``.. code-block:: python`` block of an object's docstring, in order."""
    doc = inspect.getdoc(obj) or ""
    lines = doc.splitlines()
    samples = []
    index = 0
    while index < len(lines):
        match = _RST_BLOCK.match(lines[index] + "\n")
        index += 1
        if not match:
            continue
        indent = len(match.group(1))
        start = index
        # The block is every following line that is blank or indented deeper.
        while index < len(lines) and (
            not lines[index].strip()
            or len(lines[index]) - len(lines[index].lstrip()) > indent
        ):
            index += 1
        code = textwrap.dedent("\n".join(lines[start:index])).strip("\n") + "\n"
        samples.append(Sample(obj.__qualname__, start + 1, code))
    return samples


def run_sample(sample: Sample, namespace: dict[str, Any]) -> None:
    """Run one sample in `namespace` (shared by a document's samples, in order).

    Top-level ``await`` and ``async for`` work, as in a notebook.
    """
    code = compile(
        sample.code,
        sample.label,
        "exec",
        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
    )
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(code, namespace))  # noqa: S307 - our own docs
    else:
        exec(code, namespace)  # noqa: S102 - our own docs
