"""The shared base of Confidant's agent entities: one turn = stream + tool loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_MODEL
from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import llm
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    CONF_PROVIDER,
    DOMAIN,
    LOGGER,
    MAX_TOOL_ITERATIONS,
    PROVIDER_OPENAI,
    PROVIDER_OPTIONS,
)
from .model.check import offers_tool
from .model.first_token import answer_deadline, stream_with_first_token_deadline
from .model.prompt_cache import cache_key, with_tail
from .privacy.gate import PrivacyPolicy, apply_policy
from .providers import (
    AuthenticationError,
    Message,
    ProviderError,
    ProviderRequest,
    SystemMessage,
    ToolSpec,
)
from .providers.deadline import bounded_stream
from .repairs import async_report_invalid_auth
from .settings import AgentSettings
from .turn.chat_log_content import chat_log_deltas, chat_log_messages
from .turn.tool_specs import ToolSpecs

if TYPE_CHECKING:
    from . import ConfidantConfigEntry


class ToolLoopLimitError(Exception):
    """The model kept calling tools past the iteration cap."""

    translation_key = "tool_loop_limit"


@callback
def async_add_subentry_entities(
    entry: ConfidantConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    subentry_type: str,
    entity_class: Callable[[ConfidantConfigEntry, ConfigSubentry], Entity],
) -> None:
    """Add one entity of `entity_class` per subentry of `subentry_type`."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type != subentry_type:
            continue
        async_add_entities(
            [entity_class(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


class ConfidantLLMEntity(Entity):
    """Base of the agent entities of one subentry."""

    _attr_has_entity_name = True
    _attr_name = None
    # Whether this entity's answers are spoken (see ProviderRequest.spoken).
    speaks_answers = True

    def __init__(self, entry: ConfidantConfigEntry, subentry: ConfigSubentry) -> None:
        """Describe the agent as a service device of its own."""
        self.entry = entry
        self.subentry = subentry
        # A changed subentry reloads the entry, so its options are read once.
        self.settings = AgentSettings.from_options(subentry.data)
        self._attr_unique_id = subentry.subentry_id
        self._attr_device_info = dr.DeviceInfo(
            identifiers={(DOMAIN, subentry.subentry_id)},
            name=subentry.title,
            manufacturer="Confidant",
            model=subentry.data.get(CONF_MODEL),
            entry_type=dr.DeviceEntryType.SERVICE,
        )
        # Tools converted to provider specs once, for requests and the budget.
        self.tool_specs = ToolSpecs()
        # The LLM contexts of this agent's running turns, by id: a tool (the
        # camera tool) called with one of them knows which agent asked.
        self._turn_contexts: dict[int, llm.LLMContext] = {}

    def _request(
        self, chat_log: conversation.ChatLog, messages: list[Message], tail: str = ""
    ) -> ProviderRequest:
        tools: list[ToolSpec] = []
        if chat_log.llm_api:
            tools = [
                self.tool_specs.spec(tool, chat_log.llm_api.custom_serializer)
                for tool in chat_log.llm_api.tools
                # Not the camera to a model that cannot see (model/check.py).
                if offers_tool(self.entry, self.subentry, tool.name)
            ]
        return self.provider_request(
            messages, tools=tools, user=chat_log.conversation_id, tail=tail
        )

    def provider_request(
        self,
        messages: list[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        user: str | None = None,
        tail: str = "",
    ) -> ProviderRequest:
        """A request of this agent to its provider, through the privacy gate.

        `tail` (the home context of this turn) goes in front of the words of
        the last message the person said, after the gate: it is the home's
        names, not what was said, and is never masked.

        Raises CloudImagesRefusedError when the messages carry an image and
        the household did not allow images to this cloud provider.
        """
        options = self.subentry.data
        provider = self.entry.runtime_data.provider
        policy = PrivacyPolicy.from_options(self.entry.options, local=provider.is_local)
        provider_options = {
            key: options[key]
            for key in PROVIDER_OPTIONS[self.entry.data[CONF_PROVIDER]]
            if key in options
        }
        if self.entry.data[CONF_PROVIDER] == PROVIDER_OPENAI:
            # OpenAI keeps requests only when the household allowed it.
            provider_options["store"] = policy.allow_provider_storage
        settings = self.settings
        return ProviderRequest(
            model=settings.model,
            messages=with_tail(apply_policy(policy, messages), tail),
            tools=tools,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            timeout=settings.timeout,
            user=user,
            cache_key=cache_key(self.subentry.subentry_id),
            options=provider_options,
            spoken=self.speaks_answers,
        )

    def report_failure(
        self, err: ProviderError | ToolLoopLimitError, doing: str
    ) -> str:
        """Log what kind of failure it was and return its content-free detail.

        Only the kind is logged: never the key, never content. A rejected key
        raises the repair that leads to signing in again.
        """
        detail = err.detail if isinstance(err, ProviderError) else ""
        said = err.server_message if isinstance(err, ProviderError) else ""
        LOGGER.warning(
            "%s could not %s: %s %s%s",
            self.entity_id,
            doing,
            err.translation_key,
            detail,
            # The server's own words, made safe (providers/server_message.py).
            f"; the server said: {said}" if said else "",
        )
        if isinstance(err, AuthenticationError):
            async_report_invalid_auth(self.hass, self.entry)
        return detail

    @callback
    def runs_turn(self, llm_context: llm.LLMContext) -> bool:
        """Whether a tool called with `llm_context` is called by a turn of this agent.

        Home Assistant hands a tool the LLM context the turn's API was made
        with (vision/agents.py asks).
        """
        return self._turn_contexts.get(id(llm_context)) is llm_context

    async def async_run_turn(
        self,
        chat_log: conversation.ChatLog,
        history: list[Message] | None = None,
        turn_start: int | None = None,
        language: str | None = None,
        *,
        tail: str = "",
        instructions: str = "",
    ) -> None:
        """Stream answers into the chat log and run tools until the model is done.

        With `history`, the request is the system prompt, those remembered
        messages and the chat log from `turn_start` on (this turn); without
        it, the whole chat log. `tail` goes next to the person's words;
        `instructions` after the system prompt, in the request only.

        Raises a ProviderError when the provider fails and ToolLoopLimitError
        when the model keeps calling tools.
        """
        llm_context = chat_log.llm_api.llm_context if chat_log.llm_api else None
        if llm_context is not None:
            self._turn_contexts[id(llm_context)] = llm_context
        try:
            await self._async_run_tool_loop(
                chat_log,
                history,
                turn_start,
                language or self.hass.config.language,
                tail=tail,
                instructions=instructions,
            )
        finally:
            if llm_context is not None:
                self._turn_contexts.pop(id(llm_context), None)

    async def _async_messages(
        self,
        chat_log: conversation.ChatLog,
        history: list[Message] | None,
        turn_start: int | None,
        instructions: str,
    ) -> list[Message]:
        """What the next request carries, from the chat log and `history`."""
        if history is None or turn_start is None:
            messages = await chat_log_messages(self.hass, chat_log.content)
        else:
            messages = [
                *await chat_log_messages(self.hass, chat_log.content[:1]),
                *history,
                *await chat_log_messages(self.hass, chat_log.content[turn_start:]),
            ]
        if instructions and messages and isinstance(messages[0], SystemMessage):
            messages[0] = SystemMessage(f"{messages[0].text}\n\n{instructions}")
        return messages

    async def _async_run_tool_loop(
        self,
        chat_log: conversation.ChatLog,
        history: list[Message] | None,
        turn_start: int | None,
        language: str,
        *,
        tail: str,
        instructions: str,
    ) -> None:
        provider = self.entry.runtime_data.provider
        for _ in range(MAX_TOOL_ITERATIONS):
            messages = await self._async_messages(
                chat_log, history, turn_start, instructions
            )
            request = self._request(chat_log, messages, tail)
            answered = False
            # The agent's timeout bounds the whole answer, not each read; a
            # local model's wait for its first word may come on top of it.
            stream = bounded_stream(
                stream_with_first_token_deadline(provider, request),
                answer_deadline(provider, request),
            )
            deltas = chat_log_deltas(stream, self.hass, language, chat_log)
            try:
                async for _content in chat_log.async_add_delta_content_stream(
                    self.entity_id, deltas
                ):
                    answered = True
            finally:
                # When the chat log stops early (a tool raised), the streams
                # and their connection are closed now, not when collected.
                await deltas.aclose()
                await stream.aclose()
            # A model that answers tool results with nothing has finished
            # (asking again would only repeat that); the agent speaks for it.
            if not answered or not chat_log.unresponded_tool_results:
                return
        raise ToolLoopLimitError
