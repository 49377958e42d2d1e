"""The reply to ``response_format={"type": "json_object"}`` (JSON mode).

JSON mode asks only for *a* JSON object; the prompt says which one. The
emulator reads the prompt the way LangChain's json_mode prompts write it:

- a JSON schema written into a system or user message (as
  ``PydanticOutputParser.get_format_instructions()`` does): the reply is an
  instance of it, filled from the user's words like ``json_schema`` replies.
  The latest message holding one wins, and within it the last schema (the
  format instructions show an example schema before the real one);
- else key names quoted in a sentence about keys or fields ("Return a JSON
  with 'setup' and 'punchline' keys"): an object with those keys;
- else ``{"answer": <the plain reply>}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._schema_values import Hints, instance_for

_DECODER = json.JSONDecoder()
_KEYS_SENTENCE = re.compile(r"[^.!?\n]*\b(?:keys?|fields?|properties)\b[^.!?\n]*")
_QUOTED_NAME = re.compile(r"""['"`]([A-Za-z_][\w-]*)['"`]""")


def json_object_reply(messages: list[dict[str, Any]], plain_reply: str) -> str:
    """Return the JSON text answering a JSON-mode request.

    Args:
        messages: The request's messages.
        plain_reply: What the model would answer without JSON mode.
    """
    user_text = _last_text(messages, ("user",))
    for message in reversed(messages):
        if message.get("role") not in ("system", "user", "developer"):
            continue
        schemas = [value for value, _ in _json_objects(_text(message))]
        schemas = [value for value in schemas if _looks_like_schema(value)]
        if schemas:
            hints = Hints.from_text(_without_json(user_text))
            return json.dumps(instance_for(schemas[-1], hints))
    prompt = _last_text(messages, ("user", "system", "developer"))
    keys = _named_keys(_without_json(prompt))
    if keys:
        return json.dumps({key: f"Emulated {key}" for key in keys})
    return json.dumps({"answer": plain_reply})


def _json_objects(text: str) -> list[tuple[Any, tuple[int, int]]]:
    """Return the JSON objects written in `text`, with their spans."""
    found = []
    position = text.find("{")
    while position != -1:
        try:
            value, end = _DECODER.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        found.append((value, (position, end)))
        position = text.find("{", end)
    return found


def _looks_like_schema(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    properties = value.get("properties")
    if isinstance(properties, dict) and properties:
        return all(isinstance(spec, dict) for spec in properties.values())
    return value.get("type") == "object" or "$defs" in value or "anyOf" in value


def _without_json(text: str) -> str:
    """The text with its JSON objects cut out: their words are no hints."""
    for _, (start, end) in reversed(_json_objects(text)):
        text = text[:start] + text[end:]
    return text


def _named_keys(text: str) -> list[str]:
    keys: list[str] = []
    for sentence in _KEYS_SENTENCE.findall(text):
        for name in _QUOTED_NAME.findall(sentence):
            if name not in keys:
                keys.append(name)
    return keys


def _last_text(messages: list[dict[str, Any]], roles: tuple[str, ...]) -> str:
    for message in reversed(messages):
        if message.get("role") in roles:
            return _text(message)
    return ""


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
    return content or ""
