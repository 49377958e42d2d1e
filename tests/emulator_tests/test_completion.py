"""Non-streaming completions: the captured live shape, usage namings, the model."""

from __future__ import annotations

import base64
import uuid

import jsonschema
import pytest

from .helpers import complete, post

NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}

# Written from the live capture in wire-format.md: same keys, same types.
LIVE_COMPLETION_SCHEMA = {
    "type": "object",
    "required": [
        "id",
        "object",
        "created",
        "model",
        "system_fingerprint",
        "choices",
        "usage",
    ],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "chat.completion"},
        "created": NUMBER,
        "model": {"type": "string"},
        "system_fingerprint": {"const": "fastcoe"},
        "choices": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["index", "finish_reason", "logprobs", "message"],
                "additionalProperties": False,
                "properties": {
                    "index": {"const": 0},
                    "finish_reason": {"enum": ["stop", "length", "tool_calls"]},
                    "logprobs": {"type": "null"},
                    "message": {
                        "type": "object",
                        "required": ["role", "content"],
                        "properties": {
                            "role": {"const": "assistant"},
                            "content": {"type": ["string", "null"]},
                        },
                    },
                },
            },
        },
        "usage": {
            "type": "object",
            "required": [
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "time_to_first_token",
                "total_latency",
                "completion_tokens_after_first_per_sec",
                "completion_tokens_after_first_per_sec_first_ten",
                "completion_tokens_per_sec",
                "total_tokens_per_sec",
                "start_time",
                "end_time",
                "is_last_response",
                "stop_reason",
            ],
            "additionalProperties": False,
            "properties": {
                "prompt_tokens": INTEGER,
                "completion_tokens": INTEGER,
                "total_tokens": INTEGER,
                "time_to_first_token": NUMBER,
                "total_latency": NUMBER,
                "completion_tokens_after_first_per_sec": NUMBER,
                "completion_tokens_after_first_per_sec_first_ten": NUMBER,
                "completion_tokens_per_sec": NUMBER,
                "total_tokens_per_sec": NUMBER,
                "start_time": NUMBER,
                "end_time": NUMBER,
                "is_last_response": {"const": True},
                "stop_reason": {"type": "string"},
            },
        },
    },
}

REFERENCE_FIELDS = {
    "time_to_first_token",
    "throughput_after_first_token",
    "model_execution_time",
    "queue_time",
    "input_tokens_count",
    "output_tokens_count",
    "total_tokens_count",
}

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()


def test_non_stream_body_matches_the_live_capture(emu, client):
    body = complete(client, emu)

    jsonschema.validate(body, LIVE_COMPLETION_SCHEMA)
    uuid.UUID(body["id"])  # a bare UUID
    assert isinstance(body["created"], float)
    assert body["model"] == "Meta-Llama-3.3-70B-Instruct"
    message = body["choices"][0]["message"]
    assert message["content"] == "Emulated reply to: What is 2+2?"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["stop_reason"] == "stop"
    assert usage["end_time"] >= usage["start_time"]


def test_replies_are_deterministic(emu, client):
    first = complete(client, emu, content="Tell me about Paris.")
    second = complete(client, emu, content="Tell me about Paris.")
    assert first["choices"] == second["choices"]
    assert first["id"] != second["id"]


def test_reference_naming_inside_usage(emu, client):
    emu.config.timing_naming = "reference"
    body = complete(client, emu)

    usage = body["usage"]
    assert set(usage) == REFERENCE_FIELDS
    assert usage["total_tokens_count"] == (
        usage["input_tokens_count"] + usage["output_tokens_count"]
    )
    assert usage["queue_time"] >= 0


def test_reference_naming_at_top_level(emu, client):
    emu.config.timing_naming = "reference"
    emu.config.reference_placement = "top_level"
    body = complete(client, emu)

    assert "usage" not in body
    assert REFERENCE_FIELDS <= set(body)
    assert body["output_tokens_count"] > 0


def test_queue_time_measures_latency(emu, client):
    emu.config.timing_naming = "reference"
    emu.config.latency = 0.1
    usage = complete(client, emu)["usage"]
    assert 0.09 <= usage["queue_time"] < 5.0  # loose: a busy machine oversleeps
    assert usage["time_to_first_token"] >= usage["queue_time"]


def test_max_tokens_truncates_with_finish_reason_length(emu, client):
    body = complete(client, emu, content="one two three four five six", max_tokens=3)

    choice = body["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"] == "Emulated reply to"
    assert body["usage"]["completion_tokens"] == 3
    assert body["usage"]["stop_reason"] == "length"


@pytest.mark.parametrize("stop", ["2+2", ["zzz", "is"]])
def test_stop_cuts_before_the_stop_sequence(emu, client, stop):
    body = complete(client, emu, stop=stop)

    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    expected = (
        "Emulated reply to: What is " if stop == "2+2" else "Emulated reply to: What "
    )
    assert choice["message"]["content"] == expected


def test_tool_result_is_reported_in_the_answer(emu, client):
    messages = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "22 degrees"},
    ]
    response = post(
        client, emu, {"model": "Meta-Llama-3.3-70B-Instruct", "messages": messages}
    )
    content = response.json()["choices"][0]["message"]["content"]
    assert content == "The get_weather tool returned: 22 degrees."


def test_images_are_accepted_and_mentioned(emu, client):
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": PNG}},
    ]
    body = complete(client, emu, content=parts)
    content = body["choices"][0]["message"]["content"]
    assert content == "I see 1 image(s). Emulated reply to: What is this?"


def test_gpt_oss_carries_reasoning_apart(emu, client):
    body = complete(client, emu, model="gpt-oss-120b")
    message = body["choices"][0]["message"]
    assert message["reasoning"].startswith("The user wrote:")
    assert message["content"] == "Emulated reply to: What is 2+2?"


def test_deepseek_r1_thinks_inside_the_content(emu, client):
    body = complete(client, emu, model="DeepSeek-R1-0528")
    content = body["choices"][0]["message"]["content"]
    assert content.startswith("<think>\nThe user wrote:")
    assert content.endswith("</think>\n\nEmulated reply to: What is 2+2?")


def test_list_content_of_text_parts(emu, client):
    body = complete(client, emu, content=[{"type": "text", "text": "Hi there"}])
    assert body["choices"][0]["message"]["content"] == "Emulated reply to: Hi there"


def test_models_endpoint_lists_served_models(emu, client):
    emu.config.models = {"tiny": 10, "small": 100}
    data = client.get(f"{emu.base_url}/models").json()["data"]
    assert [model["id"] for model in data] == ["tiny", "small"]


def test_unknown_path_is_a_404_in_the_service_shape(emu, client):
    response = client.get(f"{emu.base_url}/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
