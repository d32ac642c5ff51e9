"""OpenAI's Responses API (`POST /v1/responses`), as OpenAI streams it.

Modelled event for event on wire_samples/openai_responses_text.sse,
openai_responses_function_call.sse and
openai_responses_reasoning_function_call.sse: every frame is
`event: <type>\\ndata: <json>\\n\\n`, numbered by `sequence_number`, and the
answer is framed by `response.created`/`response.in_progress` and
`response.completed`, which carries the whole response object.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from ..llm_server import LLMServer, Reply
from ..prompt_prefix import PromptUsage
from .chat_completions import openai_error_body

RESPONSE_ID = "resp_confidant_test"


def _response_object(
    body: dict[str, Any],
    status: str,
    output: list[dict[str, Any]],
    usage: PromptUsage | None = None,
) -> dict[str, Any]:
    """The response object, echoing the request as OpenAI does."""
    completed = status == "completed"
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "completed_at": int(time.time()) if completed else None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": body.get("model", ""),
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {
            "effort": (body.get("reasoning") or {}).get("effort"),
            "summary": None,
        },
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": body.get("tools", []),
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": (
            {
                "input_tokens": usage.total if usage else 20,
                "input_tokens_details": {"cached_tokens": usage.cached if usage else 0},
                "output_tokens": 10,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": (usage.total if usage else 20) + 10,
            }
            if completed
            else None
        ),
        "user": None,
        "metadata": {},
    }


def _responses_events(reply: Reply, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The events of one answer, without sequence numbers."""
    output: list[dict[str, Any]] = []
    yield {
        "type": "response.created",
        "response": _response_object(body, "in_progress", []),
    }
    yield {
        "type": "response.in_progress",
        "response": _response_object(body, "in_progress", []),
    }

    if reply.reasoning:
        index = len(output)
        item_id = "rs_confidant_test"
        item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": []}
        yield {
            "type": "response.output_item.added",
            "item": item,
            "output_index": index,
        }
        where = {"item_id": item_id, "output_index": index, "summary_index": 0}
        yield {
            "type": "response.reasoning_summary_part.added",
            **where,
            "part": {"type": "summary_text", "text": ""},
        }
        pieces = reply.reasoning.split(" ")
        for position, piece in enumerate(pieces):
            delta = piece if position == 0 else " " + piece
            yield {
                "type": "response.reasoning_summary_text.delta",
                **where,
                "delta": delta,
            }
        yield {
            "type": "response.reasoning_summary_text.done",
            **where,
            "text": reply.reasoning,
        }
        part = {"type": "summary_text", "text": reply.reasoning}
        yield {"type": "response.reasoning_summary_part.done", **where, "part": part}
        item = {**item, "summary": [part]}
        output.append(item)
        yield {"type": "response.output_item.done", "item": item, "output_index": index}

    if reply.text:
        index = len(output)
        item_id = "msg_confidant_test"
        item = {
            "id": item_id,
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        yield {
            "type": "response.output_item.added",
            "item": item,
            "output_index": index,
        }
        where = {"content_index": 0, "item_id": item_id, "output_index": index}
        yield {
            "type": "response.content_part.added",
            **where,
            "part": {
                "type": "output_text",
                "annotations": [],
                "logprobs": [],
                "text": "",
            },
        }
        for word in reply.words():
            yield {
                "type": "response.output_text.delta",
                **where,
                "delta": word,
                "logprobs": [],
            }
        yield {
            "type": "response.output_text.done",
            **where,
            "logprobs": [],
            "text": reply.text,
        }
        part = {
            "type": "output_text",
            "annotations": [],
            "logprobs": [],
            "text": reply.text,
        }
        yield {"type": "response.content_part.done", **where, "part": part}
        item = {**item, "status": "completed", "content": [part]}
        output.append(item)
        yield {"type": "response.output_item.done", "item": item, "output_index": index}

    for number, call in enumerate(reply.tool_calls):
        index = len(output)
        item_id = f"fc_confidant_test_{number}"
        call_id = call.id or f"call_{number}_{abs(hash(call.name)) % 10**8}"
        item = {
            "id": item_id,
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call_id,
            "name": call.name,
        }
        yield {
            "type": "response.output_item.added",
            "item": item,
            "output_index": index,
        }
        text = call.arguments_text()
        # Arguments arrive in fragments, split anywhere, as OpenAI sends them.
        for start in range(0, len(text), 7):
            yield {
                "type": "response.function_call_arguments.delta",
                "delta": text[start : start + 7],
                "item_id": item_id,
                "output_index": index,
            }
        yield {
            "type": "response.function_call_arguments.done",
            "arguments": text,
            "item_id": item_id,
            "output_index": index,
        }
        item = {**item, "status": "completed", "arguments": text}
        output.append(item)
        yield {"type": "response.output_item.done", "item": item, "output_index": index}

    yield {
        "type": "response.completed",
        "response": _response_object(body, "completed", output, reply.usage),
    }


def responses_frames(reply: Reply, body: dict[str, Any]) -> list[bytes]:
    """The SSE frames of one answer, numbered as OpenAI numbers them."""
    frames = []
    for number, event in enumerate(_responses_events(reply, body)):
        data = {**event, "sequence_number": number}
        frames.append(f"event: {event['type']}\ndata: {json.dumps(data)}\n\n".encode())
    return frames


async def handle_responses(
    server: LLMServer, request: web.Request
) -> web.StreamResponse:
    """POST /v1/responses."""
    recorded = await server.record(request)
    if not server.authorized(request):
        return web.json_response(openai_error_body(401), status=401)
    reply = await server.next_reply("openai", recorded.json)
    if request.transport is None or request.transport.is_closing():
        # The client gave up while the server was held (a timeout test);
        # nobody is left to answer, and writing would only log an error.
        return web.Response(status=499)
    if reply.status != 200:
        return web.json_response(
            reply.error_body or openai_error_body(reply.status), status=reply.status
        )
    body = recorded.json or {}
    if not body.get("stream"):
        # Confidant always streams; a plain request is a bug worth seeing.
        return web.json_response(
            {
                "error": {
                    "message": "The test server only streams.",
                    "type": "invalid_request_error",
                    "param": "stream",
                    "code": None,
                }
            },
            status=400,
        )
    return await server.stream(
        request, reply, responses_frames(reply, body), "text/event-stream"
    )


ROUTES = [("POST", "/v1/responses", handle_responses)]
