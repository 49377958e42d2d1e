"""What the agent-stack tests need of the emulator, checked on the wire.

gpt-oss reasoning together with tool calls (``message.reasoning`` beside
``tool_calls``; streamed ``delta.reasoning`` before the tool-call deltas),
scripted reasoning, reasoning sent back counted in the prompt, and the
service-shaped 400 for a prompt longer than a (small, configured) context.
"""

from __future__ import annotations

import json

from .helpers import chat_body, complete, post, stream_chunks

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
ASK = "Use get_weather for Paris."


def test_gpt_oss_reasons_beside_its_tool_calls(emu, client):
    body = complete(
        client, emu, model="gpt-oss-120b", content=ASK, tools=[WEATHER_TOOL]
    )
    choice = body["choices"][0]
    message = choice["message"]
    assert choice["finish_reason"] == "tool_calls"
    assert message["tool_calls"][0]["function"]["name"] == "get_weather"
    assert message["reasoning"].endswith("I will call get_weather.")
    assert message["content"] is None
    assert body["usage"]["completion_tokens"] > len(message["reasoning"].split())


def test_gpt_oss_streams_reasoning_then_tool_calls(emu, client):
    chunks = stream_chunks(
        client, emu, model="gpt-oss-120b", content=ASK, tools=[WEATHER_TOOL]
    )
    deltas = [c["choices"][0]["delta"] for c in chunks if c.get("choices")]
    kinds = [
        "reasoning" if "reasoning" in d else "tool_calls"
        for d in deltas
        if "reasoning" in d or "tool_calls" in d
    ]
    assert kinds[0] == "reasoning" and kinds[-1] == "tool_calls"
    assert kinds == sorted(kinds)  # all reasoning first
    reasoning = "".join(d.get("reasoning", "") for d in deltas)
    assert reasoning.endswith("I will call get_weather.")
    finish = [c["choices"][0]["finish_reason"] for c in chunks if c.get("choices")]
    assert finish[-1] == "tool_calls"


def test_scripted_tool_calls_carry_scripted_reasoning(emu, client):
    emu.script.reply_tool_calls(
        [{"name": "get_weather", "arguments": {"city": "Oslo"}}],
        reasoning="Oslo first.",
        times=2,
    )
    message = complete(client, emu, model="gpt-oss-120b")["choices"][0]["message"]
    assert message["reasoning"] == "Oslo first."
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {
        "city": "Oslo"
    }
    chunks = stream_chunks(client, emu, model="gpt-oss-120b")
    deltas = [c["choices"][0]["delta"] for c in chunks if c.get("choices")]
    assert "".join(d.get("reasoning", "") for d in deltas) == "Oslo first."


def test_reasoning_sent_back_counts_toward_the_prompt(emu, client):
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    history = [
        {"role": "user", "content": ASK},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]
    plain = post(client, emu, {**chat_body(), "messages": history}).json()
    history[1]["reasoning"] = "I will call get_weather for Paris."
    reasoned = post(client, emu, {**chat_body(), "messages": history}).json()
    extra = reasoned["usage"]["prompt_tokens"] - plain["usage"]["prompt_tokens"]
    assert extra == 7  # I/will/call/get_weather/for/Paris/. in emulator tokens


def test_prompt_over_a_small_context_is_a_service_shaped_400(emu, client):
    emu.config.models = {"gpt-oss-120b": 50}
    response = post(client, emu, chat_body("word " * 60, model="gpt-oss-120b"))
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "request_id"}
    error = body["error"]
    assert error["code"] == "context_length_exceeded"
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "messages"
    assert "maximum context length is 50 tokens" in error["message"]
