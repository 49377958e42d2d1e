"""Configuring a model: where settings come from, and that each one is honoured.

Each test here names a way a setting used to be lost or misread: an empty
environment variable, ``None`` meaning "unset", a LangChain field, a
documented value that could not round-trip through ``dumpd``/``load``.
"""

from __future__ import annotations

import inspect
import warnings

import httpx
import pytest
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_provider import ChatSambaNova
from unit_tests.conftest import API_KEY, completion, json_reply, make_model

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
