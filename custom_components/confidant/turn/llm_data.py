"""A turn's prompt and tools, given to the chat log; a refusal when they cannot be."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import conversation
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import llm

from ..const import DOMAIN, LOGGER
from .speech import async_say_error

if TYPE_CHECKING:
    from ..entity import ConfidantLLMEntity


async def async_provide_llm_data(
    agent: ConfidantLLMEntity,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    llm_api: str | list[str] | llm.API | None,
) -> conversation.ConversationResult | None:
    """Give the chat log this turn's prompt and tools; a refusal if it cannot."""
    # Home Assistant 2026.11 keeps the previous turn's LLM data (prompt and
    # tools) when agent, user, device and API ids are unchanged, and offers
    # no argument to ask for them anew. The overview is stable, but exposure
    # or names may have changed since: provided anew each turn,
    # byte-identical while nothing changed.
    chat_log.llm_api = None
    try:
        await chat_log.async_provide_llm_data(
            user_input.as_llm_context(DOMAIN),
            llm_api,
            agent.settings.prompt,
            user_input.extra_system_prompt,
        )
    except conversation.ConverseError as err:
        if not isinstance(err.__cause__, Unauthorized):
            return err.as_conversation_result()
    except Unauthorized:
        pass
    else:
        return None
    # An LLM API of this agent is for administrators only (Home Assistant
    # 2026.11's "Home Assistant" API, alone or merged with others).
    LOGGER.debug("%s: the agent's LLM API needs an administrator", agent.entity_id)
    return await async_say_error(
        agent.hass, agent.entity_id, user_input, chat_log, "llm_api_needs_admin"
    )
