"""One conformance suite, every provider: full conversations through Home Assistant.

Each case scripts the loopback server, talks to the agent the way Assist does,
and asserts what a person would observe (the answer, the light, the agent's
availability) and what the provider received on the wire.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import conversation
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_TIMEOUT,
    DOMAIN,
)

from .conftest import (
    AGENT_ID,
    TINY_JPEG,
    TURN_ON_KITCHEN,
    Home,
    agent_subentry,
    ask,
    async_load_provider_entry,
    run_turn_with_image,
    speech,
    tiny_jpeg_file,
)
from .ha_versions import chat_session_for
from .llm_server import LLMServer, RecordedRequest, Reply, ToolCallStep


@dataclass(frozen=True)
class Wire:
    """How each protocol carries what the tests look at."""

    path: str

    def tool_results(self, kind: str, body: dict[str, Any]) -> list[str]:
        """The text of every tool result in a request, in order."""
        if kind == "openai":
            return [
                item["output"]
                for item in body["input"]
                if item.get("type") == "function_call_output"
            ]
        if kind == "anthropic":
            results = []
            for message in body["messages"]:
                if isinstance(message["content"], list):
                    for block in message["content"]:
                        if block.get("type") == "tool_result":
                            content = block["content"]
                            results.append(
                                content
                                if isinstance(content, str)
                                else json.dumps(content)
                            )
            return results
        return [
            message["content"]
            for message in body["messages"]
            if message["role"] == "tool"
        ]

    def images(self, kind: str, body: dict[str, Any]) -> list[bytes]:
        """Every image in a request, decoded."""
        found: list[bytes] = []
        if kind == "ollama":
            for message in body["messages"]:
                found.extend(
                    base64.b64decode(image) for image in message.get("images", [])
                )
            return found
        messages = body["input"] if kind == "openai" else body["messages"]
        for message in messages:
            content = message.get("content")
            if not isinstance(content, list):
                continue
            for part in content:
                if part.get("type") == "image":
                    found.append(base64.b64decode(part["source"]["data"]))
                elif part.get("type") in ("image_url", "input_image"):
                    url = (
                        part["image_url"]["url"]
                        if isinstance(part["image_url"], dict)
                        else part["image_url"]
                    )
                    found.append(base64.b64decode(url.split(",", 1)[1]))
        return found


WIRES = {
    "openai": Wire("/v1/responses"),
    "anthropic": Wire("/v1/messages"),
    "ollama": Wire("/api/chat"),
    "openai_compatible": Wire("/v1/chat/completions"),
}


@pytest.fixture
async def entry(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, kind: str
) -> MockConfigEntry:
    """A loaded entry of the provider under test, with one agent."""
    return await async_load_provider_entry(
        hass,
        llm_server,
        kind,
        agent_subentry(**{CONF_TIMEOUT: 0.3}),
        # The image case needs the household's permission for cloud providers.
        options={CONF_ALLOW_CLOUD_IMAGES: True},
    )


def model_requests(server: LLMServer, kind: str) -> list[RecordedRequest]:
    """The model requests the server received."""
    return server.requests_to(WIRES[kind].path)


async def test_plain_answer(
    hass: HomeAssistant, entry: MockConfigEntry, llm_server: LLMServer, kind: str
) -> None:
    """A question gets the model's answer, and the request carries the words."""
    llm_server.script(Reply(text="It is sunny and 21 degrees."))
    result = await ask(hass, "what's the weather like")
    assert speech(result) == "It is sunny and 21 degrees."
    assert (
        result.response.response_type.value == "action_done"
        or result.response.error_code is None
    )
    (request,) = model_requests(llm_server, kind)
    assert b"what's the weather like" in request.body


async def test_answer_streams_into_the_chat_log(
    hass: HomeAssistant, entry: MockConfigEntry, llm_server: LLMServer, kind: str
) -> None:
    """The first words reach Home Assistant while the provider's stream is still open."""
    release = asyncio.Event()
    llm_server.script(Reply(text="Streaming works fine.", pause_before_last=release))
    seen: list[str] = []

    def on_delta(chat_log: conversation.ChatLog, delta: dict[str, Any]) -> None:
        if delta.get("content"):
            seen.append(delta["content"])
            # The server is still holding back its last frame: releasing it
            # here proves the delta did not wait for the end of the stream.
            release.set()

    with (
        chat_session_for(hass) as session,
        conversation.async_get_chat_log(
            hass, session, chat_log_delta_listener=on_delta
        ),
    ):
        result = await asyncio.wait_for(
            ask(hass, "say something", session.conversation_id), 5
        )
    assert "".join(seen) == "Streaming works fine."
    assert len(seen) > 1
    assert speech(result) == "Streaming works fine."


async def test_one_tool_call(
    hass: HomeAssistant,
    home: Home,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
) -> None:
    """The model turns the light on through Assist and confirms."""
    llm_server.script(
        Reply(tool_calls=[TURN_ON_KITCHEN]),
        Reply(text="Done, the kitchen is lit."),
    )
    result = await ask(hass, "turn on the kitchen lights")
    assert hass.states.get(home.kitchen).state == STATE_ON
    assert speech(result) == "Done, the kitchen is lit."
    _first, second = model_requests(llm_server, kind)
    (tool_result,) = WIRES[kind].tool_results(kind, second.json)
    assert "Kitchen lights" in tool_result


