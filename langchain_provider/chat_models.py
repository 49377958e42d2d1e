"""``ChatSambaNova``: LangChain's chat model interface over SambaNova Cloud.

One class: its fields (each described) and their validation, and what
LangChain asks of a chat model. The wire work is the domain modules':
``_request`` builds the body, ``_http`` sends it (retries, pools), ``_sse``
decodes streams, ``_response`` turns answers into messages, ``errors`` says
what failed. The class stays here for good: LangChain's serialization id is
the module path. ``docs/architecture.md`` draws the whole flow.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import httpx
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils import secret_from_env
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
from langchain_provider._http import (
    SHARED,
    ChatCompletionsClient,
    ConnectionPools,
    build_headers,
    check_default_headers,
    normalize_api_key,
    resolve_timeout,
)
from langchain_provider._langchain import (
    header_secrets,
    masked_headers,
    with_header_secrets,
)
from langchain_provider._params import (  # noqa: F401 - public names
    DEFAULT_BASE_URL,
    LIVE_HOST,
    SAMPLING_FIELDS,
    base_url_from_env,
    check_base_url,
    check_model_kwargs,
    check_parameter,
    check_request,
    check_settings,
    collect_model_kwargs,
    default_body_fields,
    field_names,
    normalize_stop,
    validate_max_retries,
    validate_timeout,
)
from langchain_provider._profiles import (
    ModelInfo,
    alist_models,
    list_models,
    profile_for,
)
from langchain_provider._request import (
    ReasoningInHistory,
    ToolResultMedia,
    build_request_body,
    checked_policy,
    convert_messages,
    left_out_warner,
)
from langchain_provider._response import (
    StreamAssembler,
    chat_result_from_response,
    combine_token_usage,
    with_rate_limit,
)
from langchain_provider._retry import RetryPolicy
from langchain_provider._token_count import (
    estimate_prompt_tokens,
    estimate_text_tokens,
    template_cost,
)
from langchain_provider._tools import (
    StructuredOutputMethod,
    build_structured_output,
    convert_tool_choice,
    format_tools,
    tool_names,
)

DEFAULT_MODEL = "Meta-Llama-3.3-70B-Instruct"

logger = logging.getLogger(__name__)

# Per-call options that configure the client or the stream: never body fields.
_CALL_OPTIONS = ("stream", "stream_usage", "timeout", "max_retries")


class ChatSambaNova(BaseChatModel):
    r"""SambaNova Cloud chat models (Llama, DeepSeek, gpt-oss, Qwen, MiniMax, ...).

    Setup:
        Install ``langchain-sambanova-cloud`` (import name
        ``langchain_provider``) from a checkout, and set your key::

            pip install -e .
            export SAMBANOVA_API_KEY="your-key"

        Without a key, point ``base_url`` (or ``SAMBANOVA_BASE_URL``) at any
        server that speaks the API, such as the bundled emulator
        (``pip install -e ".[emulator]"``).

        Samples below whose first line is ``# Example output`` show what a
        call returns; the test suite runs every other sample against the
        emulator.

    Key init args:
        model (alias ``model_name``), temperature, top_p, top_k, max_tokens /
        max_completion_tokens, stop, n, seed, logprobs, top_logprobs,
        repetition_penalty, do_sample, chat_template_kwargs, reasoning_effort:
            The service's parameters; unset (None) ones are not sent, unknown
            keywords go to ``model_kwargs`` with a warning.
        api_key, base_url, timeout, max_retries, default_headers, http_client:
            The client's; ``SAMBANOVA_API_KEY`` and ``SAMBANOVA_BASE_URL`` are
            read when the key and root are not given.

        ``help(ChatSambaNova)`` describes every field, with its range.

    Instantiate:
        .. code-block:: python

            from langchain_provider import ChatSambaNova

            llm = ChatSambaNova(model="Meta-Llama-3.3-70B-Instruct", temperature=0)

    Invoke:
        .. code-block:: python

            messages = [
                ("system", "You translate English to French."),
                ("human", "I love programming."),
            ]
            llm.invoke(messages)

        .. code-block:: python

            # Example output
            AIMessage(content="J'adore la programmation.", id="003de5ed-...", ...)

    Stream:
        .. code-block:: python

            for chunk in llm.stream(messages):
                print(chunk.text, end="", flush=True)

    Async:
        .. code-block:: python

            await llm.ainvoke(messages)
            async for chunk in llm.astream(messages):
                ...
            await llm.abatch([messages, messages])

    Tool calling:
        .. code-block:: python

            from pydantic import BaseModel, Field

            class GetWeather(BaseModel):
                '''Get the current weather in a given location.'''

                location: str = Field(description="City and country")

            llm_with_tools = llm.bind_tools([GetWeather], tool_choice="auto")
            llm_with_tools.invoke("What's the weather in Paris?").tool_calls

        .. code-block:: python

            # Example output
            [{"name": "GetWeather", "args": {"location": "Paris, France"},
              "id": "call_...", "type": "tool_call"}]

    Structured output:
        .. code-block:: python

            class Joke(BaseModel):
                setup: str
                punchline: str

            llm.with_structured_output(Joke).invoke("Tell me a joke about cats")
            # methods: "function_calling" (default), "json_schema", "json_mode"

    Image input:
        .. code-block:: python

            import base64
            from pathlib import Path

            b64_png = base64.b64encode(Path("photo.png").read_bytes()).decode()
            llm = ChatSambaNova(model="gemma-4-31B-it")
            llm.invoke([{"role": "user", "content": [
                {"type": "text", "text": "Describe this image."},
                {"type": "image", "base64": b64_png, "mime_type": "image/png"},
            ]}])
            # Base64 only: http(s) URLs raise ValueError before sending.

    Reasoning:
        gpt-oss ``reasoning`` deltas and DeepSeek-R1 ``<think>...</think>``
        blocks land in ``additional_kwargs["reasoning_content"]``, never in
        the answer; turns that made tool calls send it back
        (``reasoning_in_history``). Token counts are estimated offline
        (``get_num_tokens_from_messages``), so ``trim_messages`` works.

    Token usage:
        .. code-block:: python

            llm.invoke(messages).usage_metadata
            # {"input_tokens": 21, "output_tokens": 41, "total_tokens": 62}

        Streams report usage in their last chunk (``stream_usage=True``).

    Response metadata:
        .. code-block:: python

            llm.invoke(messages).response_metadata
            # {"model_provider": "sambanova", "finish_reason": "stop",
            #  "model_name": "Meta-Llama-3.3-70B-Instruct",
            #  "system_fingerprint": "fastcoe",
            #  "token_usage": {...raw usage object...},
            #  "timing": {"time_to_first_token": 0.09,
            #             "throughput_after_first_token": 522.9,
            #             "model_execution_time": 0.168, "queue_time": 0.002}}

        ``timing`` holds the metrics the server reported, whichever of its two
        namings it used; the aggregate of a stream carries the same.

    Model catalog:
        ``llm.list_models()`` (or ``await llm.alist_models()``) returns a
        ``ModelInfo`` per served model: id, context length, output limit,
        prices.

    Errors:
        Server failures raise the typed errors of ``langchain_provider.errors``
        (each also a ``langchain_core.exceptions.Model*Error``); bad input
        raises ``ValueError`` before any request is sent.
    """

    # hide_input_in_errors: a validation error must never echo the API key.
    # Assignments are validated by __setattr__ below, not validate_assignment.
    # use_attribute_docstrings: each field's docstring is its description, so
    # help(ChatSambaNova) and model_fields[...].description explain it.
    model_config = ConfigDict(
        populate_by_name=True,
        protected_namespaces=(),
        hide_input_in_errors=True,
        use_attribute_docstrings=True,
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
        default_factory=base_url_from_env,
        validation_alias=AliasChoices("base_url", "sambanova_api_base"),
    )
    """API root; requests go to ``{base_url}/chat/completions``.

    Alias ``sambanova_api_base``; read from ``SAMBANOVA_BASE_URL`` (or
    ``SAMBANOVA_API_BASE``) when not given or None; an empty variable counts
    as unset. A URL that is not ``http(s)://host...`` raises ``ValueError``."""

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

    stop: list[str] | str | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences")
    )
    """Up to four sequences at which generation stops (a string is one; alias
    ``stop_sequences``)."""

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

    tool_result_media: ToolResultMedia = "move"
    """What happens to images and files a tool returns (screenshots, MCP images).

    The service takes images only in user messages, and no files, audio or
    video at all. ``"move"`` (default): on a model that takes images (its
    profile's ``image_inputs``, or a model without a profile) the images go
    in a user turn right after the tool results, and the tool message says
    so; elsewhere they are left out with a short note in the tool message.
    ``"drop"``: always leave them out with a note. Anything left out is
    logged once per model instance as a warning. ``"refuse"``: raise
    ``ValueError`` before sending. The messages given are never modified.
    Plain-text documents (``text-plain`` blocks) are text: sent as such."""

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
    nothing for 60 s (``_http.STREAM_READ_TIMEOUT``) raises
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

    _pools: ConnectionPools | None = PrivateAttr(default=None)
    # What this instance already warned was left out of tool results.
    _left_out_warned: set[str] = PrivateAttr(default_factory=set)
    # The retry waits and their clock; read from the module when the model is
    # made, so a test can swap in a policy that records instead of sleeping.
    _retry_policy: RetryPolicy = PrivateAttr(
        default_factory=lambda: _retry.DEFAULT_POLICY
    )

    @field_validator("timeout", mode="before")
    @classmethod
    def _validate_timeout(cls, value: Any) -> Any:
        # Before pydantic's own checks, so that a bad value gets our message
        # naming what is allowed rather than pydantic's union report. A
        # mapping is how dumpd writes an httpx.Timeout (see lc_attributes).
        return validate_timeout(value)

    @field_validator("base_url", mode="before")
    @classmethod
    def _validate_base_url(cls, value: Any) -> Any:
        # None reads the environment, as for api_key (and as load() passes it).
        return base_url_from_env() if value is None else check_base_url(value)

    @model_validator(mode="before")
    @classmethod
    def _build_extra(cls, values: Any) -> Any:
        # Unknown keywords go to model_kwargs with a warning naming them.
        return collect_model_kwargs(values, field_names(cls))

    @field_validator(*SAMPLING_FIELDS, "stop", mode="before")
    @classmethod
    def _check_parameter(cls, value: Any, info: ValidationInfo) -> Any:
        # Before pydantic's own coercion, so the message names the range.
        check_parameter(info.field_name or "", value)
        return value

    @field_validator("model_kwargs", mode="after")
    @classmethod
    def _check_model_kwargs(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_model_kwargs(value, field_names(cls))
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _normalize_api_key(cls, value: Any) -> SecretStr | None:
        # `load(dumpd(llm), ...)` passes api_key=None (the key is never
        # serialized): read it from SAMBANOVA_API_KEY then, as when not given.
        if value is None:
            value = secret_from_env("SAMBANOVA_API_KEY", default=None)()
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
        check_settings(self)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        """Validate an assignment to one of this class's fields like an argument.

        ``llm.temperature = 7`` raises as the constructor would. Only the
        fields declared here: pydantic's ``validate_assignment`` would re-run
        core's validators on each of core's own assignments (3x slower init).
        """
        if name in _OWN_FIELDS:
            self.__pydantic_validator__.validate_assignment(self, name, value)
        else:
            super().__setattr__(name, value)

    def _resolve_model_profile(self) -> Any:
        profile = profile_for(self.model)
        if profile is not None and self.tool_result_media != "move":
            # Only "move" lets images from tools reach the model: say so, so
            # that frameworks (deepagents) swap them for a notice themselves.
            profile["image_tool_message"] = False
        return profile

    @property
    def model_name(self) -> str:
        """The model's name (the vendor package's spelling of ``model``)."""
        return self.model

    @property
    def _default_params(self) -> dict[str, Any]:
        """The body fields this instance sends, apart from messages and tools."""
        return default_body_fields(self)

    # -- LangChain metadata ------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "sambanova-chat"

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """Values ``dumpd`` writes in loadable form: an ``httpx.Timeout`` as a dict."""
        if isinstance(self.timeout, httpx.Timeout):
            return {"timeout": self.timeout.as_dict()}
        return {}

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Fields that hold secrets, and the environment variables they come from.

        Besides ``api_key``, ``default_headers`` when it holds a credential
        (``Authorization``, ``api-key``, ``x-api-key``, any name with ``key``,
        ``token`` or ``secret``): each such header is serialized as a secret
        reference ``SAMBANOVA_HEADER_<NAME>``, so ``dumpd``/``dumps`` and what
        tracers record never carry it; ``load(..., secrets_map=...)`` (or the
        environment) fills it back in.
        """
        return {"api_key": "SAMBANOVA_API_KEY", **header_secrets(self.default_headers)}

    def to_json(self) -> Any:
        """LangChain's serialized form, with each credential header a secret."""
        return with_header_secrets(super().to_json(), self.default_headers)

    def __repr_args__(self) -> Any:
        """Pydantic's repr fields, with credential headers masked like the key."""
        for name, value in super().__repr_args__():
            if name == "default_headers" and value:
                value = masked_headers(value)
            yield name, value

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """ChatSambaNova can be serialized with ``langchain_core.load.dumpd``."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The serialization namespace: this module's path."""
        return ["langchain_provider", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            **self._default_params,
            "base_url": self.base_url,
            "streaming": self.streaming,
        }

    def _get_ls_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="sambanova",
            ls_model_name=kwargs.get("model", self.model),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        # max_completion_tokens is the API's newer name for the same limit
        # (ChatOpenAI reports it as ls_max_tokens too); a per-call value wins.
        for max_tokens in (
            kwargs.get("max_tokens"),
            kwargs.get("max_completion_tokens"),
            self.max_tokens,
            self.max_completion_tokens,
        ):
            if max_tokens is not None:
                params["ls_max_tokens"] = max_tokens
                break
        given: Any = stop or self.stop  # a per-call stop always binds to `stop`
        if given:
            params["ls_stop"] = [given] if isinstance(given, str) else list(given)
        return params

    def _combine_llm_outputs(self, llm_outputs: list[dict | None]) -> dict:
        outputs = [output for output in llm_outputs if output]
        combined: dict[str, Any] = {
            "token_usage": combine_token_usage(o.get("token_usage") for o in outputs)
        }
        if outputs and outputs[0].get("model_name"):
            combined["model_name"] = outputs[0]["model_name"]
        return combined

    # -- requests --------------------------------------------------------------

    @property
    def client(self) -> ChatCompletionsClient:
        """The HTTP client for this model's current settings.

        Cheap to build (the connection pools behind it are shared), so it is
        built per call and always reflects fields changed after construction.
        """
        return self._client_with(self.timeout, self.max_retries)

    def _client_with(
        self, timeout: float | httpx.Timeout | None, max_retries: int
    ) -> ChatCompletionsClient:
        return ChatCompletionsClient(
            base_url=self.base_url,
            api_key=normalize_api_key(self.api_key),
            timeout=timeout,
            max_retries=max_retries,
            default_headers=self.default_headers,
            http_client=self.http_client,
            http_async_client=self.http_async_client,
            pools=self._pools or SHARED,
            policy=self._retry_policy,
            pacing=self.rate_limit_pacing,
        )

    def _build_request_body(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None = None,
        *,
        stream: bool = False,
        stream_usage: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Build (and check) the JSON body of one request with this model's defaults.

        ``**kwargs`` are per-call body fields; see ``_request.build_request_body``.

        Raises:
            ValueError: For any input the API would reject.
        """
        # Per call too: a client option, never a body field.
        policy = checked_policy(
            kwargs.pop("reasoning_in_history", None) or self.reasoning_in_history
        )
        # Per call too, like reasoning_in_history: a client option, checked
        # (and refused by name) where the messages are converted.
        media = kwargs.pop("tool_result_media", None) or self.tool_result_media
        model = kwargs.get("model") or self.model
        profile = profile_for(model)

        return build_request_body(
            self._default_params,
            messages,
            stop,
            kwargs,
            stream=stream,
            stream_usage=self.stream_usage if stream_usage is None else stream_usage,
            reasoning_in_history=policy,
            tool_result_media=media,
            takes_images=None if profile is None else profile.get("image_inputs"),
            on_left_out=left_out_warner(model, self._left_out_warned),
        )

    # -- generation ------------------------------------------------------------

    def _prepare_call(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        *,
        stream: bool,
    ) -> tuple[ChatCompletionsClient, dict[str, Any]]:
        """Split per-call client options from body fields; return client and body.

        ``stream`` is LangChain's own switch (core has already chosen between
        ``_generate`` and ``_stream``); ``stream_usage``, ``timeout`` and
        ``max_retries`` override the instance's for this call only.
        """
        # None means "the model's setting" here too, as for body fields.
        popped = {name: kwargs.pop(name, None) for name in _CALL_OPTIONS}
        options = {name: value for name, value in popped.items() if value is not None}
        timeout = options.get("timeout", self.timeout)
        max_retries = options.get("max_retries", self.max_retries)
        validate_timeout(timeout)
        validate_max_retries(max_retries)
        body = self._build_request_body(
            messages,
            stop,
            stream=stream,
            stream_usage=options.get("stream_usage"),  # None: the model's
            **kwargs,
        )
        return self._client_with(timeout, max_retries), body

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        client, body = self._prepare_call(messages, stop, kwargs, stream=False)
        result = chat_result_from_response(client.create(body))
        return with_rate_limit(result, client.rate_limit)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        client, body = self._prepare_call(messages, stop, kwargs, stream=False)
        result = chat_result_from_response(await client.acreate(body))
        return with_rate_limit(result, client.rate_limit)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        client, body = self._prepare_call(messages, stop, kwargs, stream=True)
        assembler = StreamAssembler(v1=self.output_version == "v1")
        chunks = client.stream(body)
        try:
            for raw in chunks:
                chunk = assembler.feed(raw, client.rate_limit)
                if chunk is not None:
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        finally:
            chunks.close()  # type: ignore[attr-defined]
        final = assembler.finish()
        if final is not None:
            if run_manager:
                run_manager.on_llm_new_token(final.text, chunk=final)
            yield final

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        client, body = self._prepare_call(messages, stop, kwargs, stream=True)
        assembler = StreamAssembler(v1=self.output_version == "v1")
        chunks = client.astream(body)
        try:
            async for raw in chunks:
                chunk = assembler.feed(raw, client.rate_limit)
                if chunk is not None:
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]
        final = assembler.finish()
        if final is not None:
            if run_manager:
                await run_manager.on_llm_new_token(final.text, chunk=final)
            yield final

    # -- tools and structured output -------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: str | bool | dict | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (any kind LangChain accepts) to this model.

        Args:
            tools: Pydantic classes, TypedDicts, functions, ``BaseTool``s, JSON
                schemas or OpenAI-format tool dicts.
            tool_choice: ``"auto"`` (server default), ``"required"``/``"any"``
                (call some tool), ``"none"``, a tool's name (call that tool),
                or ``True`` (call the single bound tool).
            parallel_tool_calls: Whether the model may call several tools at once.
            strict: Ask the model to follow each tool's schema exactly.
            **kwargs: Other body fields to bind.

        Returns:
            A runnable that calls the model with these tools.

        Raises:
            ValueError: For a tool without a name, an invalid parameter
                schema or an unknown ``tool_choice``.
        """
        formatted = format_tools(tools, strict=strict)
        choice = convert_tool_choice(tool_choice, tool_names(formatted))
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict | type | None = None,
        *,
        method: StructuredOutputMethod = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict | Any]:
        """Return a runnable whose output matches ``schema``.

        Args:
            schema: A pydantic class, TypedDict, JSON schema or OpenAI tool dict
                (optional for ``json_mode``).
            method: ``"function_calling"`` (default: forces a tool shaped like
                the schema), ``"json_schema"`` (``response_format`` with the
                schema) or ``"json_mode"`` (JSON object; describe the shape in
                the prompt).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead
                of raising when parsing fails.
            strict: Ask for exact schema adherence (sent, not yet enforced by
                the service).
            **kwargs: Not supported; present for interface compatibility.

        Returns:
            A runnable producing a pydantic instance (for pydantic schemas) or
            a dict.

        Raises:
            ValueError: For unsupported arguments or an unusable schema.
        """
        if kwargs:
            raise ValueError(f"Unsupported arguments: {sorted(kwargs)}.")
        return build_structured_output(
            self, schema, method=method, include_raw=include_raw, strict=strict
        )

    # -- token counting (offline: LangChain's default needs transformers) ------

    def get_num_tokens(self, text: str) -> int:
        """Estimate the tokens of a text, offline (no tokenizer is downloaded).

        LangChain's ``custom_get_token_ids``, when set, counts instead (here
        and in ``get_num_tokens_from_messages``). Otherwise a BPE-like
        heuristic: one token per common word or punctuation mark,
        more for long words, digits in threes, about one per CJK character.
        On everyday English it matches word-level counts to a few percent;
        rare words, long numbers and code can be 10-20% off either way.

        Args:
            text: Any text.

        Returns:
            The estimated number of tokens.
        """
        return self._count_text(text)

    def _count_text(self, text: str) -> int:
        # LangChain's custom_get_token_ids is the user's tokenizer: it wins.
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return estimate_text_tokens(text)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[Any] | None = None,
    ) -> int:
        """Estimate the prompt tokens of a conversation, offline.

        Counts what a request would send: each message's text, images (256
        tokens each), echoed tool calls, reasoning sent back, the bound
        tools' schemas and the model family's chat-template overhead. Expect
        about 10% off (``docs/agents.md`` says how it was measured); keep a
        margin where a hard context limit matters.

        Args:
            messages: The conversation.
            tools: Tools as ``bind_tools`` takes them.

        Returns:
            The estimated ``usage.prompt_tokens`` of the request.

        Raises:
            ValueError: For a message the API would reject.
        """
        profile = profile_for(self.model)
        api_messages = convert_messages(
            messages,
            self.reasoning_in_history,
            tool_result_media=self.tool_result_media,
            takes_images=None if profile is None else profile.get("image_inputs"),
        )
        api_tools = format_tools(tools) if tools else None
        return estimate_prompt_tokens(
            api_messages, api_tools, template_cost(self.model), self._count_text
        )

    # -- the model catalog and the connection lifecycle ------------------------

    def list_models(self) -> list[ModelInfo]:
        """List the models the service offers (``GET {base_url}/models``).

        Sent like a chat request: this model's pools, headers and timeout.

        Returns:
            One `ModelInfo` per model: id, context length, most completion
            tokens, and prices when the service gives them.

        Raises:
            SambaNovaError: For a failed request or an unreadable answer.
        """
        return list_models(self.client.sync_http(), *self._catalog_request())

    async def alist_models(self) -> list[ModelInfo]:
        """Async `list_models`."""
        return await alist_models(self.client.async_http(), *self._catalog_request())

    def _catalog_request(self) -> tuple[str, dict[str, str], Any]:
        key = normalize_api_key(self.api_key)
        headers = build_headers(key, self.default_headers, stream=False)
        return self.base_url, headers, resolve_timeout(self.timeout, stream=False)

    def __enter__(self) -> Self:
        """Give this model its own connection pools until ``close``.

        By default models share process-wide pools that are never closed
        while other models may use them; ``with ChatSambaNova(...) as llm:``
        opens pools for this model alone and closes them deterministically
        on exit. Clients passed as ``http_client`` are never closed.
        """
        if self._pools is None:
            self._pools = ConnectionPools()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the pools ``__enter__`` opened, async connections included."""
        self.close()

    async def __aenter__(self) -> Self:
        """Async twin of ``__enter__``: ``async with ChatSambaNova(...) as llm:``."""
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the pools ``__aenter__`` opened, on the running loop."""
        await self.aclose()

    def close(self) -> None:
        """Close the connections (sync and async) this model owns, opened by ``with``.

        Inside a running event loop, that loop's connections are closed by a
        task scheduled on it. The shared pools stay open for other models
        (they close at exit, and per loop when the loop closes), as do your
        own clients. After ``close`` the model still works, on shared pools.
        """
        pools, self._pools = self._pools, None
        if pools is not None:
            pools.close()

    async def aclose(self) -> None:
        """Async twin of ``close``; also closes this loop's async connections."""
        pools, self._pools = self._pools, None
        if pools is not None:
            await pools.aclose()


_OWN_FIELDS = frozenset(ChatSambaNova.model_fields) - frozenset(
    BaseChatModel.model_fields
)
