"""Using the model from LangChain's agent stack: init_chat_model("sambanova:..."),
the provider registry, and the content-block translator registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import httpx
import langchain.chat_models.base as langchain_base
import pytest
from langchain.chat_models import init_chat_model
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.block_translators import PROVIDER_TRANSLATORS

from langchain_provider import ChatSambaNova
from langchain_provider import _langchain as _registry
from langchain_provider._langchain import (
    RegistryShapeWarning,
    register_sambanova_translator,
    register_with_langchain,
)

from .conftest import (
    API_KEY,
    completion,
    json_reply,
    make_model,
    sse_reply,
    text_chunks,
)

# ============================================================================
# ``"sambanova:<model>"`` in langchain's ``init_chat_model`` (``_registry``).
# The registry is langchain's private ``_BUILTIN_PROVIDERS``: the tests cover
# the shape this code knows, a registry of another shape (one warning, import
# carries on), a missing one, and langchain not installed at all.
# ============================================================================


@pytest.fixture
def fresh_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget that a warning was already given in this process."""
    monkeypatch.setattr(_registry, "_warned", False)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_registers_sambanova() -> None:
    module, class_name, _ = langchain_base._BUILTIN_PROVIDERS["sambanova"]
    assert (module, class_name) == ("langchain_provider.chat_models", "ChatSambaNova")


@pytest.mark.parametrize(
    ("model", "provider"),
    [("sambanova:gpt-oss-120b", None), ("gpt-oss-120b", "sambanova")],
)
def test_init_chat_model_passes_every_keyword(model: str, provider: str | None) -> None:
    client = httpx.Client(transport=httpx.MockTransport(json_reply(completion())))
    llm = init_chat_model(
        model,
        model_provider=provider,
        base_url="http://127.0.0.1:9/v1",
        api_key=API_KEY,
        temperature=0.25,
        max_tokens=7,
        reasoning_in_history="never",
        http_client=client,
    )
    assert isinstance(llm, ChatSambaNova)
    assert llm.model == "gpt-oss-120b"
    assert (llm.temperature, llm.max_tokens) == (0.25, 7)
    assert llm.base_url == "http://127.0.0.1:9/v1"
    assert llm.reasoning_in_history == "never"
    assert llm.http_client is client


def test_init_chat_model_configurable_fields_reach_the_request() -> None:
    template, server = make_model(json_reply(completion()))
    llm = init_chat_model(
        "Meta-Llama-3.3-70B-Instruct",
        model_provider="sambanova",
        configurable_fields=("model", "temperature"),
        api_key=API_KEY,
        http_client=template.http_client,
    )
    llm.invoke("hi", config={"configurable": {"model": "gpt-oss-120b"}})
    llm.invoke("hi", config={"configurable": {"temperature": 0.5}})
    # A provider-prefixed model in the config works the same way.
    unset = init_chat_model(
        configurable_fields=("model",),
        api_key=API_KEY,
        http_client=template.http_client,
    )
    unset.invoke("hi", config={"configurable": {"model": "sambanova:DeepSeek-V3.1"}})
    first, second, third = server.bodies
    assert first["model"] == "gpt-oss-120b" and "temperature" not in first
    assert second["model"] == "Meta-Llama-3.3-70B-Instruct"
    assert second["temperature"] == 0.5
    assert third["model"] == "DeepSeek-V3.1"


async def test_an_async_stream_carries_the_rate_limit_window_once() -> None:
    """Agents stream asynchronously; whatever paces them reads the window there."""
    limits = {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-reset-requests": "30",
    }
    window = {"requests": {"limit": 60, "remaining": 59, "reset_seconds": 30.0}}
    model, _ = make_model(sse_reply(text_chunks("a", "b"), headers=limits))
    chunks = [chunk async for chunk in model.astream("hi")]
    seen = [chunk.response_metadata.get("rate_limit") for chunk in chunks]
    assert seen == [window] + [None] * (len(chunks) - 1)
    total = chunks[0]
    for piece in chunks[1:]:
        total += piece
    assert total.response_metadata["rate_limit"] == window


