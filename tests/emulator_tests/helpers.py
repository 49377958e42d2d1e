"""Request helpers shared by the emulator tests (plain httpx, no package client)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from httpx_sse import connect_sse

from langchain_provider.emulator import Emulator, EmulatorConfig

MODEL = "Meta-Llama-3.3-70B-Instruct"


def fast_config(**overrides: Any) -> EmulatorConfig:
    """Settings for tests: no pacing unless a test asks for it."""
    settings: dict[str, Any] = {"time_to_first_token": 0, "tokens_per_second": None}
    return EmulatorConfig(**{**settings, **overrides})


def chat_body(content: Any = "What is 2+2?", **fields: Any) -> dict[str, Any]:
    """A chat completion request body with one user message."""
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": content}],
        **fields,
    }


def post(client: httpx.Client, emu: Emulator, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"{emu.base_url}/chat/completions", json=body)


def complete(client: httpx.Client, emu: Emulator, **fields: Any) -> dict[str, Any]:
    """POST a non-streaming request built by `chat_body`; return the JSON body."""
    content = fields.pop("content", "What is 2+2?")
    response = post(client, emu, chat_body(content, **fields))
    assert response.status_code == 200, response.text
    return response.json()


def stream_events(
    client: httpx.Client, emu: Emulator, body: dict[str, Any]
) -> list[tuple[str, str]]:
    """Stream a request; return its SSE events as (event name, raw data)."""
    with connect_sse(
        client,
        "POST",
        f"{emu.base_url}/chat/completions",
        json={**body, "stream": True},
    ) as source:
        assert source.response.status_code == 200
        return [(event.event, event.data) for event in source.iter_sse()]


def stream_chunks(
    client: httpx.Client, emu: Emulator, **fields: Any
) -> list[dict[str, Any]]:
    """Stream a `chat_body` request; return the JSON chunks (checks [DONE] last)."""
    content = fields.pop("content", "What is 2+2?")
    events = stream_events(client, emu, chat_body(content, **fields))
    assert events[-1] == ("message", "[DONE]")
    return [json.loads(data) for _, data in events[:-1]]


def streamed_content(chunks: list[dict[str, Any]]) -> str:
    return "".join(
        chunk["choices"][0]["delta"].get("content") or ""
        for chunk in chunks
        if chunk["choices"]
    )
