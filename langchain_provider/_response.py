"""API -> LangChain: whole responses and the stream assembler.

Pure functions and small state machines, no I/O. ``chat_result_from_response``
turns a body into a ``ChatResult`` (one generation per choice);
``StreamAssembler`` turns decoded chunks into generation chunks, fed the same
way by ``_stream`` and ``_astream``. Both read a choice's parts (reasoning,
tool calls, finish reason, log probabilities, usage and timing) with the same
helpers, so a stream's aggregate equals the message ``invoke`` returns.

Sections, in order:

- shapes: a body is valid JSON here, but not necessarily the JSON the API
  promises (``choices: [null]``, a string ``delta``, a tool-call ``index`` of
  ``"first"``); the ``as_*`` helpers return a value of the promised shape
  (``null`` counting as absent) or raise ``ResponseDecodeError`` naming the
  field, never ``AttributeError``/``TypeError``.
- usage and timing, from either naming the service uses (``prompt_tokens``,
  ``total_latency``, ... or the reference page's ``input_tokens_count``,
  ``model_execution_time``, ..., inside ``usage`` or at the top level).
- ``<think>`` splitting: DeepSeek-R1's leading reasoning block ends at the
  FIRST ``</think>``; ``split_think_tags`` (whole messages) and
  ``ThinkSplitter`` (streams) are one rule.
- tool calls: a call whose arguments are not a complete JSON object is never
  runnable; ``invoke`` reports it as invalid, and a stream seals such
  arguments so langchain-core's partial-JSON parser cannot complete them.
- whole responses, then the stream assembler (a second choice, ``n > 1``, is
  refused rather than spliced into the first).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
)
from langchain_core.messages.ai import (
    InputTokenDetails,
    OutputTokenDetails,
    UsageMetadata,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.json import parse_partial_json

from langchain_provider.errors import ResponseDecodeError

# -- shape checks --------------------------------------------------------------
# Each takes a field's value and its name (``what``, for the error message).

_EMPTY: Mapping[str, Any] = {}


def _bad(what: str, value: Any, expected: str) -> ResponseDecodeError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ResponseDecodeError(
        f"The response is not what the API promises: {what} should be "
        f"{expected}, got {shown}."
    )


def as_mapping(value: Any, what: str) -> Mapping[str, Any]:
    """Return ``value`` as a JSON object; ``null`` is an empty one.

    Raises:
        ResponseDecodeError: For anything but an object or ``null``.
    """
    if isinstance(value, Mapping):
        return value
    if value is None:
        return _EMPTY
    raise _bad(what, value, "an object")


def as_items(value: Any, what: str) -> list[Mapping[str, Any]]:
    """Return ``value`` as a list of JSON objects; ``null`` is an empty list.

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


def as_text(value: Any, what: str) -> str:
    """Return ``value`` as a string; ``null`` is the empty string.

    Raises:
        ResponseDecodeError: For anything but a string or ``null``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise _bad(what, value, "a string")


def as_optional_text(value: Any, what: str) -> str | None:
    """Return ``value`` as a string or ``None`` (absent or ``null``).

    Raises:
        ResponseDecodeError: For anything but a string or ``null``.
    """
    if value is None or isinstance(value, str):
        return value
    raise _bad(what, value, "a string")


def as_index(value: Any, what: str) -> int | None:
    """Return ``value`` as a non-negative index (decimal strings accepted).

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


# -- usage and timing ----------------------------------------------------------

# Timing keys we report, each with the source names that carry it, in order of
# preference: the reference page's name first, then the live `usage` name.
TIMING_SOURCES: dict[str, tuple[str, ...]] = {
    "time_to_first_token": ("time_to_first_token",),
    "throughput_after_first_token": (
        "throughput_after_first_token",
        "completion_tokens_after_first_per_sec",
    ),
    "model_execution_time": ("model_execution_time", "total_latency"),
    "queue_time": ("queue_time",),
}

