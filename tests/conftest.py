"""What every test folder shares: the user's SambaNova settings stay out, and a
recording retry clock for tests that assert retry waits.

A key or base URL in the user's shell (``SAMBANOVA_API_KEY``,
``SAMBANOVA_BASE_URL``, ``SAMBANOVA_API_BASE``) must neither send a test to
the live service nor change what a test sees, so they are removed around
every test. The integration tests are the exception: they choose their target
themselves (the emulator unless ``SAMBANOVA_LIVE_TESTS=1``, see
``integration_tests/_support.py``), always pass it explicitly, and the
cassette scan looks for the user's key in the recordings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clock import RecordingClock

from langchain_provider import _retry

USER_SETTINGS = ("SAMBANOVA_API_KEY", "SAMBANOVA_BASE_URL", "SAMBANOVA_API_BASE")
"""The environment variables a user may have set for their own work."""

_INTEGRATION = Path(__file__).parent / "integration_tests"


@pytest.fixture(autouse=True)
def _no_user_sambanova_settings(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.path.is_relative_to(_INTEGRATION):
        return
    for name in USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def retry_clock(monkeypatch: pytest.MonkeyPatch) -> RecordingClock:
    """The clock of every model made in the test: records waits, never sleeps.

    Timing a retry from outside measures the machine as much as the client,
    and the retry log line rounds the delay for people to read; so a test
    asserts the exact delays recorded here (jitter pinned at 0.5) and keeps
    only loose upper bounds on elapsed time. Models read ``DEFAULT_POLICY``
    when they are made, so swapping it reaches all of the test's models made
    after this fixture (the unit tests use it for every test).
    """
    clock = RecordingClock()
    monkeypatch.setattr(_retry, "DEFAULT_POLICY", clock.policy())
    return clock


@pytest.fixture(autouse=True)
def _fresh_pacers() -> None:
    """Each test starts with no rate-limit window learned by an earlier one.

    The pacers are process-wide (one per base URL, key and model): a window a
    test left full must not make a later test on the same target wait.
    """
    _retry.forget_pacers()
