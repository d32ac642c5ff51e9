"""Anthropic's Messages API, through the official anthropic SDK.

The SDK parses the server-sent events; this module builds the request and
turns the stream's content blocks into deltas. What it takes care of:

- The API wants user and assistant turns to alternate: consecutive messages
  of one role are merged, tool results become `tool_result` blocks of one
  user message, placed before any text as the API requires.
- Prompt caching: the static system prompt and the tool list each end with a
  `cache_control` breakpoint, and so does the remembered conversation before
  the person's last words, so every turn re-reads them from the cache.
  Usage (cache reads and writes included) is reported at the end.
- Tool input arrives as `input_json_delta` fragments per content block; a
  call is complete at its `content_block_stop`. A stream that stops at
  `max_tokens` inside a tool input leaves that call without arguments: it is
  reported with `invalid_arguments`, so the model can be told and try again.
- An `error` event inside an HTTP-200 stream (overloaded) is a server error.

Extended thinking (`options["thinking_budget"]` >= 1024): thinking deltas are
reasoning deltas. The API wants the signed thinking blocks of an assistant
message with tool calls back in the next request of the same tool loop, but
the provider-neutral history has no place for them. So the provider keeps
the thinking blocks of its recent answers in memory only (a small cache keyed
by the answer's first tool-call id; never logged, never stored) and puts them
back in front of that assistant message. When they are not known (another
provider, or a restart mid-loop) and the current tool loop began with tool
calls, thinking is turned off for that request instead of failing it.
"""

from __future__ import annotations

import base64
import json
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx
from anthropic import types as anthropic_types

from . import (
    AssistantMessage,
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    Delta,
    MalformedResponseError,
    Message,
    ModelNotFoundError,
    ProviderError,
    ProviderRequest,
    ProviderTimeoutError,
    RateLimitError,
    ReasoningDelta,
    ServerError,
    StreamInterruptedError,
    SystemMessage,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolResultMessage,
    ToolSpec,
    Usage,
    UsageDelta,
    UserMessage,
)
from .deadline import bounded_model_list
from .tool_arguments import parse_tool_arguments

# The smallest thinking budget the API accepts.
MIN_THINKING_BUDGET = 1024
# Answers whose thinking blocks are remembered for the next request.
_THINKING_CACHE_SIZE = 32
_CACHE_CONTROL = {"type": "ephemeral"}
# Tool-use ids must match ^[a-zA-Z0-9_-]+$; ids made by other providers may not.
_INVALID_ID_CHARACTERS = re.compile(r"[^a-zA-Z0-9_-]")
_ERROR_TYPE = re.compile(r"[a-z_]{1,64}")
_TRUNCATED = (
    "the answer reached max_tokens before the tool-call arguments were complete"
)


# --- errors -----------------------------------------------------------------


def _error_type(err: anthropic.APIStatusError) -> str | None:
    """The `error.type` of an error body (never its message)."""
    kind = getattr(err, "type", None)
    if not isinstance(kind, str) and isinstance(err.body, dict):
        error = err.body.get("error", err.body)
        kind = error.get("type") if isinstance(error, dict) else None
    # Only a short code: a proxy could put anything in this field.
    if isinstance(kind, str) and _ERROR_TYPE.fullmatch(kind):
        return kind
    return None


def _status_error(  # noqa: PLR0911, PLR0912 - a flat mapping of statuses
    err: anthropic.APIStatusError,
) -> ProviderError:
    kind = _error_type(err)
    status = err.status_code
    suffix = f" ({kind})" if kind else ""
    if 300 <= status < 400:  # noqa: PLR2004
        # A redirect (to a login page, say): the URL is not the API.
        return ConnectionFailedError(f"HTTP {status}")
    if status < 400:  # noqa: PLR2004
        # An `error` event inside a stream that began with HTTP 200.
        detail = "error event in stream" + suffix
        match kind:
            case "authentication_error" | "permission_error":
                return AuthenticationError(detail)
            case "not_found_error":
                return ModelNotFoundError(detail)
            case "rate_limit_error" | "billing_error":
                return RateLimitError(detail)
            case "invalid_request_error" | "request_too_large":
                return BadRequestError(detail)
            case "timeout_error":
                return ProviderTimeoutError(detail)
            case _:
                return ServerError(detail)
    detail = f"HTTP {status}{suffix}"
    if status in (401, 403):
        return AuthenticationError(detail)
    if status == 404:  # noqa: PLR2004
        return ModelNotFoundError(detail)
    if status in (402, 429) or kind == "billing_error":
        return RateLimitError(detail)
    if status == 504 or kind == "timeout_error":  # noqa: PLR2004
        return ProviderTimeoutError(detail)
    if status >= 500:  # noqa: PLR2004 - 529 is "overloaded"
        return ServerError(detail)
    return BadRequestError(detail)


