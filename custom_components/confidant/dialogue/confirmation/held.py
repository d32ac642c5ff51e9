"""Sensitive calls held for the person to confirm, per conversation context.

A held call is kept exactly as the model made it, with what it would do and
what the question names. Once Confidant has asked, a context's calls are
fixed: a call arriving later is refused, never added to what a yes runs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from homeassistant.helpers import llm
from homeassistant.util import dt as dt_util

from ...const import LOGGER
from ...context_key import ContextKey
from ..sensitivity import Verdict
from ..sensitivity.verbs import Effect, binding


def copied_input(tool_input: llm.ToolInput) -> llm.ToolInput:
    """A call's input with arguments of its own: nobody else can change them."""
    return llm.ToolInput(
        tool_name=tool_input.tool_name,
        tool_args=copy.deepcopy(tool_input.tool_args),
        id=tool_input.id,
    )


@dataclass(slots=True)
class HeldCall:
    """A held tool call, exactly as the model made it, and what it would do."""

    tool: llm.Tool
    tool_input: llm.ToolInput
    llm_context: llm.LLMContext
    verdict: Verdict
    asked: tuple[Effect, ...]

    @property
    def binding(self) -> frozenset[tuple[str, str | None]]:
        """What the person agrees to: compared again just before it runs."""
        return binding(self.asked)


@dataclass(slots=True)
class HeldCalls:
    """What one context holds, and whether Confidant asked about it."""

    expires: datetime
    calls: list[HeldCall] = field(default_factory=list)
    asked: bool = False


class HeldCallStore:
    """The calls each conversation context holds, until answered or expired."""

    def __init__(self, window: timedelta) -> None:
        """Hold nothing yet; a question waits `window` for its answer."""
        self.window = window
        self._held: dict[ContextKey, HeldCalls] = {}

    def hold(
        self,
        key: ContextKey,
        tool: llm.Tool,
        tool_input: llm.ToolInput,
        llm_context: llm.LLMContext,
        verdict: Verdict,
    ) -> HeldCall:
        """Hold a sensitive call for `key`; the one it repeats, if any."""
        now = dt_util.utcnow()
        # Questions nobody answered do not pile up.
        for stale in [k for k, held in self._held.items() if held.expires <= now]:
            del self._held[stale]
        held = self._held.setdefault(key, HeldCalls(now + self.window))
        tool_input = copied_input(tool_input)
        # The model repeating a call in the same turn must not run it twice.
        for call in held.calls:
            if call.tool.name == tool.name and (
                call.tool_input.tool_args == tool_input.tool_args
            ):
                return call
        call = HeldCall(tool, tool_input, llm_context, verdict, verdict.asked)
        if held.asked:
            # The question is out: it cannot grow. A call arriving now (from
            # a turn gone by) is refused, never added to what a yes runs.
            return call
        held.calls.append(call)
        LOGGER.debug("Holding a %s call until the person confirms", tool.name)
        return call

    def get(self, key: ContextKey) -> HeldCalls | None:
        """What `key` holds, if anything."""
        return self._held.get(key)

    def pop(self, key: ContextKey) -> HeldCalls | None:
        """What `key` holds, no longer held."""
        return self._held.pop(key, None)

    def clear(self) -> None:
        """Hold nothing, for any context."""
        self._held.clear()

    def ask(self, held: HeldCalls) -> None:
        """The question about `held` is out: it waits a full window from now."""
        held.asked = True
        held.expires = dt_util.utcnow() + self.window
