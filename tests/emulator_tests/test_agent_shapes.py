"""Shapes agents meet on the live service: text with calls, id-less calls,
images outside user turns, and the error bodies clients have quoted."""

from __future__ import annotations

import json

import pytest

from .helpers import chat_body, complete, post, stream_chunks, streamed_content

DATA_IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
CALL = {"name": "get_weather", "arguments": {"city": "Paris"}}


def _streamed_calls(chunks: list[dict]) -> list[dict]:
    return [
        call
        for chunk in chunks
        if chunk["choices"]
        for call in chunk["choices"][0]["delta"].get("tool_calls") or []
    ]


def test_a_reply_can_hold_text_and_tool_calls(emu, client):
    emu.script.reply_tool_calls([CALL], text="Let me check.")
    choice = complete(client, emu)["choices"][0]
    assert choice["message"]["content"] == "Let me check."
    assert choice["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert choice["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("style", ["fragments", "whole", "whole_no_index"])
def test_a_stream_sends_the_text_before_the_calls(emu, client, style):
    emu.config.tool_call_style = style
    emu.script.reply_tool_calls([CALL], text="Let me check.")
    chunks = stream_chunks(client, emu)
    assert streamed_content(chunks) == "Let me check."
    first_call = next(
        i
        for i, chunk in enumerate(chunks)
        if chunk["choices"] and chunk["choices"][0]["delta"].get("tool_calls")
    )
    last_text = max(
        i
        for i, chunk in enumerate(chunks)
        if chunk["choices"] and chunk["choices"][0]["delta"].get("content")
    )
    assert last_text < first_call
    reasons = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert reasons[-1] == "tool_calls"


def test_a_scripted_call_with_id_none_is_sent_without_an_id(emu, client):
    emu.script.reply_tool_calls([{**CALL, "id": None}, {**CALL, "id": "call_7"}])
    calls = complete(client, emu)["choices"][0]["message"]["tool_calls"]
    assert "id" not in calls[0]
    assert calls[1]["id"] == "call_7"


@pytest.mark.parametrize(
    "style", ["fragments", "whole", "whole_no_index", "whole_object_args"]
)
def test_an_id_less_call_streams_without_an_id(emu, client, style):
    emu.config.tool_call_style = style
    emu.script.reply_tool_calls([{**CALL, "id": None}])
    calls = _streamed_calls(stream_chunks(client, emu))
    assert calls
    assert all("id" not in call for call in calls)
    assert calls[0]["function"]["name"] == "get_weather"


def test_a_scripted_call_without_an_id_key_gets_a_fresh_one(emu, client):
    emu.script.reply_tool_calls([CALL])
    call = complete(client, emu)["choices"][0]["message"]["tool_calls"][0]
    assert call["id"].startswith("call_")


def _conversation_with(message: dict) -> dict:
    return chat_body(
        "Weather?",
        messages=[
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "screenshot", "arguments": "{}"},
                    }
                ],
            },
            message,
        ],
    )


def test_an_image_in_a_tool_message_is_a_400(emu, client):
    tool = {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": [{"type": "text", "text": "Here it is"}, DATA_IMAGE],
    }
    response = post(client, emu, _conversation_with(tool))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "messages[2].content[1]"
    assert "only supported in user messages" in error["message"]


def test_an_image_in_a_user_turn_after_the_tool_result_is_fine(emu, client):
    body = _conversation_with(
        {"role": "tool", "tool_call_id": "call_1", "content": "See the next message."}
    )
    body["messages"].append({"role": "user", "content": [DATA_IMAGE]})
    assert post(client, emu, body).status_code == 200


def test_the_quoted_context_overflow_has_a_null_code(emu, client):
    emu.script.context_overflow()
    response = post(client, emu, chat_body())
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] is None
    assert error["message"] == (
        "The maximum context length of DeepSeek-V3-0324 is 32768. However, "
        "answering your request will take 39732 tokens. Please reduce the length "
        "of the messages or the specified max_completion_tokens value."
    )


def test_payment_required_is_a_402(emu, client):
    emu.script.payment_required()
    response = post(client, emu, chat_body())
    assert response.status_code == 402
    assert response.json()["error"]["message"].startswith(
        "A payment method is required."
    )


def test_a_retired_model_is_a_404_naming_it(emu, client):
    emu.script.model_unavailable("DeepSeek-R1-Distill-Llama-70B")
    response = post(client, emu, chat_body())
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        "The requested model (DeepSeek-R1-Distill-Llama-70B) is not available on "
        "SambaNova Cloud."
    )


def test_a_plain_text_422_says_its_charset(emu, client):
    emu.script.fault(422, "Unprocessable: bad field", plain_text=True)
    response = post(client, emu, chat_body())
    assert response.status_code == 422
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Unprocessable: bad field"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
