"""A tool that holds its sensitive calls for the person to confirm.

Every tool the model can call in a turn is wrapped: a call that may run now
runs; a held one never runs, and the model is told that Confidant asks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import override

from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.util.json import JsonObjectType

from .held import HeldCall
from .question import async_tell_model

# Holds a call; None when it may run now.
type Hold = Callable[[llm.Tool, llm.ToolInput, llm.LLMContext], HeldCall | None]


class GuardedTool(llm.Tool):
    """A tool that holds sensitive calls for the person to confirm."""

    def __init__(self, hold: Hold, tool: llm.Tool) -> None:
        """Wrap `tool`; `hold` decides about each call."""
        self.hold = hold
        self.tool = tool
        self.name = tool.name
        self.title = tool.title
        self.description = tool.description
        self.parameters = tool.parameters
        self.annotations = tool.annotations
        self.integration = tool.integration

    def __deepcopy__(self, memo: dict[int, object]) -> GuardedTool:
        """The same tool: what it wraps is shared, not something to copy."""
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
        held = self.hold(self.tool, tool_input, llm_context)
        if held is None:
            return await self.tool.async_call(hass, tool_input, llm_context)
        return await async_tell_model(hass, held)
