"""LangChain integration for the SambaNova Cloud chat completion API.

Public names: ``ChatSambaNova`` (the chat model), ``ModelInfo`` (an entry of
``ChatSambaNova.list_models()``), the error classes of
``langchain_provider.errors``, and ``__version__``. The local emulator of the
API lives in ``langchain_provider.emulator`` (install the ``emulator`` extra).
"""

from langchain_provider._catalog import ModelInfo
from langchain_provider._version import __version__
from langchain_provider.chat_models import ChatSambaNova
from langchain_provider.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ContextLengthExceededError,
    InvalidRequestError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    SambaNovaError,
    ServerError,
    StreamEventError,
    StreamInterruptedError,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ChatSambaNova",
    "ContextLengthExceededError",
    "InvalidRequestError",
    "ModelInfo",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseDecodeError",
    "SambaNovaError",
    "ServerError",
    "StreamEventError",
    "StreamInterruptedError",
    "__version__",
]
