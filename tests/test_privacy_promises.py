"""Privacy promises, each tested the way it could break.

Fifty turns with unique markers go through a real Home Assistant with the
recorder writing SQLite on disk and every logger at DEBUG. Afterwards the
markers are searched for everywhere a transcript could leak: log records,
bus events, entity states and attributes, the recorder's database files,
Home Assistant's storage and the config directory.
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import MATCH_ALL
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .conftest import TURN_ON_KITCHEN, Home, ask, speech
from .llm_server import LLMServer, Reply

TURNS = 50


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Resolve the recorder's fixtures (its database file) before Home Assistant starts."""


def database_files(db_url: str) -> list[Path]:
    """The SQLite database and its journal files."""
    path = Path(db_url.removeprefix("sqlite:///"))
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def hits(markers: list[str], haystack: str | bytes) -> list[str]:
    """The markers found in a text or a file's bytes."""
    if isinstance(haystack, bytes):
        return [m for m in markers if m.encode() in haystack]
    return [m for m in markers if m in haystack]


@pytest.mark.parametrize("persistent_database", [True])
async def test_fifty_turns_leave_no_trace(
    recorder_mock: Any,
    recorder_db_url: str,
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    hass_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Retention off: no marker anywhere but in the answers the person heard."""
    caplog.set_level(logging.DEBUG)
    events: list[Event] = []
    hass.bus.async_listen(MATCH_ALL, events.append)

    said = [f"marker-said-{uuid.uuid4().hex[:12]}" for _ in range(TURNS)]
    answered = [f"marker-answer-{uuid.uuid4().hex[:12]}" for _ in range(TURNS)]
    conversation_id = None
    for index in range(TURNS):
        if index % 10 == 3:
            # Some turns use a tool, so tool calls and results are covered too.
            llm_server.script(
                Reply(tool_calls=[TURN_ON_KITCHEN]),
                Reply(text=f"Done {answered[index]}"),
            )
        else:
            llm_server.script(Reply(text=f"Sure {answered[index]}"))
        result = await ask(hass, f"please note {said[index]}", conversation_id)
        assert answered[index] in speech(result)
        conversation_id = result.conversation_id if index % 5 else None

    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    markers = said + answered

    assert hits(markers, caplog.text) == []
    assert hits(markers, json.dumps([e.as_dict() for e in events], default=str)) == []
    assert (
        hits(
            markers,
            json.dumps([s.as_dict() for s in hass.states.async_all()], default=str),
        )
        == []
    )
    assert hits(markers, json.dumps(hass_storage, default=str)) == []
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, config_entry
    )
    assert diagnostics["counts"]["open_conversation_contexts"] >= 1
    assert hits(markers, json.dumps(diagnostics, default=str)) == []
    files = database_files(recorder_db_url)
    assert files, "the recorder wrote no database file"
    for file in files:
        assert hits(markers, file.read_bytes()) == [], file.name
    for file in Path(hass.config.config_dir).rglob("*"):
        if file.is_file():
            assert hits(markers, file.read_bytes()) == [], str(file)
    # The markers did reach the model: the test would see a leak.
    assert all(
        m.encode() in b"".join(r.body for r in llm_server.requests) for m in said
    )


@pytest.mark.parametrize("persistent_database", [True])
@pytest.mark.parametrize(
    ("recorder_config", "recorded"),
    [
        (None, True),
        ({"exclude": {"event_types": ["call_service"]}}, False),
    ],
)
async def test_action_calls_and_the_recorder_remedy(
    recorder_mock: Any,
    recorder_db_url: str,
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    caplog: pytest.LogCaptureFixture,
    recorded: bool,
) -> None:
    """An automation's conversation.process text lands in history, unless the README's remedy is applied.

    Home Assistant records every action call with its data; this is its
    behaviour, not Confidant's, and the README says so. The remedy it gives
    (excluding call_service events from the recorder) is tested here, and so
    is Confidant's log filter: the DEBUG log of the event bus holds no text.
    """
    caplog.set_level(logging.DEBUG)
    marker = f"marker-action-{uuid.uuid4().hex[:12]}"
    llm_server.script(Reply(text="Okay."))
    await hass.services.async_call(
        "conversation",
        "process",
        {"text": f"remember {marker}", "agent_id": "conversation.confidant"},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    found = any(
        marker.encode() in file.read_bytes() for file in database_files(recorder_db_url)
    )
    assert found is recorded
    assert marker not in caplog.text
