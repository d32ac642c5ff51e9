"""Knowing the model: what it can do, told to the person and used by the agent.

At start-up (and so after every reconfiguration, which reloads the entry)
Confidant asks the server what each agent's model can do
(providers/capabilities.py) and keeps the answer on the entry:

- an agent that controls the home with a model that cannot call tools gets
  a repair issue: it would claim "the garage door is open" while nothing
  happened (llama.cpp drops the tools of a template without tool support);
- the prompt budget never exceeds the model's real context, and defaults
  from it when the household did not set one;
- the camera tool is offered only to a model that can see, or to an agent
  that hands images to a vision agent.

Unknown stays unknown: a server that does not say is trusted as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_LLM_HASS_API, CONF_MODEL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import (
    CONF_PROVIDER,
    DOMAIN,
    LOGGER,
    PROVIDER_OLLAMA,
    SUBENTRY_CONVERSATION,
)
from ..providers import Provider
from ..providers.capabilities import UNKNOWN, ModelCapabilities, ProbesCapabilities
from ..providers.prompt_speed import PromptSpeed
from ..settings import AgentSettings

if TYPE_CHECKING:
    from .. import ConfidantConfigEntry, ConfidantRuntimeData

# The camera tool (llm.py) sends an image to the model that calls it.
CAMERA_TOOL: Final = f"{DOMAIN}__look_at_camera"
# Confidant estimates tokens from bytes; a tenth of the context is kept as
# margin for that estimate, and the answer's room comes off first.
_ESTIMATE_MARGIN: Final = 0.9
MIN_PROMPT_BUDGET: Final = 1000


def _issue_id(subentry_id: str) -> str:
    return f"model_cannot_call_tools_{subentry_id}"


async def async_probe(provider: Provider, model: str) -> ModelCapabilities:
    """What the provider's server says the model can do (UNKNOWN if nothing)."""
    # Looked up, not isinstance(): the ledger's wrapper forwards attributes
    # dynamically, which runtime protocol checks do not see.
    probe = getattr(provider, "async_model_capabilities", None)
    if probe is None or not model:
        return UNKNOWN
    try:
        found = await cast("ProbesCapabilities", provider).async_model_capabilities(
            model
        )
    except Exception:  # noqa: BLE001 - probing must never break set-up
        LOGGER.debug("Could not ask the server about a model", exc_info=True)
        return UNKNOWN
    return found


async def async_probe_entry(hass: HomeAssistant, entry: ConfidantConfigEntry) -> None:
    """Ask about every model the entry's subentries use; raise or clear repairs."""
    known = entry.runtime_data.capabilities
    for model in {
        str(sub.data.get(CONF_MODEL) or "") for sub in entry.subentries.values()
    }:
        found = await async_probe(entry.runtime_data.provider, model)
        known[model] = found
        if found.known:
            LOGGER.debug(
                "%s: model tools=%s vision=%s context=%s (%s)",
                entry.title,
                found.tools,
                found.vision,
                found.context_tokens,
                found.source,
            )
    async_check_tool_support(hass, entry)


def capabilities_of(
    entry: ConfidantConfigEntry, subentry: ConfigSubentry
) -> ModelCapabilities:
    """What is known of a subentry's model."""
    return entry.runtime_data.capabilities.get(
        str(subentry.data.get(CONF_MODEL) or ""), UNKNOWN
    )


def cannot_call_tools(options: Mapping[str, Any], found: ModelCapabilities) -> bool:
    """Whether an agent controls the home with a model that cannot call tools."""
    return bool(options.get(CONF_LLM_HASS_API)) and found.tools is False


@callback
def async_check_tool_support(hass: HomeAssistant, entry: ConfidantConfigEntry) -> None:
    """A repair issue for each agent whose model cannot call the home's tools."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_CONVERSATION:
            continue
        issue_id = _issue_id(subentry.subentry_id)
        found = capabilities_of(entry, subentry)
        if not cannot_call_tools(subentry.data, found):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        LOGGER.warning(
            "%s: the model of agent %s cannot call tools (%s), so it cannot "
            "control the home",
            entry.title,
            subentry.title,
            found.source,
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="model_cannot_call_tools",
            translation_placeholders={
                "agent": subentry.title,
                "model": str(subentry.data.get(CONF_MODEL, "")),
                "source": found.source,
            },
        )


def context_tokens(entry: ConfidantConfigEntry, subentry: ConfigSubentry) -> int | None:
    """The context the model really runs with, if the server said."""
    context = capabilities_of(entry, subentry).context_tokens
    if context is not None and entry.data[CONF_PROVIDER] == PROVIDER_OLLAMA:
        # Ollama runs the context Confidant asks for (num_ctx), not the
        # model's longest.
        context = min(context, AgentSettings.from_options(subentry.data).num_ctx)
    return context


def budget_for_context(context: int, max_tokens: int) -> int:
    """The largest prompt budget that leaves room for the answer."""
    return max(MIN_PROMPT_BUDGET, int((context - max_tokens) * _ESTIMATE_MARGIN))


def prompt_budget(entry: ConfidantConfigEntry, subentry: ConfigSubentry) -> int:
    """The agent's prompt budget, never more than its model's context holds.

    Without a budget of its own, an agent gets the default, or less when the
    model's context is smaller.
    """
    settings = AgentSettings.from_options(subentry.data)
    context = context_tokens(entry, subentry)
    if context is None:
        return settings.prompt_budget
    return min(settings.prompt_budget, budget_for_context(context, settings.max_tokens))


def offers_tool(
    entry: ConfidantConfigEntry, subentry: ConfigSubentry, tool_name: str
) -> bool:
    """Whether the agent offers its model this tool.

    The camera tool sends the model an image: a model that cannot see gets
    it only when a vision agent looks at images for it.
    """
    if tool_name != CAMERA_TOOL:
        return True
    if AgentSettings.from_options(subentry.data).vision_agent:
        return True
    return capabilities_of(entry, subentry).vision is not False


def model_knowledge(runtime: ConfidantRuntimeData | None) -> dict[str, Any]:
    """For diagnostics: each model's capabilities and the measured speed."""
    if runtime is None:
        return {}
    speed = getattr(runtime.provider, "prompt_speed", None)
    return {
        "models": {
            model: {
                "tools": found.tools,
                "vision": found.vision,
                "context_tokens": found.context_tokens,
                "source": found.source,
            }
            for model, found in sorted(runtime.capabilities.items())
        },
        "prompt_tokens_per_second": round(speed.tokens_per_second, 1)
        if isinstance(speed, PromptSpeed) and speed.tokens_per_second
        else None,
    }
