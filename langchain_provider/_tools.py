"""Tool calling both ways: tools out, tool calls back, and structured output.

Out: ``format_tools`` converts any tool LangChain accepts (pydantic classes,
TypedDicts, functions, ``BaseTool``s, JSON schemas, OpenAI-format dicts) with
langchain-core's ``convert_to_openai_tool`` and checks what the API needs;
``convert_tool_choice`` maps LangChain's ``tool_choice`` vocabulary. A sloppy
but sendable tool schema (``{"type": "int"}``, draft-3 ``"required": true``)
is warned about and sent: the service decides. Only a schema that can never
be sent is refused.

Back: a call whose arguments are not a complete JSON object is never
runnable. ``invoke`` reports it as invalid (``parse_tool_calls``); a stream
(``StreamedToolCalls``) seals such arguments so langchain-core's partial-JSON
parser cannot complete them, so both paths give the same message. A call the
service sends without an ``id`` gets ``call_`` + random hex, the same in
every chunk and in the aggregate.

``build_structured_output`` builds ``with_structured_output`` for each
method (``function_calling``, ``json_schema``, ``json_mode``).
"""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Mapping, MutableMapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import (
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import (
    convert_to_json_schema,
    convert_to_openai_tool,
)
from langchain_core.utils.json import parse_partial_json
from langchain_core.utils.pydantic import is_basemodel_subclass

from langchain_provider.errors import as_index, as_items, as_mapping, as_optional_text

# -- tools, tool_choice and JSON schemas ---------------------------------------

_PASS_THROUGH_CHOICES = frozenset({"auto", "required", "none"})
_JSON_TYPES = frozenset(
    {"object", "array", "string", "number", "integer", "boolean", "null"}
)


def format_tools(
    tools: Sequence[Any], *, strict: bool | None = None, warn: bool = True
) -> list[dict]:
    """Convert tools of any kind LangChain accepts to the API's ``tools`` entries.

    Args:
        tools: Pydantic classes, TypedDicts, callables, ``BaseTool``s, JSON
            schemas or OpenAI-format tool dicts.
        strict: Passed to ``convert_to_openai_tool``: asks the model to follow
            the parameter schema exactly.
        warn: Warn about sloppy parameter schemas (``bind_tools`` does; the
            request builder, which formats the same tools again, does not).

    Returns:
        ``[{"type": "function", "function": {"name", "description", "parameters"}}]``.

    Raises:
        ValueError: For a tool that cannot be converted or has no name, or a
            parameter schema that can never be sent (not an object, nested
            too deep). Other schema problems (``{"type": "int"}``, draft-3
            ``"required": true``, ...) are warned about, naming the tool and
            where in its schema, and sent.
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
            where = f"tool {name!r} parameters"
            problems = json_schema_problems(function["parameters"], where=where)
            for problem in problems if warn else []:
                # As for duplicate names: the service decides. Refusing here
                # stopped whole agents over one sloppy MCP tool that other
                # providers (and often this service) take.
                warnings.warn(
                    f"{problem} Sent as given; the service may reject it.",
                    UserWarning,
                    stacklevel=3,
                )
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
    builder runs it again. Formatted tools pass through unchanged; an empty
    ``tools`` list is dropped (with an ``auto``/``none`` choice that would
    have nothing to choose from).

    Raises:
        ValueError: For a tool without a name or an unknown ``tool_choice``.
    """
    if body.get("tools") == []:
        # No tools is said by sending none: LangChain binds [] (create_agent
        # with no tools, a provider-strategy response format), and an empty
        # list is not what the API documents.
        del body["tools"]
        if body.get("tool_choice") in ("auto", "none"):
            del body["tool_choice"]
    if body.get("tools") is not None:
        body["tools"] = format_tools(body["tools"], warn=False)
    if body.get("tool_choice") is not None:
        names = tool_names(body.get("tools") or [])
        choice = convert_tool_choice(body["tool_choice"], names)
        if choice == "required" and not names:
            # The service would be told to call a tool it was not given.
            raise ValueError(
                f"tool_choice={body['tool_choice']!r} asks the model to call a "
                "tool, but no tools are bound: bind some, or drop tool_choice."
            )
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
        ValueError: Naming where in the schema the (first) problem is.
    """
    problems = json_schema_problems(schema, where=where)
    if problems:
        raise ValueError(problems[0])


def json_schema_problems(schema: Any, *, where: str) -> list[str]:
    """What is wrong in a JSON schema, each problem naming where it is.

    Tool schemas from MCP servers in the wild often say ``{"type": "int"}``,
    ``{"type": "float"}`` or draft-3 ``"required": true``; such schemas can
    still be sent (the service decides), so they are reported, not raised.

    Raises:
        ValueError: Only for what can never be sent: a root that is not an
            object, or nesting deeper than `MAX_SCHEMA_DEPTH`.
    """
    if not isinstance(schema, Mapping):
        raise ValueError(f"{where} must be a JSON schema object, got {schema!r}.")
    check_nesting(schema, where=where)
    problems: list[str] = []
    pending: list[tuple[Any, str]] = [(schema, where)]
    while pending:
        node, here = pending.pop()
        if isinstance(node, bool):
            continue
        if not isinstance(node, Mapping):
            problems.append(f"{here} must be a JSON schema (object or boolean).")
            continue
        problems.extend(_keyword_problems(node, here))
        pending.extend(_subschemas(node, here, problems))
    return problems


def _keyword_problems(schema: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    declared = schema.get("type")
    for kind in declared if isinstance(declared, list) else [declared]:
        if kind is not None and kind not in _JSON_TYPES:
            problems.append(f"{where}: unknown JSON schema type {kind!r}.")
    required = schema.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        problems.append(f"{where}: 'required' must be a list of property names.")
    return problems


def _subschemas(
    schema: Mapping[str, Any], where: str, problems: list[str]
) -> list[tuple[Any, str]]:
    found: list[tuple[Any, str]] = []
    for keyword in _SCHEMA_MAPS:
        members = schema.get(keyword)
        if members is None:
            continue
        if not isinstance(members, Mapping):
            problems.append(f"{where}: {keyword!r} must be an object.")
            continue
        found.extend((sub, f"{where}.{keyword}.{key}") for key, sub in members.items())
    for keyword in _SCHEMA_LISTS:
        options = schema.get(keyword)
        if options is None:
            continue
        if not isinstance(options, list):
            problems.append(f"{where}: {keyword!r} must be a list of schemas.")
            continue
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


# -- structured output ---------------------------------------------------------

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

StructuredOutputMethod = Literal["function_calling", "json_schema", "json_mode"]
METHODS = ("function_calling", "json_schema", "json_mode")


def _is_pydantic_class(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def _json_schema(schema: Any) -> tuple[str, dict[str, Any]]:
    """Return ``(name, JSON schema)`` for a pydantic class, TypedDict or dict."""
    if isinstance(schema, Mapping):
        check_nesting(schema, where="output schema")
    if isinstance(schema, Mapping) and "function" in schema:  # OpenAI tool dict
        function = schema["function"]
        return function["name"], dict(function.get("parameters") or {})
    try:
        json_schema = convert_to_json_schema(schema)
    except Exception as exc:
        raise ValueError(f"Cannot use {schema!r} as an output schema: {exc}") from exc
    check_json_schema(json_schema, where="json_schema")
    # convert_to_json_schema titles every schema with the tool name it made.
    return str(json_schema.get("title") or "response"), json_schema


def _response_format(schema: Any, strict: bool | None) -> dict[str, Any]:
    name, json_schema = _json_schema(schema)
    spec: dict[str, Any] = {"name": name, "schema": json_schema}
    if strict is not None:
        # Accepted by the service but not yet enforced; the parser still checks.
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def _ls_format(schema: Any, method: str) -> dict[str, Any]:
    return {"kwargs": {"method": method}, "schema": schema}


def build_structured_output(
    model: BaseChatModel,
    schema: Any,
    *,
    method: StructuredOutputMethod,
    include_raw: bool,
    strict: bool | None,
) -> Runnable:
    """Return the runnable behind ``ChatSambaNova.with_structured_output``.

    Raises:
        ValueError: For an unknown method, a missing schema where one is
            needed, or a schema the API cannot use.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}.")
    pydantic_class = _is_pydantic_class(schema)
    parser: Runnable
    if method == "function_calling":
        if schema is None:
            raise ValueError("method='function_calling' needs a schema.")
        tool = format_tools([schema], strict=strict, warn=False)[0]
        tool_name = tool["function"]["name"]
        if tool["function"].get("parameters") is not None:
            # An output schema is the caller's own: refuse its mistakes here,
            # as the json_schema method does, rather than warn as for tools.
            check_json_schema(
                tool["function"]["parameters"], where=f"tool {tool_name!r} parameters"
            )
        llm = model.bind_tools(  # type: ignore[attr-defined]
            [tool],
            tool_choice=tool_name,
            parallel_tool_calls=False,
            ls_structured_output_format=_ls_format(schema, method),
        )
        parser = (
            PydanticToolsParser(tools=[schema], first_tool_only=True)
            if pydantic_class
            else JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
        )
    else:
        if method == "json_schema":
            if schema is None:
                raise ValueError("method='json_schema' needs a schema.")
            response_format = _response_format(schema, strict)
        else:
            response_format = {"type": "json_object"}
        llm = model.bind(
            response_format=response_format,
            ls_structured_output_format=_ls_format(schema, method),
        )
        parser = (
            PydanticOutputParser(pydantic_object=schema)
            if pydantic_class
            else JsonOutputParser()
        )
    return llm | parser if not include_raw else _with_raw(llm, parser)


