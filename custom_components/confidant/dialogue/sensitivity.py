"""What a tool call would do, read from Home Assistant, never from the model.

The confirmation gate asks before a call whose effect is sensitive: unlocking,
opening a door, gate, garage door or valve, disarming an alarm, or acting on
anything the household put on the agent's "always ask before" list. This
module decides that for every kind of tool a model can call:

- intent tools: targets resolved the way the intent resolves them (every
  entity sharing a name counts), then the service it would call on each;
- `intent_script` intents and scripts (as tools or as actions): their
  actions are read, following nested scripts, automations and scenes;
- any other tool: its annotations. A tool that declares itself read-only
  never asks; one whose effect cannot be read follows the agent's choice.

Nothing here trusts a tool's name or description, or anything the model said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import probatio
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
    CONF_DEVICE_ID,
    CONF_DOMAIN,
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
    CONF_TYPE,
    ENTITY_MATCH_ALL,
    SERVICE_TOGGLE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent, llm
from homeassistant.helpers import target as target_helper
from homeassistant.helpers.template import Template

from .sensitive_verbs import (
    VERB_CHANGE,
    VERB_DISARM,
    VERB_OPEN,
    VERB_RUN,
    VERB_UNLOCK,
    VERB_USE,
    Effect,
    SensitivityPolicy,
    is_entry_cover,
    sensitive_verb,
)

# Device actions (a `device_id:` step) that open, unlock or disarm.
_DEVICE_ACTION_VERBS: Final = {
    (LOCK_DOMAIN, "unlock"): VERB_UNLOCK,
    (LOCK_DOMAIN, "open"): VERB_UNLOCK,
    (ALARM_DOMAIN, "disarm"): VERB_DISARM,
    (COVER_DOMAIN, "open"): VERB_OPEN,
    (COVER_DOMAIN, "set_position"): VERB_OPEN,
    (VALVE_DOMAIN, "open"): VERB_OPEN,
    (VALVE_DOMAIN, "set_position"): VERB_OPEN,
}
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


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a call would do, as far as it can be read."""

    effects: tuple[Effect, ...] = ()
    # Part of what it would do cannot be read (templated targets, an
    # event, a tool that is not annotated read-only).
    unreadable: bool = False
    # A script or intent script that carries the effects, by name.
    via: str | None = None
    # What the tool is called, for a call that is asked about as a whole.
    tool_title: str = ""

    @property
    def binding(self) -> frozenset[tuple[str, str | None]]:
        """What the person agrees to: compared again just before it runs."""
        return frozenset((e.verb, e.entity_id or e.target) for e in self.effects)


@dataclass(slots=True)
class _Reading:
    """What has been read of a call so far."""

    effects: list[Effect] = field(default_factory=list)
    unreadable: bool = False
    seen: set[str] = field(default_factory=set)

    def add(self, effect: Effect) -> None:
        if effect not in self.effects:
            self.effects.append(effect)


def unwrap(tool: llm.Tool) -> llm.Tool:
    """The tool behind namespaces (several APIs) and wrappers that say so."""
    while (inner := getattr(tool, "tool", None)) is not None and isinstance(
        inner, llm.Tool
    ):
        tool = inner
    return tool


