"""Streams that break: every break raises after exactly the chunks that came first.

A stream may never end as a silent partial success: neither ``stream`` nor
``invoke(streaming=True)`` may hand back a shortened answer as if it were
whole.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import ModelConnectionError

from langchain_provider.errors import (
    APIConnectionError,
    ResponseDecodeError,
    ServerError,
    StreamEventError,
    StreamInterruptedError,
)

from .conftest import STREAM_STYLES, call, chat_requests

PROMPT = "one two three four five six"
TOKENS = ["Emulated", " reply", " to", ":", " one", " two", " three", " four"]
N = 3  # chunks delivered before the fault


def script_fault(emu: Any, kind: str, after: int | None = N) -> None:
    if kind == "cut":
        emu.script.cut_stream(after_chunks=after)
    elif kind == "malformed":
        emu.script.malformed_chunk(after_chunks=after)
    elif kind == "error_event":
        emu.script.error_event(
            after_chunks=after, message="GPU fell over", style="event"
        )
    elif kind == "error_data":
        emu.script.error_event(
            after_chunks=after, message="GPU fell over", style="data"
        )
    elif kind == "no_done":
        emu.script.no_done(after_chunks=after)
    else:  # pragma: no cover
        raise AssertionError(kind)


EXPECTED = {
    "cut": StreamInterruptedError,
    "malformed": ResponseDecodeError,
    "error_event": StreamEventError,
    "error_data": StreamEventError,
    "no_done": StreamInterruptedError,
}


@pytest.mark.parametrize("style", STREAM_STYLES)
@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_stream_fault_raises_after_the_delivered_chunks(
    emu, make_model, style, kind
):
    script_fault(emu, kind)
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert isinstance(outcome.error, EXPECTED[kind]), outcome.error
    assert outcome.content_chunks == TOKENS[:N]
    # Chunks were handed over, so the request is not sent again.
    assert len(chat_requests(emu)) == 1
    if kind.startswith("error"):
        assert "GPU fell over" in str(outcome.error)
        assert outcome.error.code == "internal_error"
    if kind in ("cut", "no_done"):
        assert isinstance(outcome.error, APIConnectionError)
        assert isinstance(outcome.error, ModelConnectionError)


@pytest.mark.parametrize("style", STREAM_STYLES)
async def test_stream_without_done_after_the_whole_reply_still_raises(
    emu, make_model, style
):
    # Every chunk, finish_reason and usage arrive; only [DONE] is missing.
    emu.script.no_done(after_chunks=None)
    outcome = await call(make_model(), style, PROMPT)
    assert isinstance(outcome.error, StreamInterruptedError)
    assert outcome.text == f"Emulated reply to: {PROMPT}"


class TokenCounter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_invoke_with_streaming_raises_instead_of_a_partial_answer(
    emu, make_model, style, kind
):
    script_fault(emu, kind)
    counter = TokenCounter()
    model = make_model(streaming=True, max_retries=2)
    outcome = await call(model, style, PROMPT, config={"callbacks": [counter]})
    assert isinstance(outcome.error, EXPECTED[kind]), outcome.error
    assert outcome.result is None
    assert [t for t in counter.tokens if t] == TOKENS[:N]
    assert len(chat_requests(emu)) == 1


@pytest.mark.parametrize("style", STREAM_STYLES + ("invoke", "ainvoke"))
@pytest.mark.parametrize("kind", ["cut", "error_event"])
async def test_fault_before_the_first_chunk_is_retried_losslessly(
    emu, make_model, style, kind
):
    # Nothing was handed over yet, so sending the request again loses nothing.
    if style.endswith("invoke"):
        # Non-streaming: a body cut halfway, or a 500 carrying the error.
        script_fault(emu, kind)
    else:
        script_fault(emu, kind, after=0)
    emu.script.reply_text("All good", chunks=["All", " good"])
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    if outcome.error is not None and kind == "error_event" and style in STREAM_STYLES:
        pytest.fail(f"an error event before any chunk was not retried: {outcome.error}")
    assert outcome.error is None, outcome.error
    assert outcome.text == "All good"
    assert len(chat_requests(emu)) == 2


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
async def test_malformed_non_streaming_body_raises_decode_error(emu, make_model, style):
    emu.script.malformed_chunk()
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert isinstance(outcome.error, ResponseDecodeError)
    assert isinstance(outcome.error, ServerError)
    assert "not valid JSON" in str(outcome.error)
    assert len(chat_requests(emu)) == 1


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
async def test_cut_non_streaming_body_without_retries_raises(emu, make_model, style):
    emu.script.cut_stream()
    outcome = await call(make_model(max_retries=0), style, PROMPT)
    assert isinstance(outcome.error, APIConnectionError)
    assert outcome.result is None
    assert len(chat_requests(emu)) == 1
