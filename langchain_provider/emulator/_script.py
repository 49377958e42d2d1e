"""Scripted replies and faults: what the next requests get instead of the model.

Items wait in a FIFO queue; each chat completion request takes the head item
(after the API-key check, before validation), and an item with ``times=K``
serves K requests, ``times=None`` every request until `Script.clear`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ApiError
from ._rate_limits import daily_quota_headers, format_duration

PAYMENT_REQUIRED_MESSAGE = (
    "A payment method is required. Add one at "
    "https://cloud.sambanova.ai/plans/billing to continue."
)
"""The message of the service's 402 (an account with no payment method)."""


def model_unavailable_message(model: str) -> str:
    """The service's message for a retired model.

    Args:
        model: The model's name.
    """
    return (
        f"The requested model ({model}) is not available on SambaNova Cloud. For "
        "more information, please visit "
        "https://docs.sambanova.ai/cloud/docs/resources/deprecations. For further "
        "inquiries, please contact our support team at help@sambanova.ai."
    )


@dataclass
class ScriptedReply:
    """A reply given verbatim (no stop or max_tokens applied).

    Attributes:
        text: The content, or None for a tool-call reply without text.
        chunks: Exact stream pieces; they join to `text`.
        tool_calls: Calls as ``{"name", "arguments", "id"?}`` dicts; sent
            after `text` when both are set.
        reasoning: Reasoning sent before the content or calls, in
            ``message.reasoning`` / ``delta.reasoning`` (gpt-oss style).
    """

    text: str | None = None
    chunks: list[str] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    reasoning: str | None = None


@dataclass
class StreamFault:
    """Something that goes wrong in the middle of a stream.

    Attributes:
        kind: ``cut``, ``malformed``, ``error_event``, ``no_done`` or ``stall``.
        after_chunks: Good ``data:`` events sent first (None: all of them).
        seconds: How long a ``stall`` lasts.
        error: The ``error`` object of an ``error_event``.
        style: ``event`` (an ``event: error`` SSE event) or ``data`` (a
            ``data:`` payload holding the error).
    """

    kind: str
    after_chunks: int | None = None
    seconds: float = 0.0
    error: dict[str, Any] = field(default_factory=dict)
    style: str = "event"


@dataclass
class ScriptItem:
    """One queued item; the fields that are set say what it does.

    Attributes:
        reply: Replaces the model's reply.
        error: Answer with this error instead of a completion.
        stream_fault: Break the stream this way.
        delay: Seconds to wait before the response starts.
        remaining: Requests still to serve; None for every request.
    """

    reply: ScriptedReply | None = None
    error: ApiError | None = None
    stream_fault: StreamFault | None = None
    delay: float = 0.0
    remaining: int | None = 1


