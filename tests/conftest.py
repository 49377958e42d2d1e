"""What every test folder shares: a developer's own SambaNova settings stay out.

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
