"""LangChain -> API: the JSON body of one request, built and checked.

Pure functions, no I/O, so every check on input runs before anything is
sent: ``build_request_body`` assembles the body from the model's defaults,
the converted messages (``convert_message_to_dict``), the tools
(``format_tools``, langchain-core's ``convert_to_openai_tool`` plus the checks
the API needs, and LangChain's ``tool_choice`` vocabulary) and per-call
fields. ``build_structured_output`` builds ``with_structured_output`` for
each method (``function_calling``, ``json_schema``, ``json_mode``).

Reasoning sent back: a reasoning model that called a tool must see its own
chain of thought again when the tool's result comes back; the service takes
it in the assistant message's ``reasoning`` field. Which assistant turns
carry it is the ``reasoning_in_history`` policy (``"auto"``: turns that made
tool calls; ``"always"``; ``"never"``). It is read from
``additional_kwargs["reasoning_content"]``, an ``additional_kwargs["reasoning"]``
string, or v1 ``reasoning`` blocks; a ``<think>`` block is never sent back in
``content``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, get_args

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolMessage,
    is_data_content_block,
)
from langchain_core.messages.block_translators.openai import (
    convert_to_openai_data_block,
)
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
from langchain_core.utils.pydantic import is_basemodel_subclass

from langchain_provider._params import check_parameters, check_request, normalize_stop
from langchain_provider._response import split_think_tags

# -- reasoning sent back -------------------------------------------------------

ReasoningInHistory = Literal["auto", "always", "never"]
"""Which assistant turns send their reasoning back (see the module docstring)."""

_POLICIES: tuple[str, ...] = get_args(ReasoningInHistory)


def checked_policy(value: Any) -> str:
    """Return ``value`` if it is a ``reasoning_in_history`` policy.

    Args:
        value: The policy given (e.g. per call).

    Raises:
        ValueError: For anything but ``"auto"``, ``"always"`` or ``"never"``.
    """
    if value not in _POLICIES:
        raise ValueError(
            f"reasoning_in_history must be one of {list(_POLICIES)}, got {value!r}."
        )
    return str(value)


def reasoning_text(message: AIMessage) -> str | None:
    """Return the reasoning an assistant message carries, or ``None``.

    Args:
        message: An assistant message, as returned (any output version) or
            built by hand.
    """
    for key in ("reasoning_content", "reasoning"):
        value = message.additional_kwargs.get(key)
        if isinstance(value, str) and value:
            return value
    if isinstance(message.content, list):
        texts = [
            str(block.get("reasoning") or "")
            for block in message.content
            if isinstance(block, Mapping) and block.get("type") == "reasoning"
        ]
        joined = "".join(texts)
        return joined or None
    return None


def _made_tool_calls(message: AIMessage) -> bool:
    return bool(
        message.tool_calls
        or message.invalid_tool_calls
        or message.additional_kwargs.get("tool_calls")
    )


def reasoning_fields(message: AIMessage, content: Any, policy: str) -> dict[str, Any]:
    """Return the fields to update an assistant message's API dict with.

    Args:
        message: The assistant message.
        content: Its content as already converted for the API.
        policy: ``"auto"``, ``"always"`` or ``"never"``.

    Returns:
        ``{"content": ...}`` when a ``<think>`` block had to be taken out of
        the content, and ``{"reasoning": ...}`` when the policy sends the
        turn's reasoning back; empty when there is nothing to change.
    """
    fields: dict[str, Any] = {}
    think = None
    if isinstance(content, str) and content.lstrip().startswith("<think>"):
        think, fields["content"] = split_think_tags(content)
    if policy == "never" or (policy == "auto" and not _made_tool_calls(message)):
        return fields
    reasoning = reasoning_text(message) or think
    if reasoning:
        fields["reasoning"] = reasoning
    return fields


# -- messages ------------------------------------------------------------------

_ROLES = frozenset({"system", "user", "assistant", "tool"})
_MESSAGE_ROLES: dict[type[BaseMessage], str] = {
    SystemMessage: "system",
    HumanMessage: "user",
    AIMessage: "assistant",
    ToolMessage: "tool",
}

# ---------------------------------------------------------------------------
# Requests: LangChain messages -> API dicts
# ---------------------------------------------------------------------------


def _image_part(block: Mapping[str, Any]) -> dict[str, Any]:
    """Convert one image block (standard or OpenAI-style) to an API image part."""
    if block.get("type") == "image_url":
        image_url = block.get("image_url")
        url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
        part: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    elif block.get("type") == "image":
        part = convert_to_openai_data_block(dict(block))
    else:
        raise ValueError(
            f"Unsupported content block type {block.get('type')!r}: the SambaNova "
            "API accepts text and images only."
        )
    url = part["image_url"]["url"]
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ValueError(
            "Image URLs are not supported: the SambaNova API accepts only base64 "
            "data URLs (data:<mime>;base64,...). Download the image and pass it as "
            f"a base64 block instead of {str(url)[:80]!r}."
        )
    return part


def _block_text(block: Mapping[str, Any]) -> str:
    text = block.get("text")
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ValueError(
            "A text content block's 'text' must be a string, got "
            f"{type(text).__name__}: {str(text)[:80]!r}."
        )
    return text


def _content_to_api(
    content: str | list[Any], *, allow_images: bool
) -> str | list[dict[str, Any]]:
    """Convert message content; text-only content becomes a plain string.

    Some models reject list content outright ("Expected one of: ['str'], got
    list"), so lists are sent only when they really carry an image.
    """
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif not isinstance(block, Mapping):
            raise ValueError(f"Unsupported content block {block!r}.")
        elif block.get("type") == "text":
            parts.append({"type": "text", "text": _block_text(block)})
        elif block.get("type") in ("image", "image_url") or is_data_content_block(
            dict(block)
        ):
            if not allow_images:
                raise ValueError(
                    "Only user messages may carry images in the SambaNova API."
                )
            parts.append(_image_part(block))
        elif not allow_images:
            # Assistant turns replayed from other providers may hold reasoning
            # or tool-use blocks; the API takes only their text.
            continue
        else:
            raise ValueError(
                f"Unsupported content block type {block.get('type')!r}: the "
                "SambaNova API accepts text and images only."
            )
    if all(part["type"] == "text" for part in parts):
        return _join_texts([part["text"] for part in parts])
    return parts


def _join_texts(texts: list[str]) -> str:
    """Join text blocks so that no two words are glued together.

    Separate blocks are separate pieces of text ("Summarize:" and the text to
    summarize): they are joined with a newline, unless one side already has
    whitespace there (blocks split mid-sentence, "Hello " + "world").
    """
    joined = ""
    for text in texts:
        if joined and text and not (joined[-1].isspace() or text[0].isspace()):
            joined += "\n"
        joined += text
    return joined


def _tool_call_to_api(tool_call: ToolCall) -> dict[str, Any]:
    return {
        "id": tool_call["id"],
        "type": "function",
        "function": {
            "name": tool_call["name"],
            "arguments": json.dumps(tool_call["args"], ensure_ascii=False),
        },
    }


def _invalid_tool_call_to_api(tool_call: InvalidToolCall) -> dict[str, Any]:
    return {
        "id": tool_call.get("id"),
        "type": "function",
        "function": {
            "name": tool_call.get("name"),
            "arguments": tool_call.get("args") or "",
        },
    }


ToolResultMedia = Literal["move", "drop", "refuse"]
"""What happens to images and files a tool returns (see ``ChatSambaNova``)."""

TOOL_RESULT_MEDIA: tuple[str, ...] = get_args(ToolResultMedia)

_MEDIA_TYPES = frozenset({"image", "image_url", "file", "audio", "video"})
_MEDIA_LABELS = {"file": "A file", "audio": "An audio clip", "video": "A video"}


def _is_media(block: Any) -> bool:
    return isinstance(block, Mapping) and (
        block.get("type") in _MEDIA_TYPES or is_data_content_block(dict(block))
    )


def _media_kind(block: Mapping[str, Any]) -> str:
    kind = str(block.get("type"))
    return "image" if kind == "image_url" else kind


def _tool_result_to_api(
    content: str | list[Any], *, policy: str, takes_images: bool | None
) -> tuple[str, list[dict[str, Any]], list[str]]:
    """A tool result as the API takes it: text only.

    The service reads images only from user messages and has no file, audio
    or video parts at all. Images go, by ``policy`` (see `ToolResultMedia`),
    to a user turn after the tool results (``"move"``, unless the model is
    known to take no images); what cannot go is replaced by a short note.

    Returns:
        ``(text, image parts moved out, descriptions of what was left out)``.

    Raises:
        ValueError: With ``policy="refuse"``, for any image or file.
    """
    if isinstance(content, str):
        return content, [], []
    texts: list[str] = []
    moved: list[dict[str, Any]] = []
    left_out: list[str] = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, Mapping) and block.get("type") == "text":
            texts.append(str(block.get("text") or ""))
        elif _is_media(block):
            kind = _media_kind(block)
            if policy == "refuse":
                raise ValueError(
                    f"A tool returned {kind} content, which the SambaNova API "
                    "takes only in user messages (images) or not at all (files, "
                    "audio, video), and tool_result_media='refuse' is set. Use "
                    "'move' (the default) or 'drop' to send the tool's text."
                )
            if kind == "image" and policy == "move" and takes_images is not False:
                try:
                    moved.append(_image_part(block))
                    continue
                except ValueError:
                    left_out.append(
                        "An image in a form the API cannot take (it takes base64 "
                        "data only)"
                    )
            elif kind == "image":
                left_out.append(
                    "An image (the API takes images only in user messages)"
                    if policy == "drop" or takes_images is None
                    else "An image (the model takes no images)"
                )
            else:
                label = _MEDIA_LABELS.get(kind, f"A {kind} block")
                mime = block.get("mime_type")
                label += f" ({mime})" if isinstance(mime, str) else ""
                left_out.append(f"{label} (the API takes no files, audio or video)")
        else:
            # Serialized as JSON: the API has no structured tool output.
            texts.append(json.dumps(block, ensure_ascii=False, default=str))
    if moved:
        texts.append(
            f"[The {len(moved)} image(s) this tool returned are in the next "
            "user message.]"
        )
    texts.extend(f"[{what} was left out of this tool result.]" for what in left_out)
    return "\n".join(texts), moved, left_out


def _image_turn(images: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """The user turn that carries the images tool results returned."""
    parts: list[dict[str, Any]] = []
    for tool_call_id, moved in images:
        parts.append(
            {"type": "text", "text": f"Image(s) returned by tool call {tool_call_id}:"}
        )
        parts.extend(moved)
    return {"role": "user", "content": parts}


def _message_role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        if message.role not in _ROLES:
            raise ValueError(
                f"ChatMessage role {message.role!r} is not one the SambaNova API "
                f"accepts; use one of {sorted(_ROLES)}."
            )
        return message.role
    for message_type, role in _MESSAGE_ROLES.items():
        if isinstance(message, message_type):
            return role
    raise ValueError(
        f"Unsupported message type {type(message).__name__}: the SambaNova API "
        "takes system, human, AI, tool and ChatMessage messages."
    )


def convert_message_to_dict(
    message: BaseMessage, reasoning_in_history: str = "auto"
) -> dict[str, Any]:
    """Convert a LangChain message to the API's message dict.

    Args:
        message: A system, human, AI, tool or ``ChatMessage``.
        reasoning_in_history: Which assistant turns send their reasoning back
            (``"auto"``, ``"always"``, ``"never"``; see "reasoning sent back" above).

    Returns:
        The ``messages`` entry for the request body.

    Raises:
        ValueError: For an unsupported message type or role, a non-image
            multimodal block, or an image given by http(s) URL.
    """
    role = _message_role(message)
    result: dict[str, Any] = {"role": role}
    if role == "tool":
        # Alone, a tool message cannot place its images anywhere else: they
        # are left out with a note (`convert_messages` moves them).
        result["content"] = _tool_result_to_api(
            message.content, policy="drop", takes_images=None
        )[0]
        tool_call_id = getattr(
            message, "tool_call_id", None
        ) or message.additional_kwargs.get("tool_call_id")
        if not tool_call_id:
            raise ValueError("A tool message needs the tool_call_id it answers.")
        result["tool_call_id"] = tool_call_id
        return result
    result["content"] = _content_to_api(message.content, allow_images=role == "user")
    if message.name:
        result["name"] = message.name
    if isinstance(message, AIMessage):
        tool_calls = [_tool_call_to_api(call) for call in message.tool_calls]
        tool_calls += [_invalid_tool_call_to_api(c) for c in message.invalid_tool_calls]
        if not tool_calls and message.additional_kwargs.get("tool_calls"):
            tool_calls = list(message.additional_kwargs["tool_calls"])
        if tool_calls:
            result["tool_calls"] = tool_calls
        result.update(
            reasoning_fields(message, result["content"], reasoning_in_history)
        )
    return result


def convert_messages(
    messages: Sequence[BaseMessage],
    reasoning_in_history: str = "auto",
    *,
    tool_result_media: str = "move",
    takes_images: bool | None = None,
    on_left_out: Callable[[list[str]], None] | None = None,
) -> list[dict[str, Any]]:
    """Convert a conversation to the API's ``messages``.

    Like `convert_message_to_dict` for each message, except that images in
    tool results, which the service takes only in user messages, go to a
    user turn placed right after the run of tool results (their tool
    messages keep their text and say where the images went). The messages
    given are never modified.

    Args:
        messages: The conversation.
        reasoning_in_history: Which assistant turns send their reasoning back.
        tool_result_media: ``"move"``, ``"drop"`` or ``"refuse"`` (see
            `ToolResultMedia`).
        takes_images: Whether the model takes images (its profile's
            ``image_inputs``); ``None`` when unknown, and then images are moved
            and the service decides.
        on_left_out: Called with what was left out of the tool results, if
            anything (e.g. to warn).

    Raises:
        ValueError: As `convert_message_to_dict`; with ``"refuse"``, for a
            tool result holding an image or a file.
    """
    if tool_result_media not in TOOL_RESULT_MEDIA:
        raise ValueError(
            f"tool_result_media must be one of {list(TOOL_RESULT_MEDIA)}, got "
            f"{tool_result_media!r}."
        )
    converted: list[dict[str, Any]] = []
    pending: list[tuple[str, list[dict[str, Any]]]] = []
    left_out: list[str] = []
    for message in messages:
        if _message_role(message) != "tool":
            if pending:
                converted.append(_image_turn(pending))
                pending = []
            converted.append(convert_message_to_dict(message, reasoning_in_history))
            continue
        result = convert_message_to_dict(message.model_copy(update={"content": ""}))
        text, moved, dropped = _tool_result_to_api(
            message.content, policy=tool_result_media, takes_images=takes_images
        )
        result["content"] = text
        converted.append(result)
        if moved:
            pending.append((result["tool_call_id"], moved))
        left_out.extend(dropped)
    if pending:
        converted.append(_image_turn(pending))
    if left_out and on_left_out is not None:
        on_left_out(left_out)
    return converted


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


# -- the request body ----------------------------------------------------------

_PER_CALL_RESERVED = frozenset({"messages", "stream_options"})


def build_request_body(
    defaults: Mapping[str, Any],
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    overrides: Mapping[str, Any],
    *,
    stream: bool,
    stream_usage: bool,
    reasoning_in_history: str = "auto",
    tool_result_media: str = "move",
    takes_images: bool | None = None,
    on_left_out: Callable[[list[str]], None] | None = None,
) -> dict[str, Any]:
    """Build the body of one request.

    Args:
        defaults: The model's own body fields (model, what the user set).
        messages: The conversation.
        stop: Stop sequences for this call (override the defaults').
        overrides: Per-call body fields (``tools``, ``tool_choice``,
            ``response_format``, sampling overrides, ``model``, ...);
            ``None`` means "not set".
        stream: Whether the request streams.
        stream_usage: Whether a stream asks for usage in its last chunk.
        reasoning_in_history: Which assistant turns send their reasoning
            back (see "reasoning sent back" above).
        tool_result_media: What happens to images and files tools returned
            (see `convert_messages`).
        takes_images: Whether the model takes images, if known.
        on_left_out: Called with what was left out of tool results.

    Returns:
        The request body.

    Raises:
        ValueError: For any input the API would reject.
    """
    if not messages:
        raise ValueError("messages must not be empty.")
    # A per-call None means "not set": never send JSON null over a default.
    fields = {
        name: value
        for name, value in overrides.items()
        if value is not None and name != "ls_structured_output_format"
    }
    owned = sorted(_PER_CALL_RESERVED & fields.keys())
    if owned:
        raise ValueError(
            f"{owned} cannot be passed per call: the request builder sets them "
            "(use stream_usage= for stream options)."
        )
    body = {**defaults, **fields}
    if stop is not None:
        body["stop"] = stop
    # One check of the merged body covers fields, model_kwargs and per-call
    # values alike (and assignments made after construction).
    check_parameters(body)
    if "stop" in body:
        normalized = normalize_stop(body.pop("stop"))
        if normalized:
            body["stop"] = normalized
    normalize_request_tools(body)
    check_request(body, stream=stream)
    body["messages"] = convert_messages(
        messages,
        reasoning_in_history,
        tool_result_media=tool_result_media,
        takes_images=takes_images,
        on_left_out=on_left_out,
    )
    if stream:
        body["stream"] = True
        if stream_usage:
            body["stream_options"] = {"include_usage": True}
    return body
