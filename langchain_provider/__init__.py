"""LangChain integration for the SambaNova Cloud chat completion API.

Public names: ``ChatSambaNova`` (the chat model), ``ModelInfo`` (an entry of
``ChatSambaNova.list_models()``), the error classes of
``langchain_provider.errors``, and ``__version__``. Importing the package
also registers the ``"sambanova"`` provider with langchain's
``init_chat_model`` (when langchain is installed; see ``_langchain``) and a
content-block translator with langchain-core (see ``_langchain``). The
local emulator of the API lives in ``langchain_provider.emulator`` (install
the ``emulator`` extra).
"""

from langchain_provider._langchain import (
    register_sambanova_translator,
    register_with_langchain,
)
from langchain_provider._profiles import ModelInfo
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
    QuotaExceededError,
    RateLimitError,
    ResponseDecodeError,
    SambaNovaError,
    ServerError,
    StreamEventError,
    StreamInterruptedError,
)

# "sambanova:<model>" for init_chat_model / create_agent, and content blocks.
register_with_langchain()
register_sambanova_translator()

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
    "QuotaExceededError",
    "RateLimitError",
    "ResponseDecodeError",
    "SambaNovaError",
    "ServerError",
    "StreamEventError",
    "StreamInterruptedError",
    "__version__",
]
