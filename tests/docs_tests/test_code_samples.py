"""ChatSambaNova's docstring samples run; the serialization recipe restores a model.

The docstring's samples run in order in one namespace (as a reader runs them
in one session), against an emulator that requires an API key. Samples
written for the live service reach it through the environment, as a reader's
would: ``SAMBANOVA_BASE_URL`` points at the emulator and ``SAMBANOVA_API_KEY``
holds the key it requires. The README's and the guides' samples each run on
their own: see test_doc_samples.py.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_provider import ChatSambaNova
from langchain_provider.emulator import Emulator

from ._samples import (
    DOCS,
    OUTPUT_MARKER,
    Sample,
    docstring_samples,
    document_samples,
    readme_samples,
    run_sample,
    section,
)

KEY = "docs-sample-key"

pytestmark = pytest.mark.filterwarnings(
    "ignore::langchain_core._api.LangChainBetaWarning"
)


@pytest.fixture
def docs_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Emulator]:
    """A reader's session: key and base URL in the environment, a photo at hand."""
    with Emulator(api_key=KEY, time_to_first_token=0, tokens_per_second=None) as emu:
        monkeypatch.setenv("SAMBANOVA_API_KEY", KEY)
        monkeypatch.setenv("SAMBANOVA_BASE_URL", emu.base_url)
        monkeypatch.chdir(tmp_path)
        (tmp_path / "photo.png").write_bytes(_tiny_png())
        yield emu


def _run_all(samples: list[Sample]) -> list[str]:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = []
    for sample in samples:
        if sample.output_only:
            continue
        try:
            run_sample(sample, namespace)
        except Exception as exc:  # name the sample, keep the cause
            raise AssertionError(f"sample at {sample.label} failed: {exc!r}") from exc
        ran.append(sample.label)
    return ran


def test_every_docstring_sample_runs(docs_env: Emulator) -> None:
    samples = docstring_samples(ChatSambaNova)
    ran = _run_all(samples)
    assert len(ran) >= 8, ran
    models = {r.body["model"] for r in docs_env.requests if r.body}
    assert "gemma-4-31B-it" in models  # the image sample really sent its image
    image_requests = [r for r in docs_env.requests if b"image/png;base64," in r.raw]
    assert image_requests


def test_readme_serialization_recipe_restores_a_working_model(
    docs_env: Emulator, capsys
) -> None:
    text = (DOCS / "configuration.md").read_text()
    [sample] = readme_samples(section(text, "## Serialization"))
    assert "load(dumpd(llm)" in sample.code
    namespace: dict[str, Any] = {}
    run_sample(sample, namespace)
    restored = namespace["restored"]
    assert isinstance(restored, ChatSambaNova)
    assert restored.api_key is not None
    assert restored.api_key.get_secret_value() == KEY
    assert "Emulated reply to: Hello" in capsys.readouterr().out
    [request] = [r for r in docs_env.requests if r.path == "/v1/chat/completions"]
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_output_only_samples_are_marked_and_few() -> None:
    samples = document_samples() + docstring_samples(ChatSambaNova)
    skipped = [s for s in samples if s.output_only]
    assert all(s.code.lstrip().startswith(OUTPUT_MARKER) for s in skipped)
    assert len(skipped) <= len(samples) // 3, [s.label for s in skipped]


def test_the_collector_picks_up_any_block() -> None:
    text = (
        "# T\n\n```python\nx = 1\n```\n\n## New section\n\n"
        "```python\n# Example output\nAIMessage(...)\n```\n\n```bash\nls\n```\n"
    )
    samples = readme_samples(text)
    assert [s.code for s in samples] == [
        "x = 1\n",
        "# Example output\nAIMessage(...)\n",
    ]
    assert [s.line for s in samples] == [3, 9]
    assert [s.output_only for s in samples] == [False, True]

    class Documented:
        """Doc.

        Section:
            .. code-block:: python

                a = 1

                b = 2

            Prose after.

            .. code-block:: python

                c = 3
        """

    assert [s.code for s in docstring_samples(Documented)] == [
        "a = 1\n\nb = 2\n",
        "c = 3\n",
    ]


def _tiny_png() -> bytes:
    """A valid 1x1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )
