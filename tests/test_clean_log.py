"""Confidant's life cycle leaves no warning or deprecation of its own in the log.

On both supported Home Assistant versions (scripts/test, scripts/test --ha
latest): setup, a conversation with a tool call, an AI Task with a camera
image, the camera look, the transcript actions and unload, for each of the
four providers. Home Assistant reports what it dislikes in an integration
(blocking calls, deprecated helpers, untagged LLM tools) as log warnings
naming the integration, and libraries raise Python warnings: neither may
point at Confidant.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest
from homeassistant.components import ai_task
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    DOMAIN,
)

from .cameras import FRONT_DOOR, async_setup_front_door_camera
from .conftest import (
    PROVIDERS,
    TURN_ON_KITCHEN,
    Home,
    agent_subentry,
    ask,
    async_load_provider_entry,
    speech,
)
from .llm_server import LLMServer, Reply, ToolCallStep
from .test_ai_task import task_subentry
from .test_retention import call

CONFIDANT_PATH = str(Path(__file__).resolve().parent.parent / "custom_components")


def confidant_warnings(
    records: list[logging.LogRecord], caught: list[warnings.WarningMessage]
) -> list[str]:
    """Log lines at WARNING or above, and Python warnings, that concern Confidant."""
    found = [
        f"{record.name}: {record.getMessage()}"
        for record in records
        if record.levelno >= logging.WARNING
        # asyncio's debug-mode "slow callback" lines time the shared test
        # machine, and name the test, not Confidant's code.
        and record.name != "asyncio"
        and (
            record.name.startswith("custom_components.confidant")
            or "confidant" in record.getMessage().lower()
            or CONFIDANT_PATH in record.pathname
        )
    ]
    found += [
        f"{warning.category.__name__}: {warning.message} ({warning.filename})"
        for warning in caught
        if CONFIDANT_PATH in warning.filename
    ]
    return found


@pytest.mark.parametrize("kind", PROVIDERS)
async def test_a_whole_life_cycle_logs_nothing_of_confidants(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    kind: str,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """Setup, conversation, AI Task, camera, transcripts and unload stay quiet."""
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hass.config.media_dirs = {"local": str(tmp_path)}
        assert await async_setup_component(hass, "media_source", {})
        assert await async_setup_component(hass, "ai_task", {})
        camera = await async_setup_front_door_camera(hass)
        async_expose_entity(hass, "conversation", FRONT_DOOR, True)
        entry = await async_load_provider_entry(
            hass,
            llm_server,
            kind,
            agent_subentry(),
            task_subentry(),
            options={CONF_ALLOW_CLOUD_IMAGES: True},
        )

        llm_server.script(
            Reply(tool_calls=[TURN_ON_KITCHEN]),
            Reply(text="The kitchen lights are on."),
            Reply(
                tool_calls=[
                    ToolCallStep("confidant__look_at_camera", {"camera": FRONT_DOOR})
                ]
            ),
            # The look's own request: the snapshot, described.
            Reply(text="An empty porch."),
            Reply(text="Nobody is at the door."),
            Reply(text='{"visitor": "nobody"}'),
            Reply(text="An empty porch."),
        )
        result = await ask(hass, "turn on the kitchen lights")
        assert speech(result) == "The kitchen lights are on."
        assert hass.states.get(home.kitchen).state == "on"  # type: ignore[union-attr]

        result = await ask(hass, "who is at the front door?", result.conversation_id)
        assert speech(result) == "Nobody is at the door."
        assert camera.snapshots == 1

        task = await ai_task.async_generate_data(
            hass,
            task_name="front door",
            entity_id="ai_task.confidant_ai_task",
            instructions="Who is at the door?",
            attachments=[
                {
                    "media_content_id": f"media-source://camera/{FRONT_DOOR}",
                    "media_content_type": "image/jpeg",
                }
            ],
        )
        assert task.data == '{"visitor": "nobody"}'

        described = await hass.services.async_call(
            DOMAIN,
            "describe_camera",
            {"camera_entity_id": FRONT_DOOR},
            blocking=True,
            return_response=True,
        )
        assert described is not None
        for action in ("list_transcripts", "export_transcripts"):
            await call(hass, action)
        await call(hass, "delete_transcripts", scope="all")

        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.NOT_LOADED

    assert confidant_warnings(caplog.records, caught) == []
