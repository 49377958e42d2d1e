"""The parameter rules of ``_params``: every range at both ends and one past.

Each rule is declared once (``RULES``) and applied to constructor fields,
assignments, ``model_kwargs`` and per-call values; the last three are proven
here through the real client, the rule itself directly.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import httpx
import pytest

from langchain_provider import ChatSambaNova
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
from unit_tests.conftest import API_KEY, make_model

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
