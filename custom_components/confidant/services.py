"""Administrator actions on kept transcripts: list, export and delete them.

Every action is for administrators only (another user gets an authorization
error) and answers with response data. Each may name one Confidant entry;
without one it covers every Confidant entry, loaded or not: an entry that is
not running (its provider unreachable, say) is read from disk, so its
transcripts can still be reviewed and deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, cast

import probatio
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .dialogue.messages import async_spoken_message
from .household_memory.services import async_export as async_export_memory
from .household_memory.services import async_setup_memory_services
from .privacy.kept_turns import (
    RetentionSettings,
    TranscriptTurn,
    TurnFilter,
    turn_time,
)
from .privacy.retention import TranscriptStore
from .service_entries import (
    ENTRY_FIELD,
    async_register_admin_actions,
    service_entries,
)
from .vision.action import (
    DESCRIBE_CAMERA_SCHEMA,
    SERVICE_DESCRIBE_CAMERA,
    async_describe_camera,
)

if TYPE_CHECKING:
    from . import ConfidantConfigEntry

SERVICE_LIST_TRANSCRIPTS: Final = "list_transcripts"
SERVICE_EXPORT_TRANSCRIPTS: Final = "export_transcripts"
SERVICE_DELETE_TRANSCRIPTS: Final = "delete_transcripts"

ATTR_SINCE: Final = "since"
ATTR_UNTIL: Final = "until"
ATTR_USER_ID: Final = "user_id"
# The person whose turns are meant: a person entity, whose user is matched.
ATTR_PERSON: Final = "person"
ATTR_CONVERSATION_ID: Final = "conversation_id"
ATTR_LIMIT: Final = "limit"
ATTR_SCOPE: Final = "scope"

SCOPE_ALL: Final = "all"
SCOPE_TIME_RANGE: Final = "time_range"
SCOPE_DEVICE: Final = "device"
SCOPE_CONVERSATION: Final = "conversation"
SCOPES: Final = (SCOPE_ALL, SCOPE_TIME_RANGE, SCOPE_DEVICE, SCOPE_CONVERSATION)


LIST_SCHEMA: Final = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Optional(ATTR_SINCE): cv.datetime,
        probatio.Optional(ATTR_UNTIL): cv.datetime,
        probatio.Optional(ATTR_DEVICE_ID): cv.string,
        probatio.Exclusive(ATTR_PERSON, "who"): cv.entity_domain("person"),
        probatio.Exclusive(ATTR_USER_ID, "who"): cv.string,
        probatio.Optional(ATTR_CONVERSATION_ID): cv.string,
        probatio.Optional(ATTR_LIMIT): probatio.All(
            probatio.Coerce(int), probatio.Range(min=1)
        ),
    }
)
EXPORT_SCHEMA: Final = probatio.Schema(ENTRY_FIELD)
DELETE_SCHEMA: Final = probatio.Schema(
    {
        **ENTRY_FIELD,
        probatio.Required(ATTR_SCOPE): probatio.In(SCOPES),
        probatio.Optional(ATTR_SINCE): cv.datetime,
        probatio.Optional(ATTR_UNTIL): cv.datetime,
        probatio.Optional(ATTR_DEVICE_ID): cv.string,
        probatio.Optional(ATTR_CONVERSATION_ID): cv.string,
    }
)


async def _async_transcripts(
    hass: HomeAssistant, entry: ConfidantConfigEntry
) -> TranscriptStore:
    """A running entry's transcripts, or what a stopped entry left on disk."""
    if entry.state is ConfigEntryState.LOADED:
        return entry.runtime_data.transcripts
    transcripts = TranscriptStore(
        hass, entry.entry_id, entry.title, RetentionSettings.from_options(entry.options)
    )
    await transcripts.async_load()
    return transcripts


def _listed(turn: TranscriptTurn, entry: ConfidantConfigEntry) -> dict[str, Any]:
    return {**turn, ATTR_CONFIG_ENTRY_ID: entry.entry_id}


def _time(call: ServiceCall, name: str) -> datetime | None:
    value: datetime | None = call.data.get(name)
    return dt_util.as_utc(value) if value is not None else None


def _user_id(call: ServiceCall) -> str | None:
    """The user the call asks about: given as an id, or as a person's user."""
    if (person := call.data.get(ATTR_PERSON)) is None:
        user_id: str | None = call.data.get(ATTR_USER_ID)
        return user_id
    state = call.hass.states.get(person)
    if state is None or not isinstance(user_id := state.attributes.get("user_id"), str):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="person_without_user",
            translation_placeholders={"person": person},
        )
    return user_id


