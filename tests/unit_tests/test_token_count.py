"""Offline token counting (``_token_count`` and ``ChatSambaNova.get_num_tokens*``).

The network is blocked in unit tests (pytest-socket), so each of these also
proves the count needs none. Calibration against server counts: the three
real ``usage.prompt_tokens`` below come from recorded live responses; the
emulator comparison runs in tests/integration_tests/test_agent_stack.py.
"""

from __future__ import annotations

import base64
import json
import sys

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.tools import tool

from langchain_provider import ChatSambaNova
from langchain_provider._token_count import (
    DEFAULT_COST,
    IMAGE_TOKENS,
    TemplateCost,
    estimate_prompt_tokens,
    estimate_text_tokens,
    template_cost,
)

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
