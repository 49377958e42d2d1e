"""``n`` choices, ``seed`` and log probabilities, bodies and streams alike."""

from __future__ import annotations

import math

from .helpers import chat_body, complete, post, stream_chunks, streamed_content

TOOL = {"type": "function", "function": {"name": "f", "parameters": {}}}


def test_n_choices_each_with_its_index_and_distinct_text(emu, client):
    body = complete(client, emu, n=3, content="hi")
    choices = body["choices"]
    assert [c["index"] for c in choices] == [0, 1, 2]
    texts = [c["message"]["content"] for c in choices]
    assert texts[0] == "Emulated reply to: hi"
    assert texts[1:] == [f"{texts[0]} (choice 2)", f"{texts[0]} (choice 3)"]
    assert all(c["finish_reason"] == "stop" for c in choices)


def test_usage_counts_every_choice(emu, client):
    one = complete(client, emu, content="hi")["usage"]["completion_tokens"]
    three = complete(client, emu, n=3, content="hi")["usage"]
    assert three["completion_tokens"] > 3 * one
    assert three["total_tokens"] == three["prompt_tokens"] + three["completion_tokens"]


def test_n_with_tools_is_a_400(emu, client):
    response = post(client, emu, chat_body(n=2, tools=[TOOL]))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "n"


def test_streamed_choices_carry_their_index(emu, client):
    chunks = stream_chunks(client, emu, n=2, content="hi")
    by_index: dict[int, str] = {}
    finishes = []
    for chunk in chunks:
        for choice in chunk["choices"]:
            by_index.setdefault(choice["index"], "")
            by_index[choice["index"]] += choice["delta"].get("content") or ""
            if choice["finish_reason"]:
                finishes.append(choice["index"])
    assert by_index == {
        0: "Emulated reply to: hi",
        1: "Emulated reply to: hi (choice 2)",
    }
    assert finishes == [0, 1]


def _logprobs(body):
    return [c["logprobs"]["content"] for c in body["choices"]]


def test_logprobs_one_entry_per_token_in_the_openai_shape(emu, client):
    body = complete(client, emu, logprobs=True, top_logprobs=3, content="hi")
    [entries] = _logprobs(body)
    assert (
        "".join(e["token"] for e in entries) == body["choices"][0]["message"]["content"]
    )
    for entry in entries:
        assert entry["logprob"] <= 0 and math.isfinite(entry["logprob"])
        assert bytes(entry["bytes"]).decode() == entry["token"]
        tops = entry["top_logprobs"]
        assert len(tops) == 3
        assert tops[0]["token"] == entry["token"]
        assert tops[0]["logprob"] == entry["logprob"]
        assert [t["logprob"] for t in tops] == sorted(
            (t["logprob"] for t in tops), reverse=True
        )


def test_top_logprobs_twenty_and_zero(emu, client):
    [entries] = _logprobs(complete(client, emu, logprobs=True, top_logprobs=20))
    assert all(len(e["top_logprobs"]) == 20 for e in entries)
    [entries] = _logprobs(complete(client, emu, logprobs=True, top_logprobs=0))
    assert all(e["top_logprobs"] == [] for e in entries)


def test_no_logprobs_unless_asked(emu, client):
    assert complete(client, emu)["choices"][0]["logprobs"] is None
    chunks = stream_chunks(client, emu)
    assert all(c["logprobs"] is None for chunk in chunks for c in chunk["choices"])


def test_same_seed_same_logprobs_other_seed_other_logprobs(emu, client):
    fields = {"logprobs": True, "top_logprobs": 2, "content": "hi"}
    first = _logprobs(complete(client, emu, seed=7, **fields))
    again = _logprobs(complete(client, emu, seed=7, **fields))
    other = _logprobs(complete(client, emu, seed=8, **fields))
    unseeded = _logprobs(complete(client, emu, **fields))
    assert first == again
    assert first != other
    assert first != unseeded


def test_streamed_logprobs_match_the_streamed_tokens(emu, client):
    emu.config.tokens_per_chunk = 2
    chunks = stream_chunks(client, emu, logprobs=True, top_logprobs=1, seed=3)
    entries = [
        entry
        for chunk in chunks
        for choice in chunk["choices"]
        if choice["logprobs"]
        for entry in choice["logprobs"]["content"]
    ]
    text = streamed_content(chunks)
    assert "".join(e["token"] for e in entries) == text
    body = complete(client, emu, logprobs=True, top_logprobs=1, seed=3)
    assert _logprobs(body)[0] == entries  # the same seed, streamed or not


def test_logprobs_per_choice(emu, client):
    body = complete(client, emu, n=2, logprobs=True, seed=1, content="hi")
    first, second = _logprobs(body)
    assert "".join(e["token"] for e in second).endswith("(choice 2)")
    assert [e["logprob"] for e in first] != [e["logprob"] for e in second[: len(first)]]
