"""Every file in ``cassettes/`` is scanned for credentials; any finding fails.

Looked for: a credential header (Authorization, api-key, x-api-key, cookie,
set-cookie, ...) in a request or response whose value is not the redaction
marker; ``Bearer`` followed by anything but the marker; the emulator's test
key; the value of ``SAMBANOVA_API_KEY`` when set; and strings shaped like
keys (``sk-...``, ``key_...``, JWTs, ``"api_key": "..."``).
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ._support import CASSETTE_DIR, CREDENTIAL_HEADERS, EMULATOR_API_KEY, REDACTED

_MARKER = re.escape(REDACTED)
_PATTERNS = {
    "bearer token": re.compile(rf"bearer\s+(?!['\"]?{_MARKER})[^\s'\"]+", re.I),
    "key-like string": re.compile(
        r"\b(?:sk|pk|rk|key|api[-_]?key|secret)[-_][A-Za-z0-9]{16,}", re.I
    ),
    "JSON web token": re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"),
    "credential field": re.compile(
        r"(?:api[-_]?key|secret|password|access[-_]?token)['\"]?\s*[:=]\s*"
        rf"['\"]?(?!{_MARKER})[\w.-]{{8,}}",
        re.I,
    ),
}


def _text_of(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def _headers_of(cassette: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(cassette, dict):
        return []
    found = []
    for number, interaction in enumerate(cassette.get("interactions") or []):
        for side in ("request", "response"):
            headers = (interaction.get(side) or {}).get("headers") or {}
            found.append((f"interaction {number} {side}", headers))
    return found


def find_secrets(path: Path) -> list[str]:
    """Return a description of each credential found in one cassette file."""
    text = _text_of(path)
    problems = []
    secrets = [EMULATOR_API_KEY]
    if os.environ.get("SAMBANOVA_API_KEY"):
        secrets.append(os.environ["SAMBANOVA_API_KEY"])
    for secret in secrets:
        if secret in text:
            problems.append("a test or live API key appears verbatim")
    for kind, pattern in _PATTERNS.items():
        problems += [f"{kind}: {m.group()[:40]!r}" for m in pattern.finditer(text)]
    if not path.name.endswith((".yaml", ".yml", ".yaml.gz", ".yml.gz")):
        return problems
    try:
        cassette = yaml.safe_load(text)
    except yaml.YAMLError:
        return [*problems, "not valid YAML: its headers cannot be checked"]
    for where, headers in _headers_of(cassette):
        for name, values in headers.items():
            listed = values if isinstance(values, list) else [values]
            if name.lower() in CREDENTIAL_HEADERS and listed != [REDACTED]:
                problems.append(f"{where}: header {name!r} is not redacted")
    return problems


def _cassette_files() -> list[Path]:
    return sorted(p for p in CASSETTE_DIR.rglob("*") if p.is_file())


def test_every_cassette_is_free_of_secrets() -> None:
    files = _cassette_files()
    assert len(files) >= 8, f"expected the committed cassettes in {CASSETTE_DIR}"
    findings = {
        str(path.relative_to(CASSETTE_DIR)): problems
        for path in files
        if (problems := find_secrets(path))
    }
    assert not findings, f"credentials in cassettes: {findings}"


def test_cassettes_keep_the_redaction_marker() -> None:
    # Redaction replaced the header rather than dropping the request's auth.
    for path in _cassette_files():
        if path.suffix != ".yaml":
            continue
        cassette = yaml.safe_load(_text_of(path))
        for interaction in cassette["interactions"]:
            assert interaction["request"]["headers"]["authorization"] == [REDACTED]


_CLEAN = """\
interactions:
- request:
    body: '{"model":"m","messages":[]}'
    headers:
      authorization:
      - '**REDACTED**'
    method: POST
    uri: http://emulator.invalid/v1/chat/completions
  response:
    body:
      string: '{"usage":{"completion_tokens":5,"max_tokens":9}}'
    headers:
      content-type:
      - application/json
    status:
      code: 200
      message: OK
version: 1
"""


@pytest.mark.parametrize(
    "planted",
    [
        (
            "      - '**REDACTED**'",
            "      - Bearer 1b2c3d4e-5f60-4a1b-9c8d-7e6f5a4b3c2d",
        ),
        ("      - '**REDACTED**'", f"      - {EMULATOR_API_KEY}"),
        (
            "      content-type:",
            "      set-cookie:\n      - session=abc123\n      content-type:",
        ),
        (
            "      content-type:",
            "      x-api-key:\n      - abcdef0123456789\n      content-type:",
        ),
        ('"max_tokens":9', '"max_tokens":9,"api_key":"a1b2c3d4e5f6a7b8"'),
        ('"max_tokens":9', '"max_tokens":9,"note":"sk-AbCdEf0123456789XyZ"'),
        ('"max_tokens":9', '"t":"eyJhbGciOiJI.eyJzdWIiOiIx.SflKxwRJSMeK"'),
    ],
)
def test_the_scan_catches_planted_secrets(
    tmp_path: Path, planted: tuple[str, str]
) -> None:
    clean = tmp_path / "clean.yaml"
    clean.write_text(_CLEAN)
    assert find_secrets(clean) == []
    old, new = planted
    dirty = tmp_path / "dirty.yaml.gz"
    dirty.write_bytes(gzip.compress(_CLEAN.replace(old, new).encode()))
    assert find_secrets(dirty)
