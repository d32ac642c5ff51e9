"""What Confidant or Home Assistant answers before any model request.

In this order: an end phrase (unless the household's own words match), an
automation's sentence trigger, a request to forget, a household-memory
request, the answer to a confirmation question and, with local-first, Home
Assistant's own intents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import conversation

from ..context_key import ContextKey
from ..dialogue.forget_phrases import forget_request
from ..dialogue.household_words import HouseholdWords, async_household_words
from ..dialogue.messages import async_spoken_message
from ..dialogue.phrases import is_end_phrase
from ..household_memory.phrases import memory_request
from ..household_memory.requests import async_answer as async_answer_memory
from .forgetting import async_forget
from .local_intents import async_answer_locally
from .speech import say

if TYPE_CHECKING:
    from ..conversation import ConfidantConversationEntity


async def async_answer_without_model(
    agent: ConfidantConversationEntity,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    key: ContextKey,
    pin_heard: bool | None,
) -> conversation.ConversationResult | None:
    """The answer of the first step that has one; None when the turn is the model's."""
    hass = agent.hass
    language = user_input.language
    household: HouseholdWords | None = None
    if is_end_phrase(user_input.text, language) and not (
        household := await async_household_words(hass, user_input)
    ):
        agent.memory.forget(key)
        agent.confirmations.forget(key)
        speech = await async_spoken_message(hass, language, "goodbye")
        return say(agent.entity_id, user_input, chat_log, speech, keep_listening=False)

    if household is HouseholdWords.SENTENCE_TRIGGER and (
        answer := await conversation.async_handle_sentence_triggers(
            hass, user_input, chat_log
        )
    ):
        # An automation listens for exactly these words ("good night").
        return agent.answer(user_input, chat_log, key, answer)

    if (request := forget_request(user_input.text, language)) is not None:
        return await async_forget(agent, user_input, chat_log, key, request)

    if (asked := memory_request(user_input.text, language)) is not None:
        # Household memory: answered by Confidant from the person's own
        # words, never kept in the context or a transcript.
        agent.confirmations.forget(key)
        speech = await async_answer_memory(
            hass,
            agent.entry.runtime_data.memory,
            asked,
            language=language,
            user_id=key.user_id,
            device_id=key.device_id,
        )
        return say(agent.entity_id, user_input, chat_log, speech, keep_listening=False)

    if agent.settings.confirm_sensitive and (
        outcome := await agent.confirmations.async_answer(
            key, user_input, pin_heard=pin_heard
        )
    ):
        return agent.answer(user_input, chat_log, key, outcome.speech, outcome.response)

    return await async_answer_locally(agent, user_input, chat_log, key)
