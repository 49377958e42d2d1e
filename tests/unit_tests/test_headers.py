"""Request headers and API-key hygiene (``_headers``), through the real client."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from langchain_provider import ChatSambaNova
from langchain_provider._http import (
    USER_AGENT,
    build_headers,
    check_default_headers,
    normalize_api_key,
)
from unit_tests.conftest import make_model, sse_reply, text_chunks

KEY = "sk-unit-0f9e8d7c"


@pytest.mark.parametrize(
    "raw", [KEY + "\n", KEY + "\r\n", f"  {KEY}\t", "\ufeff" + KEY, KEY + "\u200b"]
)
def test_surrounding_whitespace_is_stripped(raw: str) -> None:
    normalized = normalize_api_key(raw)
    assert normalized is not None and normalized.get_secret_value() == KEY
    model, server = make_model(api_key=raw)
    model.invoke("hi")
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_a_clean_key_is_kept_as_is() -> None:
    key = SecretStr(KEY)
    assert normalize_api_key(key) is key
    assert normalize_api_key(None) is None


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("\n", "U+000A (a control character)"),
        ("\x7f", "U+007F (a control character)"),
        ("é", "U+00E9"),
    ],
)
def test_a_key_that_cannot_be_a_header_is_refused_naming_the_problem(
    bad: str, named: str
) -> None:
    key = KEY[:5] + bad + KEY[5:]
    with pytest.raises(ValueError, match="API key cannot be sent") as excinfo:
        ChatSambaNova(api_key=key)
    assert named in str(excinfo.value) and "character 6" in str(excinfo.value)
    advice = ". Check the key for stray characters (e.g. copied from a document)."
    assert advice in str(excinfo.value)
    for text in (str(excinfo.value), repr(excinfo.value)):
        assert KEY[5:] not in text and KEY[:5] not in text


def test_an_empty_key_sends_no_authorization_header() -> None:
    assert "authorization" not in build_headers(SecretStr(""), None, stream=False)
    model, server = make_model(api_key="  \r\n", base_url="http://localhost:8000/v1")
    model.invoke("hi")
    assert "authorization" not in server.requests[0].headers


def test_the_headers_of_a_request_with_a_key() -> None:
    """JSON in, JSON out, our user agent, the key as a bearer token: nothing else."""
    assert build_headers(SecretStr(KEY), None, stream=False) == {
        "content-type": "application/json",
        "accept": "application/json",
        "user-agent": USER_AGENT,
        "authorization": f"Bearer {KEY}",
    }


def test_accept_follows_the_kind_of_request() -> None:
    assert build_headers(None, None, stream=True)["accept"] == "text/event-stream"
    assert build_headers(None, None, stream=False)["accept"] == "application/json"
    model, server = make_model()
    model.invoke("hi")
    server.replies = [sse_reply(text_chunks("a"))]
    list(model.stream("hi"))
    accepts = [r.headers.get_list("accept") for r in server.requests]
    assert accepts == [["application/json"], ["text/event-stream"]]
    assert server.requests[0].headers["user-agent"] == USER_AGENT


@pytest.mark.parametrize("name", ["authorization", "AUTHORIZATION", "Authorization"])
def test_default_authorization_wins_over_the_key_and_is_sent_once(name: str) -> None:
    headers = build_headers(SecretStr(KEY), {name: "Bearer gateway"}, stream=False)
    assert headers["authorization"] == "Bearer gateway"
    assert len([h for h in headers if h.lower() == "authorization"]) == 1
    model, server = make_model(api_key=KEY, default_headers={name: "Bearer gateway"})
    model.invoke("hi")
    assert server.requests[0].headers.get_list("authorization") == ["Bearer gateway"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("user-agent", "mine/1"),
        ("ACCEPT", "*/*"),
        ("Content-Type", "application/json; charset=utf-8"),
        ("X-Extra", "1"),
    ],
)
def test_default_headers_replace_ours_whatever_their_case(
    name: str, value: str
) -> None:
    model, server = make_model(default_headers={name: value})
    model.invoke("hi")
    assert server.requests[0].headers.get_list(name) == [value]


def test_an_authorization_header_stands_in_for_the_key_on_the_live_service() -> None:
    ChatSambaNova(default_headers={"Authorization": "Bearer gateway"})
    with pytest.raises(ValueError, match="No SambaNova API key"):
        ChatSambaNova()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-Key": "a\nb"}, r"default_headers\['X-Key'\] cannot be sent: character 2"),
        ({"Bad Name": "x"}, "invalid header name 'Bad Name'"),
        ({"Bad:Name": "x"}, "invalid header name 'Bad:Name'"),
        ({"X-Num": 5}, "must be strings"),
    ],
)
def test_default_headers_that_cannot_be_sent_are_refused(
    headers: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_default_headers(headers)
