"""Checks on the JSON shapes of responses and chunks, failing with a typed error.

A body is valid JSON by the time it gets here, but not necessarily the JSON the
API promises: ``choices: [null]``, a string ``message`` or ``delta``,
``tool_calls: [null]`` or a tool-call ``index`` of ``"first"`` would otherwise
escape as ``AttributeError``, ``TypeError`` or ``ValueError``, which
``except ModelError``, ``with_retry`` and ``with_fallbacks`` all miss. Each
helper returns the value when it has the promised shape (``null`` counting as
absent) and raises :class:`ResponseDecodeError` naming the field otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_provider.errors import ResponseDecodeError

_EMPTY: Mapping[str, Any] = {}


def _bad(what: str, value: Any, expected: str) -> ResponseDecodeError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ResponseDecodeError(
        f"The response is not what the API promises: {what} should be "
        f"{expected}, got {shown}."
    )


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """Return ``value`` as a JSON object; ``null`` is an empty one.

    Args:
        value: The field's value.
        what: The field's name, for the error message.

    Raises:
        ResponseDecodeError: For anything but an object or ``null``.
    """
    if isinstance(value, Mapping):
        return value
    if value is None:
        return _EMPTY
    raise _bad(what, value, "an object")


def items(value: Any, what: str) -> list[Mapping[str, Any]]:
    """Return ``value`` as a list of JSON objects; ``null`` is an empty list.

    Args:
        value: The field's value.
        what: The field's name, for the error message.

    Raises:
        ResponseDecodeError: For anything but a list of objects or ``null``.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(what, value, "a list")
    for item in value:
        if not isinstance(item, Mapping):
            raise _bad(f"each entry of {what}", item, "an object")
    return value


def text(value: Any, what: str) -> str:
    """Return ``value`` as a string; ``null`` is the empty string.

    Args:
        value: The field's value.
        what: The field's name, for the error message.

    Raises:
        ResponseDecodeError: For anything but a string or ``null``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise _bad(what, value, "a string")


def optional_text(value: Any, what: str) -> str | None:
    """Return ``value`` as a string or ``None`` (absent or ``null``).

    Raises:
        ResponseDecodeError: For anything but a string or ``null``.
    """
    if value is None or isinstance(value, str):
        return value
    raise _bad(what, value, "a string")


def index(value: Any, what: str) -> int | None:
    """Return ``value`` as a non-negative index (decimal strings accepted).

    Args:
        value: The field's value; ``None`` when absent.
        what: The field's name, for the error message.

    Raises:
        ResponseDecodeError: For a non-numeric, negative or boolean index.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdecimal():
        return int(value)
    raise _bad(what, value, "a non-negative integer")
