"""Anthropic's Messages API, through the official anthropic SDK.

The SDK parses the server-sent events; this module builds the request, and
anthropic_stream.py turns the stream's content blocks into deltas
(anthropic_errors.py maps the failures). What they take care of:

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

import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anthropic
import httpx
from anthropic import types as anthropic_types

from . import (
    AssistantMessage,
    Delta,
    MalformedResponseError,
    Message,
    ProviderRequest,
    SystemMessage,
    ToolCallDelta,
    ToolResultMessage,
    ToolSpec,
    UserMessage,
)
from .anthropic_errors import map_anthropic_error
from .anthropic_stream import Answer
from .kinds import SDK_RETRIES, CloudProvider
from .wire_parts import base64_text, result_text

# The smallest thinking budget the API accepts.
MIN_THINKING_BUDGET = 1024
# Answers whose thinking blocks are remembered for the next request.
_THINKING_CACHE_SIZE = 32
_CACHE_CONTROL = {"type": "ephemeral"}
# Tool-use ids must match ^[a-zA-Z0-9_-]+$; ids made by other providers may not.
_INVALID_ID_CHARACTERS = re.compile(r"[^a-zA-Z0-9_-]")


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
                "data": base64_text(image),
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
        "content": result_text(message.result),
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


class AnthropicProvider(CloudProvider):
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
            max_retries=SDK_RETRIES,
        )
        # The SDK reads platform details from disk on first use; do it now,
        # while still in the executor.
        self._client.platform_headers()
        # First tool-call id of a recent answer -> its signed thinking blocks.
        self._thinking: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    async def _async_list_models(self) -> list[str]:
        """Return the ids of the models the account can use."""
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
        answer = Answer()
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
