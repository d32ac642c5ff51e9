"""Which agent looks at a camera image: the caller's vision agent, or itself."""

from __future__ import annotations

from homeassistant.components.conversation.const import (
    DATA_COMPONENT as CONVERSATION_COMPONENT,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    callback,
)
from homeassistant.helpers import entity_platform, llm
from homeassistant.helpers import entity_registry as er

from ..const import (
    DOMAIN,
    SUBENTRY_CONVERSATION,
)
from ..entity import ConfidantLLMEntity


@callback
def confidant_agent(hass: HomeAssistant, entity_id: str) -> ConfidantLLMEntity | None:
    """The loaded Confidant conversation agent with this entity ID, if any."""
    component = hass.data.get(CONVERSATION_COMPONENT)
    if component is None:
        return None
    entity: object = component.get_entity(entity_id)
    if not isinstance(entity, ConfidantLLMEntity):
        return None
    if entity.entry.state is not ConfigEntryState.LOADED:
        return None
    return entity


@callback
def first_agent(hass: HomeAssistant) -> ConfidantLLMEntity | None:
    """The first conversation agent of the first loaded Confidant entry."""
    registry = er.async_get(hass)
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        for subentry in entry.subentries.values():
            if subentry.subentry_type != SUBENTRY_CONVERSATION:
                continue
            entity_id = registry.async_get_entity_id(
                "conversation", DOMAIN, subentry.subentry_id
            )
            if entity_id and (agent := confidant_agent(hass, entity_id)):
                return agent
    return None


@callback
def calling_agent(
    hass: HomeAssistant, llm_context: llm.LLMContext
) -> ConfidantLLMEntity | None:
    """The Confidant agent whose turn called a tool, else the first one loaded.

    Home Assistant hands the tool the LLM context of the calling turn; the
    agent (or AI task) running that turn knows it. Another integration's
    agent (core's OpenAI agent, say) can call the camera tool through the
    Assist API too; then the first Confidant agent looks.
    """
    for platform in entity_platform.async_get_platforms(hass, DOMAIN):
        for entity in platform.entities.values():
            if isinstance(entity, ConfidantLLMEntity) and entity.runs_turn(llm_context):
                return entity
    return first_agent(hass)


@callback
def vision_agent(
    hass: HomeAssistant, agent: ConfidantLLMEntity
) -> ConfidantLLMEntity | None:
    """The agent that looks at images for `agent`: its vision agent, or itself.

    None when the chosen vision agent is not loaded: the image then goes
    nowhere rather than to a model the household did not choose for it.
    """
    chosen = agent.settings.vision_agent
    if not chosen or chosen == agent.entity_id:
        return agent
    return confidant_agent(hass, str(chosen))
