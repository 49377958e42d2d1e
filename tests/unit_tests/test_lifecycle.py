"""A model's own connection lifecycle (``_lifecycle``): ``with``, ``close``."""

from __future__ import annotations

from langchain_provider import ChatSambaNova
from langchain_provider._http import SHARED
from unit_tests.conftest import API_KEY, make_model


def test_with_gives_the_model_its_own_pool_and_closes_it() -> None:
    with ChatSambaNova(api_key=API_KEY) as model:
        own = model.client.sync_http()
        assert own is not SHARED.sync_client()
    assert own.is_closed and not SHARED.sync_client().is_closed
    assert model.client.sync_http() is SHARED.sync_client()
    model.close()  # idempotent


async def test_async_with_closes_its_own_async_pool() -> None:
    async with ChatSambaNova(api_key=API_KEY) as model:
        own = model.client.async_http()
        assert own is not SHARED.async_client()
    assert own.is_closed and not SHARED.async_client().is_closed


async def test_clients_passed_in_are_never_closed() -> None:
    model, server = make_model()
    with model:
        model.invoke("hi")
    async with model:
        await model.ainvoke("hi")
    model.close()
    await model.aclose()
    assert not model.http_client.is_closed
    assert not model.http_async_client.is_closed
    assert server.calls == 2
