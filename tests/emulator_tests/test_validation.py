"""Validation and auth errors: status, the service's error shape, the field."""

from __future__ import annotations

import uuid

import pytest

from .helpers import MODEL, chat_body, fast_config, post

HTTP_IMAGE = {"type": "image_url", "image_url": {"url": "https://x.test/cat.png"}}
DATA_IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
TOOL = {"type": "function", "function": {"name": "f", "parameters": {}}}

CASES = [
    # (id, body, status, param, code)
    ("temperature high", chat_body(temperature=2.01), 400, "temperature",
     "decimal_above_max_value"),
    ("temperature low", chat_body(temperature=-0.1), 400, "temperature",
     "decimal_below_min_value"),
    ("temperature type", chat_body(temperature="hot"), 400, "temperature",
     "invalid_type"),
    ("top_p", chat_body(top_p=1.01), 400, "top_p", "decimal_above_max_value"),
    ("top_k high", chat_body(top_k=101), 400, "top_k", "integer_above_max_value"),
    ("top_k low", chat_body(top_k=0), 400, "top_k", "integer_below_min_value"),
    ("max_tokens", chat_body(max_tokens=0), 400, "max_tokens",
     "integer_below_min_value"),
    ("stop count", chat_body(stop=["a", "b", "c", "d", "e"]), 400, "stop",
     "array_above_max_length"),
    ("no messages", {"model": MODEL}, 400, "messages", "missing_required_parameter"),
    ("empty messages", {"model": MODEL, "messages": []}, 400, "messages",
     "empty_array"),
    ("no role", {"model": MODEL, "messages": [{"content": "hi"}]}, 400,
     "messages[0].role", "missing_required_parameter"),
    ("unknown role", {"model": MODEL, "messages": [{"role": "robot", "content": "x"}]},
     400, "messages[0].role", "invalid_value"),
    ("n with tools", chat_body(n=2, tools=[TOOL]), 400, "n", "invalid_value"),
    ("http image", chat_body([{"type": "text", "text": "?"}, HTTP_IMAGE]), 400,
     "messages[0].content[1].image_url.url", "invalid_image_url"),
    ("six images", chat_body([DATA_IMAGE] * 6), 400, "messages", "too_many_images"),
    ("unknown model", chat_body(model="no-such-model"), 404, "model",
     "model_not_found"),
    ("no model", {"messages": [{"role": "user", "content": "hi"}]}, 400, "model",
     "missing_required_parameter"),
    ("tool_choice unknown", chat_body(tools=[TOOL], tool_choice={
        "type": "function", "function": {"name": "g"}}), 400, "tool_choice",
     "invalid_value"),
    ("response_format", chat_body(response_format={"type": "yaml"}), 400,
     "response_format", "invalid_value"),
    ("n zero", chat_body(n=0), 400, "n", "integer_below_min_value"),
    ("seed type", chat_body(seed=1.5), 400, "seed", "invalid_type"),
    ("logprobs type", chat_body(logprobs="yes"), 400, "logprobs", "invalid_type"),
    ("top_logprobs high", chat_body(logprobs=True, top_logprobs=21), 400,
     "top_logprobs", "integer_above_max_value"),
    ("top_logprobs low", chat_body(logprobs=True, top_logprobs=-1), 400,
     "top_logprobs", "integer_below_min_value"),
    ("top_logprobs alone", chat_body(top_logprobs=2), 400, "top_logprobs",
     "invalid_value"),
    ("max_completion_tokens", chat_body(max_completion_tokens=0), 400,
     "max_completion_tokens", "integer_below_min_value"),
    ("repetition_penalty zero", chat_body(repetition_penalty=0), 400,
     "repetition_penalty", "decimal_below_min_value"),
    ("do_sample type", chat_body(do_sample=1), 400, "do_sample", "invalid_type"),
    ("chat_template_kwargs type", chat_body(chat_template_kwargs=[1]), 400,
     "chat_template_kwargs", "invalid_type"),
    ("frequency_penalty high", chat_body(frequency_penalty=2.5), 400,
     "frequency_penalty", "decimal_above_max_value"),
]  # fmt: skip

ACCEPTED = [
    ("temperature top", chat_body(temperature=2)),
    ("temperature bottom", chat_body(temperature=0)),
    ("top_logprobs ends", chat_body(logprobs=True, top_logprobs=20)),
    ("top_logprobs zero", chat_body(logprobs=True, top_logprobs=0)),
    ("all new parameters", chat_body(
        seed=7, n=1, max_completion_tokens=1, repetition_penalty=1.2,
        do_sample=False, chat_template_kwargs={"enable_thinking": False},
        frequency_penalty=-2, presence_penalty=2)),
]  # fmt: skip


@pytest.mark.parametrize(
    "body", [case[1] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED]
)
def test_documented_ends_of_each_range_are_accepted(emu, client, body):
    response = post(client, emu, body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "status", "param", "code"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_invalid_requests_are_rejected_like_the_service(
    emu, client, body, status, param, code
):
    response = post(client, emu, body)

    assert response.status_code == status
    payload = response.json()
    assert set(payload) == {"error", "request_id"}
    uuid.UUID(payload["request_id"])
    error = payload["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert (error["param"], error["code"]) == (param, code)
    assert error["message"]


def test_range_errors_name_the_allowed_range(emu, client):
    error = post(client, emu, chat_body(temperature=2.5)).json()["error"]
    assert "between 0 and 2" in error["message"]
    error = post(client, emu, chat_body(top_k=500)).json()["error"]
    assert "between 1 and 100" in error["message"]


def test_context_length_exceeded(emu, client):
    emu.config.models = {"tiny": 20}
    ok = post(client, emu, chat_body("short", model="tiny"))
    assert ok.status_code == 200
    response = post(client, emu, chat_body("word " * 30, model="tiny"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "context_length_exceeded"


def test_five_data_url_images_are_fine(emu, client):
    assert post(client, emu, chat_body([DATA_IMAGE] * 5)).status_code == 200


def test_invalid_json_body(emu, client):
    response = client.post(
        f"{emu.base_url}/chat/completions",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "secret"])
def test_api_key_is_required_when_configured(emu, client, header):
    emu.config = fast_config(api_key="secret")
    headers = {"authorization": header} if header else {}
    response = client.post(
        f"{emu.base_url}/chat/completions", json=chat_body(), headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_right_api_key_is_accepted(emu, client):
    emu.config = fast_config(api_key="secret")
    response = client.post(
        f"{emu.base_url}/chat/completions",
        json=chat_body(),
        headers={"authorization": "Bearer secret"},
    )
    assert response.status_code == 200
