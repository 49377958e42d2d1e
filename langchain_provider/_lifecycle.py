"""Explicit connection lifecycles for a model: ``close``, ``aclose``, ``with``.

By default models share ``_transport.SHARED``; these methods give one model
its own ``Pools`` for a ``with`` block and close them deterministically.
Kept out of ``chat_models`` so the model class stays about LangChain.
"""

from __future__ import annotations

from typing_extensions import Self

from langchain_provider._transport import Pools


class PoolLifecycle:
    """Mixin: ``close``/``aclose`` and (async) context-manager use of a model."""

    _pools: Pools | None

    def __enter__(self) -> Self:
        """Give this model its own connection pools until ``close``.

        By default models share process-wide pools that are never closed
        while other models may use them; ``with ChatSambaNova(...) as llm:``
        opens pools for this model alone and closes them deterministically
        on exit. Clients passed as ``http_client`` are never closed.
        """
        if self._pools is None:
            self._pools = Pools()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the pools ``__enter__`` opened."""
        self.close()

    async def __aenter__(self) -> Self:
        """Async twin of ``__enter__``: ``async with ChatSambaNova(...) as llm:``."""
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the pools ``__aenter__`` opened, on the running loop."""
        await self.aclose()

    def close(self) -> None:
        """Close the connections this model owns (opened by ``with``).

        The shared pools are left open for other models (they close at exit,
        and per event loop when the loop closes), as are clients passed in as
        ``http_client``/``http_async_client``. After ``close`` the model still
        works, on the shared pools.
        """
        pools, self._pools = self._pools, None
        if pools is not None:
            pools.close()

    async def aclose(self) -> None:
        """Async twin of ``close``; also closes this loop's async connections."""
        pools, self._pools = self._pools, None
        if pools is not None:
            await pools.aclose()
