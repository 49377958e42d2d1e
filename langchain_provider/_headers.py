"""Request headers, and the API key's hygiene: the key is read here only.

Keys pasted from files carry a trailing newline (``open("key.txt").read()``),
CRLF (Windows ``.env`` files) or a byte-order mark; those are stripped. A key
that still cannot travel in an HTTP header is refused with a ``ValueError``
that names the problem and never the key, before any request is sent: httpx
would otherwise raise an error quoting the whole header, key included.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from pydantic import SecretStr

from langchain_provider._version import USER_AGENT

# Zero-width characters and the BOM are not whitespace to str.strip(), yet
# editors and copy-paste leave them around keys.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _header_problem(value: str) -> str | None:
    """What keeps ``value`` out of an HTTP header, described without quoting it."""
    if value.isascii() and value.isprintable():
        return None  # the usual case, checked at C speed
    for position, char in enumerate(value):
        if not (char.isascii() and char.isprintable()):
            name = unicodedata.name(char, "a control character")
            return f"character {position + 1} is U+{ord(char):04X} ({name})"
    return None


def normalize_api_key(key: SecretStr | str | None) -> SecretStr | None:
    """The key with surrounding whitespace stripped; ``None`` when empty.

    Raises:
        ValueError: When the key holds a character no HTTP header can carry.
            The message names the character and its position, never the key.
    """
    if key is None:
        return None
    raw = key.get_secret_value() if isinstance(key, SecretStr) else key
    stripped = raw.strip().strip(_INVISIBLE).strip()
    problem = _header_problem(stripped)
    if problem is not None:
        raise ValueError(
            f"The API key cannot be sent in an HTTP header: {problem}. "
            "Check the key for stray characters (e.g. copied from a document)."
        ) from None
    if stripped == raw and isinstance(key, SecretStr):
        return key
    return SecretStr(stripped)


def check_default_headers(headers: Mapping[str, str] | None) -> None:
    """Refuse header names or values that cannot be sent, naming the header.

    Raises:
        ValueError: For a non-string or non-ASCII name or value.
    """
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError(f"default_headers entries must be strings: {name!r}.")
        if _header_problem(name) or " " in name or ":" in name:
            raise ValueError(f"default_headers has an invalid header name {name!r}.")
        problem = _header_problem(value)
        if problem is not None:
            raise ValueError(f"default_headers[{name!r}] cannot be sent: {problem}.")


def build_headers(
    api_key: SecretStr | None, extra: Mapping[str, str] | None, *, stream: bool
) -> dict[str, str]:
    """The request headers, merged case-insensitively.

    The package's ``Accept``, ``Content-Type`` and ``User-Agent`` give way to
    the same headers in ``extra`` whatever their case; so does the
    ``Authorization`` built from ``api_key``: an explicit ``Authorization`` in
    ``extra`` wins (a gateway's own credential is never overwritten by a
    SambaNova key found in the environment). No header is ever sent twice.
    """
    headers = {
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
        "user-agent": USER_AGENT,
    }
    if api_key is not None:
        secret = api_key.get_secret_value()
        if secret:
            headers["authorization"] = f"Bearer {secret}"
    for name, value in (extra or {}).items():
        headers[name.lower()] = value
    return headers
