"""The diagnostics download, snapshot-tested: settings and counts, never content."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.confidant.config_flow import default_agent_options
from custom_components.confidant.const import CONF_PROVIDER, DOMAIN

from .conftest import Home, ask, async_load_entry
from .llm_server import LLMServer, Reply


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """An OpenAI entry with fixed ids, so the snapshot is stable."""
    freezer.move_to("2026-11-21 10:00:00+00:00")
    return await async_load_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            entry_id="01JCONFIDANTENTRY000000000",
            title="OpenAI",
            data={
                CONF_PROVIDER: "openai",
                CONF_URL: llm_server.url,
                CONF_API_KEY: "sk-secret-key",
            },
            options={"retention_days": 0},
            subentries_data=[
                ConfigSubentryData(
                    data={
                        **default_agent_options("gpt-5-mini"),
                        "prompt": "Call me Captain.",
                    },
                    subentry_id="01JCONFIDANTAGENT000000000",
                    subentry_type="conversation",
                    title="Confidant",
                    unique_id=None,
                )
            ],
        ),
    )


# Byte counts follow the prompt text, which Home Assistant versions change.
VOLATILE = props("versions", "url", "bytes", "bytes_to_cloud")


async def test_entry_diagnostics(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    hass_client: Any,
    snapshot: SnapshotAssertion,
) -> None:
    """What the entry's download holds after one turn."""
    llm_server.script(Reply(text="secret-answer-marker"))
    await ask(hass, "secret-question-marker")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics == snapshot(exclude=VOLATILE)
    assert "marker" not in str(diagnostics)
    assert "sk-secret-key" not in str(diagnostics)
    assert "Captain" not in str(diagnostics)


async def test_agent_device_diagnostics(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_client: Any,
    snapshot: SnapshotAssertion,
) -> None:
    """An agent's device download names the agent."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "01JCONFIDANTAGENT000000000"), entry.entry_id
    )
    assert device is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, device)
    assert diagnostics["device"]["agent"] == "01JCONFIDANTAGENT000000000"
    assert diagnostics == snapshot(exclude=VOLATILE)
