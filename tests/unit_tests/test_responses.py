"""What a call returns: whole responses to messages (choices, usage, timing,
<think> reasoning, shapes the API does not promise) and content blocks.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.messages.block_translators import (
    PROVIDER_TRANSLATORS,
    get_translator,
)

from langchain_provider import ResponseDecodeError
from langchain_provider import _langchain as _translator
from langchain_provider._response import (
    ThinkSplitter,
    chat_result_from_response,
    combine_token_usage,
    raw_usage,
    reports_usage,
    split_think_tags,
    timing_from,
    usage_metadata_from,
)
from langchain_provider.errors import as_index as index
from langchain_provider.errors import as_items as items
from langchain_provider.errors import as_mapping as mapping
from langchain_provider.errors import as_optional_text as optional_text
from langchain_provider.errors import as_text as text
from unit_tests.conftest import (
    LIVE_TIMING,
    LIVE_USAGE,
    MODEL,
    chunk,
    completion,
    json_reply,
    make_model,
    sse_reply,
    usage_chunk,
)

# ============================================================================
# Non-streaming responses to LangChain results (``_response``), through ``invoke``.
# One generation per choice, reasoning, tool calls (cut-off arguments never
# runnable), log probabilities, and bodies of shapes the API does not promise,
# which raise ``ResponseDecodeError`` instead of a raw exception.
# ============================================================================

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


# ============================================================================
# Shape checks on responses (``_shapes``): the value, or a typed error naming it.
# ============================================================================


def test_values_of_the_promised_shape_pass_and_null_is_absent() -> None:
    assert mapping({"a": 1}, "x") == {"a": 1}
    assert mapping(None, "x") == {}
    assert items([{"a": 1}], "x") == [{"a": 1}]
    assert items(None, "x") == []
    assert text("t", "x") == "t"
    assert text(None, "x") == ""
    assert optional_text(None, "x") is None
    assert optional_text("t", "x") == "t"
    assert index(None, "x") is None
    assert index(0, "x") == 0
    assert index(3, "x") == 3
    assert index("2", "x") == 2


@pytest.mark.parametrize(
    ("check", "value", "said"),
    [
        (mapping, "s", "the_field should be an object, got 's'."),
        (mapping, [1], "the_field should be an object, got [1]."),
        (items, "s", "the_field should be a list, got 's'."),
        (items, {"a": 1}, "the_field should be a list, got {'a': 1}."),
        (items, [None], "each entry of the_field should be an object, got None."),
        (
            items,
            [{"a": 1}, "s"],
            "each entry of the_field should be an object, got 's'.",
        ),
        (text, 1, "the_field should be a string, got 1."),
        (text, ["s"], "the_field should be a string, got ['s']."),
        (optional_text, 1.5, "the_field should be a string, got 1.5."),
        (index, "first", "the_field should be a non-negative integer, got 'first'."),
        (index, -1, "the_field should be a non-negative integer, got -1."),
        (index, True, "the_field should be a non-negative integer, got True."),
        (index, 1.0, "the_field should be a non-negative integer, got 1.0."),
    ],
)
def test_other_shapes_raise_a_typed_error_naming_field_shape_and_value(
    check: Any, value: Any, said: str
) -> None:
    """The message names the field, the shape it should have and the value."""
    with pytest.raises(ResponseDecodeError) as info:
        check(value, "the_field")
    assert str(info.value).endswith(
        f"The response is not what the API promises: {said}"
    )


@pytest.mark.parametrize(
    ("length", "shown"),
    [
        (79, "'" + "x" * 77 + "'"),
        (80, "'" + "x" * 78 + "'"),
        (81, "'" + "x" * 76 + "..."),
    ],
    ids=["short", "80 shown whole", "81 cut"],
)
def test_a_value_over_80_characters_is_cut_in_the_message(
    length: int, shown: str
) -> None:
    """A value's repr is shown whole up to 80 characters, else cut to 80 with '...'."""
    value = "x" * (length - 2)  # the repr adds two quotes
    with pytest.raises(ResponseDecodeError) as info:
        mapping(value, "f")
    assert str(info.value).endswith(f"f should be an object, got {shown}.")


# ============================================================================
# Usage and timing: both namings the service uses, on invoke and on streams.
# ============================================================================

REFERENCE_FIELDS = {
    "time_to_first_token": 0.05,
    "throughput_after_first_token": 300.5,
    "model_execution_time": 0.2,
    "queue_time": 0.01,
    "input_tokens_count": 12,
    "output_tokens_count": 8,
    "total_tokens_count": 20,
}
REFERENCE_TIMING = {
    "time_to_first_token": 0.05,
    "throughput_after_first_token": 300.5,
    "model_execution_time": 0.2,
    "queue_time": 0.01,
}
REFERENCE_USAGE_METADATA = {"input_tokens": 12, "output_tokens": 8, "total_tokens": 20}


def _body(where: str) -> dict[str, Any]:
    """A response body reporting usage in one of the places servers use."""
    if where == "live usage":
        return completion(usage=dict(LIVE_USAGE))
    if where == "reference names inside usage":
        return completion(usage=dict(REFERENCE_FIELDS))
    body = completion()
    del body["usage"]
    body.update(REFERENCE_FIELDS)  # "reference names at top level"
    return body


CASES = [
    (
        "live usage",
        LIVE_TIMING,
        {"input_tokens": 10, "output_tokens": 51, "total_tokens": 61},
    ),
    ("reference names inside usage", REFERENCE_TIMING, REFERENCE_USAGE_METADATA),
    ("reference names at top level", REFERENCE_TIMING, REFERENCE_USAGE_METADATA),
]


@pytest.mark.parametrize(("where", "timing", "usage"), CASES, ids=[c[0] for c in CASES])
def test_invoke_maps_both_namings(
    where: str, timing: dict[str, float], usage: dict[str, int]
) -> None:
    model, _ = make_model(json_reply(_body(where)))
    message = model.invoke("hi")
    assert message.response_metadata["timing"] == timing
    assert message.usage_metadata == usage


@pytest.mark.parametrize(("where", "timing", "usage"), CASES, ids=[c[0] for c in CASES])
async def test_stream_maps_both_namings(
    where: str, timing: dict[str, float], usage: dict[str, int]
) -> None:
    last = usage_chunk()
    del last["usage"]
    if where == "live usage":
        last["usage"] = dict(LIVE_USAGE)
    elif where == "reference names inside usage":
        last["usage"] = dict(REFERENCE_FIELDS)
    else:
        last.update(REFERENCE_FIELDS)
    events = [chunk({"content": "Hi"}), chunk({}, finish_reason="stop"), last]
    model, _ = make_model(sse_reply(events))
    aggregate = None
    async for piece in model.astream("hi"):
        aggregate = piece if aggregate is None else aggregate + piece
    assert aggregate is not None
    assert aggregate.response_metadata["timing"] == timing
    assert aggregate.usage_metadata == usage


def test_raw_usage_is_reported_as_sent() -> None:
    model, _ = make_model(json_reply(completion(usage=dict(LIVE_USAGE))))
    message = model.invoke("hi")
    assert message.response_metadata["token_usage"] == LIVE_USAGE


def test_top_level_reference_fields_join_the_raw_usage() -> None:
    model, _ = make_model(json_reply(_body("reference names at top level")))
    message = model.invoke("hi")
    assert message.response_metadata["token_usage"] == REFERENCE_FIELDS


def test_usage_inside_wins_over_top_level() -> None:
    body = completion(usage={"prompt_tokens": 1, "completion_tokens": 2})
    body["time_to_first_token"] = 0.9
    body["input_tokens_count"] = 100
    usage = raw_usage(body)
    assert usage == {
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "time_to_first_token": 0.9,
        "input_tokens_count": 100,
    }
    # The live name is preferred for counts when both are present.
    metadata = usage_metadata_from(usage)
    assert metadata is not None
    assert metadata["input_tokens"] == 1


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_the_usage_object_wins_over_the_same_field_at_top_level(stream: bool) -> None:
    # The public cloud reports in `usage` (wire-format.md); the reference
    # page's top-level fields only fill in what `usage` lacks, and a null
    # there counts as absent.
    usage = {"prompt_tokens": 3, "completion_tokens": 4, "time_to_first_token": 0.1}
    top = {"time_to_first_token": 0.9, "queue_time": None, "model_execution_time": 2}
    if stream:
        last = {**usage_chunk(usage), **top}
        reply = sse_reply(
            [chunk({"content": "Hi"}), chunk({}, finish_reason="stop"), last]
        )
    else:
        reply = json_reply({**completion(usage=usage), **top})
    model, _ = make_model(reply)
    message = (
        functools.reduce(operator.add, model.stream("hi"))
        if stream
        else model.invoke("hi")
    )
    assert message.response_metadata["token_usage"] == {
        **usage,
        "model_execution_time": 2,
    }
    assert message.response_metadata["timing"] == {
        "time_to_first_token": 0.1,
        "model_execution_time": 2.0,
    }


def test_reports_usage() -> None:
    assert reports_usage({"usage": {"prompt_tokens": 1}})
    assert reports_usage({"usage": None, "output_tokens_count": 3})
    assert not reports_usage({"usage": None, "choices": []})
    assert not reports_usage(chunk({"content": "x"}))


def test_cached_and_reasoning_token_details() -> None:
    usage = {
        "prompt_tokens": 30,
        "completion_tokens": 20,
        "total_tokens": 50,
        "prompt_tokens_details": {"cached_tokens": 16},
        "completion_tokens_details": {"reasoning_tokens": 12},
    }
    model, _ = make_model(json_reply(completion(usage=usage)))
    message = model.invoke("hi")
    assert message.usage_metadata == {
        "input_tokens": 30,
        "output_tokens": 20,
        "total_tokens": 50,
        "input_token_details": {"cache_read": 16},
        "output_token_details": {"reasoning": 12},
    }


def test_no_usage_no_metadata() -> None:
    body = completion()
    del body["usage"]
    model, _ = make_model(json_reply(body))
    message = model.invoke("hi")
    assert message.usage_metadata is None
    assert "timing" not in message.response_metadata
    assert "token_usage" not in message.response_metadata


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (
            {"prompt_tokens": 5, "completion_tokens": 3},
            {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
        ),
        (
            {"prompt_tokens": 5, "completion_tokens": None, "total_tokens": "5"},
            {"input_tokens": 5, "output_tokens": 0, "total_tokens": 5},
        ),
        (
            {"prompt_tokens": True, "completion_tokens": 4},
            {"input_tokens": 0, "output_tokens": 4, "total_tokens": 4},
        ),
        (
            {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 10},
            {"input_tokens": 5, "output_tokens": 3, "total_tokens": 10},
        ),
        ({"time_to_first_token": 0.1}, None),
        ({}, None),
        (
            {
                "prompt_tokens": 5,
                "completion_tokens": 3,
                "prompt_tokens_details": None,
                "completion_tokens_details": {"reasoning_tokens": None},
            },
            {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
        ),
    ],
    ids=[
        "no total",
        "null and string",
        "bool is not a count",
        "the server's total wins",
        "timing only",
        "empty",
        "null details",
    ],
)
def test_usage_metadata_from(usage: dict[str, Any], expected: Any) -> None:
    assert usage_metadata_from(usage) == expected


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (
            {"completion_tokens_after_first_per_sec": 200, "total_latency": 1},
            {"throughput_after_first_token": 200.0, "model_execution_time": 1.0},
        ),
        (
            # The reference name is preferred when both are present.
            {
                "throughput_after_first_token": 300,
                "completion_tokens_after_first_per_sec": 1,
            },
            {"throughput_after_first_token": 300.0},
        ),
        ({"time_to_first_token": None, "queue_time": "0.1"}, {}),
        (
            {"time_to_first_token": 0, "queue_time": 0.002},
            {"time_to_first_token": 0.0, "queue_time": 0.002},
        ),
    ],
    ids=["live", "both namings", "null and string", "zero is a value"],
)
def test_timing_from(usage: dict[str, Any], expected: dict[str, float]) -> None:
    assert timing_from(usage) == expected


def test_combine_token_usage_sums_only_integer_counts() -> None:
    combined = combine_token_usage(
        [
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "total_tokens": 15,
                "time_to_first_token": 0.1,
                "is_last_response": True,
            },
            None,
            {"prompt_tokens": None, "completion_tokens": "7", "total_tokens": 7},
            {},
            {"input_tokens_count": 4, "output_tokens_count": 2, "stop_reason": "stop"},
        ]
    )
    assert combined == {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 22,
        "input_tokens_count": 4,
        "output_tokens_count": 2,
    }