class SensitivityReader:
    """Reads what a tool call would do in one home, under one agent's policy."""

    def __init__(self, hass: HomeAssistant, policy: SensitivityPolicy) -> None:
        """Read with these choices."""
        self.hass = hass
        self.policy = policy

    @callback
    def read_call(
        self,
        tool: llm.Tool,
        tool_args: Mapping[str, Any],
        llm_context: llm.LLMContext,
    ) -> Verdict:
        """What calling `tool` with these arguments would do."""
        inner = unwrap(tool)
        title = inner.title or inner.name
        if isinstance(inner, llm.IntentTool):
            return self._read_intent(inner, tool_args, llm_context, title)
        if isinstance(inner, llm.ActionTool):
            reading = _Reading()
            self._read_action(
                reading,
                f"{inner._domain}.{inner._action}",  # noqa: SLF001
                dict(tool_args),
                0,
            )
            # A script runs under its own name: the question says which.
            via = title if inner._domain == "script" else None  # noqa: SLF001
            return self._verdict(reading, title, via=via)
        annotations = inner.annotations
        if annotations.read_only:
            return Verdict()
        # A tool that says it destroys something always asks; one that says
        # nothing (the default annotations) cannot be read.
        if annotations != llm.ToolAnnotations() and annotations.destructive:
            return Verdict(effects=(Effect(VERB_USE, title),), tool_title=title)
        return Verdict(unreadable=True, tool_title=title)

    def _verdict(
        self, reading: _Reading, title: str, via: str | None = None
    ) -> Verdict:
        return Verdict(
            effects=tuple(reading.effects),
            unreadable=reading.unreadable,
            via=via,
            tool_title=title,
        )

    # --- Intents ------------------------------------------------------------

    def _read_intent(  # noqa: PLR0911 - one verdict per kind of intent handler
        self,
        tool: llm.IntentTool,
        tool_args: Mapping[str, Any],
        llm_context: llm.LLMContext,
        title: str,
    ) -> Verdict:
        slots: dict[str, Any] = {
            name: {"value": value}
            for name, value in tool_args.items()
            if not intent.is_blank_slot_value(value)
        }
        handler = next(
            (
                h
                for h in intent.async_get(self.hass)
                if h.intent_type == tool.intent_type
            ),
            None,
        )
        if handler is None:
            return Verdict()  # the call fails: the intent is gone
        if isinstance(handler, intent.DynamicServiceIntentHandler):
            found = self.intent_targets(
                tool.intent_type,
                slots,
                platform=llm_context.platform,
                language=llm_context.language or self.hass.config.language,
                assistant=llm_context.assistant,
            )
            return Verdict(effects=tuple(found), tool_title=title)
        action = getattr(handler, "config", {}).get(CONF_ACTION)
        if type(handler).__module__.startswith(
            "homeassistant.components.intent_script"
        ):
            reading = _Reading()
            if action is not None:
                self._read_sequence(reading, getattr(action, "sequence", None), 1)
            return self._verdict(reading, title, via=tool.intent_type)
        if "conversation_command" in slots:
            # A timer that will say something to an agent when it ends: what
            # that agent then does is not Confidant's to read.
            return Verdict(unreadable=True, tool_title=title)
        if type(handler).__module__.startswith("homeassistant."):
            # Home Assistant's own intents (timers, lists, media, climate...)
            # never open or unlock; they can still act on a listed entity.
            return Verdict(
                effects=tuple(self._listed_by_name(slots, handler, llm_context)),
                tool_title=title,
            )
        if tool.annotations.read_only:
            return Verdict()
        return Verdict(unreadable=True, tool_title=title)

    def _listed_by_name(
        self,
        slots: dict[str, Any],
        handler: intent.IntentHandler,
        llm_context: llm.LLMContext,
    ) -> list[Effect]:
        if not self.policy.always_ask:
            return []
        constraints = intent.MatchTargetsConstraints(
            name=slots.get("name", {}).get("value"),
            area_name=slots.get("area", {}).get("value"),
            floor_name=slots.get("floor", {}).get("value"),
            domains=handler.platforms,
            assistant=llm_context.assistant,
            allow_duplicate_names=True,
        )
        if not constraints.has_constraints:
            return []
        match = intent.async_match_targets(self.hass, constraints)
        return [
            Effect(VERB_CHANGE, state.name, state.entity_id)
            for state in match.states
            if state.entity_id in self.policy.always_ask
        ]

    @callback
    def intent_targets(
        self,
        intent_type: str,
        slots: dict[str, Any],
        *,
        platform: str,
        language: str,
        assistant: str | None,
    ) -> list[Effect]:
        """The sensitive effect on each target a service intent would act on.

        Mirrors how a service intent picks its targets, except that every
        entity sharing a name counts (the intent may pick any of them by area),
        so this never finds fewer targets than the intent acts on.
        """
        handler = next(
            (h for h in intent.async_get(self.hass) if h.intent_type == intent_type),
            None,
        )
        if not isinstance(handler, intent.DynamicServiceIntentHandler):
            return []
        try:
            slots = handler.async_validate_slots(slots)
        except probatio.Invalid:
            # The intent rejects these slots too, so it will not act.
            return []

        name: str | None = slots.get("name", {}).get("value")
        if name == "all":
            name = None
        domains: set[str] | None = handler.required_domains
        if "domain" in slots:
            domains = set(slots["domain"]["value"])
        device_classes: set[str] | None = None
        if "device_class" in slots:
            device_classes = set(slots["device_class"]["value"])
        constraints = intent.MatchTargetsConstraints(
            name=name,
            area_name=slots.get("area", {}).get("value"),
            floor_name=slots.get("floor", {}).get("value"),
            domains=domains,
            device_classes=device_classes,
            features=handler.required_features,
            states=handler.required_states,
            assistant=assistant,
            allow_duplicate_names=True,
        )
        if not constraints.has_constraints:
            return []
        match = intent.async_match_targets(self.hass, constraints)
        if not match.is_match:
            return []

        intent_obj = intent.Intent(
            self.hass,
            platform,
            intent_type,
            slots,
            None,
            Context(),
            language,
            assistant=assistant,
        )
        found: list[Effect] = []
        for state in match.states:
            try:
                domain, service = handler.get_domain_and_service(intent_obj, state)
            except intent.IntentError:
                continue
            if state.domain == "script" and service in (
                SERVICE_TURN_ON,
                SERVICE_TOGGLE,
            ):
                found += self._read_script_entity(state.entity_id)
                continue
            if verb := sensitive_verb(
                self.hass,
                domain=domain,
                service=service,
                state=state,
                data=slots,
                policy=self.policy,
            ):
                found.append(Effect(verb, state.name, state.entity_id))
        return found

    def _read_script_entity(self, entity_id: str) -> list[Effect]:
        """Effects of running a script entity, itself included when listed."""
        reading = _Reading()
        self._read_script(reading, entity_id, 1)
        effects = list(reading.effects)
        if reading.unreadable and self.policy.ask_unreadable:
            effects.append(Effect(VERB_RUN, self._name(entity_id), entity_id))
        return effects

    # --- Scripts and actions ------------------------------------------------

    def _name(self, entity_id: str) -> str:
        state = self.hass.states.get(entity_id)
        return state.name if state is not None else entity_id

    def _script_entity(self, key: str) -> Any:
        """The script entity for `script.<key>` (its object id or unique id)."""
        component = self.hass.data.get("script")
        if component is None:
            return None
        if (entity := component.get_entity(f"script.{key}")) is not None:
            return entity
        entity_id = er.async_get(self.hass).async_get_entity_id("script", "script", key)
        return component.get_entity(entity_id) if entity_id else None

    def _read_script(self, reading: _Reading, entity_id: str, depth: int) -> None:
        if entity_id in self.policy.always_ask:
            reading.add(Effect(VERB_RUN, self._name(entity_id), entity_id))
        if entity_id in reading.seen:
            return
        reading.seen.add(entity_id)
        entity = self._script_entity(entity_id.partition(".")[2])
        script = getattr(entity, "script", None)
        self._read_sequence(reading, getattr(script, "sequence", None), depth + 1)

    def _read_automation(self, reading: _Reading, entity_id: str, depth: int) -> None:
        if entity_id in reading.seen:
            return
        reading.seen.add(entity_id)
        component = self.hass.data.get("automation")
        entity = component.get_entity(entity_id) if component else None
        script = getattr(entity, "action_script", None)
        self._read_sequence(reading, getattr(script, "sequence", None), depth + 1)

    def _read_scene(self, reading: _Reading, entity_id: str) -> None:
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

    def _read_sequence(
        self, reading: _Reading, sequence: Sequence[Any] | None, depth: int
    ) -> None:
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
        self, reading: _Reading, kind: str, step: dict[str, Any], depth: int
    ) -> None:
        if kind in _INERT_STEPS:
            return
        if kind == cv.SCRIPT_ACTION_CALL_SERVICE:
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
            self._read_action(reading, action, data, depth)
        elif kind == cv.SCRIPT_ACTION_ACTIVATE_SCENE:
            scene = _static(step.get(CONF_SCENE))
            if isinstance(scene, str):
                self._read_scene(reading, scene)
            else:
                reading.unreadable = True
        elif kind == cv.SCRIPT_ACTION_DEVICE_AUTOMATION:
            self._read_device_action(reading, step)
        elif kind == cv.SCRIPT_ACTION_CHOOSE:
            for choice in step.get(CONF_CHOOSE, ()):
                self._read_sequence(reading, choice.get(CONF_SEQUENCE), depth)
            if CONF_DEFAULT in step:
                self._read_sequence(reading, step[CONF_DEFAULT], depth)
        elif kind == cv.SCRIPT_ACTION_IF:
            self._read_sequence(reading, step.get(CONF_THEN), depth)
            if CONF_ELSE in step:
                self._read_sequence(reading, step[CONF_ELSE], depth)
        elif kind == cv.SCRIPT_ACTION_REPEAT:
            self._read_sequence(reading, step[CONF_REPEAT].get(CONF_SEQUENCE), depth)
        elif kind == cv.SCRIPT_ACTION_PARALLEL:
            for branch in step.get(CONF_PARALLEL, ()):
                self._read_sequence(reading, branch.get(CONF_SEQUENCE), depth)
        elif kind == cv.SCRIPT_ACTION_SEQUENCE:
            self._read_sequence(reading, step.get(CONF_SEQUENCE), depth)
        else:
            # An event can start any automation; anything new is unknown.
            reading.unreadable = True

    def _read_device_action(self, reading: _Reading, step: dict[str, Any]) -> None:
        domain, kind = str(step.get(CONF_DOMAIN)), str(step.get(CONF_TYPE))
        device = dr.async_get(self.hass).async_get(step.get(CONF_DEVICE_ID, ""))
        name = (device.name_by_user or device.name or "") if device else ""
        entity_id: str | None = None
        if isinstance(ref := step.get(ATTR_ENTITY_ID), str):
            entry = er.async_get(self.hass).async_get(ref)
            entity_id = entry.entity_id if entry else ref
            name = self._name(entity_id)
        if verb := _DEVICE_ACTION_VERBS.get((domain, kind)):
            if domain == COVER_DOMAIN and entity_id:
                state = self.hass.states.get(entity_id)
                if state is not None and not is_entry_cover(self.hass, state):
                    return
            reading.add(Effect(verb, name or str(domain), entity_id))
        elif entity_id and entity_id in self.policy.always_ask:
            reading.add(Effect(VERB_CHANGE, name, entity_id))

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

    def _read_action(
        self, reading: _Reading, action: str, data: dict[str, Any], depth: int
    ) -> None:
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
            if verb := sensitive_verb(
                self.hass,
                domain=domain,
                service=service,
                state=state,
                data=data,
                policy=self.policy,
            ):
                reading.add(Effect(verb, state.name, entity_id))


def _static(value: Any) -> Any:
    """A config value as text when it is plain text; None when it is a template."""
    if isinstance(value, Template):
        return value.template if value.is_static else None
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return None
    return value
