"""The agent form: recommended settings on one step, the advanced options on a second."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant import config_entries
from homeassistant.const import (
    CONF_API_KEY,
    CONF_LLM_HASS_API,
    CONF_MODEL,
    CONF_NAME,
    CONF_URL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import llm
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import (
    CONF_ALWAYS_ASK,
    CONF_CONFIRM_SENSITIVE,
    CONF_LOCAL_FIRST,
    CONF_MAX_TOKENS,
    CONF_RECOMMENDED,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
)
from custom_components.confidant.model.check import budget_for_context
from custom_components.confidant.settings import (
    RECOMMENDED_AGENT_OPTIONS,
    default_agent_options,
)

from .agent_form import advanced_step, answers
from .conftest import Home
from .llm_server import LLMServer
from .test_config_flow import _to_consent, start_flow
from .test_model_capabilities import ollama_show, setup_entry


def recommended_switch(result: object) -> bool:
    """Whether the form's recommended-settings switch starts on."""
    (key,) = [
        key
        for key in result["data_schema"].schema  # type: ignore[index]
        if key == CONF_RECOMMENDED
    ]
    return bool(key.default())


async def test_a_new_agent_needs_one_step(
    hass: HomeAssistant, home: Home, config_entry: MockConfigEntry
) -> None:
    """Name, model and control; the switch starts on, and the rest is the recommended."""
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, "conversation"), context={"source": "user"}
    )
    fields = [str(key) for key in result["data_schema"].schema]
    assert fields == ["name", "model", "prompt", CONF_LLM_HASS_API, CONF_RECOMMENDED]
    assert recommended_switch(result)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Study", CONF_MODEL: " m ", CONF_LLM_HASS_API: []},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_MODEL: "m", **RECOMMENDED_AGENT_OPTIONS}
    assert hass.states.get("conversation.study") is not None


async def test_the_first_agent_shows_the_recommended_settings(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """The agent the setup made changes on one step, and keeps its options."""
    # Typed with a trailing slash and spaces: kept as one clean URL.
    result = await _to_consent(hass, "openai_compatible", f" {llm_server.url}/ ")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: False}
    )
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.data[CONF_URL] == llm_server.url
    agent = next(
        s for s in entry.subentries.values() if s.subentry_type == "conversation"
    )
    assert agent.data == default_agent_options("m")

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "conversation"),
        context={
            "source": config_entries.SOURCE_RECONFIGURE,
            "subentry_id": agent.subentry_id,
        },
    )
    assert recommended_switch(result)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], answers(result, agent.data)
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    # Home Assistant's template selector trims the prompt's last newline.
    kept = dict(entry.subentries[agent.subentry_id].data)
    assert kept.pop("prompt") == llm.DEFAULT_INSTRUCTIONS_PROMPT.strip()
    assert kept == {
        k: v for k, v in default_agent_options("m").items() if k != "prompt"
    }


async def test_changed_options_are_shown_and_kept(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """An agent with options of its own starts with the switch off and its own values."""
    entry = await setup_entry(
        hass, llm_server, **{CONF_MAX_TOKENS: 300, CONF_ALWAYS_ASK: ["switch.relay"]}
    )
    (agent,) = entry.subentries.values()
    before = dict(agent.data)

    result = await entry.start_subentry_reconfigure_flow(hass, agent.subentry_id)
    assert not recommended_switch(result)
    result = await advanced_step(hass, result, answers(result, agent.data))
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested[CONF_MAX_TOKENS] == 300
    assert suggested[CONF_ALWAYS_ASK] == ["switch.relay"]
    assert suggested[CONF_LOCAL_FIRST] is False
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], answers(result, agent.data)
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    # The same options (and the form's defaults of those it had not stored);
    # the template selector trims the prompt's last newline.
    kept = dict(entry.subentries[agent.subentry_id].data)
    assert kept.pop("prompt") == before.pop("prompt").strip()
    assert before.items() <= kept.items()


async def test_switching_recommended_on_restores_the_recommended_options(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """Every advanced option goes back to the recommended; sensitive actions ask again."""
    entry = await setup_entry(
        hass,
        llm_server,
        **{CONF_CONFIRM_SENSITIVE: False, CONF_ALWAYS_ASK: ["switch.relay"]},
    )
    (agent,) = entry.subentries.values()
    before = dict(agent.data)

    result = await entry.start_subentry_reconfigure_flow(hass, agent.subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**answers(result, before), CONF_RECOMMENDED: True}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    kept = dict(entry.subentries[agent.subentry_id].data)
    assert kept.pop("prompt") == before["prompt"].strip()
    assert kept == {
        CONF_MODEL: before[CONF_MODEL],
        CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
        **RECOMMENDED_AGENT_OPTIONS,
    }


async def test_an_ollama_agent_starts_with_a_budget_its_model_holds(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """The advanced step suggests a budget from the model's context (4096), under num_ctx."""
    llm_server.show = ollama_show(["completion", "tools"], context_length=4096)
    entry = await setup_entry(hass, llm_server, "ollama")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "conversation"), context={"source": "user"}
    )
    result = await advanced_step(hass, result, {CONF_NAME: "Kitchen", CONF_MODEL: "m"})
    (budget,) = [key for key in result["data_schema"].schema if key == "prompt_budget"]
    assert budget.description["suggested_value"] == budget_for_context(
        4096, RECOMMENDED_AGENT_OPTIONS[CONF_MAX_TOKENS]
    )


async def test_a_cloud_provider_needs_no_url(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """An empty URL means the provider itself: not a URL error (no request leaves)."""
    result = await start_flow(hass, "openai")
    with patch(
        "custom_components.confidant.config_flow.async_create_provider",
        side_effect=RuntimeError,
    ) as create:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "k"}
        )
    assert result["errors"] == {"base": "unknown"}
    (call,) = create.call_args_list
    assert CONF_URL not in call.args[1]
