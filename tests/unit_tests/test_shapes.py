"""Shape checks on responses (``_shapes``): the value, or a typed error naming it."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_provider import ResponseDecodeError
from langchain_provider._shapes import index, items, mapping, optional_text, text


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
    ("check", "value"),
    [
        (mapping, "s"),
        (mapping, [1]),
        (items, "s"),
        (items, {"a": 1}),
        (items, [None]),
        (items, [{"a": 1}, "s"]),
        (text, 1),
        (text, ["s"]),
        (optional_text, 1.5),
        (index, "first"),
        (index, -1),
        (index, True),
        (index, 1.0),
    ],
)
def test_other_shapes_raise_a_typed_error_naming_the_field(
    check: Any, value: Any
) -> None:
    with pytest.raises(ResponseDecodeError, match="the_field") as info:
        check(value, "the_field")
    assert "not what the API promises" in str(info.value)


def test_a_long_value_is_cut_in_the_message() -> None:
    with pytest.raises(ResponseDecodeError) as info:
        text("x" * 5000 and ["x" * 5000], "f")
    assert len(str(info.value)) < 300
