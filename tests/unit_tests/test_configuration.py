"""Configuring a model: settings and their checks, per-call values, profiles,
the model catalog, and offline token counting.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import json
import logging
import math
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.outputs import LLMResult
from langchain_core.tools import tool
from pydantic import ValidationError

from langchain_provider import (
    APIConnectionError,
    AuthenticationError,
    ChatSambaNova,
    ResponseDecodeError,
    ServerError,
)
from langchain_provider._params import (
    RULES,
    check_model_kwargs,
    check_parameter,
    check_parameters,
    check_request,
    normalize_stop,
    validate_max_retries,
    validate_timeout,
)
from langchain_provider._profiles import (
    MODEL_PROFILES,
    ModelInfo,
    models_from_response,
    models_url,
    profile_for,
)
from langchain_provider._retry import Pacer, pacer_for
from langchain_provider._token_count import (
    DEFAULT_COST,
    IMAGE_TOKENS,
    TemplateCost,
    estimate_prompt_tokens,
    estimate_text_tokens,
    template_cost,
)
from langchain_provider.emulator._config import KNOWN_MODELS
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

# ============================================================================
# Configuring a model: where settings come from, and that each one is honoured.
# Each test here names a way a setting used to be lost or misread: an empty
# environment variable, ``None`` meaning "unset", a LangChain field, a
# documented value that could not round-trip through ``dumpd``/``load``.
# ============================================================================

LOCAL = "http://127.0.0.1:9/v1"


def _load(data: dict) -> ChatSambaNova:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load() is marked beta
        return load(
            data,
            valid_namespaces=["langchain_provider"],
            secrets_map={"SAMBANOVA_API_KEY": API_KEY},
            allowed_objects=[ChatSambaNova],
        )


# -- where base_url comes from ---------------------------------------------------


def test_an_empty_base_url_variable_is_as_unset_as_a_missing_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``SAMBANOVA_BASE_URL=`` (as .env files write it) falls through to the next."""
    monkeypatch.setenv("SAMBANOVA_BASE_URL", "")
    monkeypatch.setenv("SAMBANOVA_API_BASE", LOCAL)
    assert ChatSambaNova().base_url == LOCAL


def test_an_empty_base_url_variable_still_needs_a_key_for_the_live_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAMBANOVA_BASE_URL", "  ")
    with pytest.raises(ValueError, match="No SambaNova API key"):
        ChatSambaNova()


def test_base_url_none_reads_the_environment_like_api_key_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAMBANOVA_BASE_URL", LOCAL)
    assert ChatSambaNova(base_url=None).base_url == LOCAL
    monkeypatch.delenv("SAMBANOVA_BASE_URL")
    llm = ChatSambaNova(base_url=None, api_key=API_KEY)
    assert llm.base_url == "https://api.sambanova.ai/v1"


def test_an_empty_base_url_argument_is_refused() -> None:
    with pytest.raises(ValueError, match="base_url"):
        ChatSambaNova(base_url="", api_key=API_KEY)


