"""The Anthropic provider against recorded and scripted Messages streams."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import pytest

from custom_components.confidant.providers import (
    AssistantMessage,
    AuthenticationError,
    ConnectionFailedError,
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
from custom_components.confidant.providers.anthropic import AnthropicProvider

from .conftest import wire_sample
from .llm_server import LLMServer, Reply, ToolCallStep
from .protocols.anthropic import SIGNATURE
from .provider_deltas import (
    answer_deltas,
    calls,
    deltas_until_error,
    reasoning,
    text,
)

API_KEY = "sk-ant-test"
MODEL = "claude-haiku-4-5"
MESSAGES_PATH = "/v1/messages"

LIGHT_TOOL = ToolSpec(
    "HassTurnOn",
    "Turns on a device",
    {"type": "object", "properties": {"name": {"type": "string"}}},
)
LIVE_CONTEXT_TOOL = ToolSpec("GetLiveContext", "Current states", {})


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A real HTTP client, closed at the end of the test."""
    async with httpx.AsyncClient() as http_client:
        yield http_client


@pytest.fixture
def provider(client: httpx.AsyncClient, llm_server: LLMServer) -> AnthropicProvider:
    """The provider pointed at the scripted server."""
    return AnthropicProvider(client, API_KEY, f"http://127.0.0.1:{llm_server.port}")


def ask(text: str = "Hello", **kwargs: Any) -> ProviderRequest:
    """A one-question request."""
    messages = kwargs.pop(
        "messages", [SystemMessage("You are a voice assistant."), UserMessage(text)]
    )
    return ProviderRequest(model=MODEL, messages=messages, **kwargs)


async def collect(provider: AnthropicProvider, request: ProviderRequest) -> list[Delta]:
    """Every delta of one answer."""
    return await answer_deltas(provider.async_stream(request))


async def collect_until_error(
    provider: AnthropicProvider, request: ProviderRequest
) -> tuple[list[Delta], ProviderError]:
    """The deltas before the stream failed, and the error."""
    return await deltas_until_error(provider.async_stream(request))


def lowered(headers: dict[str, str]) -> dict[str, str]:
    """Headers with lower-case names (HTTP names are case-insensitive)."""
    return {name.lower(): value for name, value in headers.items()}


def assert_key_sent(headers: dict[str, str]) -> None:
    """The API key went in the header this SDK version uses, and only there.

    anthropic 0.x sends it as x-api-key; anthropic 2 (Home Assistant 2026.11)
    as a bearer token.
    """
    if int(anthropic.__version__.split(".", 1)[0]) >= 2:
        assert headers["authorization"] == f"Bearer {API_KEY}"
        assert "x-api-key" not in headers
    else:
        assert headers["x-api-key"] == API_KEY
        assert "authorization" not in headers


def sent(llm_server: LLMServer, number: int = 0) -> dict[str, Any]:
    """The JSON body of a Messages request the server received."""
    body = llm_server.requests_to(MESSAGES_PATH)[number].json
    assert isinstance(body, dict)
    return body


# --- recorded streams -------------------------------------------------------


