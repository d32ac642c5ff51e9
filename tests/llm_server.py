"""A loopback LLM server speaking the providers' real wire protocols.

Tests declare a script of replies; the server plays them in order, whatever
protocol the request arrived on, and records every request it received (raw
bytes and parsed JSON) so tests can assert on what left Home Assistant.

Protocols (one renderer each, modelled event for event on the published API
references and on the captures in ../shared/wire-samples):
- Chat Completions (`POST /v1/chat/completions`), SSE or plain JSON.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class ToolCallStep:
    """A tool call the scripted model makes.

    `arguments` is sent as JSON text, unless it is already a string (to send
    malformed JSON on purpose).
    """

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_text(self) -> str:
        """Return the arguments as the wire carries them."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass
class Reply:
    """One scripted answer of the model."""

    text: str = ""
    tool_calls: list[ToolCallStep] = field(default_factory=list)
    reasoning: str = ""
    # A non-200 status sends `error_body` (or a generic body) instead.
    status: int = 200
    error_body: dict[str, Any] | None = None
    # Close the connection after this many streamed events, mid-answer.
    cut_after: int | None = None
    # The server waits for this event before answering (a slow server).
    hold: asyncio.Event | None = None
    # Called with each streamed frame's index once it has been written.
    on_frame: Callable[[int], None] | None = None

    def words(self) -> list[str]:
        """Split the text into the pieces a model streams, spaces kept."""
        if not self.text:
            return []
        pieces = self.text.split(" ")
        return [pieces[0]] + [" " + piece for piece in pieces[1:]]


@dataclass
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body) if self.body else None


def _chat_completions_frames(reply: Reply, model: str) -> Iterator[dict[str, Any]]:
    """Chat Completions chunks, as OpenAI streams them."""
    base = {
        "id": "chatcmpl-confidant-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_test",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

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
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": text[start : start + 7]}}]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")


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


def _openai_error_body(status: int) -> dict[str, Any]:
    messages = {
        401: ("Incorrect API key provided: sk-test***. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"),
        404: ("The model `missing` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"),
        429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    }
    message, kind, code = messages.get(status, ("The server had an error while processing your request.", "server_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class LLMServer:
    """The scripted server; use as an async context manager or start/stop."""

    def __init__(self) -> None:
        """Create an idle server with no script."""
        self.requests: list[RecordedRequest] = []
        self.replies: deque[Reply] = deque()
        self.models: list[str] = ["llama-3.2-3b-instruct", "qwen2.5-7b-instruct"]
        # Status returned by the model list, to test the connection step.
        self.models_status = 200
        self.required_key: str | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL of the OpenAI-compatible API."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        """Queue replies, played one per model request."""
        self.replies.extend(replies)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests to one path."""
        return [request for request in self.requests if request.path == path]

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # noqa: SLF001 - the only way to learn the port
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, request: web.Request) -> RecordedRequest:
        recorded = RecordedRequest(request.method, request.path, dict(request.headers), await request.read())
        self.requests.append(recorded)
        return recorded

    def _authorized(self, request: web.Request) -> bool:
        if self.required_key is None:
            return True
        return request.headers.get("Authorization") == f"Bearer {self.required_key}"

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return web.json_response(_openai_error_body(401), status=401)
        if self.models_status != 200:
            return web.json_response(_openai_error_body(self.models_status), status=self.models_status)
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": model, "object": "model", "created": 0, "owned_by": "test"} for model in self.models],
            }
        )

    async def _next_reply(self) -> Reply:
        if not self.replies:
            raise AssertionError("The LLM server received a request the test did not script")
        reply = self.replies.popleft()
        if reply.hold is not None:
            await reply.hold.wait()
        return reply

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        if not self._authorized(request):
            return web.json_response(_openai_error_body(401), status=401)
        reply = await self._next_reply()
        if reply.status != 200:
            return web.json_response(reply.error_body or _openai_error_body(reply.status), status=reply.status)
        body = recorded.json
        model = body.get("model", "")
        if not body.get("stream"):
            return web.json_response(_chat_completion_json(reply, model))
        frames = [f"data: {json.dumps(frame)}\n\n".encode() for frame in _chat_completions_frames(reply, model)]
        frames.append(b"data: [DONE]\n\n")
        return await self._stream(request, reply, frames, "text/event-stream")

    async def _stream(self, request: web.Request, reply: Reply, frames: list[bytes], content_type: str) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": content_type, "Cache-Control": "no-cache"})
        await response.prepare(request)
        for index, frame in enumerate(frames):
            if reply.cut_after is not None and index >= reply.cut_after:
                # Drop the connection without ending the chunked body: what a
                # crashed server or a dropped Wi-Fi link looks like.
                assert request.transport is not None
                request.transport.abort()
                return response
            await response.write(frame)
            if reply.on_frame is not None:
                reply.on_frame(index)
        await response.write_eof()
        return response
