"""Agents in the wild (issue 19): what real agent frameworks do to a chat model.

Each test drives ``ChatSambaNova`` through its public API over loopback HTTP
against the emulator, which answers as the service does (a 400 for an image
outside a user turn, tool calls without ids when scripted, the error bodies
clients have quoted). deepagents' profile-driven content gate is reproduced
from its source (``deepagents/middleware/unsupported_content.py``, 0.7.32: a
block is replaced by a text notice only when the model's profile says
``False`` for it; a missing flag reads as supported), and the real middleware
is used as well when deepagents is installed.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware
from langchain.agents.structured_output import ProviderStrategy
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_provider import ChatSambaNova, errors
from langchain_provider.emulator import Emulator, EmulatorConfig

KEY = "sk-wild-0d9c2b7e"
TEXT_MODEL = "Meta-Llama-3.3-70B-Instruct"
VISION_MODELS = ("gemma-4-31B-it", "Llama-4-Maverick-17B-128E-Instruct")
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake pixels").decode()
PDF = base64.b64encode(b"%PDF-1.4 fake report").decode()
HEADER_SECRET = "hdr-secret-5a7f3e91"
CALL_ID = re.compile(r"^call_[0-9a-f]{8,}$")

# The image shapes tools return: a LangChain standard block (what MCP adapters
# make of an MCP ``Image``), an OpenAI-style part, and a legacy base64 block.
IMAGE_BLOCKS = {
    "standard": {"type": "image", "base64": PNG, "mime_type": "image/png"},
    "image_url": {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{PNG}"},
    },
    "source_type": {
        "type": "image",
        "source_type": "base64",
        "data": PNG,
        "mime_type": "image/png",
    },
}


@pytest.fixture(scope="module")
def _emulator() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(time_to_first_token=0, tokens_per_second=None)) as emu:
        yield emu


@pytest.fixture
def emu(_emulator: Emulator) -> Iterator[Emulator]:
    """The module's emulator with a fresh script, records and settings."""
    _emulator.clear()
    _emulator.config = EmulatorConfig(time_to_first_token=0, tokens_per_second=None)
    yield _emulator
    _emulator.clear()


@pytest.fixture
def make_model(emu: Emulator) -> Callable[..., ChatSambaNova]:
    def make(model: str = TEXT_MODEL, **kwargs: Any) -> ChatSambaNova:
        return ChatSambaNova(
            model=model, base_url=emu.base_url, api_key=KEY, max_retries=0, **kwargs
        )

    return make


def _chat_bodies(emu: Emulator) -> list[dict[str, Any]]:
    return [r.body for r in emu.requests if r.path.endswith("/chat/completions")]


def _has_image(api_message: dict[str, Any]) -> bool:
    content = api_message.get("content")
    return isinstance(content, list) and any(
        part.get("type") == "image_url" for part in content
    )


# -- 1. deepagents' content gate, which reads the profile ---------------------


def _gate_blocks(message: BaseMessage, profile: dict[str, Any]) -> BaseMessage:
    """deepagents' rule: drop a block only when the profile says False for it."""
    if not isinstance(message.content, list):
        return message
    in_tool = isinstance(message, ToolMessage)
    fields = {"image": "image_inputs", "file": "pdf_inputs"}
    tool_fields = {"image": "image_tool_message", "file": "pdf_tool_message"}
    kept: list[Any] = []
    for block in message.content:
        kind = block.get("type") if isinstance(block, dict) else None
        rejected = (in_tool and profile.get(tool_fields.get(kind, "")) is False) or (
            profile.get(fields.get(kind, "")) is False
        )
        kept.append(
            {"type": "text", "text": f"[{kind} not attached: unsupported]"}
            if rejected
            else block
        )
    return message.model_copy(update={"content": kept})


