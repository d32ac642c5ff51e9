"""Anthropic Messages, streamed as the API streams it.

Modelled event for event on the captures in tests/wire_samples
(`anthropic_text_ping.sse`, `anthropic_tool_use.sse`,
`anthropic_thinking_tool_use.sse`): `message_start`, a `ping` after the first
`content_block_start`, one content block per thinking / text / tool call,
`message_delta` with the stop reason and `message_stop`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from ..llm_server import LLMServer, Reply

# Anthropic's error type and a message like the real one, per HTTP status.
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "messages: text content blocks must be non-empty"),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "model: missing"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization.",
    ),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timeout"),
    529: ("overloaded_error", "Overloaded"),
}

# What the test thinking block is signed with (opaque, as the real one).
SIGNATURE = "EqQBCkYICxgCKkBtZXN0LXNpZ25hdHVyZQ=="


def anthropic_error_body(status: int) -> dict[str, Any]:
    """The JSON body Anthropic answers a failed request with."""
    kind, message = _ERRORS.get(
        status,
        ("api_error", "Internal server error")
        if status >= 500
        else ("invalid_request_error", "Bad request"),
    )
    return {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CConfidantTest",
    }


def _fragments(text: str, size: int = 7) -> list[str]:
    """Tool input in pieces split mid-token, starting with "" as the API does."""
    return [""] + [text[start : start + size] for start in range(0, len(text), size)]


def _anthropic_events(reply: Reply, model: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs of a Messages stream."""
    yield (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_01ConfidantTest",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                # Anthropic counts input after the last cache read apart.
                "usage": {
                    "input_tokens": reply.usage.total - reply.usage.cached
                    if reply.usage
                    else 25,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": reply.usage.cached if reply.usage else 0,
                    "output_tokens": 1,
                },
            },
        },
    )
    index = 0

    def start(block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )
        if index == 0:
            yield "ping", {"type": "ping"}

    def delta(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "content_block_delta", {
            "type": "content_block_delta",
            "index": index,
            "delta": payload,
        }

    def stop() -> tuple[str, dict[str, Any]]:
        return "content_block_stop", {"type": "content_block_stop", "index": index}

    if reply.reasoning:
        yield from start({"type": "thinking", "thinking": "", "signature": ""})
        pieces = reply.reasoning.split(" ")
        for number, piece in enumerate(pieces):
            yield delta(
                {
                    "type": "thinking_delta",
                    "thinking": piece if number == 0 else " " + piece,
                }
            )
        yield delta({"type": "signature_delta", "signature": SIGNATURE})
        yield stop()
        index += 1
    if reply.text:
        yield from start({"type": "text", "text": ""})
        for word in reply.words():
            yield delta({"type": "text_delta", "text": word})
        yield stop()
        index += 1
    for number, call in enumerate(reply.tool_calls):
        call_id = (
            call.id or f"toolu_01Test{number:02d}{abs(hash(call.name)) % 10**8:08d}"
        )
        yield from start(
            {"type": "tool_use", "id": call_id, "name": call.name, "input": {}}
        )
        for fragment in _fragments(call.arguments_text()):
            yield delta({"type": "input_json_delta", "partial_json": fragment})
        yield stop()
        index += 1
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
                "stop_sequence": None,
            },
            "usage": {"output_tokens": 12},
        },
    )
    yield "message_stop", {"type": "message_stop"}


async def handle_messages(
    server: LLMServer, request: web.Request
) -> web.StreamResponse:
    """POST /v1/messages."""
    recorded = await server.record(request)
    if not server.authorized(request):
        return web.json_response(anthropic_error_body(401), status=401)
    reply = await server.next_reply("anthropic", recorded.json)
    if reply.status != 200:
        return web.json_response(
            reply.error_body or anthropic_error_body(reply.status), status=reply.status
        )
    model = (recorded.json or {}).get("model", "")
    frames = [
        f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
        for name, data in _anthropic_events(reply, model)
    ]
    return await server.stream(
        request, reply, frames, "text/event-stream; charset=utf-8"
    )


ROUTES = [("POST", "/v1/messages", handle_messages)]