def _with_raw(llm: Runnable, parser: Runnable) -> Runnable:
    """Answer ``{"raw", "parsed", "parsing_error"}``; a parse failure is not raised."""
    parse = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
    with_fallback = parse.with_fallbacks([no_parse], exception_key="parsing_error")
    return RunnableMap(raw=llm) | with_fallback


# -- tool calls ----------------------------------------------------------------

# Candidate seals, shortest first; the first one langchain-core's partial-JSON
# parser cannot turn into an object is used (a closer that does not match,
# after closing an open string, after finishing an open escape).
_SEALS = ("}", "]", '"}', '"]', '\\"}', '\\"]')
_CUT_OFF = (
    "Arguments are incomplete JSON (cut off, e.g. by max_tokens: finish reason "
    "'length'); a seal was appended so that no partial call can run."
)


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as the JSON text LangChain expects."""
    # Older servers sent arguments as a JSON object rather than a string; the
    # service also sends null for tools called without arguments.
    if arguments is None:
        return ""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def _completable(arguments: str) -> bool:
    """Whether langchain-core's partial-JSON parser makes an object of this."""
    try:
        return isinstance(parse_partial_json(arguments), dict)
    except Exception:  # noqa: BLE001 - the parser re-raises the JSON error
        return False


def _complete_object(arguments: str) -> bool:
    try:
        return isinstance(json.loads(arguments), dict)
    except ValueError:
        return False