class Script:
    """The queue of scripted items; thread-safe (tests fill it, the server reads)."""

    def __init__(self) -> None:
        self._items: deque[ScriptItem] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Return the number of queued items (repeating ones count once)."""
        with self._lock:
            return len(self._items)

    def reply_text(
        self, text: str, chunks: list[str] | None = None, *, times: int | None = 1
    ) -> None:
        """Answer the next request with this text.

        Args:
            text: The reply content.
            chunks: Exact stream pieces (must join to `text`); default: tokens.
            times: Requests to serve; None for every request until `clear`.
        """
        if chunks is not None and "".join(chunks) != text:
            raise ValueError("chunks must join to text")
        self._add(ScriptItem(reply=ScriptedReply(text=text, chunks=chunks)), times)

    def reply_tool_calls(
        self,
        calls: list[dict[str, Any]],
        *,
        times: int | None = 1,
        reasoning: str | None = None,
        text: str | None = None,
    ) -> None:
        """Answer the next request with tool calls (finish_reason ``tool_calls``).

        Args:
            calls: Dicts with ``name``, ``arguments`` (a dict or a JSON string)
                and optionally ``id``: absent, a fresh ``call_<hex>``; ``None``,
                a call sent with no ``id`` at all (as some deployments do).
            times: Requests to serve; None for every request until `clear`.
            reasoning: Reasoning to send with the calls (gpt-oss style).
            text: Content sent before the calls in the same reply ("Let me
                check." and a call, as models often answer).
        """
        for call in calls:
            if "name" not in call:
                raise ValueError("every tool call needs a name")
        reply = ScriptedReply(
            text=text, tool_calls=[dict(call) for call in calls], reasoning=reasoning
        )
        self._add(ScriptItem(reply=reply), times)

    def reply_json(self, value: Any, *, times: int | None = 1) -> None:
        """Answer the next request with this value as JSON content.

        Args:
            value: Anything `json.dumps` accepts.
            times: Requests to serve; None for every request until `clear`.
        """
        self.reply_text(json.dumps(value), times=times)

    def fault(
        self,
        status: int = 500,
        message: str | None = None,
        code: str | None = None,
        type: str | None = None,  # named like the wire field it fills
        headers: Mapping[str, str] | None = None,
        plain_text: bool = False,
        *,
        param: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the next request with an HTTP error.

        Args:
            status: The HTTP status.
            message: ``error.message`` (default: one fitting the status).
            code: ``error.code``.
            type: ``error.type`` (default: one fitting the status).
            headers: Extra response headers, e.g. ``{"retry-after": "1"}``.
            plain_text: Send a ``text/plain`` body holding only the message.
            param: ``error.param``.
            times: Requests to serve; None for every request until `clear`.
        """
        error = ApiError(
            status,
            message,
            type=type,
            param=param,
            code=code,
            headers=headers,
            plain_text=plain_text,
        )
        self._add(ScriptItem(error=error), times)

    def daily_quota(
        self,
        limit: int = 12000,
        reset_in: float = 4 * 3600 + 17 * 60,
        *,
        times: int | None = 1,
    ) -> None:
        """Answer with the 429 of an exhausted daily quota, as the service does.

        Its message names ``duration_s: 86400`` (the quota's window), and its
        ``x-ratelimit-*-day`` headers say no request is left until the reset:
        retrying within seconds cannot succeed.

        Args:
            limit: The daily request limit the error reports.
            reset_in: Seconds until the quota resets (sent as e.g. ``4h17m``).
            times: Requests to serve; None for every request until `clear`.
        """
        message = (
            "Request would exceed rate limit. Violated duration_s: 86400, "
            f"limit: {limit} requests per day. Resets in {format_duration(reset_in)}."
        )
        self.fault(
            429,
            message,
            code="rate_limit_exceeded",
            headers=daily_quota_headers(limit, reset_in),
            times=times,
        )

    def context_overflow(
        self,
        model: str = "DeepSeek-V3-0324",
        context_length: int = 32768,
        needed: int = 39732,
        *,
        times: int | None = 1,
    ) -> None:
        """Answer with the service's context-overflow 400, as clients quote it.

        Its ``code`` is null: only the message says what went wrong (quoted
        in https://github.com/OpenHands/OpenHands/pull/9252).

        Args:
            model: The model the message names.
            context_length: The context length it reports.
            needed: The tokens it says the request would take.
            times: Requests to serve; None for every request until `clear`.
        """
        message = (
            f"The maximum context length of {model} is {context_length}. However, "
            f"answering your request will take {needed} tokens. Please reduce the "
            "length of the messages or the specified max_completion_tokens value."
        )
        self.fault(400, message, times=times)

    def payment_required(self, *, times: int | None = 1) -> None:
        """Answer with the 402 of an account without a payment method.

        Args:
            times: Requests to serve; None for every request until `clear`.
        """
        self.fault(402, PAYMENT_REQUIRED_MESSAGE, times=times)

    def model_unavailable(
        self, model: str = "DeepSeek-R1-Distill-Llama-70B", *, times: int | None = 1
    ) -> None:
        """Answer with the 404 of a model the service has retired.

        The message is the one clients quote after a retirement (e.g.
        https://github.com/mozilla-ai/any-llm/issues/976).

        Args:
            model: The retired model the message names.
            times: Requests to serve; None for every request until `clear`.
        """
        self.fault(404, model_unavailable_message(model), times=times)

    def cut_stream(
        self, after_chunks: int = 3, *, text: str | None = None, times: int | None = 1
    ) -> None:
        """Send some chunks, then drop the connection (no [DONE], no terminator).

        A non-streaming request gets its headers and half its body instead.

        Args:
            after_chunks: ``data:`` events sent before the cut.
            text: Reply text (default: the model's reply).
            times: Requests to serve; None for every request until `clear`.
        """
        self._fault(StreamFault("cut", after_chunks), text, times)

    def malformed_chunk(
        self, after_chunks: int = 2, *, text: str | None = None, times: int | None = 1
    ) -> None:
        """Send some chunks, then ``data: {not json`` and end the stream.

        A non-streaming request gets a 200 whose body is ``{not json``.

        Args:
            after_chunks: Good ``data:`` events sent first.
            text: Reply text (default: the model's reply).
            times: Requests to serve; None for every request until `clear`.
        """
        self._fault(StreamFault("malformed", after_chunks), text, times)

    def error_event(
        self,
        after_chunks: int = 2,
        message: str = "The model failed while generating the response.",
        style: str = "event",
        *,
        type: str = "server_error",  # named like the wire field it fills
        code: str | None = "internal_error",
        text: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Send some chunks, then an in-stream error, and end the stream.

        A non-streaming request gets a 500 with the same error.

        Args:
            after_chunks: Good ``data:`` events sent first.
            message: ``error.message``.
            style: ``"event"`` for ``event: error`` + ``data: {"error": ...}``;
                ``"data"`` for a plain ``data:`` payload holding the error.
            type: ``error.type``.
            code: ``error.code``.
            text: Reply text (default: the model's reply).
            times: Requests to serve; None for every request until `clear`.
        """
        if style not in ("event", "data"):
            raise ValueError("style must be 'event' or 'data'")
        error = {"message": message, "type": type, "param": None, "code": code}
        fault = StreamFault("error_event", after_chunks, error=error, style=style)
        self._fault(fault, text, times)

    def no_done(
        self,
        after_chunks: int | None = None,
        *,
        text: str | None = None,
        times: int | None = 1,
    ) -> None:
        """End the stream cleanly but without ``data: [DONE]``.

        Args:
            after_chunks: ``data:`` events sent (None: the whole stream).
            text: Reply text (default: the model's reply).
            times: Requests to serve; None for every request until `clear`.
        """
        self._fault(StreamFault("no_done", after_chunks), text, times)

    def slow(self, seconds: float, *, times: int | None = 1) -> None:
        """Wait before the response starts (on top of the configured latency).

        Args:
            seconds: The extra wait.
            times: Requests to serve; None for every request until `clear`.
        """
        self._add(ScriptItem(delay=seconds), times)

    def stall(
        self,
        after_chunks: int = 2,
        seconds: float = 1.0,
        *,
        text: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Pause mid-stream, then carry on normally.

        A non-streaming request is delayed by `seconds` instead.

        Args:
            after_chunks: ``data:`` events sent before the pause.
            seconds: Length of the pause.
            text: Reply text (default: the model's reply).
            times: Requests to serve; None for every request until `clear`.
        """
        self._fault(StreamFault("stall", after_chunks, seconds=seconds), text, times)

    def take(self) -> ScriptItem | None:
        """Return the item for the next request, or None when the queue is empty."""
        with self._lock:
            if not self._items:
                return None
            item = self._items[0]
            if item.remaining is not None:
                item.remaining -= 1
                if item.remaining <= 0:
                    self._items.popleft()
            return item

    def clear(self) -> None:
        """Forget every queued item."""
        with self._lock:
            self._items.clear()

    def _fault(self, fault: StreamFault, text: str | None, times: int | None) -> None:
        reply = ScriptedReply(text=text) if text is not None else None
        self._add(ScriptItem(reply=reply, stream_fault=fault), times)

    def _add(self, item: ScriptItem, times: int | None) -> None:
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every request")
        item.remaining = times
        with self._lock:
            self._items.append(item)
