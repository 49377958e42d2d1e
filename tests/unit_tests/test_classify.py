"""One classifier (``_classify``): the same meaning gives the same class.

An HTTP status with its body, a 200 whose body is an error, and an in-stream
error event are compared directly here; ``test_errors.py`` and the reliability
suite check the same over HTTP.
"""

from __future__ import annotations

import json

import httpx
import pytest
from langchain_core.exceptions import ContextOverflowError, ModelRateLimitError

from langchain_provider import errors
from langchain_provider._retry import RetryPolicy
from langchain_provider.errors import (
    class_for,
    classify,
    decode_json,
    error_from_http,
)


def _http(status: int, body: object, **headers: str) -> errors.SambaNovaError:
    return error_from_http(status, json.dumps(body).encode(), httpx.Headers(headers))


@pytest.mark.parametrize(
    ("error", "http_status", "cls", "stream_cls", "retryable"),
    [
        (
            {"code": "rate_limit_exceeded"},
            429,
            errors.RateLimitError,
            errors.StreamRateLimitError,
            True,
        ),
        (
            {"type": "rate_limit_error"},
            429,
            errors.RateLimitError,
            errors.StreamRateLimitError,
            True,
        ),
        (
            {"status": 429},
            429,
            errors.RateLimitError,
            errors.StreamRateLimitError,
            True,
        ),
        (
            {"code": "429"},
            429,
            errors.RateLimitError,
            errors.StreamRateLimitError,
            True,
        ),
        (
            {"type": "invalid_request_error"},
            400,
            errors.InvalidRequestError,
            errors.StreamInvalidRequestError,
            False,
        ),
        (
            {"code": "context_length_exceeded"},
            400,
            errors.ContextLengthExceededError,
            errors.StreamContextLengthExceededError,
            False,
        ),
        (
            {"type": "authentication_error"},
            401,
            errors.AuthenticationError,
            errors.StreamAuthenticationError,
            False,
        ),
        (
            {"type": "permission_error"},
            403,
            errors.PermissionDeniedError,
            errors.StreamPermissionDeniedError,
            False,
        ),
        (
            {"code": "model_not_found"},
            404,
            errors.NotFoundError,
            errors.StreamNotFoundError,
            False,
        ),
        (
            {"type": "timeout_error"},
            408,
            errors.APITimeoutError,
            errors.StreamTimeoutError,
            True,
        ),
        (
            {"type": "overloaded_error"},
            503,
            errors.ServerError,
            errors.StreamEventError,
            True,
        ),
        ({"message": "boom"}, 500, errors.ServerError, errors.StreamEventError, True),
    ],
)
def test_same_meaning_same_class_everywhere(
    error, http_status, cls, stream_cls, retryable
) -> None:
    payload = {"error": {"message": "m", **error}}
    from_http = _http(http_status, payload)
    from_body = classify(payload, status_code=None)
    in_stream = classify(payload, status_code=None, in_stream=True)
    assert type(from_http) is cls
    assert type(from_body) is cls
    assert type(in_stream) is stream_cls
    assert isinstance(in_stream, cls) and isinstance(in_stream, errors.StreamEventError)
    assert (
        from_http.is_retryable
        is from_body.is_retryable
        is in_stream.is_retryable
        is retryable
    )


def test_in_stream_rate_limit_is_langchains_rate_limit_too() -> None:
    error = classify(
        {"error": {"code": "rate_limit_exceeded"}}, status_code=None, in_stream=True
    )
    assert isinstance(error, ModelRateLimitError)
    overflow = classify(
        {"error": {"code": "context_length_exceeded"}}, status_code=None, in_stream=True
    )
    assert isinstance(overflow, ContextOverflowError)


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, errors.InvalidRequestError, False),
        (401, errors.AuthenticationError, False),
        (402, errors.PaymentRequiredError, False),
        (403, errors.PermissionDeniedError, False),
        (404, errors.NotFoundError, False),
        (408, errors.APITimeoutError, True),
        (409, errors.APIStatusError, True),
        (410, errors.NotFoundError, False),
        (418, errors.APIStatusError, False),
        (422, errors.InvalidRequestError, False),
        (429, errors.RateLimitError, True),
        (500, errors.ServerError, True),
        (504, errors.ServerError, True),
    ],
)
def test_http_status_class_and_retry_verdict(
    status: int, cls: type, retryable: bool
) -> None:
    error = _http(status, {"error": {"message": "m"}})
    assert type(error) is cls and error.status_code == status
    assert error.is_retryable is retryable
    # A bare instance (e.g. made by a user) gets the same verdict.
    assert cls("m", status_code=status).is_retryable is retryable