# ============================================================================
# The ``<think>`` splitter (``_think``): whole messages and streams agree.
# The streaming splitter is checked against the whole-message split for every
# way of cutting a message into three chunks; the block ends at the first
# ``</think>`` in both.
# ============================================================================


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<think>a</think>b", ("a", "b")),
        ("  <think>\na\n</think>\n\nb", ("a", "b")),
        ("<think>unfinished", ("unfinished", "")),
        ("answer <think>x</think>", (None, "answer <think>x</think>")),
        ("", (None, "")),
        # The first "</think>" ends the block; the answer may mention the tag.
        ("<think>a</think>b</think>c", ("a", "b</think>c")),
    ],
)
def test_split_think_tags(content: str, expected: tuple) -> None:
    assert split_think_tags(content) == expected


THINK_SAMPLES = [
    "<think>\nI reason.\n</think>\n\nThe answer.",
    "  <think> a < b </think>  x",
    "<think>unfinished  ",
    "<think>\n\n</think>\n\nA",
    "<thinking>x",
    "plain <think>",
    "<think></th",
    "<think>",
    "<think>a </th",
    "Answer\n\n",
    "<think>a</think>b</think>c",
]


def _streamed(pieces: list[str]) -> tuple[str, str]:
    splitter = ThinkSplitter()
    reasoning = answer = ""
    for piece in pieces:
        think, text = splitter.split(piece)
        reasoning, answer = reasoning + think, answer + text
    think, text = splitter.flush()
    return reasoning + think, answer + text


@pytest.mark.parametrize("content", THINK_SAMPLES)
def test_think_split_is_the_same_wherever_the_chunks_break(content: str) -> None:
    # Every way of cutting the content into three chunks must give what the
    # non-streaming conversion gives for the whole.
    expected_reasoning, expected_answer = split_think_tags(content)
    n = len(content)
    for i in range(n + 1):
        for j in range(i, n + 1):
            pieces = [content[:i], content[i:j], content[j:]]
            assert _streamed(pieces) == (expected_reasoning or "", expected_answer), (
                pieces
            )


def test_a_possible_tag_is_held_back_until_decided() -> None:
    splitter = ThinkSplitter()
    assert splitter.split("<th") == ("", "")
    assert splitter.split("ink>abc</th") == ("abc", "")
    assert splitter.split("ink> answer") == ("", "answer")
    assert splitter.flush() == ("", "")


@pytest.mark.parametrize(
    ("piece", "reasoning"),
    [("abc", "abc"), ("a < b", "a < b"), ("abc  ", "abc"), ("abc </thi", "abc")],
)
def test_reasoning_goes_out_at_once_but_for_a_possible_closing_tag(
    piece: str, reasoning: str
) -> None:
    """Only a tail that may start "</think>" (and the blanks before it) waits."""
    splitter = ThinkSplitter()
    assert splitter.split("<think>") == ("", "")
    assert splitter.split(piece) == (reasoning, "")


def test_held_back_text_is_settled_by_flush() -> None:
    before = ThinkSplitter()
    assert before.split("<") == ("", "")
    assert before.flush() == ("", "<")
    inside = ThinkSplitter()
    assert inside.split("<think>pondering</th") == ("pondering", "")
    assert inside.flush() == ("</th", "")


# ============================================================================
# Standard content blocks for ``model_provider="sambanova"`` (``_translator``).
# Each case goes through the real client (invoke, or a stream aggregated the
# way LangChain does) and reads ``content_blocks`` or the v1 content.
# ============================================================================

GPT_OSS = "gpt-oss-120b"
R1 = "DeepSeek-R1-0528"
PLAN = "I will call get_weather."


def _call(call_id: str | None, arguments: str, *, index: int | None = 0) -> dict:
    raw: dict[str, Any] = {
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments},
    }
    if call_id is not None:
        raw["id"] = call_id
    if index is not None:
        raw["index"] = index
    return raw


def _invoke(message: dict[str, Any], model: str = GPT_OSS, **kwargs: Any) -> AIMessage:
    body = completion(None, model=model, message=message, finish_reason="tool_calls")
    llm, _ = make_model(json_reply(body), model=model, **kwargs)
    return llm.invoke("Weather in Paris?")