class ProfileContentGate(AgentMiddleware):
    """deepagents' ``UnsupportedContentMiddleware`` rule, reproduced."""

    def wrap_model_call(self, request: Any, handler: Any) -> Any:
        profile = dict(request.model.profile or {})
        messages = [_gate_blocks(m, profile) for m in request.messages]
        return handler(request.override(messages=messages))


def _gates() -> list[Any]:
    gates: list[Any] = [pytest.param(ProfileContentGate, id="reproduced")]
    try:
        from deepagents.middleware import UnsupportedContentMiddleware
    except ImportError:
        return gates
    return [*gates, pytest.param(UnsupportedContentMiddleware, id="deepagents")]


def _file_reader(block: dict[str, Any]) -> Any:
    @tool
    def read_file(path: str) -> list[dict[str, Any]]:
        """Read a file from the agent's file system."""
        return [block]

    return read_file


@pytest.mark.parametrize("gate", _gates())
@pytest.mark.parametrize("model_name", [TEXT_MODEL, *VISION_MODELS])
def test_reading_a_pdf_through_the_profile_gate_does_not_end_the_run(
    emu, make_model, gate, model_name
):
    pdf = {"type": "file", "base64": PDF, "mime_type": "application/pdf"}
    agent = create_agent(
        make_model(model_name), tools=[_file_reader(pdf)], middleware=[gate()]
    )
    emu.script.reply_tool_calls([{"name": "read_file", "arguments": {"path": "r.pdf"}}])

    result = agent.invoke({"messages": [HumanMessage("Summarize r.pdf")]})

    assert isinstance(result["messages"][-1], AIMessage)
    sent = json.dumps(_chat_bodies(emu)[-1])
    assert PDF not in sent  # the notice went instead of the file


@pytest.mark.parametrize("gate", _gates())
@pytest.mark.parametrize("model_name", VISION_MODELS)
def test_reading_an_image_through_the_profile_gate_on_a_vision_model(
    emu, make_model, gate, model_name
):
    agent = create_agent(
        make_model(model_name),
        tools=[_file_reader(IMAGE_BLOCKS["standard"])],
        middleware=[gate()],
    )
    emu.script.reply_tool_calls([{"name": "read_file", "arguments": {"path": "a.png"}}])

    result = agent.invoke({"messages": [HumanMessage("What is in a.png?")]})

    assert isinstance(result["messages"][-1], AIMessage)
    messages = _chat_bodies(emu)[-1]["messages"]
    assert _has_image(messages[-1]) and messages[-1]["role"] == "user"


# -- 2. a tool that returns an image -------------------------------------------


def _screenshot_agent(model: ChatSambaNova, block: dict[str, Any]) -> Any:
    @tool
    def screenshot(url: str) -> list[dict[str, Any]]:
        """Take a screenshot of a web page."""
        return [{"type": "text", "text": f"Screenshot of {url}"}, block]

    return create_agent(model, tools=[screenshot])


@pytest.mark.parametrize("shape", sorted(IMAGE_BLOCKS))
@pytest.mark.parametrize("model_name", VISION_MODELS)
def test_a_tool_image_reaches_a_vision_model_in_a_user_turn(
    emu, make_model, model_name, shape
):
    agent = _screenshot_agent(make_model(model_name), IMAGE_BLOCKS[shape])
    emu.script.reply_tool_calls([{"name": "screenshot", "arguments": {"url": "x.io"}}])

    result = agent.invoke({"messages": [HumanMessage("Look at x.io")]})

    assert isinstance(result["messages"][-1], AIMessage)
    messages = _chat_bodies(emu)[-1]["messages"]
    tool_turn, image_turn = messages[-2], messages[-1]
    assert tool_turn["role"] == "tool"
    assert "Screenshot of x.io" in tool_turn["content"]
    assert "next user message" in tool_turn["content"]  # says where it went
    assert image_turn["role"] == "user" and _has_image(image_turn)
    url = next(p for p in image_turn["content"] if p["type"] == "image_url")
    assert url["image_url"]["url"] == f"data:image/png;base64,{PNG}"
    # The thread keeps the tool's own content: nothing was rewritten in place.
    kept = next(m for m in result["messages"] if isinstance(m, ToolMessage))
    assert kept.content[1] == IMAGE_BLOCKS[shape]