def map_anthropic_error(  # noqa: PLR0911 - a flat mapping of exceptions
    err: Exception, *, streaming: bool = False
) -> ProviderError:
    """Return the provider error for an exception raised by the SDK or httpx.

    The detail is the HTTP status and the error type, never the message: it
    can echo conversation content or part of the API key.
    """
    if isinstance(err, ProviderError):
        return err
    if isinstance(err, (anthropic.APITimeoutError, httpx.TimeoutException)):
        return ProviderTimeoutError("no answer in time")
    if isinstance(err, anthropic.APIStatusError):
        return _status_error(err)
    if isinstance(err, anthropic.APIConnectionError):
        # Newer SDKs wrap a transport error mid-stream too: still a cut answer.
        if streaming:
            return StreamInterruptedError(type(err.__cause__ or err).__name__)
        return ConnectionFailedError(type(err.__cause__ or err).__name__)
    if isinstance(err, httpx.HTTPError):
        # An error of the transport after the answer began is a cut stream.
        if streaming:
            return StreamInterruptedError(type(err).__name__)
        return ConnectionFailedError(type(err).__name__)
    if isinstance(err, (ValueError, anthropic.APIResponseValidationError)):
        # Not JSON, not UTF-8, not the shape of an answer.
        return MalformedResponseError(type(err).__name__)
    if isinstance(err, anthropic.APIError):
        return ServerError(type(err).__name__)
    return ProviderError(type(err).__name__)


# --- request ----------------------------------------------------------------


def _tool_use_id(call_id: str) -> str:
    return _INVALID_ID_CHARACTERS.sub("_", call_id) or "toolu_missing"


def _tool(spec: ToolSpec) -> dict[str, Any]:
    schema = dict(spec.parameters) or {"type": "object", "properties": {}}
    schema.setdefault("type", "object")
    tool: dict[str, Any] = {"name": spec.name, "input_schema": schema}
    if spec.description:
        tool["description"] = spec.description
    return tool


def _user_content(message: UserMessage) -> list[dict[str, Any]]:
    # Images first, then the question: what Anthropic recommends.
    content: list[dict[str, Any]] = [
        {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": image.mime_type,
                "data": base64.b64encode(image.data).decode(),
            },
        }
        for image in message.images
    ]
    if message.text:
        content.append({"type": "text", "text": message.text})
    return content


def _assistant_content(
    message: AssistantMessage, thinking: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = list(thinking)
    if message.text:
        content.append({"type": "text", "text": message.text})
    content.extend(
        {
            "type": "tool_use",
            "id": _tool_use_id(call.id),
            "name": call.name,
            "input": call.arguments,
        }
        for call in message.tool_calls
    )
    return content


def _tool_result_content(message: ToolResultMessage) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": _tool_use_id(message.call_id),
        "content": json.dumps(message.result, default=str),
    }
    if message.is_error:
        block["is_error"] = True
    return block


def _block_order(role: str, block: dict[str, Any]) -> int:
    """Blocks that the API wants first in a message sort first."""
    if role == "user":
        return 0 if block.get("type") == "tool_result" else 1
    return 0 if block.get("type") in ("thinking", "redacted_thinking") else 1


