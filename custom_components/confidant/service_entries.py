"""Which Confidant entries an action call is about."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN

if TYPE_CHECKING:
    from . import ConfidantConfigEntry


def service_entries(
    hass: HomeAssistant, call: ServiceCall
) -> list[ConfidantConfigEntry]:
    """The entry the call names, or every Confidant entry."""
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        return hass.config_entries.async_entries(DOMAIN, include_ignore=False)
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    return [entry]
