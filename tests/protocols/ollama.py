"""Ollama's native API, as an Ollama server streams it.

Modelled on ollama/ollama's `server/routes.go` and `api/types.go` and on the
captures in tests/wire_samples (ollama_chat_text.ndjson,
ollama_chat_tool_calls.ndjson): NDJSON, one compact JSON object a line as Go's
encoder writes it (`<`, `>` and `&` escaped, other characters raw UTF-8), a
`done: false` chunk per word, tool calls complete in one chunk with their
arguments as an object, and a last `done: true` chunk with `done_reason` and
the duration and token counters. Errors are `{"error": "..."}`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..llm_server import LLMServer, Reply

_GO_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def go_json(value: Any) -> str:
    """Encode as Go's encoding/json does: compact, HTML characters escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Outside strings JSON has none of these characters, so this is safe.
    for char, escape in _GO_HTML_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def _created_at() -> str:
    # Go's RFC 3339 with nanoseconds; microseconds are as real as it gets here.
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    calls = []
    for call in reply.tool_calls:
        # Ollama sends the arguments as an object. A string (a quirk of some
        # proxies and small models) is sent as a string, malformed or not.
        entry: dict[str, Any] = {
            "function": {"name": call.name, "arguments": call.arguments}
        }
        if call.id is not None:
            entry["id"] = call.id
        calls.append(entry)
    return calls


def _final_chunk(reply: Reply, model: str) -> dict[str, Any]:
    eval_count = len(reply.words()) + len(reply.tool_calls) + 1
    return {
        "model": model,
        "created_at": _created_at(),
        "message": {"role": "assistant", "content": ""},
        "done_reason": "stop",
        "done": True,
        "total_duration": 182242375,
        "load_duration": 41295167,
        # Ollama counts the prompt tokens it evaluated: not those it had cached.
        "prompt_eval_count": reply.usage.total - reply.usage.cached
        if reply.usage
        else 169,
        "prompt_eval_duration": 24573166,
        "eval_count": eval_count,
        "eval_duration": 115959084,
    }


def ollama_chunks(reply: Reply, model: str) -> Iterator[dict[str, Any]]:
    """The `/api/chat` stream of a scripted reply."""

    def chunk(message: dict[str, Any]) -> dict[str, Any]:
        return {
            "model": model,
            "created_at": _created_at(),
            "message": {"role": "assistant", "content": "", **message},
            "done": False,
        }

    # `thinking` has omitempty: it is absent from content chunks.
    for piece in reply.reasoning.split(" ") if reply.reasoning else ():
        yield chunk({"thinking": piece + " "})
    for word in reply.words():
        yield chunk({"content": word})
    if reply.tool_calls:
        yield chunk({"tool_calls": _tool_calls(reply)})
    yield _final_chunk(reply, model)


def _chat_json(reply: Reply, model: str) -> dict[str, Any]:
    """A non-streamed `/api/chat` answer: the final chunk with the whole message."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.reasoning:
        message["thinking"] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply)
    return {**_final_chunk(reply, model), "message": message}


def ollama_error_body(status: int, model: str = "") -> dict[str, Any]:
    """Ollama's error body for a status (the messages routes.go writes)."""
    messages = {
        400: "invalid request",
        401: "unauthorized",
        403: "forbidden",
        404: f"model '{model}' not found",
        429: "too many requests",
    }
    return {
        "error": messages.get(
            status, "an error was encountered while running the model"
        )
    }


def _json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=go_json(body),
        content_type="application/json",
        charset="utf-8",
    )


async def handle_tags(server: LLMServer, request: web.Request) -> web.StreamResponse:
    """GET /api/tags: the pulled models, newest first."""
    await server.record(request)
    if not server.authorized(request):
        return _json_response(ollama_error_body(401), 401)
    if server.models_status != 200:
        return _json_response(
            ollama_error_body(server.models_status), server.models_status
        )
    models = [
        {
            "name": name,
            "model": name,
            "modified_at": "2025-07-07T20:22:19.184789+02:00",
            "size": 2019393189,
            "digest": hashlib.sha256(name.encode()).hexdigest(),
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "llama",
                "families": ["llama"],
                "parameter_size": "3.2B",
                "quantization_level": "Q4_K_M",
            },
        }
        for name in server.models
    ]
    return _json_response({"models": models})


async def handle_chat(server: LLMServer, request: web.Request) -> web.StreamResponse:
    """POST /api/chat."""
    recorded = await server.record(request)
    if not server.authorized(request):
        return _json_response(ollama_error_body(401), 401)
    body = recorded.json
    model = body.get("model", "")
    reply = await server.next_reply("ollama", body)
    if reply.status != 200:
        return _json_response(
            reply.error_body or ollama_error_body(reply.status, model), reply.status
        )
    # Streaming is Ollama's default: only an explicit false turns it off.
    if body.get("stream") is False:
        return _json_response(_chat_json(reply, model))
    frames = [(go_json(chunk) + "\n").encode() for chunk in ollama_chunks(reply, model)]
    return await server.stream(request, reply, frames, "application/x-ndjson")


async def handle_show(server: LLMServer, request: web.Request) -> web.Response:
    """Ollama's POST /api/show: capabilities and model_info."""
    await server.record(request)
    if server.show is None:
        return web.json_response({"error": "model not found"}, status=404)
    return web.json_response(server.show)


ROUTES = [
    ("GET", "/api/tags", handle_tags),
    ("POST", "/api/show", handle_show),
    ("POST", "/api/chat", handle_chat),
]
