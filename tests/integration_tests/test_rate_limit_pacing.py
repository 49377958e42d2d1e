"""Pacing end to end: bursts against the emulator enforcing a small limit.

Always the emulator on loopback (the live service cannot be made to enforce a
limit this small). The server's own access log counts its answers; each test
uses a key of its own, so no other test shares its pacer. Timing is bounded
from above only, and generously.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from langchain_provider import ChatSambaNova
from langchain_provider.emulator import Emulator

ACCESS_LOGGER = "langchain_provider.emulator.access"
LIMIT = "5/1s"
_STATUS = re.compile(r"^POST /v1/chat/completions (\d{3}) ")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(
        time_to_first_token=0,
        tokens_per_second=None,
        rate_limit=LIMIT,
        log_requests=True,
    ) as emu:
        yield emu


def statuses(caplog: pytest.LogCaptureFixture) -> Counter[int]:
    """The server's answers to chat completions, by status."""
    found = (_STATUS.match(r.getMessage()) for r in caplog.records)
    return Counter(int(m.group(1)) for m in found if m)


def model(emu: Emulator, **settings: object) -> ChatSambaNova:
    return ChatSambaNova(
        base_url=emu.base_url,
        api_key=f"pacing-{uuid.uuid4().hex}",  # a pacer of its own
        max_tokens=8,
        **settings,  # type: ignore[arg-type]
    )


async def test_a_burst_of_ainvoke_is_paced_without_failures(emulator, caplog):
    llm = model(emulator)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        replies = await asyncio.wait_for(
            asyncio.gather(*(llm.ainvoke(f"question {i}") for i in range(15))),
            timeout=60,
        )
    assert all(reply.content for reply in replies)
    seen = statuses(caplog)
    assert seen[200] == 15
    assert seen[429] <= 2
    assert replies[-1].response_metadata["rate_limit"]["requests"]["limit"] == 5


async def test_a_burst_of_astream_is_paced_too(emulator, caplog):
    llm = model(emulator)

    async def streamed(i: int) -> str:
        return "".join([str(c.content) async for c in llm.astream(f"q {i}")])

    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        texts = await asyncio.wait_for(
            asyncio.gather(*(streamed(i) for i in range(10))), timeout=60
        )
    assert all(texts)
    seen = statuses(caplog)
    assert seen[200] == 10 and seen[429] <= 2


def test_a_sync_batch_is_paced_too(emulator, caplog):
    llm = model(emulator)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        replies = llm.batch([f"q {i}" for i in range(10)], {"max_concurrency": 10})
    assert all(reply.content for reply in replies)
    seen = statuses(caplog)
    assert seen[200] == 10 and seen[429] <= 2


async def test_without_pacing_the_same_burst_draws_429s(emulator, caplog):
    # The control: the limit above is really enforced, and pacing is what
    # keeps the bursts under it.
    llm = model(emulator, rate_limit_pacing=False, max_retries=0)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        results = await asyncio.gather(
            *(llm.ainvoke(f"q {i}") for i in range(15)), return_exceptions=True
        )
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 10
    assert statuses(caplog)[429] == 10