async def test_sample_text_with_ping(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """A plain answer; the ping event is ignored."""
    llm_server.script_raw(wire_sample("anthropic_text_ping.sse"))
    deltas = await collect(provider, ask())
    assert deltas == [TextDelta("Hello"), TextDelta(" there"), TextDelta("!")]


async def test_sample_tool_use(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """Text, then a tool call whose input arrives split mid-key."""
    llm_server.script_raw(wire_sample("anthropic_tool_use.sse"))
    deltas = await collect(provider, ask(tools=[LIGHT_TOOL]))
    assert text(deltas) == "I'll check the current weather in Paris for you."
    assert calls(deltas) == [
        ToolCall("toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather", {"location": "Paris"})
    ]
    # The call comes last, after all the text.
    assert isinstance(deltas[-1], ToolCallDelta)


async def test_sample_thinking_then_text(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """Thinking deltas are reasoning; the empty thinking delta and the signature are not."""
    llm_server.script_raw(wire_sample("anthropic_thinking_text.sse"))
    deltas = await collect(provider, ask(options={"thinking_budget": 1024}))
    assert reasoning(deltas) == (
        "This is a straightforward question about pedestrian safety. I should provide clear, helpful advice"
        " about how to safely cross a street. This is basic safety information that could help prevent accidents."
    )
    assert all(
        delta.text for delta in deltas if isinstance(delta, ReasoningDelta | TextDelta)
    )
    assert text(deltas) == (
        "Here are the basic steps for safely crossing the street:\n\n**At inters crossing streets."
    )
    # All reasoning comes before the answer.
    kinds = [type(delta) for delta in deltas]
    assert kinds.index(TextDelta) > max(
        i for i, kind in enumerate(kinds) if kind is ReasoningDelta
    )
    assert calls(deltas) == []


async def test_sample_thinking_tool_use_is_sent_back(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """The signed thinking block of a tool-calling answer goes back with the tool result."""
    llm_server.script_raw(wire_sample("anthropic_thinking_tool_use.sse"))
    llm_server.script(Reply(text="It is sunny in Florence."))
    question = [
        SystemMessage("You are a voice assistant."),
        UserMessage("What's the weather in Florence, Italy?"),
    ]
    weather = ToolSpec(
        "weather", "Get weather information for a location", {"type": "object"}
    )
    deltas = await collect(
        provider,
        ask(messages=question, tools=[weather], options={"thinking_budget": 4000}),
    )
    thought = reasoning(deltas)
    assert thought.startswith(
        "The user is asking for weather information for Florence, Italy. I have"
    )
    assert thought.endswith(
        "I have all the required parameters to make the function call."
    )
    (call,) = calls(deltas)
    assert call == ToolCall(
        "toolu_01Js4AMfx5qpTLhwTusnvT68", "weather", {"location": "Florence, Italy"}
    )

    history = [
        *question,
        AssistantMessage(tool_calls=(call,)),
        ToolResultMessage(call.id, "weather", {"forecast": "sunny"}),
    ]
    deltas = await collect(
        provider,
        ask(messages=history, tools=[weather], options={"thinking_budget": 4000}),
    )
    assert text(deltas) == "It is sunny in Florence."

    body = sent(llm_server, 1)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4000}
    assistant = body["messages"][1]
    assert assistant["role"] == "assistant"
    thinking, tool_use = assistant["content"]
    assert thinking["type"] == "thinking"
    assert thinking["thinking"] == thought
    assert thinking["signature"].startswith(
        "EtYDCkYICxgCKkAVHEWRYo6RgSMs4ZZDX4gW16kdfp2EIXft"
    )
    assert thinking["signature"].endswith("hjqk+7Mi+DoMcINUh7SCK9rVl4VeDhPFVAYAQ==")
    assert tool_use == {
        "type": "tool_use",
        "id": "toolu_01Js4AMfx5qpTLhwTusnvT68",
        "name": "weather",
        "input": {"location": "Florence, Italy"},
    }
    assert body["messages"][2]["content"][0]["type"] == "tool_result"


async def test_sample_max_tokens_mid_tool_input(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """A tool input cut off by max_tokens is an invalid call, not an exception."""
    llm_server.script_raw(wire_sample("anthropic_max_tokens_mid_tool_input.sse"))
    deltas = await collect(provider, ask(tools=[LIGHT_TOOL]))
    assert text(deltas) == (
        "I'll create a comprehensive tax guide for someone with multiple W2s and save it in a file called"
        " taxes.txt. Let me do that for you now."
    )
    (call,) = calls(deltas)
    assert call.id == "toolu_01EKqbqmZrGRXy18eN7m9kvY"
    assert call.name == "make_file"
    assert call.arguments == {}
    assert call.invalid_arguments is not None
    assert "max_tokens" in call.invalid_arguments


async def test_sample_overloaded_mid_stream(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """An error event inside an HTTP-200 stream is a server error, after the text so far."""
    llm_server.script_raw(wire_sample("anthropic_error_overloaded_midstream.sse"))
    deltas, error = await collect_until_error(provider, ask())
    assert deltas == [TextDelta("Hello")]
    assert type(error) is ServerError
    assert "overloaded_error" in error.detail
    assert "Overloaded" not in error.detail


# --- scripted streams -------------------------------------------------------


async def test_text_word_by_word(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """Each text_delta becomes one text delta."""
    llm_server.script(Reply(text="The kitchen lights are on."))
    deltas = await collect(provider, ask())
    assert deltas == [
        TextDelta(word) for word in ["The", " kitchen", " lights", " are", " on."]
    ]


async def test_one_tool_call(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """A tool call assembled from input_json_delta fragments."""
    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep(
                    "HassTurnOn",
                    {"name": "Kitchen lights", "domain": ["light"]},
                    id="toolu_01A",
                )
            ]
        )
    )
    deltas = await collect(provider, ask(tools=[LIGHT_TOOL]))
    assert deltas == [
        ToolCallDelta(
            ToolCall(
                "toolu_01A",
                "HassTurnOn",
                {"name": "Kitchen lights", "domain": ["light"]},
            )
        )
    ]


async def test_two_parallel_tool_calls(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """Two tool_use blocks, in order, after the text."""
    llm_server.script(
        Reply(
            text="Turning both on.",
            tool_calls=[
                ToolCallStep("HassTurnOn", {"name": "Kitchen lights"}, id="toolu_01A"),
                ToolCallStep("HassTurnOn", {"name": "Hallway light"}, id="toolu_01B"),
            ],
        )
    )
    deltas = await collect(provider, ask(tools=[LIGHT_TOOL]))
    assert text(deltas) == "Turning both on."
    assert calls(deltas) == [
        ToolCall("toolu_01A", "HassTurnOn", {"name": "Kitchen lights"}),
        ToolCall("toolu_01B", "HassTurnOn", {"name": "Hallway light"}),
    ]


async def test_malformed_tool_arguments(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """Broken JSON makes a call with invalid_arguments; the stream goes on."""
    llm_server.script(
        Reply(
            tool_calls=[ToolCallStep("HassTurnOn", '{"name": "Kitchen', id="toolu_01A")]
        )
    )
    (call,) = calls(await collect(provider, ask(tools=[LIGHT_TOOL])))
    assert call.name == "HassTurnOn"
    assert call.arguments == {}
    assert call.invalid_arguments is not None


async def test_reasoning(provider: AnthropicProvider, llm_server: LLMServer) -> None:
    """A thinking block streams as reasoning, before the answer."""
    llm_server.script(Reply(reasoning="The person wants light.", text="Done."))
    deltas = await collect(provider, ask(options={"thinking_budget": 2048}))
    assert deltas == [
        ReasoningDelta("The"),
        ReasoningDelta(" person"),
        ReasoningDelta(" wants"),
        ReasoningDelta(" light."),
        TextDelta("Done."),
    ]


async def test_cut_stream(provider: AnthropicProvider, llm_server: LLMServer) -> None:
    """A connection dropped mid-answer is an interrupted stream."""
    llm_server.script(Reply(text="one two three four five", cut_after=5))
    deltas, error = await collect_until_error(provider, ask())
    assert type(error) is StreamInterruptedError
    assert text(deltas) == "one two"


async def test_stream_closed_before_the_end(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """A stream that ends cleanly but without message_stop is interrupted too."""
    sample = wire_sample("anthropic_text_ping.sse")
    llm_server.script_raw(sample[: sample.index(b"event: content_block_stop")])
    deltas, error = await collect_until_error(provider, ask())
    assert type(error) is StreamInterruptedError
    assert text(deltas) == "Hello there!"


# --- errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "status", "error_type"),
    [
        ("anthropic_error_401_authentication.body.json", 401, AuthenticationError),
        ("anthropic_error_429_rate_limit.body.json", 429, RateLimitError),
        ("anthropic_error_529_overloaded.body.json", 529, ServerError),
    ],
)
async def test_error_bodies(
    provider: AnthropicProvider,
    llm_server: LLMServer,
    sample: str,
    status: int,
    error_type: type[ProviderError],
) -> None:
    """Recorded error answers map to their provider errors, keeping only status and type."""
    body = wire_sample(sample)
    error_json = json.loads(body)["error"]
    llm_server.script_raw(body, "application/json", status)
    deltas, error = await collect_until_error(provider, ask())
    assert deltas == []
    assert type(error) is error_type
    assert error.detail == f"HTTP {status} ({error_json['type']})"
    assert error_json["message"] not in str(error)
    assert API_KEY not in str(error)


async def test_model_not_found(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """404 is a missing model."""
    llm_server.script(Reply(status=404))
    _, error = await collect_until_error(provider, ask())
    assert type(error) is ModelNotFoundError
    assert error.detail == "HTTP 404 (not_found_error)"
    assert "missing" not in error.detail


async def test_wrong_key(client: httpx.AsyncClient, llm_server: LLMServer) -> None:
    """The server checks x-api-key; a wrong key is an authentication error."""
    llm_server.required_key = "sk-ant-right"
    provider = AnthropicProvider(
        client, "sk-ant-wrong", f"http://127.0.0.1:{llm_server.port}"
    )
    _, error = await collect_until_error(provider, ask())
    assert type(error) is AuthenticationError
    assert "sk-ant-wrong" not in str(error)
    with pytest.raises(AuthenticationError):
        await provider.async_list_models()


async def test_cannot_connect(client: httpx.AsyncClient, llm_server: LLMServer) -> None:
    """Nothing listening is a connection failure."""
    await llm_server.stop()
    provider = AnthropicProvider(client, API_KEY, f"http://127.0.0.1:{llm_server.port}")
    _, error = await collect_until_error(provider, ask())
    assert type(error) is ConnectionFailedError


async def test_timeout(provider: AnthropicProvider, llm_server: LLMServer) -> None:
    """A server that never answers times out."""
    hold = asyncio.Event()
    llm_server.script(Reply(text="late", hold=hold))
    try:
        _, error = await collect_until_error(provider, ask(timeout=0.2))
    finally:
        hold.set()
    assert type(error) is ProviderTimeoutError


# --- models and locality ----------------------------------------------------


async def test_list_models(provider: AnthropicProvider, llm_server: LLMServer) -> None:
    """Model ids come from GET /v1/models in Anthropic's shape."""
    llm_server.models = ["claude-sonnet-4-5", "claude-haiku-4-5"]
    assert await provider.async_list_models() == [
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
    ]
    (request,) = llm_server.requests_to("/v1/models")
    headers = lowered(request.headers)
    assert_key_sent(headers)
    assert "anthropic-version" in headers


async def test_is_local(client: httpx.AsyncClient) -> None:
    """The cloud is never local, not even behind a proxy on the LAN."""
    assert AnthropicProvider(client, API_KEY).is_local is False
    assert (
        AnthropicProvider(client, API_KEY, "https://api.anthropic.com").is_local
        is False
    )
    assert (
        AnthropicProvider(client, API_KEY, "http://192.168.1.20:4000").is_local is False
    )


# --- the request ------------------------------------------------------------


async def test_request_headers_system_and_tools(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """The key goes in the SDK's header; the system prompt and the tool list end in cache breakpoints."""
    llm_server.script(Reply(text="Hi."))
    await collect(
        provider,
        ask(
            "Hi",
            tools=[LIGHT_TOOL, LIVE_CONTEXT_TOOL],
            max_tokens=300,
            temperature=0.5,
            user="conv-1",
        ),
    )
    request = llm_server.requests_to(MESSAGES_PATH)[0]
    headers = lowered(request.headers)
    assert_key_sent(headers)
    assert "anthropic-version" in headers
    body = request.json
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["max_tokens"] == 300
    # The Messages API of anthropic 2 takes no temperature; none is sent.
    assert "temperature" not in body
    assert body["metadata"] == {"user_id": "conv-1"}
    assert "thinking" not in body
    assert body["system"] == [
        {
            "type": "text",
            "text": "You are a voice assistant.",
            "cache_control": {"type": "ephemeral"},
        }
    ]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]}
    ]
    assert body["tools"] == [
        {
            "name": "HassTurnOn",
            "description": "Turns on a device",
            "input_schema": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
            },
        },
        {
            "name": "GetLiveContext",
            "description": "Current states",
            "input_schema": {"type": "object", "properties": {}},
            "cache_control": {"type": "ephemeral"},
        },
    ]


async def test_request_two_round_history(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """tool_use and tool_result pairs in order; roles alternate; consecutive results merge."""
    llm_server.script(Reply(text="Both are on."))
    history = [
        SystemMessage("You are a voice assistant."),
        UserMessage("Turn on the kitchen"),
        AssistantMessage(
            tool_calls=(ToolCall("toolu_1", "HassTurnOn", {"name": "Kitchen"}),)
        ),
        ToolResultMessage("toolu_1", "HassTurnOn", {"success": True}),
        AssistantMessage("Done."),
        UserMessage("And the hallway and the porch"),
        AssistantMessage(
            "Turning them on.",
            tool_calls=(
                ToolCall("toolu_2", "HassTurnOn", {"name": "Hallway"}),
                ToolCall("call.other/3", "HassTurnOn", {"name": "Porch"}),
            ),
        ),
        ToolResultMessage("toolu_2", "HassTurnOn", {"success": True}),
        ToolResultMessage(
            "call.other/3", "HassTurnOn", {"error": "no such device"}, is_error=True
        ),
        UserMessage("Thanks"),
    ]
    await collect(provider, ask(messages=history, tools=[LIGHT_TOOL]))
    messages = sent(llm_server)["messages"]
    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": "Turn on the kitchen"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "HassTurnOn",
                    "input": {"name": "Kitchen"},
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": '{"success": true}',
                }
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
        {
            "role": "user",
            "content": [{"type": "text", "text": "And the hallway and the porch"}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Turning them on."},
                {
                    "type": "tool_use",
                    "id": "toolu_2",
                    "name": "HassTurnOn",
                    "input": {"name": "Hallway"},
                },
                {
                    "type": "tool_use",
                    "id": "call_other_3",
                    "name": "HassTurnOn",
                    "input": {"name": "Porch"},
                    # The end of what the next turn repeats: a breakpoint.
                    "cache_control": {"type": "ephemeral"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "content": '{"success": true}',
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "call_other_3",
                    "content": '{"error": "no such device"}',
                    "is_error": True,
                },
                {"type": "text", "text": "Thanks"},
            ],
        },
    ]
    roles = [message["role"] for message in messages]
    assert all(first != second for first, second in itertools.pairwise(roles))


async def test_request_merges_consecutive_messages(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """Two user messages in a row become one; empty messages are dropped."""
    llm_server.script(Reply(text="Ok."))
    history = [
        SystemMessage("Be brief."),
        SystemMessage("Answer in English."),
        UserMessage("First"),
        AssistantMessage(""),
        UserMessage("Second"),
    ]
    await collect(provider, ask(messages=history))
    body = sent(llm_server)
    assert body["system"][0]["text"] == "Be brief.\n\nAnswer in English."
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "First"},
                {"type": "text", "text": "Second"},
            ],
        },
    ]


async def test_request_image(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """An image goes as a base64 block, before the question."""
    llm_server.script(Reply(text="A cat."))
    picture = bytes(range(256)) * 3
    question = UserMessage("What is this?", images=(ImagePart("image/png", picture),))
    await collect(provider, ask(messages=[SystemMessage("Describe."), question]))
    image, text = sent(llm_server)["messages"][0]["content"]
    assert image["type"] == "image"
    assert image["source"]["type"] == "base64"
    assert image["source"]["media_type"] == "image/png"
    assert base64.b64decode(image["source"]["data"]) == picture
    assert text == {"type": "text", "text": "What is this?"}


async def test_request_thinking(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """A budget turns thinking on and raises max_tokens above it; no temperature."""
    llm_server.script(Reply(text="Ok."), Reply(text="Ok."))
    await collect(
        provider,
        ask(max_tokens=500, temperature=0.3, options={"thinking_budget": 2000}),
    )
    await collect(
        provider, ask(max_tokens=500, temperature=0.3, options={"thinking_budget": 512})
    )
    with_thinking, too_small = sent(llm_server, 0), sent(llm_server, 1)
    assert with_thinking["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert with_thinking["max_tokens"] == 2500
    assert "temperature" not in with_thinking
    assert "thinking" not in too_small
    assert too_small["max_tokens"] == 500
    assert "temperature" not in too_small


async def test_thinking_kept_for_the_tool_loop(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """Scripted: the thinking block and its signature come back with the tool result."""
    llm_server.script(
        Reply(
            reasoning="Kitchen, so HassTurnOn.",
            tool_calls=[ToolCallStep("HassTurnOn", {"name": "Kitchen"}, id="toolu_T1")],
        ),
        Reply(text="Done."),
    )
    question = [
        SystemMessage("You are a voice assistant."),
        UserMessage("Kitchen lights on"),
    ]
    options = {"thinking_budget": 1024}
    (call,) = calls(
        await collect(
            provider, ask(messages=question, tools=[LIGHT_TOOL], options=options)
        )
    )
    history = [
        *question,
        AssistantMessage(tool_calls=(call,)),
        ToolResultMessage(call.id, call.name, {"success": True}),
    ]
    await collect(provider, ask(messages=history, tools=[LIGHT_TOOL], options=options))
    body = sent(llm_server, 1)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["messages"][1]["content"] == [
        {
            "type": "thinking",
            "thinking": "Kitchen, so HassTurnOn.",
            "signature": SIGNATURE,
        },
        {
            "type": "tool_use",
            "id": "toolu_T1",
            "name": "HassTurnOn",
            "input": {"name": "Kitchen"},
        },
    ]


async def test_thinking_off_when_the_tool_loop_has_no_thinking(
    provider: AnthropicProvider, llm_server: LLMServer
) -> None:
    """Unknown thinking for the loop's tool calls: thinking is off for the request, not a 400."""
    llm_server.script(Reply(text="Done."))
    history = [
        SystemMessage("You are a voice assistant."),
        UserMessage("Kitchen lights on"),
        AssistantMessage(
            tool_calls=(ToolCall("toolu_unknown", "HassTurnOn", {"name": "Kitchen"}),)
        ),
        ToolResultMessage("toolu_unknown", "HassTurnOn", {"success": True}),
    ]
    await collect(
        provider,
        ask(
            messages=history,
            tools=[LIGHT_TOOL],
            temperature=0.2,
            options={"thinking_budget": 1024},
        ),
    )
    body = sent(llm_server)
    assert "thinking" not in body
    assert body["max_tokens"] == 1024
    assert "temperature" not in body
    assert body["messages"][1]["content"] == [
        {
            "type": "tool_use",
            "id": "toolu_unknown",
            "name": "HassTurnOn",
            "input": {"name": "Kitchen"},
        }
    ]
