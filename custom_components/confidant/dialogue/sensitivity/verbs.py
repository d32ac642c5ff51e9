"""Which actions are sensitive, and the verb that says what each does.

Read from Home Assistant's own state and the action called, never from the
model: unlocking, disarming, opening a door, gate or valve, and whatever the
household listed to always ask about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.alarm_control_panel.const import (
    DOMAIN as ALARM_DOMAIN,
)
from homeassistant.components.alarm_control_panel.const import (
    AlarmControlPanelState,
)
from homeassistant.components.cover.const import (
    ATTR_CURRENT_POSITION,
    ATTR_POSITION,
    CoverDeviceClass,
)
from homeassistant.components.cover.const import DOMAIN as COVER_DOMAIN
from homeassistant.components.lock.const import DOMAIN as LOCK_DOMAIN
from homeassistant.components.lock.const import LockState
from homeassistant.components.valve.const import DOMAIN as VALVE_DOMAIN
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    SERVICE_ALARM_DISARM,
    SERVICE_OPEN,
    SERVICE_OPEN_COVER,
    SERVICE_OPEN_VALVE,
    SERVICE_SET_COVER_POSITION,
    SERVICE_SET_VALVE_POSITION,
    SERVICE_TOGGLE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    SERVICE_UNLOCK,
    STATE_OPEN,
    STATE_OPENING,
)
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers import entity_registry as er

from ..normalize import fold

# What each sensitive action is called: in the tool result the model reads,
# and as the key of the phrase Confidant asks with.
VERB_UNLOCK: Final = "unlock"
VERB_OPEN: Final = "open"
VERB_DISARM: Final = "disarm"
VERB_TURN_ON: Final = "turn_on"
VERB_TURN_OFF: Final = "turn_off"
VERB_PRESS: Final = "press"
VERB_CHANGE: Final = "change"
VERB_RUN: Final = "run"
VERB_USE: Final = "use"

# Covers that let someone into the home.
ENTRY_COVER_CLASSES: Final = frozenset(
    {CoverDeviceClass.GARAGE, CoverDeviceClass.GATE, CoverDeviceClass.DOOR}
)

# Words that make a cover without a device class an entry cover, in the
# languages Confidant speaks, normalised like speech. German and Dutch join
# words ("Garagentor", "voordeur"), so there a word ending in one counts too.
_ENTRY_WORDS: Final = frozenset(
    {
        "door", "doors", "gate", "gates", "garage", "garagedoor",
        "tur", "tor", "pforte", "garagentor", "einfahrt",
        "porte", "portail", "portillon",
        "puerta", "porton", "cancela", "verja", "garaje",
        "deur", "poort", "hek",
        "porta", "portone", "cancello",
    }
)  # fmt: skip
_ENTRY_SUFFIXES: Final = ("tur", "tor", "deur", "poort", "door", "gate")
# Shorter words than this only count when they are a whole entry word.
_MIN_COMPOUND: Final = 5

# What homeassistant.turn_on/turn_off become for a domain (as the on/off
# intents do: HassTurnOff unlocks a lock, HassTurnOn opens a cover or valve).
_ON_OFF_SERVICES: Final = {
    (LOCK_DOMAIN, SERVICE_TURN_OFF): SERVICE_UNLOCK,
    (COVER_DOMAIN, SERVICE_TURN_ON): SERVICE_OPEN_COVER,
    (VALVE_DOMAIN, SERVICE_TURN_ON): SERVICE_OPEN_VALVE,
    (ALARM_DOMAIN, SERVICE_TURN_OFF): SERVICE_ALARM_DISARM,
}
# What a toggle does to an entity that is not open (unlocked, disarmed) yet.
_TOGGLE_OPENS: Final = {
    LOCK_DOMAIN: SERVICE_UNLOCK,
    COVER_DOMAIN: SERVICE_OPEN_COVER,
    VALVE_DOMAIN: SERVICE_OPEN_VALVE,
    ALARM_DOMAIN: SERVICE_ALARM_DISARM,
}
_ALREADY_OPEN: Final = frozenset(
    {
        LockState.UNLOCKED,
        LockState.UNLOCKING,
        LockState.OPEN,
        LockState.OPENING,
        STATE_OPEN,
        STATE_OPENING,
        AlarmControlPanelState.DISARMED,
    }
)


@dataclass(frozen=True, slots=True)
class Effect:
    """One sensitive thing a call would do: a verb and what it acts on."""

    verb: str
    target: str  # the name the person knows it by
    entity_id: str | None = None


@dataclass(frozen=True, slots=True)
class SensitivityPolicy:
    """The household's choices for one agent."""

    always_ask: frozenset[str] = frozenset()
    ask_unreadable: bool = True


