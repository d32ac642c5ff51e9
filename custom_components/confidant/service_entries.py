"""Confidant's administrator actions: registering them, the entries a call means."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Final

import probatio
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service

from .const import DOMAIN

if TYPE_CHECKING:
    from . import ConfidantConfigEntry

# Every administrator action may name one entry; without it, all of them.
ENTRY_FIELD: Final = {probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}

type AdminAction = tuple[
    str,
    Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
    probatio.Schema,
]


@callback
def async_register_admin_actions(
    hass: HomeAssistant, actions: Iterable[AdminAction]
) -> None:
    """Register actions only administrators may call; each answers with data."""
    for name, handler, schema in actions:
        async_register_admin_service(
            hass, DOMAIN, name, handler, schema, SupportsResponse.ONLY
        )


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