def test_x_should_retry_sets_the_verdict() -> None:
    assert _http(503, {}, **{"x-should-retry": "false"}).is_retryable is False
    assert _http(400, {}, **{"x-should-retry": "true"}).is_retryable is True


def test_the_response_status_wins_over_what_the_body_says() -> None:
    error = _http(503, {"error": {"type": "invalid_request_error"}})
    assert type(error) is errors.ServerError


def test_class_for() -> None:
    assert class_for(None, None) is errors.ServerError
    assert class_for(599, None) is errors.ServerError
    assert (
        class_for(400, "context_window_exceeded") is errors.ContextLengthExceededError
    )
    assert class_for(409, None) is errors.APIStatusError


def test_long_messages_are_cut_and_the_body_kept() -> None:
    page = "x" * 300_000
    error = error_from_http(502, page.encode(), httpx.Headers())
    assert len(error.message) < 2100
    assert error.message.endswith("... [cut: 298,000 more characters in .body]")
    assert len(str(error)) < 2200
    assert error.body == page
    short = error_from_http(502, b"short", httpx.Headers())
    assert short.message == "short" and "cut" not in str(short)


def test_absurd_nesting_in_an_error_body_is_plain_text() -> None:
    nested = b"[" * 50_000 + b"]" * 50_000
    error = error_from_http(500, nested, httpx.Headers())
    assert type(error) is errors.ServerError and error.body == nested.decode()


def test_an_unreadable_error_body_keeps_the_status() -> None:
    error = error_from_http(503, b"", httpx.Headers(), unreadable="DecodingError")
    assert type(error) is errors.ServerError and error.status_code == 503
    assert "could not be read (DecodingError)" in error.message


def test_daily_quota_429_is_a_non_retryable_quota_error() -> None:
    body = {
        "error": {
            "message": "Violated duration_s: 86400",
            "code": "rate_limit_exceeded",
        }
    }
    error = _http(
        429,
        body,
        **{
            "x-ratelimit-remaining-requests-day": "0",
            "x-ratelimit-reset-requests-day": "90",
        },
    )
    assert type(error) is errors.QuotaExceededError
    assert error.is_retryable is False and error.reset_seconds == 90.0
    assert error.message.startswith("Quota used up, not retried; it resets in 1m30s.")
    unknown = _http(429, body)
    assert (
        unknown.reset_seconds is None and "at the end of its window" in unknown.message
    )


def test_a_burst_429_is_retryable() -> None:
    error = _http(429, {"error": {"message": "Request would exceed rate limit"}})
    assert type(error) is errors.RateLimitError and error.is_retryable


def test_request_id_and_fields() -> None:
    error = _http(
        400,
        {
            "error": {"message": "m", "param": "top_p", "code": "c", "type": "t"},
            "request_id": "rid",
        },
    )
    assert (error.param, error.code, error.error_type, error.request_id) == (
        "top_p",
        "c",
        "t",
        "rid",
    )
    assert _http(400, {}, **{"x-request-id": "h"}).request_id == "h"


def test_non_object_payloads_are_messages() -> None:
    assert classify("plain words", status_code=None).message == "plain words"
    assert classify({"error": "text"}, status_code=None).message == "text"
    assert json.loads(classify({"error": {"code": "x"}}, status_code=None).message) == {
        "code": "x"
    }
    empty = classify({"error": {"message": "", "code": "x"}}, status_code=None)
    assert json.loads(empty.message) == {"message": "", "code": "x"}


@pytest.mark.parametrize(
    ("error", "cls", "status"),
    [
        ({"status": 400}, errors.InvalidRequestError, 400),
        ({"status": "599"}, errors.ServerError, 599),
        ({"status": 600, "code": "bad_request"}, errors.InvalidRequestError, None),
        ({"status": 399, "code": "bad_request"}, errors.InvalidRequestError, None),
        ({"status": True, "code": 429}, errors.RateLimitError, 429),
        ({"status_code": 403}, errors.PermissionDeniedError, 403),
        ({"http_status": 404}, errors.NotFoundError, 404),
    ],
)
def test_a_status_in_the_error_object_counts_only_from_400_to_599(
    error: dict, cls: type, status: int | None
) -> None:
    """An error object's own status (not a bool) is its meaning and its status_code."""
    found = classify({"error": {"message": "m", **error}}, status_code=None)
    assert type(found) is cls and found.status_code == status


