"""Home Assistant's LLM tools as the tool specs a provider sends."""

from __future__ import annotations

from collections.abc import Callable
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
        self._sizes: dict[tuple[object, ...], int] = {}

    def spec(self, tool: llm.Tool, custom_serializer: Any) -> ToolSpec:
        """The tool's spec: converted now, or as it was the last time."""
        if (key := _key(tool, custom_serializer)) is None:
            return tool_spec(tool, custom_serializer)
        if (known := self._specs.get(key)) is not None:
            return known[0]
        spec = tool_spec(tool, custom_serializer)
        if len(self._specs) >= _LIMIT:
            self._specs.clear()
            self._sizes.clear()
        self._specs[key] = (spec, _pieces(tool, custom_serializer))
        return spec

    def size(
        self,
        tool: llm.Tool,
        custom_serializer: Any,
        measure: Callable[[llm.Tool, ToolSpec], int],
    ) -> int:
        """`measure` of the tool's spec, measured once per converted spec."""
        key = _key(tool, custom_serializer)
        if key is not None and (size := self._sizes.get(key)) is not None:
            return size
        size = measure(tool, self.spec(tool, custom_serializer))
        if key is not None and key in self._specs:
            self._sizes[key] = size
        return size


def _pieces(tool: llm.Tool, custom_serializer: Any) -> tuple[object, ...]:
    """What a tool's spec is made of: its serializer and schema's pieces."""
    schema: dict[Any, Any] = tool.parameters.schema
    return (custom_serializer, *schema.keys(), *schema.values())


def _key(tool: llm.Tool, custom_serializer: Any) -> tuple[object, ...] | None:
    """A tool's spec by what it is made of; None when that cannot be told."""
    if not isinstance(getattr(tool.parameters, "schema", None), dict):
        return None
    pieces = _pieces(tool, custom_serializer)
    return (tool.name, tool.description, *map(id, pieces))
