"""The conversation agent: what Assist talks to."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Literal

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import intent, llm
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import ConfidantConfigEntry
from .const import (
    DOMAIN,
    FOLLOW_UP_ALWAYS,
    FOLLOW_UP_QUESTION,
    LOGGER,
    SUBENTRY_CONVERSATION,
    TURN_DEADLINE_FACTOR,
)
from .context_key import ContextKey
from .dialogue.answer_guard import clean_text
from .dialogue.confirmation import ConfirmationGate, GatePolicy, TurnEnd
from .dialogue.forget_phrases import ForgetRequest, forget_request
from .dialogue.household_words import HouseholdWords, async_household_words
from .dialogue.memory import ShortTermMemory
from .dialogue.messages import async_spoken_message
from .dialogue.phrases import is_end_phrase, is_question
from .entity import ConfidantLLMEntity, ToolLoopLimitError, chat_log_messages
from .home import assist_api
from .home.index import HomeContext
from .household_memory import prompt as memory_prompt
from .household_memory.phrases import memory_request
from .household_memory.requests import async_answer as async_answer_memory
from .household_memory.tool import memory_search_tool
from .model.check import prompt_budget
from .model.first_token import turn_allowance
from .privacy.gate import PrivacyPolicy
from .providers import (
    AssistantMessage,
    MalformedResponseError,
    Message,
    ProviderError,
    ProviderTimeoutError,
    ToolResultMessage,
    UserMessage,
)
from .providers.server_message import spoken_error

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
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_CONVERSATION:
            continue
        async_add_entities(
            [ConfidantConversationEntity(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


def _model_response(
    chat_log: conversation.ChatLog, language: str, speech: str
) -> intent.IntentResponse:
    """The response to a turn the model answered, built without logging content.

    The last intent a tool ran carries the targets and success state that the
    frontend and satellites show.
    """
    response: intent.IntentResponse | None = None
    for content in reversed(chat_log.content[chat_log.llm_input_provided_index :]):
        if isinstance(content, conversation.ToolResultContent) and isinstance(
            content.result.data, llm.IntentResponseDict
        ):
            response = content.result.data.original
            break
    if response is None:
        response = intent.IntentResponse(language=language)
    response.async_set_speech(speech)
    return response


class UnexpectedError(ProviderError):
    """Something no one planned for failed during the turn (a bug, a tool)."""

    translation_key = "unexpected_error"


def _answered_calls_only(messages: list[Message]) -> list[Message]:
    """Drop tool calls without results and results without calls.

    A turn cut short (a deadline, a dropped stream) can leave a call whose
    result never came; a provider would refuse the next request of the
    conversation for it.
    """
    results = {m.call_id for m in messages if isinstance(m, ToolResultMessage)}
    calls: set[str] = set()
    kept: list[Message] = []
    for message in messages:
        if isinstance(message, AssistantMessage) and message.tool_calls:
            answered = tuple(c for c in message.tool_calls if c.id in results)
            calls.update(call.id for call in answered)
            if not answered and not message.text:
                continue
            kept.append(AssistantMessage(message.text, answered))
        elif not (
            isinstance(message, ToolResultMessage) and message.call_id not in calls
        ):
            kept.append(message)
    return kept


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
        # The stable overview of the home the agent's requests carry.
        self._overview: HomeContext | None = None

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Every language: the model decides what it understands."""
        return MATCH_ALL

    async def async_added_to_hass(self) -> None:
        """Start with an empty memory."""
        await super().async_added_to_hass()
        self.memory = ShortTermMemory(self.hass)
        self.confirmations = ConfirmationGate(
            self.hass, GatePolicy.from_options(self.subentry.data)
        )

    async def async_will_remove_from_hass(self) -> None:
        """Forget every open conversation."""
        self.memory.forget_all()
        await super().async_will_remove_from_hass()

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
            return await self._async_refusal(user_input, "conversation_busy")

    async def _async_refusal(
        self, user_input: conversation.ConversationInput, key: str
    ) -> conversation.ConversationResult:
        """A translated error answer given before the turn reached the model."""
        speech = await async_spoken_message(self.hass, user_input.language, key)
        return conversation.ConversationResult(
            response=_error_response(user_input.language, speech),
            conversation_id=user_input.conversation_id,
        )

    def _remember(self, key: ContextKey, messages: list[Message]) -> None:
        # Images stay out of memory: a follow-up needs the words, not the photo.
        turn = tuple(
            UserMessage(m.text) if isinstance(m, UserMessage) else m for m in messages
        )
        self.memory.remember(
            key,
            tuple(_answered_calls_only(list(turn))),
            timedelta(minutes=self.settings.memory_minutes),
            self.settings.max_history_turns,
        )

    def _keep_listening(self, speech: str, language: str) -> bool:
        mode = self.settings.follow_up
        if mode == FOLLOW_UP_ALWAYS:
            return True
        if mode == FOLLOW_UP_QUESTION:
            return is_question(speech, language)
        return False

    def _answer(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        key: ContextKey,
        speech: str,
        response: intent.IntentResponse | None = None,
    ) -> conversation.ConversationResult:
        """Answer without the model: log, remember, decide whether to listen."""
        self._remember(key, [UserMessage(user_input.text), AssistantMessage(speech)])
        self._keep_transcript(
            user_input,
            key,
            speech,
            [response.intent.intent_type]
            if response is not None and response.intent is not None
            else [],
        )
        return self._say(
            user_input,
            chat_log,
            speech,
            response,
            keep_listening=self._keep_listening(speech, user_input.language),
        )

    def _say(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        speech: str,
        response: intent.IntentResponse | None = None,
        *,
        keep_listening: bool,
    ) -> conversation.ConversationResult:
        """Put an answer the model did not write into the log and return it."""
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id=self.entity_id, content=speech)
        )
        if response is None:
            response = intent.IntentResponse(language=user_input.language)
            response.async_set_speech(speech)
        return conversation.ConversationResult(
            response=response,
            conversation_id=chat_log.conversation_id,
            continue_conversation=keep_listening,
        )

    def _keep_transcript(
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

    async def _async_forget(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        key: ContextKey,
        request: ForgetRequest,
    ) -> conversation.ConversationResult:
        """Forget the last turn, or today's, without asking the model."""
        transcripts = self.entry.runtime_data.transcripts
        kept = transcripts.keeps(key.device_id, key.user_id)
        # A pending "shall I ...?" belonged to what is being forgotten.
        self.confirmations.forget(key)
        # The store is searched even when this speaker is not kept now: they
        # may have been before the household excluded them.
        if request is ForgetRequest.LAST_TURN:
            forgotten = self.memory.forget_last_turn(key)
            if transcripts.enabled:
                forgotten = await transcripts.async_forget_last(key) or forgotten
            if not kept:
                message = "forgot_last_turn_not_kept"
            else:
                message = "forgot_last_turn" if forgotten else "nothing_to_forget"
        else:
            self.memory.forget(key)
            if transcripts.enabled:
                await transcripts.async_delete_today(key)
            message = "forgot_today" if kept else "forgot_today_not_kept"
        speech = await async_spoken_message(self.hass, user_input.language, message)
        return self._say(user_input, chat_log, speech, keep_listening=False)

    async def _async_answer_without_model(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        key: ContextKey,
        pin_heard: bool | None,
    ) -> conversation.ConversationResult | None:
        """What Confidant or Home Assistant answers before any model request.

        End phrases, sentence triggers, forgetting, household memory, the
        answer to a confirmation question and, with local-first, Home
        Assistant's own intents; None when the turn is for the model.
        """
        language = user_input.language
        household: HouseholdWords | None = None
        if is_end_phrase(user_input.text, language) and not (
            household := await async_household_words(self.hass, user_input)
        ):
            self.memory.forget(key)
            self.confirmations.forget(key)
            speech = await async_spoken_message(self.hass, language, "goodbye")
            return self._say(user_input, chat_log, speech, keep_listening=False)

        if household is HouseholdWords.SENTENCE_TRIGGER and (
            answer := await conversation.async_handle_sentence_triggers(
                self.hass, user_input, chat_log
            )
        ):
            # An automation listens for exactly these words ("good night").
            return self._answer(user_input, chat_log, key, answer)

        if (request := forget_request(user_input.text, language)) is not None:
            return await self._async_forget(user_input, chat_log, key, request)

        if (asked := memory_request(user_input.text, language)) is not None:
            # Household memory: answered by Confidant from the person's own
            # words, never kept in the context or a transcript.
            self.confirmations.forget(key)
            speech = await async_answer_memory(
                self.hass,
                self.entry.runtime_data.memory,
                asked,
                language=language,
                user_id=key.user_id,
                device_id=key.device_id,
            )
            return self._say(user_input, chat_log, speech, keep_listening=False)

        if self.settings.confirm_sensitive and (
            outcome := await self.confirmations.async_answer(
                key, user_input, pin_heard=pin_heard
            )
        ):
            return self._answer(
                user_input, chat_log, key, outcome.speech, outcome.response
            )

        return await self._async_answer_locally(user_input, chat_log, key)

    async def _async_answer_locally(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        key: ContextKey,
    ) -> conversation.ConversationResult | None:
        """With local-first, Home Assistant's own answer; None for the model."""
        if not self.settings.local_first:
            return None
        skip = (
            self.confirmations.skip_local_intent
            if self.settings.confirm_sensitive
            else None
        )
        local = await conversation.async_handle_intents(
            self.hass, user_input, chat_log, intent_filter=skip
        )
        # A command Home Assistant handled is answered here; anything it
        # could not (no match, an error) goes on to the model.
        if (
            local is not None
            and local.response_type is not intent.IntentResponseType.ERROR
        ):
            speech = local.speech.get("plain", {}).get("speech", "")
            return self._answer(user_input, chat_log, key, speech, local)
        return None

    async def _async_handle_message(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> conversation.ConversationResult:
        """Answer one thing the person said."""
        # A lone surrogate (a script can send one) fails every encoder later.
        if (text := clean_text(user_input.text)) != user_input.text:
            user_input = replace(user_input, text=text)
        key = ContextKey(
            conversation_id=chat_log.conversation_id,
            device_id=user_input.device_id or user_input.satellite_id,
            user_id=user_input.context.user_id,
        )
        language = user_input.language
        # A spoken PIN goes no further than the confirmation gate.
        user_input, pin_heard = self.confirmations.scrub_pin(user_input, chat_log)

        if (
            answered := await self._async_answer_without_model(
                user_input, chat_log, key, pin_heard
            )
        ) is not None:
            return answered

        history = self.memory.recall(key, self.settings.max_history_turns)
        facts, unlisted = self._household_facts(key, user_input.text, history)
        # Facts without room in the prompt are found with a search tool.
        llm_api = self._llm_api(
            memory_search_tool(
                self.entry.runtime_data.memory, key.user_id, wanted=unlisted
            )
        )
        refusal = await self._async_provide_llm_data(user_input, chat_log, llm_api)
        if refusal is not None:
            return refusal
        tail = self._home_tail(user_input, llm_api, [*facts, *history])

        if self.settings.confirm_sensitive:
            self.confirmations.guard_tools(key, chat_log)
        turn_start = len(chat_log.content) - 1
        error_result: conversation.ConversationResult | None = None
        held: TurnEnd | None = None
        try:
            await self._async_run_bounded_turn(
                chat_log, [*facts, *history], turn_start, language, tail
            )
            if self.settings.confirm_sensitive:
                # Held actions: Confidant asks, in its own words, last.
                held = await self.confirmations.async_end_turn(
                    key, user_input, chat_log, self.entity_id
                )
            # After the question: a turn that holds actions ends with it.
            await self._async_never_silent(chat_log, turn_start, language)
        except (ProviderError, ToolLoopLimitError) as err:
            error_result = await self._async_error_result(user_input, chat_log, err)
        except Exception as err:  # noqa: BLE001 - a turn must always be answered
            # A bug (ours or a library's) must not leave a satellite in
            # silence or write the turn's words into a traceback: say where
            # it happened, answer, and stay available.
            LOGGER.error(
                "%s failed unexpectedly: %s at %s",
                self.entity_id,
                type(err).__name__,
                _where(err),
            )
            error_result = await self._async_error_result(
                user_input, chat_log, UnexpectedError(type(err).__name__)
            )
        finally:
            self._remember(
                key, await chat_log_messages(self, chat_log.content[turn_start:])
            )

        last = chat_log.content[-1]
        speech = (
            last.content or ""
            if isinstance(last, conversation.AssistantContent)
            else ""
        )
        if held is not None:
            speech = held.speech
        elif error_result is None and not speech.strip():
            # All the model wrote was machinery, held back (markup_filter.py):
            # the person still hears an answer.
            speech = await async_spoken_message(self.hass, language, "no_spoken_answer")
        self._keep_transcript(
            user_input,
            key,
            speech,
            [
                call.tool_name
                for content in chat_log.content[turn_start:]
                if isinstance(content, conversation.AssistantContent)
                for call in content.tool_calls or ()
            ],
        )
        if error_result is not None:
            return error_result
        return conversation.ConversationResult(
            response=_model_response(chat_log, language, speech),
            conversation_id=chat_log.conversation_id,
            continue_conversation=(held is not None and held.keep_listening)
            or self._keep_listening(speech, language),
        )

    async def _async_provide_llm_data(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        llm_api: str | list[str] | llm.API | None,
    ) -> conversation.ConversationResult | None:
        """Give the chat log this turn's prompt and tools; a refusal if it cannot."""
        # Home Assistant 2026.11 keeps the previous turn's LLM data (prompt
        # and tools) when agent, user, device and API ids are unchanged. The
        # overview is stable, but exposure or names may have changed since:
        # provided anew each turn, byte-identical while nothing changed.
        chat_log.llm_api = None
        try:
            await chat_log.async_provide_llm_data(
                user_input.as_llm_context(DOMAIN),
                llm_api,
                self.settings.prompt,
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
        LOGGER.debug("%s: the agent's LLM API needs an administrator", self.entity_id)
        return await self._async_say_error(user_input, chat_log, "llm_api_needs_admin")

    def _household_facts(
        self, key: ContextKey, text: str, history: list[Message]
    ) -> tuple[list[Message], bool]:
        """The household facts this speaker may hear, as the request carries them.

        Right after the system prompt (household_memory/prompt.py), so the
        request's stable prefix reaches past them while they do not change.
        Also whether some of them had no room.
        """
        memory = self.entry.runtime_data.memory
        if not memory.enabled or not (visible := memory.facts(key.user_id)):
            return [], False
        chosen = memory_prompt.select_facts(
            visible,
            [text, *assist_api.history_texts(history)],
            # The same budget as the home's: within the model's context.
            prompt_budget(self.entry, self.subentry),
        )
        message = memory_prompt.facts_message(
            chosen,
            total=len(visible),
            user_id=key.user_id,
            # The gate masks words said, not system messages: facts are words
            # said, so they are masked here as the gate would.
            redact=PrivacyPolicy.from_options(
                self.entry.options, local=self.entry.runtime_data.provider.is_local
            ).redact
            and not self.entry.runtime_data.provider.is_local,
        )
        return [message] if message is not None else [], len(chosen) < len(visible)

    async def _async_run_bounded_turn(
        self,
        chat_log: conversation.ChatLog,
        history: list[Message],
        turn_start: int,
        language: str,
        tail: str = "",
    ) -> None:
        """Run the model's part of a turn under the whole-turn deadline.

        Each request has the agent's timeout; the turn, with its tool calls
        and follow-up requests, gets a few of them, and then an answer.
        """
        timeout = self.settings.timeout
        # A local server known to be slow may need longer for its first
        # word (first_token.py).
        deadline = timeout * TURN_DEADLINE_FACTOR + turn_allowance(
            self.entry.runtime_data.provider, timeout
        )
        try:
            async with asyncio.timeout(deadline):
                await self._async_run_turn(
                    chat_log, history, turn_start, language, tail=tail
                )
        except TimeoutError as err:
            raise ProviderTimeoutError("turn took too long") from err

    async def _async_never_silent(
        self, chat_log: conversation.ChatLog, turn_start: int, language: str
    ) -> None:
        """Make sure the turn ends with words.

        A model that ran tools and then said nothing gets "Done." (or "I
        couldn't do that." when a tool failed) spoken for it; one that said
        nothing at all (an empty, null or nameless answer) is an error.
        """
        last = chat_log.content[-1]
        if (
            isinstance(last, conversation.AssistantContent)
            and (last.content or "").strip()
        ):
            return
        results = [
            content
            for content in chat_log.content[turn_start:]
            if isinstance(content, conversation.ToolResultContent)
        ]
        if not results:
            raise MalformedResponseError("empty answer")
        failed = any(result.result.error for result in results)
        speech = await async_spoken_message(
            self.hass, language, "action_failed" if failed else "action_done"
        )
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id=self.entity_id, content=speech)
        )

    def _llm_api(
        self, memory_search: llm.Tool | None
    ) -> str | list[str] | llm.API | None:
        """The agent's LLM API: Assist with Confidant's stable overview."""
        prompt = self.settings.prompt or llm.DEFAULT_INSTRUCTIONS_PROMPT
        return assist_api.async_assist_api(
            self.hass,
            self.settings.llm_hass_api,
            assist_api.Turn(
                # The household's budget, within the model's real context.
                budget_tokens=prompt_budget(self.entry, self.subentry),
                other_bytes=len(prompt.encode()),
            ),
            memory_search=memory_search,
        )

    def _home_tail(
        self,
        user_input: conversation.ConversationInput,
        llm_api: str | list[str] | llm.API | None,
        history: list[Message],
    ) -> str:
        """What this utterance likely needs that the stable overview leaves out."""
        # Home Assistant 2026.11 keeps a conversation's system prompt and
        # tools between turns without asking the API again: then the
        # overview of the turn that built them still holds.
        if (overview := assist_api.overview_of(llm_api)) is not None:
            self._overview = overview
        elif not self.settings.llm_hass_api:
            return ""
        return assist_api.async_turn_tail(
            self.hass,
            self._overview,
            assistant=conversation.DOMAIN,
            device_id=user_input.device_id,
            text=user_input.text,
            history=assist_api.history_texts(history),
            budget_tokens=prompt_budget(self.entry, self.subentry),
            turn_bytes=len(user_input.text.encode())
            + sum(map(assist_api.message_bytes, history))
            + memory_prompt.facts_bytes(history),
        )

    async def _async_error_result(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        err: ProviderError | ToolLoopLimitError,
    ) -> conversation.ConversationResult:
        """Speak a translated error, keep the turn in the log, stay available."""
        detail = self._report_failure(err, "answer")
        key, placeholders = spoken_error(
            err.translation_key,
            detail,
            err.server_message if isinstance(err, ProviderError) else "",
        )
        return await self._async_say_error(user_input, chat_log, key, placeholders)

    async def _async_say_error(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        key: str,
        placeholders: dict[str, str] | None = None,
    ) -> conversation.ConversationResult:
        """Speak a translated error and stop listening.

        The spoken error enters the log so a follow-up ("try again") has the
        person's words and what happened to them.
        """
        speech = await async_spoken_message(
            self.hass, user_input.language, key, placeholders
        )
        response = _error_response(user_input.language, speech)
        return self._say(user_input, chat_log, speech, response, keep_listening=False)


def _error_response(language: str, speech: str) -> intent.IntentResponse:
    """A response that reports an error by speaking `speech`."""
    response = intent.IntentResponse(language=language)
    response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, speech)
    return response


def _where(err: BaseException) -> str:
    """The file and line an exception was raised at: no message, no values."""
    traceback = err.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    if traceback is None:
        return "unknown"
    code = traceback.tb_frame.f_code
    return f"{code.co_filename.rsplit('/', 1)[-1]}:{traceback.tb_lineno}"
