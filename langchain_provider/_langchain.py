"""What the package registers with LangChain: ``init_chat_model`` and content blocks.

Registry: ``langchain.chat_models.init_chat_model`` (and through it
``create_agent`` and the middleware that take model strings) only knows the
providers in the private ``langchain.chat_models.base._BUILTIN_PROVIDERS``;
``register_with_langchain`` adds ``"sambanova"`` there at import, after
checking every assumption about its shape (a single warning when it differs;
nothing when langchain is not installed).

langchain-core turns a message into standard blocks with the translator
registered for its ``response_metadata["model_provider"]``; without one it
falls back to a generic guess that drops tool calls without an ``id`` and
never shows ``invalid_tool_calls``. This module registers the translator for
``"sambanova"`` through langchain-core's public ``register_translator``.

What a SambaNova message holds, in block order:

- reasoning: gpt-oss's ``reasoning`` field and DeepSeek-R1's ``<think>``
  block both land in ``additional_kwargs["reasoning_content"]``; a leading
  ``<think>`` block still inside text content (a message built by hand) is
  split off the same way;
- text: the answer;
- tool calls, then invalid tool calls (arguments that are not a JSON object),
  whatever their ``id``; a streamed chunk that is not the last one carries
  ``tool_call_chunk`` blocks instead, keyed by the call's index.

With ``output_version="v1"`` a stream's content is the merge langchain-core
makes of each chunk's blocks: it turns the ``tool_call_chunk`` blocks of
calls that have an ``id`` and valid arguments into ``tool_call`` blocks, and
leaves those of other calls as they are (the aggregate's ``tool_calls`` and
``invalid_tool_calls`` are still exact).
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from collections.abc import Callable
from typing import Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from langchain_provider._response import MODEL_PROVIDER, split_think_tags

# -- init_chat_model registration ----------------------------------------------

PROVIDER = "sambanova"
"""The provider key: ``init_chat_model("sambanova:<model>")``."""

# This package's own path, so a renamed or vendored copy still points at itself.
_MODULE = __name__.rsplit(".", 1)[0] + ".chat_models"
_CLASS = "ChatSambaNova"
_REGISTRY_MODULE = "langchain.chat_models.base"
_REGISTRY_NAME = "_BUILTIN_PROVIDERS"

_warned = False


class RegistryShapeWarning(UserWarning):
    """langchain's private provider registry is not shaped as expected."""


def _create(cls: Callable[..., Any], **kwargs: Any) -> Any:
    """Build the model: ``init_chat_model`` passes ``model=`` and every keyword."""
    return cls(**kwargs)


def _is_entry(value: Any) -> bool:
    """Whether a registry value is a ``(module, class name, creator)`` tuple."""
    return (
        isinstance(value, tuple)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], str)
        and callable(value[2])
    )


def _warn_once(problem: str) -> None:
    global _warned
    if _warned:
        return
    _warned = True
    warnings.warn(
        f"langchain-provider could not register the 'sambanova' provider with "
        f"langchain's init_chat_model: {problem}. 'sambanova:<model>' strings "
        "will not work; build ChatSambaNova(model=...) directly and pass the "
        "instance instead.",
        RegistryShapeWarning,
        stacklevel=3,
    )


def _load_registry() -> Any:
    """Return langchain's registry, or ``None`` when langchain is not installed."""
    if importlib.util.find_spec("langchain") is None:
        return None
    try:
        module = importlib.import_module(_REGISTRY_MODULE)
    except ImportError as exc:
        _warn_once(f"importing {_REGISTRY_MODULE} failed ({exc})")
        return None
    registry = getattr(module, _REGISTRY_NAME, None)
    if registry is None:
        _warn_once(f"{_REGISTRY_MODULE}.{_REGISTRY_NAME} does not exist")
    return registry


def register_with_langchain(registry: Any = None) -> bool:
    """Add ``"sambanova"`` to langchain's provider registry, if it is safe to.

    Called once when ``langchain_provider`` is imported. An entry langchain
    already has for ``"sambanova"`` (pointing at another package) is kept.

    Args:
        registry: The registry to change; by default langchain's own.

    Returns:
        Whether ``"sambanova"`` now points at ``ChatSambaNova``.
    """
    if registry is None:
        registry = _load_registry()
        if registry is None:
            return False
    if not isinstance(registry, dict) or not all(
        _is_entry(value) for value in registry.values()
    ):
        _warn_once(
            f"{_REGISTRY_NAME} is no longer a dict of (module, class name, "
            "creator) tuples"
        )
        return False
    existing = registry.get(PROVIDER)
    if existing is not None and existing[:2] != (_MODULE, _CLASS):
        _warn_once(f"it already maps 'sambanova' to {existing[0]}.{existing[1]}")
        return False
    registry[PROVIDER] = (_MODULE, _CLASS, _create)
    return True


