"""What the integration tests share: the target endpoint and the cassette rules.

The target is the emulator on loopback, whatever the environment holds. The
live service is an explicit opt-in: ``SAMBANOVA_LIVE_TESTS=1`` together with
``SAMBANOVA_API_KEY`` (and ``SAMBANOVA_BASE_URL`` for another root). A key
alone, as many developers keep in their shell, never turns the offline test
command live.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_provider._params import DEFAULT_BASE_URL

LIVE_OPT_IN = "SAMBANOVA_LIVE_TESTS"
"""The environment variable that, set to ``1``, sends the tests to the live service."""


def _live_opt_in(value: str | None) -> bool:
    if value is None or value.strip().lower() in ("", "0", "false", "no"):
        return False
    if value.strip().lower() in ("1", "true", "yes"):
        return True
    # A typo must not quietly fall back to the emulator (or go live).
    raise RuntimeError(f"{LIVE_OPT_IN}={value!r}: set it to 1 to test live, or unset")


LIVE = _live_opt_in(os.environ.get(LIVE_OPT_IN))
"""Whether the tests run against the live service (``SAMBANOVA_LIVE_TESTS=1``)."""

# Read once, when the tests are collected: fixtures of other folders clear the
# user's SambaNova variables around each test.
_LIVE_KEY = os.environ.get("SAMBANOVA_API_KEY", "")
_LIVE_BASE_URL = os.environ.get("SAMBANOVA_BASE_URL", "")

EMULATOR_API_KEY = "emulator-test-key"
"""The bearer key the test emulator demands; it must never reach a cassette."""

MODEL = "Meta-Llama-3.3-70B-Instruct"
VISION_MODEL = "gemma-4-31B-it"
OVERRIDE_MODEL = "gpt-oss-120b"

CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes"
"""Where every cassette lives (the repository's top-level ``cassettes/``)."""

REDACTED = "**REDACTED**"
"""What a credential header's value becomes in a cassette."""

CREDENTIAL_HEADERS = (
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "cookie",
    "set-cookie",
)
"""Headers that can carry a credential, in requests or responses."""

_LOOPBACK = re.compile(r"^(?:127\.0\.0\.1|localhost|\[::1\]):\d+$")
_LOOPBACK_URL = re.compile(r"^http://(?:127\.0\.0\.1|localhost|\[::1\]):\d+")
RECORDED_EMULATOR_HOST = "emulator.invalid"
"""The host recorded in place of the emulator's loopback address and port."""


@dataclass(frozen=True)
class Target:
    """The server the tests talk to.

    Attributes:
        base_url: The API root handed to ``ChatSambaNova``.
        api_key: The key to send.
        emulator: The running emulator, or None for the live service.
    """

    base_url: str
    api_key: str
    emulator: Any = None

    @property
    def params(self) -> dict[str, Any]:
        """``ChatSambaNova`` arguments that point at this target."""
        return {"base_url": self.base_url, "api_key": self.api_key}


def live_target() -> Target:
    """Return the live service as a target (with ``SAMBANOVA_LIVE_TESTS=1``).

    Raises:
        RuntimeError: When the live run was asked for without a key.
    """
    if not _LIVE_KEY:
        raise RuntimeError(
            f"{LIVE_OPT_IN}=1 asks for the live service: set SAMBANOVA_API_KEY too"
        )
    return Target(base_url=_LIVE_BASE_URL or DEFAULT_BASE_URL, api_key=_LIVE_KEY)


def scrub_request(request: Any) -> Any:
    """Make a request fit for a cassette: no credentials, no random port.

    vcrpy also applies this to each request before matching it on replay.
    """
    for name, value in list(request.headers.items()):
        if name.lower() in CREDENTIAL_HEADERS:
            request.headers[name] = REDACTED
        elif name.lower() == "host" and _LOOPBACK.match(value):
            request.headers[name] = RECORDED_EMULATOR_HOST
    request.uri = _LOOPBACK_URL.sub(f"http://{RECORDED_EMULATOR_HOST}", request.uri)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Make a response fit for a cassette: credential headers redacted."""
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in CREDENTIAL_HEADERS:
            headers[name] = [REDACTED]
    return response


def vcr_settings(*, allow_playback_repeats: bool) -> dict[str, Any]:
    """Return the vcrpy settings every cassette is recorded and replayed with.

    ``record_mode`` is deliberately absent: pytest-recording then takes it from
    ``--record-mode``, whose default ``none`` replays and fails on any request
    without a recording.

    Args:
        allow_playback_repeats: Whether one recorded response may answer many
            requests (the benchmark) or each answers one, in order (retries).
    """
    return {
        "filter_headers": [(name, REDACTED) for name in CREDENTIAL_HEADERS],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        # Never the host: the emulator listens on a random port.
        "match_on": ["method", "path", "query", "body"],
        "decode_compressed_response": True,
        "allow_playback_repeats": allow_playback_repeats,
    }