def test_default_registry_is_langchains(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an argument, the entry goes into langchain's own registry."""
    registry = {
        name: entry
        for name, entry in langchain_base._BUILTIN_PROVIDERS.items()
        if name != "sambanova"
    }
    monkeypatch.setattr(langchain_base, "_BUILTIN_PROVIDERS", registry)
    assert register_with_langchain() is True
    assert registry["sambanova"][:2] == (
        "langchain_provider.chat_models",
        "ChatSambaNova",
    )


def test_registering_twice_keeps_one_entry() -> None:
    registry = {"openai": ("langchain_openai", "ChatOpenAI", lambda cls, **kw: None)}
    assert register_with_langchain(registry)
    assert register_with_langchain(registry)
    assert sorted(registry) == ["openai", "sambanova"]


@pytest.mark.usefixtures("fresh_warning")
@pytest.mark.parametrize(
    "registry",
    [
        {"openai": ("langchain_openai", "ChatOpenAI")},  # two-tuples
        {"openai": {"module": "langchain_openai", "class": "ChatOpenAI"}},
        ["openai", "anthropic"],
    ],
    ids=["two-tuples", "dict-values", "a-list"],
)
def test_changed_shape_warns_once_and_changes_nothing(registry: object) -> None:
    before = repr(registry)
    shape = r"_BUILTIN_PROVIDERS is no longer a dict of \(module, class name, creator\)"
    with pytest.warns(RegistryShapeWarning, match=shape + " tuples") as caught:
        assert register_with_langchain(registry) is False
        assert register_with_langchain(registry) is False
    assert len(caught) == 1
    assert repr(registry) == before


@pytest.mark.usefixtures("fresh_warning")
def test_warning_says_what_to_do_instead_and_points_at_the_caller() -> None:
    """The warning gives the way out, and is attributed to the caller's line."""
    with pytest.warns(RegistryShapeWarning) as caught:
        register_with_langchain(["openai"])
    (warning,) = caught
    assert str(warning.message).endswith(
        ". 'sambanova:<model>' strings will not work; build "
        "ChatSambaNova(model=...) directly and pass the instance instead."
    )
    if "MUTANT_UNDER_TEST" not in os.environ:
        # Under mutmut every function runs through a trampoline frame, which
        # then takes the blame; the attribution is checked in plain runs only.
        assert warning.filename == __file__


@pytest.mark.usefixtures("fresh_warning")
def test_unimportable_registry_module_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    """langchain installed but its registry module fails to import: a warning."""
    monkeypatch.setitem(sys.modules, "langchain.chat_models.base", None)
    with pytest.warns(
        RegistryShapeWarning, match="importing langchain.chat_models.base failed"
    ):
        assert register_with_langchain() is False


@pytest.mark.usefixtures("fresh_warning")
def test_missing_registry_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(langchain_base, "_BUILTIN_PROVIDERS")
    with pytest.warns(RegistryShapeWarning, match="does not exist"):
        assert register_with_langchain() is False


@pytest.mark.usefixtures("fresh_warning")
def test_another_packages_entry_is_kept() -> None:
    other = ("langchain_sambanova", "ChatSambaNovaCloud", lambda cls, **kw: None)
    registry = {"sambanova": other}
    with pytest.warns(
        RegistryShapeWarning,
        match="already maps 'sambanova' to langchain_sambanova.ChatSambaNovaCloud",
    ):
        assert register_with_langchain(registry) is False
    assert registry["sambanova"] is other


def test_import_without_langchain_is_silent() -> None:
    result = _run(
        "import sys; sys.modules['langchain'] = None\n"
        "import langchain_provider\n"
        "from langchain_provider._langchain import register_with_langchain\n"
        "assert register_with_langchain() is False\n"
        "print('ok')"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert "Warning" not in result.stderr


def test_import_with_a_reshaped_registry_warns_once_and_carries_on() -> None:
    result = _run(
        "import langchain.chat_models.base as base\n"
        "base._BUILTIN_PROVIDERS = {'openai': ('langchain_openai', 'ChatOpenAI')}\n"
        "import langchain_provider\n"
        "langchain_provider._langchain.register_with_langchain()\n"
        "print(langchain_provider.ChatSambaNova(base_url='http://x/v1').model)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Meta-Llama-3.3-70B-Instruct"
    assert result.stderr.count("RegistryShapeWarning") == 1, result.stderr


def test_no_warning_on_a_normal_import() -> None:
    result = _run("import langchain_provider")
    assert result.returncode == 0, result.stderr
    with warnings.catch_warnings():
        assert "RegistryShapeWarning" not in result.stderr


def test_every_error_of_the_tree_is_importable_from_the_package_root() -> None:
    """The tree docs/errors.md draws; the Stream<Kind> twins stay in ``errors``."""
    import langchain_provider
    from langchain_provider import errors

    tree = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type)
        and issubclass(value, errors.SambaNovaError)
        and not (name.startswith("Stream") and name != "StreamEventError")
    } | {"StreamInterruptedError"}
    missing = sorted(name for name in tree if not hasattr(langchain_provider, name))
    assert "QuotaExceededError" in tree
    assert missing == []


# ============================================================================
# ``content_blocks`` of a ``model_provider="sambanova"`` message: importing the
# package registers its translator with langchain-core.
# ============================================================================


def test_the_registered_translator_reads_reasoning_from_whole_and_streamed_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(PROVIDER_TRANSLATORS, "sambanova")
    metadata = {"model_provider": "sambanova"}
    whole = AIMessage("<think>Add them.</think>4", response_metadata=metadata)
    streamed = AIMessageChunk("<think>Add them.</think>4", response_metadata=metadata)
    # Unregistered, langchain-core's generic reading keeps the tags as text.
    assert whole.content_blocks == [
        {"type": "text", "text": "<think>Add them.</think>4"}
    ]

    register_sambanova_translator()  # as ``import langchain_provider`` does

    reasoned = [
        {"type": "reasoning", "reasoning": "Add them."},
        {"type": "text", "text": "4"},
    ]
    assert whole.content_blocks == reasoned
    assert streamed.content_blocks == reasoned
