"""A three-turn voice-style conversation: a local command, a model follow-up, a confirmation.

The test writes the transcript it observed to artifacts/voice_story.txt (not
committed) so it can be shown as it happened.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import CONF_LOCAL_FIRST

from .conftest import Home, ask, speech
from .llm_server import LLMServer, Reply, ToolCallStep
from .test_confirmation import CHAT, Sensitive, sensitive, state  # noqa: F401 - sensitive is a fixture

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
SATELLITE = "kitchen-satellite"


@pytest.mark.parametrize("agent_options", [{CONF_LOCAL_FIRST: True}])
async def test_local_command_follow_up_and_confirmation(
    hass: HomeAssistant,
    home: Home,
    sensitive: Sensitive,  # noqa: F811 - the fixture imported above
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Kitchen lights locally, then a follow-up to the model that unlocks only after 'yes'."""
    transcript: list[str] = []

    def turn(said: str, result: object, requests_before: int) -> None:
        sent = len(llm_server.requests_to(CHAT)) - requests_before
        transcript.append(f"person : {said}")
        transcript.append(
            f"agent  : {speech(result)}   [model requests: {sent}, keep listening: {result.continue_conversation}]"  # type: ignore[attr-defined]
        )

    # Turn 1: Home Assistant understands this itself; the model is not asked.
    result = await ask(hass, "turn on the kitchen lights", device_id=SATELLITE)
    turn("turn on the kitchen lights", result, 0)
    assert hass.states.get(home.kitchen).state == STATE_ON
    assert llm_server.requests_to(CHAT) == []

    # Turn 2: a follow-up only the model handles; it wants to unlock, Confidant holds it.
    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep(
                    "intent__HassTurnOff", {"name": "Front door", "domain": ["lock"]}
                )
            ]
        ),
        Reply(text="The kitchen lights are on. Shall I unlock the front door for you?"),
    )
    before = len(llm_server.requests_to(CHAT))
    result = await ask(
        hass,
        "great, and let the plumber in through the front door",
        result.conversation_id,
        SATELLITE,
    )
    turn("great, and let the plumber in through the front door", result, before)
    assert state(hass, sensitive.front_door) == "locked"
    assert result.continue_conversation is True
    # The model saw the locally handled turn as history.
    first_messages = llm_server.requests_to(CHAT)[0].json["messages"]
    assert (
        next(m["content"] for m in first_messages if m["role"] == "user")
        == "turn on the kitchen lights"
    )

    # Turn 3: the person's own "yes", without the wake word, unlocks; the model is not asked.
    before = len(llm_server.requests_to(CHAT))
    result = await ask(hass, "yes please", result.conversation_id, SATELLITE)
    turn("yes please", result, before)
    assert state(hass, sensitive.front_door) == "unlocked"
    assert len(llm_server.requests_to(CHAT)) == before

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "voice_story.txt").write_text("\n".join(transcript) + "\n")
