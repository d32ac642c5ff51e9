"""The foundation's vertical slice: ask Confidant to turn on a light."""

from __future__ import annotations

from homeassistant.components import conversation
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import AGENT_ID, Home
from .llm_server import LLMServer, Reply, ToolCallStep


async def test_turn_on_the_kitchen_lights(
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

    result = await conversation.async_converse(
        hass,
        "turn on the kitchen lights",
        None,
        Context(),
        language="en",
        agent_id=AGENT_ID,
    )

    assert hass.states.get(home.kitchen).state == STATE_ON
    assert hass.states.get(home.hallway).state == STATE_OFF
    assert result.response.speech["plain"]["speech"] == "The kitchen lights are on."
    assert result.response.response_type.value == "action_done"

    first, second = llm_server.requests_to("/v1/chat/completions")
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


async def test_hidden_entity_cannot_be_controlled(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """A model naming an unexposed entity gets a tool error; the light stays off."""
    llm_server.script(
        Reply(
            tool_calls=[ToolCallStep("intent__HassTurnOn", {"name": "Hallway light"})]
        ),
        Reply(text="I can't control the hallway light."),
    )
    result = await conversation.async_converse(
        hass,
        "turn on the hallway light",
        None,
        Context(),
        language="en",
        agent_id=AGENT_ID,
    )
    assert hass.states.get(home.hallway).state == STATE_OFF
    assert (
        result.response.speech["plain"]["speech"]
        == "I can't control the hallway light."
    )
    tool_message = llm_server.requests_to("/v1/chat/completions")[1].json["messages"][
        -1
    ]
    assert tool_message["role"] == "tool"
    assert "error" in tool_message["content"]


async def test_server_error_is_spoken_and_agent_stays_available(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """A 500 from the server becomes a spoken, translated error."""
    llm_server.script(Reply(status=500), Reply(text="Back again."))
    result = await conversation.async_converse(
        hass, "hello", None, Context(), language="en", agent_id=AGENT_ID
    )
    assert result.response.response_type.value == "error"
    assert (
        result.response.speech["plain"]["speech"]
        == "The model service had an error. Please try again."
    )
    assert hass.states.get(AGENT_ID).state != "unavailable"

    result = await conversation.async_converse(
        hass,
        "hello again",
        result.conversation_id,
        Context(),
        language="en",
        agent_id=AGENT_ID,
    )
    assert result.response.speech["plain"]["speech"] == "Back again."
