"""Scenes against a hijacked model: a scene is asked about by what it sets.

A scene that unlocks the front door is as sensitive as the unlock itself,
whichever way it is switched on: by the model through an intent, or by Home
Assistant's own local handling. The scripted model is the attacker; the
lock's real state is the witness.
"""

from __future__ import annotations

import pytest
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.confidant.const import CONF_LOCAL_FIRST

from .conftest import ask, speech
from .entities import async_add_test_entities
from .llm_server import LLMServer, Reply, ToolCallStep
from .test_confirmation import MemoryLock, state

CHAT = "/v1/chat/completions"
FRONT_DOOR = "lock.front_door"
LEAVING = "scene.leaving_home"
EVENING = "scene.evening"


@pytest.fixture
async def scenes(hass: HomeAssistant) -> None:
    """A locked front door, a scene that unlocks it and one that locks it."""
    await async_add_test_entities(hass, {"lock": [MemoryLock("Front door", "front")]})
    assert await async_setup_component(
        hass,
        "scene",
        {
            "scene": [
                {"name": "Leaving home", "entities": {FRONT_DOOR: "unlocked"}},
                {"name": "Evening", "entities": {FRONT_DOOR: "locked"}},
            ]
        },
    )
    await hass.async_block_till_done()
    for entity_id in (FRONT_DOOR, LEAVING, EVENING):
        async_expose_entity(hass, "conversation", entity_id, True)


def lock_state(hass: HomeAssistant) -> str:
    """The front door's real state: the witness."""
    return state(hass, FRONT_DOOR)


async def say(
    hass: HomeAssistant, text: str, conversation_id: str | None = None
) -> conversation.ConversationResult:
    """Say something on the hallway satellite (a device may confirm)."""
    return await ask(hass, text, conversation_id, device_id="hallway-satellite")


@pytest.mark.usefixtures("scenes")
async def test_a_scene_switched_on_by_intent_is_asked_about_first(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """The model turns on an unlocking scene: held, asked, run on a yes only."""
    llm_server.script(
        Reply(
            tool_calls=[ToolCallStep("intent__HassTurnOn", {"name": "Leaving home"})]
        ),
        Reply(text="Done, have a nice day."),
    )
    result = await say(hass, "I'm off to work")
    await hass.async_block_till_done()
    assert lock_state(hass) == "locked"
    assert speech(result).endswith("Should I change Front door?")
    assert result.continue_conversation is True

    await say(hass, "yes", result.conversation_id)
    await hass.async_block_till_done()
    assert lock_state(hass) == "unlocked"


@pytest.mark.usefixtures("scenes")
async def test_a_scene_that_only_locks_is_also_asked_about(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """A scene's lock member asks whatever state it sets (as scripts do)."""
    llm_server.script(
        Reply(tool_calls=[ToolCallStep("intent__HassTurnOn", {"name": "Evening"})]),
        Reply(text="OK."),
    )
    result = await say(hass, "evening")
    assert speech(result) == "OK. Should I change Front door?"
    await say(hass, "no", result.conversation_id)
    await hass.async_block_till_done()
    assert lock_state(hass) == "locked"


@pytest.mark.usefixtures("scenes")
@pytest.mark.parametrize("agent_options", [{CONF_LOCAL_FIRST: True}])
async def test_local_handling_leaves_an_unlocking_scene_to_the_gate(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """Home Assistant recognises "activate leaving home"; Confidant asks first."""
    llm_server.script(
        Reply(
            tool_calls=[ToolCallStep("intent__HassTurnOn", {"name": "Leaving home"})]
        ),
        Reply(text="OK."),
    )
    result = await say(hass, "activate leaving home")
    await hass.async_block_till_done()
    assert lock_state(hass) == "locked"
    assert len(llm_server.requests_to(CHAT)) == 2
    assert speech(result) == "OK. Should I change Front door?"
