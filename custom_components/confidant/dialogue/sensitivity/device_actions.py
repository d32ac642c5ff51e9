"""What a device action in a script (a `device_id:` step) would do."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.alarm_control_panel.const import (
    DOMAIN as ALARM_DOMAIN,
)
from homeassistant.components.cover.const import DOMAIN as COVER_DOMAIN
from homeassistant.components.lock.const import DOMAIN as LOCK_DOMAIN
from homeassistant.components.valve.const import DOMAIN as VALVE_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .verbs import (
    VERB_CHANGE,
    VERB_DISARM,
    VERB_OPEN,
    VERB_UNLOCK,
    Effect,
    SensitivityPolicy,
    entity_name,
    is_entry_cover,
)

# Device actions that open, unlock or disarm.
_DEVICE_ACTION_VERBS: Final = {
    (LOCK_DOMAIN, "unlock"): VERB_UNLOCK,
    (LOCK_DOMAIN, "open"): VERB_UNLOCK,
    (ALARM_DOMAIN, "disarm"): VERB_DISARM,
    (COVER_DOMAIN, "open"): VERB_OPEN,
    (COVER_DOMAIN, "set_position"): VERB_OPEN,
    (VALVE_DOMAIN, "open"): VERB_OPEN,
    (VALVE_DOMAIN, "set_position"): VERB_OPEN,
}


@callback
def device_action_effect(
    hass: HomeAssistant, step: dict[str, Any], policy: SensitivityPolicy
) -> Effect | None:
    """The sensitive effect of a device action step, if any."""
    domain, kind = str(step.get(CONF_DOMAIN)), str(step.get(CONF_TYPE))
    device = dr.async_get(hass).async_get(step.get(CONF_DEVICE_ID, ""))
    name = (device.name_by_user or device.name or "") if device else ""
    entity_id: str | None = None
    if isinstance(ref := step.get(ATTR_ENTITY_ID), str):
        entry = er.async_get(hass).async_get(ref)
        entity_id = entry.entity_id if entry else ref
        name = entity_name(hass, entity_id)
    if verb := _DEVICE_ACTION_VERBS.get((domain, kind)):
        if domain == COVER_DOMAIN and entity_id:
            state = hass.states.get(entity_id)
            if state is not None and not is_entry_cover(hass, state):
                return None
        return Effect(verb, name or str(domain), entity_id)
    if entity_id and entity_id in policy.always_ask:
        return Effect(VERB_CHANGE, name, entity_id)
    return None
