"""``ChatSambaNova``: LangChain's chat model interface over SambaNova Cloud.

This module holds the model class and what LangChain asks of it. Its fields
and their validation live in ``_settings``; the wire work is delegated to
small modules (``_client`` and ``_transport`` for HTTP, retries and pools,
``_request`` and ``_messages`` for the request body, ``_chunks`` and
``_response`` for what comes back, ``_streaming`` for SSE). Mixins add token
counting (``_token_count``), the model catalog (``_catalog``) and explicit
pool lifecycles (``_lifecycle``). It stays here for good: LangChain's
serialization id is the module path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import httpx
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import (
    LangSmithParams,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from langchain_provider._catalog import ModelCatalog
from langchain_provider._chunks import StreamAssembler
from langchain_provider._client import ChatCompletionsClient
from langchain_provider._headers import (
    normalize_api_key,
)
from langchain_provider._lifecycle import PoolLifecycle
from langchain_provider._metrics import combine_token_usage
from langchain_provider._params import (
    validate_max_retries,
    validate_timeout,
)
from langchain_provider._reasoning import checked_policy
from langchain_provider._request import build_request_body
from langchain_provider._response import MODEL_PROVIDER, chat_result_from_response
from langchain_provider._settings import (  # noqa: F401 - public names
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    LIVE_HOST,
    SambaNovaSettings,
)
from langchain_provider._structured_output import (
    StructuredOutputMethod,
    build_structured_output,
)
from langchain_provider._token_count import OfflineTokenCounting
from langchain_provider._tools import convert_tool_choice, format_tools, tool_names
from langchain_provider._transport import SHARED

# Per-call options that configure the client or the stream: never body fields.
_CALL_OPTIONS = ("stream", "stream_usage", "timeout", "max_retries")


class ChatSambaNova(
    OfflineTokenCounting, ModelCatalog, PoolLifecycle, SambaNovaSettings
):
    r"""SambaNova Cloud chat models (Llama, DeepSeek, gpt-oss, Qwen, MiniMax, ...).

    Setup:
        Install the ``langchain-sambanova-cloud`` distribution (import name
        ``langchain_provider``) from a checkout of its repository, and set
        your key::

            pip install -e .
            export SAMBANOVA_API_KEY="your-key"

        Without a key, point ``base_url`` (or ``SAMBANOVA_BASE_URL``) at any
        server that speaks the API, such as the bundled emulator
        (``pip install -e ".[emulator]"``).

        Samples below whose first line is ``# Example output`` show what a
        call returns; the test suite runs every other sample against the
        emulator.

    Key init args — completion params:
        model: str
            Model name, e.g. ``"Meta-Llama-3.3-70B-Instruct"``, ``"gpt-oss-120b"``
            (alias ``model_name``).
        temperature: float | None
            Sampling temperature, 0 to 2.
        top_p: float | None
            Nucleus sampling mass, 0 to 1.
        top_k: int | None
            Sample among the k most likely tokens, 1 to 100.
        max_tokens: int | None
            Most tokens to generate (also ``max_completion_tokens``).
        stop: list[str] | str | None
            Up to four stop sequences.
        n, seed, logprobs, top_logprobs, repetition_penalty, do_sample,
        chat_template_kwargs, reasoning_effort:
            The service's other parameters; see each field. Unset (None)
            parameters are not sent. Unknown keywords go to ``model_kwargs``
            with a warning.

    Key init args — client params:
        api_key: SecretStr | None
            Read from ``SAMBANOVA_API_KEY`` when not given (alias
            ``sambanova_api_key``).
        base_url: str
            API root; ``SAMBANOVA_BASE_URL``, ``SAMBANOVA_API_BASE`` or
            ``https://api.sambanova.ai/v1`` (alias ``sambanova_api_base``).
        timeout: float | httpx.Timeout | None
            Seconds for every phase, or an ``httpx.Timeout``; unset: 5 s to
            connect, 600 s for a non-streamed answer, 60 s between stream reads
            (alias ``request_timeout``).
        max_retries: int
            Retries on 408/409/429/5xx and connection failures (default 2).

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
            AIMessage(content="J'adore la programmation.", id="003de5ed-...",
                      response_metadata={"model_name": "Meta-Llama-3.3-70B-Instruct",
                                         "finish_reason": "stop", ...})

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
            # Only base64 images are accepted by the service: http(s) URLs
            # raise ValueError before anything is sent.

    Reasoning:
        gpt-oss ``reasoning`` deltas and DeepSeek-R1 ``<think>...</think>``
        blocks land in ``additional_kwargs["reasoning_content"]`` (and in
        ``message.content_blocks`` as reasoning blocks), never in the answer.
        Assistant turns that made tool calls send it back in the request's
        ``reasoning`` field (``reasoning_in_history``).

    Token counting:
        ``get_num_tokens`` and ``get_num_tokens_from_messages`` estimate
        offline, with no tokenizer download (see their docstrings for how
        close they are), so ``trim_messages(token_counter=llm)`` works.

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
        .. code-block:: python

            llm.list_models()  # or: await llm.alist_models()
            # [ModelInfo(id="DeepSeek-V3.2", context_length=32768,
            #            max_completion_tokens=7168, price_per_input_token=4.5e-06,
            #            price_per_output_token=1e-05, owned_by=...), ...]

    Errors:
        Server failures raise the typed errors of ``langchain_provider.errors``
        (each also a ``langchain_core.exceptions.Model*Error``); bad input
        raises ``ValueError`` before any request is sent.
    """

    # -- LangChain metadata ------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "sambanova-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Fields that hold secrets, and the environment variables they come from."""
        return {"api_key": "SAMBANOVA_API_KEY"}

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
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
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
        return build_request_body(
            self._default_params,
            messages,
            stop,
            kwargs,
            stream=stream,
            stream_usage=self.stream_usage if stream_usage is None else stream_usage,
            # Per call too: a client option, never a body field.
            reasoning_in_history=checked_policy(
                kwargs.pop("reasoning_in_history", self.reasoning_in_history)
            ),
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
        return _with_rate_limit(result, client.rate_limit)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        client, body = self._prepare_call(messages, stop, kwargs, stream=False)
        result = chat_result_from_response(await client.acreate(body))
        return _with_rate_limit(result, client.rate_limit)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        client, body = self._prepare_call(messages, stop, kwargs, stream=True)
        assembler = StreamAssembler()
        v1 = self.output_version == "v1"
        chunks = client.stream(body)
        try:
            for raw in chunks:
                chunk = assembler.feed(raw)
                if chunk is not None:
                    _annotate(chunk, client, v1=v1)
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
        assembler = StreamAssembler()
        v1 = self.output_version == "v1"
        chunks = client.astream(body)
        try:
            async for raw in chunks:
                chunk = assembler.feed(raw)
                if chunk is not None:
                    _annotate(chunk, client, v1=v1)
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


def _mark_provider(chunk: ChatGenerationChunk) -> None:
    """Name the provider on every chunk, so v1 content blocks use our translator.

    Only for ``output_version="v1"``, where langchain-core converts each chunk
    on its own; other streams name it once, in the finish chunk.
    """
    chunk.message.response_metadata["model_provider"] = MODEL_PROVIDER


def _with_rate_limit(
    result: ChatResult, rate_limit: dict[str, Any] | None
) -> ChatResult:
    """Put the response's rate-limit state in each message's metadata."""
    if rate_limit is not None:
        for generation in result.generations:
            generation.message.response_metadata["rate_limit"] = rate_limit
    return result


def _annotate(
    chunk: ChatGenerationChunk, client: ChatCompletionsClient, *, v1: bool
) -> None:
    """Add what the stream knows beyond the chunk's own data, shared by both twins.

    The response's rate-limit headers go on the first chunk handed over (once
    per stream, so the aggregate has them once), and under
    ``output_version="v1"`` every chunk names its provider.
    """
    if client.rate_limit is not None:
        chunk.message.response_metadata["rate_limit"] = client.rate_limit
        client.rate_limit = None
    if v1:
        _mark_provider(chunk)