def _words(name: str) -> list[str]:
    """Lower-case words without accents: "Haustür" -> "haustur"."""
    return re.findall(r"\w+", fold(name))


def is_entry_cover(hass: HomeAssistant, state: State) -> bool:
    """A cover that lets someone in: by class, or unclassified with such a name."""
    device_class = state.attributes.get(ATTR_DEVICE_CLASS)
    if device_class in ENTRY_COVER_CLASSES:
        return True
    if device_class is not None:
        return False
    names = [state.name, state.object_id.replace("_", " ")]
    if (entry := er.async_get(hass).async_get(state.entity_id)) is not None:
        names += er.async_get_entity_aliases(hass, entry)
    for name in names:
        for word in _words(name):
            if word in _ENTRY_WORDS or (
                len(word) >= _MIN_COMPOUND and word.endswith(_ENTRY_SUFFIXES)
            ):
                return True
    return False


def _opens_further(state: State, data: Mapping[str, Any]) -> bool:
    """Whether a set-position call moves past where the entity is now."""
    value = data.get(ATTR_POSITION)
    if isinstance(value, dict):  # an intent slot
        value = value.get("value")
    try:
        position = int(value)  # type: ignore[arg-type]
    except TypeError, ValueError:
        return True
    current = state.attributes.get(ATTR_CURRENT_POSITION)
    if not isinstance(current, int | float):
        current = 0
    return position > current


def _service_verb(service: str) -> str:
    return {
        SERVICE_TURN_ON: VERB_TURN_ON,
        SERVICE_TURN_OFF: VERB_TURN_OFF,
        "press": VERB_PRESS,
    }.get(service, VERB_CHANGE)


@callback
def sensitive_verb(  # noqa: PLR0911 - a flat mapping of actions to verbs
    hass: HomeAssistant,
    *,
    domain: str,
    service: str,
    state: State,
    data: Mapping[str, Any],
    policy: SensitivityPolicy,
) -> str | None:
    """What sensitive thing calling `domain.service` on `state` does, if any."""
    if domain == HOMEASSISTANT_DOMAIN:
        domain = state.domain
        if service == SERVICE_TOGGLE:
            if state.state not in _ALREADY_OPEN:
                service = _TOGGLE_OPENS.get(domain, service)
        else:
            service = _ON_OFF_SERVICES.get((domain, service), service)
    elif service == SERVICE_TOGGLE and state.state not in _ALREADY_OPEN:
        service = _TOGGLE_OPENS.get(domain, service)

    if domain == LOCK_DOMAIN and service in (SERVICE_UNLOCK, SERVICE_OPEN):
        return VERB_UNLOCK
    if domain == ALARM_DOMAIN and service == SERVICE_ALARM_DISARM:
        return VERB_DISARM
    if (
        domain == COVER_DOMAIN
        and (
            service == SERVICE_OPEN_COVER
            or (service == SERVICE_SET_COVER_POSITION and _opens_further(state, data))
        )
        and is_entry_cover(hass, state)
    ):
        return VERB_OPEN
    if domain == VALVE_DOMAIN and (
        service == SERVICE_OPEN_VALVE
        or (service == SERVICE_SET_VALVE_POSITION and _opens_further(state, data))
    ):
        return VERB_OPEN
    if state.entity_id in policy.always_ask:
        if domain in ("button", "input_button") and service == SERVICE_TURN_ON:
            return VERB_PRESS  # turning a button on presses it
        return _service_verb(service)
    return None


def entity_name(hass: HomeAssistant, entity_id: str) -> str:
    """The name the person knows an entity by; its id when it has no state."""
    state = hass.states.get(entity_id)
    return state.name if state is not None else entity_id


def binding(effects: Iterable[Effect]) -> frozenset[tuple[str, str | None]]:
    """What the person agrees to: each verb and what it acts on."""
    return frozenset((e.verb, e.entity_id or e.target) for e in effects)


def describe(effects: Iterable[Effect]) -> list[str]:
    """Names of what is acted on, in order, once each."""
    return list(dict.fromkeys(effect.target for effect in effects))
