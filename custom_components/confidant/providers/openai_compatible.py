"""Chat Completions, as spoken by local servers and OpenAI-compatible clouds.

llama.cpp, vLLM, LM Studio, LocalAI, Ollama's /v1 and OpenRouter all speak
this protocol, each with its own quirks. The official openai SDK parses the
bytes; this module assembles tool calls from whatever order and shape of
deltas a server sends, and tolerates:

- tool-call arguments as JSON string fragments or as a whole object,
- missing or repeated tool-call ids and indexes,
- empty deltas, `choices: []` usage chunks and usage on every chunk,
- reasoning text in `reasoning_content` or `reasoning`,
- a trailing chunk after the one with `finish_reason`, a missing `[DONE]`,
- tool-call markup leaking into the text (llama.cpp).

Caches: a request asks for usage at the end of the stream (`stream_options`);
once a server shows it is llama.cpp (its `timings`), requests also say
`cache_prompt` and keep each conversation on a slot of its own (`id_slot`,
least recently used first, out of the slots its `/props` reports), so a
follow-up re-evaluates only what is new. The usage and the server's timings
(tokens read from its cache, time on the prompt) are reported as a
`UsageDelta`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx
import openai

from . import (
    AssistantMessage,
    Delta,
    MalformedResponseError,
    Message,
    ProviderRequest,
    ReasoningDelta,
    StreamInterruptedError,
    SystemMessage,
    TextDelta,
    ToolCallDelta,
    ToolResultMessage,
    Usage,
    UsageDelta,
    UserMessage,
)
from .capabilities import (
    UNKNOWN,
    ModelCapabilities,
    from_llamacpp_props,
    from_openai_models,
    merge,
)
from .kinds import SDK_RETRIES, LocalProvider
from .llamacpp_slots import SlotKeeper
from .openai_errors import map_openai_error
from .tool_call_assembler import ToolCallAssembler
from .wire_parts import data_url, function_tool, result_text

# Local servers accept any key, but the SDK insists on one.
_PLACEHOLDER_KEY = "no-key"
# Asking what a model can do is quick; a person may be waiting in a flow.
_PROBE_TIMEOUT = 10.0


def _message(message: Message) -> dict[str, Any]:
    match message:
        case SystemMessage(text=text):
            return {"role": "system", "content": text}
        case UserMessage(text=text, images=()):
            return {"role": "user", "content": text}
        case UserMessage(text=text, images=images):
            parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
            parts.extend(
                {
                    "type": "image_url",
                    "image_url": {"url": data_url(image)},
                }
                for image in images
            )
            return {"role": "user", "content": parts}
        case AssistantMessage(text=text, tool_calls=tool_calls):
            result: dict[str, Any] = {"role": "assistant", "content": text or None}
            if tool_calls:
                result["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": json.dumps(call.arguments),
                        },
                    }
                    for call in tool_calls
                ]
            return result
        case ToolResultMessage(call_id=call_id, result=content):
            return {
                "role": "tool",
                "tool_call_id": call_id,
                "content": result_text(content),
            }


def build_chat_completions_body(request: ProviderRequest) -> dict[str, Any]:
    """Return the JSON body of a streamed Chat Completions request."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_message(message) for message in request.messages],
        "max_tokens": request.max_tokens,
        "stream": True,
    }
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.tools:
        body["tools"] = [function_tool(spec) for spec in request.tools]
    # Usage comes in a last chunk only when asked for.
    body["stream_options"] = {"include_usage": True}
    return body


def _usage(usage: Any, timings: Any) -> Usage | None:
    """The usage of a request, from the usage chunk and llama.cpp's timings."""
    if usage is None and not isinstance(timings, dict):
        return None
    prompt = getattr(usage, "prompt_tokens", None) or 0
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or 0
    prompt_ms: float | None = None
    if isinstance(timings, dict):
        cache_n, prompt_n = timings.get("cache_n"), timings.get("prompt_n")
        if isinstance(cache_n, int):
            cached = cache_n
        if not prompt and isinstance(cache_n, int) and isinstance(prompt_n, int):
            prompt = cache_n + prompt_n
        if isinstance(ms := timings.get("prompt_ms"), int | float):
            prompt_ms = float(ms)
    return Usage(
        input_tokens=prompt,
        cached_input_tokens=cached,
        output_tokens=getattr(usage, "completion_tokens", None) or 0,
        prompt_ms=prompt_ms,
    )


def _extra(model: Any, *names: str) -> Any:
    """Read a field the SDK does not know, kept by pydantic as an extra."""
    extra = getattr(model, "model_extra", None) or {}
    for name in names:
        if (value := extra.get(name)) is not None:
            return value
    return None


