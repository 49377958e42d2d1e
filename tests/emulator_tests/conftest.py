"""Fixtures: one fast emulator shared by the session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from langchain_provider.emulator import Emulator

from .helpers import fast_config


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[Emulator]:
    with Emulator(fast_config()) as emulator:
        yield emulator


@pytest.fixture
def emu(shared_emulator: Emulator) -> Emulator:
    """The shared emulator, with fresh settings, no records and no script."""
    shared_emulator.config = fast_config()
    shared_emulator.clear()
    return shared_emulator


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http_client:
        yield http_client