def cut_off_seal(arguments: str) -> str:
    """The seal to append to these arguments ("" when they need none).

    Args:
        arguments: A call's whole argument text.

    Returns:
        ``""`` for empty arguments (a call without arguments), a complete JSON
        object, or text the partial parser rejects anyway; otherwise the
        shortest seal after which it rejects the text.
    """
    if not arguments or _complete_object(arguments) or not _completable(arguments):
        return ""
    for seal in _SEALS:
        if not _completable(arguments + seal):
            return seal
    raise AssertionError(f"no seal stops the partial parser for {arguments!r}")


def _function(raw: Mapping[str, Any]) -> tuple[str | None, str]:
    function = as_mapping(raw.get("function"), "tool_calls[].function")
    name = as_optional_text(function.get("name"), "tool_calls[].function.name")
    return name, arguments_text(function.get("arguments"))


def new_tool_call_id() -> str:
    """A fresh tool-call id in the service's ``call_<hex>`` form.

    Some deployments send tool calls without an ``id``; LangGraph and
    ``create_agent`` pair each tool result with its call by id, and die on
    ``None``, so such a call gets one of these.
    """
    return f"call_{uuid.uuid4().hex[:24]}"


def parse_tool_calls(raw_calls: Any) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Parse a message's whole tool calls (non-streaming responses).

    Args:
        raw_calls: The message's ``tool_calls`` field.

    Returns:
        ``(tool_calls, invalid_tool_calls)``; arguments that are not a JSON
        object make a call invalid, cut-off ones sealed (see module docstring);
        a call sent without an id gets a `new_tool_call_id`.

    Raises:
        ResponseDecodeError: For ``tool_calls`` of the wrong shape.
    """
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in as_items(raw_calls, "message.tool_calls"):
        name, arguments = _function(raw)
        call_id = as_optional_text(raw.get("id"), "tool_calls[].id")
        call_id = call_id or new_tool_call_id()
        try:
            args = json.loads(arguments) if arguments.strip() else {}
            problem = (
                None if isinstance(args, dict) else "Arguments must be a JSON object."
            )
        except ValueError as exc:
            problem = f"Arguments are not valid JSON: {exc}."
        if problem is None:
            valid.append(tool_call(name=name or "", args=args, id=call_id))
            continue
        seal = cut_off_seal(arguments)
        invalid.append(
            invalid_tool_call(
                name=name,
                args=arguments + seal,
                id=call_id,
                error=_CUT_OFF if seal else problem,
            )
        )
    return valid, invalid


class StreamedToolCalls:
    """One choice's streamed tool calls: indexes, fragments and seals.

    Both streaming styles the service has used arrive here: OpenAI-style
    fragments (an ``index``, then argument pieces under it) and whole calls in
    one delta, sometimes without an ``index``.
    """

    __slots__ = (
        "_aliases",
        "_arguments",
        "_ids",
        "_keys",
        "_last_key",
        "_made_ids",
        "_next_index",
    )

    def __init__(self) -> None:
        self._next_index = 0
        # Index -> the id made up for a call that arrived without one; it goes
        # on the call's first chunk only, as a server id would, so that the
        # chunks merge into one call with one id.
        self._made_ids: dict[int, str] = {}
        # Calls without an index, by id (or a made-up key), and their index.
        self._keys: dict[str, int] = {}
        self._last_key: str | None = None
        # Server index -> the index its current call got; index -> call id.
        self._aliases: dict[int, int] = {}
        self._ids: dict[int, str] = {}
        self._arguments: dict[int, list[str]] = {}

    def chunks(self, raw_calls: Any) -> list[ToolCallChunk]:
        """Convert one delta's ``tool_calls`` to LangChain tool-call chunks.

        Raises:
            ResponseDecodeError: For ``tool_calls`` of the wrong shape or an
                ``index`` that is not a number.
        """
        chunks = []
        for position, raw in enumerate(as_items(raw_calls, "delta.tool_calls")):
            name, arguments = _function(raw)
            call_id = as_optional_text(raw.get("id"), "tool_calls[].id")
            index = self._index(raw, call_id, name, position)
            if index not in self._arguments:  # the call's first chunk
                if not call_id:
                    call_id = self._made_ids[index] = new_tool_call_id()
            elif index in self._made_ids:
                call_id = None  # a late server id would be glued onto ours
            self._arguments.setdefault(index, []).append(arguments)
            chunks.append(
                tool_call_chunk(name=name, args=arguments, id=call_id, index=index)
            )
        return chunks

    def _index(
        self,
        raw: Mapping[str, Any],
        call_id: str | None,
        name: str | None,
        position: int,
    ) -> int:
        index = as_index(raw.get("index"), "tool_calls[].index")
        if index is not None:
            return self._indexed(index, call_id)
        # Whole calls without an index: each new id is a new call. Without an
        # id either, a delta naming a function starts a new call and one
        # without a name continues the last: keying by position alone merged
        # separate deltas' calls into one ("ab" with both argument objects).
        if call_id:
            key = call_id
        elif name or self._last_key is None:
            key = f"anonymous-{self._next_index}-{position}"
        else:
            key = self._last_key
        self._last_key = key
        if key not in self._keys:
            self._keys[key] = self._next_index
            self._next_index += 1
        return self._keys[key]

    def _indexed(self, index: int, call_id: str | None) -> int:
        # Some servers number each delta's calls from 0: an index that comes
        # back with another id is a new call, given the next free index, so
        # that each call's fragments (and its seal) have an index of their own.
        current = self._aliases.get(index, index)
        if call_id:
            known = self._ids.get(current)
            if known and call_id != known:
                current = self._next_index
            self._ids[current] = call_id  # the new call's id, for the next reuse
        self._aliases[index] = current
        self._next_index = max(self._next_index, current + 1)
        return current

    def seals(self) -> list[ToolCallChunk]:
        """At the end of the answer, seal every call whose arguments were cut off.

        Returns:
            One chunk per call that needs a seal, under the call's index.
        """
        chunks = []
        for index, fragments in self._arguments.items():
            seal = cut_off_seal("".join(fragments))
            if seal:
                chunks.append(tool_call_chunk(args=seal, index=index))
        self._arguments = {}
        return chunks