# -- standard content blocks ---------------------------------------------------

TOOL_CHUNK_INDEX_PREFIX = "lc_sambanova_tc_"
"""Prefix of streamed tool-call block indexes.

langchain-core numbers the other blocks of a v1 stream 0, 1, ... by block
kind; a tool call's own index (0, 1, ...) would collide with them and merge a
call into the reasoning. langchain-core merges string indexes starting with
``lc_`` by equality, so each call keeps a key of its own."""


def _block(kind: str, **fields: Any) -> types.ContentBlock:
    """A standard block of ``kind`` holding exactly ``fields`` (no generated id)."""
    return cast("types.ContentBlock", {"type": kind, **fields})


def _reasoning_and_text(message: AIMessage) -> tuple[str | None, str] | None:
    """Return ``(reasoning, text)``, or ``None`` for content this cannot read."""
    content = message.content
    if not isinstance(content, str):
        return None
    reasoning = message.additional_kwargs.get("reasoning_content")
    if not isinstance(reasoning, str) or not reasoning:
        reasoning = None
        if content.lstrip().startswith("<think>"):
            reasoning, content = split_think_tags(content)
    return reasoning, content


def _tool_call_blocks(message: AIMessage) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = []
    for call in message.tool_calls:
        blocks.append(
            _block("tool_call", id=call.get("id"), name=call["name"], args=call["args"])
        )
    for invalid in message.invalid_tool_calls:
        blocks.append(
            _block(
                "invalid_tool_call",
                id=invalid.get("id"),
                name=invalid.get("name"),
                args=invalid.get("args"),
                error=invalid.get("error"),
            )
        )
    return blocks


def _tool_call_chunk_blocks(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = []
    for position, call in enumerate(chunk.tool_call_chunks):
        index = position if call.get("index") is None else call.get("index")
        blocks.append(
            _block(
                "tool_call_chunk",
                id=call.get("id"),
                name=call.get("name"),
                args=call.get("args"),
                index=f"{TOOL_CHUNK_INDEX_PREFIX}{index}",
            )
        )
    return blocks


def _leading_blocks(message: AIMessage) -> list[types.ContentBlock]:
    parts = _reasoning_and_text(message)
    if parts is None:
        # List content (e.g. already v1 blocks): langchain-core's generic
        # parsing reads it best.
        raise NotImplementedError
    reasoning, text = parts
    blocks: list[types.ContentBlock] = []
    if reasoning:
        blocks.append(_block("reasoning", reasoning=reasoning))
    if text:
        blocks.append(_block("text", text=text))
    return blocks


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Standard blocks of a whole SambaNova message.

    Args:
        message: A message ``ChatSambaNova`` returned (``invoke``).

    Returns:
        Reasoning, text, tool-call and invalid-tool-call blocks, in that order.

    Raises:
        NotImplementedError: For list content, which langchain-core's generic
            parsing then handles.
    """
    return _leading_blocks(message) + _tool_call_blocks(message)


def translate_content_chunk(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    """Standard blocks of a streamed chunk, or of a stream's aggregate.

    Args:
        chunk: One chunk, or the sum of a stream's chunks (which carries
            ``chunk_position="last"`` and parsed tool calls).

    Returns:
        Reasoning and text blocks, then tool-call and invalid-tool-call
        blocks for the last chunk or an aggregate, ``tool_call_chunk`` blocks
        for any other chunk.

    Raises:
        NotImplementedError: For list content, as in `translate_content`.
    """
    blocks = _leading_blocks(chunk)
    if chunk.chunk_position == "last":
        return blocks + _tool_call_blocks(chunk)
    return blocks + _tool_call_chunk_blocks(chunk)


def register_sambanova_translator() -> None:
    """Register this module's translator for ``model_provider="sambanova"``."""
    register_translator(MODEL_PROVIDER, translate_content, translate_content_chunk)
