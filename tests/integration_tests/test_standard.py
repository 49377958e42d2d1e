"""langchain-tests' standard integration suite for ChatSambaNova, over HTTP.

Against the emulator by default (see conftest.py for the few standard tests
skipped there, each with its reason); against the live service, with nothing
skipped, with ``SAMBANOVA_LIVE_TESTS=1`` and a key (see docs/testing.md).

``test_stream_time`` replays its cassette in ``cassettes/``
and benchmarks the client's streaming overhead on it; re-record it with
``pytest tests/integration_tests --record-mode=rewrite`` (see test_cassettes.py).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests
from standard_capabilities import SambaNovaCapabilities

from ._support import MODEL, VISION_MODEL, Target

# The image langchain-tests downloads for test_image_inputs.
_STANDARD_IMAGE_URL = (
    "https://raw.githubusercontent.com/langchain-ai/docs/"
    "4d11d08b6b0e210bd456943f7a22febbd168b543/src/images/agentic-rag-output.png"
)


def _png(width: int = 16, height: int = 16) -> bytes:
    """Return a small valid PNG (a red-to-blue gradient), built offline."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (255 - 16 * x, 0, 16 * x))
        for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _offline_get(
    real_get: Callable[..., httpx.Response],
) -> Callable[..., httpx.Response]:
    """Wrap ``httpx.get`` to answer the standard image download offline."""

    def get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        if str(url) == _STANDARD_IMAGE_URL:
            return httpx.Response(200, content=_png())
        return real_get(url, *args, **kwargs)

    return get


def _script_unicode_customers(emulator: Any) -> None:
    """Script the two calls test_unicode_tool_call_integration expects.

    That test's point is the client's handling of non-ASCII tool arguments,
    not the model's reading of the request. The emulator sends these
    arguments as JSON with \\uXXXX escapes, which the client must decode.
    """
    for name, description in [
        ("你好啊集团", "a Chinese technology company"),
        ("こんにちは株式会社", "a Japanese company"),
    ]:
        arguments = {"customer_name": name, "description": description}
        emulator.script.reply_tool_calls(
            [{"name": "unicode_customer", "arguments": arguments}]
        )


class TestChatSambaNovaStandard(SambaNovaCapabilities, ChatModelIntegrationTests):
    @pytest.fixture(autouse=True)
    def _prepare(
        self,
        target: Target,
        request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch,
    ) -> Iterator[None]:
        # langchain-tests forbids overriding its tests, so the per-test
        # arrangements live here, keyed by test name.
        name = request.node.originalname
        self._target = target  # chat_model_params is a property, not a fixture
        self._model_name = VISION_MODEL if name == "test_image_inputs" else MODEL
        emulator = target.emulator
        if emulator is None:
            yield
            return
        monkeypatch.setattr(httpx, "get", _offline_get(httpx.get))
        if name == "test_unicode_tool_call_integration":
            _script_unicode_customers(emulator)
        yield
        if name == "test_unicode_tool_call_integration":
            assert len(emulator.script) == 0, "the scripted replies were not all used"

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": self._model_name, **self._target.params}

    @property
    def enable_vcr_tests(self) -> bool:
        return True
