"""Usage and timing: both namings the service uses, on invoke and on streams."""

from __future__ import annotations

import functools
import operator
from typing import Any

import pytest

from langchain_provider._response import (
    combine_token_usage,
    raw_usage,
    reports_usage,
    timing_from,
    usage_metadata_from,
)
from unit_tests.conftest import (
    LIVE_TIMING,
    LIVE_USAGE,
    chunk,
    completion,
    json_reply,
    make_model,
    sse_reply,
    usage_chunk,
)

REFERENCE_FIELDS = {
    "time_to_first_token": 0.05,
    "throughput_after_first_token": 300.5,
    "model_execution_time": 0.2,
    "queue_time": 0.01,
    "input_tokens_count": 12,
    "output_tokens_count": 8,
    "total_tokens_count": 20,
}
REFERENCE_TIMING = {
    "time_to_first_token": 0.05,
    "throughput_after_first_token": 300.5,
    "model_execution_time": 0.2,
    "queue_time": 0.01,
}
REFERENCE_USAGE_METADATA = {"input_tokens": 12, "output_tokens": 8, "total_tokens": 20}


def _body(where: str) -> dict[str, Any]:
    """A response body reporting usage in one of the places servers use."""
    if where == "live usage":
        return completion(usage=dict(LIVE_USAGE))
    if where == "reference names inside usage":
        return completion(usage=dict(REFERENCE_FIELDS))
    body = completion()
    del body["usage"]
    body.update(REFERENCE_FIELDS)  # "reference names at top level"
    return body


CASES = [
    (
        "live usage",
        LIVE_TIMING,
        {"input_tokens": 10, "output_tokens": 51, "total_tokens": 61},
    ),
    ("reference names inside usage", REFERENCE_TIMING, REFERENCE_USAGE_METADATA),
    ("reference names at top level", REFERENCE_TIMING, REFERENCE_USAGE_METADATA),
]


@pytest.mark.parametrize(("where", "timing", "usage"), CASES, ids=[c[0] for c in CASES])
def test_invoke_maps_both_namings(
    where: str, timing: dict[str, float], usage: dict[str, int]
) -> None:
    model, _ = make_model(json_reply(_body(where)))
    message = model.invoke("hi")
    assert message.response_metadata["timing"] == timing
    assert message.usage_metadata == usage


@pytest.mark.parametrize(("where", "timing", "usage"), CASES, ids=[c[0] for c in CASES])
async def test_stream_maps_both_namings(
    where: str, timing: dict[str, float], usage: dict[str, int]
) -> None:
    last = usage_chunk()
    del last["usage"]
    if where == "live usage":
        last["usage"] = dict(LIVE_USAGE)
    elif where == "reference names inside usage":
        last["usage"] = dict(REFERENCE_FIELDS)
    else:
        last.update(REFERENCE_FIELDS)
    events = [chunk({"content": "Hi"}), chunk({}, finish_reason="stop"), last]
    model, _ = make_model(sse_reply(events))
    aggregate = None
    async for piece in model.astream("hi"):
        aggregate = piece if aggregate is None else aggregate + piece
    assert aggregate is not None
    assert aggregate.response_metadata["timing"] == timing
    assert aggregate.usage_metadata == usage


def test_raw_usage_is_reported_as_sent() -> None:
    model, _ = make_model(json_reply(completion(usage=dict(LIVE_USAGE))))
    message = model.invoke("hi")
    assert message.response_metadata["token_usage"] == LIVE_USAGE


def test_top_level_reference_fields_join_the_raw_usage() -> None:
    model, _ = make_model(json_reply(_body("reference names at top level")))
    message = model.invoke("hi")
    assert message.response_metadata["token_usage"] == REFERENCE_FIELDS


def test_usage_inside_wins_over_top_level() -> None:
    body = completion(usage={"prompt_tokens": 1, "completion_tokens": 2})
    body["time_to_first_token"] = 0.9
    body["input_tokens_count"] = 100
    usage = raw_usage(body)
    assert usage == {
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "time_to_first_token": 0.9,
        "input_tokens_count": 100,
    }
    # The live name is preferred for counts when both are present.
    metadata = usage_metadata_from(usage)
    assert metadata is not None
    assert metadata["input_tokens"] == 1


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_the_usage_object_wins_over_the_same_field_at_top_level(stream: bool) -> None:
    # The public cloud reports in `usage` (wire-format.md); the reference
    # page's top-level fields only fill in what `usage` lacks, and a null
    # there counts as absent.
    usage = {"prompt_tokens": 3, "completion_tokens": 4, "time_to_first_token": 0.1}
    top = {"time_to_first_token": 0.9, "queue_time": None, "model_execution_time": 2}
    if stream:
        last = {**usage_chunk(usage), **top}
        reply = sse_reply(
            [chunk({"content": "Hi"}), chunk({}, finish_reason="stop"), last]
        )
    else:
        reply = json_reply({**completion(usage=usage), **top})
    model, _ = make_model(reply)
    message = (
        functools.reduce(operator.add, model.stream("hi"))
        if stream
        else model.invoke("hi")
    )
    assert message.response_metadata["token_usage"] == {
        **usage,
        "model_execution_time": 2,
    }
    assert message.response_metadata["timing"] == {
        "time_to_first_token": 0.1,
        "model_execution_time": 2.0,
    }