def test_several_tool_results_keep_their_order_before_the_image_turn(emu, make_model):
    agent = _screenshot_agent(make_model(VISION_MODELS[0]), IMAGE_BLOCKS["standard"])
    emu.script.reply_tool_calls(
        [
            {"name": "screenshot", "arguments": {"url": "a.io"}},
            {"name": "screenshot", "arguments": {"url": "b.io"}},
        ]
    )

    agent.invoke({"messages": [HumanMessage("Look at a.io and b.io")]})

    roles = [m["role"] for m in _chat_bodies(emu)[-1]["messages"]]
    assert roles == ["user", "assistant", "tool", "tool", "user"]
    image_turn = _chat_bodies(emu)[-1]["messages"][-1]
    assert sum(p["type"] == "image_url" for p in image_turn["content"]) == 2


def test_a_tool_image_on_a_text_model_becomes_a_note_warned_once(
    emu, make_model, caplog
):
    model = make_model(TEXT_MODEL)
    history: list[BaseMessage] = [
        HumanMessage("Look at x.io"),
        AIMessage(
            "",
            tool_calls=[{"name": "screenshot", "args": {}, "id": "call_1"}],
        ),
        ToolMessage(
            [{"type": "text", "text": "Screenshot of x.io"}, IMAGE_BLOCKS["standard"]],
            tool_call_id="call_1",
        ),
    ]
    before = copy.deepcopy(history)

    with caplog.at_level(logging.WARNING, logger="langchain_provider"):
        model.invoke(history)
        model.invoke(history)

    assert history == before  # the caller's messages are never modified
    for body in _chat_bodies(emu):
        tool_turn = body["messages"][-1]
        assert tool_turn["role"] == "tool"
        assert "Screenshot of x.io" in tool_turn["content"]
        assert "image" in tool_turn["content"] and "left out" in tool_turn["content"]
        assert PNG not in json.dumps(body)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert TEXT_MODEL in warnings[0].getMessage()


def test_tool_images_can_be_refused_before_sending(emu, make_model):
    model = make_model(VISION_MODELS[0], tool_result_media="refuse")
    history = [
        HumanMessage("Look"),
        AIMessage("", tool_calls=[{"name": "shot", "args": {}, "id": "call_1"}]),
        ToolMessage([IMAGE_BLOCKS["standard"]], tool_call_id="call_1"),
    ]
    with pytest.raises(ValueError, match="tool_result_media"):
        model.invoke(history)
    assert _chat_bodies(emu) == []


# -- 3. tool calls that arrive without an id -----------------------------------


def test_an_id_less_call_gets_an_id_in_invoke(emu, make_model):
    emu.script.reply_tool_calls(
        [
            {"name": "get_weather", "arguments": {"city": "Paris"}, "id": None},
            {"name": "get_weather", "arguments": {"city": "Rome"}, "id": None},
        ]
    )
    message = make_model().invoke("Weather in Paris and Rome?")
    ids = [call["id"] for call in message.tool_calls]
    assert all(CALL_ID.match(i or "") for i in ids)
    assert len(set(ids)) == 2


@tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"Sunny in {city}"


def test_an_agent_runs_an_id_less_call(emu, make_model):
    agent = create_agent(make_model(), tools=[get_weather])
    emu.script.reply_tool_calls(
        [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": None}],
        text="Let me check.",
    )

    result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})

    call_message, tool_message = result["messages"][1], result["messages"][2]
    assert call_message.content == "Let me check."
    assert isinstance(tool_message, ToolMessage)
    assert tool_message.content == "Sunny in Paris"
    assert tool_message.tool_call_id == call_message.tool_calls[0]["id"]
    assert (
        result["messages"][-1].content
        == "The get_weather tool returned: Sunny in Paris."
    )


