"""What each turn really gets, where Home Assistant 2026.11 changed the chat log.

2026.11 keeps a conversation's LLM data (prompt and tools) between turns when
agent, user, device and API ids are unchanged, refuses a second concurrent
turn of one conversation, and has LLM APIs only administrators may use. Each
test runs on both supported versions and says what differs.
"""

from __future__ import annotations

import asyncio

import pytest
from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.confidant.const import CONF_PROVIDER, DOMAIN

from .conftest import AGENT_ID, Home, agent_subentry, ask, async_load_entry, speech
from .generated_home import LoadedHome
from .ha_versions import HA_VERSION
from .llm_server import LLMServer, Reply

CHAT = "/v1/chat/completions"


async def test_a_second_turn_about_another_room_reaches_its_entities(
    hass: HomeAssistant, generated: LoadedHome, llm_server: LLMServer
) -> None:
    """Turn two of a conversation names another room: its devices are sent."""
    satellite = generated.satellites["Office"]
    llm_server.script(Reply(text="It is on."), Reply(text="It is closed."))
    first = await ask(hass, "Is the wine cellar lamp on?", device_id=satellite)
    await ask(hass, "Is the garage door open?", first.conversation_id, satellite)
    turn_one, turn_two = llm_server.requests_to(CHAT)
    assert b"Garage door" not in turn_one.body
    assert b"Garage door" in turn_two.body


async def test_a_turn_while_the_conversation_is_answering(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """A second turn of a busy conversation gets a spoken answer; the first finishes.

    2026.11 refuses the second turn (Confidant says so, translated); 2026.10
    runs both.
    """
    answering = asyncio.Event()
    release = asyncio.Event()
    llm_server.script(
        Reply(
            text="The first answer, in full.",
            pause_before_last=release,
            on_frame=lambda _index: answering.set(),
        ),
        Reply(text="The second answer."),
        Reply(text="The third answer."),
    )
    first = hass.async_create_task(ask(hass, "first question", "kitchen-talk"))
    await asyncio.wait_for(answering.wait(), 5)
    second = await asyncio.wait_for(ask(hass, "second question", "kitchen-talk"), 5)
    release.set()
    first_result = await asyncio.wait_for(first, 5)
    assert speech(first_result) == "The first answer, in full."
    if hasattr(conversation, "ConversationBusyError"):
        assert second.response.response_type.value == "error"
        assert speech(second) == (
            "I'm still answering what was said before. Please ask again in a moment."
        )
        assert len(llm_server.requests_to(CHAT)) == 1
    else:
        assert speech(second) == "The second answer."
    # The conversation goes on.
    third = await ask(hass, "third question", "kitchen-talk")
    assert speech(third).startswith("The ")
    assert third.response.response_type.value != "error"


@pytest.mark.skipif(
    HA_VERSION < "2026.11.0",
    reason="Home Assistant 2026.10 has no administrator-only LLM API",
)
@pytest.mark.parametrize("apis", [["homeassistant"], ["assist", "homeassistant"]])
async def test_the_home_assistant_api_is_for_administrators(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
    apis: list[str],
) -> None:
    """An administrator gets the API's tools; anyone else a clear spoken refusal."""
    assert await async_setup_component(hass, "llm", {})
    assert llm.LLM_API_HOME_ASSISTANT in {api.id for api in llm.async_get_apis(hass)}
    await async_load_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            data={CONF_PROVIDER: "openai_compatible", "url": llm_server.url},
            subentries_data=[agent_subentry(llm_hass_api=apis)],  # type: ignore[list-item]
        ),
    )

    llm_server.script(Reply(text="Your automations are fine."))
    admin = await ask(hass, "are my automations fine?", user_id=hass_admin_user.id)
    assert speech(admin) == "Your automations are fine."
    (request,) = llm_server.requests_to(CHAT)
    assert request.json.get("tools")

    refused = await ask(
        hass, "are my automations fine?", user_id=hass_read_only_user.id
    )
    assert refused.response.response_type.value == "error"
    assert speech(refused).startswith(
        "This assistant can manage Home Assistant itself, so only an administrator"
    )
    assert len(llm_server.requests_to(CHAT)) == 1
    assert hass.states.get(AGENT_ID).state != "unavailable"  # type: ignore[union-attr]
