"""A loopback LLM server speaking the providers' real wire protocols.

Tests declare a script of replies; the server plays them in order, whatever
protocol the request arrived on, and records every request it received (raw
bytes and parsed JSON) so tests can assert on what left Home Assistant.

Each protocol lives in its own module under tests/protocols/, modelled event
for event on the published API reference and on the captures in
../shared/wire-samples:
- chat_completions: `POST /v1/chat/completions` (SSE or plain JSON)
- responses: OpenAI `POST /v1/responses` (SSE)
- anthropic: `POST /v1/messages` (SSE)
- ollama: `POST /api/chat` (NDJSON), `GET /api/tags`
`GET /v1/models` answers in OpenAI's or Anthropic's shape, by request headers.

For fault injection, a `RawReply` plays whatever a broken or hostile server
sends instead (any bytes, a silent or trickling server, a reset at any stage),
and a `Reply` can have its protocol frames rewritten before they are sent.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .prompt_prefix import PromptCache, PromptUsage


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
    # The server stops before the last frame until this event is set: a test
    # sets it once the answer's first words reached Home Assistant.
    pause_before_last: asyncio.Event | None = None
    # Called with each streamed frame's index once it has been written.
    on_frame: Callable[[int], None] | None = None
    # Seconds the model "thinks" before the first byte of a streamed answer:
    # a fixed simulated model latency (the benchmark's).
    latency: float = 0.0
    # Set by the server when the request arrives: the prompt's tokens and
    # how many of them its simulated prompt cache held (the usage reported).
    usage: PromptUsage | None = None
    # Rewrites the encoded frames before they are sent (drop the end marker,
    # corrupt a byte, null a message): protocol-exact faults.
    mangle: Callable[[list[bytes]], list[bytes]] | None = None
    # Seconds between single bytes of the frames: a trickling server.
    trickle: float | None = None
    # Send this many frames, then nothing more, keeping the connection open.
    stall_after: int | None = None
    # Stream the text in pieces of this many characters instead of by word
    # (a huge answer in a few frames).
    piece_size: int | None = None

    def words(self) -> list[str]:
        """Split the text into the pieces a model streams, spaces kept."""
        if not self.text:
            return []
        if self.piece_size:
            size = self.piece_size
            return [self.text[i : i + size] for i in range(0, len(self.text), size)]
        pieces = self.text.split(" ")
        return [pieces[0]] + [" " + piece for piece in pieces[1:]]


@dataclass
class RawReply:
    """What a broken or hostile server sends, byte for byte, on any route.

    By default the headers and `body` are sent and the body is ended. The
    knobs change how: `reset` drops the connection ("request": before any
    byte, "headers": right after the headers, "body": after the body, without
    ending it), `silent` never sends a byte, `trickle` sends the body one byte
    at a time with that many seconds between bytes, `every` sends the body
    again and again, that many seconds apart (keep-alive pings), without end.
    """

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)
    reset: str | None = None
    silent: bool = False
    trickle: float | None = None
    every: float | None = None
    # After the body, keep the connection open without ending the answer.
    hang: bool = False


@dataclass
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    # When the body had arrived (time.perf_counter), for the benchmark.
    received_at: float = field(default_factory=time.perf_counter)

    @property
    def json(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body) if self.body else None


PROTOCOL_MODULES = ("chat_completions", "responses", "anthropic", "ollama")

type Handler = Callable[["LLMServer", web.Request], Awaitable[web.StreamResponse]]


def _bind(
    server: LLMServer, handler: Handler
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def bound(request: web.Request) -> web.StreamResponse:
        if request.method == "POST" and server.raw_replies:
            return await server.respond_raw(request)
        if request.method == "GET" and server.list_faults:
            return await server.respond_raw(request, server.list_faults)
        return await handler(server, request)

    return bound


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
        # Recorded bytes (wire samples) played verbatim, before any Reply.
        self.raw_replies: deque[tuple[int, str, bytes] | RawReply] = deque()
        # Faults answered to the next GETs (the model list) instead.
        self.list_faults: deque[RawReply] = deque()
        self._stopping = asyncio.Event()
        # What the server says of its model: llama.cpp's GET /props and
        # Ollama's POST /api/show answer these documents (404 when None).
        self.props: dict[str, Any] | None = None
        self.show: dict[str, Any] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        # A simulated prompt cache: usage says how much of a prompt it held.
        self.prompt_cache = PromptCache()
        # The usage reported for each model request, in order.
        self.reported: list[PromptUsage] = []
        # Answer as llama.cpp does: `timings` in the last chunk, slots in /props.
        self.llama_cpp = False
        self.total_slots = 4

    @property
    def url(self) -> str:
        """The base URL of the OpenAI-compatible API."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        """Queue replies, played one per model request."""
        self.replies.extend(replies)

    def script_raw(
        self, body: bytes, content_type: str = "text/event-stream", status: int = 200
    ) -> None:
        """Queue recorded bytes, answered verbatim to the next POST on any route."""
        self.raw_replies.append((status, content_type, body))

    def script_fault(self, *faults: RawReply) -> None:
        """Queue faults, answered to the next POSTs on any route."""
        self.raw_replies.extend(faults)

    def _gone(self, request: web.Request) -> bool:
        """Whether the client hung up or the server is stopping."""
        return (
            self._stopping.is_set()
            or request.transport is None
            or request.transport.is_closing()
        )

    async def _idle(self, request: web.Request, seconds: float | None) -> bool:
        """Wait `seconds` (None: until the client leaves); False once it left.

        Polls the transport: aiohttp does not cancel a handler whose client
        went away, and a waiting handler would hold up the server's cleanup.
        """
        loop = asyncio.get_running_loop()
        until = None if seconds is None else loop.time() + seconds
        while not self._gone(request):
            if until is not None and loop.time() >= until:
                return True
            await asyncio.sleep(0.01)
        return False

    async def _trickle(
        self,
        request: web.Request,
        response: web.StreamResponse,
        data: bytes,
        delay: float,
    ) -> bool:
        """Write one byte every `delay` seconds; False once the client left."""
        for index in range(len(data)):
            if not await self._idle(request, delay):
                return False
            await response.write(data[index : index + 1])
        return True

    async def respond_raw(  # noqa: PLR0911, PLR0912 - one case per fault
        self,
        request: web.Request,
        queue: deque[tuple[int, str, bytes] | RawReply] | deque[RawReply] | None = None,
    ) -> web.StreamResponse:
        """Answer with the next recorded bytes or fault."""
        await self.record(request)
        raw = (self.raw_replies if queue is None else queue).popleft()
        if isinstance(raw, tuple):
            status, content_type, body = raw
            raw = RawReply(body=body, status=status, content_type=content_type)
        response = web.StreamResponse(status=raw.status, headers=raw.headers)
        if raw.content_type is not None:
            response.headers["Content-Type"] = raw.content_type
        assert request.transport is not None
        if raw.reset == "request":
            request.transport.abort()
            return response
        if raw.silent:
            await self._idle(request, None)
            return response
        await response.prepare(request)
        if raw.reset == "headers":
            request.transport.abort()
            return response
        try:
            if raw.trickle is not None:
                if not await self._trickle(request, response, raw.body, raw.trickle):
                    return response
            elif raw.every is not None:
                while await self._idle(request, raw.every):
                    await response.write(raw.body)
                return response
            elif raw.body:
                await response.write(raw.body)
        except ConnectionError:
            # The client gave up, as it should: nothing to report.
            return response
        if raw.reset == "body":
            request.transport.abort()
            return response
        if raw.hang:
            await self._idle(request, None)
            return response
        await response.write_eof()
        return response

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests to one path."""
        return [request for request in self.requests if request.path == path]

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        app = web.Application()
        for module_name in PROTOCOL_MODULES:
            try:
                module = importlib.import_module(f"tests.protocols.{module_name}")
            except ModuleNotFoundError:
                continue
            for method, path, handler in module.ROUTES:
                app.router.add_route(method, path, _bind(self, handler))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def record(self, request: web.Request) -> RecordedRequest:
        recorded = RecordedRequest(
            request.method, request.path, dict(request.headers), await request.read()
        )
        self.requests.append(recorded)
        return recorded

    def authorized(self, request: web.Request) -> bool:
        """Whether the request carries the required key (Bearer or x-api-key)."""
        if self.required_key is None:
            return True
        return self.required_key in (
            request.headers.get("Authorization", "").removeprefix("Bearer "),
            request.headers.get("x-api-key"),
        )

    async def next_reply(self, kind: str | None = None, body: Any = None) -> Reply:
        if not self.replies:
            raise AssertionError(
                "The LLM server received a request the test did not script"
            )
        reply = self.replies.popleft()
        if kind is not None and isinstance(body, dict) and reply.status == 200:
            reply.usage = self.prompt_cache.account(kind, body)
            self.reported.append(reply.usage)
        if reply.hold is not None:
            await reply.hold.wait()
        return reply

    async def stream(
        self, request: web.Request, reply: Reply, frames: list[bytes], content_type: str
    ) -> web.StreamResponse:
        if reply.latency:
            await asyncio.sleep(reply.latency)
            if self._gone(request):
                # The client gave up waiting (a deadline test).
                return web.Response(status=499)
        response = web.StreamResponse(
            headers={"Content-Type": content_type, "Cache-Control": "no-cache"}
        )
        if reply.mangle is not None:
            frames = reply.mangle(frames)
        await response.prepare(request)
        try:
            for index, frame in enumerate(frames):
                if reply.cut_after is not None and index >= reply.cut_after:
                    # Drop the connection without ending the chunked body:
                    # what a crashed server or a dropped Wi-Fi link looks like.
                    assert request.transport is not None
                    request.transport.abort()
                    return response
                if reply.stall_after is not None and index >= reply.stall_after:
                    await self._idle(request, None)
                    return response
                if reply.pause_before_last is not None and index == len(frames) - 1:
                    await reply.pause_before_last.wait()
                if reply.trickle is not None:
                    if not await self._trickle(request, response, frame, reply.trickle):
                        return response
                else:
                    await response.write(frame)
                if reply.on_frame is not None:
                    reply.on_frame(index)
            await response.write_eof()
        except ConnectionError:
            # The client gave up (a deadline): nothing to report.
            pass
        return response
