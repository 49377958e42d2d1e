"""``_request.build_request_body``: the merged body, checked once, before sending."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_provider._request import build_request_body
from unit_tests.conftest import make_model

HI = [HumanMessage(content="hi")]
DEFAULTS = {"model": "m", "temperature": 0.3}
TOOL = {"type": "function", "function": {"name": "f", "parameters": {}}}


def _build(overrides: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    options = {"stop": None, "stream": False, "stream_usage": True, **kwargs}
    stop = options.pop("stop")
    defaults = options.pop("defaults", DEFAULTS)
    return build_request_body(defaults, HI, stop, overrides or {}, **options)


def test_defaults_then_per_call_values() -> None:
    body = _build({"temperature": 1.5, "seed": 3})
    assert body == {
        "model": "m",
        "temperature": 1.5,
        "seed": 3,
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_per_call_none_means_the_models_setting() -> None:
    assert _build({"temperature": None, "top_p": None})["temperature"] == 0.3
    assert "top_p" not in _build({"top_p": None})


def test_per_call_none_is_not_sent_as_null_through_the_client() -> None:
    model, server = make_model(temperature=0.3, max_tokens=50)
    model.invoke("hi", temperature=None, max_tokens=None, top_p=None)
    assert server.body["temperature"] == 0.3
    assert server.body["max_tokens"] == 50
    assert "top_p" not in server.body


def test_the_merged_body_is_checked_whatever_gave_the_value() -> None:
    # A value from the defaults (model_kwargs) is checked like a per-call one.
    with pytest.raises(ValueError, match="frequency_penalty must be"):
        _build(defaults={"model": "m", "frequency_penalty": 9})
    with pytest.raises(ValueError, match="temperature must be"):
        _build({"temperature": 2.5})


def test_stop_string_and_list() -> None:
    assert _build(stop="END")["stop"] == ["END"]
    assert _build({"stop": "END"})["stop"] == ["END"]
    assert _build(stop=["a", "b"])["stop"] == ["a", "b"]
    assert "stop" not in _build(stop=[])


def test_stream_and_stream_options() -> None:
    assert _build(stream=True)["stream_options"] == {"include_usage": True}
    assert "stream_options" not in _build(stream=True, stream_usage=False)
    plain = _build()
    assert "stream" not in plain and "stream_options" not in plain


def test_stream_options_per_call_are_refused() -> None:
    with pytest.raises(ValueError) as refused:
        _build({"stream_options": {"include_usage": False}}, stream=True)
    assert str(refused.value) == (
        "['stream_options'] cannot be passed per call: the request builder sets "
        "them (use stream_usage= for stream options)."
    )


def test_n_above_one_refused_in_streams_and_with_tools_before_sending() -> None:
    assert _build({"n": 2})["n"] == 2
    with pytest.raises(ValueError, match="n=2 cannot stream"):
        _build({"n": 2}, stream=True)
    with pytest.raises(ValueError, match="n=2 cannot be combined with tools"):
        _build({"n": 2, "tools": [TOOL]})
    model, server = make_model(n=2)
    with pytest.raises(ValueError, match="cannot stream"):
        list(model.stream("hi"))
    with pytest.raises(ValueError, match="tools"):
        model.bind_tools([TOOL]).invoke("hi")
    assert server.calls == 0


def test_top_logprobs_without_logprobs_is_refused() -> None:
    with pytest.raises(ValueError, match="top_logprobs needs logprobs=True"):
        _build({"top_logprobs": 2})
    assert _build({"top_logprobs": 2, "logprobs": True})["top_logprobs"] == 2


def test_empty_messages_are_refused() -> None:
    with pytest.raises(ValueError) as refused:
        build_request_body(DEFAULTS, [], None, {}, stream=False, stream_usage=True)
    assert str(refused.value) == "messages must not be empty."


def test_structured_output_marker_is_never_sent() -> None:
    body = _build({"ls_structured_output_format": {"schema": {}}})
    assert "ls_structured_output_format" not in body
