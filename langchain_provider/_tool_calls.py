"""Tool calls in responses: whole calls (invoke) and streamed fragments.

One rule for both paths: a call whose arguments are not a complete JSON object
is never runnable. ``invoke`` reports it as an invalid tool call. A stream's
aggregate is built by langchain-core, whose partial-JSON parser would complete
``{"city": "San Francisco", "unit": "fahr`` into a valid-looking call (cut off
by ``max_tokens``, finish reason ``length``); so when the stream ends, a short
*seal* that the parser cannot complete is appended to such arguments, and
``invoke`` reports the same sealed text, so both paths give the same message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import InvalidToolCall, ToolCall, ToolCallChunk
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.utils.json import parse_partial_json

from langchain_provider import _shapes

# Candidate seals, shortest first; the first one langchain-core's partial-JSON
# parser cannot turn into an object is used (a closer that does not match,
# after closing an open string, after finishing an open escape).
_SEALS = ("}", "]", '"}', '"]', '\\"}', '\\"]')
_CUT_OFF = (
    "Arguments are incomplete JSON (cut off, e.g. by max_tokens: finish reason "
    "'length'); a seal was appended so that no partial call can run."
)


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as the JSON text LangChain expects."""
    # Older servers sent arguments as a JSON object rather than a string; the
    # service also sends null for tools called without arguments.
    if arguments is None:
        return ""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def _completable(arguments: str) -> bool:
    """Whether langchain-core's partial-JSON parser makes an object of this."""
    try:
        return isinstance(parse_partial_json(arguments), dict)
    except Exception:  # noqa: BLE001 - the parser re-raises the JSON error
        return False


def _complete_object(arguments: str) -> bool:
    try:
        return isinstance(json.loads(arguments), dict)
    except ValueError:
        return False


def seal_for(arguments: str) -> str:
    """The seal to append to these arguments ("" when they need none).

    Args:
        arguments: A call's whole argument text.

    Returns:
        ``""`` for empty arguments (a call without arguments), a complete JSON
        object, or text the partial parser rejects anyway; otherwise the
        shortest seal after which it rejects the text.
    """
    if not arguments or _complete_object(arguments) or not _completable(arguments):
        return ""
    for seal in _SEALS:
        if not _completable(arguments + seal):
            return seal
    raise AssertionError(f"no seal stops the partial parser for {arguments!r}")


def _function(raw: Mapping[str, Any]) -> tuple[str | None, str]:
    function = _shapes.mapping(raw.get("function"), "tool_calls[].function")
    name = _shapes.optional_text(function.get("name"), "tool_calls[].function.name")
    return name, arguments_text(function.get("arguments"))


def parse_tool_calls(raw_calls: Any) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Parse a message's whole tool calls (non-streaming responses).

    Args:
        raw_calls: The message's ``tool_calls`` field.

    Returns:
        ``(tool_calls, invalid_tool_calls)``; arguments that are not a JSON
        object make a call invalid, cut-off ones sealed (see module docstring).

    Raises:
        ResponseDecodeError: For ``tool_calls`` of the wrong shape.
    """
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in _shapes.items(raw_calls, "message.tool_calls"):
        name, arguments = _function(raw)
        call_id = _shapes.optional_text(raw.get("id"), "tool_calls[].id")
        try:
            args = json.loads(arguments) if arguments.strip() else {}
            problem = (
                None if isinstance(args, dict) else "Arguments must be a JSON object."
            )
        except ValueError as exc:
            problem = f"Arguments are not valid JSON: {exc}."
        if problem is None:
            valid.append(tool_call(name=name or "", args=args, id=call_id))
            continue
        seal = seal_for(arguments)
        invalid.append(
            invalid_tool_call(
                name=name,
                args=arguments + seal,
                id=call_id,
                error=_CUT_OFF if seal else problem,
            )
        )
    return valid, invalid


class StreamedToolCalls:
    """One choice's streamed tool calls: indexes, fragments and seals.

    Both streaming styles the service has used arrive here: OpenAI-style
    fragments (an ``index``, then argument pieces under it) and whole calls in
    one delta, sometimes without an ``index``.
    """

    __slots__ = ("_aliases", "_arguments", "_ids", "_keys", "_last_key", "_next_index")

    def __init__(self) -> None:
        self._next_index = 0
        # Calls without an index, by id (or a made-up key), and their index.
        self._keys: dict[str, int] = {}
        self._last_key: str | None = None
        # Server index -> the index its current call got; index -> call id.
        self._aliases: dict[int, int] = {}
        self._ids: dict[int, str] = {}
        self._arguments: dict[int, list[str]] = {}

    def chunks(self, raw_calls: Any) -> list[ToolCallChunk]:
        """Convert one delta's ``tool_calls`` to LangChain tool-call chunks.

        Raises:
            ResponseDecodeError: For ``tool_calls`` of the wrong shape or an
                ``index`` that is not a number.
        """
        chunks = []
        for position, raw in enumerate(_shapes.items(raw_calls, "delta.tool_calls")):
            name, arguments = _function(raw)
            call_id = _shapes.optional_text(raw.get("id"), "tool_calls[].id")
            index = self._index(raw, call_id, name, position)
            self._arguments.setdefault(index, []).append(arguments)
            chunks.append(
                tool_call_chunk(name=name, args=arguments, id=call_id, index=index)
            )
        return chunks

    def _index(
        self,
        raw: Mapping[str, Any],
        call_id: str | None,
        name: str | None,
        position: int,
    ) -> int:
        index = _shapes.index(raw.get("index"), "tool_calls[].index")
        if index is not None:
            return self._indexed(index, call_id)
        # Whole calls without an index: each new id is a new call. Without an
        # id either, a delta naming a function starts a new call and one
        # without a name continues the last: keying by position alone merged
        # separate deltas' calls into one ("ab" with both argument objects).
        if call_id:
            key = call_id
        elif name or self._last_key is None:
            key = f"anonymous-{self._next_index}-{position}"
        else:
            key = self._last_key
        self._last_key = key
        if key not in self._keys:
            self._keys[key] = self._next_index
            self._next_index += 1
        return self._keys[key]

    def _indexed(self, index: int, call_id: str | None) -> int:
        # Some servers number each delta's calls from 0: an index that comes
        # back with another id is a new call, given the next free index, so
        # that each call's fragments (and its seal) have an index of their own.
        current = self._aliases.get(index, index)
        if call_id:
            known = self._ids.get(current)
            if known and call_id != known:
                current = self._next_index
            self._ids[current] = call_id  # the new call's id, for the next reuse
        self._aliases[index] = current
        self._next_index = max(self._next_index, current + 1)
        return current

    def seals(self) -> list[ToolCallChunk]:
        """At the end of the answer, seal every call whose arguments were cut off.

        Returns:
            One chunk per call that needs a seal, under the call's index.
        """
        chunks = []
        for index, fragments in self._arguments.items():
            seal = seal_for("".join(fragments))
            if seal:
                chunks.append(tool_call_chunk(args=seal, index=index))
        self._arguments = {}
        return chunks
