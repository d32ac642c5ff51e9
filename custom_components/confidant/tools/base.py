"""What every Confidant tool shares: its integration, its annotations, its errors."""

from __future__ import annotations

from homeassistant.helpers.llm import Tool, ToolAnnotations, ToolResult

from ..const import DOMAIN


class ConfidantTool(Tool):
    """A tool of Confidant's: it reads, changes nothing and stays in the house.

    A tool that does otherwise says so with annotations of its own.
    """

    integration = DOMAIN
    annotations = ToolAnnotations(
        read_only=True, destructive=False, idempotent=True, open_world=False
    )


def tool_error(error: str, text: str) -> ToolResult:
    """A failed call: what went wrong, and a sentence the model can pass on."""
    return ToolResult(data={"error": error, "error_text": text}, error=True)
