"""Confidant's `llm` platform: its tools in the Assist API of every agent.

Home Assistant assembles the Assist API from the `llm` platforms of loaded
integrations, so the camera tools (tools/cameras.py) reach every agent that
uses Assist, Confidant's own and others. The search tool and the memory
search are a Confidant turn's own: its Assist API (home/assist_api.py) asks
for them, and no other agent is offered them.
"""

from __future__ import annotations

from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.llm import LLM_API_ASSIST, LLMContext

from .tools import confidant_tools


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: LLMContext, api_id: str
) -> LLMTools | None:
    """The camera tools when a camera is exposed, while a Confidant entry runs."""
    if api_id != LLM_API_ASSIST:
        return None
    tools = confidant_tools(hass, llm_context)
    return LLMTools(tools=tools) if tools else None
