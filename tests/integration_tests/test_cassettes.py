"""Recorded interactions (vcrpy cassettes in ``cassettes/``), replayed offline.

Each test here runs the real client against a recording: an invoke, a stream
with usage, a stream of tool-call fragments, structured output, a 400 error
and a 429 that is retried (two interactions in one cassette). By default
pytest-recording's record mode is ``none``: the recordings are replayed, the
network is blocked, and a missing or non-matching recording fails the test.

The committed cassettes were recorded against the bundled emulator. To
re-record every cassette (these and the standard suite's ``test_stream_time``)
against the configured endpoint, the emulator by default or the live service
with ``SAMBANOVA_LIVE_TESTS=1`` and ``SAMBANOVA_API_KEY`` set::

    pytest tests/integration_tests --record-mode=rewrite

Credential headers are redacted before anything is written (see
``_support.vcr_settings``), and test_cassette_secrets.py scans every cassette.
Against the live service the 429 cannot be provoked on demand, so its cassette
is only ever recorded from the emulator.
"""

from __future__ import annotations

from typing import Any

import pytest
from clock import RecordingClock
from langchain_core.messages import AIMessage, AIMessageChunk
from pydantic import BaseModel, Field

from langchain_provider import ChatSambaNova
from langchain_provider.errors import InvalidRequestError, RateLimitError

from ._support import MODEL, RECORDED_EMULATOR_HOST, Target, vcr_settings

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    """Each recorded response answers one request, in order (the retry needs it)."""
    return vcr_settings(allow_playback_repeats=False)


@pytest.fixture
def recording(record_mode: str) -> bool:
    """Whether this run records (``--record-mode`` other than ``none``)."""
    return record_mode != "none"


@pytest.fixture
def model(target: Target) -> ChatSambaNova:
    return ChatSambaNova(model=MODEL, temperature=0, max_tokens=64, **target.params)


def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: The city's name.
    """
    return f"It is 21 degrees and sunny in {city}."


class Weather(BaseModel):
    """The weather in a city."""

    city: str = Field(description="The city's name")
    temperature_c: int = Field(description="Temperature in degrees Celsius")


def _from_emulator(cassette: Any) -> bool:
    """Whether the cassette was recorded against the emulator."""
    return RECORDED_EMULATOR_HOST in cassette.requests[0].uri


def _assert_all_played(cassette: Any, interactions: int) -> None:
    assert len(cassette) == interactions
    if cassette.play_count:  # replaying (recording leaves play_count at 0)
        assert cassette.all_played


def test_invoke(model: ChatSambaNova, vcr: Any) -> None:
    result = model.invoke("Say hello in one word.")

    assert isinstance(result, AIMessage)
    assert result.text
    assert result.response_metadata["model_name"] == MODEL
    assert result.response_metadata["finish_reason"] == "stop"
    usage = result.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert result.response_metadata["timing"]["time_to_first_token"] > 0
    _assert_all_played(vcr, 1)


def test_stream_with_usage(model: ChatSambaNova, vcr: Any) -> None:
    chunks = list(model.stream("Count from one to five."))

    assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    assert sum(1 for chunk in chunks if chunk.text) > 1, "content came in pieces"
    with_usage = [chunk for chunk in chunks if chunk.usage_metadata]
    assert len(with_usage) == 1, "usage is reported once, at the end"
    assert chunks[-1].chunk_position == "last"
    full = sum(chunks[1:], chunks[0])
    assert full.text == "".join(chunk.text for chunk in chunks)
    assert full.usage_metadata is not None
    assert full.usage_metadata["output_tokens"] > 0
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.response_metadata["model_name"] == MODEL
    assert full.response_metadata["timing"]["time_to_first_token"] > 0
    body = vcr.requests[0].body
    assert b'"stream_options":{"include_usage":true}' in body
    _assert_all_played(vcr, 1)


def test_stream_tool_call_fragments(
    model: ChatSambaNova, target: Target, recording: bool, vcr: Any
) -> None:
    if recording and target.emulator is not None:
        target.emulator.config.tool_call_style = "fragments"  # OpenAI-style
    llm = model.bind_tools([get_weather], tool_choice="get_weather")

    chunks = list(llm.stream("What is the weather in Paris?"))

    pieces = [c for chunk in chunks for c in chunk.tool_call_chunks if c.get("args")]
    if _from_emulator(vcr):  # recorded as fragments: the client must join them
        assert len(pieces) > 1
    full = sum(chunks[1:], chunks[0])
    assert len(full.tool_calls) == 1
    call = full.tool_calls[0]
    assert call["name"] == "get_weather"
    assert call["id"]
    assert isinstance(call["args"]["city"], str) and "Paris" in call["args"]["city"]
    assert full.response_metadata["finish_reason"] == "tool_calls"
    _assert_all_played(vcr, 1)


def test_structured_output(model: ChatSambaNova, vcr: Any) -> None:
    question = "Report the weather in Paris: 21 degrees Celsius."
    for method in ("json_schema", "function_calling"):
        result = model.with_structured_output(Weather, method=method).invoke(question)
        assert isinstance(result, Weather), method
        assert result.city
    _assert_all_played(vcr, 2)


def test_error_400(model: ChatSambaNova, vcr: Any) -> None:
    llm = model.bind_tools([get_weather])
    # The service rejects n > 1 together with tools: refused before sending.
    with pytest.raises(ValueError, match="n=2 cannot be combined with tools"):
        llm.invoke("What is the weather in Paris?", n=2)
    # A response_format type the service does not know: the client leaves
    # response_format to the server, which answers 400.
    with pytest.raises(InvalidRequestError) as caught:
        llm.invoke("What is the weather in Paris?", response_format={"type": "yaml"})

    assert caught.value.status_code == 400
    assert caught.value.message
    _assert_all_played(vcr, 1)  # a 400 is not retried


def test_retried_429(
    model: ChatSambaNova, target: Target, recording: bool, vcr: Any
) -> None:
    if recording:  # never LIVE: conftest skips this test when recording live
        target.emulator.script.fault(
            429,
            "Request would exceed rate limit",
            code="rate_limit_exceeded",
            headers={"retry-after-ms": "50"},
        )
    clock = RecordingClock()
    model._retry_policy = clock.policy()

    result = model.invoke("Say hello in one word.")

    assert clock.waits == [0.05], "retry-after-ms was honoured"
    assert isinstance(result, AIMessage) and result.text
    statuses = [response["status"]["code"] for response in vcr.responses]
    assert statuses == [429, 200]
    assert vcr.responses[0]["headers"]["retry-after-ms"] == ["50"]
    _assert_all_played(vcr, 2)


def test_429_without_retries_raises(target: Target, recording: bool, vcr: Any) -> None:
    if recording:
        target.emulator.script.fault(429, "Queue Full", code="queue_full")
    model = ChatSambaNova(model=MODEL, max_retries=0, **target.params)

    with pytest.raises(RateLimitError) as caught:
        model.invoke("Say hello in one word.")

    assert caught.value.status_code == 429
    assert caught.value.is_retryable
    _assert_all_played(vcr, 1)
