"""Fixtures of the integration tests: the target server, VCR, emulator-mode skips.

By default every test talks to the emulator over loopback, even with a key in
the environment; with ``SAMBANOVA_LIVE_TESTS=1`` and ``SAMBANOVA_API_KEY`` set
they talk to the live service and nothing below is skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from ._support import (
    CASSETTE_DIR,
    EMULATOR_API_KEY,
    LIVE,
    Target,
    live_target,
    vcr_settings,
)

_HERE = Path(__file__).parent

# Standard tests that need a real model's judgement, which an emulator cannot
# honestly supply. Skipped against the emulator only; all run live.
EMULATOR_SKIPS: dict[str, str] = {
    "test_tool_calling": (
        "needs a real model to read 'What is the value of magic_function(3)?' and "
        "call the tool with input=3; the emulator's arguments are schema-filled "
        "guesses. Tool-call parsing is covered by test_cassettes.py and "
        "test_langgraph.py"
    ),
    "test_tool_calling_async": (
        "needs a real model to read 'What is the value of magic_function(3)?' and "
        "call the tool with input=3; the emulator's arguments are schema-filled "
        "guesses. Tool-call parsing is covered by test_cassettes.py and "
        "test_langgraph.py"
    ),
    "test_agent_loop": (
        "needs a real model to decide, unforced, that 'What is the weather in San "
        "Francisco, CA?' calls get_weather; the emulator only calls tools it is "
        "told to or sees named. The agent round trip runs in test_langgraph.py"
    ),
}


# Cassettes that only the emulator can record: the live service cannot be made
# to answer 429 on demand. Skipped when recording live; replayed as usual.
EMULATOR_ONLY_RECORDINGS = {"test_retried_429", "test_429_without_retries_raises"}


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip what cannot honestly run against the configured target."""
    # This hook sees every collected item, not only this directory's.
    items = [item for item in items if item.path.is_relative_to(_HERE)]
    if LIVE:
        if config.getoption("--record-mode", None) not in (None, "none"):
            reason = (
                "recording live: the service cannot be made to answer 429 on "
                "demand, so this cassette keeps the emulator's recording"
            )
            for item in items:
                if item.name in EMULATOR_ONLY_RECORDINGS:
                    item.add_marker(pytest.mark.skip(reason=reason))
        return
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is None or not issubclass(cls, ChatModelIntegrationTests):
            continue
        name = getattr(item, "originalname", item.name)
        reason = EMULATOR_SKIPS.get(name)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"emulator mode, {name}: {reason}"))


@pytest.fixture(scope="session")
def _session_target() -> Iterator[Target]:
    if LIVE:
        yield live_target()
        return
    from langchain_provider.emulator import Emulator

    # Small but real pacing, so streams are streams; a key, so the bearer
    # check and cassette redaction are exercised.
    with Emulator(
        time_to_first_token=0.005, tokens_per_second=None, api_key=EMULATOR_API_KEY
    ) as emulator:
        yield Target(emulator.base_url, EMULATOR_API_KEY, emulator)


@pytest.fixture
def target(_session_target: Target) -> Iterator[Target]:
    """The server under test, with the emulator's script and settings fresh."""
    emulator = _session_target.emulator
    if emulator is None:
        yield _session_target
        return
    emulator.clear()
    saved = dataclasses.replace(emulator.config)
    try:
        yield _session_target
    finally:
        emulator.clear()
        emulator.config = saved


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    """VCR settings (pytest-recording); one recording may answer many requests."""
    return vcr_settings(allow_playback_repeats=True)


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    """Every cassette lives in the repository's top-level ``cassettes/``."""
    return str(CASSETTE_DIR)
