"""Reasoning sent back with assistant turns (``_reasoning``, ``reasoning_in_history``).

Through the real client: each test sends a conversation and reads the body
that went over the (mock) wire.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from pydantic import ValidationError

from langchain_provider import ChatSambaNova

from .conftest import chunk, completion, json_reply, make_model, sse_reply, usage_chunk

PLAN = "The user wants the weather; I will call get_weather."
CALL = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}


def _sent_assistant(llm: ChatSambaNova, server: Any, turn: AIMessage) -> dict:
    """Send [user, turn, tool result] and return the assistant dict sent."""
    history: list[Any] = [HumanMessage("Weather in Paris?"), turn]
    if turn.tool_calls:
        history.append(ToolMessage("sunny", tool_call_id="call_1"))
    else:
        history.append(HumanMessage("thanks"))
    llm.invoke(history)
    return server.bodies[-1]["messages"][1]


def _tool_turn(**kwargs: Any) -> AIMessage:
    return AIMessage(content="", tool_calls=[CALL], **kwargs)


@pytest.mark.parametrize(
    "turn",
    [
        _tool_turn(additional_kwargs={"reasoning_content": PLAN}),
        _tool_turn(additional_kwargs={"reasoning": PLAN}),
        AIMessage(
            content=[
                {"type": "reasoning", "reasoning": PLAN},
                {"type": "tool_call", **CALL},
            ],
            tool_calls=[CALL],
        ),
    ],
    ids=["reasoning_content", "reasoning-kwarg", "v1-block"],
)
def test_tool_call_turn_sends_its_reasoning_back(turn: AIMessage) -> None:
    llm, server = make_model()
    sent = _sent_assistant(llm, server, turn)
    assert sent["reasoning"] == PLAN
    assert sent["tool_calls"][0]["id"] == "call_1"
    assert PLAN not in (sent["content"] or "")


def test_answer_turn_keeps_its_reasoning_by_default() -> None:
    llm, server = make_model()
    turn = AIMessage(content="Sunny.", additional_kwargs={"reasoning_content": PLAN})
    sent = _sent_assistant(llm, server, turn)
    assert "reasoning" not in sent
    assert sent["content"] == "Sunny."


@pytest.mark.parametrize(
    ("policy", "tool_turn", "answer_turn"),
    [("always", True, True), ("never", False, False), ("auto", True, False)],
)
def test_policy(policy: str, tool_turn: bool, answer_turn: bool) -> None:
    llm, server = make_model(reasoning_in_history=policy)
    kwargs = {"reasoning_content": PLAN}
    sent_tool = _sent_assistant(llm, server, _tool_turn(additional_kwargs=kwargs))
    answer = AIMessage(content="Sunny.", additional_kwargs=kwargs)
    sent_answer = _sent_assistant(llm, server, answer)
    assert ("reasoning" in sent_tool) is tool_turn
    assert ("reasoning" in sent_answer) is answer_turn
    assert "reasoning_in_history" not in server.bodies[-1]


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValidationError, match="reasoning_in_history"):
        ChatSambaNova(base_url="http://x/v1", reasoning_in_history="sometimes")
    llm, server = make_model()
    with pytest.raises(ValueError, match="reasoning_in_history must be one of"):
        llm.invoke("hi", reasoning_in_history="sometimes")
    assert server.calls == 0


def test_policy_per_call_is_not_a_body_field() -> None:
    llm, server = make_model()
    turn = _tool_turn(additional_kwargs={"reasoning_content": PLAN})
    history = [
        HumanMessage("Weather?"),
        turn,
        ToolMessage("sunny", tool_call_id="call_1"),
    ]
    llm.invoke(history, reasoning_in_history="never")
    llm.bind(reasoning_in_history="never").invoke(history)
    llm.invoke(history)
    never, bound, default = server.bodies
    assert "reasoning" not in never["messages"][1]
    assert "reasoning" not in bound["messages"][1]
    assert default["messages"][1]["reasoning"] == PLAN
    assert "reasoning_in_history" not in never and "reasoning_in_history" not in bound


@pytest.mark.parametrize("policy", ["auto", "always", "never"])
def test_think_text_never_goes_back_into_content(policy: str) -> None:
    llm, server = make_model(reasoning_in_history=policy)
    turn = AIMessage(
        content="<think>\nplan it\n</think>\n\nCalling.", tool_calls=[CALL]
    )
    sent = _sent_assistant(llm, server, turn)
    assert sent["content"] == "Calling."
    assert sent.get("reasoning") == (None if policy == "never" else "plan it")


def test_reasoning_survives_an_invoke_round_trip() -> None:
    reply = completion(
        None,
        model="gpt-oss-120b",
        finish_reason="tool_calls",
        message={"reasoning": PLAN},
        tool_calls=[
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    )
    llm, server = make_model(json_reply(reply), json_reply(completion("Sunny.")))
    first = llm.invoke("Weather in Paris?")
    llm.invoke(
        [
            HumanMessage("Weather in Paris?"),
            first,
            ToolMessage("sunny", tool_call_id="call_1"),
        ]
    )
    assert server.bodies[1]["messages"][1]["reasoning"] == PLAN


def test_reasoning_survives_a_stream_round_trip() -> None:
    model = "gpt-oss-120b"
    events = [
        chunk(
            {
                "role": "assistant",
                "reasoning": "The user wants ",
                "channel": "analysis",
            },
            model=model,
        ),
        chunk({"reasoning": "the weather."}, model=model),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            },
            model=model,
        ),
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "function": {"arguments": '{"city": "Paris"}'}}
                ]
            },
            model=model,
        ),
        chunk({"content": ""}, finish_reason="tool_calls", model=model),
        usage_chunk(model=model),
    ]
    llm, server = make_model(sse_reply(events), json_reply(completion("Sunny.")))
    aggregate: AIMessageChunk | None = None
    for piece in llm.stream("Weather in Paris?"):
        aggregate = piece if aggregate is None else aggregate + piece
    assert aggregate is not None and aggregate.tool_calls
    llm.invoke(
        [
            HumanMessage("Weather in Paris?"),
            aggregate,
            ToolMessage("sunny", tool_call_id="call_1"),
        ]
    )
    sent = server.bodies[1]["messages"][1]
    assert sent["reasoning"] == "The user wants the weather."
    assert sent["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'


@pytest.mark.parametrize(
    "turn",
    [
        AIMessage(content="", invalid_tool_calls=[{**CALL, "args": "{", "error": "x"}]),
        AIMessage(
            content="",
            additional_kwargs={
                # Without arguments langchain-core leaves it unparsed.
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "f"}}
                ]
            },
        ),
    ],
    ids=["invalid tool call", "raw tool call in additional_kwargs only"],
)
def test_any_kind_of_tool_call_turn_sends_its_reasoning_back(turn: AIMessage) -> None:
    turn.additional_kwargs["reasoning_content"] = PLAN
    llm, server = make_model()
    llm.invoke(
        [
            HumanMessage("Weather in Paris?"),
            turn,
            ToolMessage("sunny", tool_call_id="call_1"),
        ]
    )
    assert server.body["messages"][1]["reasoning"] == PLAN


@pytest.mark.parametrize(
    ("content", "additional_kwargs", "expected"),
    [
        (
            [
                {"type": "reasoning", "reasoning": "The user wants "},
                "Calling.",
                {"type": "reasoning"},
                {"type": "reasoning", "reasoning": "the weather."},
            ],
            {},
            "The user wants the weather.",
        ),
        ([{"type": "reasoning"}, "Calling."], {}, None),
        ("", {"reasoning_content": "", "reasoning": PLAN}, PLAN),
        # OpenAI's Responses API keeps a reasoning *object* there: not text.
        ("", {"reasoning": {"id": "rs_1", "summary": []}}, None),
    ],
    ids=[
        "v1 blocks joined, text and empty blocks skipped",
        "only an empty reasoning block",
        "empty reasoning_content falls back to reasoning",
        "a non-text reasoning value is not sent",
    ],
)
def test_which_reasoning_a_turn_sends_back(
    content: Any, additional_kwargs: dict, expected: str | None
) -> None:
    turn = AIMessage(
        content=content, additional_kwargs=additional_kwargs, tool_calls=[CALL]
    )
    llm, server = make_model()
    sent = _sent_assistant(llm, server, turn)
    assert sent.get("reasoning") == expected


def test_a_think_block_after_leading_whitespace_is_taken_out_of_content() -> None:
    llm, server = make_model()
    turn = AIMessage(content="\n <think>plan it</think>\n\nCalling.", tool_calls=[CALL])
    sent = _sent_assistant(llm, server, turn)
    assert sent["content"] == "Calling."
    assert sent["reasoning"] == "plan it"


def test_the_unknown_policy_message_lists_the_policies() -> None:
    llm, _ = make_model()
    message = (
        "reasoning_in_history must be one of ['auto', 'always', 'never'], "
        "got 'sometimes'."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        llm.invoke("hi", reasoning_in_history="sometimes")
