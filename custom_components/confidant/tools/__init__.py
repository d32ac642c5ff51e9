"""The tools Confidant gives a model: cameras, visitors, finding a device, facts."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.llm import LLMContext, Tool

from ..const import DOMAIN
from .cameras import LookAtCameraTool, RecentVisitorsTool, exposed_cameras
from .find_entities import FindEntitiesTool


@callback
def confidant_tools(
    hass: HomeAssistant,
    llm_context: LLMContext,
    *,
    find_entities: bool = False,
    memory_search: Tool | None = None,
) -> list[Tool]:
    """Confidant's tools for an assistant, while a Confidant entry runs.

    The camera tools when a camera is exposed. The search tool and the
    memory search only when a Confidant turn asks for them: its overview of
    the home lists part of it, its facts did not all fit.
    """
    if not llm_context.assistant:
        return []
    if not hass.config_entries.async_loaded_entries(DOMAIN):
        return []
    tools: list[Tool] = []
    if find_entities:
        tools.append(FindEntitiesTool())
    # Household facts the turn's prompt had no room for (household_memory/).
    if memory_search is not None:
        tools.append(memory_search)
    names = sorted(state.name for state in exposed_cameras(hass, llm_context.assistant))
    if names:
        tools += [LookAtCameraTool(names), RecentVisitorsTool()]
    return tools
