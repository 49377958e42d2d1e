"""What a ``ChatSambaNova`` is configured with: its fields and their validation.

``SambaNovaSettings`` declares every field (with its aliases, defaults and
environment variables) and applies the rules of ``_params`` to constructor
arguments, ``model_kwargs`` and assignments alike. ``ChatSambaNova`` inherits
it and adds the behaviour (calls, streams, tools); keeping the two apart keeps
each module to one job. The serialization id stays ``chat_models``'s.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlparse

import httpx
from langchain_core.language_models.chat_models import (
    BaseChatModel,
)
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.utils import _build_model_kwargs, get_pydantic_field_names
from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from langchain_provider import _retry
from langchain_provider._headers import (
    check_default_headers,
    normalize_api_key,
)
from langchain_provider._params import (
    check_model_kwargs,
    check_parameter,
    check_request,
    normalize_stop,
    validate_timeout,
)
from langchain_provider._profiles import profile_for
from langchain_provider._reasoning import ReasoningInHistory
from langchain_provider._retry import RetryPolicy
from langchain_provider._transport import Pools

DEFAULT_MODEL = "Meta-Llama-3.3-70B-Instruct"
DEFAULT_BASE_URL = "https://api.sambanova.ai/v1"
LIVE_HOST = "api.sambanova.ai"

# Fields sent in the body when, and only when, the user set them: the server's
# own defaults stay in force otherwise. Each has its rule in _params.RULES.
_SAMPLING_FIELDS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "seed",
    "logprobs",
    "top_logprobs",
    "repetition_penalty",
    "do_sample",
    "chat_template_kwargs",
    "reasoning_effort",
)


class SambaNovaSettings(BaseChatModel):
    """The configurable fields of ``ChatSambaNova`` and their validation.

    Not used on its own; see ``ChatSambaNova`` for each field's meaning.
    """

    # hide_input_in_errors: a validation error must never echo the API key.
    # Assignments are validated by __setattr__ below, not validate_assignment.
    model_config = ConfigDict(
        populate_by_name=True, protected_namespaces=(), hide_input_in_errors=True
    )

    model: str = Field(
        default=DEFAULT_MODEL, validation_alias=AliasChoices("model", "model_name")
    )
    """Name of the model to call, as the service lists it (alias ``model_name``)."""

    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("SAMBANOVA_API_KEY", default=None),
        validation_alias=AliasChoices("api_key", "sambanova_api_key"),
        validate_default=True,
    )
    """SambaNova Cloud API key; read from ``SAMBANOVA_API_KEY`` when not given or None.

    None is also what a deserialized model receives (the key is never
    serialized), so ``load(dumpd(llm), ...)`` reads it from the environment.

    Required for the live service; optional for other ``base_url`` targets.
    Surrounding whitespace (a trailing newline or CRLF from a file) is
    stripped; a key that still cannot be sent in an HTTP header raises
    ``ValueError`` naming the problem, never the key."""

    base_url: str = Field(
        default_factory=from_env(
            ["SAMBANOVA_BASE_URL", "SAMBANOVA_API_BASE"], default=DEFAULT_BASE_URL
        ),
        validation_alias=AliasChoices("base_url", "sambanova_api_base"),
    )
    """API root; requests go to ``{base_url}/chat/completions``.

    Alias ``sambanova_api_base``; read from ``SAMBANOVA_BASE_URL`` (or
    ``SAMBANOVA_API_BASE``) when not given."""

    # Body parameters: None (the default) means "unset, the server's default";
    # each field's range is its rule in _params.RULES, checked on assignment too.

    temperature: float | None = None
    """Sampling temperature, 0 to 2."""

    top_p: float | None = None
    """Nucleus sampling probability mass, 0 to 1."""

    top_k: int | None = None
    """Sample only among the ``top_k`` most likely tokens, 1 to 100."""

    max_tokens: int | None = None
    """Most tokens to generate, at least 1."""

    max_completion_tokens: int | None = None
    """Most tokens to generate, at least 1 (the newer name of ``max_tokens``)."""

    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    """Up to four sequences at which generation stops (a string is one)."""

    reasoning_effort: str | None = None
    """How hard reasoning models (gpt-oss) think: ``low``, ``medium``, ``high``."""

    n: int | None = None
    """Choices to generate, at least 1; ``invoke`` returns one generation per
    choice. ``n > 1`` cannot stream and cannot be combined with tools."""

    seed: int | None = None
    """Seed for sampling, any whole number: the same seed, request and model
    give the same answer where the service supports it."""

    logprobs: bool | None = None
    """Return the log probability of each output token (in
    ``response_metadata["logprobs"]``)."""

    top_logprobs: int | None = None
    """Most likely alternatives returned per token, 0 to 20; needs ``logprobs``."""

    repetition_penalty: float | None = None
    """Penalty on repeated tokens, above 0 (1 is none, above 1 discourages)."""

    do_sample: bool | None = None
    """Sample (``True``) or decode deterministically (``False``)."""

    chat_template_kwargs: dict[str, Any] | None = None
    """Keyword arguments for the model's chat template, e.g.
    ``{"enable_thinking": False}`` for models that think by default."""

    reasoning_in_history: ReasoningInHistory = "auto"
    """Which earlier assistant turns send their reasoning back to the model.

    ``"auto"`` (default): the turns that made tool calls, so a reasoning model
    (gpt-oss) keeps its chain of thought between a tool call and its result;
    ``"always"``: every turn that has reasoning; ``"never"``: none. Reasoning
    goes in the message's ``reasoning`` field, never into ``content``. Can
    also be given per call (``llm.invoke(msgs, reasoning_in_history="never")``)."""

    streaming: bool = False
    """Whether ``invoke`` streams under the hood (useful with streaming callbacks)."""

    stream_usage: bool = True
    """Whether streams request and report usage and timing in their last chunk."""

    timeout: float | httpx.Timeout | None = Field(
        default=None, validation_alias=AliasChoices("timeout", "request_timeout")
    )
    """How long to wait: seconds for every phase, or an ``httpx.Timeout``.

    Unset (``None``): 5 s to connect and 600 s for a whole non-streamed answer
    (reasoning models can think for minutes), while a stream that sends
    nothing for 60 s (``_client.STREAM_READ_TIMEOUT``) raises
    ``APITimeoutError``. A number applies to connect and to each read and
    write, streamed or not."""

    max_retries: int = Field(default=2, ge=0)
    """Retries after a 408, 409, 429, 5xx or connection failure (0 disables)."""

    rate_limit_pacing: bool = True
    """Pace requests by the service's ``x-ratelimit-*-requests`` headers.

    Every model in the process with the same base URL, key and model shares
    one pacer: while the current window has no room, a call waits for its
    reset instead of drawing a 429 (the wait does not use up a retry). A
    burst from a cold start sends one request first and waits for its
    headers. Answers without those headers are never slowed; an exhausted
    daily quota still fails fast with ``QuotaExceededError``. ``False`` sends
    at once, as before."""

    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra body fields sent with every request (e.g. ``{"logit_bias": {...}}``).

    Unknown constructor keywords land here, with a warning naming them. A
    declared field, or ``messages``/``stream``/``stream_options``, is refused;
    a ``None`` value is not sent."""

    default_headers: dict[str, str] | None = None
    """Extra HTTP headers sent with every request.

    Names are case-insensitive and replace the package's own: ``user-agent``
    or ``accept`` given here is sent instead of the default, never beside it.
    An ``Authorization`` given here wins over ``api_key`` (e.g. a gateway's
    own credential), so exactly one is ever sent."""

    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` for sync calls (proxies, transports, tests).

    Its pool and transport are used as they are, and it is never closed by
    the model; the model's ``timeout`` still applies to each request.

    By default one client per process, shared by every model, is used (reset
    in a forked child). See ``close`` for explicit lifecycles."""

    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient`` for async calls (never closed by the model).

    By default one shared client per event loop, closed when the loop closes."""

    _pools: Pools | None = PrivateAttr(default=None)
    # The retry waits and their clock; read from the module when the model is
    # made, so a test can swap in a policy that records instead of sleeping.
    _retry_policy: RetryPolicy = PrivateAttr(
        default_factory=lambda: _retry.DEFAULT_POLICY
    )

    @field_validator("timeout", mode="before")
    @classmethod
    def _validate_timeout(cls, value: Any) -> Any:
        # Before pydantic's own checks, so that a bad value gets our message
        # naming what is allowed rather than pydantic's union report.
        validate_timeout(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _build_extra(cls, values: Any) -> Any:
        # Unknown keywords go to model_kwargs with a warning naming them, as
        # ChatOpenAI does; a declared field inside model_kwargs is refused.
        if not isinstance(values, dict):
            return values
        # On assignment (validate_assignment) pydantic passes the instance's
        # __dict__, which also holds cached properties such as core's
        # `_serialized`: underscored names are never body fields.
        names = set(_field_names(cls)) | {k for k in values if k.startswith("_")}
        # A copy: the helper adds to model_kwargs in place, and the dict is the
        # caller's. Checked first: the helper only warns about declared fields.
        model_kwargs = dict(values.get("model_kwargs") or {})
        check_model_kwargs(model_kwargs, _field_names(cls))
        return _build_model_kwargs({**values, "model_kwargs": model_kwargs}, names)

    @field_validator(*_SAMPLING_FIELDS, "stop", mode="before")
    @classmethod
    def _check_parameter(cls, value: Any, info: ValidationInfo) -> Any:
        # Before pydantic's own coercion, so the message names the range.
        check_parameter(info.field_name or "", value)
        return value

    @field_validator("model_kwargs", mode="after")
    @classmethod
    def _check_model_kwargs(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_model_kwargs(value, _field_names(cls))
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _read_missing_key_from_env(cls, value: Any) -> Any:
        # `load(dumpd(llm), ...)` passes api_key=None (the key is never
        # serialized): read it from SAMBANOVA_API_KEY then, as when not given.
        if value is None:
            return secret_from_env("SAMBANOVA_API_KEY", default=None)()
        return value

    @field_validator("api_key", mode="after")
    @classmethod
    def _normalize_api_key(cls, value: SecretStr | None) -> SecretStr | None:
        return normalize_api_key(value)

    @field_validator("default_headers", mode="after")
    @classmethod
    def _check_default_headers(cls, value: dict[str, str] | None) -> Any:
        check_default_headers(value)
        return value

    @model_validator(mode="after")
    def _validate_settings(self) -> Self:
        # With validate_assignment this also runs after each assignment.
        check_request(self._default_params, stream=False)
        if self.streaming and (self.n or 1) > 1:
            raise ValueError(
                f"streaming=True cannot go with n={self.n}: a LangChain stream "
                "is one message."
            )
        # An empty key (SAMBANOVA_API_KEY= in a .env file) is as missing as none.
        has_key = bool(self.api_key and self.api_key.get_secret_value()) or any(
            name.lower() == "authorization" for name in self.default_headers or {}
        )
        if not has_key and urlparse(self.base_url).hostname == LIVE_HOST:
            raise ValueError(
                "No SambaNova API key: pass api_key=... or set SAMBANOVA_API_KEY "
                "(or point base_url / SAMBANOVA_BASE_URL at another server, such "
                "as the bundled emulator)."
            )
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        """Validate an assignment to one of this class's fields like an argument.

        ``llm.temperature = 7`` raises as the constructor would. pydantic's
        ``validate_assignment`` would do the same for every field, including
        langchain-core's own assignments while it initializes a model, each
        re-running all of core's model validators: construction took 3x as
        long. So only the fields ChatSambaNova declares are validated.
        """
        if name in _OWN_FIELDS:
            self.__pydantic_validator__.validate_assignment(self, name, value)
        else:
            super().__setattr__(name, value)

    def _resolve_model_profile(self) -> Any:
        return profile_for(self.model)

    @property
    def model_name(self) -> str:
        """The model's name (the vendor package's spelling of ``model``)."""
        return self.model

    @property
    def _default_params(self) -> dict[str, Any]:
        """The body fields this instance sends, apart from messages and tools."""
        params: dict[str, Any] = {"model": self.model}
        for name in _SAMPLING_FIELDS:
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        stop = normalize_stop(self.stop)
        if stop:
            params["stop"] = stop
        for name, value in self.model_kwargs.items():
            if value is not None:  # None means unset here too
                params[name] = value
        return params


_OWN_FIELDS = frozenset(SambaNovaSettings.model_fields) - frozenset(
    BaseChatModel.model_fields
)


@functools.cache
def _field_names(cls: type[BaseChatModel]) -> frozenset[str]:
    """Field names of ``cls`` with every alias they accept.

    Cached per class: it runs on every construction and assignment, and a
    class's fields never change.
    """
    names = get_pydantic_field_names(cls)
    for field in cls.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
    return frozenset(names)
