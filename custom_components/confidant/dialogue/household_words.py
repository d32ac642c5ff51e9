"""Whether an utterance is the household's own words, which end phrases never shadow.

"Good night", "stop" or "cancel" end a conversation, unless the household
gave those words a meaning: an exposed scene, script or device of that name
(or alias), an automation's sentence trigger, or a sentence Home Assistant's
own intents match. Then the words are passed on, as if no end phrase existed.
"""

from __future__ import annotations

from enum import StrEnum

from hassil.recognize import RecognizeResult
from homeassistant.components import conversation
from homeassistant.components.conversation.agent_manager import get_agent_manager
from homeassistant.components.homeassistant.exposed_entities import (
    async_should_expose,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .normalize import normalize

# An intent that means what an end phrase means: matching it is no reason to
# keep the conversation going.
_ENDING_INTENTS = frozenset({"HassNevermind"})


class HouseholdWords(StrEnum):
    """What gave the words their meaning."""

    NAME = "name"
    SENTENCE_TRIGGER = "sentence_trigger"
    INTENT = "intent"


def _exposed_names(hass: HomeAssistant) -> set[str]:
    """Normalised names and aliases of every entity exposed to Assist."""
    registry = er.async_get(hass)
    names: set[str] = set()
    for state in hass.states.async_all():
        if not async_should_expose(hass, conversation.DOMAIN, state.entity_id):
            continue
        names.add(normalize(str(state.name)))
        if (entry := registry.async_get(state.entity_id)) is not None:
            names.update(
                normalize(alias) for alias in entry.aliases if isinstance(alias, str)
            )
    names.discard("")
    return names


async def async_household_words(
    hass: HomeAssistant, user_input: conversation.ConversationInput
) -> HouseholdWords | None:
    """Return what makes the utterance the household's own words, if anything."""
    if normalize(user_input.text) in _exposed_names(hass):
        return HouseholdWords.NAME
    agent = get_agent_manager(hass).default_agent
    if agent is None:
        return None
    if await agent.async_recognize_sentence_trigger(user_input) is not None:
        return HouseholdWords.SENTENCE_TRIGGER
    result = await agent.async_recognize_intent(user_input, strict_intents_only=True)
    if isinstance(result, RecognizeResult) and result.intent.name not in (
        _ENDING_INTENTS
    ):
        return HouseholdWords.INTENT
    return None