@pytest.mark.parametrize("style", ["fragments", "whole", "whole_no_index"])
@pytest.mark.parametrize("output_version", ["v0", "v1"])
def test_a_streamed_id_less_call_has_one_id_everywhere(
    emu, make_model, style, output_version
):
    emu.config.tool_call_style = style
    emu.script.reply_tool_calls(
        [
            {"name": "get_weather", "arguments": {"city": "Paris"}, "id": None},
            {"name": "get_weather", "arguments": {"city": "Rome"}, "id": None},
        ]
    )
    model = make_model(output_version=output_version)

    chunks = list(model.stream("Weather in Paris and Rome?"))

    firsts: dict[int, str | None] = {}
    for chunk in chunks:
        for call_chunk in chunk.tool_call_chunks:
            index = call_chunk["index"]
            assert index is not None
            if call_chunk.get("id") is not None:
                assert firsts.setdefault(index, call_chunk["id"]) == call_chunk["id"]
            else:
                assert index in firsts  # only later fragments go without
    assert len(firsts) == 2 and all(CALL_ID.match(i or "") for i in firsts.values())
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert isinstance(total, AIMessageChunk)
    assert [c["id"] for c in total.tool_calls] == [firsts[0], firsts[1]]
    assert [c["args"] for c in total.tool_calls] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]
    if output_version == "v1":
        blocks = [b for b in total.content if isinstance(b, dict)]
        kinds = [b["type"] for b in blocks]
        assert "tool_call_chunk" not in kinds
        assert [b["id"] for b in blocks if b["type"] == "tool_call"] == [
            firsts[0],
            firsts[1],
        ]


# -- 4. sloppy tool schemas ----------------------------------------------------

SLOPPY_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look a record up.",
        "parameters": {
            "type": "object",
            "properties": {
                "count": {"type": "int"},
                "ratio": {"type": "float"},
                "key": {"type": "string", "required": True},
            },
        },
    },
}


def test_a_sloppy_schema_is_warned_about_and_sent(emu, make_model):
    with pytest.warns(UserWarning) as caught:
        bound = make_model().bind_tools([SLOPPY_TOOL])
    text = " ".join(str(w.message) for w in caught)
    assert "lookup" in text
    assert "properties.count" in text and "'int'" in text
    assert "properties.ratio" in text and "'float'" in text
    assert "properties.key" in text and "required" in text

    bound.invoke("Look up key 7")

    sent = _chat_bodies(emu)[-1]["tools"][0]["function"]["parameters"]
    assert sent == SLOPPY_TOOL["function"]["parameters"]


def test_an_agent_with_a_sloppy_mcp_tool_completes(emu, make_model):
    @tool(args_schema=SLOPPY_TOOL["function"]["parameters"])
    def lookup(**kwargs: Any) -> str:
        """Look a record up."""
        return "found"

    agent = create_agent(make_model(), tools=[lookup])
    emu.script.reply_tool_calls([{"name": "lookup", "arguments": {"key": "7"}}])
    with pytest.warns(UserWarning, match="lookup"):
        result = agent.invoke({"messages": [HumanMessage("Look up key 7")]})
    assert result["messages"][-1].content == "The lookup tool returned: found."


def test_a_schema_that_can_never_be_sent_is_still_refused(make_model):
    broken = {**SLOPPY_TOOL["function"], "parameters": ["not", "a", "schema"]}
    with pytest.raises(ValueError):
        make_model().bind_tools([{"type": "function", "function": broken}])


# -- 5. LangSmith parameters ---------------------------------------------------


class _StartRecorder(BaseCallbackHandler):
    """Keeps what tracers receive when a chat model run starts."""

    def __init__(self) -> None:
        self.serialized: list[dict[str, Any]] = []
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.serialized.append(serialized)
        self.metadata.append(metadata or {})