EXAMPLE_ROOT = "e.g. https://api.sambanova.ai/v1."


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        (8000, "base_url must be a string URL, got int."),
        ("", f"base_url is empty: give the API root, {EXAMPLE_ROOT}"),
        ("  ", f"base_url is empty: give the API root, {EXAMPLE_ROOT}"),
        (
            "ftp://files.example/v1",
            "base_url 'ftp://files.example/v1' must be an http:// or https:// "
            f"URL with a host, {EXAMPLE_ROOT}",
        ),
    ],
    ids=["not-a-string", "empty", "blank", "another-scheme"],
)
def test_a_refused_base_url_says_what_is_wrong_and_what_to_give(
    base_url: object, message: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        ChatSambaNova(base_url=base_url, api_key=API_KEY)
    (error,) = excinfo.value.errors()
    assert str(error["ctx"]["error"]) == message


# -- per-call None means "the model's setting" ----------------------------------


def test_per_call_reasoning_in_history_none_keeps_the_models_setting() -> None:
    """None per call means unset, as for every other per-call option."""
    llm, server = make_model(json_reply(completion()), reasoning_in_history="never")
    turn = AIMessage(
        "",
        additional_kwargs={"reasoning_content": "thinking"},
        tool_calls=[{"name": "f", "args": {}, "id": "c1", "type": "tool_call"}],
    )
    history = [HumanMessage("hi"), turn, ToolMessage("ok", tool_call_id="c1")]
    llm.invoke(history, reasoning_in_history=None)
    assert "reasoning" not in server.bodies[0]["messages"][1]


# -- LangChain's own fields ---------------------------------------------------------


def test_get_num_tokens_honours_custom_get_token_ids() -> None:
    """LangChain's ``custom_get_token_ids`` wins over the offline estimate."""
    llm = ChatSambaNova(
        base_url=LOCAL, custom_get_token_ids=lambda text: list(range(len(text)))
    )
    assert llm.get_num_tokens("abcdefg") == 7
    assert llm.get_token_ids("abc") == [0, 1, 2]


def test_without_custom_get_token_ids_the_offline_estimate_counts() -> None:
    assert ChatSambaNova(base_url=LOCAL).get_num_tokens("hello world") == 2


# -- serialization --------------------------------------------------------------------


def test_an_httpx_timeout_survives_dumpd_and_load() -> None:
    """The documented ``httpx.Timeout`` round-trips (it used to be not_implemented)."""
    timeout = httpx.Timeout(3.0, connect=1.0, pool=2.5)
    llm = ChatSambaNova(base_url=LOCAL, api_key=API_KEY, timeout=timeout)
    data = dumpd(llm)
    assert "not_implemented" not in dumps(llm)
    restored = _load(data)
    assert restored.timeout == timeout


def test_a_timeout_given_as_a_mapping_is_an_httpx_timeout() -> None:
    llm = ChatSambaNova(
        base_url=LOCAL, timeout={"connect": 1.0, "read": 9.0, "write": 2.0, "pool": 3.0}
    )
    assert llm.timeout == httpx.Timeout(connect=1.0, read=9.0, write=2.0, pool=3.0)


def test_a_number_timeout_survives_dumpd_and_load() -> None:
    llm = ChatSambaNova(base_url=LOCAL, api_key=API_KEY, timeout=7.5)
    assert _load(dumpd(llm)).timeout == 7.5


# -- help() ---------------------------------------------------------------------------


def test_every_field_of_chat_sambanova_has_a_description() -> None:
    """``help(ChatSambaNova)`` and ``model_fields[...].description`` explain each."""
    own = set(ChatSambaNova.model_fields) - {
        "name",
        "cache",
        "verbose",
        "callbacks",
        "tags",
        "metadata",
        "custom_get_token_ids",
        "callback_manager",
        "rate_limiter",
        "disable_streaming",
        "output_version",
        "profile",
    }
    missing = [n for n in own if not ChatSambaNova.model_fields[n].description]
    assert missing == []
    assert "Sampling temperature" in (
        ChatSambaNova.model_fields["temperature"].description or ""
    )


def test_the_signature_says_stop_and_stop_sequences_still_works() -> None:
    params = inspect.signature(ChatSambaNova).parameters
    assert "stop" in params
    assert "stop_sequences" not in params
    assert ChatSambaNova(base_url=LOCAL, stop_sequences=["x"]).stop == ["x"]
    assert ChatSambaNova(base_url=LOCAL, stop=["y"]).stop == ["y"]


def test_get_num_tokens_from_messages_counts_text_with_the_custom_tokenizer() -> None:
    """The template overhead stays; every text is counted by the user's tokenizer."""
    plain = ChatSambaNova(base_url=LOCAL)
    custom = ChatSambaNova(
        base_url=LOCAL, custom_get_token_ids=lambda text: [0] * (10 * len(text))
    )
    messages = [HumanMessage("hi there")]
    assert custom.get_num_tokens_from_messages(messages) - 80 == (
        plain.get_num_tokens_from_messages(messages) - plain.get_num_tokens("hi there")
    )


# ============================================================================
# The parameter rules of ``_params``: every range at both ends and one past.
# Each rule is declared once (``RULES``) and applied to constructor fields,
# assignments, ``model_kwargs`` and per-call values; the last three are proven
# here through the real client, the rule itself directly.
# ============================================================================

# name -> (lowest accepted, highest accepted or None, step "one past").
RANGES: dict[str, tuple[float, float | None, float]] = {
    "temperature": (0, 2, 0.01),
    "top_p": (0, 1, 0.01),
    "top_k": (1, 100, 1),
    "max_tokens": (1, None, 1),
    "max_completion_tokens": (1, None, 1),
    "n": (1, None, 1),
    "top_logprobs": (0, 20, 1),
    "frequency_penalty": (-2, 2, 0.01),
    "presence_penalty": (-2, 2, 0.01),
}
# Parameters the model declares as fields (the others go in model_kwargs).
FIELDS = set(ChatSambaNova.model_fields)


def _valid_together(name: str, value: Any) -> dict[str, Any]:
    # top_logprobs needs logprobs=True; every other range stands alone.
    return {name: value, "logprobs": True} if name == "top_logprobs" else {name: value}


def test_every_numeric_rule_has_its_range_listed_here() -> None:
    numeric = {n for n, r in RULES.items() if r.kind in ("number", "integer")}
    assert numeric - {"seed", "repetition_penalty"} == set(RANGES)
    for name, (low, high, _) in RANGES.items():
        assert (RULES[name].low, RULES[name].high) == (low, high), name


@pytest.mark.parametrize("name", sorted(RANGES))
def test_both_ends_are_accepted_and_one_past_is_refused(name: str) -> None:
    low, high, step = RANGES[name]
    check_parameter(name, low)
    with pytest.raises(ValueError, match=f"^{name} must be"):
        check_parameter(name, low - step)
    if high is None:
        check_parameter(name, 10**9)
        return
    check_parameter(name, high)
    with pytest.raises(ValueError, match=f"^{name} must be .*from {low:g} to {high:g}"):
        check_parameter(name, high + step)


@pytest.mark.parametrize("name", sorted(RANGES))
def test_ranges_hold_for_fields_assignments_model_kwargs_and_per_call(
    name: str,
) -> None:
    low, high, step = RANGES[name]
    top = high if high is not None else 10**6
    bad = low - step
    model, server = make_model()
    for good in (low, top):
        model.invoke("hi", **_valid_together(name, good))
        assert server.bodies[-1][name] == good
    with pytest.raises(ValueError, match=name):
        model.invoke("hi", **_valid_together(name, bad))
    if name in FIELDS:
        ChatSambaNova(api_key=API_KEY, **_valid_together(name, top))
        with pytest.raises(ValueError, match=name):
            ChatSambaNova(api_key=API_KEY, **_valid_together(name, bad))
        if name == "top_logprobs":
            model.logprobs = True
        setattr(model, name, top)
        with pytest.raises(ValueError, match=name):
            setattr(model, name, bad)
        assert getattr(model, name) == top  # a refused assignment changes nothing
    else:
        ChatSambaNova(api_key=API_KEY, model_kwargs={name: top})
        with pytest.raises(ValueError, match=name):
            ChatSambaNova(api_key=API_KEY, model_kwargs={name: bad})
    assert server.calls == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", True),
        ("temperature", "0.5"),
        ("temperature", math.nan),
        ("temperature", math.inf),
        ("max_tokens", math.inf),
        ("top_k", 2.5),
        ("seed", 1.5),
        ("seed", False),
        ("logprobs", 1),
        ("logprobs", "true"),
        ("do_sample", 0),
        ("reasoning_effort", "extreme"),
        ("chat_template_kwargs", ["enable_thinking"]),
        ("chat_template_kwargs", {1: True}),
        ("repetition_penalty", 0),
        ("repetition_penalty", -1),
        ("repetition_penalty", math.inf),
    ],
)
def test_wrong_kinds_are_refused_by_name(name: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be"):
        check_parameter(name, value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("temperature", 3, "temperature must be a number from 0 to 2, got 3."),
        ("logprobs", 1, "logprobs must be true or false, got 1."),
        (
            "reasoning_effort",
            "max",
            "reasoning_effort must be one of ['low', 'medium', 'high'], got 'max'.",
        ),
        (
            "chat_template_kwargs",
            ["enable_thinking"],
            "chat_template_kwargs must be a JSON object with string keys, "
            "got ['enable_thinking'].",
        ),
    ],
)
def test_refusal_says_what_is_accepted(name: str, value: Any, message: str) -> None:
    """The whole message: the parameter, what it accepts, and the bad value."""
    with pytest.raises(ValueError) as caught:
        check_parameter(name, value)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("seed", -(2**40)),
        ("seed", 0),
        ("seed", 2**40),
        ("top_k", 5.0),
        ("repetition_penalty", 1e-9),
        ("repetition_penalty", 1000),
        ("do_sample", False),
        ("logprobs", False),
        ("chat_template_kwargs", {"enable_thinking": False}),
        ("chat_template_kwargs", {}),
        ("reasoning_effort", "low"),
        ("stop", "END"),
        ("stop", ["a", "b", "c", "d"]),
        ("unknown_field", object()),
    ],
)
def test_allowed_values_pass(name: str, value: Any) -> None:
    check_parameter(name, value)


