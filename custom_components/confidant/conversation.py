"""The conversation agent: what Assist talks to, one turn top to bottom."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, override

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import intent
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import ConfidantConfigEntry
from .const import LOGGER, SUBENTRY_CONVERSATION
from .context_key import ContextKey
from .dialogue.answer_guard import clean_text
from .dialogue.confirmation import ConfirmationGate, GatePolicy, TurnEnd
from .dialogue.memory import ShortTermMemory
from .dialogue.messages import async_spoken_message
from .entity import ConfidantLLMEntity, ToolLoopLimitError, async_add_subentry_entities
from .household_memory.tool import memory_search_tool
from .providers import AssistantMessage, Message, ProviderError, UserMessage
from .turn.bounded import async_never_silent, async_run_bounded_turn
from .turn.chat_log_content import chat_log_messages
from .turn.errors import async_error_result, unexpected
from .turn.home_tail import TurnHome
from .turn.household_facts import household_facts
from .turn.llm_data import async_provide_llm_data
from .turn.remembering import remember
from .turn.speech import async_refusal, keep_listening, say
from .turn.without_model import async_answer_without_model

# Turns are answered as they come; nothing is polled.
PARALLEL_UPDATES = 0

# Home Assistant 2026.11 refuses a second concurrent turn of a conversation
# with ConversationBusyError; earlier versions have no such error.
_CONVERSATION_BUSY_ERRORS: tuple[type[Exception], ...] = tuple(
    error
    for error in (getattr(conversation, "ConversationBusyError", None),)
    if error is not None
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfidantConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one agent per conversation subentry."""
    async_add_subentry_entities(
        entry, async_add_entities, SUBENTRY_CONVERSATION, ConfidantConversationEntity
    )