def test_max_completion_tokens_is_reported_as_ls_max_tokens(emu, make_model):
    recorder = _StartRecorder()
    make_model(max_completion_tokens=77).invoke("Hi", config={"callbacks": [recorder]})
    make_model().invoke(
        "Hi", config={"callbacks": [recorder]}, max_completion_tokens=55
    )
    assert [m.get("ls_max_tokens") for m in recorder.metadata] == [77, 55]


# -- 6. credentials in default_headers -----------------------------------------


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
@pytest.mark.parametrize(
    "header", ["Authorization", "api-key", "X-API-Key", "x-auth-token", "My-Secret"]
)
def test_a_credential_header_is_a_secret_everywhere_the_key_is(emu, make_model, header):
    model = make_model(default_headers={header: HEADER_SECRET, "X-Trace": "t-1"})
    recorder = _StartRecorder()

    model.invoke("Hi", config={"callbacks": [recorder]})

    assert emu.requests[-1].headers[header.lower()] == HEADER_SECRET  # still sent
    assert HEADER_SECRET not in repr(model)
    assert HEADER_SECRET not in str(model)
    assert HEADER_SECRET not in dumps(model)
    assert HEADER_SECRET not in json.dumps(recorder.serialized)
    assert "t-1" in dumps(model)  # an ordinary header stays visible
    serialized = dumpd(model)
    secret_ids = [
        value["id"][0]
        for value in serialized["kwargs"]["default_headers"].values()
        if isinstance(value, dict) and value.get("type") == "secret"
    ]
    assert len(secret_ids) == 1
    loaded = load(
        serialized,
        secrets_map={secret_ids[0]: HEADER_SECRET, "SAMBANOVA_API_KEY": KEY},
        valid_namespaces=["langchain_provider"],
        allowed_objects=[ChatSambaNova],
    )
    assert loaded.default_headers == {header: HEADER_SECRET, "X-Trace": "t-1"}