def test_none_means_unset_for_every_rule() -> None:
    check_parameters(dict.fromkeys(RULES))


def test_rule_descriptions() -> None:
    assert RULES["temperature"].describe() == "a number from 0 to 2"
    assert RULES["top_k"].describe() == "a whole number from 1 to 100"
    assert RULES["n"].describe() == "a whole number >= 1"
    assert RULES["repetition_penalty"].describe() == "a number > 0"
    assert RULES["seed"].describe() == "a whole number"
    assert RULES["logprobs"].describe() == "true or false"
    assert RULES["stop"].describe() == "a string or a list of up to 4 strings"


# -- stop --------------------------------------------------------------------


def test_stop_given_as_a_string_is_one_sequence() -> None:
    assert normalize_stop("END") == ["END"]
    model, server = make_model(stop="END")
    model.invoke("hi")
    assert server.body["stop"] == ["END"]
    model.invoke("hi", stop="Observation:")
    assert server.bodies[-1]["stop"] == ["Observation:"]


@pytest.mark.parametrize(
    ("stop", "message"),
    [
        (["a", "b", "c", "d", "e"], "stop accepts at most 4 sequences, got 5."),
        ([""], "stop sequences must be non-empty strings, got ''."),
        (["a", 3], "stop sequences must be non-empty strings, got 3."),
        ({"a"}, "stop must be a string or a list of strings, got set."),
        (7, "stop must be a string or a list of strings, got int."),
    ],
)
def test_bad_stop(stop: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_stop(stop)
    assert str(caught.value) == message


def test_bad_stop_fails_at_construction_and_assignment() -> None:
    """A bad ``stop`` field is refused before any request, like every rule."""
    five = ["a", "b", "c", "d", "e"]
    with pytest.raises(ValueError, match="stop accepts at most 4 sequences, got 5"):
        ChatSambaNova(api_key=API_KEY, stop=five)
    model = ChatSambaNova(api_key=API_KEY, stop="END")
    with pytest.raises(ValueError, match="stop accepts at most 4 sequences, got 5"):
        model.stop = five
    assert model.stop == "END"


def test_four_stops_are_the_most() -> None:
    assert normalize_stop(("a", "b", "c", "d")) == ["a", "b", "c", "d"]
    assert normalize_stop([]) is None


# -- rules that tie parameters together ----------------------------------------


def test_top_logprobs_needs_logprobs() -> None:
    with pytest.raises(ValueError, match=r"^top_logprobs needs logprobs=True\.$"):
        check_request({"top_logprobs": 0}, stream=False)
    with pytest.raises(ValueError, match=r"^top_logprobs needs logprobs=True\.$"):
        check_request({"top_logprobs": 3, "logprobs": False}, stream=False)
    check_request({"top_logprobs": 3, "logprobs": True}, stream=False)
    check_request({"logprobs": True}, stream=True)


def test_n_above_one_neither_streams_nor_goes_with_tools() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    check_request({"n": 2}, stream=False)
    check_request({"n": 1, "tools": tools}, stream=True)
    with pytest.raises(ValueError) as caught:
        check_request({"n": 2}, stream=True)
    assert str(caught.value) == (
        "n=2 cannot stream: a LangChain stream is one message. Use invoke or "
        "generate, which return one generation per choice."
    )
    with pytest.raises(ValueError) as caught:
        check_request({"n": 3, "tools": tools}, stream=False)
    assert str(caught.value) == (
        "n=3 cannot be combined with tools (the API refuses it)."
    )


# -- model_kwargs ----------------------------------------------------------------


def test_model_kwargs_refuse_declared_fields_and_reserved_keys() -> None:
    with pytest.raises(ValueError, match=r"Set \['seed'\] as ChatSambaNova fields"):
        check_model_kwargs({"seed": 1}, {"seed"})
    with pytest.raises(ValueError) as caught:
        check_model_kwargs({"stream_options": {}, "stream": True}, set())
    assert str(caught.value) == (
        "model_kwargs may not set ['stream', 'stream_options']: the request "
        "builder owns them (use stream()/streaming and stream_usage to control "
        "streaming)."
    )
    with pytest.raises(ValueError, match="frequency_penalty must be"):
        check_model_kwargs({"frequency_penalty": 3}, set())
    check_model_kwargs({"logit_bias": {"1": 5}, "frequency_penalty": 2}, set())


@pytest.mark.parametrize("alias", ["model_name", "request_timeout", "stop_sequences"])
def test_declared_aliases_in_model_kwargs_are_refused(alias: str) -> None:
    with pytest.raises(ValueError, match=alias):
        ChatSambaNova(api_key=API_KEY, model_kwargs={alias: 1})


def test_model_kwargs_none_is_not_sent() -> None:
    model, server = make_model(model_kwargs={"logit_bias": None, "foo": 1})
    model.invoke("hi")
    assert "logit_bias" not in server.body
    assert server.body["foo"] == 1


def test_unknown_keyword_goes_to_model_kwargs_with_a_warning() -> None:
    # One warning per unknown keyword, each naming it (pytest.warns with
    # match= would re-emit the other one).
    with pytest.warns(UserWarning) as caught:
        model = ChatSambaNova(api_key=API_KEY, temprature=0, max_token=5)
    assert any("temprature" in str(w.message) for w in caught)
    assert any("max_token" in str(w.message) for w in caught)
    assert model.model_kwargs == {"temprature": 0, "max_token": 5}


def test_the_callers_model_kwargs_dict_is_not_changed() -> None:
    given = {"foo": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ChatSambaNova(api_key=API_KEY, model_kwargs=given, bar=2)
    assert given == {"foo": 1}


# -- client options: timeout and max_retries -------------------------------------


@pytest.mark.parametrize(
    "timeout", [None, 0.001, 0.5, 600, httpx.Timeout(None), httpx.Timeout(5)]
)
def test_timeouts_that_pass(timeout: Any) -> None:
    validate_timeout(timeout)


@pytest.mark.parametrize("timeout", [0, -1, math.inf, -math.inf, math.nan, True, "5"])
def test_bad_timeout_message(timeout: Any) -> None:
    """The whole message: what a timeout may be, and the bad value."""
    with pytest.raises(ValueError) as caught:
        validate_timeout(timeout)
    assert str(caught.value) == (
        "timeout must be a finite number of seconds > 0, an httpx.Timeout or "
        f"None (the default), got {timeout!r}."
    )


@pytest.mark.parametrize(
    "phases",
    [
        {"connect": 1.0, "read": 9.0, "write": 2.0},
        {"connect": 1.0, "read": 9.0, "write": 2.0, "pool": 3.0, "retry": 1.0},
    ],
    ids=["a-phase-missing", "an-unknown-phase"],
)
def test_a_timeout_mapping_needs_exactly_the_four_phases(
    phases: dict[str, float],
) -> None:
    with pytest.raises(ValueError) as caught:
        validate_timeout(phases)
    assert str(caught.value) == (
        "A timeout mapping needs exactly the keys ['connect', 'read', 'write', "
        f"'pool'], got {sorted(phases)}."
    )


def test_each_phase_of_a_timeout_mapping_is_checked_and_none_means_no_limit() -> None:
    phases: dict[str, float | None] = {
        "connect": 1.0,
        "read": 9.0,
        "write": None,
        "pool": None,
    }
    assert validate_timeout(phases) == httpx.Timeout(
        connect=1.0, read=9.0, write=None, pool=None
    )
    with pytest.raises(ValueError) as caught:
        validate_timeout({**phases, "read": -1})
    assert str(caught.value) == (
        "timeout must be a finite number of seconds > 0, an httpx.Timeout or "
        "None (the default), got -1."
    )


@pytest.mark.parametrize("pacing", [True, False])
def test_rate_limit_pacing_decides_whether_answers_teach_the_shared_pacer(
    pacing: bool,
) -> None:
    limits = {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-reset-requests": "30",
    }
    llm, _ = make_model(
        json_reply(completion(), headers=limits), rate_limit_pacing=pacing
    )
    llm.invoke("hi")
    shared = pacer_for(llm.base_url, llm.api_key, llm.model)
    if pacing:
        assert shared.remaining == 59
    else:  # it never heard of this model's answers
        fresh = Pacer()
        assert (shared.remaining, shared.reset_at) == (fresh.remaining, fresh.reset_at)


@pytest.mark.parametrize("max_retries", [None, 0, 1, 10])
def test_retries_that_pass(max_retries: Any) -> None:
    validate_max_retries(max_retries)


@pytest.mark.parametrize("max_retries", [-1, True, 1.5, "2"])
def test_bad_max_retries_message(max_retries: Any) -> None:
    with pytest.raises(ValueError) as caught:
        validate_max_retries(max_retries)
    assert str(caught.value) == (
        f"max_retries must be a whole number >= 0, got {max_retries!r}."
    )


# ============================================================================
# ChatSambaNova: request bodies, parameter checks, metadata, secrets, batches.
# ============================================================================

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
    assert model._get_ls_params(stop="HALT")["ls_stop"] == ["HALT"]


def test_ls_max_tokens_reads_max_completion_tokens_too_per_call_first() -> None:
    """max_completion_tokens is the API's newer name for the same limit."""
    newer = ChatSambaNova(api_key=API_KEY, max_completion_tokens=50)
    both = ChatSambaNova(api_key=API_KEY, max_tokens=100, max_completion_tokens=50)
    assert newer._get_ls_params()["ls_max_tokens"] == 50
    assert both._get_ls_params()["ls_max_tokens"] == 100
    assert both._get_ls_params(max_completion_tokens=9)["ls_max_tokens"] == 9
    per_call = both._get_ls_params(max_tokens=7, max_completion_tokens=9)
    assert per_call["ls_max_tokens"] == 7


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


NO_KEY = (
    "No SambaNova API key: pass api_key=... or set SAMBANOVA_API_KEY (or point "
    "base_url / SAMBANOVA_BASE_URL at another server, such as the bundled "
    "emulator)."
)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"api_key": API_KEY, "streaming": True, "n": 3},
            "streaming=True cannot go with n=3: a LangChain stream is one message.",
        ),
        ({}, NO_KEY),
        ({"api_key": ""}, NO_KEY),  # as SAMBANOVA_API_KEY= in a .env file
    ],
    ids=["streaming-with-n", "no-key", "empty-key"],
)
def test_settings_that_cannot_work_together_are_refused_with_the_way_out(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        ChatSambaNova(**settings)
    (error,) = excinfo.value.errors()
    assert str(error["ctx"]["error"]) == message


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


# ============================================================================
# ``_profiles``: what LangChain knows about each model the service serves.
# ============================================================================

REASONING = {
    "gpt-oss-120b",
    "DeepSeek-R1-0528",
    "DeepSeek-R1-Distill-Llama-70B",
    "Qwen3-32B",
}


def test_every_emulated_model_has_a_profile() -> None:
    assert set(KNOWN_MODELS) <= set(MODEL_PROFILES)


@pytest.mark.parametrize("name", sorted(MODEL_PROFILES))
def test_each_profile_has_an_output_limit_within_its_context(name: str) -> None:
    profile = MODEL_PROFILES[name]
    assert profile["max_output_tokens"] >= 1024
    if "max_input_tokens" in profile:
        assert profile["max_output_tokens"] < profile["max_input_tokens"]


def test_reasoning_models_are_marked_and_no_others() -> None:
    marked = {n for n, p in MODEL_PROFILES.items() if p.get("reasoning_output")}
    assert marked == REASONING


def test_profile_is_a_copy_and_unknown_models_have_none() -> None:
    profile = profile_for("gpt-oss-120b")
    assert profile is not None
    profile["max_output_tokens"] = 1
    assert MODEL_PROFILES["gpt-oss-120b"]["max_output_tokens"] == 32768
    assert profile_for("no-such-model") is None


def test_the_model_exposes_its_profile() -> None:
    model = ChatSambaNova(api_key="k", model="DeepSeek-V3-0324")
    assert model.profile is not None
    assert model.profile["max_input_tokens"] == 131072
    assert model.profile["tool_calling"] is True


MEDIA_FLAGS = (
    "image_inputs",
    "image_url_inputs",
    "image_tool_message",
    "pdf_inputs",
    "pdf_tool_message",
    "audio_inputs",
    "video_inputs",
)


@pytest.mark.parametrize("name", sorted(KNOWN_MODELS))
def test_each_served_model_states_its_limits_and_every_media_flag(name: str) -> None:
    # Frameworks (deepagents) read a missing media flag as "supported".
    profile = MODEL_PROFILES[name]
    assert profile["max_input_tokens"] == KNOWN_MODELS[name]
    assert all(isinstance(profile[flag], bool) for flag in MEDIA_FLAGS)
    # The service has no file, audio or video parts and takes no image URLs.
    assert not any(
        profile[flag] for flag in ("image_url_inputs", "pdf_inputs", "pdf_tool_message")
    )
    assert not profile["audio_inputs"] and not profile["video_inputs"]
    # Images from tools reach the service only on models that take images.
    assert profile["image_tool_message"] == profile["image_inputs"]


def test_no_profile_makes_create_agent_send_tools_with_a_json_schema() -> None:
    # Unproven on the service: create_agent must use its tool strategy.
    assert not any(p.get("structured_output") for p in MODEL_PROFILES.values())


@pytest.mark.parametrize(
    ("media", "expected"), [("move", True), ("drop", False), ("refuse", False)]
)
def test_image_tool_message_says_what_tool_result_media_does(
    media: str, expected: bool
) -> None:
    model = ChatSambaNova(api_key="k", model="gemma-4-31B-it", tool_result_media=media)
    assert model.profile is not None
    assert model.profile["image_tool_message"] is expected
    assert MODEL_PROFILES["gemma-4-31B-it"]["image_tool_message"] is True


@pytest.mark.parametrize("media", ["move", "drop", "refuse"])
def test_a_model_without_profile_has_none_whatever_tool_result_media_says(
    media: str,
) -> None:
    model = ChatSambaNova(api_key="k", model="my-finetune", tool_result_media=media)
    assert model.profile is None


# ============================================================================
# The catalog (``list_models``): the model list as typed entries, failures typed.
# ============================================================================

ENTRY = {
    "id": "DeepSeek-V3.2",
    "object": "model",
    "owned_by": "sambanova",
    "context_length": 32768,
    "max_completion_tokens": 7168,
    "pricing": {"prompt": "0.0000045", "completion": "0.00001"},
}


def _model(handler: Any, **kwargs: Any) -> tuple[ChatSambaNova, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    transport = httpx.MockTransport(record)
    model = ChatSambaNova(
        api_key="test-key",
        base_url="http://catalog.test/v1/",
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **kwargs,
    )
    return model, seen


async def _fetch(model: ChatSambaNova, how: str) -> list[ModelInfo]:
    return model.list_models() if how == "sync" else await model.alist_models()


both = pytest.mark.parametrize("how", ["sync", "async"])


def _json(payload: Any, status: int = 200) -> Any:
    return lambda request: httpx.Response(status, json=payload)


def test_entries_are_typed_with_string_prices() -> None:
    model, seen = _model(_json({"object": "list", "data": [ENTRY, {"id": "bare"}]}))
    full, bare = model.list_models()
    assert full == ModelInfo(
        id="DeepSeek-V3.2",
        context_length=32768,
        max_completion_tokens=7168,
        price_per_input_token=4.5e-6,
        price_per_output_token=1e-5,
        owned_by="sambanova",
    )
    assert bare == ModelInfo(id="bare")
    [request] = seen
    assert request.method == "GET"
    assert str(request.url) == "http://catalog.test/v1/models"
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.headers["accept"] == "application/json"


async def test_async_and_numeric_prices() -> None:
    entry = {**ENTRY, "pricing": {"prompt": 4.5e-6, "completion": 1e-5}}
    model, _ = _model(_json({"data": [entry]}))
    [info] = await model.alist_models()
    assert info.price_per_input_token == 4.5e-6
    assert info.price_per_output_token == 1e-5


def test_models_url() -> None:
    assert models_url("http://x/v1/") == "http://x/v1/models"
    assert models_url("http://x/v1") == "http://x/v1/models"
    # Only slashes are trimmed.
    assert models_url("http://x/GATEWAYX") == "http://x/GATEWAYX/models"


@both
@pytest.mark.parametrize(
    ("timeout", "sent"),
    [
        (7.5, {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}),
        # No timeout: the non-streamed default (5 s to connect, 600 s in all).
        (None, {"connect": 5.0, "read": 600.0, "write": 600.0, "pool": 600.0}),
    ],
)
async def test_catalog_request_is_configured_like_a_chat_request(
    how: str, timeout: float | None, sent: dict[str, float]
) -> None:
    """The model's key, extra headers and timeout apply to the catalog request."""
    model, seen = _model(
        _json({"data": [ENTRY]}), timeout=timeout, default_headers={"X-Team": "a"}
    )
    [info] = await _fetch(model, how)
    assert info.id == "DeepSeek-V3.2"
    [request] = seen
    assert (request.method, str(request.url)) == (
        "GET",
        "http://catalog.test/v1/models",
    )
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-team"] == "a"
    assert request.extensions["timeout"] == sent


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationError), (503, ServerError)]
)
def test_error_statuses_raise_the_packages_errors(status: int, error: type) -> None:
    body = {"error": {"message": "nope here", "type": "x", "code": "y"}}
    model, _ = _model(_json(body, status))
    with pytest.raises(error, match="nope here"):
        model.list_models()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>", "not valid JSON"),
        (b'{"object": "list"}', "no 'data' array"),
        (b'{"data": [3]}', "not a JSON object"),
        (b'{"data": [{"context_length": 5}]}', "Unreadable model entry"),
        (b'{"data": [{"id": "m", "pricing": {"prompt": "free"}}]}', "price_per_input"),
        (b'{"data": [{"id": "m", "context_length": "big"}]}', "context_length"),
    ],
)
def test_unreadable_bodies_raise_response_decode_error(
    content: bytes, message: str
) -> None:
    model, _ = _model(lambda request: httpx.Response(200, content=content))
    with pytest.raises(ResponseDecodeError, match=message):
        model.list_models()


