"""The ``<think>`` splitter (``_think``): whole messages and streams agree.

The streaming splitter is checked against the whole-message split for every
way of cutting a message into three chunks; the block ends at the first
``</think>`` in both.
"""

from __future__ import annotations

import pytest

from langchain_provider._response import ThinkSplitter, split_think_tags


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
