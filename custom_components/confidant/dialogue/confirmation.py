"""Sensitive actions: the model can ask for them, only a person can allow them.

The model may be hijacked by anything it reads, so this module assumes it is:

- Every tool the model can call in a turn is wrapped. What a call would do is
  read from Home Assistant (sensitivity.py); a sensitive call is held, never
  run, and the model is told so.
- When the turn ends with held calls, Confidant, not the model, asks: its own
  translated question names every held action and target, and it is the last
  thing said. A turn that ends in an error asks nothing, so it holds nothing.
- Only the person's very next reply, in the same conversation, on the same
  device, by the same user, within a short window, can confirm; "no",
  silence, anything else or the window passing cancels all of it. Devices the
  household marks, and calls without a device, cannot confirm at all.
- A yes runs exactly what was asked: each held call is read again just before
  it runs, and if it would now act on anything the question did not name,
  nothing runs.
- With a PIN set, the yes must carry it. Confidant compares it; it is taken
  out of every utterance before the words go to a model, the memory or a
  transcript, and repeated wrong PINs lock sensitive actions for a while.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, override

import probatio
from hassil.recognize import RecognizeResult
from homeassistant.components import conversation
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent, llm
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType, JsonValueType

from ..const import (
    CONF_ALWAYS_ASK,
    CONF_ASK_UNREADABLE,
    CONF_CONFIRM_PIN,
    CONF_CONFIRM_WITHOUT_DEVICE,
    CONF_NO_CONFIRM_DEVICES,
    DEFAULT_ASK_UNREADABLE,
    DEFAULT_CONFIRM_WITHOUT_DEVICE,
    LOGGER,
)
from ..context_key import ContextKey
from .messages import async_spoken_message
from .phrases import is_affirmative, is_negative
from .sensitive_verbs import VERB_RUN, VERB_USE, Effect, SensitivityPolicy, describe
from .sensitivity import SensitivityReader, Verdict

# How long a question may wait for its answer, on top of "next turn only".
DEFAULT_CONFIRMATION_WINDOW: Final = timedelta(minutes=1)
# Wrong PINs in a row before sensitive actions are locked, and for how long.
MAX_WRONG_PINS: Final = 3
PIN_LOCKOUT: Final = timedelta(minutes=5)
# The fewest digits a PIN may have: shorter ones would hide ordinary numbers.
MIN_PIN_DIGITS: Final = 4

_DIGIT_RUN: Final = re.compile(r"\d+(?:[\s,.\-]+\d+)*")

# Digits as speech-to-text may write them out, in the languages Confidant
# speaks (accents dropped), so a PIN said as words is found and removed too.
_DIGIT_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("zero oh", "one", "two", "three", "four", "five", "six", "seven",
           "eight", "nine"),
    "de": ("null", "eins", "zwei zwo", "drei", "vier", "funf", "sechs", "sieben",
           "acht", "neun"),
    "fr": ("zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept",
           "huit", "neuf"),
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete",
           "ocho", "nueve"),
    "nl": ("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht",
           "negen"),
    "it": ("zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette",
           "otto", "nove"),
}  # fmt: skip
_WORD_TO_DIGIT: Final[dict[str, dict[str, str]]] = {
    language: {
        word: str(digit) for digit, words in enumerate(table) for word in words.split()
    }
    for language, table in _DIGIT_WORDS.items()
}


def _spoken_digits(text: str, language: str) -> str:
    """The text with digits said as words written as digits."""
    table = _WORD_TO_DIGIT.get(language.partition("-")[0].casefold())
    if not table:
        return text

    def digit(match: re.Match[str]) -> str:
        word = unicodedata.normalize("NFKD", match.group(0).casefold())
        word = "".join(c for c in word if unicodedata.category(c) != "Mn")
        return table.get(word, match.group(0))

    return re.sub(r"[^\W\d_]+", digit, text)


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """One agent's confirmation choices."""

    sensitivity: SensitivityPolicy = field(default_factory=SensitivityPolicy)
    no_confirm_devices: frozenset[str] = frozenset()
    confirm_without_device: bool = DEFAULT_CONFIRM_WITHOUT_DEVICE
    pin: str | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> GatePolicy:
        """The choices stored in an agent's subentry."""
        pin = "".join(
            ch for ch in str(options.get(CONF_CONFIRM_PIN) or "") if ch.isdigit()
        )
        return cls(
            sensitivity=SensitivityPolicy(
                always_ask=frozenset(options.get(CONF_ALWAYS_ASK) or ()),
                ask_unreadable=bool(
                    options.get(CONF_ASK_UNREADABLE, DEFAULT_ASK_UNREADABLE)
                ),
            ),
            no_confirm_devices=frozenset(options.get(CONF_NO_CONFIRM_DEVICES) or ()),
            confirm_without_device=bool(
                options.get(CONF_CONFIRM_WITHOUT_DEVICE, DEFAULT_CONFIRM_WITHOUT_DEVICE)
            ),
            pin=pin if len(pin) >= MIN_PIN_DIGITS else None,
        )


