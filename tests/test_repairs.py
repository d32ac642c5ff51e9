"""A key rejected while the agent is in use: a spoken error, a repair, and a way back."""

from __future__ import annotations

import pytest
from homeassistant.components import conversation
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import DOMAIN

from .conftest import AGENT_ID
from .llm_server import LLMServer, Reply


async def test_rejected_key_leads_through_repairs_to_reauth(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """401 mid-use -> repair issue -> fix flow opens reauth -> new key clears the issue."""
    assert await async_setup_component(hass, "repairs", {})
    llm_server.script(Reply(status=401))
    result = await conversation.async_converse(
        hass, "hello", None, Context(), language="en", agent_id=AGENT_ID
    )
    assert result.response.response_type.value == "error"

    issue_id = f"invalid_auth_{config_entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.ERROR

    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert flow["step_id"] == "confirm"
    flow = await manager.async_configure(flow["flow_id"], {})
    assert flow["type"] == "create_entry"

    (reauth,) = [
        f
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if f["context"]["source"] == "reauth"
    ]
    llm_server.required_key = "new-key"
    done = await hass.config_entries.flow.async_configure(
        reauth["flow_id"], {CONF_API_KEY: "new-key"}
    )
    await hass.async_block_till_done()
    assert done["reason"] == "reauth_successful"
    assert config_entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.parametrize("agent_options", [{"model": "retired-model"}])
async def test_vanished_model_is_repaired_by_choosing_another(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """A model the server no longer lists raises a repair whose flow picks a listed one."""
    assert await async_setup_component(hass, "repairs", {})
    (subentry,) = config_entry.subentries.values()
    issue_id = f"model_missing_{subentry.subentry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "agent": "Confidant",
        "model": "retired-model",
    }

    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert flow["step_id"] == "choose_model"
    flow = await manager.async_configure(
        flow["flow_id"], {"model": "qwen2.5-7b-instruct"}
    )
    await hass.async_block_till_done()
    assert flow["type"] == "create_entry"
    assert (
        config_entry.subentries[subentry.subentry_id].data["model"]
        == "qwen2.5-7b-instruct"
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_listed_model_raises_no_repair(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """The default agent's model is listed: no issue."""
    (subentry,) = config_entry.subentries.values()
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"model_missing_{subentry.subentry_id}"
        )
        is None
    )