_COUNT_SOURCES: dict[str, tuple[str, ...]] = {
    "input_tokens": ("prompt_tokens", "input_tokens_count"),
    "output_tokens": ("completion_tokens", "output_tokens_count"),
    "total_tokens": ("total_tokens", "total_tokens_count"),
}

# Top-level fields of the reference naming that belong with the usage data.
_TOP_LEVEL_USAGE_FIELDS = frozenset(
    {
        "input_tokens_count",
        "output_tokens_count",
        "total_tokens_count",
        *(name for names in TIMING_SOURCES.values() for name in names),
    }
)

# The token counts that may be summed across responses; everything else in a
# usage object (rates, timestamps, flags) is meaningless when added up.
_SUMMABLE_COUNTS = frozenset(n for names in _COUNT_SOURCES.values() for n in names)


def _int(value: Any) -> int | None:
    # bool is an int subclass; a flag is never a token count.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _first(source: Mapping[str, Any], names: Iterable[str], convert: Any) -> Any:
    for name in names:
        value = convert(source.get(name))
        if value is not None:
            return value
    return None


def raw_usage(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the usage data of a response body or chunk, as the server sent it.

    The ``usage`` object is returned as is; reference-naming fields found at the
    top level of the body are added to it (or form it, when there is no
    ``usage``), so one dict holds everything the server reported.

    Args:
        body: A decoded response body or stream chunk.

    Returns:
        The usage dict, or ``None`` when the body reports no usage at all.
    """
    usage = body.get("usage")
    merged: dict[str, Any] | None = dict(usage) if isinstance(usage, Mapping) else None
    for name in _TOP_LEVEL_USAGE_FIELDS.intersection(body):
        if body[name] is not None:
            merged = merged if merged is not None else {}
            merged.setdefault(name, body[name])
    return merged


def reports_usage(body: Mapping[str, Any]) -> bool:
    """Whether a body or chunk reports usage (cheap: called once per chunk)."""
    return body.get("usage") is not None or not _TOP_LEVEL_USAGE_FIELDS.isdisjoint(body)


def usage_metadata_from(usage: Mapping[str, Any]) -> UsageMetadata | None:
    """Map a usage dict to LangChain's ``UsageMetadata``.

    Args:
        usage: A usage dict as returned by :func:`raw_usage`.

    Returns:
        Input, output and total token counts (total computed when absent), with
        cached-input and reasoning-output details when the server gave them;
        ``None`` when the dict holds no token counts.
    """
    counts = {key: _first(usage, names, _int) for key, names in _COUNT_SOURCES.items()}
    if counts["input_tokens"] is None and counts["output_tokens"] is None:
        return None
    input_tokens = counts["input_tokens"] or 0
    output_tokens = counts["output_tokens"] or 0
    total = counts["total_tokens"]
    # mypy misreads langchain-core's NotRequired detail keys as required.
    metadata: UsageMetadata = {  # type: ignore[typeddict-item]
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": total if total is not None else input_tokens + output_tokens,
    }
    prompt_details = usage.get("prompt_tokens_details")
    if isinstance(prompt_details, Mapping):
        cached = _int(prompt_details.get("cached_tokens"))
        if cached is not None:
            metadata["input_token_details"] = InputTokenDetails(cache_read=cached)
    completion_details = usage.get("completion_tokens_details")
    if isinstance(completion_details, Mapping):
        reasoning = _int(completion_details.get("reasoning_tokens"))
        if reasoning is not None:
            metadata["output_token_details"] = OutputTokenDetails(reasoning=reasoning)
    return metadata


def timing_from(usage: Mapping[str, Any]) -> dict[str, float]:
    """Extract the server-reported timing metrics from a usage dict.

    Args:
        usage: A usage dict as returned by :func:`raw_usage`.

    Returns:
        Of ``time_to_first_token`` (s), ``throughput_after_first_token``
        (tokens/s), ``model_execution_time`` (s) and ``queue_time`` (s), the
        ones the server reported, under these names whichever naming it used.
    """
    timing = {}
    for key, names in TIMING_SOURCES.items():
        value = _first(usage, names, _number)
        if value is not None:
            timing[key] = value
    return timing


def combine_token_usage(usages: Iterable[Mapping[str, Any] | None]) -> dict[str, int]:
    """Sum the token counts of several usage dicts (for multi-prompt ``generate``).

    Only integer token counts are summed; ``null``, strings, rates and
    timestamps are ignored rather than crashing the addition.

    Args:
        usages: Usage dicts, some possibly ``None``.

    Returns:
        The summed counts, under the names the servers used.
    """
    total: dict[str, int] = {}
    for usage in usages:
        if not usage:
            continue
        for name in _SUMMABLE_COUNTS.intersection(usage):
            value = _int(usage[name])
            if value is not None:
                total[name] = total.get(name, 0) + value
    return total


# -- <think> splitting ---------------------------------------------------------

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_THINK_BLOCK = re.compile(r"^\s*<think>(.*?)(?:</think>|$)", re.DOTALL)


def split_think_tags(content: str) -> tuple[str | None, str]:
    """Split a leading ``<think>...</think>`` block from the answer.

    Args:
        content: The message content as the server sent it.

    Returns:
        ``(reasoning, answer)``: the reasoning stripped, the answer without its
        leading whitespace; reasoning is ``None`` when there is no block. An
        unclosed block is all reasoning.
    """
    match = _THINK_BLOCK.match(content)
    if match is None:
        return None, content
    return match.group(1).strip(), content[match.end() :].lstrip()


class ThinkSplitter:
    """Route one stream's content to ``(reasoning, answer)`` piece by piece.

    Text that may still be the start of a tag (or whitespace that may end the
    reasoning) is held back until the next piece decides; :meth:`flush`
    settles it at the end of the answer.
    """

    __slots__ = ("_pending", "_reasoning_started", "_where")

    def __init__(self) -> None:
        # "start" (no decision yet), "inside" the block, "after" it (closed,
        # answer not begun) or "done" (everything else is answer).
        self._where = "start"
        self._pending = ""
        self._reasoning_started = False

    def split(self, text: str) -> tuple[str, str]:
        """Split one content delta.

        Args:
            text: The delta's content.

        Returns:
            ``(reasoning, answer)`` to emit now; either may be empty.
        """
        if self._where == "done":
            return "", text
        if self._where == "after":
            # The blank lines between "</think>" and the answer are neither's.
            answer = text.lstrip()
            if answer:
                self._where = "done"
            return "", answer
        buffer = self._pending + text
        self._pending = ""
        if self._where == "start":
            stripped = buffer.lstrip()
            if len(stripped) < len(THINK_OPEN) and THINK_OPEN.startswith(stripped):
                self._pending = buffer  # could still become "<think>"
                return "", ""
            if not stripped.startswith(THINK_OPEN):
                self._where = "done"
                return "", buffer
            self._where = "inside"
            buffer = stripped[len(THINK_OPEN) :]
        return self._split_inside(buffer)

    def _split_inside(self, buffer: str) -> tuple[str, str]:
        end = buffer.find(THINK_CLOSE)
        if end >= 0:
            answer = buffer[end + len(THINK_CLOSE) :].lstrip()
            self._where = "done" if answer else "after"
            return self._reasoning(buffer[:end].rstrip()), answer
        # Hold back a tail that may be the start of "</think>", and the
        # whitespace before it, which is dropped if the block ends there.
        keep = 0
        for cut in range(min(len(THINK_CLOSE) - 1, len(buffer)), 0, -1):
            if THINK_CLOSE.startswith(buffer[-cut:]):
                keep = cut
                break
        head = buffer[: len(buffer) - keep].rstrip()
        self._pending = buffer[len(head) :]
        return self._reasoning(head), ""

    def _reasoning(self, text: str) -> str:
        # Whitespace right after "<think>" is dropped, as split_think_tags does.
        if not self._reasoning_started:
            text = text.lstrip()
            self._reasoning_started = bool(text)
        return text

    def flush(self) -> tuple[str, str]:
        """Settle held-back text at the end of the answer.

        Returns:
            ``(reasoning, answer)``: inside an unfinished block the held text is
            reasoning (trailing whitespace dropped); before one, a partial tag
            was just text after all.
        """
        pending, self._pending = self._pending, ""
        if self._where == "inside":
            return self._reasoning(pending.rstrip()), ""
        return "", pending


# -- tool calls ----------------------------------------------------------------

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
    function = as_mapping(raw.get("function"), "tool_calls[].function")
    name = as_optional_text(function.get("name"), "tool_calls[].function.name")
    return name, arguments_text(function.get("arguments"))


def new_tool_call_id() -> str:
    """A fresh tool-call id in the service's ``call_<hex>`` form.

    Some deployments send tool calls without an ``id``; LangGraph and
    ``create_agent`` pair each tool result with its call by id, and die on
    ``None``, so such a call gets one of these.
    """
    return f"call_{uuid.uuid4().hex[:24]}"


def parse_tool_calls(raw_calls: Any) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Parse a message's whole tool calls (non-streaming responses).

    Args:
        raw_calls: The message's ``tool_calls`` field.

    Returns:
        ``(tool_calls, invalid_tool_calls)``; arguments that are not a JSON
        object make a call invalid, cut-off ones sealed (see module docstring);
        a call sent without an id gets a `new_tool_call_id`.

    Raises:
        ResponseDecodeError: For ``tool_calls`` of the wrong shape.
    """
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in as_items(raw_calls, "message.tool_calls"):
        name, arguments = _function(raw)
        call_id = as_optional_text(raw.get("id"), "tool_calls[].id")
        call_id = call_id or new_tool_call_id()
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

    __slots__ = (
        "_aliases",
        "_arguments",
        "_ids",
        "_keys",
        "_last_key",
        "_made_ids",
        "_next_index",
    )

    def __init__(self) -> None:
        self._next_index = 0
        # Index -> the id made up for a call that arrived without one; it goes
        # on the call's first chunk only, as a server id would, so that the
        # chunks merge into one call with one id.
        self._made_ids: dict[int, str] = {}
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
        for position, raw in enumerate(as_items(raw_calls, "delta.tool_calls")):
            name, arguments = _function(raw)
            call_id = as_optional_text(raw.get("id"), "tool_calls[].id")
            index = self._index(raw, call_id, name, position)
            if index not in self._arguments:  # the call's first chunk
                if not call_id:
                    call_id = self._made_ids[index] = new_tool_call_id()
            elif index in self._made_ids:
                call_id = None  # a late server id would be glued onto ours
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
        index = as_index(raw.get("index"), "tool_calls[].index")
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


# -- whole responses -----------------------------------------------------------

MODEL_PROVIDER = "sambanova"
# The wire fields that name what answered, and their response_metadata keys.
IDENTITY_FIELDS = (
    ("model", "model_name"),
    ("system_fingerprint", "system_fingerprint"),
)


def identity_metadata(
    body: Mapping[str, Any],
    fields: tuple[tuple[str, str], ...] = IDENTITY_FIELDS,
    *,
    provider: bool = True,
) -> dict[str, Any]:
    """The provider, model and fingerprint a body or chunk names.

    Reports the model the response names, not the constructor's: a per-call
    ``model=`` override must show up here.

    Args:
        body: A response body or stream chunk.
        fields: The identity fields to read (a stream reads each only until
            one chunk has named it).
        provider: Whether to name the provider too.

    Raises:
        ResponseDecodeError: When ``model`` or ``system_fingerprint`` is not
            a string.
    """
    metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER} if provider else {}
    for wire_name, key in fields:
        value = as_optional_text(body.get(wire_name), wire_name)
        if value is not None:
            metadata[key] = value
    return metadata


