"""SSE bodies for tests that play the server: one framing for every suite."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def sse_bytes(events: Sequence[dict[str, Any] | str], *, done: bool = True) -> bytes:
    """Frame events as SSE: dicts become ``data:`` JSON, strings go as raw text."""
    out = []
    for event in events:
        if isinstance(event, str):
            out.append(event if event.endswith("\n\n") else event + "\n\n")
        else:
            out.append(f"data: {json.dumps(event)}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()
