"""The search tool: exposed entities the overview of the home did not list."""

from __future__ import annotations

from typing import Any, Final, override

import probatio
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.llm import LLMContext, ToolResult
from homeassistant.util.json import JsonValueType

from ..const import DOMAIN
from ..home.matching import SEARCH_LIMIT, Match
from ..home.registry import async_device_area, async_get_index
from .base import ConfidantTool, tool_error

ARG_NAME: Final = "name"
ARG_AREA: Final = "area"
ARG_DOMAIN: Final = "domain"


class FindEntitiesTool(ConfidantTool):
    """Find exposed entities the overview of the home did not list."""

    name = f"{DOMAIN}__find_entities"
    title = "Find devices"
    description = (
        "Find devices of this home that the overview does not list: by words "
        "of their name, by area, by domain, or any of these together. Returns "
        f"up to {SEARCH_LIMIT} best matches with name, domain, area and "
        "current state; use those names with the other tools."
    )
    parameters = probatio.Schema(
        {
            probatio.Optional(
                ARG_NAME, description="Words of the name, e.g. 'ceiling light'."
            ): cv.string,
            probatio.Optional(ARG_AREA, description="An area, e.g. 'kitchen'."): (
                cv.string
            ),
            probatio.Optional(
                ARG_DOMAIN, description="A domain, e.g. 'light', 'sensor', 'cover'."
            ): cv.string,
        }
    )

    @override
    async def async_answer(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: LLMContext
    ) -> ToolResult:
        """Search what is exposed to the assistant; nothing else is seen."""
        if not any(args.get(key) for key in (ARG_NAME, ARG_AREA, ARG_DOMAIN)):
            return tool_error("NoCriteria", "Give a name, an area or a domain.")
        index = async_get_index(hass, llm_context.assistant or "conversation")
        matches, count = index.search(
            args.get(ARG_NAME),
            area=args.get(ARG_AREA),
            domain=args.get(ARG_DOMAIN),
            device_area=async_device_area(hass, llm_context.device_id),
        )
        found = [_found(hass, match) for match in matches]
        return ToolResult(data={"matches": found, "more": max(count - len(found), 0)})


def _found(hass: HomeAssistant, match: Match) -> JsonValueType:
    """A match as the model reads it: names, place, kind and current state."""
    entity = match.entity
    item: dict[str, JsonValueType] = {"name": entity.name, "domain": entity.domain}
    if entity.area:
        item["area"] = entity.area
    if entity.aliases:
        item["aliases"] = list(entity.aliases)
    if entity.device_class:
        item["device_class"] = entity.device_class
    if (state := hass.states.get(entity.entity_id)) is not None:
        unit = state.attributes.get("unit_of_measurement")
        item["state"] = f"{state.state} {unit}" if unit else state.state
    return item