@pytest.mark.parametrize(
    ("content", "message", "status"),
    [
        (b'{"object": "list"}', "The model list has no 'data' array.", 200),
        (b'["m1", "m2"]', "The model list has no 'data' array.", 200),
        (
            b'{"data": [{"id": "m", "context_length": "big", "pricing": '
            b'{"completion": "free"}}]}',
            "Unreadable model entry 'm': context_length: Input should be a valid "
            "integer, unable to parse string as an integer; price_per_output_token: "
            "Input should be a valid number, unable to parse string as a number",
            None,
        ),
    ],
    ids=["no-data", "json-array", "bad-fields"],
)
def test_decode_error_messages(
    content: bytes, message: str, status: int | None
) -> None:
    """The whole message: what is wrong, with the body (cut) or the entry's id."""
    response = httpx.Response(200, content=content)
    with pytest.raises(ResponseDecodeError) as caught:
        models_from_response(response)
    assert caught.value.message == message
    assert caught.value.status_code == status


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body read over the wire, not at construction (as ``content=`` is)."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def __iter__(self) -> Iterator[bytes]:
        yield self.content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content


@both
@pytest.mark.parametrize(
    ("content", "headers", "message", "cause"),
    [
        (
            b"<" + b"a" * 300,
            {},
            "The model list is not valid JSON (Expecting value: line 1 column 1 "
            "(char 0)): '<" + "a" * 199 + "'",
            json.JSONDecodeError,
        ),
        (
            b"[" * 100_000 + b"]" * 100_000,
            {},
            "The model list is not valid JSON (nested too deeply).",
            None,
        ),
        (
            b"\x1f\x8bnot gzip",
            {"content-encoding": "gzip"},
            "The response body could not be decoded (DecodingError: ",
            httpx.DecodingError,
        ),
    ],
    ids=["not-json", "nested", "corrupt-gzip"],
)
async def test_an_undecodable_list_is_a_decode_error(
    how: str, content: bytes, headers: dict[str, str], message: str, cause: Any
) -> None:
    """Bad JSON, absurd nesting and corrupt gzip: all typed, none escapes raw."""
    model, _ = _model(
        lambda request: httpx.Response(200, stream=_Body(content), headers=headers)
    )
    with pytest.raises(ResponseDecodeError) as caught:
        await _fetch(model, how)
    assert caught.value.message.startswith(message)
    assert caught.value.status_code == 200
    if cause is None:
        assert caught.value.__cause__ is None
    else:
        assert isinstance(caught.value.__cause__, cause)


