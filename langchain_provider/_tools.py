"""Tools, ``tool_choice`` and JSON schemas in the shapes the API accepts.

Tool conversion is langchain-core's ``convert_to_openai_tool`` (pydantic
classes, TypedDicts, functions, ``BaseTool``s, JSON schemas and OpenAI-format
dicts alike); this module adds the checks the API needs and LangChain's
``tool_choice`` vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from langchain_core.utils.function_calling import convert_to_openai_tool

_PASS_THROUGH_CHOICES = frozenset({"auto", "required", "none"})
_JSON_TYPES = frozenset(
    {"object", "array", "string", "number", "integer", "boolean", "null"}
)


def format_tools(tools: Sequence[Any], *, strict: bool | None = None) -> list[dict]:
    """Convert tools of any kind LangChain accepts to the API's ``tools`` entries.

    Args:
        tools: Pydantic classes, TypedDicts, callables, ``BaseTool``s, JSON
            schemas or OpenAI-format tool dicts.
        strict: Passed to ``convert_to_openai_tool``: asks the model to follow
            the parameter schema exactly.

    Returns:
        ``[{"type": "function", "function": {"name", "description", "parameters"}}]``.

    Raises:
        ValueError: For a tool that cannot be converted, has no name, or has
            an invalid parameter schema.
    """
    # Two tools may share a name: LangChain binds a pydantic class next to its
    # own JSON schema (langchain-tests does exactly that), and rejecting it
    # would break tool sets other providers accept. The server decides.
    formatted: list[dict] = []
    for tool in tools:
        if isinstance(tool, Mapping):
            check_nesting(tool, where="tool schema")
        try:
            converted = convert_to_openai_tool(tool, strict=strict)
        except Exception as exc:
            raise ValueError(f"Cannot use {tool!r} as a tool: {exc}") from exc
        function = converted.get("function")
        if (
            converted.get("type") != "function"
            or not isinstance(function, Mapping)
            or not function.get("name")
        ):
            raise ValueError(
                f"Every tool needs a name; {tool!r} has none. The API supports "
                "function tools only."
            )
        name = function["name"]
        if function.get("parameters") is not None:
            check_json_schema(function["parameters"], where=f"tool {name!r} parameters")
        if strict is not None and "strict" not in function:
            # convert_to_openai_tool returns OpenAI-format dicts as they are,
            # without the strict flag the caller asked for.
            converted = {**converted, "function": {**function, "strict": strict}}
        formatted.append(converted)
    return formatted


def tool_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of formatted tools, in order."""
    return [tool["function"]["name"] for tool in tools]


