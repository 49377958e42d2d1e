"""HTTP error statuses: which are retried, how long the client waits, what it raises.

The policy under test (``_client`` docstring): 408, 409, 429 and 5xx are
retried up to ``max_retries`` times with backoff, honouring ``retry-after-ms``,
``retry-after`` and ``x-should-retry``; every other status raises at once the
matching class of ``langchain_provider.errors`` with the server's message.
"""

from __future__ import annotations

import pytest
from clock import ROUNDS_UP_DELAY, ROUNDS_UP_JITTER, backoff
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from langchain_provider import ChatSambaNova
from langchain_provider.errors import (
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ContextLengthExceededError,
    InvalidRequestError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    SambaNovaError,
    ServerError,
)

from .conftest import CALL_STYLES, call, chat_requests, report
from .rawserver import RawReply, RawServer, response

RETRYABLE = {
    408: (APITimeoutError, ModelTimeoutError),
    409: (APIStatusError, SambaNovaError),
    429: (RateLimitError, ModelRateLimitError),
    500: (ServerError, ModelAPIError),
    502: (ServerError, ModelAPIError),
    503: (ServerError, ModelAPIError),
    504: (ServerError, ModelAPIError),
}
FAST_RETRY = {"retry-after-ms": "10"}
PROMPT = "Say hello"
REPLY = f"Emulated reply to: {PROMPT}"


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize("status", sorted(RETRYABLE))
async def test_retryable_status_is_retried_then_succeeds(
    emu, make_model, style, status, retry_clock
):
    emu.script.fault(status=status, headers=FAST_RETRY, times=2)
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert outcome.error is None, outcome.error
    assert outcome.text == REPLY
    assert len(chat_requests(emu)) == 3  # two failures, then the success
    # The server's 10 ms hint was used, not backoff (0.4375 s, then 0.875 s);
    # the elapsed bound only catches a hang on a busy machine.
    assert retry_clock.waits == [0.01, 0.01]
    assert outcome.seconds < 5.0
    report(f"{status} x2 then 200, {style} (s)", round(outcome.seconds, 3))


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize("status", sorted(RETRYABLE))
async def test_max_retries_zero_raises_at_once(emu, make_model, style, status):
    cls, lc_cls = RETRYABLE[status]
    emu.script.fault(status=status, message=f"fault {status}", headers=FAST_RETRY)
    outcome = await call(make_model(max_retries=0), style, PROMPT)
    assert isinstance(outcome.error, cls)
    assert isinstance(outcome.error, lc_cls)
    assert outcome.error.status_code == status
    assert f"fault {status}" in str(outcome.error)
    assert outcome.chunks == []
    assert len(chat_requests(emu)) == 1
    assert outcome.seconds < 5.0  # loose: the request count proves "at once"
    report(f"{status} with max_retries=0, {style} (s)", round(outcome.seconds, 4))


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_retries_exhausted_raise_the_last_error(emu, make_model, style):
    emu.script.fault(
        status=503,
        message="Service unavailable for maintenance",
        headers=FAST_RETRY,
        times=None,
    )
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert isinstance(outcome.error, ServerError)
    assert outcome.error.status_code == 503
    assert "Service unavailable for maintenance" in str(outcome.error)
    assert outcome.chunks == []
    assert len(chat_requests(emu)) == 3  # the first attempt and two retries


@pytest.mark.parametrize("style", ["invoke", "astream"])
async def test_retry_after_seconds_is_honoured(emu, make_model, style, retry_clock):
    emu.script.fault(
        status=429,
        message="Request would exceed rate limit",
        code="rate_limit_exceeded",
        headers={"retry-after": "1"},
    )
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert outcome.error is None, outcome.error
    assert outcome.text == REPLY
    assert len(chat_requests(emu)) == 2  # the retried request reached the server
    assert retry_clock.waits == [1.0]  # the server's second, not a backoff
    assert outcome.seconds < 5.0


@pytest.mark.parametrize("style", ["ainvoke", "stream"])
async def test_backoff_applies_without_a_server_hint(
    emu, make_model, style, retry_clock
):
    # No retry-after: the first retry waits 0.5 s minus up to 25 % jitter. The
    # pinned draw makes it 0.44505 s, which the retry log prints as 0.45 s:
    # the delay the client asked for is asserted exactly, not read back.
    retry_clock.jitter = ROUNDS_UP_JITTER
    emu.script.fault(status=503)
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert outcome.error is None, outcome.error
    assert len(chat_requests(emu)) == 2  # the retried request reached the server
    assert retry_clock.waits == [ROUNDS_UP_DELAY] == [backoff(0, ROUNDS_UP_JITTER)]
    assert outcome.seconds < 5.0