@both
@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("refused"), "ConnectError: refused"),
        # No stream to break: a read failure is a connection error too.
        (httpx.ReadError("reset"), "ReadError: reset"),
    ],
)
async def test_transport_failure_is_a_connection_error(
    how: str, error: httpx.TransportError, reason: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    model, _ = _model(fail)
    with pytest.raises(APIConnectionError) as caught:
        await _fetch(model, how)
    assert type(caught.value) is APIConnectionError
    assert caught.value.message == f"Could not reach the SambaNova API ({reason})."


def test_models_from_response_directly() -> None:
    request = httpx.Request("GET", "http://x/v1/models")
    response = httpx.Response(200, json={"data": [ENTRY]}, request=request)
    assert models_from_response(response)[0].id == "DeepSeek-V3.2"


# ============================================================================
# Offline token counting (``_token_count`` and ``ChatSambaNova.get_num_tokens*``).
# The network is blocked in unit tests (pytest-socket), so each of these also
# proves the count needs none. Calibration against server counts: the three
# real ``usage.prompt_tokens`` below come from recorded live responses; the
# emulator comparison runs in tests/integration_tests/test_agent_stack.py.
# ============================================================================

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG" + b"0" * 60).decode()


def _llm(model: str = "Meta-Llama-3.3-70B-Instruct", **kwargs: object) -> ChatSambaNova:
    return ChatSambaNova(model=model, base_url="http://127.0.0.1:9/v1", **kwargs)


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return "sunny"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("hello world", 2),
        ("What is the capital of France?", 7),
        ("construction", 1),  # twelve letters: still one token
        ("international", 2),  # thirteen: a long word splits
        ("productionizationalism", 2),
        ("1234567", 3),  # digits in groups of three
        ("東京", 2),  # about a token per CJK character
        ('{"a": 1}', 7),
    ],
)
def test_text_estimate(text: str, tokens: int) -> None:
    assert estimate_text_tokens(text) == tokens
    assert _llm().get_num_tokens(text) == tokens