class ConfidantConversationEntity(conversation.ConversationEntity, ConfidantLLMEntity):
    """A Confidant agent, one per conversation subentry.

    A turn goes: end phrase? -> a request to forget? -> pending confirmation?
    -> Home Assistant's own intents (local-first) -> the model. Every path
    that answers enters the short-term memory, so a follow-up understands what
    came before, and, when the entry keeps transcripts, the transcript store.
    Ending the conversation and asking to forget are never kept.
    """

    _attr_supports_streaming = True

    def __init__(self, entry: ConfidantConfigEntry, subentry: ConfigSubentry) -> None:
        """Create the agent; it can control the home when an LLM API is chosen."""
        super().__init__(entry, subentry)
        if self.settings.llm_hass_api:
            self._attr_supported_features = (
                conversation.ConversationEntityFeature.CONTROL
            )
        # Created once the entity has a Home Assistant to schedule expiry with.
        self.memory: ShortTermMemory
        self.confirmations: ConfirmationGate
        self.home: TurnHome

    @property
    @override
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Every language: the model decides what it understands."""
        return MATCH_ALL

    @override
    async def async_added_to_hass(self) -> None:
        """Start with an empty memory."""
        await super().async_added_to_hass()
        self.memory = ShortTermMemory(self.hass)
        self.confirmations = ConfirmationGate(
            self.hass, GatePolicy.from_settings(self.settings)
        )
        self.home = TurnHome(self.hass, self.entry, self.subentry, self.tool_specs)

    @override
    async def async_will_remove_from_hass(self) -> None:
        """Forget every open conversation."""
        self.memory.forget_all()
        await super().async_will_remove_from_hass()

    @override
    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer; changes of ownership and overlapping turns get a real answer.

        From Home Assistant 2026.11 a conversation belongs to the user who
        started it, and another user's turn in it is refused before the agent
        runs (Home Assistant would say only "Unauthorized"): the person asked
        something, so they get an answer, in a conversation of their own,
        never seeing the other person's. A second turn of a conversation that
        is still answering is refused too ("busy"): it gets a translated
        sentence instead of Home Assistant's English error.
        """
        try:
            return await super().async_process(user_input)
        except Unauthorized:
            LOGGER.debug(
                "%s: the conversation belongs to another user, starting a new one",
                self.entity_id,
            )
            return await super().async_process(
                replace(user_input, conversation_id=None)
            )
        except _CONVERSATION_BUSY_ERRORS:
            LOGGER.debug("%s: a turn of this conversation is running", self.entity_id)
            return await async_refusal(self.hass, user_input, "conversation_busy")

    @override
    async def _async_handle_message(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> conversation.ConversationResult:
        """Answer one thing the person said: the turn, step by step."""
        # A lone surrogate (a script can send one) fails every encoder later.
        if (text := clean_text(user_input.text)) != user_input.text:
            user_input = replace(user_input, text=text)
        key = ContextKey(
            conversation_id=chat_log.conversation_id,
            device_id=user_input.device_id or user_input.satellite_id,
            user_id=user_input.context.user_id,
        )
        # A spoken PIN goes no further than the confirmation gate.
        user_input, pin_heard = self.confirmations.scrub_pin(user_input, chat_log)

        # 1. Confidant's own answers and Home Assistant's, before any model.
        if (
            answered := await async_answer_without_model(
                self, user_input, chat_log, key, pin_heard
            )
        ) is not None:
            return answered

        # 2. What the request carries: memory, household facts, the home.
        history = self.memory.recall(key, self.settings.max_history_turns)
        facts, unlisted = household_facts(
            self.entry, self.subentry, key, user_input.text, history
        )
        # Facts without room in the prompt are found with a search tool.
        llm_api = self.home.llm_api(
            self.settings,
            memory_search_tool(
                self.entry.runtime_data.memory, key.user_id, wanted=unlisted
            ),
        )
        refusal = await async_provide_llm_data(self, user_input, chat_log, llm_api)
        if refusal is not None:
            return refusal
        context = [*facts, *history]
        tail = self.home.tail(self.settings, user_input, llm_api, context)

        # 3. The model, bounded; sensitive actions held for the person.
        if self.settings.confirm_sensitive:
            self.confirmations.guard_tools(key, chat_log)
        turn_start = len(chat_log.content) - 1
        error_result: conversation.ConversationResult | None = None
        held: TurnEnd | None = None
        try:
            held = await self._async_ask_model(
                key, user_input, chat_log, context, turn_start=turn_start, tail=tail
            )
        except (ProviderError, ToolLoopLimitError) as err:
            error_result = await async_error_result(self, user_input, chat_log, err)
        except Exception as err:  # noqa: BLE001 - a turn must always be answered
            error_result = await async_error_result(
                self, user_input, chat_log, unexpected(self.entity_id, err)
            )
        finally:
            remember(
                self.memory,
                self.settings,
                key,
                await chat_log_messages(self.hass, chat_log.content[turn_start:]),
            )

        # 4. The answer: kept when the household keeps transcripts, spoken.
        speech = await self._async_final_speech(
            chat_log, user_input.language, held, error_result
        )
        self.keep_transcript(
            user_input, key, speech, _tools_called(chat_log, turn_start)
        )
        if error_result is not None:
            return error_result
        result = conversation.async_get_result_from_chat_log(user_input, chat_log)
        # Confidant's question about held actions follows the model's words.
        result.response.async_set_speech(speech)
        return replace(
            result,
            continue_conversation=(held is not None and held.keep_listening)
            or keep_listening(self.settings, speech, user_input.language),
        )

    async def _async_ask_model(
        self,
        key: ContextKey,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        context: list[Message],
        *,
        turn_start: int,
        tail: str,
    ) -> TurnEnd | None:
        """The model's part: answer, held actions asked about, never silence."""
        language = user_input.language
        await async_run_bounded_turn(
            self, chat_log, context, turn_start, language, tail=tail
        )
        held: TurnEnd | None = None
        if self.settings.confirm_sensitive:
            # Held actions: Confidant asks, in its own words, last.
            held = await self.confirmations.async_end_turn(
                key, user_input, chat_log, self.entity_id
            )
        # After the question: a turn that holds actions ends with it.
        await async_never_silent(self, chat_log, turn_start, language)
        return held

    async def _async_final_speech(
        self,
        chat_log: conversation.ChatLog,
        language: str,
        held: TurnEnd | None,
        error_result: conversation.ConversationResult | None,
    ) -> str:
        """What the person hears at the end of a turn the model took part in."""
        if held is not None:
            return held.speech
        last = chat_log.content[-1]
        speech = (
            last.content or ""
            if isinstance(last, conversation.AssistantContent)
            else ""
        )
        if error_result is None and not speech.strip():
            # All the model wrote was machinery, held back (markup_filter.py):
            # the person still hears an answer.
            speech = await async_spoken_message(self.hass, language, "no_spoken_answer")
        return speech

    def answer(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        key: ContextKey,
        speech: str,
        response: intent.IntentResponse | None = None,
    ) -> conversation.ConversationResult:
        """Answer without the model: log, remember, decide whether to listen."""
        remember(
            self.memory,
            self.settings,
            key,
            [UserMessage(user_input.text), AssistantMessage(speech)],
        )
        self.keep_transcript(
            user_input,
            key,
            speech,
            [response.intent.intent_type]
            if response is not None and response.intent is not None
            else [],
        )
        return say(
            self.entity_id,
            user_input,
            chat_log,
            speech,
            response,
            keep_listening=keep_listening(self.settings, speech, user_input.language),
        )

    def keep_transcript(
        self,
        user_input: conversation.ConversationInput,
        key: ContextKey,
        answer: str,
        tools: list[str],
    ) -> None:
        """Keep the answered turn's words, when the entry keeps transcripts."""
        self.entry.runtime_data.transcripts.async_record(
            key, self.entity_id, user_input.text, answer, tools
        )


def _tools_called(chat_log: conversation.ChatLog, turn_start: int) -> list[str]:
    """The names of the tools the model called this turn."""
    return [
        call.tool_name
        for content in chat_log.content[turn_start:]
        if isinstance(content, conversation.AssistantContent)
        for call in content.tool_calls or ()
    ]
