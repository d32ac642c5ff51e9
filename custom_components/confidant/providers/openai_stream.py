"""OpenAI's Responses events, read as plain JSON and turned into deltas.

Only the few fields Confidant uses are looked at, so the large echoes of the
request in `response.created` and `response.in_progress` cost nothing. It
tolerates what the wire shows in the wild:

- events with or without `sequence_number` (the wire of March 2025 had none),
- function-call arguments only in deltas, only in `.done`, or in both,
- an `error` event nested (`{"error": {...}}`, which the SDK raises itself)
  or flat (`{"code", "message"}`, which the SDK yields as an event),
- a stream that ends without `response.completed`, which is a cut answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from . import (
    Delta,
    ProviderError,
    ReasoningDelta,
    StreamInterruptedError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    UsageDelta,
)
from .openai_errors import error_code, error_for_code
from .tool_arguments import parse_tool_arguments
from .wire_parts import new_call_id

# The person hears nothing when the model ran out of tokens before saying
# anything, so that case stays an error; see `_incomplete`.
_MAX_OUTPUT_TOKENS = "max_output_tokens"


@dataclass(slots=True)
class _PartialCall:
    call_id: str
    name: str
    arguments: str = ""
    emitted: bool = False

    def complete(self) -> ToolCall:
        arguments, problem = parse_tool_arguments(self.arguments)
        self.emitted = True
        return ToolCall(self.call_id, self.name, arguments, problem)


class StreamState:
    """What one answer's events have produced so far."""

    def __init__(self) -> None:
        """Start with nothing received."""
        # Function calls by output index; item ids point to the same slots.
        self.calls: dict[int, _PartialCall] = {}
        self.call_index_by_item: dict[str, int] = {}
        self.spoke = False
        self.called = False
        # Output indexes of messages whose text arrived as deltas.
        self.text_outputs: set[int] = set()
        self.reasoning_part: tuple[int, int] | None = None
        self.finished = False

    def call_for(self, item_id: str | None, output_index: int) -> _PartialCall | None:
        """The call an event names, by item id or else by output index."""
        index = self.call_index_by_item.get(item_id or "", output_index)
        return self.calls.get(index)

    def check_finished(self) -> None:
        """Raise if the stream ended before a terminal event."""
        if not self.finished:
            # A clean end of the body without `response.completed` is a
            # server or proxy giving up mid-answer, not a finished answer.
            raise StreamInterruptedError("stream ended before the response did")

    def pending_calls(self) -> list[ToolCall]:
        """Complete the calls no `output_item.done` has finished, in order."""
        calls = [
            self.calls[index].complete()
            for index in sorted(self.calls)
            if not self.calls[index].emitted and self.calls[index].name
        ]
        self.called = self.called or bool(calls)
        return calls


def _incomplete(event: Mapping[str, Any], state: StreamState) -> None:
    """Raise unless the answer cut by the token limit still said something."""
    details = _mapping(_mapping(event.get("response")).get("incomplete_details"))
    reason = error_code(details.get("reason"))
    if reason == _MAX_OUTPUT_TOKENS and (state.spoke or state.called):
        # What was said is worth hearing; the person can ask for more.
        return
    raise ProviderError(f"response incomplete ({reason or 'unknown reason'})")


def _mapping(value: object) -> Mapping[str, Any]:
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


# Events that only echo the request (its instructions and tools, often tens
# of kilobytes) and say nothing Confidant uses: not even parsed.
_ECHO_EVENTS: Final = frozenset(
    {"response.created", "response.in_progress", "response.queued"}
)


async def events(lines: AsyncIterator[str]) -> AsyncIterator[Mapping[str, Any]]:
    """The JSON events of a server-sent event stream, as the SDK reads them.

    Lines are read as the SSE specification says (`event:` and `data:`
    fields, a blank line ends an event, `:` starts a comment); `[DONE]` ends
    the stream; an event whose data holds an `error` is raised as the SDK
    raises it. An event named in `_ECHO_EVENTS` is skipped unparsed.
    """
    name: str | None = None
    data: list[str] = []
    async for line in lines:
        if line:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "data":
                data.append(value)
            elif field == "event":
                name = value
            continue
        if data and name not in _ECHO_EVENTS:
            text = "\n".join(data)
            if text.startswith("[DONE]"):
                return
            event = json.loads(text)
            if isinstance(event, Mapping):
                if error := event.get("error"):
                    # An error event whose data nests the error: its code
                    # says what went wrong (quota, rate, server).
                    error = _mapping(error)
                    raise error_for_code(
                        error_code(error.get("code")) or error_code(error.get("type")),
                        "error event",
                    )
                yield event
        name, data = None, []


