"""What an agent says in its own words: into the chat log, and as the turn's result."""

from __future__ import annotations

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent

from ..const import FOLLOW_UP_ALWAYS, FOLLOW_UP_QUESTION
from ..dialogue.messages import async_spoken_message
from ..dialogue.phrases import is_question
from ..settings import AgentSettings


def keep_listening(settings: AgentSettings, speech: str, language: str) -> bool:
    """Whether the satellite listens again after `speech` (the agent's choice)."""
    mode = settings.follow_up
    if mode == FOLLOW_UP_ALWAYS:
        return True
    if mode == FOLLOW_UP_QUESTION:
        return is_question(speech, language)
    return False


def error_response(language: str, speech: str) -> intent.IntentResponse:
    """A response that reports an error by speaking `speech`."""
    response = intent.IntentResponse(language=language)
    response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, speech)
    return response


def say(
    agent_id: str,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    speech: str,
    response: intent.IntentResponse | None = None,
    *,
    keep_listening: bool,
) -> conversation.ConversationResult:
    """Put an answer the model did not write into the log and return it."""
    chat_log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id=agent_id, content=speech)
    )
    if response is None:
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(speech)
    return conversation.ConversationResult(
        response=response,
        conversation_id=chat_log.conversation_id,
        continue_conversation=keep_listening,
    )


async def async_say_error(
    hass: HomeAssistant,
    agent_id: str,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    key: str,
    *,
    placeholders: dict[str, str] | None = None,
) -> conversation.ConversationResult:
    """Speak a translated error and stop listening.

    The spoken error enters the log so a follow-up ("try again") has the
    person's words and what happened to them.
    """
    speech = await async_spoken_message(hass, user_input.language, key, placeholders)
    response = error_response(user_input.language, speech)
    return say(agent_id, user_input, chat_log, speech, response, keep_listening=False)


async def async_refusal(
    hass: HomeAssistant, user_input: conversation.ConversationInput, key: str
) -> conversation.ConversationResult:
    """A translated error answer given before the turn had a chat log."""
    speech = await async_spoken_message(hass, user_input.language, key)
    return conversation.ConversationResult(
        response=error_response(user_input.language, speech),
        conversation_id=user_input.conversation_id,
    )
