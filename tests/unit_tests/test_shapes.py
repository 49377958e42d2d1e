"""Shape checks on responses (``_shapes``): the value, or a typed error naming it."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_provider import ResponseDecodeError
from langchain_provider._response import as_index as index
from langchain_provider._response import as_items as items
from langchain_provider._response import as_mapping as mapping
from langchain_provider._response import as_optional_text as optional_text
from langchain_provider._response import as_text as text


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
