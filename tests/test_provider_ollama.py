"""The Ollama provider against the loopback server's native Ollama API."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator
from unittest.mock import Mock

import aiohttp
import pytest

from custom_components.confidant.providers import (
    AssistantMessage,
    AuthenticationError,
    BadRequestError,
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
from custom_components.confidant.providers.ollama import OllamaProvider, _lines

from .conftest import WIRE_SAMPLES, wire_sample
from .llm_server import LLMServer, Reply, ToolCallStep
from .provider_deltas import answer_deltas, calls, deltas_until_error, reasoning

NDJSON = "application/x-ndjson"
# A tiny PNG's first bytes: enough to check the encoding round trip.
IMAGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    client = aiohttp.ClientSession()
    yield client
    await client.close()


@pytest.fixture
def provider(session: aiohttp.ClientSession, llm_server: LLMServer) -> OllamaProvider:
    return OllamaProvider(session, f"http://127.0.0.1:{llm_server.port}")


def ask(text: str = "Turn on the kitchen lights", **kwargs: object) -> ProviderRequest:
    return ProviderRequest(model="llama3.2", messages=[UserMessage(text)], **kwargs)  # type: ignore[arg-type]


async def collect(
    provider: OllamaProvider, request: ProviderRequest | None = None
) -> list[Delta]:
    return await answer_deltas(provider.async_stream(request or ask()))


async def collect_until_error(
    provider: OllamaProvider,
    error: type[ProviderError],
    request: ProviderRequest | None = None,
) -> tuple[list[Delta], ProviderError]:
    """Return the deltas received before the stream failed, and the error."""
    deltas, caught = await deltas_until_error(provider.async_stream(request or ask()))
    assert isinstance(caught, error), caught
    return deltas, caught


# --- Recorded streams, replayed verbatim ------------------------------------

SAMPLE_DELTAS: dict[str, list[Delta]] = {
    "ollama_chat_text.ndjson": [TextDelta("The")],
    "ollama_chat_tool_calls.ndjson": [
        ToolCallDelta(ToolCall("", "get_weather", {"city": "Tokyo"}))
    ],
}
SAMPLE_ERRORS: dict[str, type[ProviderError]] = {
    "ollama_generate_midstream_error.ndjson": ServerError,
}


def test_every_ollama_sample_is_replayed() -> None:
    """A new capture in wire_samples must be added to these tests."""
    samples = {path.name for path in WIRE_SAMPLES.glob("ollama_*.ndjson")}
    assert samples == set(SAMPLE_DELTAS) | set(SAMPLE_ERRORS)


def _without_ids(deltas: list[Delta]) -> list[Delta]:
    """Blank the ids Confidant makes up (Ollama sends none)."""
    return [
        ToolCallDelta(
            ToolCall("", d.call.name, d.call.arguments, d.call.invalid_arguments)
        )
        if isinstance(d, ToolCallDelta)
        else d
        for d in deltas
    ]


@pytest.mark.parametrize("name", sorted(SAMPLE_DELTAS))
async def test_sample_replayed(
    provider: OllamaProvider, llm_server: LLMServer, name: str
) -> None:
    llm_server.script_raw(wire_sample(name), NDJSON)

    deltas = await collect(provider)

    assert _without_ids(deltas) == SAMPLE_DELTAS[name]
    for call in calls(deltas):
        assert call.id.startswith("call_")


async def test_sample_midstream_error(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    """An `{"error": ...}` line inside an HTTP-200 stream is a server error.

    The capture comes from /api/generate (`response`, not `message`), so no
    text comes before the error on /api/chat's reading.
    """
    llm_server.script_raw(wire_sample("ollama_generate_midstream_error.ndjson"), NDJSON)

    deltas, error = await collect_until_error(provider, ServerError)

    assert deltas == []
    assert "encountered" not in str(error)


# --- Scripted replies through the protocol module ---------------------------


async def test_text_streamed_word_by_word(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    reply = Reply(text="The kitchen lights are on.")
    llm_server.script(reply)

    deltas = await collect(provider)

    assert deltas == [TextDelta(word) for word in reply.words()]


async def test_thinking_is_reasoning(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    llm_server.script(Reply(reasoning="The person wants light.", text="Done."))

    deltas = await collect(provider)

    assert reasoning(deltas).strip() == "The person wants light."
    assert [d for d in deltas if not isinstance(d, ReasoningDelta)] == [
        TextDelta("Done.")
    ]
    # Reasoning comes first, as the model thinks before it answers.
    assert isinstance(deltas[0], ReasoningDelta)


async def test_one_tool_call(provider: OllamaProvider, llm_server: LLMServer) -> None:
    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep(
                    "HassTurnOn", {"name": "Kitchen lights", "domain": ["light"]}
                )
            ]
        )
    )

    deltas = await collect(provider)

    (call,) = calls(deltas)
    assert len(deltas) == 1
    assert call.name == "HassTurnOn"
    assert call.arguments == {"name": "Kitchen lights", "domain": ["light"]}
    assert call.invalid_arguments is None
    assert call.id.startswith("call_")


async def test_two_parallel_tool_calls(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    llm_server.script(
        Reply(
            text="Sure.",
            tool_calls=[
                ToolCallStep("HassTurnOn", {"name": "Kitchen lights"}),
                ToolCallStep("HassTurnOff", {"name": "Hallway light"}),
            ],
        )
    )

    deltas = await collect(provider)

    assert deltas[0] == TextDelta("Sure.")
    first, second = calls(deltas)
    assert (first.name, first.arguments) == ("HassTurnOn", {"name": "Kitchen lights"})
    assert (second.name, second.arguments) == ("HassTurnOff", {"name": "Hallway light"})
    assert first.id != second.id


async def test_server_tool_call_id_is_kept(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    """Newer Ollama versions send an id; it is used as it is."""
    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep("HassTurnOn", {"name": "Kitchen"}, id="call_abc123")
            ]
        )
    )

    (call,) = calls(await collect(provider))

    assert call.id == "call_abc123"


@pytest.mark.parametrize(
    "arguments",
    [
        '{"name": "Kitchen lights", "area": ""}',
        json.dumps(json.dumps({"name": "Kitchen lights"})),
        '```json\n{"name": "Kitchen lights"}\n```',
    ],
    ids=["json-string", "double-encoded", "code-fence"],
)
async def test_string_arguments_are_repaired(
    provider: OllamaProvider, llm_server: LLMServer, arguments: str
) -> None:
    llm_server.script(Reply(tool_calls=[ToolCallStep("HassTurnOn", arguments)]))

    (call,) = calls(await collect(provider))

    assert call.arguments == {"name": "Kitchen lights"}
    assert call.invalid_arguments is None


@pytest.mark.parametrize(
    "arguments", ['{"name": "Kitchen', "[1, 2]"], ids=["truncated", "not-an-object"]
)
async def test_malformed_arguments_are_reported(
    provider: OllamaProvider, llm_server: LLMServer, arguments: str
) -> None:
    llm_server.script(Reply(tool_calls=[ToolCallStep("HassTurnOn", arguments)]))

    (call,) = calls(await collect(provider))

    assert call.name == "HassTurnOn"
    assert call.arguments == {}
    assert call.invalid_arguments


async def test_cut_stream(provider: OllamaProvider, llm_server: LLMServer) -> None:
    llm_server.script(Reply(text="The kitchen lights are on.", cut_after=2))

    deltas, error = await collect_until_error(provider, StreamInterruptedError)

    assert deltas == [TextDelta("The"), TextDelta(" kitchen")]
    # The transport broke mid-body (not a clean end without `done`).
    assert error.detail == "ClientPayloadError"


async def test_stream_ending_without_done(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    """A clean end of the body before `done: true` is still a cut answer."""
    first_line = wire_sample("ollama_chat_text.ndjson").split(b"\n")[0] + b"\n"
    llm_server.script_raw(first_line, NDJSON)

    deltas, error = await collect_until_error(provider, StreamInterruptedError)

    assert deltas == [TextDelta("The")]
    assert error.detail == "stream ended before done"


async def test_malformed_line(provider: OllamaProvider, llm_server: LLMServer) -> None:
    first_line = wire_sample("ollama_chat_text.ndjson").split(b"\n")[0] + b"\n"
    llm_server.script_raw(first_line + b'{"model":"llama3.2","message":{"rol\n', NDJSON)

    deltas, _ = await collect_until_error(provider, StreamInterruptedError)

    assert deltas == [TextDelta("The")]


async def test_crlf_and_blank_lines(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    """A proxy that rewrites line endings or adds keep-alive blank lines."""
    sample = wire_sample("ollama_chat_text.ndjson").replace(b"\n", b"\r\n\r\n")
    llm_server.script_raw(sample, NDJSON)

    assert await collect(provider) == [TextDelta("The")]


async def test_lines_split_across_reads() -> None:
    """A line arriving in pieces is put together; a last line needs no newline."""
    reader = aiohttp.StreamReader(
        Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop()
    )
    for piece in (b'{"a":', b"1}\n{", b'"b":2}\n\n{"c"', b":3}"):
        reader.feed_data(piece)
    reader.feed_eof()

    lines = [json.loads(line) async for line in _lines(reader)]

    assert lines == [{"a": 1}, {"b": 2}, {"c": 3}]


# --- HTTP errors --------------------------------------------------------------


@pytest.mark.parametrize(
    "sample",
    [
        "ollama_error_404_model_not_found.body.json",
        "ollama_error_404_model_not_found_try_pulling.body.json",
    ],
)
async def test_model_not_found(
    provider: OllamaProvider, llm_server: LLMServer, sample: str
) -> None:
    llm_server.script(Reply(status=404, error_body=json.loads(wire_sample(sample))))

    _, error = await collect_until_error(provider, ModelNotFoundError)

    # The detail is the status, never the body.
    assert error.detail == "HTTP 404"
    assert "llama3.2" not in str(error)


async def test_other_404_is_a_wrong_url(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    """Not Ollama's API at that URL (Go's default 404 page, a proxy's page)."""
    llm_server.script_raw(b"404 page not found", "text/plain", status=404)

    _, error = await collect_until_error(provider, ConnectionFailedError)

    assert error.detail == "HTTP 404"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
