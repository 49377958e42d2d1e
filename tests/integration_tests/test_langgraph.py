"""A LangGraph tool-calling agent drives ChatSambaNova over HTTP.

The agent (LangChain's ``create_agent`` and LangGraph's prebuilt
``create_react_agent``) asks the model, runs the real Python tool it calls,
sends the result back, and returns the model's answer. Against the emulator,
the sync test relies on the emulator calling a tool the user names, the async
one on a scripted tool call; live, the model decides.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.prebuilt import create_react_agent

from langchain_provider import ChatSambaNova

from ._support import MODEL, Target


def _prebuilt_react_agent(model: Any, tools: list[BaseTool]) -> Any:
    with warnings.catch_warnings():  # deprecated in favour of create_agent
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_react_agent(model, tools)


AGENTS: dict[str, Callable[[Any, list[BaseTool]], Any]] = {
    "create_agent": lambda model, tools: create_agent(model, tools),
    "create_react_agent": _prebuilt_react_agent,
}


class WeatherStation:
    """A real tool that remembers each call."""

    def __init__(self) -> None:
        self.cities: list[str] = []

        @tool
        def get_weather(city: str) -> str:
            """Get the current weather in a city.

            Args:
                city: The city's name.
            """
            self.cities.append(city)
            return f"It is 21 degrees and sunny in {city}."

        self.tool = get_weather


def _check_run(messages: list[Any], station: WeatherStation, city: str) -> None:
    """The tool ran once for the city, and the answer carries its result."""
    assert len(station.cities) == 1 and city in station.cities[0]
    calls = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert len(calls) == 1 and len(results) == 1
    assert results[0].tool_call_id == calls[0].tool_calls[0]["id"]
    assert "21 degrees" in results[0].text
    answer = messages[-1]
    assert isinstance(answer, AIMessage) and not answer.tool_calls
    assert "21" in answer.text, answer.text


def _check_emulator_saw_the_result(target: Target) -> None:
    """The tool's result went back over HTTP, tied to the model's call."""
    if target.emulator is None:
        return
    first, second = target.emulator.requests
    assert first.body["tools"][0]["function"]["name"] == "get_weather"
    assistant, tool_message = second.body["messages"][-2:]
    assert tool_message["role"] == "tool"
    assert tool_message["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert "21 degrees and sunny" in tool_message["content"]


@pytest.mark.parametrize("build", AGENTS.values(), ids=AGENTS.keys())
def test_agent_calls_the_tool_and_answers(
    target: Target, build: Callable[..., Any]
) -> None:
    station = WeatherStation()
    model = ChatSambaNova(model=MODEL, temperature=0, **target.params)
    agent = build(model, [station.tool])

    # Naming the tool is enough for the emulator to call it with "Paris".
    state = agent.invoke(
        {"messages": [HumanMessage("Use get_weather to tell me the weather in Paris.")]}
    )

    _check_run(state["messages"], station, "Paris")
    _check_emulator_saw_the_result(target)


@pytest.mark.parametrize("build", AGENTS.values(), ids=AGENTS.keys())
async def test_agent_async_streaming_model(
    target: Target, build: Callable[..., Any]
) -> None:
    station = WeatherStation()
    if target.emulator is not None:
        target.emulator.script.reply_tool_calls(
            [{"name": "get_weather", "arguments": {"city": "Tokyo"}}]
        )
    # streaming=True: the tool call arrives as streamed fragments.
    model = ChatSambaNova(model=MODEL, temperature=0, streaming=True, **target.params)
    agent = build(model, [station.tool])

    state = await agent.ainvoke(
        {"messages": [HumanMessage("What's the weather like in Tokyo right now?")]}
    )

    _check_run(state["messages"], station, "Tokyo")
    _check_emulator_saw_the_result(target)
    if target.emulator is not None:
        assert all(request.body.get("stream") for request in target.emulator.requests)
