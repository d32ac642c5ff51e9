"""Confirmation of sensitive actions: unlock, open a garage door, disarm, open a valve.

Such an action never runs on the model's word alone. The model's tool call
becomes a pending action and the agent asks; it runs only when the person
says yes in the very next turn. Text the model read (a camera description,
an entity name, a web page) cannot confirm anything, because only the
person's own reply is checked, by Confidant, not by the model.

Whether a call is sensitive is decided from what it would do, not from the
tool's name: the targets are resolved the way the intent itself resolves them
(same slots, same exposure, but every entity sharing a name counts), and for
each target the service the intent would call is checked.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, override

import probatio
from hassil.recognize import RecognizeResult
from homeassistant.components import conversation
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
from homeassistant.core import Context, HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent, llm
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType

from .const import LOGGER
from .memory import ContextKey
from .messages import async_spoken_message
from .phrases import is_affirmative, is_negative

# How long a question may wait for its answer, on top of "next turn only".
DEFAULT_CONFIRMATION_WINDOW = timedelta(minutes=3)

# What each sensitive action is called in the tool result the model reads.
VERB_UNLOCK = "unlock"
VERB_OPEN = "open"
VERB_DISARM = "disarm"

# Covers that let someone into the home.
ENTRY_COVER_CLASSES = frozenset(
    {CoverDeviceClass.GARAGE, CoverDeviceClass.GATE, CoverDeviceClass.DOOR}
)

# What homeassistant.turn_on/turn_off become for a domain (as the on/off
# intents do: HassTurnOff unlocks a lock, HassTurnOn opens a cover or valve).
_ON_OFF_SERVICES = {
    (LOCK_DOMAIN, SERVICE_TURN_OFF): SERVICE_UNLOCK,
    (COVER_DOMAIN, SERVICE_TURN_ON): SERVICE_OPEN_COVER,
    (VALVE_DOMAIN, SERVICE_TURN_ON): SERVICE_OPEN_VALVE,
    (ALARM_DOMAIN, SERVICE_TURN_OFF): SERVICE_ALARM_DISARM,
}
# What a toggle does to an entity that is not open (unlocked, disarmed) yet.
_TOGGLE_OPENS = {
    LOCK_DOMAIN: SERVICE_UNLOCK,
    COVER_DOMAIN: SERVICE_OPEN_COVER,
    VALVE_DOMAIN: SERVICE_OPEN_VALVE,
    ALARM_DOMAIN: SERVICE_ALARM_DISARM,
}
_ALREADY_OPEN = frozenset(
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


@dataclass(slots=True)
class ConfirmationOutcome:
    """What the person's reply to a confirmation question did."""

    speech: str
    executed: bool
    response: intent.IntentResponse | None = None


@dataclass(slots=True)
class _PendingAction:
    """A held tool call, exactly as the model made it."""

    tool: llm.Tool
    tool_input: llm.ToolInput
    llm_context: llm.LLMContext
    verb: str
    targets: list[str]


@dataclass(slots=True)
class _Pending:
    """What one context is asked to confirm."""

    expires: datetime
    actions: list[_PendingAction] = field(default_factory=list)


def _unwrap(tool: llm.Tool) -> llm.Tool:
    """The tool behind namespaces (several APIs) and guards."""
    while True:
        if isinstance(tool, _GuardedTool | llm.NamespacedTool):
            tool = tool.tool
        else:
            return tool


def _opens_further(state: State, slots: dict[str, Any]) -> bool:
    """Whether a set-position call moves past where the entity is now."""
    try:
        position = int(slots[ATTR_POSITION]["value"])
    except KeyError, TypeError, ValueError:
        return True
    current = state.attributes.get(ATTR_CURRENT_POSITION)
    if not isinstance(current, int | float):
        current = 0
    return position > current


