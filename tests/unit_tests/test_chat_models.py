"""ChatSambaNova: request bodies, parameter checks, metadata, secrets, batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import warnings
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.outputs import LLMResult

from langchain_provider import AuthenticationError, ChatSambaNova
from unit_tests.conftest import (
    API_KEY,
    MODEL,
    URL,
    completion,
    error_reply,
    json_reply,
    make_model,
    sse_reply,
    text_chunks,
)

HI = [HumanMessage("hi")]

# ---------------------------------------------------------------------------
# Request bodies
# ---------------------------------------------------------------------------


def test_only_user_set_params_are_sent() -> None:
    # The vendor integration always sent temperature and max_tokens defaults,
    # overriding the server's own.
    model, server = make_model()
    assert model._build_request_body(HI) == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hi"}],
    }
    model.invoke("hi")
    assert server.body == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_set_params_are_sent() -> None:
    model, server = make_model(
        temperature=0.2,
        top_p=0.9,
        top_k=40,
        max_tokens=256,
        stop=["END"],
        reasoning_effort="high",
        model_kwargs={"logit_bias": {"1": 2}},
    )
    model.invoke("hi")
    body = server.body
    assert {k: body[k] for k in body if k != "messages"} == {
        "model": MODEL,
        "temperature": 0.2,
        "top_p": 0.9,
        "top_k": 40,
        "max_tokens": 256,
        "stop": ["END"],
        "reasoning_effort": "high",
        "logit_bias": {"1": 2},
    }


def test_zero_temperature_is_sent() -> None:
    # 0 is a setting, not "unset".
    model, server = make_model(temperature=0)
    model.invoke("hi")
    assert server.body["temperature"] == 0


def test_stop_list_and_per_call_stop() -> None:
    model, server = make_model(stop=["a", "b"])
    assert model._build_request_body(HI)["stop"] == ["a", "b"]
    assert model._build_request_body(HI, ["x"])["stop"] == ["x"]
    model.invoke("hi", stop=["\n\n", "Observation:"])
    assert server.body["stop"] == ["\n\n", "Observation:"]


def test_per_call_overrides() -> None:
    model, server = make_model(temperature=0.7)
    model.invoke("hi", model="DeepSeek-V3.1", temperature=0.1, max_tokens=5)
    body = server.body
    assert body["model"] == "DeepSeek-V3.1"
    assert body["temperature"] == 0.1
    assert body["max_tokens"] == 5
    # The instance is unchanged for the next call.
    assert model._build_request_body(HI)["temperature"] == 0.7
    assert model._build_request_body(HI)["model"] == MODEL


def test_bind_overrides_reach_the_body() -> None:
    model, server = make_model()
    model.bind(temperature=0.3, model="gpt-oss-120b").invoke("hi")
    assert server.body["model"] == "gpt-oss-120b"
    assert server.body["temperature"] == 0.3


def test_stream_options_only_on_streams() -> None:
    model, server = make_model(sse_reply(text_chunks("Hi")))
    assert "stream" not in model._build_request_body(HI)
    assert "stream_options" not in model._build_request_body(HI)
    streamed = model._build_request_body(HI, stream=True)
    assert streamed["stream"] is True
    assert streamed["stream_options"] == {"include_usage": True}
    list(model.stream("hi"))
    assert server.body["stream"] is True
    assert server.body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("key", ["messages", "stream", "stream_options"])
def test_reserved_body_keys_in_model_kwargs_are_refused(key: str) -> None:
    # They used to be silently replaced (and the vendor integration sent
    # stream_options without stream: a 400).
    with pytest.raises(ValueError, match=f"model_kwargs may not set \\['{key}'\\]"):
        ChatSambaNova(api_key=API_KEY, model_kwargs={key: True})
    model, server = make_model()
    with pytest.raises(ValueError, match="model_kwargs may not set"):
        model.model_kwargs = {key: True}
    model.invoke("hi")
    assert key not in server.body or key == "messages"


def test_stream_options_per_call_are_refused() -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match="cannot be passed per call"):
        model.invoke("hi", stream_options={"include_usage": True})
    assert server.calls == 0


def test_stream_usage_false_omits_stream_options() -> None:
    model, server = make_model(sse_reply(text_chunks("Hi")), stream_usage=False)
    list(model.stream("hi"))
    assert server.body["stream"] is True
    assert "stream_options" not in server.body


def test_model_kwargs_may_not_shadow_fields() -> None:
    with pytest.raises(ValueError, match="temperature"):
        ChatSambaNova(api_key=API_KEY, model_kwargs={"temperature": 0.5})


def test_headers_url_and_user_agent() -> None:
    model, server = make_model(default_headers={"X-Team": "search"})
    model.invoke("hi")
    [request] = server.requests
    assert str(request.url) == URL
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["user-agent"].startswith("langchain-sambanova-cloud/")
    assert request.headers["x-team"] == "search"
    assert request.headers["content-type"] == "application/json"


def test_stream_request_accepts_event_stream() -> None:
    model, server = make_model(sse_reply(text_chunks("Hi")))
    list(model.stream("hi"))
    assert server.requests[0].headers["accept"] == "text/event-stream"


def test_base_url_without_key_sends_no_authorization() -> None:
    model, server = make_model(api_key=None, base_url="http://localhost:8000/v1/")
    model.invoke("hi")
    [request] = server.requests
    assert str(request.url) == "http://localhost:8000/v1/chat/completions"
    assert "authorization" not in request.headers


def test_fields_changed_after_construction_apply() -> None:
    model, server = make_model()
    model.temperature = 0.4
    model.invoke("hi")
    assert server.body["temperature"] == 0.4


def test_text_only_list_content_is_a_string_on_the_wire() -> None:
    model, server = make_model()
    model.invoke([HumanMessage(content=[{"type": "text", "text": "hi"}])])
    assert server.body["messages"] == [{"role": "user", "content": "hi"}]


# ---------------------------------------------------------------------------
# Bad parameters send nothing
# ---------------------------------------------------------------------------

BAD_PARAMS = [
    pytest.param({"temperature": 2.01}, "temperature.*0 to 2", id="temperature>2"),
    pytest.param({"temperature": -0.1}, "temperature.*0 to 2", id="temperature<0"),
    pytest.param({"temperature": math.nan}, "temperature", id="temperature nan"),
    pytest.param({"top_p": 1.01}, "top_p.*0 to 1", id="top_p>1"),
    pytest.param({"top_p": -1}, "top_p.*0 to 1", id="top_p<0"),
    pytest.param({"top_k": 0}, "top_k.*1 to 100", id="top_k<1"),
    pytest.param({"top_k": 101}, "top_k.*1 to 100", id="top_k>100"),
    pytest.param({"max_tokens": 0}, "max_tokens.*>= 1", id="max_tokens<1"),
    pytest.param({"stop": ["a", "b", "c", "d", "e"]}, "stop.*at most 4", id="5 stops"),
    pytest.param({"n": 0}, "n must be a whole number >= 1", id="n<1"),
    pytest.param(
        {"top_logprobs": 21, "logprobs": True},
        "top_logprobs.*0 to 20",
        id="top_logprobs>20",
    ),
    pytest.param({"top_logprobs": 2}, "top_logprobs needs logprobs", id="no logprobs"),
    pytest.param({"logprobs": 1}, "logprobs must be true or false", id="logprobs=1"),
    pytest.param({"seed": 1.5}, "seed must be a whole number", id="seed=1.5"),
    pytest.param(
        {"repetition_penalty": 0}, "repetition_penalty.*> 0", id="repetition_penalty=0"
    ),
    pytest.param(
        {"max_completion_tokens": 0},
        "max_completion_tokens.*>= 1",
        id="max_completion_tokens<1",
    ),
    pytest.param(
        {"do_sample": "yes"}, "do_sample must be true or false", id="do_sample str"
    ),
    pytest.param(
        {"chat_template_kwargs": {1: True}},
        "chat_template_kwargs",
        id="chat_template_kwargs key",
    ),
]


@pytest.mark.parametrize(("params", "message"), BAD_PARAMS)
def test_bad_constructor_params(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChatSambaNova(api_key=API_KEY, **params)


@pytest.mark.parametrize(("params", "message"), BAD_PARAMS)
def test_bad_per_call_params_send_nothing(params: dict[str, Any], message: str) -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match=message):
        model.invoke("hi", **params)
    with pytest.raises(ValueError, match=message):
        list(model.stream("hi", **params))
    with pytest.raises(ValueError, match=message):
        model.bind(**params).invoke("hi")
    assert server.calls == 0


@pytest.mark.parametrize(("params", "message"), BAD_PARAMS)
async def test_bad_per_call_params_send_nothing_async(
    params: dict[str, Any], message: str
) -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match=message):
        await model.ainvoke("hi", **params)
    with pytest.raises(ValueError, match=message):
        [c async for c in model.astream("hi", **params)]
    assert server.calls == 0


@pytest.mark.parametrize("timeout", [0, -1, math.inf, math.nan, "5"])
def test_bad_timeout(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout must be a finite number.*> 0"):
        ChatSambaNova(api_key=API_KEY, timeout=timeout)


def test_default_timeout_is_finite() -> None:
    # The vendor integration waited forever by default. Unset now means 5 s
    # to connect, 600 s for a whole answer, 60 s between stream reads.
    model, server = make_model(json_reply(completion()), sse_reply(text_chunks("a")))
    assert model.timeout is None
    model.invoke("hi")
    list(model.stream("hi"))
    plain, streamed = (r.extensions["timeout"] for r in server.requests)
    assert plain == {"connect": 5.0, "read": 600.0, "write": 600.0, "pool": 600.0}
    assert streamed == {"connect": 5.0, "read": 60.0, "write": 60.0, "pool": 60.0}


def test_timeout_reaches_the_request() -> None:
    model, server = make_model(timeout=7.5)
    model.invoke("hi")
    timeouts = server.requests[0].extensions["timeout"]
    assert timeouts == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


@pytest.mark.parametrize("key", [None, ""])
def test_missing_api_key_for_the_live_service(key: str | None) -> None:
    with pytest.raises(ValueError, match="SAMBANOVA_API_KEY"):
        ChatSambaNova(api_key=key)


def test_api_key_and_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMBANOVA_API_KEY", "env-key")
    monkeypatch.setenv("SAMBANOVA_BASE_URL", "http://example.test/v1")
    model = ChatSambaNova()
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == "env-key"
    assert model.base_url == "http://example.test/v1"


def test_no_key_needed_off_the_live_host() -> None:
    model = ChatSambaNova(base_url="http://localhost:8000/v1")
    assert model.api_key is None


def test_bad_reasoning_effort() -> None:
    with pytest.raises(ValueError, match="reasoning_effort"):
        ChatSambaNova(api_key=API_KEY, reasoning_effort="extreme")
    model, server = make_model()
    with pytest.raises(ValueError, match="reasoning_effort must be one of"):
        model.invoke("hi", reasoning_effort="extreme")
    assert server.calls == 0


# ---------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------

SECRET = "sk-very-secret-123456"


def test_api_key_absent_from_every_rendering() -> None:
    model = ChatSambaNova(api_key=SECRET)
    renderings = [
        repr(model),
        str(model),
        str(model.model_dump()),
        model.model_dump_json(),
        dumps(model),
        str(dumpd(model)),
        repr(model.client),
        str(model._identifying_params),
    ]
    for text in renderings:
        assert SECRET not in text
    # ... yet the key is there to be used.
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == SECRET
    assert dumpd(model)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["SAMBANOVA_API_KEY"],
    }


def test_api_key_absent_from_errors_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model, server = make_model(
        json_reply(completion()),
        error_reply(503, "busy", headers={"retry-after-ms": "1"}),
        json_reply(completion()),
        error_reply(401, "Invalid API key", code="invalid_api_key"),
        api_key=SECRET,
    )
    with contextlib.ExitStack() as stack:
        for name in ("", "httpx", "httpcore", "langchain_provider"):
            stack.enter_context(caplog.at_level(logging.DEBUG, logger=name))
        model.invoke("hi")  # plain success
        model.invoke("hi")  # a retry, then success
        with pytest.raises(AuthenticationError) as excinfo:
            model.invoke("hi")  # an error
    assert server.calls == 4
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert caplog.records, "expected debug logs (httpx, retries)"
    assert any("retry" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in str(record.args)
    assert SECRET not in str(excinfo.value)
    assert SECRET not in repr(excinfo.value)
    assert excinfo.value.status_code == 401


# ---------------------------------------------------------------------------
# generate, tracing params, profile
# ---------------------------------------------------------------------------


def test_generate_sums_integer_counts_and_ignores_the_rest() -> None:
    # The vendor integration crashed adding null or string usage fields.
    usages = [
        {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "time_to_first_token": 0.1,
            "stop_reason": "stop",
            "is_last_response": True,
        },
        {
            "prompt_tokens": 7,
            "completion_tokens": None,
            "total_tokens": "7",
            "time_to_first_token": None,
            "stop_reason": None,
        },
        {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    ]
    model, _ = make_model(*(json_reply(completion(usage=u)) for u in usages))
    result = model.generate([HI, HI, HI])
    assert isinstance(result, LLMResult)
    assert len(result.generations) == 3
    assert result.llm_output is not None
    assert result.llm_output["token_usage"] == {
        "prompt_tokens": 20,
        "completion_tokens": 7,
        "total_tokens": 20,
    }
    assert result.llm_output["model_name"] == MODEL


def test_generate_with_missing_usage() -> None:
    body = completion()
    del body["usage"]
    model, _ = make_model(json_reply(body), json_reply(completion()))
    result = model.generate([HI, HI])
    assert result.llm_output is not None
    assert result.llm_output["token_usage"] == {
        "prompt_tokens": 10,
        "completion_tokens": 51,
        "total_tokens": 61,
    }


def test_identifying_params_show_settings() -> None:
    model = ChatSambaNova(
        api_key=SECRET,
        temperature=0.3,
        max_tokens=100,
        top_k=5,
        base_url="http://example.test/v1",
    )
    params = model._identifying_params
    assert params["model"] == MODEL
    assert params["temperature"] == 0.3
    assert params["max_tokens"] == 100
    assert params["top_k"] == 5
    assert params["base_url"] == "http://example.test/v1"
    assert model._llm_type == "sambanova-chat"


def test_ls_params() -> None:
    model = ChatSambaNova(
        api_key=API_KEY, temperature=0.3, max_tokens=100, stop=["END"]
    )
    assert model._get_ls_params() == {
        "ls_provider": "sambanova",
        "ls_model_name": MODEL,
        "ls_model_type": "chat",
        "ls_temperature": 0.3,
        "ls_max_tokens": 100,
        "ls_stop": ["END"],
    }
    overridden = model._get_ls_params(stop=["x"], model="gpt-oss-120b", temperature=0.9)
    assert overridden["ls_model_name"] == "gpt-oss-120b"
    assert overridden["ls_temperature"] == 0.9
    assert overridden["ls_stop"] == ["x"]


def test_ls_params_take_per_call_max_tokens_and_stop() -> None:
    """Tracing shows what this call used: per-call values, a string stop as one."""
    model = ChatSambaNova(api_key=API_KEY, max_tokens=100, stop="END")
    assert model._get_ls_params()["ls_stop"] == ["END"]
    per_call = model._get_ls_params(max_tokens=7, stop=["HALT"])
    assert (per_call["ls_max_tokens"], per_call["ls_stop"]) == (7, ["HALT"])


def test_ls_params_omit_unset() -> None:
    params = ChatSambaNova(api_key=API_KEY)._get_ls_params()
    assert "ls_temperature" not in params
    assert "ls_max_tokens" not in params
    assert "ls_stop" not in params


def test_profile_for_known_and_unknown_models() -> None:
    known = ChatSambaNova(api_key=API_KEY, model="Meta-Llama-3.3-70B-Instruct")
    assert known.profile is not None
    assert known.profile["max_input_tokens"] == 131072
    assert known.profile["tool_calling"] is True
    # False on purpose: create_agent then uses its tool strategy (see _profiles).
    assert known.profile["structured_output"] is False
    vision = ChatSambaNova(api_key=API_KEY, model="gemma-4-31B-it")
    assert vision.profile is not None
    assert vision.profile["image_inputs"] is True
    unknown = ChatSambaNova(api_key=API_KEY, model="Some-Future-Model")
    assert unknown.profile is None


def test_profile_is_a_copy() -> None:
    first = ChatSambaNova(api_key=API_KEY)
    assert first.profile is not None
    first.profile["max_input_tokens"] = 1
    second = ChatSambaNova(api_key=API_KEY)
    assert second.profile is not None
    assert second.profile["max_input_tokens"] == 131072


# ---------------------------------------------------------------------------
# streaming=True, callbacks
# ---------------------------------------------------------------------------


class TokenRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_streaming_true_makes_invoke_stream() -> None:
    model, server = make_model(sse_reply(text_chunks("Hel", "lo")), streaming=True)
    recorder = TokenRecorder()
    message = model.invoke("hi", config={"callbacks": [recorder]})
    assert server.body["stream"] is True
    assert message.content == "Hello"
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 61
    assert "Hel" in recorder.tokens and "lo" in recorder.tokens


async def test_streaming_true_makes_ainvoke_stream() -> None:
    model, server = make_model(sse_reply(text_chunks("Hel", "lo")), streaming=True)
    message = await model.ainvoke("hi")
    assert server.body["stream"] is True
    assert message.content == "Hello"


def test_callbacks_get_each_token_when_streaming() -> None:
    model, _ = make_model(sse_reply(text_chunks("Hel", "lo", "!")))
    recorder = TokenRecorder()
    chunks = list(model.stream("hi", config={"callbacks": [recorder]}))
    assert "".join(c.text for c in chunks) == "Hello!"
    assert [t for t in recorder.tokens if t] == ["Hel", "lo", "!"]


# ---------------------------------------------------------------------------
# Batches and concurrency
# ---------------------------------------------------------------------------


def _echo(request: httpx.Request) -> httpx.Response:
    import json

    body = json.loads(request.content)
    text = body["messages"][-1]["content"]
    return httpx.Response(200, json=completion(f"echo: {text}", id=f"id-{text}"))


def test_batch() -> None:
    model, server = make_model(_echo)
    results = model.batch([f"q{i}" for i in range(5)])
    assert [r.content for r in results] == [f"echo: q{i}" for i in range(5)]
    assert [r.id for r in results] == [f"id-q{i}" for i in range(5)]
    assert server.calls == 5


async def test_abatch_of_twenty() -> None:
    model, server = make_model(_echo)
    results = await model.abatch([f"q{i}" for i in range(20)])
    assert [r.content for r in results] == [f"echo: q{i}" for i in range(20)]
    assert server.calls == 20


async def test_concurrent_ainvoke_and_astream() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        if body.get("stream"):
            return sse_reply(text_chunks("stream", "ed"))(request)
        return _echo(request)

    model, server = make_model(reply)

    async def collect() -> str:
        return "".join([c.text async for c in model.astream("s")])

    results = await asyncio.gather(
        *(model.ainvoke(f"q{i}") for i in range(10)), *(collect() for _ in range(10))
    )
    assert [r.content for r in results[:10]] == [f"echo: q{i}" for i in range(10)]
    assert results[10:] == ["streamed"] * 10
    assert server.calls == 20


def test_system_message_first() -> None:
    model, server = make_model()
    model.invoke([SystemMessage("sys"), HumanMessage("hi")])
    assert [m["role"] for m in server.body["messages"]] == ["system", "user"]


# ---------------------------------------------------------------------------
# Per-call options and LangChain's own switches (a ``stream=`` keyword,
# ``disable_streaming``, per-call ``stream_usage``/``timeout``/``max_retries``)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
def test_stream_keyword_routes_the_call_and_never_reaches_the_body(stream):
    reply = sse_reply(text_chunks("Hi")) if stream else json_reply(completion("Hi"))
    model, server = make_model(reply)
    assert model.invoke("hi", stream=stream).content == "Hi"
    assert server.body.get("stream", False) is stream


async def test_stream_keyword_async():
    model, server = make_model(sse_reply(text_chunks("Hi")))
    assert (await model.ainvoke("hi", stream=True)).content == "Hi"
    assert server.body["stream"] is True


def test_bound_stream_false_overrides_streaming_true():
    model, server = make_model(json_reply(completion("Hi")), streaming=True)
    assert model.bind(stream=False).invoke("hi").content == "Hi"
    assert "stream" not in server.body


@pytest.mark.parametrize("disable", [True, "tool_calling"])
def test_disable_streaming_is_honoured(disable):
    model, server = make_model(
        json_reply(completion("Hi")), streaming=True, disable_streaming=disable
    )
    runnable = model.bind_tools([_add]) if disable == "tool_calling" else model
    assert runnable.invoke("hi").content == "Hi"
    assert "stream" not in server.body


def _add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_streaming_true_still_streams_invoke():
    model, server = make_model(sse_reply(text_chunks("Hel", "lo")), streaming=True)
    assert model.invoke("hi").content == "Hello"
    assert server.body["stream"] is True


def test_per_call_stream_usage_false_omits_stream_options():
    model, server = make_model(sse_reply(text_chunks("Hi")))
    list(model.stream("hi", stream_usage=False))
    assert "stream_options" not in server.body
    assert "stream_usage" not in server.body


def test_per_call_timeout_and_max_retries_configure_the_client_not_the_body():
    model, server = make_model(error_reply(503), max_retries=2)
    with pytest.raises(Exception, match="503"):
        model.invoke("hi", max_retries=0, timeout=5)
    assert server.calls == 1  # the per-call max_retries=0 was honoured
    assert "timeout" not in server.bodies[0] and "max_retries" not in server.bodies[0]
    assert server.requests[0].extensions["timeout"]["read"] == 5


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("timeout", 0, "timeout must be a finite number"),
        ("max_retries", -1, "max_retries must be a whole number"),
    ],
)
def test_bad_per_call_options_send_nothing(option, value, message):
    model, server = make_model()
    with pytest.raises(ValueError, match=message):
        model.invoke("hi", **{option: value})
    assert server.calls == 0


def test_injected_client_timeout_is_replaced_by_the_models():
    # Documented behaviour: the model's timeout applies to every request.
    seen = []
    transport = httpx.MockTransport(
        lambda request: (
            seen.append(request.extensions["timeout"])
            or httpx.Response(200, json=completion("Hi"))
        )
    )
    model = ChatSambaNova(
        api_key="k",
        timeout=7,
        http_client=httpx.Client(transport=transport, timeout=httpx.Timeout(300)),
    )
    model.invoke("hi")
    assert seen[0]["read"] == 7


# ---------------------------------------------------------------------------
# The vendor package's names, and a constructor that never silently ignores
# ---------------------------------------------------------------------------


def test_vendor_aliases() -> None:
    model = ChatSambaNova(
        model_name="gpt-oss-120b",
        sambanova_api_key="vendor-key",
        sambanova_api_base="http://localhost:9/v1",
        request_timeout=12,
    )
    assert model.model == model.model_name == "gpt-oss-120b"
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == "vendor-key"
    assert model.base_url == "http://localhost:9/v1"
    assert model.timeout == 12
    assert model.model_kwargs == {}


def test_model_name_reads_the_model_after_assignment() -> None:
    model = ChatSambaNova(api_key=API_KEY)
    model.model = "DeepSeek-V3.1"
    assert model.model_name == "DeepSeek-V3.1"


def test_sambanova_api_base_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMBANOVA_API_BASE", "http://api-base.test/v1")
    assert ChatSambaNova().base_url == "http://api-base.test/v1"
    # The package's own variable wins when both are set.
    monkeypatch.setenv("SAMBANOVA_BASE_URL", "http://base-url.test/v1")
    assert ChatSambaNova().base_url == "http://base-url.test/v1"


def test_unknown_keywords_are_sent_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="temprature was transferred to model_kwargs"):
        model, server = make_model(temprature=0)
    model.invoke("hi")
    assert server.body["temprature"] == 0


def test_assignments_are_validated_like_constructor_arguments() -> None:
    model, server = make_model()
    with pytest.raises(ValueError, match="temperature must be a number from 0 to 2"):
        model.temperature = 7
    with pytest.raises(ValueError, match="Set \\['top_k'\\] as ChatSambaNova fields"):
        model.model_kwargs = {"top_k": 5}
    with pytest.raises(ValueError, match="top_logprobs needs logprobs=True"):
        model.top_logprobs = 3
    model.logprobs = True
    model.top_logprobs = 3
    model.invoke("hi")
    assert server.body["logprobs"] is True and server.body["top_logprobs"] == 3


def test_streaming_true_with_n_above_one_is_refused() -> None:
    with pytest.raises(ValueError, match="streaming=True cannot go with n=2"):
        ChatSambaNova(api_key=API_KEY, streaming=True, n=2)


def test_new_service_parameters_are_sent() -> None:
    model, server = make_model(
        seed=42,
        logprobs=True,
        top_logprobs=20,
        n=1,
        max_completion_tokens=99,
        repetition_penalty=1.1,
        do_sample=False,
        chat_template_kwargs={"enable_thinking": False},
    )
    model.invoke("hi")
    assert {k: v for k, v in server.body.items() if k not in ("messages", "model")} == {
        "seed": 42,
        "logprobs": True,
        "top_logprobs": 20,
        "n": 1,
        "max_completion_tokens": 99,
        "repetition_penalty": 1.1,
        "do_sample": False,
        "chat_template_kwargs": {"enable_thinking": False},
    }


def test_assignment_after_a_call_sends_no_cached_attribute() -> None:
    # Core caches `_serialized` in the instance's __dict__ on the first call;
    # re-validating an assignment must not mistake it for an unknown keyword.
    model, server = make_model()
    model.invoke("hi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.temperature = 0.5
    model.invoke("hi")
    assert model.model_kwargs == {}
    assert not [k for k in server.bodies[-1] if k.startswith("_")]


def test_per_call_none_client_options_mean_the_models_settings() -> None:
    # Issue 9.18: timeout=None / max_retries=None used to raise ValueError.
    model, server = make_model(error_reply(503), error_reply(503), timeout=7)
    model.max_retries = 1
    with pytest.raises(Exception, match="503"):
        model.invoke("hi", timeout=None, max_retries=None, stream_usage=None)
    assert server.calls == 2  # the model's max_retries=1
    assert server.requests[0].extensions["timeout"]["read"] == 7


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("http://[::1/v1", r"base_url 'http://\[::1/v1' is not a valid URL: "),
        ("http://host:port/v1", "is not a valid URL: Invalid port"),
        ("api.sambanova.ai/v1", "must be an http:// or https:// URL with a host"),
        ("ftp://files.example/v1", "must be an http:// or https:// URL"),
        ("http:///v1", "must be an http:// or https:// URL with a host"),
    ],
)
def test_a_malformed_base_url_is_refused_at_construction(
    base_url: str, problem: str
) -> None:
    """Issue 18, defect 4: it used to escape at call time as httpx.InvalidURL."""
    with pytest.raises(ValueError, match=problem):
        ChatSambaNova(base_url=base_url, api_key="k")
    model = ChatSambaNova(base_url="http://localhost:8000/v1", api_key="k")
    with pytest.raises(ValueError, match=problem):
        model.base_url = base_url
    assert model.base_url == "http://localhost:8000/v1"