def _append(
    messages: list[dict[str, Any]], role: str, content: list[dict[str, Any]]
) -> None:
    """Append a message, merged into the previous one when the role repeats."""
    if not content:
        return
    if messages and messages[-1]["role"] == role:
        merged = messages[-1]["content"] + content
        messages[-1]["content"] = sorted(
            merged, key=lambda block: _block_order(role, block)
        )
        return
    messages.append(
        {
            "role": role,
            "content": sorted(content, key=lambda block: _block_order(role, block)),
        }
    )


def _current_loop_start(messages: Sequence[Message]) -> AssistantMessage | None:
    """The first assistant message after the person's last message."""
    first: AssistantMessage | None = None
    for message in reversed(messages):
        if isinstance(message, UserMessage):
            break
        if isinstance(message, AssistantMessage):
            first = message
    return first


def _thinking_budget(request: ProviderRequest) -> int | None:
    budget = request.options.get("thinking_budget")
    if isinstance(budget, bool) or not isinstance(budget, (int, float)):
        return None
    if budget < MIN_THINKING_BUDGET:
        return None
    return int(budget)


def build_messages_body(
    request: ProviderRequest,
    thinking_blocks: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Return the keyword arguments of a streamed Messages request.

    `thinking_blocks` maps the first tool-call id of an earlier answer to the
    signed thinking blocks that came with it.
    """
    known = thinking_blocks or {}
    budget = _thinking_budget(request)
    if budget is not None:
        loop_start = _current_loop_start(request.messages)
        if (
            loop_start is not None
            and loop_start.tool_calls
            and loop_start.tool_calls[0].id not in known
        ):
            # The tool loop began without (known) thinking: the API refuses
            # to switch thinking on in the middle of a turn.
            budget = None

    system = "\n\n".join(
        message.text
        for message in request.messages
        if isinstance(message, SystemMessage) and message.text
    )
    messages: list[dict[str, Any]] = []
    # The message the person's last words went into: what comes before it
    # is the remembered conversation, the same in the next turn's request.
    words_at: int | None = None
    for message in request.messages:
        match message:
            case SystemMessage():
                continue
            case UserMessage():
                _append(messages, "user", _user_content(message))
                words_at = len(messages) - 1
            case AssistantMessage(tool_calls=tool_calls):
                thinking = (
                    known.get(tool_calls[0].id, [])
                    if budget is not None and tool_calls
                    else []
                )
                _append(messages, "assistant", _assistant_content(message, thinking))
            case ToolResultMessage():
                _append(messages, "user", [_tool_result_content(message)])

    body: dict[str, Any] = {
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "stream": True,
    }
    if system:
        body["system"] = [
            {"type": "text", "text": system, "cache_control": dict(_CACHE_CONTROL)}
        ]
    if request.tools:
        tools = [_tool(spec) for spec in request.tools]
        tools[-1]["cache_control"] = dict(_CACHE_CONTROL)
        body["tools"] = tools
    if words_at is not None and words_at >= 1:
        # A third breakpoint at the end of the remembered conversation: the
        # next turn reads it from the cache too (the API allows four).
        blocks = messages[words_at - 1]["content"]
        blocks[-1] = {**blocks[-1], "cache_control": dict(_CACHE_CONTROL)}
    if budget is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        # max_tokens counts the thinking too and must exceed the budget.
        body["max_tokens"] = budget + request.max_tokens
    # No temperature: the anthropic SDK 2 (Home Assistant 2026.11's pin) no
    # longer takes one, and core's Anthropic agent dropped it in 2026.10.
    if request.user:
        body["metadata"] = {"user_id": request.user}
    return body


# --- stream -----------------------------------------------------------------


@dataclass(slots=True)
class _ToolBlock:
    id: str
    name: str
    json: str = ""
    input: dict[str, Any] = field(default_factory=dict)

    def call(self, problem: str | None = None) -> ToolCall:
        if problem is not None:
            return ToolCall(self.id, self.name, {}, problem)
        arguments, invalid = parse_tool_arguments(
            self.json if self.json.strip() else self.input
        )
        return ToolCall(self.id, self.name, arguments, invalid)


@dataclass(slots=True)
class _ThinkingBlock:
    thinking: str = ""
    signature: str = ""

    def param(self) -> dict[str, Any]:
        return {
            "type": "thinking",
            "thinking": self.thinking,
            "signature": self.signature,
        }


class _Answer:
    """The state of one streamed answer: open blocks, kept thinking."""

    def __init__(self) -> None:
        """Start before message_start."""
        self.tools: dict[int, _ToolBlock] = {}
        self.open_thinking: dict[int, _ThinkingBlock] = {}
        # Closed thinking blocks not yet remembered with a tool call.
        self.thinking: list[dict[str, Any]] = []
        self.finished = False
        self.input_usage: anthropic_types.Usage | None = None

    def usage(self, delta_usage: anthropic_types.MessageDeltaUsage) -> Delta:
        """The request's usage: input from message_start, output at the end.

        The API counts `input_tokens` after the last cache breakpoint only;
        the whole prompt is that plus what was read from and written to the
        cache.
        """
        start = self.input_usage
        fresh = (delta_usage.input_tokens or 0) or (start.input_tokens if start else 0)
        read = (delta_usage.cache_read_input_tokens or 0) or (
            (start.cache_read_input_tokens or 0) if start else 0
        )
        written = (delta_usage.cache_creation_input_tokens or 0) or (
            (start.cache_creation_input_tokens or 0) if start else 0
        )
        return UsageDelta(
            Usage(
                input_tokens=fresh + read + written,
                cached_input_tokens=read,
                cache_write_tokens=written,
                output_tokens=delta_usage.output_tokens or 0,
            )
        )

    def feed(self, event: anthropic_types.RawMessageStreamEvent) -> Iterator[Delta]:
        """Return the deltas one event completes."""
        if isinstance(event, anthropic_types.RawContentBlockStartEvent):
            return self._start(event.index, event.content_block)
        if isinstance(event, anthropic_types.RawContentBlockDeltaEvent):
            return self._delta(event.index, event.delta)
        if isinstance(event, anthropic_types.RawContentBlockStopEvent):
            return self._stop(event.index)
        if isinstance(event, anthropic_types.RawMessageDeltaEvent):
            if event.delta.stop_reason is not None:
                self.finished = True
            usage = [self.usage(event.usage)] if event.usage is not None else []
            if event.delta.stop_reason == "max_tokens":
                # Tool blocks still open were cut off mid-input.
                return iter([*self._truncated(), *usage])
            return iter(usage)
        if isinstance(event, anthropic_types.RawMessageStartEvent):
            self.input_usage = event.message.usage
        elif isinstance(event, anthropic_types.RawMessageStopEvent):
            self.finished = True
        return iter(())

    def finish(self) -> Iterator[Delta]:
        """Return what is left once the stream has ended."""
        if not self.finished:
            # The connection closed cleanly, but the answer had not ended.
            raise StreamInterruptedError("stream ended before message_stop")
        # A block never closed although the message ended: incomplete.
        return self._truncated()

    def _truncated(self) -> Iterator[Delta]:
        calls = [self.tools[index].call(_TRUNCATED) for index in sorted(self.tools)]
        self.tools.clear()
        return (ToolCallDelta(call) for call in calls)

    def _start(
        self, index: int, block: anthropic_types.ContentBlock
    ) -> Iterator[Delta]:
        if isinstance(block, anthropic_types.TextBlock) and block.text:
            yield TextDelta(block.text)
        elif isinstance(block, anthropic_types.ToolUseBlock):
            start_input = block.input if isinstance(block.input, dict) else {}
            self.tools[index] = _ToolBlock(block.id, block.name, input=start_input)
        elif isinstance(block, anthropic_types.ThinkingBlock):
            self.open_thinking[index] = _ThinkingBlock(
                block.thinking or "", block.signature or ""
            )
            if block.thinking:
                yield ReasoningDelta(block.thinking)
        elif isinstance(block, anthropic_types.RedactedThinkingBlock):
            self.thinking.append({"type": "redacted_thinking", "data": block.data})

    def _delta(
        self, index: int, delta: anthropic_types.RawContentBlockDelta
    ) -> Iterator[Delta]:
        if isinstance(delta, anthropic_types.TextDelta) and delta.text:
            yield TextDelta(delta.text)
        elif isinstance(delta, anthropic_types.InputJSONDelta):
            if (tool := self.tools.get(index)) is not None:
                tool.json += delta.partial_json or ""
        elif isinstance(delta, anthropic_types.ThinkingDelta):
            if (thinking := self.open_thinking.get(index)) is not None:
                thinking.thinking += delta.thinking or ""
            if delta.thinking:
                yield ReasoningDelta(delta.thinking)
        elif isinstance(delta, anthropic_types.SignatureDelta) and (
            (thinking := self.open_thinking.get(index)) is not None
        ):
            thinking.signature += delta.signature or ""

    def _stop(self, index: int) -> Iterator[Delta]:
        if (tool := self.tools.pop(index, None)) is not None:
            yield ToolCallDelta(tool.call())
        elif (thinking := self.open_thinking.pop(index, None)) is not None:
            self.thinking.append(thinking.param())


class AnthropicProvider:
    """A provider for Anthropic's Messages API."""

    def __init__(
        self, http_client: httpx.AsyncClient, api_key: str, base_url: str | None = None
    ) -> None:
        """Create the SDK client; does blocking I/O, so run it in an executor."""
        self._base_url = base_url
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            # Explicit, so that ANTHROPIC_BASE_URL in the environment is not used.
            base_url=base_url or "https://api.anthropic.com",
            http_client=http_client,
            # Retries with back-off would leave a person waiting in silence;
            # a failed turn is answered at once and can be asked again.
            max_retries=0,
        )
        # The SDK reads platform details from disk on first use; do it now,
        # while still in the executor.
        self._client.platform_headers()
        # First tool-call id of a recent answer -> its signed thinking blocks.
        self._thinking: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    @property
    def is_local(self) -> bool:
        """Never: a custom URL is a proxy in front of the cloud API.

        The model runs in the provider's cloud whatever the URL, so the
        household's cloud choices (images, redaction, storage) always apply.
        """
        return False

    async def async_list_models(self) -> list[str]:
        """Return the ids of the models the account can use."""
        return await bounded_model_list(self._async_list_models())

    async def _async_list_models(self) -> list[str]:
        try:
            page = self._client.with_options(timeout=10.0).models.list()
            ids: list[str] = []
            async for model in page:
                if model.id and model.id not in ids:
                    ids.append(model.id)
        except Exception as err:
            raise map_anthropic_error(err) from err
        return ids

    def _remember_thinking(self, call_id: str, blocks: list[dict[str, Any]]) -> None:
        self._thinking[call_id] = blocks
        self._thinking.move_to_end(call_id)
        while len(self._thinking) > _THINKING_CACHE_SIZE:
            self._thinking.popitem(last=False)

    async def async_stream(self, request: ProviderRequest) -> AsyncIterator[Delta]:
        """Stream the answer to a Messages request."""
        body = build_messages_body(request, dict(self._thinking))
        client = self._client.with_options(timeout=request.timeout)
        started = False
        try:
            stream: anthropic.AsyncStream[
                anthropic_types.RawMessageStreamEvent
            ] = await client.messages.create(**body)
            started = True
            async for delta in self._deltas(stream):
                yield delta
        except Exception as err:
            raise map_anthropic_error(err, streaming=started) from err

    async def _deltas(
        self, stream: anthropic.AsyncStream[anthropic_types.RawMessageStreamEvent]
    ) -> AsyncIterator[Delta]:
        answer = _Answer()
        events = 0
        async for event in stream:
            events += 1
            for delta in answer.feed(event):
                if isinstance(delta, ToolCallDelta) and answer.thinking:
                    self._remember_thinking(delta.call.id, answer.thinking)
                    answer.thinking = []
                yield delta
        if not events:
            # A 200 without a single event: an HTML page, plain text or
            # nothing. No answer was cut; none was ever sent.
            raise MalformedResponseError("no events in the answer")
        for delta in answer.finish():
            yield delta