@dataclass(slots=True)
class ConfirmationOutcome:
    """What the person's reply to a confirmation question did."""

    speech: str
    executed: bool
    response: intent.IntentResponse | None = None


@dataclass(slots=True)
class TurnEnd:
    """What Confidant says at the end of a turn that held actions."""

    speech: str
    keep_listening: bool


@dataclass(slots=True)
class _PendingAction:
    """A held tool call, exactly as the model made it, and what it would do."""

    tool: llm.Tool
    tool_input: llm.ToolInput
    llm_context: llm.LLMContext
    verdict: Verdict
    asked: tuple[Effect, ...]

    @property
    def binding(self) -> frozenset[tuple[str, str | None]]:
        return frozenset((e.verb, e.entity_id or e.target) for e in self.asked)


@dataclass(slots=True)
class _Pending:
    """What one context holds, and whether Confidant asked about it."""

    expires: datetime
    actions: list[_PendingAction] = field(default_factory=list)
    asked: bool = False


def _asked_effects(verdict: Verdict) -> tuple[Effect, ...]:
    """What the question names for a call: its effects, or the call itself."""
    effects = verdict.effects
    if verdict.unreadable:
        verb = VERB_RUN if verdict.via else VERB_USE
        effects = (*effects, Effect(verb, verdict.via or verdict.tool_title))
    return effects


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

    def __deepcopy__(self, memo: dict[int, object]) -> _GuardedTool:
        # Home Assistant's conversation trace deep-copies the turn's tools
        # when it is read; the gate (and Home Assistant behind it) is shared
        # state, not something to copy.
        return self

    @override
    async def async_call(
        self,
        hass: HomeAssistant,
        tool_input: llm.ToolInput,
        llm_context: llm.LLMContext,
    ) -> llm.ToolResult | JsonObjectType:
        """Run the call, or hold it and tell the model that Confidant asks."""
        held = self.gate.async_hold(self.key, self.tool, tool_input, llm_context)
        if held is None:
            return await self.tool.async_call(hass, tool_input, llm_context)
        verbs = " and ".join(sorted({effect.verb for effect in held.asked}))
        targets = describe(held.asked)
        # The instruction is for the model, so it stays in one language.
        instruction = await async_spoken_message(
            hass,
            "en",
            "confirmation_required",
            {"action": verbs, "targets": ", ".join(targets)},
        )
        return llm.ToolResult(
            data={
                "confirmation_required": True,
                "done": False,
                "action": verbs,
                "targets": list[JsonValueType](targets),
                "instruction": instruction,
            }
        )


