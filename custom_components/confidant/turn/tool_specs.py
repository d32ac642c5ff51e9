"""Home Assistant's LLM tools as the tool specs a provider sends."""

from __future__ import annotations

from typing import Any, Final

import probatio
from homeassistant.helpers import llm

from ..providers import ToolSpec

_LIMIT: Final = 512


def tool_spec(tool: llm.Tool, custom_serializer: Any) -> ToolSpec:
    """Describe a Home Assistant LLM tool for a provider."""
    return ToolSpec(
        name=tool.name,
        description=tool.description,
        parameters=probatio.to_openapi(
            tool.parameters,
            custom_serializer=custom_serializer,
            openapi_version="3.1.0",
        ),
    )


class ToolSpecs:
    """One agent's tool specs, converted once per tool.

    Home Assistant builds its tools anew for every turn, but from the same
    schema pieces (markers and validators), so a spec is converted once, not
    on every request. Each entry keeps its pieces alive: an id in a key can
    never belong to another object.
    """

    def __init__(self) -> None:
        """Start with nothing converted."""
        self._specs: dict[tuple[object, ...], tuple[ToolSpec, tuple[object, ...]]] = {}

    def spec(self, tool: llm.Tool, custom_serializer: Any) -> ToolSpec:
        """The tool's spec: converted now, or as it was the last time."""
        schema = getattr(tool.parameters, "schema", None)
        if not isinstance(schema, dict):
            return tool_spec(tool, custom_serializer)
        pieces = (custom_serializer, *schema.keys(), *schema.values())
        key = (tool.name, tool.description, *map(id, pieces))
        if (known := self._specs.get(key)) is not None:
            return known[0]
        spec = tool_spec(tool, custom_serializer)
        if len(self._specs) >= _LIMIT:
            self._specs.clear()
        self._specs[key] = (spec, pieces)
        return spec