def _named_choice(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def convert_tool_choice(tool_choice: Any, names: Sequence[str]) -> str | dict | None:
    """Map LangChain's ``tool_choice`` values to the API's.

    ``"auto"``, ``"required"`` and ``"none"`` pass through; ``"any"`` becomes
    ``"required"``; a tool's name (or a ``{"type": "function", ...}`` dict)
    forces that tool; ``True`` forces the only tool bound; ``False`` is
    ``"none"``; ``None`` leaves the server's default.

    Raises:
        ValueError: For an unknown tool name or an unsupported value.
    """
    if tool_choice is None:
        return None
    if tool_choice is True:
        if len(names) != 1:
            raise ValueError(
                f"tool_choice=True needs exactly one tool, but {len(names)} are bound."
            )
        return _named_choice(names[0])
    if tool_choice is False:
        return "none"
    if isinstance(tool_choice, str):
        if tool_choice in _PASS_THROUGH_CHOICES:
            return tool_choice
        if tool_choice == "any":
            return "required"
        if tool_choice in names:
            return _named_choice(tool_choice)
        raise ValueError(
            f"tool_choice {tool_choice!r} is neither 'auto', 'required', 'none', "
            f"'any' nor the name of a bound tool ({', '.join(names) or 'none bound'})."
        )
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if (
            tool_choice.get("type") == "function"
            and isinstance(name, str)
            and name in names
        ):
            return _named_choice(name)
        raise ValueError(
            f"tool_choice {dict(tool_choice)!r} does not name a bound tool "
            f"({', '.join(names) or 'none bound'})."
        )
    raise ValueError(f"Unsupported tool_choice {tool_choice!r}.")


def normalize_request_tools(body: MutableMapping[str, Any]) -> None:
    """Check and convert the ``tools`` and ``tool_choice`` of a request body.

    ``bind_tools`` does this once; fields given per call (``invoke(...,
    tools=..., tool_choice="any")``) reach the body without it, so the body
    builder runs it again. Formatted tools pass through unchanged.

    Raises:
        ValueError: For a tool without a name or an unknown ``tool_choice``.
    """
    if body.get("tools") is not None:
        body["tools"] = format_tools(body["tools"])
    if body.get("tool_choice") is not None:
        names = tool_names(body.get("tools") or [])
        choice = convert_tool_choice(body["tool_choice"], names)
        body["tool_choice"] = choice


MAX_SCHEMA_DEPTH = 100
"""Deepest nesting of objects and arrays accepted in a tool or output schema.

Real schemas nest a few dozen levels at most; a deeper one would exhaust
Python's recursion limit in langchain-core's conversion and in ``json``."""

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = (
    "items",
    "additionalProperties",
    "additionalItems",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
)


def check_nesting(value: Any, *, where: str) -> None:
    """Refuse JSON nested deeper than `MAX_SCHEMA_DEPTH`, without recursing.

    Raises:
        ValueError: Naming ``where`` and the limit.
    """
    level = [value]
    for _ in range(MAX_SCHEMA_DEPTH + 1):
        level = [
            child
            for node in level
            if isinstance(node, (Mapping, list, tuple))
            for child in (node.values() if isinstance(node, Mapping) else node)
            if isinstance(child, (Mapping, list, tuple))
        ]
        if not level:
            return
    raise ValueError(
        f"{where} is nested more than {MAX_SCHEMA_DEPTH} levels deep; the API "
        "cannot use such a schema."
    )


def check_json_schema(schema: Any, *, where: str) -> None:
    """Refuse what no valid JSON Schema is and the service cannot use.

    Only what the service needs is checked: the root is an object; each
    subschema is an object or a boolean; ``type`` names JSON types;
    ``required`` lists strings; and the nesting is bounded. Anything valid
    JSON Schema allows (boolean subschemas, tuple-form ``items``, ``required``
    naming a property that ``additionalProperties`` provides, ...) passes.

    Raises:
        ValueError: Naming where in the schema the problem is.
    """
    if not isinstance(schema, Mapping):
        raise ValueError(f"{where} must be a JSON schema object, got {schema!r}.")
    check_nesting(schema, where=where)
    pending: list[tuple[Any, str]] = [(schema, where)]
    while pending:
        node, here = pending.pop()
        if isinstance(node, bool):
            continue
        if not isinstance(node, Mapping):
            raise ValueError(f"{here} must be a JSON schema (object or boolean).")
        _check_keywords(node, here)
        pending.extend(_subschemas(node, here))


def _check_keywords(schema: Mapping[str, Any], where: str) -> None:
    declared = schema.get("type")
    for kind in declared if isinstance(declared, list) else [declared]:
        if kind is not None and kind not in _JSON_TYPES:
            raise ValueError(f"{where}: unknown JSON schema type {kind!r}.")
    required = schema.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        raise ValueError(f"{where}: 'required' must be a list of property names.")


def _subschemas(schema: Mapping[str, Any], where: str) -> list[tuple[Any, str]]:
    found: list[tuple[Any, str]] = []
    for keyword in _SCHEMA_MAPS:
        members = schema.get(keyword)
        if members is None:
            continue
        if not isinstance(members, Mapping):
            raise ValueError(f"{where}: {keyword!r} must be an object.")
        found.extend((sub, f"{where}.{keyword}.{key}") for key, sub in members.items())
    for keyword in _SCHEMA_LISTS:
        options = schema.get(keyword)
        if options is None:
            continue
        if not isinstance(options, list):
            raise ValueError(f"{where}: {keyword!r} must be a list of schemas.")
        found.extend((sub, f"{where}.{keyword}[{i}]") for i, sub in enumerate(options))
    for keyword in _SCHEMA_VALUES:
        value = schema.get(keyword)
        if isinstance(value, list) and keyword == "items":
            # Tuple-form items (drafts 4 to 2019-09): one schema per position.
            found.extend(
                (sub, f"{where}.{keyword}[{i}]") for i, sub in enumerate(value)
            )
        elif value is not None:
            found.append((value, f"{where}.{keyword}"))
    return found