class ConfirmationGate:
    """Holds sensitive actions until the person confirms them in the next turn."""

    def __init__(
        self,
        hass: HomeAssistant,
        policy: GatePolicy | None = None,
        *,
        window: timedelta = DEFAULT_CONFIRMATION_WINDOW,
    ) -> None:
        """Start with nothing pending."""
        self._hass = hass
        self.policy = policy or GatePolicy()
        self._window = window
        self._pending: dict[ContextKey, _Pending] = {}
        self._wrong_pins = 0
        self._locked_until: datetime | None = None

    @property
    def reader(self) -> SensitivityReader:
        """Reads calls under this agent's choices."""
        return SensitivityReader(self._hass, self.policy.sensitivity)

    # --- During a turn ------------------------------------------------------

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
        """Hold a sensitive call for `key`; None when the call may run now."""
        verdict = self.reader.read_call(tool, tool_input.tool_args, llm_context)
        if not verdict.effects and not (
            verdict.unreadable and self.policy.sensitivity.ask_unreadable
        ):
            return None
        now = dt_util.utcnow()
        # Questions nobody answered do not pile up.
        for stale in [k for k, p in self._pending.items() if p.expires <= now]:
            del self._pending[stale]
        pending = self._pending.setdefault(key, _Pending(now + self._window))
        args = copy.deepcopy(tool_input.tool_args)
        # The model repeating a call in the same turn must not run it twice.
        for held in pending.actions:
            if held.tool.name == tool.name and held.tool_input.tool_args == args:
                return held
        action = _PendingAction(
            tool=tool,
            tool_input=llm.ToolInput(
                tool_name=tool_input.tool_name, tool_args=args, id=tool_input.id
            ),
            llm_context=llm_context,
            verdict=verdict,
            asked=_asked_effects(verdict),
        )
        if pending.asked:
            # The question is out: it cannot grow. A call arriving now (from
            # a turn gone by) is refused, never added to what a yes runs.
            return action
        pending.actions.append(action)
        LOGGER.debug("Holding a %s call until the person confirms", tool.name)
        return action

    async def async_end_turn(
        self,
        key: ContextKey,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        agent_id: str,
    ) -> TurnEnd | None:
        """Ask about what this turn held, in Confidant's words, as the last thing said.

        None when nothing was held. The question (or the reason nothing can
        be asked here) enters the chat log as a streamed assistant message,
        so a satellite that already speaks the model's words hears it too.
        """
        pending = self._pending.get(key)
        if pending is None or not pending.actions:
            return None
        language = user_input.language
        refusal = self._refusal(user_input)
        if refusal is not None:
            self._pending.pop(key, None)
            said = await async_spoken_message(
                self._hass, language, refusal[0], refusal[1]
            )
            keep_listening = False
        else:
            pending.asked = True
            pending.expires = dt_util.utcnow() + self._window
            said = await self._async_question(pending, language)
            keep_listening = True
        model_said = ""
        last = chat_log.content[-1]
        if isinstance(last, conversation.AssistantContent) and last.content:
            model_said = last.content.strip()

        async def deltas() -> AsyncIterator[conversation.AssistantContentDeltaDict]:
            yield {"role": "assistant"}
            yield {"content": said}

        async for _content in chat_log.async_add_delta_content_stream(
            agent_id, deltas()
        ):
            pass
        speech = f"{model_said} {said}" if model_said else said
        return TurnEnd(speech=speech, keep_listening=keep_listening)

    def _refusal(
        self, user_input: conversation.ConversationInput
    ) -> tuple[str, dict[str, str]] | None:
        """Why this turn cannot be asked to confirm, as a message key."""
        if (minutes := self._locked_minutes()) is not None:
            return "confirm_locked", {"minutes": str(minutes)}
        device = user_input.device_id or user_input.satellite_id
        if device is None:
            if not self.policy.confirm_without_device:
                return "confirm_refused_no_device", {}
        elif device in self.policy.no_confirm_devices:
            return "confirm_refused_device", {}
        return None

    def _locked_minutes(self) -> int | None:
        if self._locked_until is None:
            return None
        left = self._locked_until - dt_util.utcnow()
        if left <= timedelta(0):
            self._locked_until = None
            return None
        return max(1, round(left.total_seconds() / 60))

    async def _async_question(self, pending: _Pending, language: str) -> str:
        """Confidant's question, naming every held action and target."""
        phrases: list[str] = []
        for action in pending.actions:
            verdict = action.verdict
            effects = [
                await async_spoken_message(
                    self._hass, language, f"confirm_{e.verb}", {"target": e.target}
                )
                for e in action.asked
                if not (verdict.via and e.verb == VERB_RUN and e.target == verdict.via)
            ]
            if verdict.via:
                phrases.append(
                    await async_spoken_message(
                        self._hass,
                        language,
                        "confirm_run_with" if effects else "confirm_run",
                        {"target": verdict.via, "effects": ", ".join(effects)},
                    )
                )
            else:
                phrases += effects
        phrases = list(dict.fromkeys(phrases))
        listed = phrases[0]
        if len(phrases) > 1:
            listed = await async_spoken_message(
                self._hass,
                language,
                "confirm_and",
                {"first": ", ".join(phrases[:-1]), "last": phrases[-1]},
            )
        key = "confirm_question_pin" if self.policy.pin else "confirm_question"
        return await async_spoken_message(
            self._hass, language, key, {"actions": listed}
        )

    # --- The person's reply -------------------------------------------------

    @callback
    def scrub_pin(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> tuple[conversation.ConversationInput, bool | None]:
        """Take the PIN out of what was said, before the words go anywhere.

        Returns the words without it and whether exactly the PIN was said
        (None: no number that could be a PIN was said).
        The chat log Home Assistant opened for this turn is corrected too.
        """
        pin = self.policy.pin
        if pin is None:
            return user_input, None
        original = user_input.text
        text = _spoken_digits(original, user_input.language)
        digits = "".join(ch for ch in text if ch.isdigit())
        if not digits:
            return user_input, None
        exact = digits == pin
        if pin not in digits and not self._pending_for(user_input, chat_log):
            return user_input, None
        # A reply to a PIN question loses all its numbers: a wrong PIN is a
        # PIN too, and must not reach the model either.
        clean = " ".join(_DIGIT_RUN.sub(" ", text).split())
        for index in range(len(chat_log.content) - 1, -1, -1):
            content = chat_log.content[index]
            if isinstance(content, conversation.UserContent):
                if content.content == original:
                    chat_log.content[index] = dataclasses.replace(
                        content, content=clean
                    )
                break
        return dataclasses.replace(user_input, text=clean), exact

    def _pending_for(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> bool:
        key = ContextKey(
            conversation_id=chat_log.conversation_id,
            device_id=user_input.device_id or user_input.satellite_id,
            user_id=user_input.context.user_id,
        )
        pending = self._pending.get(key)
        return pending is not None and pending.asked

    async def async_answer(
        self,
        key: ContextKey,
        user_input: conversation.ConversationInput,
        *,
        pin_heard: bool | None = None,
    ) -> ConfirmationOutcome | None:
        """Resolve a pending question with the person's reply, if one was asked."""
        # Whatever the reply, the question was asked once: it is gone now.
        pending = self._pending.pop(key, None)
        if (
            pending is None
            or not pending.asked
            or pending.expires <= dt_util.utcnow()
            or self._refusal(user_input) is not None
        ):
            return None
        text, language = user_input.text, user_input.language
        # "No" wins when a reply reads as both.
        if is_negative(text, language):
            return await self._outcome(language, "action_cancelled")
        if not is_affirmative(text, language):
            return None
        if self.policy.pin is not None and not pin_heard:
            return await self._async_wrong_pin(language, pin_heard is False)
        self._wrong_pins = 0
        for action in pending.actions:
            now = self.reader.read_call(
                action.tool, action.tool_input.tool_args, action.llm_context
            )
            if (
                not frozenset(
                    (e.verb, e.entity_id or e.target) for e in _asked_effects(now)
                )
                <= action.binding
            ):
                LOGGER.info(
                    "A confirmed action changed before it ran; nothing was done"
                )
                return await self._outcome(language, "confirm_changed")
        return await self._async_run(pending.actions, user_input)

    async def _async_wrong_pin(
        self, language: str, digits_said: bool
    ) -> ConfirmationOutcome:
        """A yes without the right PIN: nothing runs; guesses are counted."""
        if not digits_said:
            return await self._outcome(language, "confirm_pin_missing")
        self._wrong_pins += 1
        LOGGER.warning("A confirmation had a wrong PIN (%s in a row)", self._wrong_pins)
        if self._wrong_pins >= MAX_WRONG_PINS:
            self._wrong_pins = 0
            self._locked_until = dt_util.utcnow() + PIN_LOCKOUT
            # Every open question is void while sensitive actions are locked.
            self._pending.clear()
            return await self._outcome(
                language,
                "confirm_locked",
                {"minutes": str(round(PIN_LOCKOUT.total_seconds() / 60))},
            )
        return await self._outcome(language, "confirm_wrong_pin")

    async def _outcome(
        self, language: str, key: str, placeholders: dict[str, str] | None = None
    ) -> ConfirmationOutcome:
        speech = await async_spoken_message(self._hass, language, key, placeholders)
        return ConfirmationOutcome(speech, executed=False)

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

    # --- Home Assistant's own intents (local-first) -------------------------

    def skip_local_intent(self, result: RecognizeResult) -> bool:
        """Whether a locally recognised command is sensitive (then the agent asks)."""
        slots: dict[str, Any] = {
            entity.name: {"value": entity.value, "text": entity.text or entity.value}
            for entity in result.entities_list
        }
        handler = next(
            (
                h
                for h in intent.async_get(self._hass)
                if h.intent_type == result.intent.name
            ),
            None,
        )
        if handler is None:
            return False
        tool = llm.IntentTool(result.intent.name, handler)
        verdict = self.reader.read_call(
            tool,
            {name: slot["value"] for name, slot in slots.items()},
            llm.LLMContext(
                platform=conversation.DOMAIN,
                context=None,
                language=self._hass.config.language,
                assistant=conversation.DOMAIN,
                device_id=None,
            ),
        )
        return bool(verdict.effects) or (
            verdict.unreadable and self.policy.sensitivity.ask_unreadable
        )

    @callback
    def forget(self, key: ContextKey) -> None:
        """Drop a pending action."""
        self._pending.pop(key, None)