def _sensitive_verb(
    domain: str, service: str, state: State, slots: dict[str, Any]
) -> str | None:
    """What sensitive thing calling `domain.service` on `state` does, if any."""
    if domain == HOMEASSISTANT_DOMAIN:
        domain = state.domain
        if service == SERVICE_TOGGLE:
            if state.state in _ALREADY_OPEN:
                return None
            service = _TOGGLE_OPENS.get(domain, service)
        else:
            service = _ON_OFF_SERVICES.get((domain, service), service)
    elif service == SERVICE_TOGGLE and state.state not in _ALREADY_OPEN:
        service = _TOGGLE_OPENS.get(domain, service)

    if domain == LOCK_DOMAIN and service in (SERVICE_UNLOCK, SERVICE_OPEN):
        return VERB_UNLOCK
    if domain == ALARM_DOMAIN and service == SERVICE_ALARM_DISARM:
        return VERB_DISARM
    if domain == COVER_DOMAIN:
        if state.attributes.get(ATTR_DEVICE_CLASS) not in ENTRY_COVER_CLASSES:
            return None
        if service == SERVICE_OPEN_COVER or (
            service == SERVICE_SET_COVER_POSITION and _opens_further(state, slots)
        ):
            return VERB_OPEN
    if domain == VALVE_DOMAIN and (
        service == SERVICE_OPEN_VALVE
        or (service == SERVICE_SET_VALVE_POSITION and _opens_further(state, slots))
    ):
        return VERB_OPEN
    return None


class _GuardedTool(llm.Tool):
    """A tool that holds sensitive calls for the person to confirm."""

    def __init__(self, gate: ConfirmationGate, key: ContextKey, tool: llm.Tool) -> None:
        self.gate = gate
        self.key = key
        self.tool = tool
        self.name = tool.name
        self.title = tool.title
        self.description = tool.description
        self.parameters = tool.parameters
        self.annotations = tool.annotations
        self.integration = tool.integration

    @override
    async def async_call(
        self,
        hass: HomeAssistant,
        tool_input: llm.ToolInput,
        llm_context: llm.LLMContext,
    ) -> llm.ToolResult | JsonObjectType:
        """Run the call, or hold it and tell the model to ask."""
        held = self.gate.async_hold(self.key, self.tool, tool_input, llm_context)
        if held is None:
            return await self.tool.async_call(hass, tool_input, llm_context)
        # The instruction is for the model, so it stays in one language;
        # the model asks the person in theirs.
        instruction = await async_spoken_message(
            hass,
            "en",
            "confirmation_required",
            {"action": held.verb, "targets": ", ".join(held.targets)},
        )
        return llm.ToolResult(
            data={
                "confirmation_required": True,
                "done": False,
                "action": held.verb,
                "targets": list(held.targets),
                "instruction": instruction,
            }
        )


