"""The conversation agent: what Assist talks to."""

from __future__ import annotations

from typing import Literal

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_LLM_HASS_API, CONF_PROMPT, MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent, llm
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import ConfidantConfigEntry
from .const import DOMAIN, LOGGER, SUBENTRY_CONVERSATION
from .entity import ConfidantLLMEntity, ToolLoopLimitError
from .messages import async_spoken_error
from .providers import AuthenticationError, ProviderError
from .repairs import async_report_invalid_auth


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfidantConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one agent per conversation subentry."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_CONVERSATION:
            continue
        async_add_entities(
            [ConfidantConversationEntity(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


def _result(
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    speech: str,
    *,
    error_key: str | None = None,
) -> conversation.ConversationResult:
    """Build the result without logging anything the person said."""
    response: intent.IntentResponse | None = None
    if error_key is None:
        # The last intent a tool ran carries the targets and success state
        # that the frontend and satellites show.
        for content in reversed(chat_log.content[chat_log.llm_input_provided_index :]):
            if isinstance(content, conversation.ToolResultContent) and isinstance(
                content.result.data, llm.IntentResponseDict
            ):
                response = content.result.data.original
                break
    if response is None:
        response = intent.IntentResponse(language=user_input.language)
    if error_key is not None:
        response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, speech)
    else:
        response.async_set_speech(speech)
    return conversation.ConversationResult(
        response=response,
        conversation_id=chat_log.conversation_id,
        continue_conversation=error_key is None and chat_log.continue_conversation,
    )


class ConfidantConversationEntity(conversation.ConversationEntity, ConfidantLLMEntity):
    """A Confidant agent, one per conversation subentry."""

    _attr_supports_streaming = True

    def __init__(self, entry: ConfidantConfigEntry, subentry: ConfigSubentry) -> None:
        """Create the agent; it can control the home when an LLM API is chosen."""
        super().__init__(entry, subentry)
        if subentry.data.get(CONF_LLM_HASS_API):
            self._attr_supported_features = (
                conversation.ConversationEntityFeature.CONTROL
            )

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Every language: the model decides what it understands."""
        return MATCH_ALL

    async def _async_handle_message(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> conversation.ConversationResult:
        """Answer one thing the person said."""
        options = self.subentry.data
        try:
            await chat_log.async_provide_llm_data(
                user_input.as_llm_context(DOMAIN),
                options.get(CONF_LLM_HASS_API),
                options.get(CONF_PROMPT),
                user_input.extra_system_prompt,
            )
        except conversation.ConverseError as err:
            return err.as_conversation_result()

        try:
            await self._async_run_turn(chat_log)
        except (ProviderError, ToolLoopLimitError) as err:
            return await self._async_error_result(user_input, chat_log, err)

        last = chat_log.content[-1]
        speech = (
            last.content or ""
            if isinstance(last, conversation.AssistantContent)
            else ""
        )
        return _result(user_input, chat_log, speech)

    async def _async_error_result(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        err: ProviderError | ToolLoopLimitError,
    ) -> conversation.ConversationResult:
        """Speak a translated error, keep the turn in the log, stay available."""
        detail = err.detail if isinstance(err, ProviderError) else ""
        # Only the kind of failure is logged: never the key, never content.
        LOGGER.warning(
            "%s could not answer: %s %s", self.entity_id, err.translation_key, detail
        )
        if isinstance(err, AuthenticationError):
            async_report_invalid_auth(self.hass, self.entry)
        speech = await async_spoken_error(
            self.hass, user_input.language, err.translation_key, {"detail": detail}
        )
        # The spoken error enters the log so a follow-up ("try again") has the
        # person's words and what happened to them.
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id=self.entity_id, content=speech)
        )
        return _result(user_input, chat_log, speech, error_key=err.translation_key)