def _stream(deltas: list[dict[str, Any]], model: str = GPT_OSS, **kwargs: Any) -> Any:
    events = [chunk(delta, model=model) for delta in deltas]
    events += [
        chunk({"content": ""}, finish_reason="stop", model=model),
        usage_chunk(model=model),
    ]
    llm, _ = make_model(sse_reply(events), model=model, **kwargs)
    aggregate: AIMessageChunk | None = None
    for piece in llm.stream("Weather in Paris?"):
        aggregate = piece if aggregate is None else aggregate + piece
    assert aggregate is not None
    return aggregate


def _types(blocks: list[Any]) -> list[str]:
    return [block["type"] for block in blocks]


def test_registered_for_sambanova() -> None:
    translator = get_translator("sambanova")
    assert translator is not None
    assert translator["translate_content"] is _translator.translate_content


def test_invoke_reasoning_text_and_tool_calls() -> None:
    message = _invoke(
        {
            "content": "Let me check.",
            "reasoning": PLAN,
            "tool_calls": [
                _call("call_1", '{"city": "Paris"}', index=None),
                _call(None, '{"city": "Rome"}', index=None),
                _call("call_3", '{"city": ', index=None),
            ],
        }
    )
    blocks = message.content_blocks
    assert _types(blocks) == [
        "reasoning",
        "text",
        "tool_call",
        "tool_call",
        "invalid_tool_call",
    ]
    assert blocks[0]["reasoning"] == PLAN
    assert blocks[1]["text"] == "Let me check."
    assert blocks[2]["id"] == "call_1" and blocks[2]["args"] == {"city": "Paris"}
    # A call sent without an id gets one: agents pair results with calls by id.
    assert blocks[3]["id"].startswith("call_") and blocks[3]["args"] == {"city": "Rome"}
    invalid = blocks[4]
    # The cut-off arguments, sealed so no partial-JSON parser completes them
    # into a runnable call (see _tool_calls.cut_off_seal).
    assert invalid["id"] == "call_3" and invalid["args"].startswith('{"city": ')
    assert "incomplete JSON" in invalid["error"]


def test_invoke_think_tags() -> None:
    message = _invoke({"content": "<think>\nHmm.\n</think>\n\nParis."}, model=R1)
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "Hmm."},
        {"type": "text", "text": "Paris."},
    ]


def test_hand_built_think_content_is_split() -> None:
    message = AIMessage(
        "<think>plan</think>answer", response_metadata={"model_provider": "sambanova"}
    )
    assert _types(message.content_blocks) == ["reasoning", "text"]


def test_list_content_falls_back_to_langchain_core() -> None:
    message = AIMessage(
        [{"type": "text", "text": "hi"}],
        response_metadata={"model_provider": "sambanova"},
    )
    with pytest.raises(NotImplementedError):
        _translator.translate_content(message)
    assert message.content_blocks == [{"type": "text", "text": "hi"}]