class ConfirmationGate:
    """Holds sensitive actions until the person confirms them in the next turn."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        window: timedelta = DEFAULT_CONFIRMATION_WINDOW,
    ) -> None:
        """Start with nothing pending."""
        self._hass = hass
        self._window = window
        self._pending: dict[ContextKey, _Pending] = {}

    @callback
    def guard_tools(self, key: ContextKey, chat_log: conversation.ChatLog) -> None:
        """Make sensitive tool calls of this turn wait for confirmation."""
        # A new turn of the model: nothing from an earlier turn stays pending.
        self._pending.pop(key, None)
        if (api := chat_log.llm_api) is None:
            return
        for index, tool in enumerate(api.tools):
            if isinstance(tool, _GuardedTool):
                tool = tool.tool  # noqa: PLW2901
            api.tools[index] = _GuardedTool(self, key, tool)

    @callback
    def async_hold(
        self,
        key: ContextKey,
        tool: llm.Tool,
        tool_input: llm.ToolInput,
        llm_context: llm.LLMContext,
    ) -> _PendingAction | None:
        """Hold a sensitive call for `key`; None when the call is not sensitive."""
        inner = _unwrap(tool)
        if not isinstance(inner, llm.IntentTool):
            return None
        slots: dict[str, Any] = {
            name: {"value": value}
            for name, value in tool_input.tool_args.items()
            if not intent.is_blank_slot_value(value)
        }
        found = self._sensitive_targets(
            inner.intent_type,
            slots,
            platform=llm_context.platform,
            language=llm_context.language or self._hass.config.language,
            assistant=llm_context.assistant,
        )
        if not found:
            return None
        verbs = sorted({verb for verb, _ in found})
        action = _PendingAction(
            tool=tool,
            tool_input=llm.ToolInput(
                tool_name=tool_input.tool_name,
                tool_args=copy.deepcopy(tool_input.tool_args),
                id=tool_input.id,
            ),
            llm_context=llm_context,
            verb=" and ".join(verbs),
            targets=list(dict.fromkeys(name for _, name in found)),
        )
        now = dt_util.utcnow()
        # Questions nobody answered do not pile up.
        for stale in [k for k, p in self._pending.items() if p.expires <= now]:
            del self._pending[stale]
        pending = self._pending.setdefault(key, _Pending(now + self._window))
        pending.expires = now + self._window
        # The model repeating a call in the same turn must not run it twice.
        for held in pending.actions:
            if (
                held.tool.name == action.tool.name
                and held.tool_input.tool_args == action.tool_input.tool_args
            ):
                return held
        pending.actions.append(action)
        LOGGER.debug("Holding a %s call until the person confirms", tool.name)
        return action

    async def async_answer(
        self, key: ContextKey, user_input: conversation.ConversationInput
    ) -> ConfirmationOutcome | None:
        """Resolve a pending action with the person's reply, if one is pending."""
        # Whatever the reply, the question was asked once: it is gone now.
        pending = self._pending.pop(key, None)
        if pending is None or pending.expires <= dt_util.utcnow():
            return None
        text, language = user_input.text, user_input.language
        # "No" wins when a reply reads as both.
        if is_negative(text, language):
            return ConfirmationOutcome(
                await async_spoken_message(self._hass, language, "action_cancelled"),
                executed=False,
            )
        if not is_affirmative(text, language):
            return None
        return await self._async_run(pending.actions, user_input)

    async def _async_run(
        self,
        actions: list[_PendingAction],
        user_input: conversation.ConversationInput,
    ) -> ConfirmationOutcome:
        """Run the confirmed calls, as the person who confirmed them."""
        language = user_input.language
        spoken: list[str] = []
        response: intent.IntentResponse | None = None
        executed = False
        for action in actions:
            llm_context = dataclasses.replace(
                action.llm_context, context=user_input.context
            )
            try:
                result = await action.tool.async_call(
                    self._hass,
                    llm.ToolInput(
                        tool_name=action.tool_input.tool_name,
                        tool_args=copy.deepcopy(action.tool_input.tool_args),
                        id=action.tool_input.id,
                    ),
                    llm_context,
                )
            except HomeAssistantError, probatio.Invalid:
                LOGGER.debug("A confirmed %s call failed", action.tool.name)
                continue
            if not isinstance(result, llm.ToolResult):
                result = llm.ToolResult(data=result)
            data = result.data
            original = getattr(data, "original", None)
            if result.error or "error" in data:
                continue
            if isinstance(original, intent.IntentResponse):
                if original.response_type is intent.IntentResponseType.ERROR:
                    continue
                response = original
                if speech := original.speech.get("plain", {}).get("speech"):
                    spoken.append(str(speech))
            executed = True

        if not executed:
            speech = await async_spoken_message(self._hass, language, "action_failed")
            failed = intent.IntentResponse(language=language)
            failed.async_set_error(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE, speech
            )
            return ConfirmationOutcome(speech, executed=False, response=failed)

        speech = " ".join(spoken) or await async_spoken_message(
            self._hass, language, "action_done"
        )
        if response is not None:
            response.async_set_speech(speech)
        return ConfirmationOutcome(speech, executed=True, response=response)

    def skip_local_intent(self, result: RecognizeResult) -> bool:
        """Whether a locally recognised command is sensitive (then the agent asks)."""
        slots: dict[str, Any] = {
            entity.name: {"value": entity.value, "text": entity.text or entity.value}
            for entity in result.entities_list
        }
        return bool(
            self._sensitive_targets(
                result.intent.name,
                slots,
                platform=conversation.DOMAIN,
                language=self._hass.config.language,
                assistant=conversation.DOMAIN,
            )
        )

    @callback
    def forget(self, key: ContextKey) -> None:
        """Drop a pending action."""
        self._pending.pop(key, None)

    @callback
    def _sensitive_targets(
        self,
        intent_type: str,
        slots: dict[str, Any],
        *,
        platform: str,
        language: str,
        assistant: str | None,
    ) -> list[tuple[str, str]]:
        """(verb, friendly name) of each target the intent would open or unlock.

        Mirrors how a service intent picks its targets, except that every
        entity sharing a name counts (the intent may pick any of them by area),
        so this never finds fewer targets than the intent acts on.
        """
        handler = next(
            (h for h in intent.async_get(self._hass) if h.intent_type == intent_type),
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
        match = intent.async_match_targets(self._hass, constraints)
        if not match.is_match:
            return []

        intent_obj = intent.Intent(
            self._hass,
            platform,
            intent_type,
            slots,
            None,
            Context(),
            language,
            assistant=assistant,
        )
        found: list[tuple[str, str]] = []
        for state in match.states:
            try:
                domain, service = handler.get_domain_and_service(intent_obj, state)
            except intent.IntentError:
                continue
            if verb := _sensitive_verb(domain, service, state, slots):
                found.append((verb, state.name))
        return found
