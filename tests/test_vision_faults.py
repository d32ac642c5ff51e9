"""The vision path under a hostile model server: describe_camera, every provider.

The doorbell blueprint calls `confidant.describe_camera` and announces the
text. A server that trickles, says nothing, sends a page instead of an answer
or never stops must give a translated error in time (or a description cut to
a sane length), never an exception of its own and never an empty text.
"""

from __future__ import annotations

import time

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_TIMEOUT,
)
from custom_components.confidant.dialogue.answer_guard import MAX_ANSWER_CHARS

from .cameras import FRONT_DOOR, async_setup_front_door_camera
from .conftest import Home, agent_subentry, async_load_provider_entry
from .llm_server import LLMServer, RawReply, Reply
from .test_camera import describe

TIMEOUT = 0.5


@pytest.fixture
async def entry(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, kind: str
) -> MockConfigEntry:
    """An entry of the provider, allowed to send images, with a short timeout."""
    await async_setup_front_door_camera(hass)
    return await async_load_provider_entry(
        hass,
        llm_server,
        kind,
        agent_subentry(**{CONF_TIMEOUT: TIMEOUT}),
        options={CONF_ALLOW_CLOUD_IMAGES: True},
    )


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (Reply(text="A person in a red coat. " * 20, trickle=0.01), "timeout"),
        (Reply(text=""), "malformed_response"),
        (
            RawReply(body=b"<html><body>Login</body></html>", content_type="text/html"),
            "malformed_response",
        ),
    ],
    ids=["trickling", "empty", "html_page"],
)
async def test_a_failed_description_is_a_translated_error(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    fault: Reply | RawReply,
    key: str,
) -> None:
    """In time, translated, and the next description works."""
    if isinstance(fault, RawReply):
        llm_server.script_fault(fault)
    else:
        llm_server.script(fault)
    started = time.monotonic()
    with pytest.raises(HomeAssistantError) as err:
        await describe(hass, camera_entity_id=FRONT_DOOR)
    assert time.monotonic() - started < TIMEOUT + 1
    assert err.value.translation_key == key

    llm_server.script(Reply(text="A person with a parcel."))
    assert (await describe(hass, camera_entity_id=FRONT_DOOR))[
        "text"
    ] == "A person with a parcel."


async def test_a_runaway_description_is_cut(
    hass: HomeAssistant, entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """A model that does not stop is not announced for an hour."""
    llm_server.script(Reply(text="A person. " * 50_000, piece_size=5_000))
    text = (await describe(hass, camera_entity_id=FRONT_DOOR))["text"]
    assert text.startswith("A person. A person.")
    assert len(text) <= MAX_ANSWER_CHARS