FRAGMENTS = [
    {"role": "assistant", "reasoning": "I will ", "channel": "analysis"},
    {"reasoning": "call get_weather."},
    {"tool_calls": [_call("call_1", "")]},
    {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
    {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
]
WHOLE_NO_ID = [
    {"role": "assistant", "reasoning": PLAN},
    {"tool_calls": [_call(None, '{"city": "Paris"}', index=None)]},
    {"tool_calls": [_call(None, "city=Rome", index=None)]},
]


@pytest.mark.parametrize("deltas", [FRAGMENTS, WHOLE_NO_ID], ids=["fragments", "whole"])
def test_stream_aggregate(deltas: list[dict[str, Any]]) -> None:
    aggregate = _stream(deltas)
    blocks = aggregate.content_blocks
    assert blocks[0] == {"type": "reasoning", "reasoning": PLAN}
    calls = [b for b in blocks if b["type"] == "tool_call"]
    assert calls[0]["args"] == {"city": "Paris"} and calls[0]["name"] == "get_weather"
    if deltas is WHOLE_NO_ID:
        # Sent without an id, the call gets one (agents pair results by id).
        assert calls[0]["id"].startswith("call_")
        invalid = [b for b in blocks if b["type"] == "invalid_tool_call"]
        assert len(invalid) == 1 and invalid[0]["args"] == "city=Rome"


def test_stream_aggregate_think_tags() -> None:
    deltas = [
        {"role": "assistant", "content": "<thi"},
        {"content": "nk>Hmm.</th"},
        {"content": "ink>\n\nParis."},
    ]
    blocks = _stream(deltas, model=R1).content_blocks
    assert blocks == [
        {"type": "reasoning", "reasoning": "Hmm."},
        {"type": "text", "text": "Paris."},
    ]


def test_single_chunk_carries_tool_call_chunks() -> None:
    piece = AIMessageChunk(
        content="",
        tool_call_chunks=[
            {
                "name": "f",
                "args": '{"a"',
                "id": None,
                "index": 1,
                "type": "tool_call_chunk",
            }
        ],
        response_metadata={"model_provider": "sambanova"},
    )
    (block,) = piece.content_blocks
    assert block == {
        "type": "tool_call_chunk",
        "id": None,
        "name": "f",
        "args": '{"a"',
        "index": f"{_translator.TOOL_CHUNK_INDEX_PREFIX}1",
    }


def test_tool_call_chunks_without_an_index_are_keyed_by_position() -> None:
    piece = AIMessageChunk(
        content="",
        tool_call_chunks=[
            {"name": "f", "args": "{}", "id": "a", "index": None},
            {"name": "g", "args": "{}", "id": "b", "index": None},
        ],
        response_metadata={"model_provider": "sambanova"},
    )
    prefix = _translator.TOOL_CHUNK_INDEX_PREFIX
    assert [b["index"] for b in piece.content_blocks] == [f"{prefix}0", f"{prefix}1"]


def test_an_invalid_tool_call_block_keeps_the_call_name() -> None:
    message = AIMessage(
        "",
        invalid_tool_calls=[{"name": "f", "args": "{", "id": "c", "error": "bad"}],
        response_metadata={"model_provider": "sambanova"},
    )
    assert message.content_blocks == [
        {
            "type": "invalid_tool_call",
            "id": "c",
            "name": "f",
            "args": "{",
            "error": "bad",
        }
    ]


@pytest.mark.parametrize(
    ("content", "additional_kwargs"),
    [
        ("\n<think>plan</think>answer", {}),
        ("<think>plan</think>answer", {"reasoning_content": ""}),
    ],
    ids=["after leading whitespace", "empty reasoning_content"],
)
def test_a_think_block_in_content_becomes_the_reasoning(
    content: str, additional_kwargs: dict
) -> None:
    message = AIMessage(
        content,
        additional_kwargs=additional_kwargs,
        response_metadata={"model_provider": "sambanova"},
    )
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "plan"},
        {"type": "text", "text": "answer"},
    ]


def test_output_version_v1_invoke() -> None:
    message = _invoke(
        {"content": "", "reasoning": PLAN, "tool_calls": [_call("call_1", "{}")]},
        output_version="v1",
    )
    assert _types(message.content) == ["reasoning", "tool_call"]  # type: ignore[arg-type]


def test_output_version_v1_stream() -> None:
    deltas = [*FRAGMENTS[:2], {"content": "Checking."}, *FRAGMENTS[2:]]
    aggregate = _stream(deltas, output_version="v1")
    content = aggregate.content
    assert _types(content) == ["reasoning", "text", "tool_call"]
    assert content[0]["reasoning"] == PLAN
    assert content[1]["text"] == "Checking."
    assert content[2]["id"] == "call_1" and content[2]["args"] == {"city": "Paris"}


async def test_output_version_v1_astream() -> None:
    events = [chunk(delta, model=GPT_OSS) for delta in FRAGMENTS]
    events += [chunk({"content": ""}, finish_reason="tool_calls", model=GPT_OSS)]
    llm, _ = make_model(sse_reply(events), model=GPT_OSS, output_version="v1")
    aggregate: Any = None
    async for piece in llm.astream("Weather in Paris?"):
        aggregate = piece if aggregate is None else aggregate + piece
    assert _types(aggregate.content) == ["reasoning", "tool_call"]
    assert aggregate.content[1]["args"] == {"city": "Paris"}


def test_id_less_calls_get_ids_so_even_core_keeps_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """langchain-core's fallback drops id-less calls; they no longer are."""
    aggregate = _stream(WHOLE_NO_ID)
    monkeypatch.delitem(PROVIDER_TRANSLATORS, "sambanova")
    assert "tool_call" in _types(aggregate.content_blocks)