@pytest.mark.parametrize("style", ["invoke", "astream"])
async def test_x_should_retry_false_is_obeyed(emu, make_model, style):
    emu.script.fault(status=503, headers={"x-should-retry": "false", **FAST_RETRY})
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert isinstance(outcome.error, ServerError)
    assert len(chat_requests(emu)) == 1


NOT_RETRIED = [
    # status, code, error class, langchain-core class
    (400, "invalid_type", InvalidRequestError, ModelInvalidRequestError),
    (400, "context_length_exceeded", ContextLengthExceededError, ContextOverflowError),
    (401, "invalid_api_key", AuthenticationError, ModelAuthenticationError),
    (402, None, PaymentRequiredError, ModelPermissionDeniedError),
    (403, None, PermissionDeniedError, ModelPermissionDeniedError),
    (404, "model_not_found", NotFoundError, ModelNotFoundError),
    (410, "model_deprecated", NotFoundError, ModelNotFoundError),
    (422, None, InvalidRequestError, ModelInvalidRequestError),
]


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize(("status", "code", "cls", "lc_cls"), NOT_RETRIED)
async def test_client_error_raises_typed_error_without_retry(
    emu, make_model, style, status, code, cls, lc_cls
):
    message = f"The server says no ({status}, {code})"
    emu.script.fault(status=status, message=message, code=code, param="messages")
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert type(outcome.error) is cls
    assert isinstance(outcome.error, lc_cls)
    assert outcome.error.status_code == status
    assert outcome.error.message == message
    assert outcome.error.code == code
    assert outcome.error.param == "messages"
    assert message in str(outcome.error)
    assert outcome.chunks == []
    assert len(chat_requests(emu)) == 1


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (402, PaymentRequiredError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (410, NotFoundError),
        (422, InvalidRequestError),
    ],
)
async def test_plain_text_error_body_keeps_the_message(
    emu, make_model, style, status, cls
):
    message = f"Unprocessable: messages.0.content: Expected str ({status})"
    emu.script.fault(status=status, message=message, plain_text=True)
    outcome = await call(make_model(max_retries=2), style, PROMPT)
    assert type(outcome.error) is cls
    assert outcome.error.status_code == status
    assert outcome.error.message == message
    assert message in str(outcome.error)
    assert len(chat_requests(emu)) == 1


@pytest.mark.parametrize("style", CALL_STYLES)
async def test_real_context_overflow_from_the_server(emu, make_model, style):
    # Not scripted: the emulator's own validation of a 16k-context model.
    model = make_model(model="Meta-Llama-3.1-8B-Instruct", max_retries=2)
    outcome = await call(model, style, "word " * 20_000)
    assert isinstance(outcome.error, ContextLengthExceededError)
    assert isinstance(outcome.error, ContextOverflowError)
    assert "maximum context length is 16384 tokens" in str(outcome.error)
    assert len(chat_requests(emu)) == 1


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("style", [*CALL_STYLES, "list_models"])
async def test_a_redirect_is_a_status_error_naming_where_and_never_retried(
    status, style
):
    """Issue 18, defect 5: a redirect was a ServerError (a 5xx kind).

    The client never follows a redirect (a POST body is not resent where the
    user did not point it): the error says where to, so base_url can be fixed.
    """
    location = "https://api.example.test/v1/chat/completions"
    reply = RawReply(response(status, b"Moved", {"location": location}))
    with RawServer(reply) as server:
        model = ChatSambaNova(base_url=server.base_url, api_key="k", max_retries=3)
        if style == "list_models":
            with pytest.raises(SambaNovaError) as excinfo:
                await model.alist_models()
            error = excinfo.value
        else:
            error = (await call(model, style)).error
        assert len(server.requests) == 1
    assert type(error) is APIStatusError
    assert not isinstance(error, ServerError)
    assert error.status_code == status and error.is_retryable is False
    assert f"redirect ({status}) to {location!r}" in error.message
    assert "set base_url" in error.message
