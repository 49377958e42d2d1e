"""``with_structured_output``: the request side and the parser for each method.

``function_calling`` (default) forces a tool shaped like the schema;
``json_schema`` sends ``response_format: {"type": "json_schema", ...}``;
``json_mode`` sends ``{"type": "json_object"}`` and relies on the prompt to
describe the shape. Parsers are langchain-core's.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_core.utils.pydantic import is_basemodel_subclass

from langchain_provider._tools import check_json_schema, check_nesting, format_tools

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
        tool = format_tools([schema], strict=strict)[0]
        tool_name = tool["function"]["name"]
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
