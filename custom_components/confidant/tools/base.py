"""What every Confidant tool shares: its integration, its annotations, its errors."""

from __future__ import annotations

from typing import Any, override

from homeassistant.core import HomeAssistant
from homeassistant.helpers.llm import (
    LLMContext,
    Tool,
    ToolAnnotations,
    ToolInput,
    ToolResult,
)

from ..const import DOMAIN


class ConfidantTool(Tool):
    """A tool of Confidant's: it reads, changes nothing and stays in the house.

    A tool that does otherwise says so with annotations of its own.
    """

    integration = DOMAIN
    annotations = ToolAnnotations(
        read_only=True, destructive=False, idempotent=True, open_world=False
    )

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """Answer a call whose arguments passed the tool's schema."""
        args = self.parameters(tool_input.tool_args)
        return await self.async_answer(hass, args, llm_context)

    async def async_answer(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: LLMContext
    ) -> ToolResult:
        """The answer to a call, given the arguments the schema let through."""
        raise NotImplementedError


def tool_error(error: str, text: str) -> ToolResult:
    """A failed call: what went wrong, and a sentence the model can pass on."""
    return ToolResult(data={"error": error, "error_text": text}, error=True)
