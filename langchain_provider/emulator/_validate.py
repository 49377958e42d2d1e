"""Request validation, answering like the service: 400s naming the field at fault.

Ranges follow the service where it is newer than the reference page
(temperature 0 to 2, as the vendor SDK documents), and the reference page
otherwise (top_p 0 to 1, top_k 1 to 100, at most four stop sequences); the
SDK's parameter types add ``seed``, ``logprobs``, ``top_logprobs`` (0 to 20,
needs ``logprobs``), ``n``, ``max_completion_tokens``, ``repetition_penalty``,
``do_sample`` and ``chat_template_kwargs``. The rest follows wire-format.md
(base64 data URLs only, at most 5 images, images in user messages only, no
``n > 1`` with tools).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ._config import EmulatorConfig
from ._errors import ApiError, invalid
from ._tokens import count_prompt_tokens

ROLES = ("system", "user", "assistant", "tool")
"""Message roles the emulator accepts."""

MAX_IMAGES = 5
"""Images allowed in one request."""

MAX_STOP_SEQUENCES = 4
"""Stop sequences allowed in one request."""

_DATA_URL = re.compile(r"data:[\w.+-]+/[\w.+-]+;base64,")
_RESPONSE_FORMATS = ("text", "json_object", "json_schema")
_REASONING_EFFORTS = ("low", "medium", "high")


def validate_request(body: Any, config: EmulatorConfig) -> int:
    """Check a chat completion request; return its prompt size in tokens.

    Args:
        body: The parsed JSON body.
        config: The emulator's settings (served models and their context).

    Raises:
        ApiError: 400 for an invalid request, 404 for an unknown model.
    """
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.", None, "invalid_type")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("`model` is required.", "model", "missing_required_parameter")
    context_length = config.context_length(model)
    if context_length is None:
        raise ApiError(
            404,
            f"Model {model} does not exist or you do not have access to it.",
            type="invalid_request_error",
            param="model",
            code="model_not_found",
        )
    messages = _check_messages(body.get("messages"))
    _check_number(body, "temperature", 0, 2)
    _check_number(body, "top_p", 0, 1)
    _check_integer(body, "top_k", 1, 100)
    _check_integer(body, "max_tokens", 1, None)
    _check_sampling(body)
    _check_stop(body.get("stop"))
    _check_type(body, "stream", bool, "a boolean")
    _check_type(body, "stream_options", dict, "an object")
    tools = _check_tools(body)
    _check_response_format(body.get("response_format"))
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in _REASONING_EFFORTS:
        raise invalid(
            f"`reasoning_effort` must be one of {', '.join(_REASONING_EFFORTS)}.",
            "reasoning_effort",
            "invalid_value",
        )
    prompt_tokens = count_prompt_tokens(messages, tools)
    if prompt_tokens > context_length:
        raise invalid(
            f"This model's maximum context length is {context_length} tokens, "
            f"but the messages take {prompt_tokens} tokens.",
            "messages",
            "context_length_exceeded",
        )
    return prompt_tokens


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if messages is None:
        raise invalid(
            "`messages` is required.", "messages", "missing_required_parameter"
        )
    if not isinstance(messages, list):
        raise invalid("`messages` must be an array.", "messages", "invalid_type")
    if not messages:
        raise invalid(
            "`messages` must contain at least 1 message.", "messages", "empty_array"
        )
    images = 0
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise invalid(f"`{where}` must be an object.", where, "invalid_type")
        role = message.get("role")
        if role is None:
            raise invalid(
                f"`{where}.role` is required.",
                f"{where}.role",
                "missing_required_parameter",
            )
        if role not in ROLES:
            raise invalid(
                f"`{where}.role` must be one of {', '.join(ROLES)}; got {role!r}.",
                f"{where}.role",
                "invalid_value",
            )
        images += _check_content(message, where)
    if images > MAX_IMAGES:
        raise invalid(
            f"At most {MAX_IMAGES} images are allowed per request; got {images}.",
            "messages",
            "too_many_images",
        )
    return messages


def _check_content(message: dict[str, Any], where: str) -> int:
    """Check one message's content; return how many images it holds."""
    content = message.get("content")
    if content is None:
        if message["role"] == "assistant" and message.get("tool_calls"):
            return 0
        raise invalid(
            f"`{where}.content` is required.",
            f"{where}.content",
            "missing_required_parameter",
        )
    if isinstance(content, str):
        return 0
    if not isinstance(content, list):
        raise invalid(
            f"`{where}.content` must be a string or an array of content parts.",
            f"{where}.content",
            "invalid_type",
        )
    images = 0
    for j, part in enumerate(content):
        here = f"{where}.content[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind != "image_url":
            raise invalid(
                f"`{here}` must be a text or image_url part.", here, "invalid_type"
            )
        if message["role"] != "user":
            # The service reads images only from user turns; a tool result or
            # an assistant turn holding one is refused, not silently dropped.
            raise invalid(
                f"Images are only supported in user messages; `{where}` has role "
                f"{message['role']!r}.",
                here,
                "invalid_value",
            )
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if not isinstance(url, str) or not _DATA_URL.match(url):
            raise invalid(
                "Only base64 data URLs (data:<mime>;base64,...) are accepted for "
                "images; http(s) URLs are not.",
                f"{here}.image_url.url",
                "invalid_image_url",
            )
        images += 1
    return images


