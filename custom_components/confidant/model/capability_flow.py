"""What the agent flow tells the person about the model they chose.

Asked of the server while the person fills in the agent's form
(model/check.py and providers/capabilities.py do the asking): a warning
before saving an agent that would control the home with a model that cannot
call tools, and a prompt budget that fits the model's real context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_MODEL

from ..const import CONF_PROVIDER, DEFAULT_PROMPT_BUDGET, PROVIDER_OLLAMA
from ..providers.capabilities import ModelCapabilities
from ..settings import AgentSettings
from .check import async_probe, budget_for_context, cannot_call_tools

if TYPE_CHECKING:
    from .. import ConfidantConfigEntry


async def async_capabilities(
    entry: ConfidantConfigEntry, model: str
) -> ModelCapabilities:
    """Ask the server about a model now, and remember the answer."""
    found = await async_probe(entry.runtime_data.provider, model)
    entry.runtime_data.capabilities[model] = found
    return found


async def async_tool_warning(
    entry: ConfidantConfigEntry, options: Mapping[str, Any]
) -> dict[str, str] | None:
    """The warning's placeholders when the agent's model cannot call tools."""
    model = str(options.get(CONF_MODEL) or "")
    found = await async_capabilities(entry, model)
    if not cannot_call_tools(options, found):
        return None
    return {"model": model, "source": found.source}


async def async_suggested_budget(
    entry: ConfidantConfigEntry, options: Mapping[str, Any]
) -> int | None:
    """The prompt budget a new agent starts with, from its model's context."""
    settings = AgentSettings.from_options(options)
    found = await async_capabilities(entry, str(options.get(CONF_MODEL) or ""))
    context = found.context_tokens
    if context is None:
        return None
    if entry.data[CONF_PROVIDER] == PROVIDER_OLLAMA:
        context = min(context, settings.num_ctx)
    return min(DEFAULT_PROMPT_BUDGET, budget_for_context(context, settings.max_tokens))
