"""Local-first: Home Assistant's own intents answer before the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import conversation
from homeassistant.helpers import intent

from ..context_key import ContextKey

if TYPE_CHECKING:
    from ..conversation import ConfidantConversationEntity


async def async_answer_locally(
    agent: ConfidantConversationEntity,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    key: ContextKey,
) -> conversation.ConversationResult | None:
    """With local-first, Home Assistant's own answer; None for the model."""
    if not agent.settings.local_first:
        return None
    skip = (
        agent.confirmations.skip_local_intent
        if agent.settings.confirm_sensitive
        else None
    )
    local = await conversation.async_handle_intents(
        agent.hass, user_input, chat_log, intent_filter=skip
    )
    # A command Home Assistant handled is answered here; anything it
    # could not (no match, an error) goes on to the model.
    if local is not None and local.response_type is not intent.IntentResponseType.ERROR:
        speech = local.speech.get("plain", {}).get("speech", "")
        return agent.answer(user_input, chat_log, key, speech, local)
    return None
