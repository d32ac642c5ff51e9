"""Anthropic's streamed content blocks, turned into deltas.

Tool input arrives as `input_json_delta` fragments per content block; a call
is complete at its `content_block_stop`. A stream that stops at `max_tokens`
inside a tool input leaves that call without arguments: it is reported with
`invalid_arguments`, so the model can be told and try again. Closed thinking
blocks are kept, signed, for the provider to send back with the tool calls
they came with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from anthropic import types as anthropic_types

from . import (
    Delta,
    ReasoningDelta,
    StreamInterruptedError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    UsageDelta,
)
from .tool_arguments import parse_tool_arguments

_TRUNCATED = (
    "the answer reached max_tokens before the tool-call arguments were complete"
)


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


class Answer:
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
