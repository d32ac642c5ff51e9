"""The OpenAI provider against the loopback server speaking the Responses API."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from custom_components.confidant.providers import (
    AssistantMessage,
    AuthenticationError,
    Delta,
    ImagePart,
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
    UserMessage,
)
from custom_components.confidant.providers.openai import OpenAIProvider

from .conftest import wire_sample
from .llm_server import LLMServer, Reply, ToolCallStep
from .protocols.chat_completions import openai_error_body
from .provider_deltas import (
    answer_deltas,
    calls,
    deltas_until_error,
    reasoning,
    texts,
)

KEY = "sk-test"
TURN_ON = ToolSpec(
    name="HassTurnOn",
    description="Turns on a device",
    parameters={"type": "object", "properties": {"name": {"type": "string"}}},
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A real httpx client, closed at the end of the test."""
    async with httpx.AsyncClient() as http_client:
        yield http_client


def request(text: str = "Turn on the kitchen lights", **kwargs: Any) -> ProviderRequest:
    kwargs.setdefault("model", "gpt-4o")
    messages = kwargs.pop(
        "messages", [SystemMessage("You are a voice assistant."), UserMessage(text)]
    )
    return ProviderRequest(messages=messages, **kwargs)


async def collect(
    provider: OpenAIProvider, req: ProviderRequest | None = None
) -> list[Delta]:
    return await answer_deltas(provider.async_stream(req or request()))


def sse(*events: dict[str, Any]) -> bytes:
    """Frame events as the Responses API does."""
    frames = []
    for number, event in enumerate(events):
        data = {**event, "sequence_number": number}
        frames.append(f"event: {event['type']}\ndata: {json.dumps(data)}\n\n")
    return "".join(frames).encode()


def response_object(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 0,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "model": "gpt-4o",
        "output": [],
        "store": False,
        **fields,
    }


def text_events(text: str) -> list[dict[str, Any]]:
    where = {"content_index": 0, "item_id": "msg_1", "output_index": 0}
    return [
        {"type": "response.created", "response": response_object("in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {
                "id": "msg_1",
                "type": "message",
                "status": "in_progress",
                "content": [],
                "role": "assistant",
            },
        },
        {"type": "response.output_text.delta", **where, "delta": text, "logprobs": []},
    ]


def provider_for(server: LLMServer, client: httpx.AsyncClient) -> OpenAIProvider:
    return OpenAIProvider(client, KEY, server.url)


# --- Recorded streams, replayed verbatim -------------------------------------


async def test_sample_text(llm_server: LLMServer, client: httpx.AsyncClient) -> None:
    llm_server.script_raw(wire_sample("openai_responses_text.sse"))
    deltas = await collect(provider_for(llm_server, client))
    assert deltas == [TextDelta("Olá"), TextDelta("!")]


