"""No words in the logs, at DEBUG, for a real Assist dialog over the websocket.

The Assist dialog talks to Home Assistant over its websocket API: a typed
sentence is an `assist_pipeline/run` from the intent stage, and its answer
comes back as pipeline events. With every logger at DEBUG, Home Assistant's
websocket connection logs each of these frames, the conversation integration
and the pipeline log the words, the SDKs log the requests. This drives such a
session (two typed turns, one with a tool call; `conversation/process`; a
chat log subscription; the pipeline debug view an admin opens) and scans
every log record for what was said and answered. It also checks that the
filter leaves the lines that carry no words alone.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.confidant.privacy.log_filter import (
    WITHHELD,
    install_content_log_filter,
)

from .conftest import AGENT_ID, Home
from .llm_server import LLMServer, Reply, ToolCallStep

WS_LOGGER = "homeassistant.components.websocket_api.http.connection"


async def run_typed_turn(
    client: Any, pipeline_id: str, text: str, conversation_id: str | None
) -> tuple[str, str | None]:
    """Type a sentence the way the Assist dialog does; return the answer and id."""
    await client.send_json_auto_id(
        {
            "type": "assist_pipeline/run",
            "start_stage": "intent",
            "end_stage": "intent",
            "input": {"text": text},
            "pipeline": pipeline_id,
            "conversation_id": conversation_id,
        }
    )
    assert (await client.receive_json())["success"]
    answer = ""
    while True:
        event = (await client.receive_json())["event"]
        if event["type"] == "intent-end":
            output = event["data"]["intent_output"]
            answer = output["response"]["speech"]["plain"]["speech"]
            conversation_id = output["conversation_id"]
        if event["type"] == "run-end":
            return answer, conversation_id


async def command(client: Any, **message: Any) -> Any:
    """Send one command and return its result."""
    await client.send_json_auto_id(message)
    response = await client.receive_json()
    assert response["success"], response
    return response["result"]


async def test_assist_dialog_debug_log_has_no_words(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every frame, prompt and delta is logged; none of the words are."""
    # The connection decides at its start whether it logs frames.
    caplog.set_level(logging.DEBUG)
    assert await async_setup_component(hass, "assist_pipeline", {})
    # Loggers made by modules imported since the entry was set up.
    install_content_log_filter()
    client = await hass_ws_client(hass)
    pipeline = await command(
        client,
        type="assist_pipeline/pipeline/create",
        conversation_engine=AGENT_ID,
        conversation_language="en",
        language="en",
        name="Confidant",
        stt_engine=None,
        stt_language=None,
        tts_engine=None,
        tts_language=None,
        tts_voice=None,
        wake_word_entity=None,
        wake_word_id=None,
    )

    said = [f"said-{uuid.uuid4().hex[:10]}" for _ in range(3)]
    answered = [f"answer-{uuid.uuid4().hex[:10]}" for _ in range(3)]
    llm_server.script(Reply(text=f"It is sunny, {answered[0]}."))
    answer, conversation_id = await run_typed_turn(
        client, pipeline["id"], f"what's the weather, {said[0]}", None
    )
    assert answer == f"It is sunny, {answered[0]}."

    # The admin watches the conversation's chat log while it goes on.
    await client.send_json_auto_id(
        {"type": "conversation/chat_log/subscribe", "conversation_id": conversation_id}
    )
    assert (await client.receive_json())["success"]
    assert (await client.receive_json())["event"]["event_type"] == "initial_state"

    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep(
                    "intent__HassTurnOn", {"name": "Kitchen lights", "note": said[1]}
                )
            ]
        ),
        Reply(text=f"Done, {answered[1]}."),
    )
    await client.send_json_auto_id(
        {
            "type": "assist_pipeline/run",
            "start_stage": "intent",
            "end_stage": "intent",
            "input": {"text": f"turn on the kitchen lights, {said[1]}"},
            "pipeline": pipeline["id"],
            "conversation_id": conversation_id,
        }
    )
    heard = ""
    while True:
        message = await client.receive_json()
        if message.get("type") != "event" or "event" not in message:
            continue
        event = message["event"]
        if event.get("type") == "intent-end":
            heard = event["data"]["intent_output"]["response"]["speech"]["plain"][
                "speech"
            ]
        if event.get("type") == "run-end":
            break
    assert heard == f"Done, {answered[1]}."

    llm_server.script(Reply(text=f"Yes, {answered[2]}."))
    result = await command(
        client,
        type="conversation/process",
        text=f"still there? {said[2]}",
        agent_id=AGENT_ID,
    )
    assert result["response"]["speech"]["plain"]["speech"] == f"Yes, {answered[2]}."

    # What an admin opens to debug a pipeline: its runs, with their events.
    runs = await command(
        client, type="assist_pipeline/pipeline_debug/list", pipeline_id=pipeline["id"]
    )
    run = await command(
        client,
        type="assist_pipeline/pipeline_debug/get",
        pipeline_id=pipeline["id"],
        pipeline_run_id=runs["pipeline_runs"][0]["pipeline_run_id"],
    )
    assert said[0] in str(run["events"])  # the words are there, for the admin...
    states = await command(client, type="get_states")
    assert any(state["entity_id"] == home.kitchen for state in states)
    await client.close()
    await hass.async_block_till_done()

    # ...but in no log record, whatever the logger or level.
    records = caplog.records
    leaks = [
        (record.name, record.getMessage())
        for record in records
        for marker in (*said, *answered)
        if marker in record.getMessage() or marker in (record.exc_text or "")
    ]
    assert not leaks
    assert not [m for m in (*said, *answered) if m in caplog.text]

    # The frames were there, withheld; the ones without words were left whole.
    frames = [r.getMessage() for r in records if r.name == WS_LOGGER]
    assert any(f"Received {WITHHELD}" in line for line in frames)
    assert any(f"Sending {WITHHELD}" in line for line in frames)
    assert any("get_states" in line for line in frames)
    assert any(home.kitchen in line and "Sending" in line for line in frames)
    assert any(
        line.startswith("Setting up") and WITHHELD not in line
        for line in (r.getMessage() for r in records)
    )


