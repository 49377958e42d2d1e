"""Non-streaming responses to LangChain results (``_response``), through ``invoke``.

One generation per choice, reasoning, tool calls (cut-off arguments never
runnable), log probabilities, and bodies of shapes the API does not promise,
which raise ``ResponseDecodeError`` instead of a raw exception.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_provider import ResponseDecodeError
from langchain_provider._response import chat_result_from_response
from unit_tests.conftest import MODEL, completion, json_reply, make_model

LOGPROBS = {
    "content": [
        {
            "token": "Hi",
            "logprob": -0.01,
            "bytes": [72, 105],
            "top_logprobs": [{"token": "Hi", "logprob": -0.01, "bytes": [72, 105]}],
        }
    ],
    "refusal": None,
}


# ---------------------------------------------------------------------------
# One choice
# ---------------------------------------------------------------------------


def test_invoke_returns_content_id_and_metadata() -> None:
    model, _ = make_model(json_reply(completion("Paris.", id="003de5ed")))
    message = model.invoke("Capital of France?")
    assert isinstance(message, AIMessage)
    assert message.content == "Paris."
    assert message.id == "003de5ed"
    metadata = message.response_metadata
    assert metadata["model_name"] == MODEL
    assert metadata["finish_reason"] == "stop"
    assert metadata["system_fingerprint"] == "fastcoe"
    assert metadata["model_provider"] == "sambanova"


def test_model_name_is_the_one_the_response_names() -> None:
    # The vendor integration repeated the constructor's model: a per-call
    # override was misreported.
    model, server = make_model(json_reply(completion(model="gpt-oss-120b")))
    message = model.invoke("hi", model="gpt-oss-120b")
    assert server.body["model"] == "gpt-oss-120b"
    assert message.response_metadata["model_name"] == "gpt-oss-120b"


def test_tool_calls_parsed_from_string_and_object_arguments() -> None:
    tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            # Older servers sent arguments as an object.
            "id": "call_2",
            "type": "function",
            "function": {"name": "get_time", "arguments": {"tz": "CET"}},
        },
        {
            # null arguments for a tool without parameters.
            "id": "call_3",
            "type": "function",
            "function": {"name": "ping", "arguments": None},
        },
    ]
    model, _ = make_model(
        json_reply(completion("", tool_calls=tool_calls, finish_reason="tool_calls"))
    )
    message = model.invoke("hi")
    assert [(c["name"], c["args"], c["id"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"}, "call_1"),
        ("get_time", {"tz": "CET"}, "call_2"),
        ("ping", {}, "call_3"),
    ]
    assert message.invalid_tool_calls == []
    assert message.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    ("arguments", "reported"),
    [
        ('{"city": "Par', '{"city": "Par"]'),
        ("[1, 2]", "[1, 2]"),
        ("city=Paris", "city=Paris"),
    ],
    ids=["cut off (sealed)", "not an object", "not json"],
)
def test_bad_tool_arguments_become_invalid_tool_calls(
    arguments: str, reported: str
) -> None:
    tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": arguments},
        }
    ]
    model, _ = make_model(json_reply(completion("", tool_calls=tool_calls)))
    message = model.invoke("hi")
    assert message.tool_calls == []
    [invalid] = message.invalid_tool_calls
    assert invalid["name"] == "get_weather"
    assert invalid["args"] == reported
    assert invalid["id"] == "call_1"
    assert invalid["error"]


def test_invalid_tool_call_is_echoed_back_in_history() -> None:
    tool_calls = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{"}}
    ]
    model, server = make_model(
        json_reply(completion("", tool_calls=tool_calls)), json_reply(completion())
    )
    first = model.invoke("hi")
    model.invoke([HumanMessage("hi"), first, ToolMessage("oops", tool_call_id="c1")])
    # "{" was cut off: it goes back sealed, as the stream's aggregate has it.
    assert server.bodies[1]["messages"][1]["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{]"}}
    ]


def test_gpt_oss_reasoning_field_is_reasoning_content() -> None:
    body = completion(
        "42.", model="gpt-oss-120b", message={"reasoning": "6 times 7 is 42"}
    )
    model, _ = make_model(json_reply(body), model="gpt-oss-120b")
    message = model.invoke("6*7?")
    assert message.content == "42."
    assert message.additional_kwargs["reasoning_content"] == "6 times 7 is 42"


def test_deepseek_think_block_is_reasoning_content() -> None:
    body = completion("<think>\nThe user greets me.\n</think>\n\nHello!")
    model, _ = make_model(json_reply(body))
    message = model.invoke("hi")
    assert message.content == "Hello!"
    assert "<think>" not in message.content
    assert message.additional_kwargs["reasoning_content"] == "The user greets me."


def test_no_reasoning_content_without_reasoning() -> None:
    model, _ = make_model(json_reply(completion("Plain <think> is just text")))
    message = model.invoke("hi")
    assert message.content == "Plain <think> is just text"
    assert "reasoning_content" not in message.additional_kwargs


def test_null_content_is_empty_string() -> None:
    tool_calls = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    model, _ = make_model(json_reply(completion(None, tool_calls=tool_calls)))
    message = model.invoke("hi")
    assert message.content == ""
    assert message.tool_calls[0]["name"] == "f"


def test_reasoning_content_field_is_reasoning_content() -> None:
    # Other OpenAI-compatible servers name the field reasoning_content.
    body = completion("42.", message={"reasoning_content": "6 times 7"})
    model, _ = make_model(json_reply(body))
    message = model.invoke("6*7?")
    assert message.content == "42."
    assert message.additional_kwargs["reasoning_content"] == "6 times 7"


def test_logprobs_come_back_in_response_metadata() -> None:
    body = completion("Hi")
    body["choices"][0]["logprobs"] = LOGPROBS
    model, _ = make_model(json_reply(body))
    message = model.invoke("hi", logprobs=True)
    assert message.response_metadata["logprobs"] == LOGPROBS


def test_no_logprobs_key_without_logprobs() -> None:
    model, _ = make_model(json_reply(completion("Hi")))
    assert "logprobs" not in model.invoke("hi").response_metadata


def test_a_tool_call_cut_off_by_the_token_limit_is_not_runnable() -> None:
    # Issue 9, fault 7: finish_reason "length" inside the arguments.
    calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {
                "name": "get_weather",
                "arguments": '{"city": "San Francisco", "unit": "fahr',
            },
        }
    ]
    body = completion("", tool_calls=calls, finish_reason="length")
    model, _ = make_model(json_reply(body))
    message = model.invoke("hi")
    assert message.tool_calls == []
    [invalid] = message.invalid_tool_calls
    assert invalid["args"] == '{"city": "San Francisco", "unit": "fahr"]'
    assert "cut off" in invalid["error"]
    assert message.response_metadata["finish_reason"] == "length"


def test_complete_arguments_stay_runnable_when_a_later_call_is_cut_off() -> None:
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "a", "arguments": "{}"}},
        {"id": "c2", "type": "function", "function": {"name": "b", "arguments": '{"x'}},
    ]
    model, _ = make_model(
        json_reply(completion("", tool_calls=calls, finish_reason="length"))
    )
    message = model.invoke("hi")
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("a", {})]
    assert [c["name"] for c in message.invalid_tool_calls] == ["b"]


def test_an_answer_with_no_choices_is_an_error() -> None:
    model, _ = make_model(json_reply({**completion("x"), "choices": None}))
    with pytest.raises(ResponseDecodeError) as raised:
        model.invoke("hi")
    assert raised.value.message == (
        "The response has no choices: the server returned no answer."
    )


# ---------------------------------------------------------------------------
# Several choices (n > 1)
# ---------------------------------------------------------------------------


def _choices_body(*texts: str, reverse: bool = False) -> dict[str, Any]:
    body = completion(texts[0])
    choices = [
        {
            **body["choices"][0],
            "index": i,
            "message": {"role": "assistant", "content": t},
        }
        for i, t in enumerate(texts)
    ]
    body["choices"] = choices[::-1] if reverse else choices
    return body


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "reversed"])
def test_generate_returns_one_generation_per_choice(reverse: bool) -> None:
    model, _ = make_model(
        json_reply(_choices_body("Hello", "Bonjour", reverse=reverse))
    )
    result = model.generate([[HumanMessage("hi")]], n=2)
    [generations] = result.generations
    assert [g.message.content for g in generations] == ["Hello", "Bonjour"]
    assert model.invoke("hi", n=2).content == "Hello"


def test_a_choice_without_an_index_counts_as_its_position() -> None:
    """Choices lacking an index sort by their place in the body among the rest."""
    body = _choices_body("Hello", "Bonjour", "Hallo")
    del body["choices"][0]["index"]
    body["choices"][1:] = body["choices"][:0:-1]  # index 2, then index 1
    result = chat_result_from_response(body)
    assert [g.message.content for g in result.generations] == [
        "Hello",
        "Bonjour",
        "Hallo",
    ]


async def test_agenerate_returns_one_generation_per_choice() -> None:
    model, _ = make_model(json_reply(_choices_body("Hello", "Bonjour")))
    result = await model.agenerate([[HumanMessage("hi")]], n=2)
    assert [g.message.content for g in result.generations[0]] == ["Hello", "Bonjour"]


# ---------------------------------------------------------------------------
# Shapes the API does not promise (issue 9, fault 8)
# ---------------------------------------------------------------------------


def _with(change: Any) -> dict[str, Any]:
    body = completion("Hi")
    change(body)
    return body


def _tool_calls(calls: Any) -> Any:
    return lambda body: body["choices"][0]["message"].update(tool_calls=calls)


ODD_BODIES = {
    "choices [null]": (
        _with(lambda b: b.update(choices=[None])),
        "each entry of choices should be an object, got None.",
    ),
    "choices an object": (
        _with(lambda b: b.update(choices={"0": {}})),
        "choices should be a list, got {'0': {}}.",
    ),
    "message a string": (
        _with(lambda b: b["choices"][0].update(message="Hi")),
        "choices[].message should be an object, got 'Hi'.",
    ),
    "content a number": (
        _with(lambda b: b["choices"][0]["message"].update(content=4)),
        "message.content should be a string, got 4.",
    ),
    "tool_calls [null]": (
        _with(_tool_calls([None])),
        "each entry of message.tool_calls should be an object, got None.",
    ),
    "tool_calls a string": (
        _with(_tool_calls("call")),
        "message.tool_calls should be a list, got 'call'.",
    ),
    "function a string": (
        _with(_tool_calls([{"id": "c", "function": "f"}])),
        "tool_calls[].function should be an object, got 'f'.",
    ),
    "function name a number": (
        _with(_tool_calls([{"id": "c", "function": {"name": 3}}])),
        "tool_calls[].function.name should be a string, got 3.",
    ),
    "tool call id a number": (
        _with(_tool_calls([{"id": 9, "function": {"name": "f"}}])),
        "tool_calls[].id should be a string, got 9.",
    ),
    "choice index a word": (
        _with(lambda b: b["choices"][0].update(index="first")),
        "choices[].index should be a non-negative integer, got 'first'.",
    ),
    "finish_reason a number": (
        _with(lambda b: b["choices"][0].update(finish_reason=1)),
        "choices[].finish_reason should be a string, got 1.",
    ),
    "logprobs a string": (
        _with(lambda b: b["choices"][0].update(logprobs="-0.1")),
        "choices[].logprobs should be an object, got '-0.1'.",
    ),
    "reasoning a list": (
        _with(lambda b: b["choices"][0]["message"].update(reasoning=["x"])),
        "message.reasoning should be a string, got ['x'].",
    ),
    "reasoning_content a number": (
        _with(lambda b: b["choices"][0]["message"].update(reasoning_content=5)),
        "message.reasoning_content should be a string, got 5.",
    ),
    "id a number": (_with(lambda b: b.update(id=8)), "id should be a string, got 8."),
    "model a number": (
        _with(lambda b: b.update(model=7)),
        "model should be a string, got 7.",
    ),
    "system_fingerprint a list": (
        _with(lambda b: b.update(system_fingerprint=["f"])),
        "system_fingerprint should be a string, got ['f'].",
    ),
}


@pytest.mark.parametrize(("body", "said"), ODD_BODIES.values(), ids=ODD_BODIES.keys())
async def test_odd_shapes_raise_response_decode_error_naming_the_field(
    body: dict[str, Any], said: str
) -> None:
    """An odd body raises ResponseDecodeError naming the field and its value."""
    model, _ = make_model(json_reply(body), max_retries=0)
    with pytest.raises(ResponseDecodeError, match="not what the API promises") as info:
        model.invoke("hi")
    assert said in str(info.value)
    with pytest.raises(ResponseDecodeError, match="not what the API promises") as info:
        await model.ainvoke("hi")
    assert said in str(info.value)


def test_nulls_count_as_absent() -> None:
    body = completion(None)
    body["choices"][0]["message"].update(tool_calls=None, reasoning=None)
    body["choices"][0]["logprobs"] = None
    result = chat_result_from_response(body)
    message = result.generations[0].message
    assert (message.content, message.tool_calls) == ("", [])


def test_logprobs_are_in_the_message_and_the_generation_info() -> None:
    # Callers of _generate (LLMResult users, the v2 event stream) see the
    # message and generation as built here, before langchain-core merges them.
    body = completion("Hi")
    body["choices"][0]["logprobs"] = LOGPROBS
    [generation] = chat_result_from_response(body).generations
    assert generation.message.response_metadata["logprobs"] == LOGPROBS
    assert generation.generation_info == {"finish_reason": "stop", "logprobs": LOGPROBS}


def test_the_message_metadata_is_what_the_body_names() -> None:
    """Model, fingerprint and finish reason are set on the message itself."""
    [generation] = chat_result_from_response(completion("Hi")).generations
    metadata = generation.message.response_metadata
    assert metadata["model_name"] == MODEL
    assert metadata["system_fingerprint"] == "fastcoe"
    assert metadata["finish_reason"] == "stop"
    assert metadata["model_provider"] == "sambanova"


def test_fields_the_body_lacks_are_absent_from_the_metadata() -> None:
    """No None stands in for an absent model, fingerprint or finish reason."""
    body = completion("Hi", finish_reason=None)
    del body["model"], body["system_fingerprint"], body["usage"]
    result = chat_result_from_response(body)
    metadata = result.generations[0].message.response_metadata
    assert metadata == {"model_provider": "sambanova"}
    assert result.llm_output == {}


def test_llm_output_carries_usage_model_and_fingerprint() -> None:
    """llm_output has the raw token usage, the model and the fingerprint."""
    usage = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    result = chat_result_from_response(completion("Hi", usage=usage))
    assert result.llm_output == {
        "token_usage": usage,
        "model_name": MODEL,
        "system_fingerprint": "fastcoe",
    }
