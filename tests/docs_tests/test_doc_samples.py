"""Every Python sample of the README and of docs/*.md runs on its own.

Each sample runs in a fresh interpreter, fed line by line as a reader pasting
it into the plain Python REPL would (``_repl.py``): a sample that leans on
another's imports or variables fails, and so does one the REPL cannot take
(a top-level line right after an indented block). The samples reach the
server the way a reader's code does, through the environment:
``SAMBANOVA_BASE_URL`` points at one emulator shared by all of them, and
``SAMBANOVA_API_KEY`` holds the key it requires. They run two at a time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from langchain_provider.emulator import Emulator

from ._samples import REPL, Sample, document_samples, documents
from ._speed import GUIDE, current_block, render_block
from .test_code_samples import _tiny_png

KEY = "docs-sample-key"
SAMPLES = [s for s in document_samples() if not s.output_only]


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with Emulator(api_key=KEY, time_to_first_token=0, tokens_per_second=None) as emu:
        yield emu


@pytest.fixture(scope="module")
def results(
    server: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every sample once, each in its own interpreter, two at a time."""
    workdir = tmp_path_factory.mktemp("samples")
    (workdir / "photo.png").write_bytes(_tiny_png())
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SAMBANOVA_", "LANGSMITH_", "LANGCHAIN_"))
    }
    env.update(SAMBANOVA_API_KEY=KEY, SAMBANOVA_BASE_URL=server.base_url)

    def run(sample: Sample) -> subprocess.CompletedProcess[str]:
        path = workdir / f"sample_{sample.label.replace('/', '_').replace(':', '_')}.py"
        path.write_text(sample.code)
        return subprocess.run(
            [sys.executable, str(REPL), str(path)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(
            zip((s.label for s in SAMPLES), pool.map(run, SAMPLES), strict=True)
        )


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.label for s in SAMPLES])
def test_sample_runs_on_its_own(sample: Sample, results) -> None:
    result = results[sample.label]
    assert result.returncode == 0, (
        f"sample at {sample.label} failed when pasted into a fresh REPL:\n"
        f"{result.stdout}\n{result.stderr}"
    )
    # A sample shows the reader something: one that prints nothing proves little.
    assert result.stdout.strip(), sample.label


def test_samples_reach_the_server_with_the_key_from_the_environment(
    server: Emulator, results
) -> None:
    assert results
    chat = [r for r in server.requests if r.path == "/v1/chat/completions"]
    assert len(chat) >= 10
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in chat)


def test_quick_start_answers(results) -> None:
    [quick_start] = [s for s in SAMPLES if s.label.startswith("README.md")][:1]
    out = results[quick_start.label].stdout
    assert "Emulated reply to: What is the capital of France?" in out


def test_every_guide_has_samples_or_is_prose() -> None:
    labelled = {s.source for s in SAMPLES}
    assert "README.md" in labelled
    for guide in ("configuration", "agents", "streaming", "errors", "emulator"):
        assert f"docs/{guide}.md" in labelled, guide


def test_the_repl_runner_rejects_what_the_repl_rejects(tmp_path: Path) -> None:
    def runs(code: str) -> bool:
        path = tmp_path / "sample.py"
        path.write_text(code)
        result = subprocess.run(
            [sys.executable, str(REPL), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return result.returncode == 0

    assert runs("x = []\nfor n in range(3):\n    x.append(n)\n\nprint(x)\n")
    # The REPL needs a blank line to end the block before a top-level line.
    assert not runs("x = []\nfor n in range(3):\n    x.append(n)\nprint(x)\n")
    # A blank line inside a function body ends it early in the REPL.
    assert not runs("def f():\n    a = 1\n\n    return a\n\nprint(f())\n")
    assert not runs("print(undefined_name)\n")


def test_the_readme_links_every_guide() -> None:
    readme = documents()[0].read_text()
    for guide in (
        "configuration",
        "agents",
        "streaming",
        "errors",
        "rate-limits",
        "emulator",
        "testing",
        "speed",
        "architecture",
        "mutation",
    ):
        assert f"(docs/{guide}.md" in readme, guide
    assert len(readme.splitlines()) <= 250


def test_speed_guide_shows_the_last_benchmark_run() -> None:
    assert current_block(GUIDE.read_text()) == render_block(), (
        "docs/speed.md is out of date: run python tests/docs_tests/_speed.py"
    )


def test_the_package_is_typed() -> None:
    import langchain_provider

    marker = Path(langchain_provider.__file__).with_name("py.typed")
    assert marker.is_file()
