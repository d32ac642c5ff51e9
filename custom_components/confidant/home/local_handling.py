"""Home Assistant's own local handling can bypass Confidant's confirmation.

An Assist pipeline with "Prefer handling commands locally" hands every
command Home Assistant's built-in agent understands to that agent first, so
"unlock the front door" is done before Confidant hears it, without asking.
Confidant cannot stop that; it can notice it and say so in Settings >
Repairs, for every pipeline that uses a Confidant agent which asks before
sensitive actions. The issue goes away when the switch or the agent changes.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN
from ..settings import AgentSettings

ISSUE_PREFIX: Final = "local_handling_bypass_"


@callback
def _asking_agent(hass: HomeAssistant, agent_id: str) -> str | None:
    """The name of a Confidant agent that asks before sensitive actions."""
    entry = er.async_get(hass).async_get(agent_id)
    if entry is None or entry.platform != DOMAIN or entry.config_entry_id is None:
        return None
    config_entry = hass.config_entries.async_get_entry(entry.config_entry_id)
    if config_entry is None or entry.config_subentry_id is None:
        return None
    subentry = config_entry.subentries.get(entry.config_subentry_id)
    if (
        subentry is None
        or not AgentSettings.from_options(subentry.data).confirm_sensitive
    ):
        return None
    return subentry.title


@callback
def async_check_local_handling(hass: HomeAssistant) -> None:
    """Raise (or clear) one repair issue per pipeline that bypasses the gate."""
    # Imported here: assist_pipeline is an after-dependency, maybe not loaded.
    from homeassistant.components.assist_pipeline.pipeline import (  # noqa: PLC0415
        KEY_ASSIST_PIPELINE,
        async_get_pipelines,
    )

    if KEY_ASSIST_PIPELINE not in hass.data:
        return
    wanted: set[str] = set()
    for pipeline in async_get_pipelines(hass):
        if not pipeline.prefer_local_intents:
            continue
        if (agent := _asking_agent(hass, pipeline.conversation_engine)) is None:
            continue
        issue_id = f"{ISSUE_PREFIX}{pipeline.id}"
        wanted.add(issue_id)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="local_handling_bypass",
            translation_placeholders={"pipeline": pipeline.name, "agent": agent},
        )
    for domain, issue_id in list(ir.async_get(hass).issues):
        stale = issue_id.startswith(ISSUE_PREFIX) and issue_id not in wanted
        if domain == DOMAIN and stale:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_track_local_handling(hass: HomeAssistant) -> CALLBACK_TYPE:
    """Check now and whenever a pipeline changes; returns the stop callback."""
    from homeassistant.components.assist_pipeline.pipeline import (  # noqa: PLC0415
        KEY_ASSIST_PIPELINE,
    )

    async_check_local_handling(hass)
    if (data := hass.data.get(KEY_ASSIST_PIPELINE)) is None:
        return lambda: None

    async def changed(*_: Any) -> None:
        async_check_local_handling(hass)

    return data.pipeline_store.async_add_change_set_listener(changed)
