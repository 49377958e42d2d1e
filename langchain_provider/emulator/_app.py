"""The Starlette application: routes, auth, scripted items, and the responses.

Order of work for ``POST /v1/chat/completions``: record the request, check the
API key, take the next scripted item, wait out latency and scripted delays,
answer a scripted error, validate, run the model, then answer with a paced
body or stream.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ._catalog import models_body
from ._errors import ApiError
from ._model import Reply, respond
from ._render import ChunkRenderer, completion_body, error_body, new_id
from ._sampling import combined_usage_reply, reply_choices
from ._script import ScriptItem
from ._state import EmulatorState, RecordedRequest
from ._stream import EventStream, StreamPlan, TruncatedResponse, install_log_filter
from ._timing import Pacer, Timeline
from ._validate import validate_request

_JSON = "application/json"


def build_app(state: EmulatorState) -> Starlette:
    """Build the ASGI app serving the chat completion API from `state`.

    Args:
        state: The emulator's shared state (config, script, records).
    """
    install_log_filter()

    async def chat_completions(request: Request) -> Response | ASGIApp:
        timeline = Timeline()
        body = await _record(request, state)
        try:
            _check_api_key(request, state.config.api_key)
            item = state.script.take()
            delay = state.config.latency + (item.delay if item else 0.0)
            if delay > 0:
                await asyncio.sleep(delay)
            if item is not None and item.error is not None:
                # Returned, not raised: a repeating item's one instance would
                # grow a longer traceback with every raise.
                return error_response(item.error)
            prompt_tokens = validate_request(body, state.config)
            reply = respond(body, prompt_tokens, item.reply if item else None)
            replies = reply_choices(body, reply)
        except ApiError as error:
            return error_response(error)
        timeline.begin()
        if body.get("stream"):
            return _stream(body, replies, timeline, item, state)
        return await _complete(body, replies, timeline, item, state)

    async def models(request: Request) -> Response:
        await _record(request, state)
        try:
            _check_api_key(request, state.config.api_key)
        except ApiError as error:
            return error_response(error)
        return Response(models_body(state.config), media_type=_JSON)

    async def not_found(request: Request) -> Response:
        await _record(request, state)
        message = f"No route for {request.method} {request.url.path}"
        return error_response(ApiError(404, message, code="not_found"))

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/{path:path}", not_found, methods=methods),
        ]
    )


def error_response(error: ApiError) -> Response:
    """Render an `ApiError` as a response (JSON, or plain text when asked).

    Args:
        error: The error.
    """
    if error.plain_text:
        return Response(
            error.message, error.status, error.headers, media_type="text/plain"
        )
    return Response(error_body(error), error.status, error.headers, media_type=_JSON)


async def _record(request: Request, state: EmulatorState) -> Any:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    headers = {name.lower(): value for name, value in request.headers.items()}
    state.record(RecordedRequest(request.method, request.url.path, headers, body, raw))
    return body


def _check_api_key(request: Request, api_key: str | None) -> None:
    if api_key is None:
        return
    if request.headers.get("authorization") != f"Bearer {api_key}":
        raise ApiError(
            401,
            "Invalid API key. Pass it as 'Authorization: Bearer <key>'.",
            type="authentication_error",
            code="invalid_api_key",
        )


def _stream(
    body: dict[str, Any],
    replies: list[Reply],
    timeline: Timeline,
    item: ScriptItem | None,
    state: EmulatorState,
) -> EventStream:
    config = state.config
    options = body.get("stream_options") or {}
    plan = StreamPlan(
        renderer=ChunkRenderer(new_id(), body["model"], int(timeline.wall)),
        reply=replies[0],
        timeline=timeline,
        include_usage=bool(options.get("include_usage")),
        fault=item.stream_fault if item else None,
        ttft=config.time_to_first_token,
        tokens_per_second=config.tokens_per_second,
        tool_call_style=config.tool_call_style,
        tokens_per_chunk=config.tokens_per_chunk,
        naming=config.timing_naming,
        placement=config.reference_placement,
        choices=replies if len(replies) > 1 or body.get("logprobs") else None,
    )
    return EventStream(plan, state)


async def _complete(
    body: dict[str, Any],
    replies: list[Reply],
    timeline: Timeline,
    item: ScriptItem | None,
    state: EmulatorState,
) -> Response | ASGIApp:
    config = state.config
    reply = combined_usage_reply(replies)
    fault = item.stream_fault if item else None
    pacer = Pacer(config.time_to_first_token, config.tokens_per_second, timeline.start)
    last = max(reply.completion_tokens - 1, 0)
    # Sleep through the same schedule a stream would follow, marking the
    # moments the timing fields are measured from.
    for token_index in sorted({0, min(10, last), last}):
        await pacer.wait(token_index)
        timeline.mark(token_index)
        if token_index == 0 and fault is not None and fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
            pacer.delay(fault.seconds)
    if fault is not None and fault.kind == "error_event":
        error = fault.error
        return error_response(
            ApiError(500, error["message"], type=error["type"], code=error["code"])
        )
    if fault is not None and fault.kind == "malformed":
        return Response(b"{not json", media_type=_JSON)
    usage = timeline.usage(reply, config.timing_naming)
    rendered = completion_body(
        new_id(),
        body["model"],
        timeline.wall,
        replies,
        usage,
        tool_call_style=config.tool_call_style,
        naming=config.timing_naming,
        placement=config.reference_placement,
    )
    if fault is not None and fault.kind == "cut":
        return TruncatedResponse(rendered)
    return Response(rendered, media_type=_JSON)
