"""Wire shapes: completion bodies, SSE chunks, usage placement, error bodies.

Shapes follow the live captures in wire-format.md: compact JSON, ``id`` a bare
UUID, ``system_fingerprint`` ``"fastcoe"``, ``created`` a float in bodies and
an int in chunks. Chunk prefixes are rendered once per stream, so each chunk
costs one small `json.dumps`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from ._errors import ApiError
from ._model import Reply, ToolCall
from ._tokens import count_tokens, tokenize

SYSTEM_FINGERPRINT = "fastcoe"
"""The ``system_fingerprint`` the live service sends."""

DONE = b"data: [DONE]\n\n"
"""The event that ends a stream."""

MALFORMED = b"data: {not json\n\n"
"""The broken event `Script.malformed_chunk` sends."""

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def new_id() -> str:
    """Return a fresh completion or request id (a bare UUID, like the service)."""
    return str(uuid.uuid4())


def place_usage(
    target: dict[str, Any], fields: dict[str, Any], naming: str, placement: str
) -> None:
    """Put usage fields where the configured naming and placement say.

    Args:
        target: The body or chunk to add them to.
        fields: The fields, from `Timeline.usage`.
        naming: ``"usage"`` or ``"reference"``.
        placement: ``"usage"`` or ``"top_level"`` (reference naming only).
    """
    if naming == "reference" and placement == "top_level":
        target.update(fields)
    else:
        target["usage"] = fields


def completion_body(
    completion_id: str,
    model: str,
    created: float,
    replies: Sequence[Reply],
    usage: dict[str, Any],
    *,
    tool_call_style: str,
    naming: str,
    placement: str,
) -> bytes:
    """Render a non-streaming ``chat.completion`` body.

    Args:
        completion_id: The completion's id.
        model: The requested model.
        created: ``time.time()`` at the request; sent as a float.
        replies: The choices, in order (one unless the request asked for ``n``).
        usage: The measured usage fields.
        tool_call_style: With ``"whole_object_args"``, arguments are objects.
        naming: ``"usage"`` or ``"reference"``.
        placement: ``"usage"`` or ``"top_level"``.
    """
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [
            _choice(reply, index, tool_call_style)
            for index, reply in enumerate(replies)
        ],
    }
    place_usage(body, usage, naming, placement)
    return _dumps(body).encode()


def _choice(reply: Reply, index: int, tool_call_style: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.reasoning_pieces:
        message["reasoning"] = reply.reasoning
    if reply.tool_calls:
        as_object = tool_call_style == "whole_object_args"
        message["tool_calls"] = [
            _whole_call(c, None, as_object) for c in reply.tool_calls
        ]
    return {
        "index": index,
        "finish_reason": reply.finish_reason,
        "logprobs": logprobs_object(reply.logprobs),
        "message": message,
    }


def logprobs_object(entries: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The ``logprobs`` of a choice: ``{"content": [...]}``, or None when not asked.

    Args:
        entries: The log-probability entries of the tokens concerned.
    """
    return None if entries is None else {"content": entries}


def error_body(error: ApiError) -> bytes:
    """Render an error body: ``{"error": {...}, "request_id": ...}``.

    Args:
        error: The error.
    """
    fields = {
        "message": error.message,
        "type": error.type,
        "param": error.param,
        "code": error.code,
    }
    return _dumps({"error": fields, "request_id": new_id()}).encode()


def error_event(error: dict[str, Any], style: str) -> bytes:
    """Render an in-stream error as an ``event: error`` or a ``data:`` event.

    Args:
        error: The ``error`` object.
        style: ``"event"`` or ``"data"``.
    """
    data = b"data: " + _dumps({"error": error}).encode() + b"\n\n"
    return b"event: error\n" + data if style == "event" else data


_NULL_TAIL = b',"finish_reason":null,"logprobs":null}]}\n\n'