async def test_sample_function_call(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script_raw(wire_sample("openai_responses_function_call.sse"))
    deltas = await collect(provider_for(llm_server, client))
    assert deltas == [
        ToolCallDelta(
            ToolCall(
                "call_PRiJm2RVAvt7IoRvjxIXxFVF",
                "weather",
                {"location": "Florence, Italy"},
            )
        )
    ]


async def test_sample_function_call_without_sequence_numbers(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script_raw(
        wire_sample("openai_responses_function_call_2025_03_no_seq.sse")
    )
    deltas = await collect(provider_for(llm_server, client))
    assert deltas == [
        ToolCallDelta(
            ToolCall(
                "call_kL0PCQV7M2WMoVX8V8OtYSAL", "get_capital", {"country": "France"}
            )
        )
    ]


async def test_sample_reasoning_then_function_call(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    sample = wire_sample("openai_responses_reasoning_function_call.sse")
    events = [
        json.loads(line[len(b"data: ") :])
        for line in sample.splitlines()
        if line.startswith(b"data: ")
    ]
    summary_deltas = [
        event["delta"]
        for event in events
        if event["type"] == "response.reasoning_summary_text.delta"
    ]
    (summary,) = [
        event["text"]
        for event in events
        if event["type"] == "response.reasoning_summary_text.done"
    ]
    assert len(summary_deltas) == 75
    llm_server.script_raw(sample)

    deltas = await collect(provider_for(llm_server, client))

    assert deltas == [
        *(ReasoningDelta(piece) for piece in summary_deltas),
        ToolCallDelta(
            ToolCall(
                "call_zgUaIBRPTwxxOusyyKw5NVMH",
                "weather",
                {"location": "Florence, Italy"},
            )
        ),
    ]
    assert reasoning(deltas) == summary
    assert texts(deltas) == []


async def test_sample_error_event_then_failed(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script_raw(wire_sample("openai_responses_error_then_failed.sse"))
    with pytest.raises(RateLimitError) as raised:
        await collect(provider_for(llm_server, client))
    assert "insufficient_quota" in raised.value.detail
    assert "quota, please" not in raised.value.detail


# --- Scripted answers --------------------------------------------------------


async def test_text_arrives_word_by_word(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script(Reply(text="The kitchen lights are on."))
    deltas = await collect(provider_for(llm_server, client))
    assert texts(deltas) == ["The", " kitchen", " lights", " are", " on."]
    assert deltas == [TextDelta(text) for text in texts(deltas)]


async def test_reasoning_then_text(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script(Reply(text="Done.", reasoning="The person wants light."))
    deltas = await collect(
        provider_for(llm_server, client), request(options={"reasoning_effort": "low"})
    )
    assert deltas == [
        ReasoningDelta("The"),
        ReasoningDelta(" person"),
        ReasoningDelta(" wants"),
        ReasoningDelta(" light."),
        TextDelta("Done."),
    ]


async def test_one_tool_call(llm_server: LLMServer, client: httpx.AsyncClient) -> None:
    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep("HassTurnOn", {"name": "Kitchen lights"}, id="call_one")
            ]
        )
    )
    deltas = await collect(provider_for(llm_server, client), request(tools=[TURN_ON]))
    assert deltas == [
        ToolCallDelta(ToolCall("call_one", "HassTurnOn", {"name": "Kitchen lights"}))
    ]


async def test_two_parallel_tool_calls(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script(
        Reply(
            text="Turning them on.",
            tool_calls=[
                ToolCallStep("HassTurnOn", {"name": "Kitchen lights"}, id="call_a"),
                ToolCallStep(
                    "HassTurnOn", {"area": "Hallway", "domain": ["light"]}, id="call_b"
                ),
            ],
        )
    )
    deltas = await collect(provider_for(llm_server, client), request(tools=[TURN_ON]))
    assert texts(deltas) == ["Turning", " them", " on."]
    assert calls(deltas) == [
        ToolCall("call_a", "HassTurnOn", {"name": "Kitchen lights"}),
        ToolCall("call_b", "HassTurnOn", {"area": "Hallway", "domain": ["light"]}),
    ]


async def test_malformed_tool_arguments_are_reported_not_raised(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script(
        Reply(
            tool_calls=[ToolCallStep("HassTurnOn", '{"name": "Kitchen', id="call_bad")]
        )
    )
    (call,) = calls(
        await collect(provider_for(llm_server, client), request(tools=[TURN_ON]))
    )
    assert call.id == "call_bad"
    assert call.name == "HassTurnOn"
    assert call.arguments == {}
    assert call.invalid_arguments is not None


async def test_cut_stream_is_interrupted(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script(Reply(text="The kitchen lights are now on.", cut_after=5))
    received, error = await deltas_until_error(
        provider_for(llm_server, client).async_stream(request())
    )
    assert isinstance(error, StreamInterruptedError)
    # created, in_progress, item added, part added, then one word.
    assert received == [TextDelta("The")]
    # The transport broke mid-body (not a clean end without a terminal event).
    assert error.detail == "RemoteProtocolError"


async def test_stream_ending_without_completed_is_interrupted(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script_raw(sse(*text_events("Half an")))
    with pytest.raises(StreamInterruptedError):
        await collect(provider_for(llm_server, client))


def _incomplete(reason: str) -> dict[str, Any]:
    return {
        "type": "response.incomplete",
        "response": response_object(
            "incomplete", incomplete_details={"reason": reason}
        ),
    }


CREATED = {"type": "response.created", "response": response_object("in_progress")}


async def test_incomplete_at_token_limit_after_text_ends_normally(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script_raw(
        sse(*text_events("The lights are"), _incomplete("max_output_tokens"))
    )
    assert await collect(provider_for(llm_server, client)) == [
        TextDelta("The lights are")
    ]


@pytest.mark.parametrize(
    ("events", "error", "detail"),
    [
        pytest.param(
            [CREATED, _incomplete("max_output_tokens")],
            ProviderError,
            "response incomplete (max_output_tokens)",
            id="incomplete-at-token-limit-before-any-text",
        ),
        pytest.param(
            [*text_events("Well"), _incomplete("content_filter")],
            ProviderError,
            "response incomplete (content_filter)",
            id="incomplete-by-content-filter",
        ),
        pytest.param(
            [
                *text_events("The"),
                {
                    "type": "response.failed",
                    "response": response_object(
                        "failed",
                        error={
                            "code": "server_error",
                            "message": "The model crashed on: Turn on the kitchen",
                        },
                    ),
                },
            ],
            ServerError,
            "response failed (server_error)",
            id="failed-response-is-a-server-error",
        ),
        pytest.param(
            [
                CREATED,
                {
                    "type": "error",
                    "code": "rate_limit_exceeded",
                    "message": "Slow down",
                    "param": None,
                },
            ],
            RateLimitError,
            "error event (rate_limit_exceeded)",
            id="flat-error-event-is-mapped-by-code",
        ),
    ],
)
async def test_an_error_in_the_stream_is_raised_as_its_kind(
    llm_server: LLMServer,
    client: httpx.AsyncClient,
    events: list[dict[str, Any]],
    error: type[ProviderError],
    detail: str,
) -> None:
    """Incomplete without a usable answer, failed, or an error event: each its error."""
    llm_server.script_raw(sse(*events))
    with pytest.raises(error) as raised:
        await collect(provider_for(llm_server, client))
    assert raised.value.detail == detail


async def test_refusals_whole_messages_and_reasoning_text(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    """Every kind of answer text, however a server sends it, reaches the person."""
    message = {
        "id": "msg_2",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Sent whole.", "annotations": []}],
    }
    reasoning_text = {"type": "response.reasoning_text.delta", "item_id": "rs_1"}
    llm_server.script_raw(
        sse(
            {"type": "response.created", "response": response_object("in_progress")},
            {**reasoning_text, "output_index": 0, "content_index": 0, "delta": "One"},
            {**reasoning_text, "output_index": 0, "content_index": 1, "delta": "Two"},
            {"type": "response.refusal.delta", "output_index": 1, "delta": "No. "},
            {"type": "response.output_item.done", "output_index": 2, "item": message},
            {"type": "response.completed", "response": response_object("completed")},
        )
    )
    deltas = await collect(provider_for(llm_server, client))
    assert reasoning(deltas) == "One\n\nTwo"
    assert texts(deltas) == ["No. ", "Sent whole."]


async def test_server_sent_events_are_read_to_the_letter(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    """Comments, data over several lines, CRLF and `[DONE]`, as SSE allows."""
    delta = {"type": "response.output_text.delta", "output_index": 0, "delta": "Hi"}
    completed = {"type": "response.completed", "response": response_object("completed")}
    body = (
        ": a comment the server sends to keep the connection\r\n\r\n"
        f"event: response.output_text.delta\r\ndata: {json.dumps(delta)}\r\n\r\n"
        # One JSON object split over two data lines.
        f'data: {{"type": "response.completed",\ndata: "response": '
        f"{json.dumps(completed['response'])}}}\n\n"
        "data: [DONE]\n\n"
        f"data: {json.dumps(delta)}\n\n"
    ).encode()
    llm_server.script_raw(body)
    assert await collect(provider_for(llm_server, client)) == [TextDelta("Hi")]


# --- HTTP errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "status", "error"),
    [
        ("openai_error_401_invalid_api_key.body.json", 401, AuthenticationError),
        ("openai_error_429_insufficient_quota.body.json", 429, RateLimitError),
        ("openai_error_429_rate_limit_exceeded.body.json", 429, RateLimitError),
    ],
)
async def test_recorded_error_bodies(
    llm_server: LLMServer,
    client: httpx.AsyncClient,
    sample: str,
    status: int,
    error: type[ProviderError],
) -> None:
    body = wire_sample(sample)
    llm_server.script_raw(body, "application/json", status)
    with pytest.raises(error) as raised:
        await collect(provider_for(llm_server, client))
    message = json.loads(body)["error"]["message"]
    assert raised.value.detail.startswith(f"HTTP {status}")
    assert KEY not in raised.value.detail
    assert "sk-" not in raised.value.detail
    assert message not in raised.value.detail
    assert message not in str(raised.value)


@pytest.mark.parametrize(
    ("status", "error"), [(404, ModelNotFoundError), (500, ServerError)]
)
async def test_status_errors(
    llm_server: LLMServer,
    client: httpx.AsyncClient,
    status: int,
    error: type[ProviderError],
) -> None:
    body = openai_error_body(status)
    llm_server.script_raw(json.dumps(body).encode(), "application/json", status)
    with pytest.raises(error) as raised:
        await collect(provider_for(llm_server, client))
    assert raised.value.detail.startswith(f"HTTP {status}")
    assert body["error"]["message"] not in raised.value.detail


async def test_wrong_key_through_the_protocol(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.required_key = "sk-right"
    with pytest.raises(AuthenticationError) as raised:
        await collect(provider_for(llm_server, client))
    assert KEY not in raised.value.detail
    assert (
        llm_server.requests_to("/v1/responses")[0].headers["Authorization"]
        == f"Bearer {KEY}"
    )


async def test_timeout(llm_server: LLMServer, client: httpx.AsyncClient) -> None:
    hold = asyncio.Event()
    llm_server.script(Reply(text="Too late.", hold=hold))
    try:
        with pytest.raises(ProviderTimeoutError):
            await collect(provider_for(llm_server, client), request(timeout=0.2))
    finally:
        # Let the held handler finish, so it does not outlive the test.
        hold.set()


# --- What leaves the house ---------------------------------------------------


async def sent_body(
    llm_server: LLMServer, client: httpx.AsyncClient, req: ProviderRequest
) -> dict[str, Any]:
    llm_server.script(Reply(text="OK"))
    await collect(provider_for(llm_server, client), req)
    body: dict[str, Any] = llm_server.requests_to("/v1/responses")[0].json
    return body


async def test_request_body_defaults(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    body = await sent_body(
        llm_server,
        client,
        request(
            temperature=0.4, max_tokens=300, user="conversation-1234", tools=[TURN_ON]
        ),
    )
    assert body["model"] == "gpt-4o"
    assert body["stream"] is True
    assert body["store"] is False
    assert body["instructions"] == "You are a voice assistant."
    assert body["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Turn on the kitchen lights"}],
        }
    ]
    assert body["max_output_tokens"] == 300
    assert body["temperature"] == 0.4
    assert body["tools"] == [
        {
            "type": "function",
            "name": "HassTurnOn",
            "description": "Turns on a device",
            "parameters": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
            },
            "strict": False,
        }
    ]
    assert "reasoning" not in body
    # Nothing that identifies the person or the conversation across requests.
    assert "user" not in body
    assert "safety_identifier" not in body
    assert "prompt_cache_key" not in body
    assert (
        "conversation-1234"
        not in llm_server.requests_to("/v1/responses")[0].body.decode()
    )


async def test_store_only_when_allowed(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    body = await sent_body(llm_server, client, request(options={"store": True}))
    assert body["store"] is True


async def test_reasoning_effort_drops_temperature(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    body = await sent_body(
        llm_server,
        client,
        request(temperature=0.7, options={"reasoning_effort": "low"}),
    )
    assert body["reasoning"] == {"effort": "low"}
    assert "temperature" not in body
    assert body["store"] is False


async def test_image_is_sent_as_data_url(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    image = bytes(range(256)) * 3
    messages = [
        UserMessage(
            "What is on the doorstep?", images=(ImagePart("image/jpeg", image),)
        )
    ]
    body = await sent_body(llm_server, client, request(messages=messages))
    assert "instructions" not in body
    (message,) = body["input"]
    assert message["role"] == "user"
    text, image_part = message["content"]
    assert text == {"type": "input_text", "text": "What is on the doorstep?"}
    assert image_part["type"] == "input_image"
    prefix = "data:image/jpeg;base64,"
    assert image_part["image_url"].startswith(prefix)
    assert base64.b64decode(image_part["image_url"].removeprefix(prefix)) == image


async def test_history_with_tool_calls_and_results(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    messages = [
        SystemMessage("You are a voice assistant."),
        UserMessage("Turn on the kitchen lights"),
        AssistantMessage(
            text="Turning them on.",
            tool_calls=(
                ToolCall("call_abc", "HassTurnOn", {"name": "Kitchen lights"}),
            ),
        ),
        ToolResultMessage(
            "call_abc", "HassTurnOn", {"success": True, "targets": ["light.kitchen"]}
        ),
    ]
    body = await sent_body(
        llm_server, client, request(messages=messages, tools=[TURN_ON])
    )
    assert body["instructions"] == "You are a voice assistant."
    user, assistant, function_call, output = body["input"]
    assert user["role"] == "user"
    assert assistant == {
        "type": "message",
        "role": "assistant",
        "content": "Turning them on.",
    }
    assert function_call == {
        "type": "function_call",
        "call_id": "call_abc",
        "name": "HassTurnOn",
        "arguments": json.dumps({"name": "Kitchen lights"}),
    }
    assert output["type"] == "function_call_output"
    assert output["call_id"] == "call_abc"
    assert json.loads(output["output"]) == {
        "success": True,
        "targets": ["light.kitchen"],
    }


# --- Models and locality -----------------------------------------------------


async def test_list_models(llm_server: LLMServer, client: httpx.AsyncClient) -> None:
    llm_server.models = ["gpt-4o", "gpt-4.1-mini", "gpt-4o"]
    assert await provider_for(llm_server, client).async_list_models() == [
        "gpt-4.1-mini",
        "gpt-4o",
    ]
    assert (
        llm_server.requests_to("/v1/models")[0].headers["Authorization"]
        == f"Bearer {KEY}"
    )


async def test_list_models_with_a_wrong_key(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.required_key = "sk-right"
    with pytest.raises(AuthenticationError) as raised:
        await provider_for(llm_server, client).async_list_models()
    assert raised.value.detail == "HTTP 401 (invalid_api_key)"


async def test_is_local(client: httpx.AsyncClient) -> None:
    assert OpenAIProvider(client, KEY).is_local is False
    assert OpenAIProvider(client, KEY, "https://api.openai.com/v1").is_local is False
    # A proxy on the LAN still forwards to the cloud.
    assert OpenAIProvider(client, KEY, "http://192.168.1.20:8080/v1").is_local is False


async def test_stopping_early_closes_the_stream(
    llm_server: LLMServer, client: httpx.AsyncClient
) -> None:
    llm_server.script(Reply(text="A long answer nobody waits for."))
    stream = provider_for(llm_server, client).async_stream(request())
    assert await anext(stream) == TextDelta("A")
    await stream.aclose()  # type: ignore[attr-defined]
    # The connection went back to the pool: a second request works at once.
    llm_server.script(Reply(text="Next."))
    assert await collect(provider_for(llm_server, client)) == [TextDelta("Next.")]