def test_reports_usage() -> None:
    assert reports_usage({"usage": {"prompt_tokens": 1}})
    assert reports_usage({"usage": None, "output_tokens_count": 3})
    assert not reports_usage({"usage": None, "choices": []})
    assert not reports_usage(chunk({"content": "x"}))


def test_cached_and_reasoning_token_details() -> None:
    usage = {
        "prompt_tokens": 30,
        "completion_tokens": 20,
        "total_tokens": 50,
        "prompt_tokens_details": {"cached_tokens": 16},
        "completion_tokens_details": {"reasoning_tokens": 12},
    }
    model, _ = make_model(json_reply(completion(usage=usage)))
    message = model.invoke("hi")
    assert message.usage_metadata == {
        "input_tokens": 30,
        "output_tokens": 20,
        "total_tokens": 50,
        "input_token_details": {"cache_read": 16},
        "output_token_details": {"reasoning": 12},
    }


def test_no_usage_no_metadata() -> None:
    body = completion()
    del body["usage"]
    model, _ = make_model(json_reply(body))
    message = model.invoke("hi")
    assert message.usage_metadata is None
    assert "timing" not in message.response_metadata
    assert "token_usage" not in message.response_metadata


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (
            {"prompt_tokens": 5, "completion_tokens": 3},
            {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
        ),
        (
            {"prompt_tokens": 5, "completion_tokens": None, "total_tokens": "5"},
            {"input_tokens": 5, "output_tokens": 0, "total_tokens": 5},
        ),
        (
            {"prompt_tokens": True, "completion_tokens": 4},
            {"input_tokens": 0, "output_tokens": 4, "total_tokens": 4},
        ),
        (
            {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 10},
            {"input_tokens": 5, "output_tokens": 3, "total_tokens": 10},
        ),
        ({"time_to_first_token": 0.1}, None),
        ({}, None),
        (
            {
                "prompt_tokens": 5,
                "completion_tokens": 3,
                "prompt_tokens_details": None,
                "completion_tokens_details": {"reasoning_tokens": None},
            },
            {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
        ),
    ],
    ids=[
        "no total",
        "null and string",
        "bool is not a count",
        "the server's total wins",
        "timing only",
        "empty",
        "null details",
    ],
)
def test_usage_metadata_from(usage: dict[str, Any], expected: Any) -> None:
    assert usage_metadata_from(usage) == expected


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (
            {"completion_tokens_after_first_per_sec": 200, "total_latency": 1},
            {"throughput_after_first_token": 200.0, "model_execution_time": 1.0},
        ),
        (
            # The reference name is preferred when both are present.
            {
                "throughput_after_first_token": 300,
                "completion_tokens_after_first_per_sec": 1,
            },
            {"throughput_after_first_token": 300.0},
        ),
        ({"time_to_first_token": None, "queue_time": "0.1"}, {}),
        (
            {"time_to_first_token": 0, "queue_time": 0.002},
            {"time_to_first_token": 0.0, "queue_time": 0.002},
        ),
    ],
    ids=["live", "both namings", "null and string", "zero is a value"],
)
def test_timing_from(usage: dict[str, Any], expected: dict[str, float]) -> None:
    assert timing_from(usage) == expected


def test_combine_token_usage_sums_only_integer_counts() -> None:
    combined = combine_token_usage(
        [
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "total_tokens": 15,
                "time_to_first_token": 0.1,
                "is_last_response": True,
            },
            None,
            {"prompt_tokens": None, "completion_tokens": "7", "total_tokens": 7},
            {},
            {"input_tokens_count": 4, "output_tokens_count": 2, "stop_reason": "stop"},
        ]
    )
    assert combined == {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 22,
        "input_tokens_count": 4,
        "output_tokens_count": 2,
    }
