"""Make ``"sambanova:<model>"`` strings work in LangChain's ``init_chat_model``.

``langchain.chat_models.init_chat_model`` (and through it ``create_agent`` and
the agent middleware that take model strings) only knows the providers listed
in ``langchain.chat_models.base._BUILTIN_PROVIDERS``. That dict is private and
has no public hook, so this module adds one entry to it when the package is
imported. Because it is private, every assumption is checked first: when
``langchain`` is not installed nothing happens, and when the registry is
missing or has another shape than the one this code knows (a dict of
``(module, class name, creator)`` tuples, as in langchain 1.x) a single
warning says so and the import carries on; ``ChatSambaNova`` itself is
unaffected.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from collections.abc import Callable
from typing import Any

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