@pytest.mark.parametrize(
    ("logger", "message", "args", "shown"),
    [
        # Content loggers: the words go, the line stays.
        (
            "homeassistant.components.conversation.chat_log",
            "Adding user content: %s",
            ("open sesame",),
            f"Adding user content: {WITHHELD}",
        ),
        (
            "homeassistant.components.assist_pipeline.default_pipeline",
            "speech-to-text result %s",
            ("open sesame",),
            f"speech-to-text result {WITHHELD}",
        ),
        (
            "homeassistant.components.tts",
            "Generating audio for %s",
            ("open sesame",),
            f"Generating audio for {WITHHELD}",
        ),
        # Numbers carry no words.
        (
            "homeassistant.components.conversation.chat_log",
            "%d tools",
            (12,),
            "12 tools",
        ),
        # Lines that only ever carry identifiers stay whole.
        (
            "homeassistant.components.conversation",
            "Setting up %s",
            ("confidant.conversation",),
            "Setting up confidant.conversation",
        ),
        # Not a content logger: left alone.
        (
            "homeassistant.components.light",
            "Setting brightness of %s",
            ("open sesame",),
            "Setting brightness of open sesame",
        ),
    ],
)
def test_what_is_withheld_and_what_is_not(
    caplog: pytest.LogCaptureFixture,
    logger: str,
    message: str,
    args: tuple[object, ...],
    shown: str,
) -> None:
    """Words are withheld from content loggers only; identifiers stay."""
    install_content_log_filter()
    caplog.set_level(logging.DEBUG)
    logging.getLogger(logger).debug(message, *args)
    assert caplog.records[-1].getMessage() == shown


def test_an_object_logged_as_the_message_is_withheld(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_content_log_filter()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("homeassistant.components.conversation.chat_log").debug(
        {"content": "open sesame"}
    )
    assert caplog.records[-1].getMessage() == WITHHELD
