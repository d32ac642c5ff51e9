"""The development instance's stand-in brain: a few rules behind Chat Completions.

When no real local model can run (no llama-server, no model file),
scripts/develop serves this on 127.0.0.1 so Confidant still has an
OpenAI-compatible server to talk to and the Assist dialog answers. It is not a
language model and says so: it recognises greetings, "turn on/off X" and "set
X to N percent" (answered with the Assist tool the request offers), and
answers anything else with a sentence that points to a real provider.

It speaks the same wire protocol as llama.cpp's server: `GET /v1/models`,
`POST /v1/chat/completions` streamed as server-sent events (or one JSON body
when `stream` is false), `GET /health`.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from aiohttp import web

MODEL = "dev-brain"

GREETING = (
    "Hello! I'm Confidant's development brain: a few rules on this computer,"
    " not a language model. Simple commands work; for a real conversation,"
    " point Confidant at a model server."
)
NOT_UNDERSTOOD = (
    "I'm the rule-based stand-in for a model, so I only understand simple"
    " commands, like turning a light on. To talk freely, point Confidant at a"
    " real model server: the README's Develop section says how."
)
DONE = "Done."
FAILED = "That didn't work: {error}"

_GREETING = re.compile(
    r"^\s*(hello|hi|hey|good (morning|afternoon|evening))\b", re.IGNORECASE
)
_TURN = re.compile(
    r"^\s*(please\s+)?(turn|switch)\s+(?P<state>on|off)\s+(the\s+)?(?P<name>.+?)[.!?]*\s*$",
    re.IGNORECASE,
)
_TURN_AFTER = re.compile(
    r"^\s*(please\s+)?(turn|switch)\s+(the\s+)?(?P<name>.+?)\s+(?P<state>on|off)[.!?]*\s*$",
    re.IGNORECASE,
)
_SET = re.compile(
    r"^\s*(please\s+)?(set|dim|brighten)\s+(the\s+)?(?P<name>.+?)\s+to\s+"
    r"(?P<percent>\d{1,3})\s*(%|percent)[.!?]*\s*$",
    re.IGNORECASE,
)


def _tool(tools: list[dict[str, Any]], intent: str) -> str | None:
    """The name of the offered tool for an Assist intent (it may be prefixed)."""
    for tool in tools:
        name = str(tool.get("function", {}).get("name", ""))
        if name == intent or name.endswith(f"__{intent}"):
            return name
    return None


def _text(content: Any) -> str:
    """A message's text, whether a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        )
    return ""


def decide(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The answer to a request: (text, tool calls as name and arguments)."""
    messages = body.get("messages") or []
    tools = body.get("tools") or []
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        try:
            result = json.loads(_text(last.get("content")))
        except ValueError:
            result = {}
        if isinstance(result, dict) and result.get("error"):
            return FAILED.format(error=result.get("error")), []
        return DONE, []
    said = _text(last.get("content"))
    if match := _TURN.match(said) or _TURN_AFTER.match(said):
        intent = "HassTurnOn" if match["state"].lower() == "on" else "HassTurnOff"
        if tool := _tool(tools, intent):
            return "", [{"name": tool, "arguments": {"name": match["name"]}}]
    if (match := _SET.match(said)) and (tool := _tool(tools, "HassLightSet")):
        arguments = {"name": match["name"], "brightness": int(match["percent"])}
        return "", [{"name": tool, "arguments": arguments}]
    if _GREETING.match(said):
        return GREETING, []
    return NOT_UNDERSTOOD, []


def _chunks(text: str, calls: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The answer as Chat Completions chunks, word by word, as llama.cpp sends."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": None})
    words = text.split(" ") if text else []
    for index, word in enumerate(words):
        yield chunk({"content": word if index == 0 else " " + word})
    for index, call in enumerate(calls):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": f"call_{uuid.uuid4().hex[:12]}",
                        "type": "function",
                        "function": {
                            "name": call["name"],
                            "arguments": json.dumps(call["arguments"]),
                        },
                    }
                ]
            }
        )
    yield chunk({}, "tool_calls" if calls else "stop")


async def _models(_request: web.Request) -> web.Response:
    return web.json_response(
        {
            "object": "list",
            "data": [{"id": MODEL, "object": "model", "owned_by": "dev"}],
        }
    )


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _chat(request: web.Request) -> web.StreamResponse:
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"error": {"message": "not JSON"}}, status=400)
    text, calls = decide(body)
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{index}",
                    "type": "function",
                    "function": {
                        "name": call["name"],
                        "arguments": json.dumps(call["arguments"]),
                    },
                }
                for index, call in enumerate(calls)
            ]
        return web.json_response(
            {
                "id": "chatcmpl-dev",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
            }
        )
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    for chunk in _chunks(text, calls):
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


def application() -> web.Application:
    """The brain's HTTP application."""
    app = web.Application()
    app.router.add_get("/health", _health)
    app.router.add_get("/v1/models", _models)
    app.router.add_post("/v1/chat/completions", _chat)
    return app


async def async_start(host: str, port: int) -> web.AppRunner:
    """Serve the brain on host:port until the returned runner is cleaned up."""
    runner = web.AppRunner(application(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
