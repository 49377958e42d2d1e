"""JSON schema -> a deterministic instance that is valid against it.

Used for tool-call arguments and ``json_schema`` replies. Where the schema
allows it, values come from the user's message (`Hints`): its numbers fill
integer and number fields in order, its quoted or capitalized phrases fill
string fields in order, and an enum picks a member the message names. This is
what lets a demo agent compute something real ("multiply 6 by 7" -> a=6, b=7).

Handled: type (also a list of types), enum, const, default, properties,
required, items, prefixItems, minItems/maxItems, minLength/maxLength, a few
string formats, minimum/maximum (exclusive too), anyOf/oneOf (first branch),
allOf (merged), and $ref to local pointers (#/$defs/..., #/definitions/...).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”")
_CAPITALIZED_RUN = re.compile(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)$")
# Capitalized only because they open a sentence: not names worth using.
_OPENERS = frozenset(
    "a an and are but call can could did do does find get give hello hey hi how "
    "i if is it let list look make my please show so tell the then there this "
    "use what when where which who why will would you your".split()
)
_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH = 32
_OPTIONAL_DEPTH = 3  # below this, only required properties: stops recursive schemas


@dataclass
class Hints:
    """Values taken from a message, handed out in order to schema fields.

    Attributes:
        numbers: Numbers in the message, in order.
        strings: Quoted phrases and capitalized phrases (minus sentence
            openers such as "What" or "Please"), in order.
        text: The message, lower-cased, for matching enum members.
    """

    numbers: list[float] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)
    text: str = ""

    @classmethod
    def from_text(cls, text: str) -> Hints:
        """Collect hints from a message.

        Args:
            text: The user's message.
        """
        numbers = [float(match) for match in _NUMBER.findall(text)]
        found = [(m.start(), m.group(1) or m.group(2)) for m in _QUOTED.finditer(text)]
        unquoted = _QUOTED.sub(lambda m: " " * len(m.group()), text)
        for match in _CAPITALIZED_RUN.finditer(unquoted):
            words = match.group().split()
            opens = _SENTENCE_START.search(unquoted[: match.start()])
            if opens and words[0].lower() in _OPENERS:
                words = words[1:]  # "What" in "What is ...?" is no name
            phrase = " ".join(word for word in words if word != "I")
            if phrase:
                found.append((match.start(), phrase))
        strings = [phrase for _, phrase in sorted(found)]
        return cls(numbers, strings, text.lower())


def instance_for(schema: Any, hints: Hints | None = None) -> Any:
    """Return a value valid against a JSON schema.

    Args:
        schema: The JSON schema (a dict; ``True``/``{}`` allow anything).
        hints: Values from the user's message to prefer; each one used is
            removed from it, so several calls share one message's values.
    """
    return _Generator(schema, hints or Hints()).value(schema, "", 0)


class _Generator:
    def __init__(self, root: Any, hints: Hints) -> None:
        self.root = root
        self.hints = hints
        self.numbers = hints.numbers
        self.strings = hints.strings

    def value(self, schema: Any, key: str, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "default" in schema:
            return schema["default"]
        if "enum" in schema:
            return self.enum_member(schema["enum"])
        for keyword in ("anyOf", "oneOf"):
            if schema.get(keyword):
                return self.value(schema[keyword][0], key, depth + 1)
        if schema.get("allOf"):
            return self.value(self.merged(schema), key, depth + 1)
        kind = _type_of(schema)
        if kind == "object":
            return self.object_value(schema, depth)
        if kind == "array":
            return self.array_value(schema, key, depth)
        if kind in ("integer", "number"):
            return self.number_value(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self.string_value(schema, key)

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < _MAX_DEPTH:
            target: Any = self.root
            for part in schema["$ref"].lstrip("#").strip("/").split("/"):
                if part:
                    part = part.replace("~1", "/").replace("~0", "~")
                    target = target[part]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings}
            seen += 1
        return schema

    def merged(self, schema: dict[str, Any]) -> dict[str, Any]:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = self.resolve(part)
            for name, item in part.items():
                if name == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **item}
                elif name == "required":
                    merged["required"] = [*merged.get("required", []), *item]
                else:
                    merged.setdefault(name, item)
        return merged

    def enum_member(self, members: list[Any]) -> Any:
        for member in members:
            if isinstance(member, str) and member.lower() in self.hints.text:
                return member
        return members[0] if members else None

    def object_value(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        required = set(schema.get("required", []))
        result = {}
        for name, sub in schema.get("properties", {}).items():
            if name in required or depth < _OPTIONAL_DEPTH:
                result[name] = self.value(sub, name, depth + 1)
        return result

    def array_value(self, schema: dict[str, Any], key: str, depth: int) -> list[Any]:
        prefix = schema.get("prefixItems", [])
        count = max(schema.get("minItems", 0), 1 if depth < _OPTIONAL_DEPTH else 0)
        count = max(min(count, schema.get("maxItems", count)), len(prefix))
        items = schema.get("items", {})
        return [
            self.value(prefix[i] if i < len(prefix) else items, key, depth + 1)
            for i in range(count)
        ]

    def number_value(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        for index, hint in enumerate(self.numbers):
            if (not integer or hint.is_integer()) and _in_bounds(hint, schema):
                del self.numbers[index]
                return int(hint) if integer else hint
        low = schema.get("minimum")
        if "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + (1 if integer else 0.5)
        high = schema.get("maximum")
        if "exclusiveMaximum" in schema:
            high = schema["exclusiveMaximum"] - (1 if integer else 0.5)
        if integer:
            low = None if low is None else math.ceil(low)
            high = None if high is None else math.floor(high)
        value = 0 if low is None else low
        return value if high is None or value <= high else high

    def string_value(self, schema: dict[str, Any], key: str) -> str:
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        value = self.strings.pop(0) if self.strings else f"emulated {key}".strip()
        if "maxLength" in schema:
            value = value[: schema["maxLength"]]
        return value.ljust(schema.get("minLength", 0), "x")


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind:
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _in_bounds(value: float, schema: dict[str, Any]) -> bool:
    checks = (
        ("minimum", lambda bound: value >= bound),
        ("maximum", lambda bound: value <= bound),
        ("exclusiveMinimum", lambda bound: value > bound),
        ("exclusiveMaximum", lambda bound: value < bound),
    )
    return all(name not in schema or ok(schema[name]) for name, ok in checks)
