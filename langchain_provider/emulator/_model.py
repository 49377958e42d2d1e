"""The deterministic fake model: what the emulator answers, as tokens.

It is honest about being an emulator. The reply to a conversation is:

- last message from the user: ``"Emulated reply to: <its text>"``, preceded by
  ``"I see N image(s). "`` when it holds images;
- last messages are tool results: ``"The <name> tool returned: <content>."``
  for each trailing tool message, joined by spaces;
- any other last message: ``"Emulated reply to: <its text>"``.

``response_format`` ``json_object`` gives an instance of a schema the prompt
holds, else ``{"answer": <that reply>}`` (see `_json_mode`);
``json_schema`` gives an instance of the schema (see `_schema_values`). Tools
are called when ``tool_choice`` is ``required`` (the tools the user's last
message mentions, else the first tool) or names a tool, or when it is ``auto``
and the last message is the user's and mentions a tool by name (case-insensitive,
underscores read as spaces too). gpt-oss models reason in a separate field;
DeepSeek-R1 models put the same sentence in ``<think>...</think>`` first.

Then ``stop`` cuts the content before the first stop sequence and
``max_tokens`` truncates reasoning plus content (finish_reason ``length``).
Scripted replies skip all of this and are sent verbatim.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from ._json_mode import json_object_reply
from ._schema_values import Hints, instance_for
from ._script import ScriptedReply
from ._tokens import count_tokens, tokenize


@dataclass
class ToolCall:
    """One tool call of a reply.

    Attributes:
        id: ``call_<hex>``; None for a scripted call sent without an id.
        name: The function's name.
        arguments: The arguments as a JSON string.
    """

    id: str | None
    name: str
    arguments: str


@dataclass
class Reply:
    """A reply, split the way it will be streamed.

    Attributes:
        content_pieces: Content tokens (or forced stream chunks); empty for
            tool-call replies.
        reasoning_pieces: Reasoning tokens (gpt-oss), sent before the content.
        tool_calls: Tool calls, if the reply calls tools.
        finish_reason: ``stop``, ``length`` or ``tool_calls``.
        prompt_tokens: Tokens of the request's prompt.
        completion_tokens: Tokens of the reply (reasoning and tool calls too).
        reasoning_tokens: The reasoning's share of `completion_tokens`.
        forced_chunks: `content_pieces` are scripted stream chunks, not tokens.
        logprobs: One log-probability entry per content piece, when asked
            (set by `_sampling.reply_choices`).
    """

    content_pieces: list[str]
    reasoning_pieces: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    forced_chunks: bool = False
    logprobs: list[dict[str, Any]] | None = None

    @property
    def content(self) -> str | None:
        """The whole content; None for a tool-call reply."""
        if self.tool_calls and not self.content_pieces:
            return None
        return "".join(self.content_pieces)

    @property
    def reasoning(self) -> str:
        """The whole reasoning ("" when the model does not reason apart)."""
        return "".join(self.reasoning_pieces)


def respond(
    body: dict[str, Any], prompt_tokens: int, scripted: ScriptedReply | None = None
) -> Reply:
    """Return the reply to a validated request.

    Args:
        body: The request body (already validated).
        prompt_tokens: The prompt's size, from validation.
        scripted: A scripted reply that replaces the model's.
    """
    if scripted is not None:
        reply = _scripted(scripted)
    else:
        reply = _generate(body)
    reply.prompt_tokens = prompt_tokens
    reply.reasoning_tokens = len(reply.reasoning_pieces)
    pieces = reply.content_pieces
    content_tokens = (
        sum(map(count_tokens, pieces)) if reply.forced_chunks else len(pieces)
    )
    call_tokens = sum(
        count_tokens(c.name) + count_tokens(c.arguments) for c in reply.tool_calls
    )
    reply.completion_tokens = reply.reasoning_tokens + content_tokens + call_tokens
    return reply


def new_tool_call_id() -> str:
    """Return a fresh tool call id in the service's ``call_<hex>`` form."""
    return f"call_{uuid.uuid4().hex[:24]}"


def _scripted(scripted: ScriptedReply) -> Reply:
    reply = _scripted_reply(scripted)
    if scripted.reasoning:
        reply.reasoning_pieces = tokenize(scripted.reasoning)
    return reply


def _scripted_reply(scripted: ScriptedReply) -> Reply:
    if scripted.tool_calls is not None:
        calls = [
            ToolCall(
                id=call["id"] if "id" in call else new_tool_call_id(),
                name=call["name"],
                arguments=_as_json(call.get("arguments", {})),
            )
            for call in scripted.tool_calls
        ]
        pieces = tokenize(scripted.text) if scripted.text else []
        return Reply(
            content_pieces=pieces, tool_calls=calls, finish_reason="tool_calls"
        )
    if scripted.chunks is not None:
        return Reply(content_pieces=list(scripted.chunks), forced_chunks=True)
    return Reply(content_pieces=tokenize(scripted.text or ""))


