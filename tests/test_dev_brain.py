"""scripts/develop's rule-based brain, with Confidant talking to it as to llama.cpp.

When no real local model can run, the development instance answers Assist
with this server. Confidant is added through the config flow against it and
asked the way Assist asks; the light is the witness.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
from homeassistant import config_entries
from homeassistant.const import CONF_MODEL, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.confidant.const import (
    CONF_LOCAL_FIRST,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    DOMAIN,
)

from .conftest import Home, ask, speech

BRAIN = Path(__file__).resolve().parent.parent / "scripts" / "dev" / "brain.py"


def load_brain() -> ModuleType:
    """scripts/dev/brain.py, which is not a package."""
    spec = importlib.util.spec_from_file_location("dev_brain", BRAIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def brain_url(socket_enabled: None) -> AsyncIterator[str]:
    """The brain on a free loopback port."""
    brain = load_brain()
    runner = await brain.async_start("127.0.0.1", 0)
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


async def test_confidant_on_the_rule_brain(
    hass: HomeAssistant, home: Home, brain_url: str
) -> None:
    """Set up through the config flow; greet, command and ask something else."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "openai_compatible"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: brain_url}
    )
    assert result["step_id"] == "model"
    fields = {str(key): key for key in result["data_schema"].schema}
    assert fields[CONF_MODEL].default() == "dev-brain"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "dev-brain"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: False}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]

    greeting = speech(await ask(hass, "Hello, who are you?"))
    assert greeting.startswith("Hello! I'm Confidant's development brain")

    # With local-first on, Home Assistant turns the light on itself.
    hass.states.async_set(home.kitchen, "off")
    assert (
        speech(await ask(hass, "turn on the kitchen lights")) == "Turned on the light"
    )
    assert hass.states.get(home.kitchen).state == "on"

    # Off, the brain answers the command with Assist's tool.
    subentry = next(
        s for s in entry.subentries.values() if s.subentry_type == "conversation"
    )
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, CONF_LOCAL_FIRST: False}
    )
    await hass.async_block_till_done()
    assert speech(await ask(hass, "turn off the kitchen lights")) == "Done."
    assert hass.states.get(home.kitchen).state == "off"

    answer = speech(await ask(hass, "what is the meaning of life?"))
    assert "rule-based stand-in" in answer
