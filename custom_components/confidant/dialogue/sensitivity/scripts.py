"""What scripts, automations, scenes and actions would do, step by step.

Scripts are followed through their actions, nested scripts, automations
and scenes included, down to the entities they act on. Whatever cannot be
read (a template, an event, a command leaving Home Assistant, a script too
deeply nested) makes the reading unreadable, and the agent's choice decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.components.alarm_control_panel.const import (
    DOMAIN as ALARM_DOMAIN,
)
from homeassistant.components.cover.const import DOMAIN as COVER_DOMAIN
from homeassistant.components.lock.const import DOMAIN as LOCK_DOMAIN
from homeassistant.components.valve.const import DOMAIN as VALVE_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_ACTION,
    CONF_CHOOSE,
    CONF_DEFAULT,
    CONF_ELSE,
    CONF_PARALLEL,
    CONF_REPEAT,
    CONF_SCENE,
    CONF_SEQUENCE,
    CONF_SERVICE,
    CONF_SERVICE_DATA,
    CONF_SERVICE_DATA_TEMPLATE,
    CONF_SERVICE_TEMPLATE,
    CONF_TARGET,
    CONF_THEN,
    ENTITY_MATCH_ALL,
    SERVICE_TOGGLE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import target as target_helper
from homeassistant.helpers.template import Template

from .device_actions import device_action_effect
from .verbs import (
    VERB_CHANGE,
    VERB_RUN,
    Effect,
    SensitivityPolicy,
    entity_name,
    is_entry_cover,
    sensitive_verb,
)
from .verdict import Verdict

# Actions without a target whose effect is known to stay out of the home's
# devices: they tell someone something.
_HARMLESS_TARGETLESS: Final = frozenset(
    {"notify", "persistent_notification", "system_log", "logbook"}
)
# Script steps that change nothing by themselves.
_INERT_STEPS: Final = frozenset(
    {
        cv.SCRIPT_ACTION_DELAY,
        cv.SCRIPT_ACTION_WAIT_TEMPLATE,
        cv.SCRIPT_ACTION_WAIT_FOR_TRIGGER,
        cv.SCRIPT_ACTION_CHECK_CONDITION,
        cv.SCRIPT_ACTION_VARIABLES,
        cv.SCRIPT_ACTION_STOP,
        cv.SCRIPT_ACTION_SET_CONVERSATION_RESPONSE,
    }
)
# Scripts calling scripts: deeper than this is not read, so it asks.
_MAX_DEPTH: Final = 8


@dataclass(slots=True)
class Reading:
    """What has been read of a call so far."""

    effects: list[Effect] = field(default_factory=list)
    unreadable: bool = False
    seen: set[str] = field(default_factory=set)

    def add(self, effect: Effect) -> None:
        """Count an effect once."""
        if effect not in self.effects:
            self.effects.append(effect)

    def verdict(self, title: str, via: str | None = None) -> Verdict:
        """What was read, as the verdict on a call."""
        return Verdict(
            effects=tuple(self.effects),
            unreadable=self.unreadable,
            via=via,
            tool_title=title,
        )


class ScriptReader:
    """Reads scripts and actions in one home, under one agent's policy."""

    def __init__(self, hass: HomeAssistant, policy: SensitivityPolicy) -> None:
        """Read with these choices."""
        self.hass = hass
        self.policy = policy

    def read_script_entity(self, entity_id: str) -> list[Effect]:
        """Effects of running a script entity, itself included when listed."""
        reading = Reading()
        self._read_script(reading, entity_id, 1)
        return self._effects(reading, entity_id)

    def read_scene_entity(self, entity_id: str) -> list[Effect]:
        """Effects of switching a scene on: those of the states it sets."""
        reading = Reading()
        self._read_scene(reading, entity_id)
        return self._effects(reading, entity_id)

    def _effects(self, reading: Reading, entity_id: str) -> list[Effect]:
        """A reading's effects; running what could not be read asks, if so set."""
        effects = list(reading.effects)
        if reading.unreadable and self.policy.ask_unreadable:
            effects.append(
                Effect(VERB_RUN, entity_name(self.hass, entity_id), entity_id)
            )
        return effects

    def _script_entity(self, key: str) -> Any:
        """The script entity for `script.<key>` (its object id or unique id)."""
        component = self.hass.data.get("script")
        if component is None:
            return None
        if (entity := component.get_entity(f"script.{key}")) is not None:
            return entity
        entity_id = er.async_get(self.hass).async_get_entity_id("script", "script", key)
        return component.get_entity(entity_id) if entity_id else None

    def _read_script(self, reading: Reading, entity_id: str, depth: int) -> None:
        if entity_id in self.policy.always_ask:
            reading.add(Effect(VERB_RUN, entity_name(self.hass, entity_id), entity_id))
        if entity_id in reading.seen:
            return
        reading.seen.add(entity_id)
        entity = self._script_entity(entity_id.partition(".")[2])
        script = getattr(entity, "script", None)
        self.read_sequence(reading, getattr(script, "sequence", None), depth + 1)

    def _read_automation(self, reading: Reading, entity_id: str, depth: int) -> None:
        if entity_id in reading.seen:
            return
        reading.seen.add(entity_id)
        component = self.hass.data.get("automation")
        entity = component.get_entity(entity_id) if component else None
        script = getattr(entity, "action_script", None)
        self.read_sequence(reading, getattr(script, "sequence", None), depth + 1)

    def _read_scene(self, reading: Reading, entity_id: str) -> None:
        """A scene sets states: any entity in it that could open, asks."""
        state = self.hass.states.get(entity_id)
        if state is None:
            return
        members = state.attributes.get(ATTR_ENTITY_ID)
        if not isinstance(members, list):
            reading.unreadable = True
            return
        for member_id in members:
            member = self.hass.states.get(member_id)
            if member is None:
                continue
            if (
                member.domain in (LOCK_DOMAIN, ALARM_DOMAIN, VALVE_DOMAIN)
                or (member.domain == COVER_DOMAIN and is_entry_cover(self.hass, member))
                or member_id in self.policy.always_ask
            ):
                reading.add(Effect(VERB_CHANGE, member.name, member_id))

    def read_sequence(
        self, reading: Reading, sequence: Sequence[Any] | None, depth: int
    ) -> None:
        """Read a script's steps into `reading`."""
        if sequence is None or depth > _MAX_DEPTH:
            reading.unreadable = True
            return
        for step in sequence:
            if not isinstance(step, dict):
                reading.unreadable = True
                continue
            if step.get("enabled") is False:
                continue
            try:
                kind = cv.determine_script_action(step)
            except ValueError:
                reading.unreadable = True
                continue
            self._read_step(reading, kind, step, depth)

    def _read_step(  # noqa: PLR0912 - one case per kind of script step
        self, reading: Reading, kind: str, step: dict[str, Any], depth: int
    ) -> None:
        if kind in _INERT_STEPS:
            return
        if kind == cv.SCRIPT_ACTION_CALL_SERVICE:
            self._read_action_step(reading, step, depth)
        elif kind == cv.SCRIPT_ACTION_ACTIVATE_SCENE:
            scene = _static(step.get(CONF_SCENE))
            if isinstance(scene, str):
                self._read_scene(reading, scene)
            else:
                reading.unreadable = True
        elif kind == cv.SCRIPT_ACTION_DEVICE_AUTOMATION:
            if effect := device_action_effect(self.hass, step, self.policy):
                reading.add(effect)
        elif kind == cv.SCRIPT_ACTION_CHOOSE:
            for choice in step.get(CONF_CHOOSE, ()):
                self.read_sequence(reading, choice.get(CONF_SEQUENCE), depth)
            if CONF_DEFAULT in step:
                self.read_sequence(reading, step[CONF_DEFAULT], depth)
        elif kind == cv.SCRIPT_ACTION_IF:
            self.read_sequence(reading, step.get(CONF_THEN), depth)
            if CONF_ELSE in step:
                self.read_sequence(reading, step[CONF_ELSE], depth)
        elif kind == cv.SCRIPT_ACTION_REPEAT:
            self.read_sequence(reading, step[CONF_REPEAT].get(CONF_SEQUENCE), depth)
        elif kind == cv.SCRIPT_ACTION_PARALLEL:
            for branch in step.get(CONF_PARALLEL, ()):
                self.read_sequence(reading, branch.get(CONF_SEQUENCE), depth)
        elif kind == cv.SCRIPT_ACTION_SEQUENCE:
            self.read_sequence(reading, step.get(CONF_SEQUENCE), depth)
        else:
            # An event can start any automation; anything new is unknown.
            reading.unreadable = True

    def _read_action_step(
        self, reading: Reading, step: dict[str, Any], depth: int
    ) -> None:
        """An action step: the action, its data and its target, as written."""
        action = step.get(CONF_ACTION) or step.get(CONF_SERVICE)
        if action is None:
            action = step.get(CONF_SERVICE_TEMPLATE)
        action = _static(action)
        if not isinstance(action, str):
            reading.unreadable = True
            return
        data: dict[str, Any] = {}
        for part in (
            step.get(CONF_SERVICE_DATA),
            step.get(CONF_SERVICE_DATA_TEMPLATE),
        ):
            if isinstance(part, dict):
                data.update(part)
        if isinstance(target := step.get(CONF_TARGET), dict):
            data.update(target)
        elif target is not None:
            reading.unreadable = True  # a templated target
        if ATTR_ENTITY_ID in step:
            data[ATTR_ENTITY_ID] = step[ATTR_ENTITY_ID]
        self.read_action(reading, action, data, depth)

    def _targets(self, data: Mapping[str, Any]) -> set[str] | None:
        """The entities a service call's target names; None when templated."""
        selection: dict[str, Any] = {}
        for key in ("entity_id", "device_id", "area_id", "floor_id", "label_id"):
            if key not in data:
                continue
            value = data[key]
            values = value if isinstance(value, list) else [value]
            resolved = [_static(v) for v in values]
            if not all(isinstance(v, str) for v in resolved):
                return None
            selection[key] = resolved
        selected = target_helper.async_extract_referenced_entity_ids(
            self.hass,
            target_helper.TargetSelection(selection),
            primary_entities_only=False,
        )
        return selected.referenced | selected.indirectly_referenced

    def read_action(
        self, reading: Reading, action: str, data: dict[str, Any], depth: int
    ) -> None:
        """Read calling `action` ("domain.service") with `data` into `reading`."""
        domain, _, service = action.partition(".")
        if domain == "script" and service not in (
            SERVICE_TURN_ON,
            SERVICE_TURN_OFF,
            SERVICE_TOGGLE,
            "reload",
        ):
            # `script.<name>` runs that script.
            self._read_script(reading, f"script.{service}", depth)
            entity = self._script_entity(service)
            if entity is not None and entity.entity_id != f"script.{service}":
                self._read_script(reading, entity.entity_id, depth)
            return
        targets = self._targets(data)
        if targets is None:
            reading.unreadable = True
            return
        named = data.get(ATTR_ENTITY_ID)
        if named == ENTITY_MATCH_ALL or (
            isinstance(named, list) and ENTITY_MATCH_ALL in named
        ):
            # "all": every entity of the action's domain (homeassistant: any).
            targets |= set(
                self.hass.states.async_entity_ids(
                    None if domain == HOMEASSISTANT_DOMAIN else domain
                )
            )
        if not targets:
            if domain not in _HARMLESS_TARGETLESS:
                # rest_command, shell_command, mqtt.publish, conversation.process:
                # what they do is not in Home Assistant's hands to read.
                reading.unreadable = True
            return
        for entity_id in sorted(targets):
            state = self.hass.states.get(entity_id)
            if state is None:
                continue
            runs = state.domain == "script" and (
                domain in ("script", HOMEASSISTANT_DOMAIN)
                and service in (SERVICE_TURN_ON, SERVICE_TOGGLE)
            )
            if runs:
                self._read_script(reading, entity_id, depth)
                continue
            if state.domain == "automation" and service == "trigger":
                self._read_automation(reading, entity_id, depth)
                continue
            if state.domain == "scene" and service == SERVICE_TURN_ON:
                self._read_scene(reading, entity_id)
                continue
            if effect := self.effect_on(domain, service, state, data):
                reading.add(effect)

    def effect_on(
        self, domain: str, service: str, state: State, data: Mapping[str, Any]
    ) -> Effect | None:
        """The sensitive effect of calling `domain.service` on `state`, if any."""
        verb = sensitive_verb(
            self.hass,
            domain=domain,
            service=service,
            state=state,
            data=data,
            policy=self.policy,
        )
        return Effect(verb, state.name, state.entity_id) if verb else None


def _static(value: Any) -> Any:
    """A config value as text when it is plain text; None when it is a template."""
    if isinstance(value, Template):
        return value.template if value.is_static else None
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return None
    return value
