"""The stream assembler: API chunks to LangChain generation chunks.

``_stream`` and ``_astream`` both feed every decoded chunk to one
:class:`StreamAssembler` and yield what it returns, so they differ only in
``for`` versus ``async for``. The work is split by job:

- :class:`ChoiceAssembler` turns one choice's deltas into message fields:
  content through a ``<think>`` splitter (``_think``), tool calls through an
  indexer (``_tool_calls``), and the finish reason, once.
- :class:`StreamAssembler` picks the choice, and reports what belongs to the
  whole stream exactly once: provider, model, fingerprint (chunk metadata
  strings concatenate when chunks are added) and usage, which it keeps until
  the end so that the last report wins.

A LangChain stream is one message: chunks of a second choice (``n > 1``) are
refused with ``ResponseDecodeError`` rather than spliced into the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_provider import _shapes
from langchain_provider._metrics import reports_usage
from langchain_provider._response import (
    IDENTITY_FIELDS,
    MODEL_PROVIDER,
    logprobs_of,
    reasoning_of,
    usage_fields,
)
from langchain_provider._think import ThinkSplitter
from langchain_provider._tool_calls import StreamedToolCalls
from langchain_provider.errors import ResponseDecodeError


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
            delta = _shapes.mapping(delta, "choices[].delta")
        reasoning = delta.get("reasoning") or delta.get("reasoning_content") or ""
        if type(reasoning) is not str:
            reasoning = reasoning_of(delta, "delta")
        text = delta.get("content")
        if type(text) is not str:
            text = _shapes.text(text, "delta.content")
        if text:
            think, text = self._think.split(text)
            reasoning += think
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            fields["tool_call_chunks"] = self._tools.chunks(tool_calls)
        info = None
        finish_reason = choice.get("finish_reason")
        if finish_reason is not None and not self.finished:
            metadata["finish_reason"] = _shapes.text(
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
                payloads never get here: ``_streaming`` raises on them.

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
            chunk_id = _shapes.optional_text(chunk_id, "id")
        fields: dict[str, Any] = {"id": chunk_id}
        metadata: dict[str, Any] = {}
        info = None
        if type(choices) is not list or len(choices) != 1:
            choices = _shapes.items(choices, "choices")
        for choice in choices:
            if type(choice) is not dict:
                choice = _shapes.items([choice], "choices")[0]
            index = choice.get("index")
            if index != 0 and _shapes.index(index, "choices[].index"):
                raise _multiple_choices(index)
            info = self._choice.feed(choice, fields, metadata) or info
        return self._generation(chunk, fields, metadata, info)

    def _generation(
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
        if self._identity_pending is None:
            metadata["model_provider"] = MODEL_PROVIDER
            self._identity_pending = IDENTITY_FIELDS
        pending = []
        for wire_name, key in self._identity_pending:
            value = _shapes.optional_text(chunk.get(wire_name), wire_name)
            if value is None:
                pending.append((wire_name, key))
            else:
                metadata[key] = value
        self._identity_pending = tuple(pending)

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
            fields["id"] = _shapes.optional_text(self._usage.get("id"), "id")
        if len(fields) == 1 and not fields["content"] and not metadata:
            return None
        return self._generation(self._usage or {}, fields, metadata, None)
