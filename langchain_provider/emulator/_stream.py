"""Streaming responses: paced SSE events, scripted stream faults, disconnects.

These are raw ASGI callables rather than Starlette's ``StreamingResponse``
because the emulator must do what a well-behaved server never does: drop a
connection mid-body without the chunked terminator. Returning from an ASGI app
before the body is complete makes uvicorn close the transport at once, which
is exactly that; the error uvicorn logs about it is silenced for the responses
that do it on purpose (`_CUTTING`), and only for those.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send

from ._model import Reply
from ._render import DONE, MALFORMED, ChunkRenderer, error_event, stream_deltas
from ._sampling import combined_usage_reply
from ._script import StreamFault
from ._state import EmulatorState
from ._timing import Pacer, Timeline

_CUTTING: ContextVar[bool] = ContextVar("emulator_cutting", default=False)
_INCOMPLETE = "ASGI callable returned without completing response."
_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
]
# Streams that never sleep (unpaced, or behind schedule) still let others run.
_YIELD_EVERY = 32


class _QuietCut(logging.Filter):
    """Drops uvicorn's complaint about a response the emulator cut on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_CUTTING.get() and record.msg == _INCOMPLETE)


def install_log_filter() -> None:
    """Install the filter that keeps deliberate cuts out of uvicorn's error log."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietCut) for f in logger.filters):
        logger.addFilter(_QuietCut())


@dataclass
class StreamPlan:
    """Everything one stream needs, fixed when the request arrives.

    Attributes:
        renderer: Renders this stream's chunks.
        reply: The reply to stream.
        timeline: The request's measured moments.
        include_usage: Send the usage chunk (``stream_options.include_usage``).
        fault: A scripted fault to inject, if any.
        ttft: Seconds to the first token.
        tokens_per_second: Pacing after it (None or 0: none).
        tool_call_style: How tool calls are streamed.
        tokens_per_chunk: Tokens per delta.
        naming: Usage naming.
        placement: Usage placement.
        choices: All the choices (`reply` first) when the request asked for
            ``n`` or ``logprobs``; None streams `reply` alone.
    """

    renderer: ChunkRenderer
    reply: Reply
    timeline: Timeline
    include_usage: bool
    fault: StreamFault | None
    ttft: float
    tokens_per_second: float | None
    tool_call_style: str
    tokens_per_chunk: int
    naming: str
    placement: str
    choices: list[Reply] | None = None


class EventStream:
    """An ASGI response streaming a reply as server-sent events.

    Counts itself in `EmulatorState.active_streams` while it runs, and in
    `EmulatorState.disconnected_streams` when the client leaves before the end.

    Args:
        plan: What to stream.
        state: The emulator's shared state.
    """

    def __init__(self, plan: StreamPlan, state: EmulatorState) -> None:
        self._plan = plan
        self._state = state
        self._finished = False
        self._gone = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the events, watching for the client going away meanwhile."""
        self._state.active_streams += 1
        sender = asyncio.ensure_future(self._send_all(send))
        watcher = asyncio.ensure_future(self._watch(receive))
        try:
            await asyncio.wait((sender, watcher), return_when=asyncio.FIRST_COMPLETED)
            if self._gone:
                self._state.disconnected_streams += 1
                sender.cancel()
                await asyncio.gather(sender, return_exceptions=True)
            elif await sender:
                _CUTTING.set(True)
        finally:
            self._state.active_streams -= 1
            watcher.cancel()
            sender.cancel()

    async def _watch(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        # uvicorn also reports a disconnect once the response is complete.
        self._gone = not self._finished

    async def _send_all(self, send: Send) -> bool:
        """Send the stream; return True when it must end with a cut."""
        plan = self._plan
        await send(
            {"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS}
        )
        await self._state.stream_gate.wait()
        pacer = Pacer(plan.ttft, plan.tokens_per_second, plan.timeline.start)
        fault = plan.fault
        sent = 0
        for event, token_index in self._events():
            if fault is not None and sent == fault.after_chunks:
                if fault.kind != "stall":
                    return await self._break(send, fault)
                await asyncio.sleep(fault.seconds)
                pacer.delay(fault.seconds)
                fault = None
            if token_index is not None:
                await pacer.wait(token_index)
                # Timed as it is handed over, not after `send` returns: the
                # client may read the token before this task runs again.
                plan.timeline.mark(token_index)
            await send({"type": "http.response.body", "body": event, "more_body": True})
            sent += 1
            if sent % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        if fault is not None and fault.kind != "stall":
            return await self._break(send, fault)
        await self._end(send, DONE)
        return False

    def _events(self) -> Any:
        """Yield each event with the index of its last token (None: no tokens)."""
        plan = self._plan
        renderer = plan.renderer
        replies = plan.choices or [plan.reply]
        for index, reply in enumerate(replies):
            yield from self._choice_events(reply, index)
        if plan.include_usage:
            # Rendered only now, after the last token went out, so it is measured.
            usage = plan.timeline.usage(combined_usage_reply(replies), plan.naming)
            yield renderer.usage(usage, plan.naming, plan.placement), None

    def _choice_events(
        self, reply: Reply, index: int
    ) -> Iterator[tuple[bytes, int | None]]:
        """One choice's deltas (with their log probabilities), then its finish."""
        plan = self._plan
        renderer = plan.renderer
        deltas = stream_deltas(reply, plan.tool_call_style, plan.tokens_per_chunk)
        if reply.logprobs is None and index == 0:  # the usual case, kept lean
            for delta, token_index in deltas:
                yield renderer.delta(delta), token_index
            yield renderer.finish(reply.finish_reason), None
            return
        per_chunk = 1 if reply.forced_chunks else plan.tokens_per_chunk
        position = 0  # content pieces sent so far, to pick their logprobs
        for delta, token_index in deltas:
            entries = None
            if reply.logprobs is not None and "content" in delta:
                taken = min(per_chunk, len(reply.content_pieces) - position)
                entries = reply.logprobs[position : position + taken]
                position += taken
            yield renderer.delta(delta, index, entries), token_index
        yield renderer.finish(reply.finish_reason, index), None

    async def _break(self, send: Send, fault: StreamFault) -> bool:
        if fault.kind == "cut":
            return True
        if fault.kind == "malformed":
            await self._end(send, MALFORMED)
        elif fault.kind == "error_event":
            await self._end(send, error_event(fault.error, fault.style))
        else:  # no_done
            await self._end(send, b"")
        return False

    async def _end(self, send: Send, body: bytes) -> None:
        self._finished = True
        await send({"type": "http.response.body", "body": body, "more_body": False})


class TruncatedResponse:
    """An ASGI response that sends its headers and half its body, then drops.

    The non-streaming counterpart of `Script.cut_stream`.

    Args:
        body: The body the headers announce (by ``content-length``).
    """

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the headers and half the body, then return incomplete."""
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self._body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        half = self._body[: len(self._body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        _CUTTING.set(True)
