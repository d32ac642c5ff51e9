"""OpenAI Chat Completions, as OpenAI and local servers stream it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from ..llm_server import LLMServer, Reply


def _usage_chunk(reply: Reply, base: dict[str, Any], llama_cpp: bool) -> dict[str, Any]:
    """The last chunk, with usage (and llama.cpp's timings), as servers send it."""
    usage = reply.usage
    total, cached = (usage.total, usage.cached) if usage else (20, 0)
    chunk: dict[str, Any] = {
        **base,
        "choices": [],
        "usage": {
            "prompt_tokens": total,
            "completion_tokens": 10,
            "total_tokens": total + 10,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }
    if llama_cpp:
        chunk["timings"] = {
            "cache_n": cached,
            "prompt_n": total - cached,
            "prompt_ms": 2.0 * (total - cached),
            "predicted_n": 10,
            "predicted_ms": 50.0,
        }
    return chunk


def _chat_completions_frames(
    reply: Reply, model: str, *, usage: bool = False, llama_cpp: bool = False
) -> Iterator[dict[str, Any]]:
    """Chat Completions chunks, as OpenAI streams them."""
    base = {
        "id": "chatcmpl-confidant-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_test",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            ],
        }

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in reply.reasoning.split(" ") if reply.reasoning else ():
        yield chunk({"reasoning_content": piece + " "})
    for word in reply.words():
        yield chunk({"content": word})
    for index, call in enumerate(reply.tool_calls):
        call_id = call.id or f"call_{index}_{abs(hash(call.name)) % 10**8}"
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ]
            }
        )
        text = call.arguments_text()
        # Arguments arrive in fragments, as real servers send them.
        for start in range(0, len(text), 7):
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "function": {"arguments": text[start : start + 7]},
                        }
                    ]
                }
            )
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    if usage:
        yield _usage_chunk(reply, base, llama_cpp)


def _chat_completion_json(reply: Reply, model: str) -> dict[str, Any]:
    """A non-streamed Chat Completions answer."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id or f"call_{index}",
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_text()},
            }
            for index, call in enumerate(reply.tool_calls)
        ]
    return {
        "id": "chatcmpl-confidant-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def openai_error_body(status: int) -> dict[str, Any]:
    messages = {
        401: (
            "Incorrect API key provided: sk-test***. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        ),
        404: (
            "The model `missing` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        ),
        429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    }
    message, kind, code = messages.get(
        status,
        (
            "The server had an error while processing your request.",
            "server_error",
            None,
        ),
    )
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


async def handle_models(server: LLMServer, request: web.Request) -> web.StreamResponse:
    """GET /v1/models, in OpenAI's shape or, for the Anthropic SDK, in Anthropic's."""
    await server.record(request)
    anthropic = "anthropic-version" in request.headers
    if not server.authorized(request):
        if anthropic:
            from .anthropic import anthropic_error_body  # noqa: PLC0415

            return web.json_response(anthropic_error_body(401), status=401)
        return web.json_response(openai_error_body(401), status=401)
    if server.models_status != 200:
        return web.json_response(
            openai_error_body(server.models_status), status=server.models_status
        )
    if anthropic:
        data = [
            {
                "type": "model",
                "id": model,
                "display_name": model,
                "created_at": "2025-01-01T00:00:00Z",
            }
            for model in server.models
        ]
        return web.json_response(
            {
                "data": data,
                "has_more": False,
                "first_id": server.models[0] if server.models else None,
                "last_id": server.models[-1] if server.models else None,
            }
        )
    return web.json_response(
        {
            "object": "list",
            "data": [
                {"id": model, "object": "model", "created": 0, "owned_by": "test"}
                for model in server.models
            ],
        }
    )


async def handle_chat_completions(
    server: LLMServer, request: web.Request
) -> web.StreamResponse:
    """POST /v1/chat/completions."""
    recorded = await server.record(request)
    if not server.authorized(request):
        return web.json_response(openai_error_body(401), status=401)
    reply = await server.next_reply("openai_compatible", recorded.json)
    if reply.status != 200:
        return web.json_response(
            reply.error_body or openai_error_body(reply.status), status=reply.status
        )
    body = recorded.json
    model = body.get("model", "")
    if not body.get("stream"):
        return web.json_response(_chat_completion_json(reply, model))
    frames = [
        f"data: {json.dumps(frame)}\n\n".encode()
        for frame in _chat_completions_frames(
            reply,
            model,
            usage=bool((body.get("stream_options") or {}).get("include_usage")),
            llama_cpp=server.llama_cpp,
        )
    ]
    frames.append(b"data: [DONE]\n\n")
    return await server.stream(request, reply, frames, "text/event-stream")


async def handle_props(server: LLMServer, request: web.Request) -> web.Response:
    """llama.cpp's GET /props: the model's template caps, modalities, context.

    The scripted document when a test set one; the slot count alone when the
    server plays llama.cpp (its prompt cache); otherwise 404.
    """
    await server.record(request)
    if server.props is not None:
        props = dict(server.props)
        if server.llama_cpp:
            props.setdefault("total_slots", server.total_slots)
        return web.json_response(props)
    if server.llama_cpp:
        return web.json_response({"total_slots": server.total_slots})
    return web.json_response({"error": "Not Found"}, status=404)


ROUTES = [
    ("GET", "/props", handle_props),
    ("GET", "/v1/models", handle_models),
    ("POST", "/v1/chat/completions", handle_chat_completions),
]