async def test_http_errors(
    provider: OllamaProvider,
    llm_server: LLMServer,
    status: int,
    error_type: type[ProviderError],
) -> None:
    llm_server.script(Reply(status=status))

    deltas, error = await collect_until_error(provider, error_type)

    assert deltas == []
    assert error.detail == f"HTTP {status}"


async def test_missing_key_is_an_auth_error(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    llm_server.required_key = "proxy-secret"

    await collect_until_error(provider, AuthenticationError)
    with pytest.raises(AuthenticationError):
        await provider.async_list_models()


async def test_connection_refused(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    provider = OllamaProvider(session, f"http://127.0.0.1:{port}")

    await collect_until_error(provider, ConnectionFailedError)
    with pytest.raises(ConnectionFailedError):
        await provider.async_list_models()


async def test_silent_server_times_out(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    hold = asyncio.Event()
    llm_server.script(Reply(text="Too late.", hold=hold))
    try:
        await collect_until_error(provider, ProviderTimeoutError, ask(timeout=0.2))
    finally:
        hold.set()


# --- What was sent --------------------------------------------------------------


async def test_request_body(provider: OllamaProvider, llm_server: LLMServer) -> None:
    llm_server.script(Reply(text="Done."))
    request = ProviderRequest(
        model="qwen3:8b",
        messages=[
            SystemMessage("You control a home."),
            UserMessage("What is this?", images=(ImagePart("image/png", IMAGE),)),
            AssistantMessage(
                "Let me check.",
                tool_calls=(ToolCall("call_1", "GetLiveContext", {"area": "Kitchen"}),),
            ),
            ToolResultMessage(
                "call_1", "GetLiveContext", {"success": True, "result": "on"}
            ),
            UserMessage("Thanks"),
        ],
        tools=[
            ToolSpec(
                "HassTurnOn", "Turns on a device", {"type": "object", "properties": {}}
            ),
            ToolSpec("GetLiveContext", None, {"type": "object"}),
        ],
        max_tokens=200,
        temperature=0.3,
        options={"keep_alive": -1.0, "num_ctx": 8192.0},
    )

    await collect(provider, request)

    (sent,) = llm_server.requests_to("/api/chat")
    body = sent.json
    assert body["model"] == "qwen3:8b"
    assert body["stream"] is True
    system, user, assistant, tool, last = body["messages"]
    assert system == {"role": "system", "content": "You control a home."}
    assert user["role"] == "user"
    assert user["content"] == "What is this?"
    assert [base64.b64decode(image) for image in user["images"]] == [IMAGE]
    assert assistant == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {"function": {"name": "GetLiveContext", "arguments": {"area": "Kitchen"}}}
        ],
    }
    assert tool == {
        "role": "tool",
        "content": json.dumps({"success": True, "result": "on"}),
        "tool_name": "GetLiveContext",
    }
    assert last == {"role": "user", "content": "Thanks"}
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "HassTurnOn",
                "parameters": {"type": "object", "properties": {}},
                "description": "Turns on a device",
            },
        },
        {
            "type": "function",
            "function": {"name": "GetLiveContext", "parameters": {"type": "object"}},
        },
    ]
    assert body["options"] == {"num_ctx": 8192, "temperature": 0.3, "num_predict": 200}
    # Integers on the wire, as Ollama's Go types expect.
    assert isinstance(body["options"]["num_ctx"], int)
    assert body["keep_alive"] == -1
    assert isinstance(body["keep_alive"], int)
    assert "think" not in body
    assert "Authorization" not in sent.headers


