"""ChatSambaNova where LangChain v1's agent stack expects a chat model.

Real agents (``langchain.agents.create_agent`` and its middleware) drive the
model over loopback HTTP against the emulator: ``"sambanova:<model>"``
strings, offline token counts against the server's, reasoning kept across
tool-calling steps (read back from the requests the emulator received),
summarization (a fractional trigger, and the context-overflow retry),
retries decided by ``is_retryable`` and a fallback model. Tests that need
the emulator's script or its small configured contexts are skipped live.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import (
    ModelFallbackMiddleware,
    ModelRetryMiddleware,
    SummarizationMiddleware,
)
from langchain.agents.middleware.model_router import (
    ModelChoice,
    ModelRouterMiddleware,
)
from langchain.chat_models import init_chat_model
from langchain_core.decisions import (
    BaseDecisionModel,
    ChoiceAnswer,
    ClassifierResponse,
)
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool

from langchain_provider import ChatSambaNova
from langchain_provider._request import convert_message_to_dict
from langchain_provider._token_count import TemplateCost, estimate_prompt_tokens
from langchain_provider._tools import format_tools
from langchain_provider.emulator._tokens import MESSAGE_OVERHEAD
from langchain_provider.errors import SambaNovaError

from ._support import MODEL, Target

REASONING_MODEL = "gpt-oss-120b"
SMALL_MODEL = "Meta-Llama-3.1-8B-Instruct"


@pytest.fixture
def emulator(target: Target) -> Any:
    """The emulator behind `target`; tests using it are skipped live."""
    if target.emulator is None:
        pytest.skip("needs the emulator's script or its configured contexts")
    return target.emulator


@pytest.fixture
def string_models(target: Target, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Where ``"sambanova:<model>"`` strings (built from the environment) go."""
    monkeypatch.setenv("SAMBANOVA_BASE_URL", target.base_url)
    monkeypatch.setenv("SAMBANOVA_API_KEY", target.api_key)
    yield


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: The city's name.
    """
    return f"It is 21 degrees and sunny in {city}."


@tool
def get_local_time(city: str) -> str:
    """Get the local time in a city.

    Args:
        city: The city's name.
    """
    return f"It is 14:05 in {city}."


def _chat_bodies(emulator: Any) -> list[dict[str, Any]]:
    return [r.body for r in emulator.requests if r.path.endswith("/chat/completions")]


def _serve(emulator: Any, **contexts: int) -> None:
    """Serve the known models, some of them with a small context."""
    from langchain_provider.emulator import KNOWN_MODELS

    served = {**KNOWN_MODELS, **contexts}
    emulator.config = dataclasses.replace(emulator.config, models=served)


# -- 1. "sambanova:<model>" strings ----------------------------------------------


@pytest.mark.parametrize(
    ("model", "provider"),
    [(f"sambanova:{MODEL}", None), (MODEL, "sambanova")],
)
def test_init_chat_model_calls_the_server(
    target: Target, model: str, provider: str | None
) -> None:
    llm = init_chat_model(
        model, model_provider=provider, temperature=0, max_tokens=32, **target.params
    )
    assert isinstance(llm, ChatSambaNova)
    reply = llm.invoke("Say hello.")
    assert reply.text and reply.response_metadata["model_name"] == MODEL


@pytest.mark.usefixtures("string_models")
def test_create_agent_takes_a_model_string(target: Target) -> None:
    agent = create_agent(model=f"sambanova:{MODEL}", tools=[get_weather])
    result = agent.invoke(
        {"messages": [HumanMessage("Use get_weather for the weather in Paris.")]}
    )
    results = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert results and "21 degrees" in results[0].text
    assert isinstance(result["messages"][-1], AIMessage)


class KeywordRouter(BaseDecisionModel):
    """A decision model that routes proofs to the reasoning model."""

    model: str = "keyword-router"

    @property
    def _provider(self) -> str:
        return "test"

    def _classify(self, state: Any, questions: dict[str, Any]) -> ClassifierResponse:
        route = "deep" if "prove" in str(state.content).lower() else "fast"
        answers = {
            question_id: ChoiceAnswer(
                type="choice",
                choice=route,
                probabilities={route: 1.0},
                confidence=1.0,
            )
            for question_id in questions
        }
        return ClassifierResponse(model=self.model, answers=answers)


@pytest.mark.usefixtures("string_models")
@pytest.mark.filterwarnings("ignore::langchain_core._api.LangChainBetaWarning")
def test_model_router_takes_model_strings(target: Target, emulator: Any) -> None:
    router = ModelRouterMiddleware(
        choices={
            "fast": ModelChoice(f"sambanova:{MODEL}", "simple questions"),
            "deep": ModelChoice(f"sambanova:{REASONING_MODEL}", "proofs"),
        },
        instructions="Pick the model for the task.",
        classifier=KeywordRouter(),
    )
    assert all(isinstance(m, ChatSambaNova) for m in router.models.values())
    agent = create_agent(ChatSambaNova(**target.params), middleware=[router])
    agent.invoke({"messages": [HumanMessage("Prove that 2 is prime.")]})
    agent.invoke({"messages": [HumanMessage("Say hi.")]})
    assert [b["model"] for b in _chat_bodies(emulator)] == [REASONING_MODEL, MODEL]


# -- 2. token counts against the server's ---------------------------------------

CALL = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}
PROSE = (
    "LangChain is a framework for developing applications powered by large "
    "language models. It simplifies every stage of the application lifecycle: "
    "development, productionization and deployment. "
)
COUNT_CASES: dict[str, tuple[list[BaseMessage], list[Any] | None]] = {
    "question": ([HumanMessage("What is the capital of France?")], None),
    "system and user": (
        [
            SystemMessage("You are a helpful assistant that answers briefly."),
            HumanMessage("Explain how rainbows form, in two sentences."),
        ],
        None,
    ),
    "prose": ([HumanMessage(PROSE * 5)], None),
    "multi-turn": (
        [
            SystemMessage("You translate English to French."),
            HumanMessage("I love programming."),
            AIMessage("J'adore la programmation."),
            HumanMessage("And cooking on Sundays, 3 times a month?"),
        ],
        None,
    ),
    "tool round": (
        [
            HumanMessage("What's the weather in Paris?"),
            AIMessage(
                "",
                tool_calls=[CALL],
                additional_kwargs={"reasoning_content": "I will call get_weather."},
            ),
            ToolMessage("It is 21 degrees and sunny in Paris.", tool_call_id="call_1"),
        ],
        [get_weather],
    ),
    "numbers": (
        [HumanMessage("Add 123456 and 7890123. Order #A-1029 shipped 2024-06-01.")],
        None,
    ),
    "code": (
        [HumanMessage("def fib(n):\n    return n if n < 2 else fib(n-1) + fib(n-2)")],
        None,
    ),
    "tools": (
        [HumanMessage("Find the weather and the local time in Lyon.")],
        [get_weather, get_local_time],
    ),
}


def test_token_estimate_tracks_the_emulators_counts(
    target: Target, emulator: Any
) -> None:
    """The estimate, on the emulator's own template, against its usage.

    The emulator documents its template as ``MESSAGE_OVERHEAD`` tokens per
    message and no preamble, so the estimate is computed with that template:
    what this measures is the text, tool and reasoning counting. (The model
    families' real template overheads are checked against live counts in
    tests/unit_tests/test_configuration.py.)
    """
    llm = ChatSambaNova(model=MODEL, max_tokens=1, **target.params)
    errors = []
    for messages, tools in COUNT_CASES.values():
        bound = llm.bind_tools(tools, tool_choice="none") if tools else llm
        usage = bound.invoke(messages).usage_metadata
        assert usage is not None
        estimate = estimate_prompt_tokens(
            [convert_message_to_dict(m) for m in messages],
            format_tools(tools) if tools else None,
            TemplateCost(per_prompt=0, per_message=MESSAGE_OVERHEAD),
        )
        errors.append(abs(estimate - usage["input_tokens"]) / usage["input_tokens"])
    # Measured: mean 3.7%, worst 19% (numbers: the emulator counts "123456"
    # as one token, real tokenizers as two).
    assert sum(errors) / len(errors) < 0.08
    assert max(errors) < 0.25


# -- 3. reasoning kept across tool-calling steps ------------------------------------


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "stream"])
def test_reasoning_agent_keeps_its_reasoning_across_steps(
    target: Target, emulator: Any, streaming: bool
) -> None:
    emulator.script.reply_tool_calls(
        [{"name": "get_weather", "arguments": {"city": "Lyon"}}],
        reasoning="Step one: the weather first.",
    )
    emulator.script.reply_tool_calls(
        [{"name": "get_local_time", "arguments": {"city": "Lyon"}}],
        reasoning="Step two: now the time.",
    )
    llm = ChatSambaNova(model=REASONING_MODEL, streaming=streaming, **target.params)
    agent = create_agent(llm, tools=[get_weather, get_local_time])
    result = agent.invoke(
        {"messages": [HumanMessage("What are the weather and time in Lyon?")]}
    )
    answer = result["messages"][-1]
    assert "14:05" in answer.text
    assert answer.additional_kwargs["reasoning_content"]

    first, second, third = _chat_bodies(emulator)
    assert [m["role"] for m in third["messages"]] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
    ]
    step_one, step_two = third["messages"][1], third["messages"][3]
    assert step_one["reasoning"] == "Step one: the weather first."
    assert step_two["reasoning"] == "Step two: now the time."
    assert second["messages"][1]["reasoning"] == "Step one: the weather first."
    for body in (first, second, third):
        for message in body["messages"]:
            assert "<think>" not in (message.get("content") or "")


def test_reasoning_agent_with_the_emulators_own_tool_call(
    target: Target, emulator: Any
) -> None:
    """Unscripted: gpt-oss reasons, calls the tool it was told to, answers."""
    llm = ChatSambaNova(model=REASONING_MODEL, **target.params)
    agent = create_agent(llm, tools=[get_weather])
    agent.invoke({"messages": [HumanMessage("Use get_weather for Paris.")]})
    first_reply_reasoning = _chat_bodies(emulator)[1]["messages"][1]["reasoning"]
    assert "I will call get_weather" in first_reply_reasoning


# -- 5. middleware that leans on the model ------------------------------------------


def _long_history(turns: int) -> list[BaseMessage]:
    history: list[BaseMessage] = []
    for turn in range(turns):
        history.append(
            HumanMessage(f"Fact {turn}: the code for room {turn} is {turn}.")
        )
        history.append(AIMessage(f"Noted: room {turn} has code {turn}."))
    history.append(HumanMessage("Which rooms did I mention?"))
    return history


def test_summarization_with_a_fractional_trigger(target: Target, emulator: Any) -> None:
    _serve(emulator, **{REASONING_MODEL: 1000})
    llm = ChatSambaNova(
        model=REASONING_MODEL, profile={"max_input_tokens": 1000}, **target.params
    )
    history = _long_history(12)
    shorter = history[:9]
    assert llm.get_num_tokens_from_messages(shorter) < 0.3 * 1000
    assert llm.get_num_tokens_from_messages(history) > 0.3 * 1000
    middleware = SummarizationMiddleware(
        model=llm,
        trigger=("fraction", 0.3),
        keep=("messages", 3),
        token_counter=llm.get_num_tokens_from_messages,
        summary_prompt="Summarize this conversation:\n{messages}",
    )
    agent = create_agent(llm, tools=[], middleware=[middleware])
    agent.invoke({"messages": shorter})
    assert len(_chat_bodies(emulator)) == 1  # under the trigger: no summary
    emulator.clear()
    result = agent.invoke({"messages": history})

    summary_call, agent_call = _chat_bodies(emulator)
    assert "Fact 0" in summary_call["messages"][-1]["content"]
    sent = agent_call["messages"]
    assert sent[0]["content"].startswith("Here is a summary of the conversation")
    assert len(sent) == 4  # the summary and the three messages kept
    assert sent[-1]["content"] == "Which rooms did I mention?"
    assert isinstance(result["messages"][-1], AIMessage)


@pytest.mark.usefixtures("string_models")
def test_summary_overflow_retries_with_a_shorter_prompt(
    target: Target, emulator: Any
) -> None:
    """The server's context_length_exceeded is ContextOverflowError's path."""
    _serve(emulator, **{SMALL_MODEL: 400})
    llm = ChatSambaNova(model=MODEL, profile={"max_input_tokens": 400}, **target.params)
    middleware = SummarizationMiddleware(
        model=f"sambanova:{SMALL_MODEL}",
        trigger=("messages", 10),
        keep=("messages", 2),
        trim_tokens_to_summarize=None,
        summary_prompt="Summarize this conversation:\n{messages}",
    )
    agent = create_agent(llm, tools=[], middleware=[middleware])
    result = agent.invoke({"messages": _long_history(14)})

    bodies = _chat_bodies(emulator)
    summaries = [b for b in bodies if b["model"] == SMALL_MODEL]
    assert len(summaries) == 2  # overflowed, then retried shorter
    too_long, retried = (b["messages"][-1]["content"] for b in summaries)
    assert "middle of conversation omitted" in retried
    assert len(retried) < len(too_long)
    final = bodies[-1]
    assert final["model"] == MODEL
    assert final["messages"][0]["content"].startswith("Here is a summary")
    assert isinstance(result["messages"][-1], AIMessage)


@pytest.mark.parametrize("status", [400, 401, 404, 409, 429, 500, 503])
def test_model_retry_middleware_retries_what_is_retryable_says(
    target: Target, emulator: Any, status: int
) -> None:
    emulator.script.fault(status, times=None)
    llm = ChatSambaNova(model=MODEL, max_retries=0, **target.params)
    retry = ModelRetryMiddleware(
        max_retries=2, initial_delay=0.01, jitter=False, on_failure="error"
    )
    agent = create_agent(llm, tools=[], middleware=[retry])
    with pytest.raises(SambaNovaError) as caught:
        agent.invoke({"messages": [HumanMessage("hello")]})
    expected_calls = 3 if caught.value.is_retryable else 1
    assert len(_chat_bodies(emulator)) == expected_calls
    if status in (429, 500, 503):
        assert caught.value.is_retryable
    if status in (400, 401, 404):
        assert not caught.value.is_retryable


def test_model_retry_middleware_recovers(target: Target, emulator: Any) -> None:
    emulator.script.fault(503, times=2)
    llm = ChatSambaNova(model=MODEL, max_retries=0, **target.params)
    retry = ModelRetryMiddleware(max_retries=2, initial_delay=0.01, jitter=False)
    agent = create_agent(llm, tools=[], middleware=[retry])
    result = agent.invoke({"messages": [HumanMessage("hello")]})
    assert result["messages"][-1].text == "Emulated reply to: hello"
    assert len(_chat_bodies(emulator)) == 3


@pytest.mark.usefixtures("string_models")
def test_fallback_model_string_takes_over_after_a_non_retryable_error(
    target: Target, emulator: Any
) -> None:
    emulator.script.fault(404, "Model gpt-oss-120b is not available", times=1)
    llm = ChatSambaNova(model=REASONING_MODEL, max_retries=0, **target.params)
    middleware = [
        ModelFallbackMiddleware(f"sambanova:{MODEL}"),
        ModelRetryMiddleware(max_retries=2, initial_delay=0.01, on_failure="error"),
    ]
    agent = create_agent(llm, tools=[], middleware=middleware)
    result = agent.invoke({"messages": [HumanMessage("hello")]})
    assert [body["model"] for body in _chat_bodies(emulator)] == [
        REASONING_MODEL,
        MODEL,
    ]
    assert result["messages"][-1].response_metadata["model_name"] == MODEL