class _FakeLangSmith(BaseHTTPRequestHandler):
    """A LangSmith endpoint on loopback that keeps every body it is sent."""

    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - the handler's naming
        length = int(self.headers.get("content-length") or 0)
        self.bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    do_PATCH = do_POST

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def langsmith_endpoint() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []
    handler = type("Handler", (_FakeLangSmith,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", bodies
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_langsmith_tracer_never_sends_a_credential_header(
    make_model, langsmith_endpoint
):
    from langchain_core.tracers import LangChainTracer
    from langsmith import Client

    url, bodies = langsmith_endpoint
    client = Client(api_url=url, api_key="ls-test", auto_batch_tracing=False)
    tracer = LangChainTracer(client=client, project_name="wild")
    model = make_model(default_headers={"x-api-key": HEADER_SECRET})

    model.invoke("Hi", config={"callbacks": [tracer]})
    tracer.wait_for_futures()

    runs = b"".join(bodies)
    assert b"x-api-key" in runs  # the run was recorded, header name and all
    assert HEADER_SECRET.encode() not in runs


# -- 7. several text blocks in one message -------------------------------------


def test_text_blocks_of_a_message_are_not_glued_together(emu, make_model):
    blocks = [
        {"type": "text", "text": "Summarize:"},
        {"type": "text", "text": "The fox."},
    ]
    make_model().invoke([HumanMessage(blocks)])
    assert _chat_bodies(emu)[-1]["messages"][0]["content"] == "Summarize:\nThe fox."


# -- 8. create_agent(response_format=...) --------------------------------------


class Weather(BaseModel):
    """The weather report."""

    city: str
    summary: str


def test_create_agent_answers_in_a_tool_not_a_json_schema_with_tools(emu, make_model):
    agent = create_agent(make_model(), tools=[get_weather], response_format=Weather)
    emu.script.reply_tool_calls(
        [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    )
    emu.script.reply_tool_calls(
        [{"name": "Weather", "arguments": {"city": "Paris", "summary": "Sunny"}}]
    )

    result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})

    assert result["structured_response"] == Weather(city="Paris", summary="Sunny")
    for body in _chat_bodies(emu):
        assert "response_format" not in body
        assert {t["function"]["name"] for t in body["tools"]} >= {"Weather"}


def test_create_agent_without_tools_never_sends_an_empty_tools_list(emu, make_model):
    agent = create_agent(make_model(), tools=[], response_format=Weather)
    emu.script.reply_tool_calls(
        [{"name": "Weather", "arguments": {"city": "Oslo", "summary": "Snow"}}]
    )
    result = agent.invoke({"messages": [HumanMessage("Weather in Oslo?")]})
    assert result["structured_response"] == Weather(city="Oslo", summary="Snow")
    assert all(body.get("tools") != [] for body in _chat_bodies(emu))


def test_the_provider_strategy_asked_for_sends_no_empty_tools_list(emu, make_model):
    agent = create_agent(
        make_model(), tools=[], response_format=ProviderStrategy(Weather)
    )
    result = agent.invoke({"messages": [HumanMessage("Weather in Oslo?")]})
    assert isinstance(result["structured_response"], Weather)
    body = _chat_bodies(emu)[-1]
    assert body["response_format"]["type"] == "json_schema"
    assert "tools" not in body


def test_binding_no_tools_sends_no_tools_key(emu, make_model):
    make_model().bind_tools([]).invoke("Hi")
    assert "tools" not in _chat_bodies(emu)[-1]


# -- 9. errors real clients have quoted ----------------------------------------


@pytest.mark.parametrize("call", ["invoke", "stream"])
def test_a_context_overflow_with_a_null_code_is_a_context_overflow(
    emu, make_model, call
):
    from langchain_core.exceptions import ContextOverflowError

    emu.script.context_overflow()
    model = make_model()
    with pytest.raises(errors.ContextLengthExceededError) as caught:
        if call == "invoke":
            model.invoke("Hi")
        else:
            list(model.stream("Hi"))
    assert isinstance(caught.value, ContextOverflowError)
    assert "maximum context length of DeepSeek-V3-0324 is 32768" in str(caught.value)


def test_an_in_stream_overflow_with_a_null_code_is_a_context_overflow(emu, make_model):
    emu.script.error_event(
        after_chunks=1,
        message=(
            "The maximum context length of gpt-oss-120b is 131072. However, "
            "answering your request will take 140000 tokens. Please reduce the "
            "length of the messages or the specified max_completion_tokens value."
        ),
        type="invalid_request_error",
        code=None,
    )
    with pytest.raises(errors.ContextLengthExceededError):
        list(make_model().stream("Hi"))


def test_payment_required_is_typed_and_not_retried(emu, make_model):
    emu.script.payment_required(times=None)
    model = ChatSambaNova(base_url=emu.base_url, api_key=KEY, max_retries=2)
    with pytest.raises(errors.PaymentRequiredError) as caught:
        model.invoke("Hi")
    assert caught.value.is_retryable is False
    assert "payment method is required" in str(caught.value)
    assert len(_chat_bodies(emu)) == 1


def test_a_retired_model_is_not_found_with_the_service_message(emu, make_model):
    emu.script.model_unavailable("DeepSeek-R1-Distill-Llama-70B")
    with pytest.raises(errors.NotFoundError) as caught:
        make_model("DeepSeek-R1-Distill-Llama-70B").invoke("Hi")
    assert "(DeepSeek-R1-Distill-Llama-70B) is not available on SambaNova Cloud" in (
        caught.value.message
    )


def test_a_plain_text_422_is_typed_and_carries_the_text(emu, make_model):
    emu.script.fault(422, "field 'messages' could not be parsed", plain_text=True)
    with pytest.raises(errors.InvalidRequestError) as caught:
        make_model().invoke("Hi")
    assert caught.value.status_code == 422
    assert caught.value.message == "field 'messages' could not be parsed"