class ChunkRenderer:
    """Renders the ``data:`` events of one stream.

    Args:
        completion_id: The completion's id (the same in every chunk).
        model: The requested model.
        created: Unix time of the request; chunks carry it as an int.
    """

    def __init__(self, completion_id: str, model: str, created: int) -> None:
        self._base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }
        self._head = _dumps(self._base)[:-1]
        self._open = self._opening(0)

    def _opening(self, index: int) -> bytes:
        return f'data: {self._head},"choices":[{{"index":{index},"delta":'.encode()

    def delta(
        self,
        delta: dict[str, Any],
        index: int = 0,
        logprobs: list[dict[str, Any]] | None = None,
    ) -> bytes:
        """Render a chunk carrying a delta, with finish_reason null.

        Args:
            delta: The ``delta`` object.
            index: The choice it belongs to.
            logprobs: Log-probability entries of the tokens it carries.
        """
        opening = self._open if index == 0 else self._opening(index)
        if logprobs is None:
            tail = _NULL_TAIL
        else:
            rendered = _dumps(logprobs_object(logprobs))
            tail = f',"finish_reason":null,"logprobs":{rendered}}}]}}\n\n'.encode()
        return opening + _dumps(delta).encode() + tail

    def finish(self, finish_reason: str, index: int = 0) -> bytes:
        """Render the final choice chunk: empty content and the finish reason.

        Args:
            finish_reason: ``stop``, ``length`` or ``tool_calls``.
            index: The choice it ends.
        """
        opening = self._open if index == 0 else self._opening(index)
        tail = f',"finish_reason":"{finish_reason}","logprobs":null}}]}}\n\n'
        return opening + b'{"content":""}' + tail.encode()

    def usage(self, fields: dict[str, Any], naming: str, placement: str) -> bytes:
        """Render the usage chunk (``choices`` empty).

        Args:
            fields: The measured usage fields.
            naming: ``"usage"`` or ``"reference"``.
            placement: ``"usage"`` or ``"top_level"``.
        """
        chunk: dict[str, Any] = {**self._base, "choices": []}
        place_usage(chunk, fields, naming, placement)
        return b"data: " + _dumps(chunk).encode() + b"\n\n"


def stream_deltas(
    reply: Reply, tool_call_style: str, tokens_per_chunk: int
) -> Iterator[tuple[dict[str, Any], int]]:
    """Yield a reply's deltas, each with the index of the last token it carries.

    Reasoning comes first (``delta.reasoning``), then content or tool calls;
    the first delta also carries ``"role": "assistant"``.

    Args:
        reply: The reply.
        tool_call_style: ``fragments``, ``whole``, ``whole_no_index`` or
            ``whole_object_args``.
        tokens_per_chunk: Tokens per reasoning/content/arguments delta.
    """
    deltas = _raw_deltas(reply, tool_call_style, tokens_per_chunk)
    first = next(deltas, None)
    if first is None:  # nothing to say (e.g. a stop sequence at the start)
        yield {"role": "assistant", "content": ""}, 0
        return
    yield {"role": "assistant", **first[0]}, first[1]
    yield from deltas


def _raw_deltas(
    reply: Reply, style: str, per_chunk: int
) -> Iterator[tuple[dict[str, Any], int]]:
    index = -1
    for group in _groups(reply.reasoning_pieces, per_chunk):
        index += len(group)
        yield {"reasoning": "".join(group), "channel": "analysis"}, index
    if reply.forced_chunks:  # scripted pieces: count each one's tokens
        for piece in reply.content_pieces:
            index += max(count_tokens(piece), 1)
            yield {"content": piece}, index
    else:
        for group in _groups(reply.content_pieces, per_chunk):
            index += len(group)
            yield {"content": "".join(group)}, index
    for position, call in enumerate(reply.tool_calls):
        index += count_tokens(call.name)
        if style != "fragments":
            index += count_tokens(call.arguments)
            with_index = position if style == "whole" else None
            as_object = style == "whole_object_args"
            yield {"tool_calls": [_whole_call(call, with_index, as_object)]}, index
            continue
        head: dict[str, Any] = {"index": position, "type": "function"}
        if call.id is not None:
            head["id"] = call.id
        function = {"name": call.name, "arguments": ""}
        yield {"tool_calls": [{**head, "function": function}]}, index
        for group in _groups(tokenize(call.arguments), per_chunk):
            index += len(group)
            fragment = {"index": position, "function": {"arguments": "".join(group)}}
            yield {"tool_calls": [fragment]}, index


def _whole_call(call: ToolCall, index: int | None, as_object: bool) -> dict[str, Any]:
    arguments: Any = call.arguments
    if as_object:
        try:
            arguments = json.loads(call.arguments)
        except ValueError:
            pass  # a scripted non-JSON string stays a string
    rendered: dict[str, Any] = {} if index is None else {"index": index}
    if call.id is not None:
        rendered["id"] = call.id
    rendered.update(
        type="function", function={"name": call.name, "arguments": arguments}
    )
    return rendered


def _groups(pieces: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(pieces), size):
        yield pieces[start : start + size]
