"""Short-term memory: the turns a follow-up may refer to, and nothing longer.

Each conversation context (conversation, device and user together) keeps its
recent turns in memory only, for the agent's follow-up window. When the window
passes without a new turn, the context is deleted; nothing is written to disk.
Trimming drops whole turns, so a tool call never loses its result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from ..context_key import ContextKey
from ..providers import Message


@dataclass(slots=True)
class _Context:
    turns: list[tuple[Message, ...]] = field(default_factory=list)
    cancel_expiry: CALLBACK_TYPE | None = None


class ShortTermMemory:
    """The recent turns of every open conversation of one agent."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start empty."""
        self._hass = hass
        self._contexts: dict[ContextKey, _Context] = {}

    def __contains__(self, key: ContextKey) -> bool:
        """Whether anything is remembered for this context."""
        return key in self._contexts

    def __len__(self) -> int:
        """How many contexts are open."""
        return len(self._contexts)

    def recall(self, key: ContextKey, max_turns: int) -> list[Message]:
        """The messages of the last turns, oldest first."""
        context = self._contexts.get(key)
        if context is None or max_turns <= 0:
            return []
        return [message for turn in context.turns[-max_turns:] for message in turn]

    @callback
    def remember(
        self,
        key: ContextKey,
        turn: tuple[Message, ...],
        window: timedelta,
        max_turns: int,
    ) -> None:
        """Add a turn and restart the context's expiry."""
        context = self._contexts.setdefault(key, _Context())
        context.turns.append(turn)
        del context.turns[: -max(max_turns, 1)]
        if context.cancel_expiry is not None:
            context.cancel_expiry()
        context.cancel_expiry = async_call_later(self._hass, window, self._expiry(key))

    @callback
    def forget_last_turn(self, key: ContextKey) -> bool:
        """Drop the most recent turn; True when there was one."""
        context = self._contexts.get(key)
        if context is None or not context.turns:
            return False
        context.turns.pop()
        if not context.turns:
            self.forget(key)
        return True

    @callback
    def forget(self, key: ContextKey) -> None:
        """Drop everything remembered for this context."""
        context = self._contexts.pop(key, None)
        if context is not None and context.cancel_expiry is not None:
            context.cancel_expiry()

    @callback
    def forget_all(self) -> None:
        """Drop every context (the agent is being removed)."""
        for key in list(self._contexts):
            self.forget(key)

    def _expiry(self, key: ContextKey) -> Callable[[object], None]:
        @callback
        def expire(_now: object) -> None:
            context = self._contexts.pop(key, None)
            if context is not None:
                context.turns.clear()

        return expire