def _generate(body: dict[str, Any]) -> Reply:
    messages = body["messages"]
    last = messages[-1]
    user_text = _text_of(last) if last["role"] == "user" else ""
    hints = Hints.from_text(_last_user_text(messages))
    calls = _tool_calls(body, user_text, hints)
    model = body["model"]
    reasoning = ""
    if model.startswith("gpt-oss") or "DeepSeek-R1" in model:
        plan = f"call {', '.join(c.name for c in calls)}" if calls else "answer"
        reasoning = f"The user wrote: {_snippet(_text_of(last))} I will {plan}."
    if calls:
        return Reply(
            content_pieces=[],
            reasoning_pieces=tokenize(reasoning) if model.startswith("gpt-oss") else [],
            tool_calls=calls,
            finish_reason="tool_calls",
        )
    content = _content(body, messages, hints)
    if reasoning and not model.startswith("gpt-oss"):
        content = f"<think>\n{reasoning}\n</think>\n\n{content}"
        reasoning = ""
    content = _cut_at_stop(content, body.get("stop"))
    reasoning_tokens, content_tokens = tokenize(reasoning), tokenize(content)
    finish_reason = "stop"
    budget = body.get("max_tokens")
    if budget is not None and len(reasoning_tokens) + len(content_tokens) > budget:
        reasoning_tokens = reasoning_tokens[:budget]
        content_tokens = content_tokens[: budget - len(reasoning_tokens)]
        finish_reason = "length"
    return Reply(content_tokens, reasoning_tokens, finish_reason=finish_reason)


def _content(body: dict[str, Any], messages: list[dict[str, Any]], hints: Hints) -> str:
    response_format = body.get("response_format") or {}
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = response_format["json_schema"]["schema"]
        return json.dumps(instance_for(schema, hints))
    text = _text_reply(messages)
    if kind == "json_object":
        return json_object_reply(messages, text)
    return text


def _text_reply(messages: list[dict[str, Any]]) -> str:
    last = messages[-1]
    if last["role"] == "tool":
        return " ".join(_tool_results(messages))
    text = _text_of(last)
    reply = f"Emulated reply to: {text}" if text else "Emulated reply."
    images = _image_count(last)
    return f"I see {images} image(s). {reply}" if images else reply


def _tool_results(messages: list[dict[str, Any]]) -> list[str]:
    names = {
        call.get("id"): call.get("function", {}).get("name")
        for message in messages
        if message["role"] == "assistant"
        for call in message.get("tool_calls") or []
    }
    results = []
    for message in reversed(messages):
        if message["role"] != "tool":
            break
        name = names.get(message.get("tool_call_id")) or message.get("name")
        tool = f"The {name} tool" if name else "The tool"
        results.append(f"{tool} returned: {_text_of(message).rstrip('.')}.")
    return results[::-1]


def _tool_calls(body: dict[str, Any], user_text: str, hints: Hints) -> list[ToolCall]:
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or "auto"
    if not tools or choice == "none":
        return []
    by_name = {tool["function"]["name"]: tool["function"] for tool in tools}
    if isinstance(choice, dict):
        chosen = [choice["function"]["name"]]
    else:
        chosen = _mentioned(list(by_name), user_text)
        if choice == "required" and not chosen:
            chosen = [next(iter(by_name))]
    calls = []
    for name in chosen:
        schema = by_name[name].get("parameters") or {"type": "object"}
        arguments = instance_for(schema, hints)
        if not isinstance(arguments, dict):
            arguments = {}
        calls.append(ToolCall(new_tool_call_id(), name, json.dumps(arguments)))
    return calls


def _mentioned(names: list[str], text: str) -> list[str]:
    """Return the tool names the text mentions, in order of first mention."""
    lowered = text.lower()
    found = []
    for name in names:
        spellings = {name.lower(), name.lower().replace("_", " ")}
        positions = [lowered.find(s) for s in spellings if s in lowered]
        if positions:
            found.append((min(positions), name))
    return [name for _, name in sorted(found)]


def _cut_at_stop(content: str, stop: str | list[str] | None) -> str:
    sequences = [stop] if isinstance(stop, str) else stop or []
    cuts = [content.find(s) for s in sequences if s and s in content]
    return content[: min(cuts)] if cuts else content


def _text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if p.get("type") == "text")
    return content or ""


def _image_count(message: dict[str, Any]) -> int:
    content = message.get("content")
    if not isinstance(content, list):
        return 0
    return sum(1 for part in content if part.get("type") == "image_url")


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return _text_of(message)
    return ""


def _snippet(text: str, words: int = 12) -> str:
    head = text.split()
    snippet = " ".join(head[:words]) + (" ..." if len(head) > words else "")
    return f'"{snippet}".' if snippet else "nothing."


def _as_json(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)
