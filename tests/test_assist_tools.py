"""The model acts on the home through Assist's tools, on exposed entities only."""

from __future__ import annotations

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import Home, ask, speech
from .llm_server import LLMServer, Reply, ToolCallStep

CHAT = "/v1/chat/completions"


async def test_a_spoken_command_turns_on_the_exposed_light(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """The model calls Assist's turn-on intent, the light turns on, the answer is spoken."""
    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep(
                    "intent__HassTurnOn",
                    {"name": "Kitchen lights", "domain": ["light"]},
                )
            ]
        ),
        Reply(text="The kitchen lights are on."),
    )
    assert hass.states.get(home.kitchen).state == STATE_OFF

    result = await ask(hass, "turn on the kitchen lights")

    assert hass.states.get(home.kitchen).state == STATE_ON
    assert hass.states.get(home.hallway).state == STATE_OFF
    assert speech(result) == "The kitchen lights are on."
    assert result.response.response_type.value == "action_done"

    first, second = llm_server.requests_to(CHAT)
    sent = first.json
    assert sent["stream"] is True
    assert sent["model"] == "llama-3.2-3b-instruct"
    assert sent["messages"][-1] == {
        "role": "user",
        "content": "turn on the kitchen lights",
    }
    assert "intent__HassTurnOn" in {tool["function"]["name"] for tool in sent["tools"]}
    # Only exposed entities are visible to the model.
    system_prompt = sent["messages"][0]["content"]
    assert "Kitchen lights" in system_prompt
    assert "Hallway light" not in system_prompt

    # The second request carries the call and its result back to the model.
    messages = second.json["messages"]
    call = messages[-2]["tool_calls"][0]
    assert call["function"]["name"] == "intent__HassTurnOn"
    tool_message = messages[-1]
    assert tool_message["role"] == "tool"
    assert tool_message["tool_call_id"] == call["id"]
    assert "Kitchen lights" in tool_message["content"]
    assert '"success"' in tool_message["content"]


@pytest.mark.parametrize(
    ("sentence", "name", "answer"),
    [
        pytest.param(
            "turn on the hallway light",
            "Hallway light",
            "I can't control the hallway light.",
            id="hidden",
        ),
        pytest.param(
            "turn on the attic fan",
            "Attic fan",
            "I couldn't find an attic fan.",
            id="hallucinated",
        ),
    ],
)
async def test_a_call_for_an_entity_the_model_cannot_use_is_an_error_it_explains(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    sentence: str,
    name: str,
    answer: str,
) -> None:
    """An unexposed or non-existent device gets a tool error; nothing is switched."""
    llm_server.script(
        Reply(tool_calls=[ToolCallStep("intent__HassTurnOn", {"name": name})]),
        Reply(text=answer),
    )
    result = await ask(hass, sentence)
    assert hass.states.get(home.hallway).state == STATE_OFF
    assert speech(result) == answer
    tool_message = llm_server.requests_to(CHAT)[1].json["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "error" in tool_message["content"]