class OpenAICompatibleProvider(LocalProvider):
    """A provider for any server speaking OpenAI's Chat Completions."""

    def __init__(
        self, http_client: httpx.AsyncClient, base_url: str, api_key: str | None
    ) -> None:
        """Create the SDK client; does blocking I/O, so run it in an executor."""
        # The prompt speed is measured on llama.cpp's `timings`.
        super().__init__(base_url)
        self._http = http_client
        self._api_key = api_key
        self._client = openai.AsyncOpenAI(
            api_key=api_key or _PLACEHOLDER_KEY,
            base_url=base_url,
            # openai 3 types its client as httpx2 but accepts Home Assistant's
            # shared httpx client at run time, as core's integrations use it.
            http_client=cast("Any", http_client),
            max_retries=SDK_RETRIES,
        )
        # The SDK reads platform details from disk on first use; do it now,
        # while still in the executor.
        self._client.platform_headers()
        # Set once a response carries llama.cpp's timings.
        self._llama_cpp = False
        self.slots = SlotKeeper()

    async def _async_read_slots(self) -> None:
        """Ask a llama.cpp server how many slots it has (once)."""
        root = self._base_url.rstrip("/").removesuffix("/v1")
        try:
            response = await self._http.get(f"{root}/props", timeout=5.0)
            total = response.json().get("total_slots")
        except Exception:  # noqa: BLE001 - without slots, none is asked for
            total = None
        self.slots.total = total if isinstance(total, int) and total > 0 else 0

    async def _async_list_models(self) -> list[str]:
        """Return the ids the server lists under /models."""
        try:
            page = await self._client.with_options(timeout=10.0).models.list()
            return sorted({model.id async for model in page if model.id})
        except Exception as err:
            raise map_openai_error(err) from err

    async def async_model_capabilities(self, model: str) -> ModelCapabilities:
        """Ask llama.cpp's /props (local servers), then /v1/models' metadata."""
        base = self._base_url.rstrip("/")
        found = UNKNOWN
        if self.is_local:
            # llama.cpp serves /props beside /v1, not under it.
            found = from_llamacpp_props(
                await self._get_json(f"{base.removesuffix('/v1')}/props")
            )
        if None in (found.tools, found.vision, found.context_tokens):
            found = merge(
                found, from_openai_models(await self._get_json(f"{base}/models"), model)
            )
        return found

    async def _get_json(self, url: str) -> Any:
        """A JSON document from the server, or None for any failure."""
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            response = await self._http.get(
                url, headers=headers, timeout=_PROBE_TIMEOUT
            )
            if response.status_code != httpx.codes.OK:
                return None
            return response.json()
        except httpx.HTTPError, ValueError:
            return None

    def _observe(self, chunk: Any, usage: Usage | None) -> Usage | None:
        """The usage so far, with a chunk's; llama.cpp's timings are measured."""
        timings = _extra(chunk, "timings")
        if chunk.usage is not None or timings is not None:
            usage = _usage(chunk.usage, timings) or usage
            self._llama_cpp = self._llama_cpp or isinstance(timings, dict)
        if isinstance(timings, dict):
            self.prompt_speed.observe(
                timings.get("prompt_n"),
                (timings.get("prompt_ms") or 0) / 1000,
            )
        return usage

    async def _async_stream(self, request: ProviderRequest) -> AsyncIterator[Delta]:
        """Stream the answer to a Chat Completions request."""
        body = build_chat_completions_body(request)
        if self._llama_cpp:
            extra: dict[str, Any] = {"cache_prompt": True}
            if (slot := self.slots.slot(request.user)) is not None:
                extra["id_slot"] = slot
            body["extra_body"] = extra
        client = self._client.with_options(timeout=request.timeout)
        started = False
        usage: Usage | None = None
        try:
            stream = await client.chat.completions.create(**body)
            started = True
            tool_calls = ToolCallAssembler()
            # Closing the response when the reader stops early (a runaway
            # answer) tells the server to stop generating.
            choices = 0
            finished = False
            async with stream:
                async for chunk in stream:
                    usage = self._observe(chunk, usage)
                    for choice in chunk.choices or ():
                        choices += 1
                        finished = finished or bool(choice.finish_reason)
                        for delta in _choice_deltas(choice, tool_calls):
                            yield delta
            if not choices:
                # A 200 whose body held no choice: an HTML page, plain text,
                # nothing at all. Never an answer, so never a silent one.
                raise MalformedResponseError("no events in the answer")  # noqa: TRY301
            if not finished:
                # The body ended cleanly, but the answer had not: a server or
                # proxy gave up mid-answer. Half a sentence is not spoken.
                raise StreamInterruptedError("stream ended before finish_reason")  # noqa: TRY301
            for call in tool_calls.complete():
                yield ToolCallDelta(call)
        except Exception as err:
            raise map_openai_error(err, streaming=started) from err
        if usage is not None:
            yield UsageDelta(usage)
        if self._llama_cpp and self.slots.total is None:
            await self._async_read_slots()


def _choice_deltas(choice: Any, tool_calls: ToolCallAssembler) -> Iterator[Delta]:
    """The words and reasoning of one streamed choice; tool calls are gathered."""
    delta = choice.delta
    if delta is None:
        return
    if reasoning := _extra(delta, "reasoning_content", "reasoning"):
        yield ReasoningDelta(str(reasoning))
    if delta.content:
        yield TextDelta(delta.content)
    for fragment in delta.tool_calls or ():
        function = fragment.function
        tool_calls.add(
            fragment.index,
            fragment.id,
            function.name if function else None,
            function.arguments if function else None,
        )