def _check_number(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"`{name}` must be a number.", name, "invalid_type")
    if value < low:
        raise invalid(
            f"`{name}` must be between {low} and {high}; got {value}.",
            name,
            "decimal_below_min_value",
        )
    if value > high:
        raise invalid(
            f"`{name}` must be between {low} and {high}; got {value}.",
            name,
            "decimal_above_max_value",
        )


def _check_integer(body: dict[str, Any], name: str, low: int, high: int | None) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"`{name}` must be an integer.", name, "invalid_type")
    allowed = f"between {low} and {high}" if high is not None else f"at least {low}"
    if value < low:
        raise invalid(
            f"`{name}` must be {allowed}; got {value}.",
            name,
            "integer_below_min_value",
        )
    if high is not None and value > high:
        raise invalid(
            f"`{name}` must be {allowed}; got {value}.",
            name,
            "integer_above_max_value",
        )


def _check_sampling(body: dict[str, Any]) -> None:
    """The parameters the vendor SDK added to the reference page's."""
    _check_integer(body, "n", 1, None)
    _check_integer(body, "max_completion_tokens", 1, None)
    _check_integer(body, "seed", -(2**63), 2**63 - 1)
    _check_integer(body, "top_logprobs", 0, 20)
    _check_number(body, "frequency_penalty", -2, 2)
    _check_number(body, "presence_penalty", -2, 2)
    _check_type(body, "logprobs", bool, "a boolean")
    _check_type(body, "do_sample", bool, "a boolean")
    _check_type(body, "chat_template_kwargs", dict, "an object")
    penalty = body.get("repetition_penalty")
    if penalty is not None:
        _check_number(body, "repetition_penalty", 0, math.inf)
        if penalty == 0:
            raise invalid(
                "`repetition_penalty` must be greater than 0; got 0.",
                "repetition_penalty",
                "decimal_below_min_value",
            )
    if body.get("top_logprobs") is not None and body.get("logprobs") is not True:
        raise invalid(
            "`logprobs` must be true when `top_logprobs` is used.",
            "top_logprobs",
            "invalid_value",
        )


def _check_stop(stop: Any) -> None:
    if stop is None or isinstance(stop, str):
        return
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise invalid(
            "`stop` must be a string or an array of strings.", "stop", "invalid_type"
        )
    if len(stop) > MAX_STOP_SEQUENCES:
        raise invalid(
            f"`stop` accepts at most {MAX_STOP_SEQUENCES} sequences; got {len(stop)}.",
            "stop",
            "array_above_max_length",
        )


def _check_type(body: dict[str, Any], name: str, kind: type, label: str) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise invalid(f"`{name}` must be {label}.", name, "invalid_type")


def _check_tools(body: dict[str, Any]) -> list[Any]:
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise invalid("`tools` must be an array.", "tools", "invalid_type")
    names = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or tool.get("type", "function") != "function":
            raise invalid(
                f'`tools[{i}]` must be {{"type": "function", "function": '
                '{"name": ...}}.',
                f"tools[{i}]",
                "invalid_type",
            )
        names.append(name)
    if tools and (body.get("n") or 1) > 1:
        raise invalid(
            "`n` greater than 1 is not supported with tools.", "n", "invalid_value"
        )
    choice = body.get("tool_choice")
    if choice is None or choice in ("auto", "none"):
        return tools
    if choice == "required":
        named = None
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        named = choice["function"].get("name")
    else:
        raise invalid(
            "`tool_choice` must be auto, required, none or "
            '{"type": "function", "function": {"name": ...}}.',
            "tool_choice",
            "invalid_value",
        )
    if not tools or (named is not None and named not in names):
        raise invalid(
            f"`tool_choice` asks for {named or 'a tool call'}, but `tools` "
            "does not offer it.",
            "tool_choice",
            "invalid_value",
        )
    return tools


def _check_response_format(response_format: Any) -> None:
    if response_format is None:
        return
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind not in _RESPONSE_FORMATS:
        raise invalid(
            f"`response_format.type` must be one of {', '.join(_RESPONSE_FORMATS)}.",
            "response_format",
            "invalid_value",
        )
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise invalid(
                "`response_format.json_schema.schema` must be a JSON schema object.",
                "response_format.json_schema",
                "invalid_type",
            )