async def test_two_parallel_tool_calls(
    hass: HomeAssistant,
    home: Home,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
) -> None:
    """Two calls in one answer both run and both results go back."""
    llm_server.script(
        Reply(
            tool_calls=[
                TURN_ON_KITCHEN,
                ToolCallStep("GetLiveContext", {}),
            ]
        ),
        Reply(text="The kitchen is on and I checked the house."),
    )
    result = await ask(hass, "turn on the kitchen and tell me what's on")
    assert hass.states.get(home.kitchen).state == STATE_ON
    assert speech(result) == "The kitchen is on and I checked the house."
    results = WIRES[kind].tool_results(kind, model_requests(llm_server, kind)[1].json)
    assert len(results) == 2
    assert "Kitchen lights" in results[0]


async def test_two_round_tool_loop(
    hass: HomeAssistant,
    home: Home,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
) -> None:
    """Look first, act second, then answer: three requests, history kept in order."""
    llm_server.script(
        Reply(tool_calls=[ToolCallStep("GetLiveContext", {})]),
        Reply(tool_calls=[TURN_ON_KITCHEN]),
        Reply(text="It was off, so I turned it on."),
    )
    result = await ask(hass, "is the kitchen light off? if so turn it on")
    assert hass.states.get(home.kitchen).state == STATE_ON
    assert speech(result) == "It was off, so I turned it on."
    requests = model_requests(llm_server, kind)
    assert len(requests) == 3
    assert len(WIRES[kind].tool_results(kind, requests[2].json)) == 2


async def test_image_in_the_request(
    hass: HomeAssistant,
    home: Home,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
    tmp_path: Path,
) -> None:
    """An attached image reaches the provider byte for byte."""
    path = tiny_jpeg_file(tmp_path, "porch.jpg")
    llm_server.script(Reply(text="A parcel on the porch."))
    assert (
        await run_turn_with_image(hass, "what is on the porch?", path)
        == "A parcel on the porch."
    )
    image = TINY_JPEG
    (request,) = model_requests(llm_server, kind)
    assert WIRES[kind].images(kind, request.json) == [image]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            401,
            "The model service rejected the API key. Please sign in again in the Confidant settings.",
        ),
        (404, "The model I'm set up to use doesn't exist on the service"),
        (
            429,
            "The model service says too many requests, or the quota is used up. Please try again in a moment.",
        ),
        (500, "The model service had an error. Please try again."),
    ],
)
async def test_http_errors_are_spoken(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
    status: int,
    expected: str,
) -> None:
    """Each error becomes a translated answer; the agent stays available and the key never leaks."""
    llm_server.script(Reply(status=status))
    result = await ask(hass, "hello")
    assert result.response.response_type.value == "error"
    assert speech(result).startswith(expected)
    assert "test-key" not in speech(result)
    assert hass.states.get(AGENT_ID).state != "unavailable"
    reauth = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == "reauth"
    ]
    assert bool(reauth) == (status == 401)


async def test_timeout_is_spoken(
    hass: HomeAssistant, entry: MockConfigEntry, llm_server: LLMServer, kind: str
) -> None:
    """A server that never answers gets a timeout answer after the agent's timeout."""
    never = asyncio.Event()
    llm_server.script(Reply(text="too late", hold=never))
    result = await ask(hass, "hello")
    never.set()
    assert speech(result) == "The model took too long to answer. Please try again."


async def test_stream_cut_mid_answer(
    hass: HomeAssistant, entry: MockConfigEntry, llm_server: LLMServer, kind: str
) -> None:
    """A connection dropped mid-answer ends the turn with an error answer, and the next turn works."""
    llm_server.script(
        Reply(text="This answer will be cut off before it ends, sadly.", cut_after=4),
        Reply(text="Here I am."),
    )
    result = await ask(hass, "tell me a story")
    assert result.response.response_type.value == "error"
    assert speech(result) == "My answer was cut off. Please ask again."
    result = await ask(hass, "try again", result.conversation_id)
    assert speech(result) == "Here I am."


async def test_malformed_tool_call_json(
    hass: HomeAssistant,
    home: Home,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
) -> None:
    """Broken arguments become a tool error the model sees; it retries and succeeds."""
    llm_server.script(
        Reply(
            tool_calls=[ToolCallStep("intent__HassTurnOn", '{"name": "Kitchen lights"')]
        ),
        Reply(tool_calls=[TURN_ON_KITCHEN]),
        Reply(text="Fixed it, the light is on."),
    )
    assert hass.states.get(home.kitchen).state == STATE_OFF
    result = await ask(hass, "turn on the kitchen lights")
    assert speech(result) == "Fixed it, the light is on."
    assert hass.states.get(home.kitchen).state == STATE_ON
    first_result = WIRES[kind].tool_results(
        kind, model_requests(llm_server, kind)[1].json
    )[0]
    assert "InvalidArguments" in first_result


async def test_call_to_a_tool_that_does_not_exist(
    hass: HomeAssistant, entry: MockConfigEntry, llm_server: LLMServer, kind: str
) -> None:
    """A hallucinated tool becomes a tool error; the model explains."""
    llm_server.script(
        Reply(tool_calls=[ToolCallStep("open_the_pod_bay_doors", {})]),
        Reply(text="I can't do that."),
    )
    result = await ask(hass, "open the pod bay doors")
    assert speech(result) == "I can't do that."
    (tool_result,) = WIRES[kind].tool_results(
        kind, model_requests(llm_server, kind)[1].json
    )
    assert "not found" in tool_result