def test_needs_no_tokenizer_package() -> None:
    _llm().get_num_tokens_from_messages([HumanMessage("hello")])
    assert "transformers" not in sys.modules


# Real prompts with the service's own usage.prompt_tokens (recorded live
# responses; the first is the capture quoted in wire-format.md).
REAL_COUNTS = [
    ("DeepSeek-V3-0324", "What is the capital of France?", 10),
    ("Llama-4-Maverick-17B-128E-Instruct", "Write a short summary about AI", 18),
    ("gpt-oss-120b", "Write a short summary about AI", 73),
]


@pytest.mark.parametrize(("model", "prompt", "server_count"), REAL_COUNTS)
def test_close_to_the_services_counts(
    model: str, prompt: str, server_count: int
) -> None:
    estimate = _llm(model).get_num_tokens_from_messages([HumanMessage(prompt)])
    assert abs(estimate - server_count) <= 0.1 * server_count


def test_template_cost_by_family() -> None:
    assert template_cost("gpt-oss-120b").per_prompt > 50
    assert template_cost("DeepSeek-R1-0528") == template_cost("deepseek-v3.1")
    assert template_cost("Some-New-Model") == DEFAULT_COST


def test_every_part_of_a_request_counts() -> None:
    llm = _llm()
    question = [HumanMessage("What's the weather in Paris?")]
    base = llm.get_num_tokens_from_messages(question)
    cost = template_cost(llm.model)
    assert base == cost.per_prompt + cost.per_message + 8  # What ' s ...

    with_image = [
        HumanMessage(
            [
                {"type": "text", "text": "What's the weather in Paris?"},
                {"type": "image_url", "image_url": {"url": PNG}},
            ]
        )
    ]
    assert llm.get_num_tokens_from_messages(with_image) == base + IMAGE_TOKENS

    with_tools = llm.get_num_tokens_from_messages(question, tools=[get_weather])
    assert with_tools > base + 20  # the schema: name, description, parameters

    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}
    turn = AIMessage("", tool_calls=[call])
    thinking = AIMessage(
        "", tool_calls=[call], additional_kwargs={"reasoning_content": "Call it."}
    )
    result = ToolMessage("sunny", tool_call_id="call_1")
    plain = llm.get_num_tokens_from_messages([*question, turn, result])
    assert plain > base + 2 * cost.per_message + 10  # the echoed call's JSON
    reasoned = llm.get_num_tokens_from_messages([*question, thinking, result])
    assert reasoned == plain + estimate_text_tokens("Call it.")
    never = _llm(reasoning_in_history="never")
    assert never.get_num_tokens_from_messages([*question, thinking, result]) == plain


