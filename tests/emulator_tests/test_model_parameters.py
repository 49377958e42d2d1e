"""ChatSambaNova's configuration against the emulator over loopback HTTP.

Vendor aliases, unknown keywords, the service's newer parameters, the rules
that refuse a request before it is sent, tool schemas, and the model catalog.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_provider import APIConnectionError, AuthenticationError, ChatSambaNova
from langchain_provider._profiles import MODEL_PROFILES, ModelInfo
from langchain_provider.emulator._config import KNOWN_MODELS

TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look something up.",
        "parameters": {
            "type": "object",
            "properties": {"payload": True, "pair": {"type": "array", "items": [{}]}},
            "additionalProperties": {"type": "string"},
            "required": ["key"],
        },
    },
}


@pytest.fixture
def model(emu):
    def make(**kwargs: Any) -> ChatSambaNova:
        return ChatSambaNova(**{"base_url": emu.base_url, **kwargs})

    return make


def _sent(emu) -> dict[str, Any]:
    posts = [r for r in emu.requests if r.method == "POST"]
    return posts[-1].body


def test_vendor_aliases_reach_the_server(emu):
    emu.config.api_key = "vendor-key"
    llm = ChatSambaNova(
        model_name="gpt-oss-120b",
        sambanova_api_key="vendor-key",
        sambanova_api_base=emu.base_url,
        request_timeout=30,
    )
    assert llm.invoke("hi").response_metadata["model_name"] == "gpt-oss-120b"
    assert llm.model_name == "gpt-oss-120b"
    assert emu.requests[-1].headers["authorization"] == "Bearer vendor-key"


def test_sambanova_api_base_env_reaches_the_server(emu, monkeypatch):
    monkeypatch.delenv("SAMBANOVA_BASE_URL", raising=False)
    monkeypatch.setenv("SAMBANOVA_API_BASE", emu.base_url)
    assert ChatSambaNova().invoke("hi").content == "Emulated reply to: hi"


def test_unknown_keyword_is_sent_with_a_warning(emu, model):
    with pytest.warns(UserWarning, match="temprature"):
        llm = model(temprature=0)
    llm.invoke("hi")  # the service accepts unknown fields; so does the emulator
    assert _sent(emu)["temprature"] == 0


def test_new_parameters_are_accepted_and_logprobs_come_back(emu, model):
    llm = model(
        temperature=2,
        seed=5,
        logprobs=True,
        top_logprobs=20,
        max_completion_tokens=64,
        repetition_penalty=1.1,
        do_sample=True,
        chat_template_kwargs={"enable_thinking": False},
    )
    message = llm.invoke("hi")
    content = message.response_metadata["logprobs"]["content"]
    assert "".join(entry["token"] for entry in content) == message.content
    assert all(len(entry["top_logprobs"]) == 20 for entry in content)
    again = llm.invoke("hi").response_metadata["logprobs"]
    assert again["content"] == content  # the same seed, the same numbers


def test_assignment_then_call(emu, model):
    llm = model()
    llm.temperature = 0
    llm.stop = "reply"  # a string is one stop sequence
    assert llm.invoke("hi").content == "Emulated "
    assert _sent(emu)["stop"] == ["reply"]
    with pytest.raises(ValueError, match="temperature"):
        llm.temperature = 2.5


def test_n_choices_are_requested(emu, model):
    result = model(n=2).generate([[HumanMessage("hi")]])
    assert _sent(emu)["n"] == 2
    assert result.generations[0][0].text == "Emulated reply to: hi"


@pytest.mark.parametrize("style", ["stream", "astream"])
async def test_streaming_n_above_one_sends_nothing(emu, model, style):
    llm = model(n=2)
    with pytest.raises(ValueError, match="n=2 cannot stream"):
        if style == "stream":
            list(llm.stream("hi"))
        else:
            [c async for c in llm.astream("hi")]
    assert emu.requests == []


def test_n_with_tools_sends_nothing(emu, model):
    with pytest.raises(ValueError, match="cannot be combined with tools"):
        model(n=3).bind_tools([TOOL]).invoke("hi")
    assert emu.requests == []


def test_valid_schemas_reach_the_server(emu, model):
    model().bind_tools([TOOL]).invoke("hi")
    sent = _sent(emu)["tools"][0]["function"]["parameters"]
    assert sent == TOOL["function"]["parameters"]


def test_a_thousand_level_schema_sends_nothing(emu, model):
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(1000):
        schema = {"type": "object", "properties": {"a": schema}}
    tool = {"type": "function", "function": {"name": "deep", "parameters": schema}}
    with pytest.raises(ValueError, match="nested more than 100 levels deep"):
        model().invoke("hi", tools=[tool])
    assert emu.requests == []


@pytest.mark.parametrize("bad", [{"temperature": 2.01}, {"top_logprobs": 21}])
def test_out_of_range_sends_nothing(emu, model, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        model(logprobs=True).invoke("hi", **bad)
    assert emu.requests == []


# -- the catalog ----------------------------------------------------------------


def test_list_models_reads_the_catalog(emu, model):
    models = model().list_models()
    assert all(isinstance(m, ModelInfo) for m in models)
    by_id = {m.id: m for m in models}
    assert set(by_id) == set(KNOWN_MODELS)
    v32 = by_id["DeepSeek-V3.2"]
    assert (v32.context_length, v32.max_completion_tokens) == (32768, 7168)
    assert v32.price_per_input_token == pytest.approx(4.5e-6)
    assert v32.price_per_output_token == pytest.approx(1e-5)
    assert emu.requests[-1].method == "GET"
    assert emu.requests[-1].path == "/v1/models"


async def test_alist_models_reads_the_catalog(model):
    models = await model().alist_models()
    assert {m.id for m in models} == set(KNOWN_MODELS)


def test_profiles_cover_every_served_model_and_agree_with_the_catalog(model):
    for info in model().list_models():
        profile = model(model=info.id).profile
        assert profile is not None, info.id
        assert profile == MODEL_PROFILES[info.id]
        assert profile["max_output_tokens"] == info.max_completion_tokens
        if "max_input_tokens" in profile:
            assert profile["max_input_tokens"] == info.context_length


def test_reasoning_models_are_marked(model):
    for name in ("gpt-oss-120b", "DeepSeek-R1-0528", "DeepSeek-R1-Distill-Llama-70B"):
        assert model(model=name).profile["reasoning_output"] is True
    assert "reasoning_output" not in model().profile


async def test_catalog_errors_are_the_packages(emu, model):
    emu.config.api_key = "right"
    llm = model(api_key="wrong")
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        llm.list_models()
    with pytest.raises(AuthenticationError):
        await llm.alist_models()


def test_catalog_unreachable_is_a_connection_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    llm = ChatSambaNova(base_url=f"http://127.0.0.1:{port}/v1", timeout=5)
    with pytest.raises(APIConnectionError):
        llm.list_models()
