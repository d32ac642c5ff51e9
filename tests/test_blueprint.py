"""The doorbell blueprint: it loads as Home Assistant loads it, and announces.

A temporary config dir holds the blueprint, as an import puts it there; an
automation made from it runs on a real event entity (the doorbell) and a real
camera, through confidant.describe_camera, and the announcements are caught
at the assist_satellite and tts actions.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.automation.helpers import (
    async_get_blueprints as automation_blueprints,
)
from homeassistant.components.event import EventDeviceClass, EventEntity
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from .cameras import FRONT_DOOR, async_setup_front_door_camera
from .conftest import AGENT_ID
from .entities import async_add_test_entities
from .llm_server import LLMServer, Reply

REPO = Path(__file__).resolve().parent.parent
BLUEPRINT = REPO / "blueprints" / "automation" / "confidant" / "doorbell_announce.yaml"
BLUEPRINT_PATH = "confidant/doorbell_announce.yaml"

DOORBELL = "event.doorbell"
DESCRIPTION = "A courier in a yellow jacket is holding a parcel."
QUESTION = "Briefly describe who or what is at the door, in one sentence."
TALKING = "assist_satellite.kitchen"  # can start a conversation
ANNOUNCING = "assist_satellite.hallway"  # can only announce


class RingingDoorbell(EventEntity):
    """A doorbell that rings (or sees motion) when a test says so."""

    _attr_device_class = EventDeviceClass.DOORBELL
    _attr_event_types = ["ring", "motion"]  # noqa: RUF012
    _attr_should_poll = False

    def __init__(self) -> None:
        self._attr_name = "Doorbell"
        self._attr_unique_id = "doorbell"

    def press(self, event_type: str = "ring") -> None:
        self._trigger_event(event_type)
        self.async_write_ha_state()


@pytest.fixture
async def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A config dir of its own, with the blueprint where an import puts it."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints/automation/confidant"))
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    return tmp_path


@pytest.fixture
async def doorbell(hass: HomeAssistant) -> RingingDoorbell:
    """The doorbell as a real event entity."""
    bell = RingingDoorbell()
    await async_add_test_entities(hass, {"event": [bell]})
    assert hass.states.get(DOORBELL) is not None
    return bell


@pytest.fixture
def describe_calls(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> list[ServiceCall]:
    """Calls of a stand-in describe_camera, when Confidant has none (yet).

    The real action answers through the scripted model; the stand-in answers
    the same words, so every test below runs with either.
    """
    calls: list[ServiceCall] = []
    if hass.services.has_service("confidant", "describe_camera"):
        return calls

    async def describe(call: ServiceCall) -> ServiceResponse:
        calls.append(call)
        return {
            "text": DESCRIPTION,
            "camera": call.data["camera_entity_id"],
            "time": "2026-01-01T12:00:00+00:00",
        }

    hass.services.async_register(
        "confidant",
        "describe_camera",
        describe,
        supports_response=SupportsResponse.ONLY,
    )
    return calls


@pytest.fixture
def speakers(hass: HomeAssistant) -> dict[str, list[ServiceCall]]:
    """The satellites and speakers, caught at their actions."""
    hass.states.async_set(TALKING, "idle", {"supported_features": 3})
    hass.states.async_set(ANNOUNCING, "idle", {"supported_features": 1})
    return {
        "announce": async_mock_service(hass, "assist_satellite", "announce"),
        "start_conversation": async_mock_service(
            hass, "assist_satellite", "start_conversation"
        ),
        "tts": async_mock_service(hass, "tts", "speak"),
    }


async def add_automation(hass: HomeAssistant, **inputs: Any) -> None:
    """An automation made from the blueprint, as the UI saves it."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "doorbell",
                "alias": "Doorbell",
                "use_blueprint": {
                    "path": BLUEPRINT_PATH,
                    "input": {
                        "doorbell": DOORBELL,
                        "camera": FRONT_DOOR,
                        "agent": AGENT_ID,
                        **inputs,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.doorbell")
    assert state is not None
    assert state.state == "on"


async def test_blueprint_loads_and_validates(
    hass: HomeAssistant, config_dir: Path
) -> None:
    """Home Assistant's blueprint integration reads it, with every input it uses."""
    assert await async_setup_component(hass, "blueprint", {})
    blueprint = await automation_blueprints(hass).async_get_blueprint(BLUEPRINT_PATH)
    assert blueprint.domain == "automation"
    assert blueprint.validate() is None  # the running version is new enough
    assert set(blueprint.inputs) == {
        "doorbell",
        "doorbell_event_type",
        "camera",
        "agent",
        "question",
        "satellites",
        "media_players",
        "tts_entity",
        "offer_follow_up",
        "follow_up_question",
    }
    assert blueprint.inputs["question"]["default"] == QUESTION
    assert blueprint.inputs["agent"]["selector"]["entity"]["filter"] == [
        {"domain": ["conversation"], "integration": "confidant"}
    ]
    assert (
        blueprint.metadata["source_url"]
        == "https://github.com/confidant-ha/confidant/blob/main/blueprints/automation/confidant/doorbell_announce.yaml"
    )


def assert_described(
    llm_server: LLMServer,
    describe_calls: list[ServiceCall],
    record_property: Any,
) -> None:
    """The camera was described once, by the real action or the stand-in."""
    # In the JUnit report: which describe_camera this run used.
    record_property("describe_camera", "stand-in" if describe_calls else "real")
    if describe_calls:
        (call,) = describe_calls
        assert call.data == {
            "camera_entity_id": FRONT_DOOR,
            "question": QUESTION,
            "agent_id": AGENT_ID,
        }
        return
    (request,) = llm_server.requests_to("/v1/chat/completions")
    assert QUESTION.encode() in request.body
    assert b"image_url" in request.body


async def ring_and_describe(
    hass: HomeAssistant,
    llm_server: LLMServer,
    doorbell: RingingDoorbell,
    describe_calls: list[ServiceCall],
    record_property: Any,
) -> None:
    """The doorbell rings and the automation has the camera described, once."""
    llm_server.script(Reply(text=DESCRIPTION))
    doorbell.press("ring")
    await hass.async_block_till_done()
    assert_described(llm_server, describe_calls, record_property)


async def test_a_ring_is_announced(
    hass: HomeAssistant,
    config_dir: Path,
    llm_server: LLMServer,
    doorbell: RingingDoorbell,
    describe_calls: list[ServiceCall],
    speakers: dict[str, list[ServiceCall]],
    record_property: Any,
) -> None:
    """The doorbell rings: the description is announced on satellites and speakers."""
    await async_setup_front_door_camera(hass)
    await add_automation(
        hass,
        satellites=[TALKING, ANNOUNCING],
        media_players=["media_player.living_room"],
        tts_entity="tts.piper",
    )
    await ring_and_describe(hass, llm_server, doorbell, describe_calls, record_property)

    (announce,) = speakers["announce"]
    assert announce.data["entity_id"] == [TALKING, ANNOUNCING]
    assert announce.data["message"] == DESCRIPTION
    (spoken,) = speakers["tts"]
    assert spoken.data["entity_id"] == ["tts.piper"]
    assert spoken.data["media_player_entity_id"] == ["media_player.living_room"]
    assert spoken.data["message"] == DESCRIPTION
    assert speakers["start_conversation"] == []


async def test_follow_up_starts_a_conversation(
    hass: HomeAssistant,
    config_dir: Path,
    llm_server: LLMServer,
    doorbell: RingingDoorbell,
    describe_calls: list[ServiceCall],
    speakers: dict[str, list[ServiceCall]],
    record_property: Any,
) -> None:
    """With a follow-up, a satellite that can listen asks; one that cannot announces."""
    await async_setup_front_door_camera(hass)
    await add_automation(hass, satellites=[TALKING, ANNOUNCING], offer_follow_up=True)
    await ring_and_describe(hass, llm_server, doorbell, describe_calls, record_property)

    (conversation,) = speakers["start_conversation"]
    assert conversation.data["entity_id"] == [TALKING]
    assert (
        conversation.data["start_message"]
        == f"{DESCRIPTION} Shall I turn on the porch light?"
    )
    prompt = conversation.data["extra_system_prompt"]
    assert "doorbell just rang" in prompt
    assert DESCRIPTION in prompt
    assert "Shall I turn on the porch light?" in prompt
    (announce,) = speakers["announce"]
    assert announce.data["entity_id"] == [ANNOUNCING]
    assert speakers["tts"] == []


async def test_only_the_chosen_event_type_rings(
    hass: HomeAssistant,
    config_dir: Path,
    llm_server: LLMServer,
    doorbell: RingingDoorbell,
    describe_calls: list[ServiceCall],
    speakers: dict[str, list[ServiceCall]],
    record_property: Any,
) -> None:
    """With an event type set, other events of the doorbell are ignored."""
    await async_setup_front_door_camera(hass)
    await add_automation(hass, satellites=[ANNOUNCING], doorbell_event_type="ring")

    doorbell.press("motion")
    await hass.async_block_till_done()
    assert speakers["announce"] == []
    assert describe_calls == []
    assert llm_server.requests_to("/v1/chat/completions") == []

    await ring_and_describe(hass, llm_server, doorbell, describe_calls, record_property)
    (announce,) = speakers["announce"]
    assert announce.data["message"] == DESCRIPTION


async def test_a_binary_sensor_doorbell(
    hass: HomeAssistant,
    config_dir: Path,
    llm_server: LLMServer,
    describe_calls: list[ServiceCall],
    speakers: dict[str, list[ServiceCall]],
    record_property: Any,
) -> None:
    """A doorbell that is a binary sensor rings when it turns on, not when it turns off."""
    await async_setup_front_door_camera(hass)
    hass.states.async_set("binary_sensor.doorbell", "off")
    await add_automation(
        hass, doorbell="binary_sensor.doorbell", satellites=[ANNOUNCING]
    )
    llm_server.script(Reply(text=DESCRIPTION))

    hass.states.async_set("binary_sensor.doorbell", "on")
    await hass.async_block_till_done()
    hass.states.async_set("binary_sensor.doorbell", "off")
    await hass.async_block_till_done()

    assert_described(llm_server, describe_calls, record_property)
    (announce,) = speakers["announce"]
    assert announce.data["message"] == DESCRIPTION
