"""Ollama's native API (`/api/chat`, `/api/tags`), spoken over aiohttp.

The answer is NDJSON: one JSON object a line, `done: true` on the last. This
module tolerates:

- tool calls without ids (the native API long sent none): one is made up,
- tool-call arguments as an object, a JSON string or double-encoded JSON,
- an `{"error": ...}` line in the middle of an HTTP-200 stream,
- a line split across network reads, blank lines and CRLF endings,
- a stream that ends without `done` (a crashed runner, a dropped link).

ollama_errors.py maps the failures, keeping no word of Ollama's messages
unless made safe.

Home Assistant core's Ollama integration uses the official `ollama` library,
on an httpx client of its own. Confidant speaks the small native API directly
on Home Assistant's shared aiohttp session instead: measured side by side on
the loopback server (bench/ollama_client.py), the library took about twice as
long a turn (3.3 ms against 1.7 ms; first delta 0.6 ms against 0.4 ms), spent
13 ms of blocking work building its client, and failed three of the answers
above (blank lines, arguments as a JSON string, a stream without `done`,
which it ended as if complete).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from http import HTTPStatus
from typing import Any

import aiohttp

from . import (
    AssistantMessage,
    Delta,
    MalformedResponseError,
    Message,
    NotTheAPIError,
    ProviderError,
    ProviderRequest,
    ReasoningDelta,
    ServerError,
    StreamInterruptedError,
    SystemMessage,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolResultMessage,
    Usage,
    UsageDelta,
    UserMessage,
)
from .capabilities import UNKNOWN, ModelCapabilities, from_ollama_show
from .kinds import LocalProvider
from .ollama_errors import map_client_error, status_error
from .server_message import safe_server_message
from .tool_arguments import parse_tool_arguments
from .wire_parts import (
    base64_text,
    function_tool,
    new_call_id,
    result_text,
)

# Listing models is quick even on a busy server; a person is waiting in the
# config flow.
_LIST_TIMEOUT = 10.0
# A server that does not accept the connection in this time is not there.
_CONNECT_TIMEOUT = 10.0

# Request option keys (see const.py's CONF_KEEP_ALIVE, CONF_NUM_CTX,
# CONF_THINK; not imported, so providers stay free of Home Assistant).
_KEEP_ALIVE = "keep_alive"
_NUM_CTX = "num_ctx"
_THINK = "think"


def _message(message: Message) -> dict[str, Any]:
    match message:
        case SystemMessage(text=text):
            return {"role": "system", "content": text}
        case UserMessage(text=text, images=images):
            result: dict[str, Any] = {"role": "user", "content": text}
            if images:
                # Ollama takes raw base64, without a data: URL or MIME type.
                result["images"] = [base64_text(image) for image in images]
            return result
        case AssistantMessage(text=text, tool_calls=tool_calls):
            result = {"role": "assistant", "content": text}
            if tool_calls:
                # Arguments go back as the object the model sent, not as text.
                result["tool_calls"] = [
                    {"function": {"name": call.name, "arguments": call.arguments}}
                    for call in tool_calls
                ]
            return result
        case ToolResultMessage(name=name, result=content):
            # Ollama has no call ids to match results to calls; the tool's
            # name is what its chat templates render.
            return {
                "role": "tool",
                "content": result_text(content),
                "tool_name": name,
            }


def build_chat_body(request: ProviderRequest) -> dict[str, Any]:
    """Return the JSON body of a streamed `/api/chat` request."""
    options: dict[str, Any] = {"num_predict": request.max_tokens}
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if (num_ctx := request.options.get(_NUM_CTX)) is not None:
        options["num_ctx"] = int(num_ctx)
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_message(message) for message in request.messages],
        "stream": True,
        "options": options,
    }
    if request.tools:
        # Omitted when empty: Ollama checks tool support whenever tools are sent.
        body["tools"] = [function_tool(spec) for spec in request.tools]
    if (keep_alive := request.options.get(_KEEP_ALIVE)) is not None:
        # Seconds as a number; -1 (any negative number) keeps the model loaded
        # forever. A string would be read as a Go duration, where "-1" fails.
        body["keep_alive"] = int(keep_alive)
    if (think := request.options.get(_THINK)) is not None:
        # Sent only when configured: thinking models think unless told not
        # to, and `think: true` is refused by models that cannot think.
        body["think"] = bool(think)
    return body


def _tool_call(raw: Any) -> ToolCall | None:
    """Return the tool call of one `message.tool_calls` entry, if it has a name."""
    if not isinstance(raw, Mapping):
        return None
    function = raw.get("function")
    if not isinstance(function, Mapping):
        return None
    name = function.get("name")
    if not isinstance(name, str) or not name:
        return None
    call_id = raw.get("id")
    if not isinstance(call_id, str) or not call_id:
        call_id = new_call_id()
    arguments, problem = parse_tool_arguments(function.get("arguments"))
    return ToolCall(call_id, name, arguments, problem)


def _deltas(message: Mapping[str, Any]) -> list[Delta]:
    """Return the deltas one streamed `message` carries, in reading order."""
    deltas: list[Delta] = []
    if isinstance(thinking := message.get("thinking"), str) and thinking:
        deltas.append(ReasoningDelta(thinking))
    if isinstance(content := message.get("content"), str) and content:
        deltas.append(TextDelta(content))
    deltas.extend(
        ToolCallDelta(call)
        for raw in message.get("tool_calls") or ()
        if (call := _tool_call(raw)) is not None
    )
    return deltas


def _usage(chunk: Mapping[str, Any]) -> Usage | None:
    """The usage of the last chunk.

    Ollama counts in `prompt_eval_count` the prompt tokens it evaluated;
    it does not say how many its KV cache spared it, so none are reported
    as cached.
    """
    evaluated = chunk.get("prompt_eval_count")
    if not isinstance(evaluated, int):
        return None
    duration = chunk.get("prompt_eval_duration")
    output = chunk.get("eval_count")
    return Usage(
        input_tokens=evaluated,
        output_tokens=output if isinstance(output, int) else 0,
        prompt_ms=duration / 1e6 if isinstance(duration, int) else None,
    )


async def _lines(content: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """Yield the non-blank lines of an NDJSON body.

    Lines are split here rather than with the reader's readline, which fails
    on lines longer than its buffer (a large tool call can be one line).
    """
    pending = b""
    async for data in content.iter_any():
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line := line.strip():
                yield line
    if pending := pending.strip():
        yield pending


def _parse_line(line: bytes, *, first: bool) -> Mapping[str, Any]:
    """Parse one line; a bad first line means the body is no NDJSON answer."""
    # Invalid UTF-8 in a word is replaced, as the SSE clients do, not fatal.
    error = MalformedResponseError if first else StreamInterruptedError
    try:
        chunk = json.loads(line.decode("utf-8", "replace"))
    except ValueError as err:
        raise error("malformed line in stream") from err
    if not isinstance(chunk, Mapping):
        raise error("malformed line in stream")
    return chunk


class OllamaProvider(LocalProvider):
    """A provider for an Ollama server, local or behind a reverse proxy."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, api_key: str | None = None
    ) -> None:
        """Keep the shared session; nothing blocking happens here."""
        # The prompt speed is measured on the last line's prompt_eval_*.
        super().__init__(base_url.rstrip("/"))
        self._session = session
        self._headers: dict[str, str] = {}
        if api_key:
            # Ollama itself has no keys; reverse proxies and ollama.com do.
            self._headers["Authorization"] = f"Bearer {api_key}"

    async def _async_list_models(self) -> list[str]:
        """Return the names of the models pulled on the server."""
        try:
            async with self._session.get(
                f"{self._base_url}/api/tags",
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=_LIST_TIMEOUT),
            ) as response:
                if response.status != HTTPStatus.OK:
                    raise await status_error(response, names_model=False)
                body = await response.json(content_type=None)
        except ProviderError:
            raise
        except ValueError as err:
            # Something answered, but not Ollama (a login page, a proxy).
            raise NotTheAPIError("not an Ollama API") from err
        except (TimeoutError, aiohttp.ClientError) as err:
            raise map_client_error(err, started=False) from err
        models = body.get("models") if isinstance(body, Mapping) else None
        if not isinstance(models, list):
            raise NotTheAPIError("not an Ollama API")
        names = {
            name
            for model in models
            if isinstance(model, Mapping)
            and isinstance(name := model.get("name") or model.get("model"), str)
            and name
        }
        return sorted(names)

    async def async_model_capabilities(self, model: str) -> ModelCapabilities:
        """Ask `/api/show` what the model can do; UNKNOWN when it cannot say."""
        try:
            async with self._session.post(
                f"{self._base_url}/api/show",
                json={"model": model},
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=_LIST_TIMEOUT),
            ) as response:
                if response.status != HTTPStatus.OK:
                    return UNKNOWN
                return from_ollama_show(await response.json(content_type=None))
        except TimeoutError, aiohttp.ClientError, ValueError:
            return UNKNOWN

    async def _async_stream(self, request: ProviderRequest) -> AsyncIterator[Delta]:
        """Stream the answer to an `/api/chat` request."""
        # No total limit, so a long answer is never cut; a server silent for
        # the request's timeout (loading, hung, gone) is given up on.
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=min(request.timeout, _CONNECT_TIMEOUT),
            sock_read=request.timeout,
        )
        started = False
        try:
            async with self._session.post(
                f"{self._base_url}/api/chat",
                json=build_chat_body(request),
                headers=self._headers,
                timeout=timeout,
            ) as response:
                if response.status != HTTPStatus.OK:
                    raise await status_error(response)
                started = True
                first = True
                async for line in _lines(response.content):
                    chunk = _parse_line(line, first=first)
                    first = False
                    if error := chunk.get("error"):
                        # Headers were sent before the runner failed, so the
                        # error arrives as a line of an HTTP-200 stream.
                        raise ServerError("error in stream", safe_server_message(error))
                    if isinstance(message := chunk.get("message"), Mapping):
                        for delta in _deltas(message):
                            yield delta
                    if chunk.get("done") is True:
                        self.prompt_speed.observe(
                            chunk.get("prompt_eval_count"),
                            (chunk.get("prompt_eval_duration") or 0) / 1e9,
                        )
                        if (usage := _usage(chunk)) is not None:
                            yield UsageDelta(usage)
                        return
            if first:
                # An empty 200: not an answer that was cut, no answer at all.
                raise MalformedResponseError("empty answer body")
            raise StreamInterruptedError("stream ended before done")
        except ProviderError:
            raise
        except (TimeoutError, aiohttp.ClientError) as err:
            raise map_client_error(err, started=started) from err
