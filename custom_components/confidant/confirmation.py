"""Confirmation of sensitive actions: unlock, open a garage door, disarm, open a valve.

Such an action never runs on the model's word alone. The model's tool call
becomes a pending action and the agent asks; it runs only when the person
says yes in the very next turn. Text the model read (a camera description,
an entity name, a web page) cannot confirm anything, because only the
person's own reply is checked, by Confidant, not by the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import intent
from hassil.recognize import RecognizeResult

from .memory import ContextKey


@dataclass(slots=True)
class ConfirmationOutcome:
    """What the person's reply to a confirmation question did."""

    speech: str
    executed: bool
    response: intent.IntentResponse | None = None


class ConfirmationGate:
    """Holds sensitive actions until the person confirms them (placeholder)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with nothing pending."""
        self._hass = hass

    @callback
    def guard_tools(self, key: ContextKey, chat_log: conversation.ChatLog) -> None:
        """Make sensitive tool calls of this turn wait for confirmation."""

    async def async_answer(
        self, key: ContextKey, user_input: conversation.ConversationInput
    ) -> ConfirmationOutcome | None:
        """Resolve a pending action with the person's reply, if one is pending."""
        return None

    def skip_local_intent(self, result: RecognizeResult) -> bool:
        """Whether a locally recognised command is sensitive (then the agent asks)."""
        return False

    @callback
    def forget(self, key: ContextKey) -> None:
        """Drop a pending action."""