def event_deltas(  # noqa: PLR0911, PLR0912 - one case per event type
    event: Mapping[str, Any], state: StreamState
) -> list[Delta]:
    """Return the deltas one event produces; raise for a failed answer.

    Events are read as the JSON the server sent, by their `type`: only the
    few fields Confidant uses are looked at, so the large echoes of the
    request in `response.created` and `response.in_progress` cost nothing.
    """
    kind = event.get("type")
    index = _int(event.get("output_index"))
    match kind:
        case "response.output_text.delta":
            if text := _text(event.get("delta")):
                state.spoke = True
                state.text_outputs.add(index)
                return [TextDelta(text)]
        case "response.refusal.delta":
            # A refusal is the model's answer to the person; say it.
            if text := _text(event.get("delta")):
                state.spoke = True
                return [TextDelta(text)]
        case "response.reasoning_summary_text.delta":
            return _reasoning(event, state, _int(event.get("summary_index")))
        case "response.reasoning_text.delta":
            return _reasoning(event, state, _int(event.get("content_index")))
        case "response.output_item.added":
            item = _mapping(event.get("item"))
            if item.get("type") == "function_call":
                item_id = _text(item.get("id"))
                state.calls[index] = _PartialCall(
                    call_id=_text(item.get("call_id")) or item_id or new_call_id(),
                    name=_text(item.get("name")),
                    arguments=_text(item.get("arguments")),
                )
                if item_id:
                    state.call_index_by_item[item_id] = index
        case "response.function_call_arguments.delta":
            if call := state.call_for(_text(event.get("item_id")), index):
                call.arguments += _text(event.get("delta"))
        case "response.function_call_arguments.done":
            # The complete arguments replace the fragments, in case a server
            # sent them only here.
            arguments = _text(event.get("arguments"))
            if (call := state.call_for(_text(event.get("item_id")), index)) and (
                arguments
            ):
                call.arguments = arguments
        case "response.output_item.done":
            item = _mapping(event.get("item"))
            if item.get("type") == "function_call":
                return _function_call_done(index, item, state)
            # A server that sends the message whole, without text deltas.
            if item.get("type") == "message" and index not in state.text_outputs:
                text = "".join(
                    _text(_mapping(part).get("text"))
                    for part in item.get("content") or ()
                    if _mapping(part).get("type") == "output_text"
                )
                if text:
                    state.spoke = True
                    return [TextDelta(text)]
        case "response.completed":
            state.finished = True
            return [*map(ToolCallDelta, state.pending_calls()), *_usage(event)]
        case "response.incomplete":
            state.finished = True
            _incomplete(event, state)
            return _usage(event)
        case "response.failed":
            error = _mapping(_mapping(event.get("response")).get("error"))
            raise error_for_code(error_code(error.get("code")), "response failed")
        case "error":
            raise error_for_code(error_code(event.get("code")), "error event")
    return []


def _usage(event: Mapping[str, Any]) -> list[Delta]:
    """The usage a finished response reports, cached prompt tokens included."""
    usage = _mapping(_mapping(event.get("response")).get("usage"))
    if not usage:
        return []
    return [
        UsageDelta(
            Usage(
                input_tokens=_int(usage.get("input_tokens")),
                cached_input_tokens=_int(
                    _mapping(usage.get("input_tokens_details")).get("cached_tokens")
                ),
                output_tokens=_int(usage.get("output_tokens")),
            )
        )
    ]


def _reasoning(
    event: Mapping[str, Any], state: StreamState, position: int
) -> list[Delta]:
    if not (text := _text(event.get("delta"))):
        return []
    part = (_int(event.get("output_index")), position)
    deltas: list[Delta] = []
    if state.reasoning_part is not None and state.reasoning_part != part:
        # Summaries come in parts, each a paragraph with its own heading.
        deltas.append(ReasoningDelta("\n\n"))
    state.reasoning_part = part
    deltas.append(ReasoningDelta(text))
    return deltas


def _function_call_done(
    index: int, item: Mapping[str, Any], state: StreamState
) -> list[Delta]:
    call = state.calls.get(index)
    if call is None:
        # No `output_item.added` came for it; the finished item has it all.
        call = state.calls[index] = _PartialCall(
            call_id=_text(item.get("call_id"))
            or _text(item.get("id"))
            or new_call_id(),
            name="",
        )
    if call.emitted:
        return []
    call.name = _text(item.get("name")) or call.name
    call.arguments = _text(item.get("arguments")) or call.arguments
    if not call.name:
        return []
    state.called = True
    return [ToolCallDelta(call.complete())]