def _chart_conversation() -> list[BaseMessage]:
    """A tool that returned text and an image."""
    call = {"name": "chart", "args": {}, "id": "call_1"}
    result = [
        {"type": "text", "text": "Here it is."},
        {"type": "image_url", "image_url": {"url": PNG}},
    ]
    return [
        HumanMessage("Plot the sales."),
        AIMessage("", tool_calls=[call]),
        ToolMessage(result, tool_call_id="call_1"),
    ]


def _images_sent(body: dict[str, Any]) -> int:
    return sum(
        part["type"] == "image_url"
        for message in body["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
    )


@pytest.mark.parametrize(
    ("model", "media", "images_sent"),
    [
        ("Meta-Llama-3.3-70B-Instruct", "move", 0),  # text-only: a note instead
        ("Llama-4-Maverick-17B-128E-Instruct", "move", 1),  # to a user turn
        ("Llama-4-Maverick-17B-128E-Instruct", "drop", 0),
        ("my-finetune", "move", 1),  # no profile: moved, the service decides
    ],
    ids=["text-only", "vision-move", "vision-drop", "unknown-model"],
)
def test_a_tools_image_counts_only_if_the_request_sends_it(
    model: str, media: str, images_sent: int
) -> None:
    llm, server = make_model(
        json_reply(completion()), model=model, tool_result_media=media
    )
    conversation = _chart_conversation()
    llm.invoke(conversation)
    (body,) = server.bodies
    assert _images_sent(body) == images_sent
    sent = estimate_prompt_tokens(body["messages"], None, template_cost(model))
    assert llm.get_num_tokens_from_messages(conversation) == sent


def test_the_per_call_models_profile_decides_where_a_tools_image_goes() -> None:
    llm, server = make_model(
        json_reply(completion()), json_reply(completion()), model=MODEL
    )
    llm.invoke(_chart_conversation(), model="Llama-4-Maverick-17B-128E-Instruct")
    llm.invoke(_chart_conversation())
    assert [_images_sent(body) for body in server.bodies] == [1, 0]


def test_what_a_tool_result_left_out_is_logged_once_per_model_naming_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm, _ = make_model(
        json_reply(completion()),
        json_reply(completion()),
        model="Meta-Llama-3.3-70B-Instruct",
    )
    with caplog.at_level(logging.WARNING, logger="langchain_provider"):
        llm.invoke(_chart_conversation())
        llm.invoke(_chart_conversation())
    assert [record.getMessage() for record in caplog.records] == [
        "Meta-Llama-3.3-70B-Instruct: left out of the tool results sent (the "
        "service takes images only in user messages, and no files): An image "
        "(the model takes no images). Set tool_result_media='refuse' to raise "
        "instead."
    ]


COST = TemplateCost(per_prompt=3, per_message=4)
QUESTION = {"role": "user", "content": "hello world"}  # 2 tokens
CALLS = [
    {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {}}},
        },
    }
]


