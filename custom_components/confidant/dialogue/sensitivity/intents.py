"""What an intent would do: its targets resolved as the intent resolves them.

A service intent ("turn on", "open") acts on every entity its slots match;
every entity sharing a name counts here, so this never finds fewer targets
than the intent acts on. An `intent_script` intent is read as the script it
runs. Home Assistant's other intents never open or unlock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio
from hassil.recognize import RecognizeResult
from homeassistant.components import conversation
from homeassistant.const import CONF_ACTION, SERVICE_TOGGLE, SERVICE_TURN_ON
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import intent, llm

from .scripts import Reading, ScriptReader
from .verbs import VERB_CHANGE, Effect, SensitivityPolicy
from .verdict import Verdict


def intent_handler(
    hass: HomeAssistant, intent_type: str
) -> intent.IntentHandler | None:
    """The handler Home Assistant would call for an intent, if any."""
    return next(
        (h for h in intent.async_get(hass) if h.intent_type == intent_type), None
    )


def recognized_call(
    hass: HomeAssistant, result: RecognizeResult
) -> tuple[llm.IntentTool, dict[str, Any], llm.LLMContext] | None:
    """A locally recognised command as the intent tool call it amounts to."""
    handler = intent_handler(hass, result.intent.name)
    if handler is None:
        return None
    return (
        llm.IntentTool(result.intent.name, handler),
        {entity.name: entity.value for entity in result.entities_list},
        llm.LLMContext(
            platform=conversation.DOMAIN,
            context=None,
            language=hass.config.language,
            assistant=conversation.DOMAIN,
            device_id=None,
        ),
    )


class IntentReader:
    """Reads intent calls in one home, under one agent's policy."""

    def __init__(self, scripts: ScriptReader) -> None:
        """Read scripts that intents run with `scripts`."""
        self.scripts = scripts
        self.hass = scripts.hass
        self.policy: SensitivityPolicy = scripts.policy

    def read(  # noqa: PLR0911 - one verdict per kind of intent handler
        self,
        tool: llm.IntentTool,
        tool_args: Mapping[str, Any],
        llm_context: llm.LLMContext,
        title: str,
    ) -> Verdict:
        """What calling the intent with these slots would do."""
        slots: dict[str, Any] = {
            name: {"value": value}
            for name, value in tool_args.items()
            if not intent.is_blank_slot_value(value)
        }
        handler = intent_handler(self.hass, tool.intent_type)
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
            reading = Reading()
            if action is not None:
                self.scripts.read_sequence(
                    reading, getattr(action, "sequence", None), 1
                )
            return reading.verdict(title, via=tool.intent_type)
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
        match = self._match(
            slots,
            slots.get("name", {}).get("value"),
            assistant=llm_context.assistant,
            domains=handler.platforms,
        )
        if match is None:
            return []
        return [
            Effect(VERB_CHANGE, state.name, state.entity_id)
            for state in match.states
            if state.entity_id in self.policy.always_ask
        ]

    def _match(
        self,
        slots: dict[str, Any],
        name: str | None,
        *,
        assistant: str | None,
        **constraints: Any,
    ) -> intent.MatchTargetsResult | None:
        """What the slots match, every entity sharing a name included.

        None when the slots name nothing to match at all.
        """
        matching = intent.MatchTargetsConstraints(
            name=name,
            area_name=slots.get("area", {}).get("value"),
            floor_name=slots.get("floor", {}).get("value"),
            assistant=assistant,
            allow_duplicate_names=True,
            **constraints,
        )
        if not matching.has_constraints:
            return None
        return intent.async_match_targets(self.hass, matching)

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
        handler = intent_handler(self.hass, intent_type)
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
        match = self._match(
            slots,
            name,
            assistant=assistant,
            domains=domains,
            device_classes=device_classes,
            features=handler.required_features,
            states=handler.required_states,
        )
        if match is None or not match.is_match:
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
                found += self.scripts.read_script_entity(state.entity_id)
                continue
            if state.domain == "scene" and service == SERVICE_TURN_ON:
                # A scene sets its members' states: an unlocking scene unlocks.
                found += self.scripts.read_scene_entity(state.entity_id)
                continue
            if effect := self.scripts.effect_on(domain, service, state, slots):
                found.append(effect)
        return found
