"""Forgetting by voice: the last turn, or today's, without asking the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import conversation

from ..context_key import ContextKey
from ..dialogue.forget_phrases import ForgetRequest
from ..dialogue.messages import async_spoken_message
from .speech import say

if TYPE_CHECKING:
    from ..conversation import ConfidantConversationEntity


async def async_forget(
    agent: ConfidantConversationEntity,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    key: ContextKey,
    request: ForgetRequest,
) -> conversation.ConversationResult:
    """Forget what was asked, from memory and kept transcripts; say so."""
    transcripts = agent.entry.runtime_data.transcripts
    kept = transcripts.keeps(key.device_id, key.user_id)
    # A pending "shall I ...?" belonged to what is being forgotten.
    agent.confirmations.forget(key)
    # The store is searched even when this speaker is not kept now: they
    # may have been before the household excluded them.
    if request is ForgetRequest.LAST_TURN:
        forgotten = agent.memory.forget_last_turn(key)
        if transcripts.enabled:
            forgotten = await transcripts.async_forget_last(key) or forgotten
        if not kept:
            message = "forgot_last_turn_not_kept"
        else:
            message = "forgot_last_turn" if forgotten else "nothing_to_forget"
    else:
        agent.memory.forget(key)
        if transcripts.enabled:
            await transcripts.async_delete_today(key)
        message = "forgot_today" if kept else "forgot_today_not_kept"
    speech = await async_spoken_message(agent.hass, user_input.language, message)
    return say(agent.entity_id, user_input, chat_log, speech, keep_listening=False)