@pytest.mark.parametrize(
    ("messages", "tools", "content_tokens"),
    [
        ([QUESTION], None, 2),
        (
            [{"role": "user", "content": [{"type": "text", "text": "hello"}] * 2}],
            None,
            2,
        ),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": PNG}},
                        {"type": "text", "text": "hello"},
                    ],
                }
            ],
            None,
            IMAGE_TOKENS + 1,
        ),
        ([{"role": "user", "content": [{"type": "text", "text": ""}]}], None, 0),
        (
            [QUESTION, {"role": "assistant", "content": None, "tool_calls": CALLS}],
            None,
            2 + COST.per_message + estimate_text_tokens(json.dumps(CALLS)),
        ),
        ([QUESTION], TOOLS, 2 + estimate_text_tokens(json.dumps(TOOLS))),
    ],
    ids=[
        "text",
        "two-text-parts",
        "image-then-text",
        "empty-text",
        "tool-calls",
        "tools",
    ],
)
def test_prompt_estimate_adds_every_part(
    messages: list[dict[str, object]], tools: list[object] | None, content_tokens: int
) -> None:
    """Each text part, image, echoed tool call and bound tool adds to the rest."""
    expected = COST.per_prompt + COST.per_message + content_tokens
    assert estimate_prompt_tokens(messages, tools, COST) == expected


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="base64"):
        _llm().get_num_tokens_from_messages(
            [
                HumanMessage(
                    [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]
                )
            ]
        )


def test_trim_messages_with_the_model_as_counter() -> None:
    llm = _llm()
    history: list[BaseMessage] = [SystemMessage("You are terse.")]
    for turn in range(20):
        history.append(HumanMessage(f"Question {turn}: what is {turn} squared?"))
        history.append(AIMessage(f"{turn} squared is {turn * turn}."))
    history.append(HumanMessage("And 21 squared?"))
    full = llm.get_num_tokens_from_messages(history)
    trimmed = trim_messages(
        history,
        max_tokens=full // 3,
        token_counter=llm,
        strategy="last",
        start_on="human",
        include_system=True,
    )
    assert 3 <= len(trimmed) < len(history) // 2
    assert trimmed[0] == history[0] and trimmed[-1] == history[-1]
    assert llm.get_num_tokens_from_messages(trimmed) <= full // 3


def test_repr_masks_credential_headers_and_keeps_the_others() -> None:
    llm = ChatSambaNova(
        base_url=LOCAL,
        default_headers={"X-Api-Key": "sk-hidden", "X-Trace": "t-1"},
    )
    shown = repr(llm)
    assert "sk-hidden" not in shown
    assert "'X-Api-Key': '**********'" in shown
    assert "'X-Trace': 't-1'" in shown


# Credential headers by name (a fixed list) and by a word in the name.
CREDENTIAL_HEADERS = {
    "Cookie": "session=c-1",
    "X-Auth-Token": "tok-1",
    "X-API-Key": "sk-1",
}


def test_repr_masks_a_header_named_or_worded_as_a_credential() -> None:
    llm = ChatSambaNova(
        base_url=LOCAL, default_headers={**CREDENTIAL_HEADERS, "X-Trace": "t-1"}
    )
    shown = repr(llm)
    for name, value in CREDENTIAL_HEADERS.items():
        assert value not in shown
        assert f"'{name}': '**********'" in shown
    assert "'X-Trace': 't-1'" in shown


def test_each_credential_header_is_serialized_as_a_secret_of_its_own() -> None:
    headers = {**CREDENTIAL_HEADERS, "X-Trace": "t-1"}
    serialized = dumpd(ChatSambaNova(base_url=LOCAL, default_headers=headers))
    assert serialized["kwargs"]["default_headers"] == {
        "Cookie": {"lc": 1, "type": "secret", "id": ["SAMBANOVA_HEADER_COOKIE"]},
        "X-Auth-Token": {
            "lc": 1,
            "type": "secret",
            "id": ["SAMBANOVA_HEADER_X_AUTH_TOKEN"],
        },
        "X-API-Key": {"lc": 1, "type": "secret", "id": ["SAMBANOVA_HEADER_X_API_KEY"]},
        "X-Trace": "t-1",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load() is marked beta
        loaded = load(
            serialized,
            valid_namespaces=["langchain_provider"],
            secrets_map={
                "SAMBANOVA_HEADER_COOKIE": "session=c-1",
                "SAMBANOVA_HEADER_X_AUTH_TOKEN": "tok-1",
                "SAMBANOVA_HEADER_X_API_KEY": "sk-1",
            },
            allowed_objects=[ChatSambaNova],
        )
    assert loaded.default_headers == headers
