"""Per-call options and LangChain's own switches, through the real client.

Regression tests for what an independent review found: a ``stream=`` keyword,
``disable_streaming``, per-call ``stream_usage``/``timeout``/``max_retries``
and per-call ``None`` values.
"""

from __future__ import annotations

import httpx
import pytest

from unit_tests.conftest import (
    completion,
    error_reply,
    json_reply,
    make_model,
    sse_reply,
    text_chunks,
)


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


def test_per_call_none_is_not_sent_as_null():
    model, server = make_model(temperature=0.3, max_tokens=50)
    model.invoke("hi", temperature=None, max_tokens=None, top_p=None)
    assert server.body["temperature"] == 0.3
    assert server.body["max_tokens"] == 50
    assert "top_p" not in server.body


def test_injected_client_timeout_is_replaced_by_the_models():
    # Documented behaviour: the model's timeout applies to every request.
    seen = []
    transport = httpx.MockTransport(
        lambda request: (
            seen.append(request.extensions["timeout"])
            or httpx.Response(200, json=completion("Hi"))
        )
    )
    from langchain_provider import ChatSambaNova

    model = ChatSambaNova(
        api_key="k",
        timeout=7,
        http_client=httpx.Client(transport=transport, timeout=httpx.Timeout(300)),
    )
    model.invoke("hi")
    assert seen[0]["read"] == 7