async def _async_list(call: ServiceCall) -> ServiceResponse:
    """The kept turns that match the filters, newest first.

    When no entry keeps transcripts the answer says so (`kept: false` and a
    sentence), instead of an empty list that looks like a filter's result.
    """
    turn_filter = TurnFilter(
        since=_time(call, ATTR_SINCE),
        until=_time(call, ATTR_UNTIL),
        device_id=call.data.get(ATTR_DEVICE_ID),
        user_id=_user_id(call),
        conversation_id=call.data.get(ATTR_CONVERSATION_ID),
    )
    found: list[tuple[datetime, dict[str, Any]]] = []
    kept = False
    for entry in service_entries(call.hass, call):
        transcripts = await _async_transcripts(call.hass, entry)
        kept = kept or transcripts.settings.enabled
        found.extend(
            (turn_time(turn), _listed(turn, entry))
            for turn in transcripts.turns(turn_filter)
        )
    found.sort(key=lambda item: item[0], reverse=True)
    if (limit := call.data.get(ATTR_LIMIT)) is not None:
        del found[limit:]
    response: dict[str, Any] = {
        "transcripts": [turn for _, turn in found],
        "kept": kept,
    }
    if not kept:
        response["message"] = await async_spoken_message(
            call.hass, call.hass.config.language, "nothing_kept"
        )
    return cast("ServiceResponse", response)


async def _async_export(call: ServiceCall) -> ServiceResponse:
    """Everything kept, with the retention settings in force, per entry."""
    exported: list[dict[str, Any]] = []
    for entry in service_entries(call.hass, call):
        transcripts = await _async_transcripts(call.hass, entry)
        exported.append(
            {
                ATTR_CONFIG_ENTRY_ID: entry.entry_id,
                "title": entry.title,
                "retention": transcripts.settings.as_dict(),
                "transcripts": [dict(turn) for turn in transcripts.turns()],
                "unreadable_files": await transcripts.async_unreadable_files(),
                # Household memory goes with it: one copy of all that is kept.
                "memory": await async_export_memory(call.hass, entry),
            }
        )
    return cast(
        "ServiceResponse",
        {"exported_at": dt_util.utcnow().isoformat(), "config_entries": exported},
    )


def _delete_filter(call: ServiceCall) -> TurnFilter:
    """What a deletion's scope means; a scope without its fields is refused."""
    scope = call.data[ATTR_SCOPE]
    if scope == SCOPE_TIME_RANGE:
        since, until = _time(call, ATTR_SINCE), _time(call, ATTR_UNTIL)
        if since is None and until is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="delete_needs_time_range"
            )
        return TurnFilter(since=since, until=until)
    if scope == SCOPE_DEVICE:
        if not (device_id := call.data.get(ATTR_DEVICE_ID)):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="delete_needs_device"
            )
        return TurnFilter(device_id=device_id)
    if scope == SCOPE_CONVERSATION:
        if not (conversation_id := call.data.get(ATTR_CONVERSATION_ID)):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="delete_needs_conversation"
            )
        return TurnFilter(conversation_id=conversation_id)
    return TurnFilter()


async def _async_delete(call: ServiceCall) -> ServiceResponse:
    """Delete the turns of a scope, and every unreadable copy; how many turns."""
    turn_filter = _delete_filter(call)
    deleted = 0
    for entry in service_entries(call.hass, call):
        transcripts = await _async_transcripts(call.hass, entry)
        deleted += await transcripts.async_delete(turn_filter)
    return {"deleted": deleted}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the transcript actions, for administrators only."""
    async_register_admin_actions(
        hass,
        (
            (SERVICE_LIST_TRANSCRIPTS, _async_list, LIST_SCHEMA),
            (SERVICE_EXPORT_TRANSCRIPTS, _async_export, EXPORT_SCHEMA),
            (SERVICE_DELETE_TRANSCRIPTS, _async_delete, DELETE_SCHEMA),
        ),
    )
    async_setup_memory_services(hass)
    # Describing a camera is for anyone who may see the camera (checked in
    # the handler): a doorbell automation calls it and reads `response.text`.
    hass.services.async_register(
        DOMAIN,
        SERVICE_DESCRIBE_CAMERA,
        async_describe_camera,
        DESCRIBE_CAMERA_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
