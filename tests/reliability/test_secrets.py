"""The API key goes into the Authorization header and nowhere else.

Not into ``repr``/``str``, pydantic dumps, LangChain serialization, what
callbacks (and so tracers) receive, exception messages and their causes, log
records at DEBUG from every logger (httpx and httpcore included), nor any
part of what the server received except that one header.
"""

from __future__ import annotations

import json
import logging
import pickle
import traceback
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps

from langchain_provider import ChatSambaNova
from langchain_provider.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ServerError,
    StreamInterruptedError,
)

from .conftest import CALL_STYLES, call, closed_port

SECRET = "sk-SECRET-d3adb33f-c0ffee-4242"
FRAGMENT = SECRET[3:]  # catches the key even with its prefix cut off


def assert_clean(text: str, where: str) -> None:
    assert FRAGMENT not in text, f"the API key leaked into {where}: {text[:500]}"


@pytest.fixture
def secret_emu(emu):
    emu.config.api_key = SECRET  # the emulator checks it: the key really is sent
    return emu


@pytest.fixture(params=["argument", "environment"])
def model(request, secret_emu, monkeypatch) -> ChatSambaNova:
    if request.param == "environment":
        monkeypatch.setenv("SAMBANOVA_API_KEY", SECRET)
        return ChatSambaNova(base_url=secret_emu.base_url, max_retries=2)
    return ChatSambaNova(base_url=secret_emu.base_url, api_key=SECRET, max_retries=2)


def test_key_absent_from_every_representation_of_the_model(model):
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == SECRET  # it is there, hidden
    views = {
        "repr": repr(model),
        "str": str(model),
        "model_dump": repr(model.model_dump()),
        "model_dump_json": model.model_dump_json(),
        "dumps": dumps(model),
        "dumps pretty": dumps(model, pretty=True),
        "dumpd": json.dumps(dumpd(model)),
        "to_json": repr(model.to_json()),
        "identifying params": repr(model._identifying_params),
        "langsmith params": repr(model._get_ls_params()),
        "client": repr(model.client),
    }
    for where, text in views.items():
        assert_clean(text, where)
    # The serialized form names the secret by its environment variable.
    assert dumpd(model)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["SAMBANOVA_API_KEY"],
    }


class Recorder(BaseCallbackHandler):
    """Keeps everything LangChain hands to callbacks (what tracers send away)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
        self.seen.append(repr((serialized, messages, kw)))

    def on_llm_new_token(self, token: str, **kw: Any) -> None:
        self.seen.append(repr((token, kw)))

    def on_llm_end(self, response: Any, **kw: Any) -> None:
        self.seen.append(repr((response, kw)))

    def on_llm_error(self, error: BaseException, **kw: Any) -> None:
        self.seen.append(repr((error, kw)))


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_key_absent_from_callbacks_and_sent_only_as_the_header(
    secret_emu, model, style
):
    recorder = Recorder()
    outcome = await call(model, style, "Hello", config={"callbacks": [recorder]})
    assert outcome.error is None, outcome.error
    assert recorder.seen
    for text in recorder.seen:
        assert_clean(text, "a callback")
    assert_clean(repr(outcome.result or outcome.chunks), "the response")
    (request,) = secret_emu.requests
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    others = {k: v for k, v in request.headers.items() if k != "authorization"}
    assert_clean(repr(others), "another request header")
    assert_clean(request.raw.decode(), "the request body")
    assert_clean(request.path, "the request path")


def full_text(error: BaseException) -> str:
    """The message, repr, pickled form and whole traceback, causes included."""
    parts = [str(error), repr(error), repr(pickle.dumps(error))]
    parts += traceback.format_exception(type(error), error, error.__traceback__)
    return "\n".join(parts)


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_key_absent_from_a_401_for_a_wrong_key(secret_emu, style):
    model = ChatSambaNova(base_url=secret_emu.base_url, api_key=SECRET)
    secret_emu.config.api_key = "the-key-the-server-expects"
    outcome = await call(model, style)
    assert isinstance(outcome.error, AuthenticationError)
    assert "Invalid API key" in str(outcome.error)
    assert_clean(full_text(outcome.error), "a 401 error")


def fault_cases(emu: Any) -> dict[str, Any]:
    return {
        "503 after retries": lambda: emu.script.fault(
            status=503, headers={"retry-after-ms": "5"}, times=None
        ),
        "timeout": lambda: emu.script.slow(1),
        "stream cut": lambda: emu.script.cut_stream(after_chunks=2),
        "error event": lambda: emu.script.error_event(after_chunks=2),
    }


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize(
    "fault", ["503 after retries", "timeout", "stream cut", "error event"]
)
async def test_key_absent_from_other_faults(secret_emu, style, fault):
    fault_cases(secret_emu)[fault]()
    retries = 2 if fault == "503 after retries" else 0
    model = ChatSambaNova(
        base_url=secret_emu.base_url, api_key=SECRET, timeout=0.3, max_retries=retries
    )
    outcome = await call(model, style, "one two three four")
    assert outcome.error is not None
    assert isinstance(
        outcome.error,
        (ServerError, APITimeoutError, StreamInterruptedError, APIConnectionError),
    )
    assert_clean(full_text(outcome.error), f"the {fault} error")


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_key_absent_from_a_connection_error(style):
    model = ChatSambaNova(
        base_url=f"http://127.0.0.1:{closed_port()}/v1", api_key=SECRET, max_retries=0
    )
    outcome = await call(model, style)
    assert isinstance(outcome.error, APIConnectionError)
    assert_clean(full_text(outcome.error), "a connection error")


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_key_absent_from_debug_logs(secret_emu, style, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records
    for name in ("httpx", "httpcore", "langchain_provider", "langchain_core"):
        caplog.set_level(logging.DEBUG, logger=name)
    model = ChatSambaNova(base_url=secret_emu.base_url, api_key=SECRET, max_retries=2)

    assert (await call(model, style)).error is None  # a plain call
    secret_emu.script.fault(status=503, headers={"retry-after-ms": "5"})
    assert (await call(model, style)).error is None  # a retried 503
    secret_emu.config.api_key = "the-key-the-server-expects"
    assert isinstance((await call(model, style)).error, AuthenticationError)

    loggers = {record.name.split(".")[0] for record in caplog.records}
    assert {"httpcore", "langchain_provider"} <= loggers  # the capture is real
    assert any("retry 1 of 2" in r.getMessage() for r in caplog.records)
    if style.endswith("invoke"):  # httpx logs each completed request it sends
        assert "httpx" in loggers
    for record in caplog.records:
        assert_clean(record.getMessage(), f"a {record.name} log record")
        assert_clean(repr(record.args), f"a {record.name} log record's args")
        assert_clean(repr(record.__dict__), f"a {record.name} log record")
    assert_clean(caplog.text, "the formatted log")
