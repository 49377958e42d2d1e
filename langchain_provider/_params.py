"""Every request parameter's rule, declared once, and the checks built on them.

`RULES` says what each body parameter accepts. The same table checks the
model's fields (at construction and on every later assignment), the values in
``model_kwargs`` and the per-call values (``model.invoke(..., temperature=3)``),
so a bad value fails with the same message wherever it was given, and never
costs a round trip. ``None`` means "unset" everywhere: it is never checked and
never sent. Rules that tie parameters together (``top_logprobs`` needs
``logprobs``; ``n > 1`` neither streams nor goes with tools) are checked on
the whole request body by `check_request`.

Ranges follow the vendor SDK's parameter types and the service's docs where
they are newer than the reference page (``temperature`` 0 to 2); a parameter
with no documented bound gets none, so nothing the service accepts is refused.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import httpx
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.utils.utils import get_pydantic_field_names
from pydantic import AliasChoices

MAX_STOP_SEQUENCES = 4
REASONING_EFFORTS = ("low", "medium", "high")

RESERVED_BODY_KEYS = ("messages", "stream", "stream_options")
"""Body keys the request builder owns: never accepted from ``model_kwargs``."""


@dataclass(frozen=True)
class Rule:
    """What one body parameter accepts.

    Attributes:
        kind: ``"number"``, ``"integer"``, ``"boolean"``, ``"choice"``,
            ``"object"`` (a JSON object with string keys) or ``"stop"``.
        low: Lowest allowed value (numbers), inclusive unless `low_exclusive`.
        high: Highest allowed value (numbers), inclusive; None for no bound.
        low_exclusive: Whether `low` itself is refused.
        choices: The allowed values of a ``"choice"``.
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_exclusive: bool = False
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """The allowed values in words, e.g. ``"a number from 0 to 2"``."""
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "choice":
            return f"one of {list(self.choices)}"
        if self.kind == "object":
            return "a JSON object with string keys"
        if self.kind == "stop":
            return f"a string or a list of up to {MAX_STOP_SEQUENCES} strings"
        noun = "a whole number" if self.kind == "integer" else "a number"
        if self.low is None:
            return noun
        if self.high is not None:
            return f"{noun} from {self.low:g} to {self.high:g}"
        return f"{noun} {'>' if self.low_exclusive else '>='} {self.low:g}"

    def check(self, name: str, value: Any) -> None:
        """Raise ``ValueError`` naming ``name`` when ``value`` breaks the rule.

        ``None`` (unset) always passes.
        """
        if value is None:
            return
        if self.kind == "stop":
            normalize_stop(value)
        elif not self._accepts(value):
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}.")

    def _accepts(self, value: Any) -> bool:
        if self.kind == "boolean":
            return isinstance(value, bool)
        if self.kind == "choice":
            return value in self.choices
        if self.kind == "object":
            return isinstance(value, Mapping) and all(isinstance(k, str) for k in value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not math.isfinite(value):
            return False
        if self.kind == "integer" and not float(value).is_integer():
            return False
        return self._in_range(value)

    def _in_range(self, value: float) -> bool:
        if self.low is not None and (
            value < self.low or (self.low_exclusive and value == self.low)
        ):
            return False
        return self.high is None or value <= self.high


RULES: dict[str, Rule] = {
    "temperature": Rule("number", 0, 2),
    "top_p": Rule("number", 0, 1),
    "top_k": Rule("integer", 1, 100),
    "max_tokens": Rule("integer", 1),
    "max_completion_tokens": Rule("integer", 1),
    "n": Rule("integer", 1),
    "seed": Rule("integer"),
    "logprobs": Rule("boolean"),
    "top_logprobs": Rule("integer", 0, 20),
    "repetition_penalty": Rule("number", 0, low_exclusive=True),
    "do_sample": Rule("boolean"),
    "chat_template_kwargs": Rule("object"),
    "reasoning_effort": Rule("choice", choices=REASONING_EFFORTS),
    "stop": Rule("stop"),
    # Body fields without a model field (send them in model_kwargs or per
    # call); the SDK documents them as accepted but not applied.
    "frequency_penalty": Rule("number", -2, 2),
    "presence_penalty": Rule("number", -2, 2),
}
"""Body parameter -> its rule."""


def check_parameter(name: str, value: Any) -> None:
    """Check one parameter against its rule; unknown names and ``None`` pass.

    Raises:
        ValueError: Naming the parameter, what it accepts and the bad value.
    """
    rule = RULES.get(name)
    if rule is not None:
        rule.check(name, value)


def check_parameters(params: Mapping[str, Any]) -> None:
    """Check every parameter of ``params`` that has a rule; ``None`` means unset.

    Raises:
        ValueError: Naming the first bad parameter, what it accepts and its value.
    """
    for name in RULES.keys() & params.keys():
        RULES[name].check(name, params[name])


def check_request(body: Mapping[str, Any], *, stream: bool) -> None:
    """Check the rules that tie a request's parameters together.

    Args:
        body: The request body (or the parameters a model sends by default).
        stream: Whether the request streams.

    Raises:
        ValueError: For ``top_logprobs`` without ``logprobs=True``, or ``n``
            above 1 in a stream (a LangChain stream is one message) or with
            tools (the service refuses that combination).
    """
    if body.get("top_logprobs") is not None and body.get("logprobs") is not True:
        raise ValueError("top_logprobs needs logprobs=True.")
    n = body.get("n")
    if n is None or n <= 1:
        return
    if body.get("tools"):
        raise ValueError(f"n={n} cannot be combined with tools (the API refuses it).")
    if stream:
        raise ValueError(
            f"n={n} cannot stream: a LangChain stream is one message. Use "
            "invoke or generate, which return one generation per choice."
        )


def check_model_kwargs(
    model_kwargs: Mapping[str, Any], fields: AbstractSet[str]
) -> None:
    """Refuse declared fields and reserved keys in ``model_kwargs``; check values.

    Args:
        model_kwargs: The extra body fields.
        fields: The model's field names and their aliases.

    Raises:
        ValueError: For a declared field, a key the request builder owns, or
            a value its rule refuses.
    """
    declared = sorted(fields & model_kwargs.keys())
    if declared:
        raise ValueError(
            f"Set {declared} as ChatSambaNova fields, not in model_kwargs."
        )
    reserved = sorted(model_kwargs.keys() & set(RESERVED_BODY_KEYS))
    if reserved:
        raise ValueError(
            f"model_kwargs may not set {reserved}: the request builder owns them "
            "(use stream()/streaming and stream_usage to control streaming)."
        )
    check_parameters(model_kwargs)


def normalize_stop(stop: Any) -> list[str] | None:
    """Return stop sequences as a list (``None`` when empty), checking them.

    A single string is one sequence.

    Raises:
        ValueError: For more than four sequences or a non-string entry.
    """
    if stop is None:
        return None
    if isinstance(stop, str):
        sequences = [stop]
    elif isinstance(stop, (list, tuple)):
        sequences = list(stop)
    else:
        raise ValueError(
            f"stop must be a string or a list of strings, got {type(stop).__name__}."
        )
    if len(sequences) > MAX_STOP_SEQUENCES:
        raise ValueError(
            f"stop accepts at most {MAX_STOP_SEQUENCES} sequences, "
            f"got {len(sequences)}."
        )
    for sequence in sequences:
        if not isinstance(sequence, str) or not sequence:
            raise ValueError(
                f"stop sequences must be non-empty strings, got {sequence!r}."
            )
    return sequences or None


def validate_max_retries(max_retries: Any) -> None:
    """Retries are a whole number, zero or more (``None``: the model's setting)."""
    if max_retries is None:
        return
    if (
        isinstance(max_retries, bool)
        or not isinstance(max_retries, int)
        or max_retries < 0
    ):
        raise ValueError(
            f"max_retries must be a whole number >= 0, got {max_retries!r}."
        )


def validate_timeout(timeout: Any) -> Any:
    """Check a timeout: finite seconds > 0, an ``httpx.Timeout``, a mapping or ``None``.

    ``None`` means the default (see ``ChatSambaNova.timeout``); an
    ``httpx.Timeout`` is taken as given, and a mapping of its phases
    (``connect``, ``read``, ``write``, ``pool``; how ``dumpd`` writes one) is
    made into one.

    Returns:
        The timeout, a mapping made into an ``httpx.Timeout``.
    """
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, Mapping):
        unknown = sorted(set(timeout) - set(_TIMEOUT_PHASES))
        if unknown or set(timeout) != set(_TIMEOUT_PHASES):
            raise ValueError(
                f"A timeout mapping needs exactly the keys {list(_TIMEOUT_PHASES)}, "
                f"got {sorted(timeout)}."
            )
        for phase in _TIMEOUT_PHASES:
            if timeout[phase] is not None:
                validate_timeout(timeout[phase])
        return httpx.Timeout(**timeout)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ValueError(
            "timeout must be a finite number of seconds > 0, an httpx.Timeout or "
            f"None (the default), got {timeout!r}."
        )
    return timeout