def usage_fields(body: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Return ``(usage_metadata, metadata)`` for a body or chunk with usage.

    ``metadata`` holds the raw usage (``token_usage``) and the timing the
    server reported; both are empty when the body reports no usage.
    """
    usage = raw_usage(body)
    if usage is None:
        return None, {}
    metadata: dict[str, Any] = {"token_usage": usage}
    timing = timing_from(usage)
    if timing:
        metadata["timing"] = timing
    return usage_metadata_from(usage), metadata


def reasoning_of(source: Mapping[str, Any], what: str) -> str:
    """The reasoning a message or delta carries in its own field.

    gpt-oss sends ``reasoning``; other OpenAI-compatible servers
    ``reasoning_content``; the first non-empty one counts.
    """
    # Hot path (once per delta): the shape checks run only for an odd type.
    reasoning = source.get("reasoning") or source.get("reasoning_content") or ""
    if type(reasoning) is str:
        return reasoning
    return as_text(source.get("reasoning"), f"{what}.reasoning") or as_text(
        source.get("reasoning_content"), f"{what}.reasoning_content"
    )


def logprobs_of(choice: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A choice's log probabilities (``{"content": [{"token", "logprob", ...}]}``)."""
    logprobs = choice.get("logprobs")
    if logprobs is None:
        return None
    return as_mapping(logprobs, "choices[].logprobs")


def _ordered_choices(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    choices = as_items(body.get("choices"), "choices")
    if not choices:
        raise ResponseDecodeError(
            "The response has no choices: the server returned no answer."
        )
    # With n > 1, generation i is choice i whatever order the server used.
    keys = []
    for position, choice in enumerate(choices):
        index = as_index(choice.get("index"), "choices[].index")
        keys.append((position if index is None else index, position))
    order = sorted(range(len(choices)), key=keys.__getitem__)
    return [choices[i] for i in order]


def _chat_generation(
    choice: Mapping[str, Any], body: Mapping[str, Any], usage: tuple[Any, dict]
) -> ChatGeneration:
    raw = as_mapping(choice.get("message"), "choices[].message")
    content = as_text(raw.get("content"), "message.content")
    reasoning: str | None = reasoning_of(raw, "message")
    if not reasoning:
        reasoning, content = split_think_tags(content)
    tool_calls, invalid_tool_calls = parse_tool_calls(raw.get("tool_calls"))
    finish_reason = as_optional_text(
        choice.get("finish_reason"), "choices[].finish_reason"
    )
    metadata = identity_metadata(body)
    generation_info: dict[str, Any] = {"finish_reason": finish_reason}
    if finish_reason is not None:
        metadata["finish_reason"] = finish_reason
    logprobs = logprobs_of(choice)
    if logprobs is not None:
        metadata["logprobs"] = generation_info["logprobs"] = logprobs
    usage_metadata, usage_metadata_fields = usage
    message = AIMessage(
        content=content,
        id=as_optional_text(body.get("id"), "id"),
        additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
        tool_calls=tool_calls,
        invalid_tool_calls=invalid_tool_calls,
        usage_metadata=usage_metadata,
        response_metadata={**metadata, **usage_metadata_fields},
    )
    return ChatGeneration(message=message, generation_info=generation_info)


def chat_result_from_response(body: Mapping[str, Any]) -> ChatResult:
    """Convert a non-streaming response body to a ``ChatResult``.

    Args:
        body: The decoded ``chat.completion`` body.

    Returns:
        One generation per choice, in ``index`` order (``n > 1`` gives
        several); each ``AIMessage`` carries the response id, tool calls,
        reasoning, usage metadata and response metadata (model, finish
        reason, fingerprint, log probabilities, raw token usage, timing). The
        usage is the whole request's, so with ``n > 1`` each message carries
        the same figures.

    Raises:
        ResponseDecodeError: For a body without choices or whose fields have
            shapes the API does not promise.
    """
    usage = usage_fields(body)
    generations = [
        _chat_generation(choice, body, usage) for choice in _ordered_choices(body)
    ]
    # Only what the server reported: LangChain copies llm_output into the
    # message's response_metadata, where a None the stream lacks would differ.
    llm_output = {
        key: value
        for key, value in (
            ("token_usage", usage[1].get("token_usage")),
            ("model_name", body.get("model")),
            ("system_fingerprint", body.get("system_fingerprint")),
        )
        if value is not None
    }
    return ChatResult(generations=generations, llm_output=llm_output)


# -- the stream assembler ------------------------------------------------------


class ChoiceAssembler:
    """One choice's deltas to message fields; the finish is handled once."""

    __slots__ = ("_think", "_tools", "finished")

    def __init__(self) -> None:
        self._think = ThinkSplitter()
        self._tools = StreamedToolCalls()
        self.finished = False

    def feed(
        self, choice: Mapping[str, Any], fields: dict[str, Any], metadata: dict
    ) -> dict[str, Any] | None:
        """Add one choice delta's parts to the chunk being built.

        Args:
            choice: One entry of a chunk's ``choices``.
            fields: The ``AIMessageChunk`` arguments, updated in place.
            metadata: The chunk's response metadata, updated in place.

        Returns:
            The generation info of the chunk (finish reason, log
            probabilities), or ``None``.

        Raises:
            ResponseDecodeError: For a delta of the wrong shape.
        """
        # Hot path: the checks run only when a value is not the usual type.
        delta = choice.get("delta")
        if type(delta) is not dict:
            delta = as_mapping(delta, "choices[].delta")
        reasoning = reasoning_of(delta, "delta")
        text = delta.get("content")
        if type(text) is not str:
            text = as_text(text, "delta.content")
        if text:
            think, text = self._think.split(text)
            reasoning += think
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            fields["tool_call_chunks"] = self._tools.chunks(tool_calls)
        info = None
        finish_reason = choice.get("finish_reason")
        if finish_reason is not None and not self.finished:
            metadata["finish_reason"] = as_text(
                finish_reason, "choices[].finish_reason"
            )
            info = {"finish_reason": finish_reason}
            think, held = self.finish(fields)
            reasoning += think
            text += held
        if choice.get("logprobs") is not None:
            metadata["logprobs"] = logprobs = logprobs_of(choice)
            info = {**(info or {}), "logprobs": logprobs}
        fields["content"] = text
        if reasoning:
            fields["additional_kwargs"] = {"reasoning_content": reasoning}
        return info

    def finish(self, fields: dict[str, Any]) -> tuple[str, str]:
        """End the answer: settle held-back text and seal cut-off tool calls.

        Args:
            fields: The ``AIMessageChunk`` arguments; seals join its tool-call
                chunks.

        Returns:
            ``(reasoning, answer)`` text that was held back.
        """
        self.finished = True
        seals = self._tools.seals()
        if seals:
            fields["tool_call_chunks"] = [*fields.get("tool_call_chunks", ()), *seals]
        return self._think.flush()


def _multiple_choices(index: Any) -> ResponseDecodeError:
    return ResponseDecodeError(
        f"The stream carries a second choice (index {index!r}): a LangChain "
        "stream is one message, and splicing choices together would garble it. "
        "Ask for n=1 when streaming; invoke and generate return one generation "
        "per choice."
    )


class StreamAssembler:
    """One stream's chunks to ``ChatGenerationChunk``s (see module docstring)."""

    __slots__ = ("_choice", "_identity_pending", "_usage", "_produced")

    def __init__(self) -> None:
        self._choice = ChoiceAssembler()
        # (wire name, metadata key) still to report; None before the first chunk.
        self._identity_pending: tuple[tuple[str, str], ...] | None = None
        self._usage: Mapping[str, Any] | None = None
        self._produced = False

    def feed(self, chunk: Mapping[str, Any]) -> ChatGenerationChunk | None:
        """Convert one decoded stream chunk.

        Args:
            chunk: The decoded ``data:`` payload of one SSE event. Error
                payloads never get here: ``_sse`` raises on them.

        Returns:
            The generation chunk, or ``None`` when the chunk carries nothing
            to hand over yet (``choices: null``, the usage chunk).

        Raises:
            ResponseDecodeError: For a chunk of the wrong shape, or a second
                choice.
        """
        if reports_usage(chunk):
            self._usage = chunk  # the last report wins; handed over at the end
        choices = chunk.get("choices")
        if not choices:
            if self._usage is chunk:
                self._produced = True
            return None
        # Hot path (once per token): pass only the fields that differ from the
        # defaults; pydantic validates every argument given, even an empty one.
        chunk_id = chunk.get("id")
        if chunk_id is not None and type(chunk_id) is not str:
            chunk_id = as_optional_text(chunk_id, "id")
        fields: dict[str, Any] = {"id": chunk_id}
        metadata: dict[str, Any] = {}
        info = None
        if type(choices) is not list or len(choices) != 1:
            choices = as_items(choices, "choices")
        for choice in choices:
            if type(choice) is not dict:
                choice = as_items([choice], "choices")[0]
            index = choice.get("index")
            if index != 0 and as_index(index, "choices[].index"):
                raise _multiple_choices(index)
            info = self._choice.feed(choice, fields, metadata) or info
        return self._chunk(chunk, fields, metadata, info)

    def _chunk(
        self,
        chunk: Mapping[str, Any],
        fields: dict[str, Any],
        metadata: dict[str, Any],
        info: dict[str, Any] | None,
    ) -> ChatGenerationChunk:
        if self._identity_pending is None or self._identity_pending:
            self._add_identity(chunk, metadata)
        if metadata:
            fields["response_metadata"] = metadata
        self._produced = True
        return ChatGenerationChunk(
            message=AIMessageChunk(**fields), generation_info=info
        )

    def _add_identity(self, chunk: Mapping[str, Any], metadata: dict[str, Any]) -> None:
        # Provider, model and fingerprint each go out once: with the first
        # chunk handed over, or with the first later one that names them.
        first = self._identity_pending is None
        fields = IDENTITY_FIELDS if first else self._identity_pending
        found = identity_metadata(chunk, fields or (), provider=first)
        metadata.update(found)
        self._identity_pending = tuple(f for f in fields or () if f[1] not in found)

    def finish(self) -> ChatGenerationChunk | None:
        """Hand over what the stream held back, once ``[DONE]`` has arrived.

        That is text held back as a possible ``<think>`` tag and seals of
        cut-off tool calls when no finish chunk came, and the usage report.

        Returns:
            The last chunk, or ``None`` when nothing is left.

        Raises:
            ResponseDecodeError: When the whole stream carried no chunk at all
                (just ``[DONE]``): an empty stream is a failure, not an answer.
        """
        if not self._produced:
            raise ResponseDecodeError(
                "The stream ended without an answer: the server sent no chunk."
            )
        fields: dict[str, Any] = {"content": ""}
        if not self._choice.finished:
            reasoning, fields["content"] = self._choice.finish(fields)
            if reasoning:
                fields["additional_kwargs"] = {"reasoning_content": reasoning}
        metadata: dict[str, Any] = {}
        if self._usage is not None:
            fields["usage_metadata"], metadata = usage_fields(self._usage)
            fields["id"] = as_optional_text(self._usage.get("id"), "id")
        if len(fields) == 1 and not fields["content"] and not metadata:
            return None
        return self._chunk(self._usage or {}, fields, metadata, None)


# -- metadata the client adds ---------------------------------------------------


def with_rate_limit(
    result: ChatResult, rate_limit: dict[str, Any] | None
) -> ChatResult:
    """Put the response's rate-limit state in each message's metadata."""
    if rate_limit is not None:
        for generation in result.generations:
            generation.message.response_metadata["rate_limit"] = rate_limit
    return result


def annotate_chunk(
    chunk: ChatGenerationChunk, rate_limit: dict[str, Any] | None, *, v1: bool
) -> None:
    """Add what the stream knows beyond the chunk's own data, shared by both twins.

    The response's rate-limit headers go on the first chunk handed over (once
    per stream, so the aggregate has them once), and under
    ``output_version="v1"`` every chunk names its provider.
    """
    if rate_limit is not None:
        chunk.message.response_metadata["rate_limit"] = rate_limit
    if v1:
        # langchain-core converts each v1 chunk on its own: name the provider
        # on every one, so its blocks come from our translator.
        chunk.message.response_metadata["model_provider"] = MODEL_PROVIDER
