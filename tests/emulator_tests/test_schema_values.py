"""The JSON-schema instance generator, checked against jsonschema itself."""

from __future__ import annotations

import jsonschema
import pytest

from langchain_provider.emulator._schema_values import Hints, instance_for

SCHEMAS = [
    {"type": "string"},
    {"type": "integer", "minimum": 5, "maximum": 9},
    {"type": "number", "exclusiveMinimum": 1},
    {"type": "integer", "exclusiveMaximum": -3},
    {"type": "boolean"},
    {"type": "null"},
    {"type": ["null", "string"]},
    {"const": 42},
    {"enum": ["x", "y"]},
    {"type": "string", "minLength": 10, "maxLength": 12},
    {"type": "string", "format": "date-time"},
    {"type": "array", "items": {"type": "integer"}, "minItems": 3},
    {"type": "array", "items": {"type": "integer"}, "maxItems": 0},
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
    {"oneOf": [{"type": "integer"}, {"type": "string"}]},
    {"allOf": [{"properties": {"a": {"type": "string"}}, "required": ["a"]}]},
    {
        "type": "object",
        "properties": {"child": {"$ref": "#/definitions/Node"}},
        "definitions": {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {
                        "type": "array",
                        "items": {"$ref": "#/definitions/Node"},
                    },
                },
                "required": ["value"],
            }
        },
    },
    {},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_instances_validate(schema):
    jsonschema.validate(instance_for(schema), schema)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_instances_validate_with_hints(schema):
    hints = Hints.from_text('Ask "Zed" about 7 or 2.5 in Berlin')
    jsonschema.validate(instance_for(schema, hints), schema)


def test_hints_fill_fields_in_order():
    schema = {
        "type": "object",
        "properties": {
            "x": {"type": "number"},
            "city": {"type": "string"},
            "y": {"type": "integer"},
            "unit": {"enum": ["celsius", "fahrenheit"]},
        },
    }
    hints = Hints.from_text("What is 2.5 plus 4 in New York, in Fahrenheit?")
    assert instance_for(schema, hints) == {
        "x": 2.5,
        "city": "New York",
        "y": 4,
        "unit": "fahrenheit",
    }


def test_hints_out_of_bounds_are_skipped():
    schema = {"type": "integer", "minimum": 10}
    assert instance_for(schema, Hints.from_text("3 then 12")) == 12
