"""Stream chunks to LangChain message chunks, one chunk at a time.

``generation_chunk_from_chunk`` is the single place a stream chunk is
converted, shared by ``_stream`` and ``_astream``; ``StreamState`` is what a
stream remembers between chunks (a ``<think>`` block being split off, the
indexes of tool calls that came without one); ``final_generation_chunk``
settles what was held back once the stream ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_provider._messages import (
    THINK_CLOSE,
    THINK_OPEN,
    arguments_text,
    response_metadata,
    usage_fields,
)
from langchain_provider.errors import ResponseDecodeError


@dataclass
class StreamState:
    """What one stream must remember between chunks.

    Attributes:
        next_tool_index: The index to give the next tool call that arrives
            without one (the whole-call style), so separate calls never merge.
        think: Where we are in a leading ``<think>`` block: ``"start"`` (not
            decided yet), ``"inside"``, ``"after"`` (closed, answer not begun)
            or ``"done"``.
        pending: Content held back while it may still be the start of a tag
            (or whitespace that ends the reasoning).
        seen_model: Whether the model name was already reported (it must be
            reported once, because chunk metadata strings concatenate).
        reasoning_started: Whether reasoning text was already emitted.
        tool_indexes: Indexes given to whole tool calls that came without one.
        last_key: The key of the last call without an index, which a delta
            with neither id nor name continues (argument fragments).
        produced: Whether any chunk was produced yet.
    """

    next_tool_index: int = 0
    think: str = "start"
    pending: str = ""
    seen_model: bool = False
    reasoning_started: bool = False
    tool_indexes: dict[Any, int] = field(default_factory=dict)
    last_key: str | None = None
    produced: bool = False

    def split_content(self, text: str) -> tuple[str, str]:
        """Route streamed content to ``(reasoning, answer)`` around ``<think>``.

        Trims like :func:`split_think_tags` does on the whole content (the
        reasoning stripped, the answer's leading whitespace dropped), so the
        aggregate of a stream equals the non-streaming message.
        """
        if self.think == "done":
            return "", text
        if self.think == "after":
            # The blank lines between "</think>" and the answer are neither's.
            answer = text.lstrip()
            if answer:
                self.think = "done"
            return "", answer
        buffer = self.pending + text
        self.pending = ""
        if self.think == "start":
            stripped = buffer.lstrip()
            if len(stripped) < len(THINK_OPEN) and THINK_OPEN.startswith(stripped):
                self.pending = buffer  # could still become "<think>"
                return "", ""
            if not stripped.startswith(THINK_OPEN):
                self.think = "done"
                return "", buffer
            self.think = "inside"
            buffer = stripped[len(THINK_OPEN) :]
        end = buffer.find(THINK_CLOSE)
        if end >= 0:
            answer = buffer[end + len(THINK_CLOSE) :].lstrip()
            self.think = "done" if answer else "after"
            return self._reasoning(buffer[:end].rstrip()), answer
        # Hold back a tail that may be the start of "</think>", and the
        # whitespace before it, which is dropped if the block ends there.
        keep = 0
        for cut in range(min(len(THINK_CLOSE) - 1, len(buffer)), 0, -1):
            if THINK_CLOSE.startswith(buffer[-cut:]):
                keep = cut
                break
        head = buffer[: len(buffer) - keep].rstrip()
        self.pending = buffer[len(head) :]
        return self._reasoning(head), ""

    def _reasoning(self, text: str) -> str:
        # Whitespace right after "<think>" is dropped, as split_think_tags does.
        if not self.reasoning_started:
            text = text.lstrip()
            self.reasoning_started = bool(text)
        return text

    def flush(self) -> tuple[str, str]:
        """At the end of the answer, settle held-back text as ``(reasoning, answer)``.

        Inside an unfinished ``<think>`` block it is reasoning (trailing
        whitespace dropped); before one, a partial tag was just text after all.
        """
        pending, self.pending = self.pending, ""
        if self.think == "inside":
            return self._reasoning(pending.rstrip()), ""
        return "", pending

    def tool_index(self, raw: Mapping[str, Any], position: int) -> int:
        """Give a streamed tool-call delta the index it belongs under."""
        if raw.get("index") is not None:
            index = int(raw["index"])
            self.next_tool_index = max(self.next_tool_index, index + 1)
            return index
        # Whole calls without an index: each new id is a new call. Without an
        # id either, a delta naming a function starts a new call and one
        # without a name continues the last: keying by position alone merged
        # separate deltas' calls into one ("ab" with both argument objects).
        call_id = raw.get("id")
        if call_id:
            key = call_id
        elif (raw.get("function") or {}).get("name") or self.last_key is None:
            key = f"anonymous-{self.next_tool_index}-{position}"
        else:
            key = self.last_key
        self.last_key = key
        if key not in self.tool_indexes:
            self.tool_indexes[key] = self.next_tool_index
            self.next_tool_index += 1
        return self.tool_indexes[key]


def _tool_call_chunks(
    raw_calls: Sequence[Mapping[str, Any]], state: StreamState
) -> list[Any]:
    chunks = []
    for position, raw in enumerate(raw_calls):
        function = raw.get("function") or {}
        chunks.append(
            tool_call_chunk(
                name=function.get("name"),
                args=arguments_text(function.get("arguments")),
                id=raw.get("id"),
                index=state.tool_index(raw, position),
            )
        )
    return chunks


def generation_chunk_from_chunk(
    chunk: Mapping[str, Any], state: StreamState
) -> ChatGenerationChunk | None:
    """Convert one decoded stream chunk to a ``ChatGenerationChunk``.

    Handles content and reasoning deltas, both tool-call streaming styles, the
    finish chunk and the usage chunk (``choices: []``), and ``choices: null``.

    Args:
        chunk: The decoded ``data:`` payload of one SSE event.
        state: The stream's state, updated in place.

    Returns:
        The generation chunk, or ``None`` when the chunk carries nothing.
        Error payloads never get here: ``_streaming.decode_event`` raises on
        them.
    """
    choices = chunk.get("choices") or []
    usage_metadata, metadata = usage_fields(chunk)
    content = ""
    additional_kwargs: dict[str, Any] = {}
    tool_call_chunks: list[Any] = []
    generation_info: dict[str, Any] = {}
    if choices:
        choice = choices[0]
        delta = choice.get("delta") or {}
        reasoning = delta.get("reasoning") or delta.get("reasoning_content") or ""
        text = delta.get("content") or ""
        if text:
            think, text = state.split_content(text)
            reasoning += think
        finish_reason = choice.get("finish_reason")
        if finish_reason is not None:
            think, held = state.flush()
            reasoning += think
            text += held
        content = text
        if reasoning:
            additional_kwargs["reasoning_content"] = reasoning
        if delta.get("tool_calls"):
            tool_call_chunks = _tool_call_chunks(delta["tool_calls"], state)
        if finish_reason is not None:
            metadata.update(response_metadata(chunk, finish_reason))
            generation_info["finish_reason"] = finish_reason
            state.seen_model = True
        if choice.get("logprobs") is not None:
            generation_info["logprobs"] = choice["logprobs"]
    elif usage_metadata is None and not metadata:
        return None
    if metadata and not state.seen_model:
        # No finish chunk carried the model name (e.g. usage before finish).
        metadata.update(response_metadata(chunk, None))
        state.seen_model = True
    # Hot path (once per token): pass only the fields that differ from the
    # defaults; pydantic validates every argument given, even an empty one.
    fields: dict[str, Any] = {"content": content, "id": chunk.get("id")}
    if additional_kwargs:
        fields["additional_kwargs"] = additional_kwargs
    if tool_call_chunks:
        fields["tool_call_chunks"] = tool_call_chunks
    if usage_metadata is not None:
        fields["usage_metadata"] = usage_metadata
    if metadata:
        fields["response_metadata"] = metadata
    message = AIMessageChunk(**fields)
    state.produced = True
    return ChatGenerationChunk(message=message, generation_info=generation_info or None)


def final_generation_chunk(state: StreamState) -> ChatGenerationChunk | None:
    """Flush what a stream held back, once ``[DONE]`` has arrived.

    Content held back as a possible ``<think>`` tag is normally flushed by the
    finish chunk; a stream that ended without one must not lose it.

    Args:
        state: The stream's state.

    Returns:
        A chunk with the held-back content, or ``None`` when there is none.

    Raises:
        ResponseDecodeError: When the whole stream carried no chunk at all
            (just ``[DONE]``): an empty stream is a failure, not an answer.
    """
    reasoning, content = state.flush()
    if not reasoning and not content:
        if not state.produced:
            raise ResponseDecodeError(
                "The stream ended without an answer: the server sent no chunk."
            )
        return None
    message = AIMessageChunk(
        content=content,
        additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
    )
    return ChatGenerationChunk(message=message)
