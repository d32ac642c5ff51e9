"""Reading the exposed home from Home Assistant, and keeping its index fresh."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.homeassistant.exposed_entities import (
    async_listen_entity_updates,
    async_should_expose,
)
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import (
    CALLBACK_TYPE,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN
from .index import HomeIndex
from .render import HomeEntity

# Calendars and scripts have tools of their own; Home Assistant leaves them
# out of its overview, and so does Confidant.
SKIPPED_DOMAINS: Final = frozenset({"calendar", "script"})


# Reading the home from Home Assistant


@callback
def async_read_home(hass: HomeAssistant, assistant: str) -> list[HomeEntity]:
    """The entities exposed to an assistant, read as Home Assistant reads them.

    The same exposure check, names and aliases (the entity registry's, with
    the computed name first) and area (the entity's, else its device's) as
    the overview Home Assistant renders for the Assist API. Not through
    `components.homeassistant.llm.async_get_exposed_entities`: it joins an entity's
    names, and its area's name and aliases, into one ", "-separated string
    each, which cannot be split back where a name holds a comma (the
    overview separates names with "; " so that they may), and without states
    it leaves out the device class.
    """
    areas = ar.async_get(hass)
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    found: list[HomeEntity] = []
    for state in hass.states.async_all():
        if state.domain in SKIPPED_DOMAINS or not async_should_expose(
            hass, assistant, state.entity_id
        ):
            continue
        entry = entities.async_get(state.entity_id)
        names = [
            name
            for name in intent.async_get_entity_aliases(hass, entry, state=state)
            if name
        ] or [state.name]
        area: ar.AreaEntry | None = None
        if entry is not None:
            if entry.area_id is not None:
                area = areas.async_get_area(entry.area_id)
            elif entry.device_id is not None and (
                device := devices.async_get(entry.device_id)
            ):
                area_id = dr.async_get_effective_area_id(hass, device)
                area = areas.async_get_area(area_id) if area_id else None
        device_class = state.attributes.get("device_class")
        found.append(
            HomeEntity(
                entity_id=state.entity_id,
                name=names[0],
                aliases=tuple(dict.fromkeys(names[1:])),
                domain=state.domain,
                area=area.name if area else None,
                area_aliases=tuple(sorted(area.aliases)) if area else (),
                device_class=str(device_class) if device_class else None,
            )
        )
    return found


@callback
def async_device_area(hass: HomeAssistant, device_id: str | None) -> str | None:
    """The name of the area a device (a satellite) is in."""
    if device_id is None or (device := dr.async_get(hass).async_get(device_id)) is None:
        return None
    area_id = dr.async_get_effective_area_id(hass, device)
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    return area.name if area else None


class _IndexCache:
    """The index of each assistant, dropped when what it shows changes.

    One for the whole Home Assistant, in `hass.data` as core keeps its own
    shared caches (the LLM helper's action parameters, the exposed-entity
    settings): the index is a function of the home and the assistant, not of
    an entry, so every Confidant entry shares it and its listeners.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self.indexes: dict[str, HomeIndex] = {}
        self.users = 0
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._assistants: set[str] = set()

    @callback
    def invalidate(self, *_args: Any) -> None:
        self.indexes.clear()

    @callback
    def start(self) -> None:
        hass = self._hass
        self._unsubscribe = [
            hass.bus.async_listen(
                EVENT_STATE_CHANGED, self.invalidate, event_filter=_changes_names
            ),
            hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, self.invalidate),
            hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, self.invalidate),
            hass.bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, self.invalidate),
        ]

    @callback
    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._assistants.clear()
        self.indexes.clear()

    @callback
    def get(self, assistant: str) -> HomeIndex:
        if (index := self.indexes.get(assistant)) is None:
            index = HomeIndex(async_read_home(self._hass, assistant))
            if self._unsubscribe:
                self.indexes[assistant] = index
                if assistant not in self._assistants:
                    self._assistants.add(assistant)
                    self._unsubscribe.append(
                        async_listen_entity_updates(
                            self._hass, assistant, self.invalidate
                        )
                    )
        return index


@callback
def _changes_names(data: EventStateChangedData) -> bool:
    """Whether a state change adds, removes or renames an entity."""
    old, new = data["old_state"], data["new_state"]
    if old is None or new is None:
        return True
    return any(
        old.attributes.get(key) != new.attributes.get(key)
        for key in ("friendly_name", "device_class")
    )


_DATA_INDEX: Final[HassKey[_IndexCache]] = HassKey(f"{DOMAIN}_home_index")


@callback
def async_track_home(hass: HomeAssistant) -> CALLBACK_TYPE:
    """Keep the index while a Confidant entry runs; returns the release."""
    cache = hass.data.get(_DATA_INDEX)
    if cache is None:
        cache = hass.data[_DATA_INDEX] = _IndexCache(hass)
    if cache.users == 0:
        cache.start()
    cache.users += 1

    @callback
    def release() -> None:
        cache.users -= 1
        if cache.users == 0:
            cache.stop()

    return release


@callback
def async_get_index(hass: HomeAssistant, assistant: str) -> HomeIndex:
    """The index of what is exposed to an assistant (cached while tracked)."""
    if (cache := hass.data.get(_DATA_INDEX)) is None:
        return HomeIndex(async_read_home(hass, assistant))
    return cache.get(assistant)
