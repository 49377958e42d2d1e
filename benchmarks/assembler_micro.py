"""Micro-benchmark of the streaming hot path: CPU per chunk, no network.

    python -m benchmarks.assembler_micro [chunks]   # default 2,000

Times ``StreamAssembler`` alone on realistic content chunks (role repeated,
``logprobs: null``, fingerprint, a finish and a usage chunk), and
``ChatSambaNova.stream`` over an ``httpx.MockTransport`` SSE body (SSE
decoding, the assembler and LangChain's own per-chunk work). Each figure is
the minimum CPU time over many runs, which is what holds on a busy machine.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from langchain_provider import ChatSambaNova
from langchain_provider._response import StreamAssembler

MODEL = "Meta-Llama-3.3-70B-Instruct"


def _chunk(text: str, finish_reason: str | None = None) -> dict[str, Any]:
    delta = {"role": "assistant", "content": text}
    return {
        "id": "283f-1",
        "object": "chat.completion.chunk",
        "created": 1771518114,
        "model": MODEL,
        "system_fingerprint": "fastcoe",
        "choices": [
            {
                "index": 0,
                "delta": delta,
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
    }


def realistic_chunks(count: int) -> list[dict[str, Any]]:
    """``count`` content chunks, then a finish chunk and a usage chunk."""
    chunks = [_chunk(f" tok{i % 97}") for i in range(count)]
    chunks.append(_chunk("", "stop"))
    usage = {"prompt_tokens": 21, "completion_tokens": count, "total_latency": 2.0}
    chunks.append({**_chunk(""), "choices": [], "usage": usage})
    return chunks


def _best_per_chunk(run: Callable[[], Any], chunks: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best / chunks * 1e6


def main(count: int = 2000) -> None:
    """Print the assembler's and the whole stream's CPU microseconds per chunk."""
    chunks = realistic_chunks(count)

    def assemble() -> None:
        assembler = StreamAssembler()
        for chunk in chunks:
            assembler.feed(chunk)
        assembler.finish()

    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)
    body = (events + "data: [DONE]\n\n").encode()
    headers = {"content-type": "text/event-stream"}
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers=headers)
    )
    llm = ChatSambaNova(
        model=MODEL, api_key="k", http_client=httpx.Client(transport=transport)
    )

    def stream() -> None:
        for _ in llm.stream("hi"):
            pass

    assembler = _best_per_chunk(assemble, len(chunks), 40)
    streamed = _best_per_chunk(stream, len(chunks), 15)
    print(f"assembler {assembler:.2f} us/chunk, stream {streamed:.2f} us/chunk")  # noqa: T201


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
