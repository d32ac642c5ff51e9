"""End phrases never shadow the household's own words.

"Good night", "stop" and "quiet" end a conversation, unless the household
gave the words a meaning: an exposed scene (or script, or device alias) of
that name, an automation's sentence trigger, a sentence Home Assistant's
intents match. The witnesses are real: the scene's light, the automation's
effect, the model being asked.
"""

from __future__ import annotations

import pytest
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import CONF_LOCAL_FIRST

from .conftest import Home, ask, speech
from .llm_server import LLMServer, Reply, ToolCallStep

CHAT = "/v1/chat/completions"


@pytest.fixture
def agent_options() -> dict[str, object]:
    """The agent as users have it: Home Assistant's intents first."""
    return {CONF_LOCAL_FIRST: True}


async def turn_on_kitchen(hass: HomeAssistant, home: Home) -> None:
    await hass.services.async_call(
        "light", "turn_on", {"entity_id": home.kitchen}, blocking=True
    )
    assert hass.states.get(home.kitchen).state == STATE_ON


async def add_good_night_scene(hass: HomeAssistant, home: Home, exposed: bool) -> None:
    assert await async_setup_component(
        hass,
        "scene",
        {"scene": [{"name": "Good Night", "entities": {home.kitchen: "off"}}]},
    )
    await hass.async_block_till_done()
    async_expose_entity(hass, "conversation", "scene.good_night", exposed)


async def answered_without_the_model(
    hass: HomeAssistant, llm_server: LLMServer, text: str, answer: str
) -> None:
    """Home Assistant (or the end phrase) answers; the model is never asked."""
    result = await ask(hass, text)
    assert speech(result) == answer
    assert not llm_server.requests_to(CHAT)


async def test_a_scene_called_good_night_runs(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Home Assistant's intents know the scene's name: it runs, no "Okay."."""
    await add_good_night_scene(hass, home, exposed=True)
    await turn_on_kitchen(hass, home)

    await answered_without_the_model(hass, llm_server, "Good night!", "Activated")
    assert hass.states.get(home.kitchen).state == STATE_OFF


@pytest.mark.parametrize("agent_options", [{CONF_LOCAL_FIRST: False}])
async def test_without_local_intents_the_model_runs_the_scene(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """With Home Assistant's intents off, the name still passes, to the model."""
    await add_good_night_scene(hass, home, exposed=True)
    await turn_on_kitchen(hass, home)
    llm_server.script(
        Reply(tool_calls=[ToolCallStep("intent__HassTurnOn", {"name": "Good Night"})]),
        Reply(text="Good night, sleep well."),
    )

    result = await ask(hass, "good night")

    assert speech(result) == "Good night, sleep well."
    assert hass.states.get(home.kitchen).state == STATE_OFF
    assert len(llm_server.requests_to(CHAT)) == 2


async def test_an_unexposed_scene_does_not_count(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """A scene Assist may not see gives its name no meaning: the phrase ends."""
    await add_good_night_scene(hass, home, exposed=False)

    await answered_without_the_model(hass, llm_server, "good night", "Okay.")


async def test_an_alias_called_quiet(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """A device alias counts like its name: the light it names turns on."""
    er.async_get(hass).async_update_entity(home.kitchen, aliases={"Quiet"})
    assert hass.states.get(home.kitchen).state == STATE_OFF

    await answered_without_the_model(hass, llm_server, "quiet", "Turned on the light")
    assert hass.states.get(home.kitchen).state == STATE_ON


async def test_a_sentence_trigger_on_stop_runs_its_automation(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """An automation that listens for "stop" gets it, and its answer is spoken."""
    await turn_on_kitchen(hass, home)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {"trigger": "conversation", "command": "stop"},
                "actions": [
                    {"action": "light.turn_off", "target": {"entity_id": home.kitchen}},
                    {"set_conversation_response": "Everything stopped."},
                ],
            }
        },
    )
    await hass.async_block_till_done()

    await answered_without_the_model(hass, llm_server, "Stop.", "Everything stopped.")
    assert hass.states.get(home.kitchen).state == STATE_OFF


async def test_never_mind_still_ends(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Home Assistant's own "never mind" means what the end phrase means."""
    llm_server.script(Reply(text="Anything else?"))
    result = await ask(hass, "what's up")
    result = await ask(hass, "cancel", result.conversation_id)
    assert speech(result) == "Okay."
    assert result.continue_conversation is False
    assert len(llm_server.requests_to(CHAT)) == 1