async def test_minimal_request_body(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    """No tools, temperature or Ollama options: nothing is sent for them."""
    llm_server.script(Reply(text="Hi."))

    await collect(provider, ask("Hello"))

    body = llm_server.requests_to("/api/chat")[0].json
    assert body == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "Hello"}],
        "stream": True,
        "options": {"num_predict": 1024},
    }


@pytest.mark.parametrize("think", [True, False])
async def test_think_sent_when_set(
    provider: OllamaProvider, llm_server: LLMServer, think: bool
) -> None:
    llm_server.script(Reply(text="Hi."))

    await collect(provider, ask(options={"think": think}))

    assert llm_server.requests_to("/api/chat")[0].json["think"] is think


async def test_api_key_sent_as_bearer(
    session: aiohttp.ClientSession, llm_server: LLMServer
) -> None:
    llm_server.required_key = "proxy-secret"
    llm_server.script(Reply(text="Hi."))
    provider = OllamaProvider(
        session, f"http://127.0.0.1:{llm_server.port}/", "proxy-secret"
    )

    assert await collect(provider) == [TextDelta("Hi.")]
    assert await provider.async_list_models() == sorted(llm_server.models)

    for sent in llm_server.requests:
        assert sent.headers["Authorization"] == "Bearer proxy-secret"


# --- Models and locality ----------------------------------------------------------


async def test_list_models(provider: OllamaProvider, llm_server: LLMServer) -> None:
    llm_server.models = ["qwen3:8b", "llama3.2:3b"]

    assert await provider.async_list_models() == ["llama3.2:3b", "qwen3:8b"]
    (sent,) = llm_server.requests_to("/api/tags")
    assert sent.method == "GET"
    assert "Authorization" not in sent.headers


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(401, AuthenticationError), (404, ConnectionFailedError), (500, ServerError)],
)
async def test_list_models_errors(
    provider: OllamaProvider,
    llm_server: LLMServer,
    status: int,
    error_type: type[ProviderError],
) -> None:
    llm_server.models_status = status

    with pytest.raises(error_type):
        await provider.async_list_models()


async def test_no_models_pulled(
    provider: OllamaProvider, llm_server: LLMServer
) -> None:
    llm_server.models = []
    assert await provider.async_list_models() == []


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434", True),
        ("http://192.168.1.20:11434", True),
        ("http://ollama.local:11434", True),
        ("https://ollama.com", False),
    ],
)
async def test_is_local(session: aiohttp.ClientSession, url: str, local: bool) -> None:
    assert OllamaProvider(session, url).is_local is local