_TIMEOUT_PHASES = ("connect", "read", "write", "pool")
_BASE_URL_VARIABLES = ("SAMBANOVA_BASE_URL", "SAMBANOVA_API_BASE")
DEFAULT_BASE_URL = "https://api.sambanova.ai/v1"


def base_url_from_env() -> str:
    """The API root from the environment: the first non-empty variable, or the default.

    ``SAMBANOVA_BASE_URL=`` (an empty value, as ``.env`` files write it)
    counts as unset, so ``SAMBANOVA_API_BASE`` or the default applies.
    """
    for name in _BASE_URL_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return check_base_url(value)
    return DEFAULT_BASE_URL


def check_base_url(value: Any) -> str:
    """Return ``value`` if it is an ``http(s)://host...`` URL httpx can send to.

    Raises:
        ValueError: Naming what is wrong (empty, not a URL, no host, another
            scheme), before any request is sent.
    """
    if not isinstance(value, str):
        raise ValueError(f"base_url must be a string URL, got {type(value).__name__}.")
    url = value.strip()
    if not url:
        raise ValueError(
            "base_url is empty: give the API root, e.g. https://api.sambanova.ai/v1."
        )
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"base_url {url!r} is not a valid URL: {exc}.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(
            f"base_url {url!r} must be an http:// or https:// URL with a host, "
            "e.g. https://api.sambanova.ai/v1."
        )
    return url


# Fields sent in the body when, and only when, the user set them: the server's
# own defaults stay in force otherwise. Each has its rule in RULES.
SAMPLING_FIELDS = (
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


@functools.cache
def field_names(cls: type[BaseChatModel]) -> frozenset[str]:
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
