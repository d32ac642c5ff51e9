"""Administrator actions on household memory: list and delete facts.

The export is part of `confidant.export_transcripts` (one copy of all that
Confidant keeps). Like the transcript actions, these are for administrators
only, answer with response data, and cover one entry or every entry, loaded
or not: a stopped entry's facts are read from disk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

import probatio
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from ..const import DOMAIN
from ..service_entries import (
    ENTRY_FIELD,
    async_register_admin_actions,
    service_entries,
)
from .store import Fact, FactStore, MemorySettings

if TYPE_CHECKING:
    from .. import ConfidantConfigEntry

SERVICE_LIST_MEMORY: Final = "list_memory"
SERVICE_DELETE_MEMORY: Final = "delete_memory"

ATTR_USER_ID: Final = "user_id"
ATTR_FACT_ID: Final = "fact_id"
ATTR_SCOPE: Final = "scope"

SCOPE_ALL: Final = "all"
SCOPE_HOUSEHOLD: Final = "household"
SCOPE_PERSON: Final = "person"
SCOPE_FACT: Final = "fact"
SCOPES: Final = (SCOPE_ALL, SCOPE_HOUSEHOLD, SCOPE_PERSON, SCOPE_FACT)

LIST_SCHEMA: Final = probatio.Schema(
    {**ENTRY_FIELD, probatio.Optional(ATTR_USER_ID): cv.string}
)
DELETE_SCHEMA: Final = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Required(ATTR_SCOPE): probatio.In(SCOPES),
        probatio.Optional(ATTR_USER_ID): cv.string,
        probatio.Optional(ATTR_FACT_ID): cv.string,
    }
)


async def async_entry_memory(
    hass: HomeAssistant, entry: ConfidantConfigEntry
) -> FactStore:
    """A running entry's memory, or what a stopped entry left on disk."""
    if entry.state is ConfigEntryState.LOADED:
        return entry.runtime_data.memory
    memory = FactStore(hass, entry.entry_id, MemorySettings.from_options(entry.options))
    await memory.async_load()
    return memory


async def async_export(
    hass: HomeAssistant, entry: ConfidantConfigEntry
) -> dict[str, Any]:
    """An entry's memory for the export: the settings in force and every fact."""
    memory = await async_entry_memory(hass, entry)
    return {
        "settings": memory.settings.as_dict(),
        "facts": [dict(fact) for fact in memory.facts(everyone=True)],
    }


async def _async_list(call: ServiceCall) -> ServiceResponse:
    """The facts kept, newest first.

    With a user named, only that person's (none of the household's).
    """
    user_id: str | None = call.data.get(ATTR_USER_ID)
    found: list[dict[str, Any]] = []
    for entry in service_entries(call.hass, call):
        memory = await async_entry_memory(call.hass, entry)
        found.extend(
            {**fact, ATTR_CONFIG_ENTRY_ID: entry.entry_id}
            for fact in memory.facts(everyone=True)
            if user_id is None or fact["user_id"] == user_id
        )
    found.sort(key=lambda fact: fact["time"], reverse=True)
    return cast("ServiceResponse", {"facts": found})


def _selector(call: ServiceCall) -> Any:
    """Which facts a deletion's scope means; a scope without its field is refused."""
    scope = call.data[ATTR_SCOPE]
    if scope == SCOPE_PERSON:
        if not (user_id := call.data.get(ATTR_USER_ID)):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="delete_needs_user"
            )
        return lambda fact: fact["user_id"] == user_id
    if scope == SCOPE_FACT:
        if not (fact_id := call.data.get(ATTR_FACT_ID)):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="delete_needs_fact"
            )
        return lambda fact: fact["id"] == fact_id
    if scope == SCOPE_HOUSEHOLD:
        return lambda fact: fact["user_id"] is None
    return lambda _fact: True


async def _async_delete(call: ServiceCall) -> ServiceResponse:
    """Delete the facts of a scope; how many."""
    wanted = _selector(call)
    deleted = 0
    for entry in service_entries(call.hass, call):
        memory = await async_entry_memory(call.hass, entry)
        facts: list[Fact] = memory.facts(everyone=True)
        if call.data[ATTR_SCOPE] == SCOPE_ALL:
            deleted += await memory.async_delete_all()
        else:
            deleted += await memory.async_delete(
                fact["id"] for fact in facts if wanted(fact)
            )
    return {"deleted": deleted}


@callback
def async_setup_memory_services(hass: HomeAssistant) -> None:
    """Register the memory actions, for administrators only."""
    async_register_admin_actions(
        hass,
        (
            (SERVICE_LIST_MEMORY, _async_list, LIST_SCHEMA),
            (SERVICE_DELETE_MEMORY, _async_delete, DELETE_SCHEMA),
        ),
    )
