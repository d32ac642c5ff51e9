"""The log filter is there while an entry of Confidant is, and only then.

The filters touch loggers of the whole process (the event bus, the recorder,
SQLAlchemy): installed once however many entries set up, removed when the
last loaded entry unloads, and back when one sets up again.
"""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.privacy.log_filter import (
    EVENT_LOGGERS,
    WEBSOCKET_LOGGERS,
    ActionFilter,
    ContentFilter,
    WebsocketFilter,
)

from .conftest import Home
from .llm_server import LLMServer

CONVERSATION = "homeassistant.components.conversation.chat_log"


def installed() -> list[int]:
    """How many of Confidant's filters each kind of logger has."""
    return [
        sum(
            isinstance(f, ContentFilter)
            for f in logging.getLogger(CONVERSATION).filters
        ),
        sum(
            isinstance(f, ActionFilter)
            for f in logging.getLogger(EVENT_LOGGERS[0]).filters
        ),
        sum(
            isinstance(f, WebsocketFilter)
            for f in logging.getLogger(WEBSOCKET_LOGGERS[0]).filters
        ),
    ]


async def test_the_filter_goes_with_the_last_entry(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Two entries install it once; it stays until the second unloads."""
    assert installed() == [1, 1, 1]
    second = MockConfigEntry(
        domain=config_entry.domain,
        title="Second",
        data=dict(config_entry.data),
        options=dict(config_entry.options),
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    assert installed() == [1, 1, 1]

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert installed() == [1, 1, 1]

    assert await hass.config_entries.async_unload(second.entry_id)
    assert installed() == [0, 0, 0]

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert installed() == [1, 1, 1]
