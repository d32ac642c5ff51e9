"""OpenAI's own API, spoken through the Responses endpoint.

The official SDK sends `POST /responses` with `stream: true` and decodes the
server-sent events; this module builds the request body and turns the events,
read as plain JSON, into deltas. Every request states `store` explicitly,
false unless the person allowed OpenAI to keep their conversations, and no
stable identifier of the person or the conversation (`user`,
`safety_identifier`) is ever sent; `prompt_cache_key` is a hash of the
agent's id, the same for all its conversations.

It tolerates what the wire shows in the wild:

- events with or without `sequence_number` (the wire of March 2025 had none),
- function-call arguments only in deltas, only in `.done`, or in both,
- an `error` event nested (`{"error": {...}}`, which the SDK raises itself)
  or flat (`{"code", "message"}`, which the SDK yields as an event),
- a stream that ends without `response.completed`, which is a cut answer.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import httpx
import openai
from openai.types.responses import (
    EasyInputMessageParam,
    FunctionToolParam,
    ResponseFunctionToolCallParam,
    ResponseInputContentParam,
    ResponseInputItemParam,
)
from openai.types.responses.response_input_item_param import FunctionCallOutput

from . import (
    AssistantMessage,
    AuthenticationError,
    BadRequestError,
    Delta,
    MalformedResponseError,
    Message,
    ModelNotFoundError,
    ProviderError,
    ProviderRequest,
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
from .openai_errors import map_openai_error
from .tool_arguments import parse_tool_arguments

# Passed explicitly so that an OPENAI_BASE_URL in Home Assistant's environment
# cannot send the conversation somewhere the person did not configure.
_DEFAULT_BASE_URL = "https://api.openai.com/v1"

# Error codes of `error` events and failed responses, by the error they mean.
# Anything else the server reports is a server error: the request itself was
# accepted, so the fault lies on the other side.
_RATE_LIMIT_CODES = frozenset(
    {"rate_limit_exceeded", "insufficient_quota", "tokens", "requests"}
)
_AUTH_CODES = frozenset({"invalid_api_key", "invalid_authentication"})
_NOT_FOUND_CODES = frozenset({"model_not_found"})
_BAD_REQUEST_CODES = frozenset(
    {
        "invalid_prompt",
        "invalid_request_error",
        "context_length_exceeded",
        "data_residency_mismatch",
        "bio_policy",
        "misalignment_policy_violation",
    }
)
# Only short machine-readable codes are kept in a detail; a free-form value
# could carry part of the conversation or the key.
_CODE_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")

# The person hears nothing when the model ran out of tokens before saying
# anything, so that case stays an error; see `_incomplete`.
_MAX_OUTPUT_TOKENS = "max_output_tokens"


def _data_url(mime_type: str, data: bytes) -> str:
    return f"data:{mime_type};base64," + base64.b64encode(data).decode()


def _input_items(
    messages: Sequence[Message],
) -> tuple[str | None, list[ResponseInputItemParam]]:
    """Return the instructions and the input items of a conversation."""
    instructions: list[str] = []
    items: list[ResponseInputItemParam] = []
    for message in messages:
        match message:
            case SystemMessage(text=text):
                # The Responses API takes the system prompt as `instructions`,
                # which it places above every input item.
                instructions.append(text)
            case UserMessage(text=text, images=images):
                content: list[ResponseInputContentParam] = [
                    {"type": "input_text", "text": text}
                ]
                content.extend(
                    {
                        "type": "input_image",
                        "image_url": _data_url(image.mime_type, image.data),
                        "detail": "auto",
                    }
                    for image in images
                )
                items.append({"type": "message", "role": "user", "content": content})
            case AssistantMessage(text=text, tool_calls=tool_calls):
                if text:
                    # An output message item would need the id OpenAI gave it,
                    # which is not kept when `store` is false; an assistant
                    # message with plain text content is read as model output.
                    assistant: EasyInputMessageParam = {
                        "type": "message",
                        "role": "assistant",
                        "content": text,
                    }
                    items.append(assistant)
                for call in tool_calls:
                    function_call: ResponseFunctionToolCallParam = {
                        "type": "function_call",
                        "call_id": call.id,
                        "name": call.name,
                        "arguments": json.dumps(call.arguments),
                    }
                    items.append(function_call)
            case ToolResultMessage(call_id=call_id, result=result):
                output: FunctionCallOutput = {
                    "type": "function_call_output",
                    "call_id": call_id,
                    "output": json.dumps(result, default=str),
                }
                items.append(output)
    return ("\n\n".join(instructions) if instructions else None), items


def _tool(spec: ToolSpec) -> FunctionToolParam:
    tool: FunctionToolParam = {
        "type": "function",
        "name": spec.name,
        "parameters": dict(spec.parameters),
        # Strict mode would reject Home Assistant's schemas, which have
        # optional properties and no `additionalProperties: false`.
        "strict": False,
    }
    if spec.description:
        tool["description"] = spec.description
    return tool


def _code(value: object) -> str | None:
    if isinstance(value, str) and _CODE_PATTERN.fullmatch(value):
        return value
    return None


def _error_for_code(code: str | None, what: str) -> ProviderError:
    """Return the provider error for an error code reported inside a stream."""
    detail = f"{what} ({code})" if code else what
    if code in _RATE_LIMIT_CODES:
        return RateLimitError(detail)
    if code in _AUTH_CODES:
        return AuthenticationError(detail)
    if code in _NOT_FOUND_CODES:
        return ModelNotFoundError(detail)
    if code in _BAD_REQUEST_CODES or (
        code is not None and code.startswith(("image_", "invalid_"))
    ):
        return BadRequestError(detail)
    return ServerError(detail)


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


class _StreamState:
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


def _incomplete(event: Mapping[str, Any], state: _StreamState) -> None:
    """Raise unless the answer cut by the token limit still said something."""
    details = _mapping(_mapping(event.get("response")).get("incomplete_details"))
    reason = _code(details.get("reason"))
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


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[Mapping[str, Any]]:
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
                    raise _error_for_code(
                        _code(error.get("code")) or _code(error.get("type")),
                        "error event",
                    )
                yield event
        name, data = None, []


def _event_deltas(  # noqa: PLR0911, PLR0912 - one case per event type
    event: Mapping[str, Any], state: _StreamState
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
                    call_id=_text(item.get("call_id"))
                    or item_id
                    or f"call_{uuid.uuid4().hex[:24]}",
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
            raise _error_for_code(_code(error.get("code")), "response failed")
        case "error":
            raise _error_for_code(_code(event.get("code")), "error event")
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
    event: Mapping[str, Any], state: _StreamState, position: int
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
    index: int, item: Mapping[str, Any], state: _StreamState
) -> list[Delta]:
    call = state.calls.get(index)
    if call is None:
        # No `output_item.added` came for it; the finished item has it all.
        call = state.calls[index] = _PartialCall(
            call_id=_text(item.get("call_id"))
            or _text(item.get("id"))
            or f"call_{uuid.uuid4().hex[:24]}",
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


class OpenAIProvider:
    """A provider for OpenAI, through the Responses API."""

    def __init__(
        self, http_client: httpx.AsyncClient, api_key: str, base_url: str | None = None
    ) -> None:
        """Create the SDK client; does blocking I/O, so run it in an executor."""
        self._base_url = base_url
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url or _DEFAULT_BASE_URL,
            # Home Assistant's shared client is an httpx (not httpx2) client,
            # which the SDK accepts at run time but not in its annotations.
            http_client=http_client,  # type: ignore[arg-type]
            # Retries with back-off would leave a person waiting in silence;
            # a failed turn is answered at once and can be asked again.
            max_retries=0,
        )
        # The SDK reads platform details from disk on first use; do it now,
        # while still in the executor.
        self._client.platform_headers()

    @property
    def is_local(self) -> bool:
        """Never: a custom URL is a proxy in front of the cloud API.

        The model runs in the provider's cloud whatever the URL, so the
        household's cloud choices (images, redaction, storage) always apply.
        """
        return False

    async def async_list_models(self) -> list[str]:
        """Return the ids of the models the key can use."""
        return await bounded_model_list(self._async_list_models())

    async def _async_list_models(self) -> list[str]:
        try:
            page = await self._client.with_options(timeout=10.0).models.list()
            return sorted({model.id async for model in page if model.id})
        except Exception as err:  # Every failure maps to a provider error.
            raise map_openai_error(err) from err

    async def async_stream(self, request: ProviderRequest) -> AsyncIterator[Delta]:
        """Stream the answer to a Responses request.

        The body is built here and posted as it is, and the events are read
        as plain JSON: the SDK still sends the request (headers, timeout,
        errors) and decodes the server-sent events, but neither walks the
        request through its type transforms nor builds typed objects of
        every event, which for a request with many tools cost more time
        than everything else in a turn.
        """
        instructions, items = _input_items(request.messages)
        body: dict[str, Any] = {
            "model": request.model,
            "input": items,
            "max_output_tokens": request.max_tokens,
            # Always explicit: OpenAI keeps responses for 30 days unless
            # told not to, and the person decides whether it may.
            "store": bool(request.options.get("store", False)),
            "stream": True,
        }
        if instructions is not None:
            body["instructions"] = instructions
        if request.cache_key:
            # Requests of one agent share their prefix: OpenAI routes them to
            # the same cache. The key names the agent, not a person.
            body["prompt_cache_key"] = request.cache_key
        if request.tools:
            body["tools"] = [_tool(spec) for spec in request.tools]
        if effort := request.options.get("reasoning_effort"):
            body["reasoning"] = {"effort": str(effort)}
        elif request.temperature is not None:
            # Reasoning models reject `temperature`, so it is sent only when
            # no reasoning effort is.
            body["temperature"] = request.temperature
        started = False
        state = _StreamState()
        try:
            stream = await self._client.post(
                "/responses",
                cast_to=object,
                body=body,
                options={"timeout": request.timeout},
                stream=True,
                stream_cls=openai.AsyncStream[object],
            )
            started = True
            events = 0
            async with stream:
                async for event in _events(stream.response.aiter_lines()):
                    events += 1
                    for delta in _event_deltas(event, state):
                        yield delta
            if not events:
                # A 200 without a single event: an HTML page, plain text or
                # nothing. No answer was cut; none was ever sent.
                raise MalformedResponseError("no events in the answer")  # noqa: TRY301
            state.check_finished()
        except ProviderError:
            raise
        except Exception as err:  # Every failure maps to a provider error.
            raise map_openai_error(err, streaming=started) from err
