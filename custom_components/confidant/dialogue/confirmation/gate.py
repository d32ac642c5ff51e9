"""The confirmation gate: holds a turn's sensitive calls, asks, and hears the reply.

It ties the steps together: tools are wrapped (guarded_tool.py) and their
sensitive calls held (held.py); at the end of the turn Confidant asks
(question.py); the PIN is taken out of the reply (pin.py) and a yes runs
exactly what was asked (run.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Final

from hassil.recognize import RecognizeResult
from homeassistant.components import conversation
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm
from homeassistant.util import dt as dt_util

from ...context_key import ContextKey
from ..messages import async_spoken_message
from ..phrases import is_affirmative, is_negative
from ..sensitivity import SensitivityReader
from .guarded_tool import GuardedTool
from .held import HeldCall, HeldCallStore
from .pin import LOCKOUT_MINUTES, PinLockout, without_pin
from .policy import GatePolicy
from .question import async_question, async_say_last
from .run import ConfirmationOutcome, async_run, still_as_asked

# How long a question may wait for its answer, on top of "next turn only".
DEFAULT_CONFIRMATION_WINDOW: Final = timedelta(minutes=1)


@dataclass(slots=True)
class TurnEnd:
    """What Confidant says at the end of a turn that held actions."""

    speech: str
    keep_listening: bool


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
        # Reads calls under this agent's choices.
        self.reader = SensitivityReader(hass, self.policy.sensitivity)
        self._held = HeldCallStore(window)
        self._lockout = PinLockout()

    # --- During a turn ------------------------------------------------------

    @callback
    def guard_tools(self, key: ContextKey, chat_log: conversation.ChatLog) -> None:
        """Make sensitive tool calls of this turn wait for confirmation."""
        # A new turn of the model: nothing from an earlier turn stays pending.
        self._held.pop(key)
        if (api := chat_log.llm_api) is None:
            return
        # One hold for all of the turn's tools: a chat log keeps its tools
        # for minutes, so nothing per tool beyond the wrapper itself.
        hold = partial(self.async_hold, key)
        for index, tool in enumerate(api.tools):
            if isinstance(tool, GuardedTool):
                tool = tool.tool  # noqa: PLW2901
            api.tools[index] = GuardedTool(hold, tool)

    @callback
    def async_hold(
        self,
        key: ContextKey,
        tool: llm.Tool,
        tool_input: llm.ToolInput,
        llm_context: llm.LLMContext,
    ) -> HeldCall | None:
        """Hold a sensitive call for `key`; None when the call may run now."""
        verdict = self.reader.read_call(tool, tool_input.tool_args, llm_context)
        if not verdict.asks(self.policy.sensitivity):
            return None
        return self._held.hold(key, tool, tool_input, llm_context, verdict)

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
        held = self._held.get(key)
        if held is None or not held.calls:
            return None
        language = user_input.language
        refusal = self._refusal(user_input)
        if refusal is not None:
            self._held.pop(key)
            said = await async_spoken_message(
                self._hass, language, refusal[0], refusal[1]
            )
        else:
            self._held.ask(held)
            said = await async_question(
                self._hass, held.calls, language, pin=self.policy.pin is not None
            )
        speech = await async_say_last(chat_log, agent_id, said)
        return TurnEnd(speech=speech, keep_listening=refusal is None)

    def _refusal(
        self, user_input: conversation.ConversationInput
    ) -> tuple[str, dict[str, str]] | None:
        """Why this turn cannot be asked to confirm, as a message key."""
        if (minutes := self._lockout.minutes_left()) is not None:
            return "confirm_locked", {"minutes": str(minutes)}
        device = user_input.device_id or user_input.satellite_id
        if (key := self.policy.device_refusal(device)) is not None:
            return key, {}
        return None

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
        scrubbed = without_pin(
            original,
            user_input.language,
            pin,
            awaiting=self._question_awaits(user_input, chat_log),
        )
        if scrubbed is None:
            return user_input, None
        clean, exact = scrubbed
        for index in range(len(chat_log.content) - 1, -1, -1):
            content = chat_log.content[index]
            if isinstance(content, conversation.UserContent):
                if content.content == original:
                    chat_log.content[index] = dataclasses.replace(
                        content, content=clean
                    )
                break
        return dataclasses.replace(user_input, text=clean), exact

    def _question_awaits(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> bool:
        """Whether Confidant asked the person in this context a question."""
        key = ContextKey(
            conversation_id=chat_log.conversation_id,
            device_id=user_input.device_id or user_input.satellite_id,
            user_id=user_input.context.user_id,
        )
        held = self._held.get(key)
        return held is not None and held.asked

    async def async_answer(
        self,
        key: ContextKey,
        user_input: conversation.ConversationInput,
        *,
        pin_heard: bool | None = None,
    ) -> ConfirmationOutcome | None:
        """Resolve a pending question with the person's reply, if one was asked."""
        # Whatever the reply, the question was asked once: it is gone now.
        held = self._held.pop(key)
        if (
            held is None
            or not held.asked
            or held.expires <= dt_util.utcnow()
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
        self._lockout.right_pin()
        if not still_as_asked(self.reader, held.calls):
            return await self._outcome(language, "confirm_changed")
        return await async_run(self._hass, held.calls, user_input)

    async def _async_wrong_pin(
        self, language: str, digits_said: bool
    ) -> ConfirmationOutcome:
        """A yes without the right PIN: nothing runs; guesses are counted."""
        if not digits_said:
            return await self._outcome(language, "confirm_pin_missing")
        if self._lockout.wrong_pin():
            # Every open question is void while sensitive actions are locked.
            self._held.clear()
            return await self._outcome(
                language, "confirm_locked", {"minutes": str(LOCKOUT_MINUTES)}
            )
        return await self._outcome(language, "confirm_wrong_pin")

    async def _outcome(
        self, language: str, key: str, placeholders: dict[str, str] | None = None
    ) -> ConfirmationOutcome:
        speech = await async_spoken_message(self._hass, language, key, placeholders)
        return ConfirmationOutcome(speech, executed=False)

    # --- Home Assistant's own intents (local-first) -------------------------

    def skip_local_intent(self, result: RecognizeResult) -> bool:
        """Whether a locally recognised command is sensitive (then the agent asks)."""
        return self.reader.read_recognized(result).asks(self.policy.sensitivity)

    @callback
    def forget(self, key: ContextKey) -> None:
        """Drop a pending action."""
        self._held.pop(key)
