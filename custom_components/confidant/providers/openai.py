"""OpenAI's own API, spoken through the Responses endpoint.

The official SDK sends `POST /responses` with `stream: true` and decodes the
server-sent events; this module builds the request body, and
openai_stream.py turns the events, read as plain JSON, into deltas (with
what it tolerates of the wire in the wild). Every request states `store` explicitly,
false unless the person allowed OpenAI to keep their conversations, and no
stable identifier of the person or the conversation (`user`,
`safety_identifier`) is ever sent; `prompt_cache_key` is a hash of the
agent's id, the same for all its conversations.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

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
    Delta,
    MalformedResponseError,
    Message,
    ProviderError,
    ProviderRequest,
    SystemMessage,
    ToolResultMessage,
    ToolSpec,
    UserMessage,
)
from .kinds import SDK_RETRIES, CloudProvider
from .openai_errors import map_openai_error
from .openai_stream import StreamState, event_deltas, events
from .wire_parts import data_url, result_text

# Passed explicitly so that an OPENAI_BASE_URL in Home Assistant's environment
# cannot send the conversation somewhere the person did not configure.
_DEFAULT_BASE_URL = "https://api.openai.com/v1"


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
                        "image_url": data_url(image),
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
                    "output": result_text(result),
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


def build_responses_body(request: ProviderRequest) -> dict[str, Any]:
    """Return the JSON body of a streamed Responses request."""
    instructions, items = _input_items(request.messages)
    body: dict[str, Any] = {
        "model": request.model,
        "input": items,
        "max_output_tokens": request.max_tokens,
        # Always explicit: OpenAI keeps responses for 30 days unless told not
        # to, and the person decides whether it may.
        "store": bool(request.options.get("store", False)),
        "stream": True,
    }
    if instructions is not None:
        body["instructions"] = instructions
    if request.cache_key:
        # Requests of one agent share their prefix: OpenAI routes them to the
        # same cache. The key names the agent, not a person.
        body["prompt_cache_key"] = request.cache_key
    if request.tools:
        body["tools"] = [_tool(spec) for spec in request.tools]
    if effort := request.options.get("reasoning_effort"):
        body["reasoning"] = {"effort": str(effort)}
    elif request.temperature is not None:
        # Reasoning models reject `temperature`, so it is sent only when no
        # reasoning effort is.
        body["temperature"] = request.temperature
    return body


class OpenAIProvider(CloudProvider):
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
            max_retries=SDK_RETRIES,
        )
        # The SDK reads platform details from disk on first use; do it now,
        # while still in the executor.
        self._client.platform_headers()

    async def _async_list_models(self) -> list[str]:
        """Return the ids of the models the key can use."""
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
        body = build_responses_body(request)
        started = False
        state = StreamState()
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
            received = 0
            async with stream:
                async for event in events(stream.response.aiter_lines()):
                    received += 1
                    for delta in event_deltas(event, state):
                        yield delta
            if not received:
                # A 200 without a single event: an HTML page, plain text or
                # nothing. No answer was cut; none was ever sent.
                raise MalformedResponseError("no events in the answer")  # noqa: TRY301
            state.check_finished()
        except ProviderError:
            raise
        except Exception as err:  # Every failure maps to a provider error.
            raise map_openai_error(err, streaming=started) from err
