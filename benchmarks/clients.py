"""The clients under test, each behind the same three calls.

``stream(prompt) -> str``, ``invoke(prompt) -> str`` and
``ainvoke(prompt) -> str`` (a coroutine). A client that cannot do one (the fake
model has no HTTP to make concurrent) leaves it ``None``, and the benchmark
reports n/a. Every client is built with its defaults, pointed at the local
server; the text it returns is checked against the expected answer, because a
benchmark of a broken client is meaningless.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from benchmarks._payload import MODEL, SMALL_REPLY, STREAM_PIECES

API_KEY = "bench"


@dataclass
class Client:
    """One client's three calls; ``None`` where the client cannot do it."""

    stream: Callable[[str], str] | None
    invoke: Callable[[str], str] | None
    ainvoke: Callable[[str], Awaitable[str]] | None


# Each entry: (display label, the import statement the import-time benchmark times).
CLIENTS: dict[str, tuple[str, str]] = {
    "ours": ("langchain-provider", "from langchain_provider import ChatSambaNova"),
    "floor": ("floor: raw httpx + json", "import httpx, json"),
    "fake": (
        "LangChain fixed cost (fake model)",
        "from langchain_core.language_models.chat_models import BaseChatModel",
    ),
    "minimal": (
        "minimal LangChain model over httpx",
        "import httpx, json\n"
        "from langchain_core.language_models.chat_models import BaseChatModel",
    ),
    "sambanova": (
        "langchain-sambanova",
        "from langchain_sambanova import ChatSambaNova",
    ),
    "openai": ("langchain-openai", "from langchain_openai import ChatOpenAI"),
}


def _langchain_client(llm: Any) -> Client:
    """Adapt any LangChain chat model: text is gathered the way a user would."""

    def stream(prompt: str) -> str:
        return "".join(chunk.content for chunk in llm.stream(prompt))

    def invoke(prompt: str) -> str:
        return llm.invoke(prompt).content

    async def ainvoke(prompt: str) -> str:
        return (await llm.ainvoke(prompt)).content

    return Client(stream, invoke, ainvoke)


def _ours(base_url: str) -> Client:
    from langchain_provider import ChatSambaNova

    return _langchain_client(
        ChatSambaNova(base_url=base_url, api_key=API_KEY, model=MODEL)
    )


def _sambanova(base_url: str) -> Client:
    from langchain_sambanova import ChatSambaNova

    # The vendor package names its fields sambanova_api_base/_key, aliased
    # to base_url/api_key.
    return _langchain_client(
        ChatSambaNova(base_url=base_url, api_key=API_KEY, model=MODEL)
    )


def _openai(base_url: str) -> Client:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(base_url=base_url, api_key=API_KEY, model=MODEL)
    return _langchain_client(llm)


class _RawHTTP:
    """httpx, SSE lines and ``json.loads``: what the floor and the minimal
    model do, with the same request body and pool limits as ours."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self._httpx = httpx
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {API_KEY}"}
        self.limits = httpx.Limits(max_connections=1000, max_keepalive_connections=20)
        self.client = httpx.Client(timeout=60, limits=self.limits)
        self._async_clients: dict[Any, Any] = {}

    @staticmethod
    def body(prompt: str, stream: bool) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": MODEL,
            "messages": [{"role": "user", "content": prompt}],
        }
        if stream:
            request["stream"] = True
            request["stream_options"] = {"include_usage": True}
        return request

    def pieces(self, prompt: str) -> Iterator[str]:
        """Each streamed chunk's content."""
        with self.client.stream(
            "POST", self.url, json=self.body(prompt, True), headers=self.headers
        ) as response:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                choices = json.loads(data).get("choices")
                if choices:
                    yield choices[0]["delta"].get("content") or ""

    def invoke(self, prompt: str) -> str:
        response = self.client.post(
            self.url, json=self.body(prompt, False), headers=self.headers
        )
        return response.json()["choices"][0]["message"]["content"]

    async def ainvoke(self, prompt: str) -> str:
        import asyncio

        loop = asyncio.get_running_loop()
        if loop not in self._async_clients:
            self._async_clients[loop] = self._httpx.AsyncClient(
                timeout=60, limits=self.limits
            )
        response = await self._async_clients[loop].post(
            self.url, json=self.body(prompt, False), headers=self.headers
        )
        return response.json()["choices"][0]["message"]["content"]


def _floor(base_url: str) -> Client:
    """No LangChain: httpx, SSE lines and ``json.loads`` per chunk."""
    raw = _RawHTTP(base_url)
    return Client(lambda prompt: "".join(raw.pieces(prompt)), raw.invoke, raw.ainvoke)


def _minimal(base_url: str) -> Client:
    """The least a LangChain chat model over httpx can do, in one process.

    The floor's HTTP and decoding inside a ``BaseChatModel`` that yields one
    bare ``AIMessageChunk`` per chunk: no ids, metadata, usage, tool calls or
    error handling. Summing the floor and the fake model (each measured alone,
    with its code hot in the CPU's caches) gives less than running both in
    one loop costs; this client measures that loop.
    """
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import (
        ChatGeneration,
        ChatGenerationChunk,
        ChatResult,
    )

    raw = _RawHTTP(base_url)

    def result(text: str) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    class MinimalChatModel(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "benchmark-minimal"

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            return result(raw.invoke(messages[-1].content))

        async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            return result(await raw.ainvoke(messages[-1].content))

        def _stream(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            for piece in raw.pieces(messages[-1].content):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk

    return _langchain_client(MinimalChatModel())


def _fake(base_url: str) -> Client:
    """LangChain's own cost: a chat model whose ``_stream`` yields the same
    2,000 chunks with no network, through the same ``.stream()`` machinery."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import (
        ChatGeneration,
        ChatGenerationChunk,
        ChatResult,
    )

    class FakeChatModel(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "benchmark-fake"

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            message = AIMessage(content=SMALL_REPLY)
            return ChatResult(generations=[ChatGeneration(message=message)])

        def _stream(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            for piece in STREAM_PIECES:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk

    client = _langchain_client(FakeChatModel())
    client.ainvoke = None  # no HTTP: concurrency over a network is n/a
    return client


FACTORIES: dict[str, Callable[[str], Client]] = {
    "ours": _ours,
    "floor": _floor,
    "fake": _fake,
    "minimal": _minimal,
    "sambanova": _sambanova,
    "openai": _openai,
}