@pytest.mark.parametrize(
    ("reset", "when"),
    [
        (90, "in 1m30s"),
        (3540, "in 59m00s"),
        (5400, "in 1h30m"),
        (7260, "in 2h01m"),
        (None, "at the end of its window"),
    ],
)
def test_a_quota_error_says_when_it_resets_and_keeps_the_response(
    reset: int | None, when: str
) -> None:
    """The quota message names the reset time; status, ids, body and fields stay."""
    body = {
        "error": {
            "message": "Violated duration_s: 86400",
            "code": "rate_limit_exceeded",
            "type": "rate_limit_error",
            "param": "model",
        }
    }
    headers = {"x-request-id": "rid-7"}
    rate_limit = None
    if reset is not None:
        headers["x-ratelimit-remaining-requests-day"] = "0"
        headers["x-ratelimit-reset-requests-day"] = str(reset)
        rate_limit = {"requests_day": {"remaining": 0, "reset_seconds": float(reset)}}
    error = _http(429, body, **headers)
    assert type(error) is errors.QuotaExceededError
    assert error.message == (
        f"Quota used up, not retried; it resets {when}. Violated duration_s: 86400"
    )
    assert (error.status_code, error.request_id, error.body) == (
        429,
        "rid-7",
        json.dumps(body),
    )
    assert (error.code, error.error_type, error.param) == (
        "rate_limit_exceeded",
        "rate_limit_error",
        "model",
    )
    assert error.rate_limit == rate_limit


def test_request_id_from_the_request_id_header() -> None:
    """Without ``x-request-id``, the plain ``request-id`` header is used."""
    assert _http(400, {}, **{"request-id": "plain"}).request_id == "plain"


def test_an_error_body_that_is_not_utf8_is_still_read() -> None:
    """Bytes that are not UTF-8 are replaced, never a UnicodeDecodeError."""
    error = error_from_http(400, b"bad \xff byte", httpx.Headers())
    assert type(error) is errors.InvalidRequestError
    assert error.message == "bad \ufffd byte"


def test_error_from_http_uses_the_policy_it_is_given() -> None:
    """A policy with a shorter ``max_retry_after`` makes a 30 s reset a quota."""
    headers = httpx.Headers(
        {
            "x-ratelimit-remaining-requests-minute": "0",
            "x-ratelimit-reset-requests-minute": "30",
        }
    )
    body = json.dumps({"error": {"message": "slow down"}}).encode()
    assert type(error_from_http(429, body, headers)) is errors.RateLimitError
    strict = RetryPolicy(max_retry_after=10.0)
    error = error_from_http(429, body, headers, policy=strict)
    assert type(error) is errors.QuotaExceededError and error.reset_seconds == 30.0


def test_classify_reports_the_verdict_of_the_policy_it_is_given() -> None:
    """``is_retryable`` is the given policy's verdict on what the error means."""
    payload = {"error": {"code": "rate_limit_exceeded"}}
    assert classify(payload, status_code=None).is_retryable is True
    never = RetryPolicy(statuses=frozenset())
    assert classify(payload, status_code=None, policy=never).is_retryable is False


def test_a_quota_window_named_only_in_the_body_is_a_quota() -> None:
    """``duration_s: 86400`` anywhere in the body marks the 429 as a daily quota."""
    body = {"error": {"message": "Rate limit exceeded", "detail": "duration_s: 86400"}}
    error = _http(429, body)
    assert type(error) is errors.QuotaExceededError and not error.is_retryable


def test_absurdly_nested_json_is_a_value_error() -> None:
    """The nesting is named in a ``ValueError`` (callers quote it), not a crash."""
    with pytest.raises(ValueError, match="^JSON nested too deeply to decode$"):
        decode_json("[" * 100_000 + "]" * 100_000)


def test_the_overflow_message_is_an_overflow_only_on_a_bad_request() -> None:
    quoted = (
        "The maximum context length of DeepSeek-V3-0324 is 32768. However, "
        "answering your request will take 39732 tokens. Please reduce the length "
        "of the messages or the specified max_completion_tokens value."
    )
    assert class_for(400, None, quoted) is errors.ContextLengthExceededError
    assert class_for(None, None, quoted) is errors.ContextLengthExceededError
    assert class_for(500, None, quoted) is errors.ServerError
    assert class_for(429, None, quoted) is errors.RateLimitError
    assert class_for(400, None, "messages[0].content is required") is (
        errors.InvalidRequestError
    )
