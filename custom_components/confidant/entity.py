"""The shared base of Confidant's agent entities: one turn = stream + tool loop."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import probatio
from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_MODEL
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import llm
from homeassistant.helpers.entity import Entity

from .const import (
    CONF_PROVIDER,
    DOMAIN,
    LOGGER,
    MAX_TOOL_ITERATIONS,
    PROVIDER_OPENAI,
    PROVIDER_OPTIONS,
)
from .dialogue.answer_guard import (
    MAX_REASONING_CHARS,
    AnswerLimit,
    clean_text,
    clean_value,
)
from .dialogue.messages import async_spoken_message
from .model.check import offers_tool
from .model.first_token import answer_deadline, stream_with_first_token_deadline
from .model.prompt_cache import cache_key, usage_stats, with_tail
from .privacy.gate import PrivacyPolicy, apply_policy
from .providers import (
    AssistantMessage,
    AuthenticationError,
    Delta,
    ImagePart,
    Message,
    ProviderError,
    ProviderRequest,
    ReasoningDelta,
    SystemMessage,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolResultMessage,
    ToolSpec,
    UsageDelta,
    UserMessage,
)
from .providers.deadline import bounded_stream
from .repairs import async_report_invalid_auth
from .settings import AgentSettings

if TYPE_CHECKING:
    from . import ConfidantConfigEntry


# The agent whose turn is running: tools it calls (the camera tool) run in
# tasks that inherit it, so they know which agent asked.
running_agent: ContextVar[ConfidantLLMEntity | None] = ContextVar(
    "confidant_running_agent", default=None
)


class ToolLoopLimitError(Exception):
    """The model kept calling tools past the iteration cap."""

    translation_key = "tool_loop_limit"


# Tool descriptions by what they are made of. Home Assistant builds its tools
# anew for every turn, but from the same schema pieces (markers and
# validators), so a spec is converted once, not on every request. Each entry
# keeps its pieces alive: an id in a key can never belong to another object.
_SPECS: dict[tuple[object, ...], tuple[ToolSpec, tuple[object, ...]]] = {}
_SPECS_MAX: Final = 512


def tool_spec(tool: llm.Tool, custom_serializer: Any) -> ToolSpec:
    """Describe a Home Assistant LLM tool for a provider."""
    schema = getattr(tool.parameters, "schema", None)
    if not isinstance(schema, dict):
        return _convert(tool, custom_serializer)
    pieces = (custom_serializer, *schema.keys(), *schema.values())
    key = (tool.name, tool.description, *map(id, pieces))
    if (known := _SPECS.get(key)) is not None:
        return known[0]
    spec = _convert(tool, custom_serializer)
    if len(_SPECS) >= _SPECS_MAX:
        _SPECS.clear()
    _SPECS[key] = (spec, pieces)
    return spec


def _convert(tool: llm.Tool, custom_serializer: Any) -> ToolSpec:
    return ToolSpec(
        name=tool.name,
        description=tool.description,
        parameters=probatio.to_openapi(
            tool.parameters,
            custom_serializer=custom_serializer,
            openapi_version="3.1.0",
        ),
    )


def _read_images(paths: list[tuple[Path, str]]) -> tuple[ImagePart, ...]:
    """Read attachment files; runs in the executor."""
    return tuple(ImagePart(mime, path.read_bytes()) for path, mime in paths)


async def chat_log_messages(
    entity: Entity, contents: Iterable[conversation.Content]
) -> list[Message]:
    """Convert chat log content into provider messages."""
    messages: list[Message] = []
    for content in contents:
        match content:
            case conversation.SystemContent():
                messages.append(SystemMessage(content.content))
            case conversation.UserContent():
                images: tuple[ImagePart, ...] = ()
                if content.attachments:
                    images = await entity.hass.async_add_executor_job(
                        _read_images,
                        [(a.path, a.mime_type) for a in content.attachments],
                    )
                messages.append(UserMessage(clean_text(content.content), images))
            case conversation.AssistantContent():
                messages.append(
                    AssistantMessage(
                        content.content or "",
                        tuple(
                            ToolCall(call.id, call.tool_name, call.tool_args)
                            for call in content.tool_calls or ()
                        ),
                    )
                )
            case conversation.ToolResultContent():
                messages.append(
                    ToolResultMessage(
                        content.tool_call_id,
                        content.tool_name,
                        content.result.data,
                        content.result.error,
                    )
                )
    return messages


async def _chat_log_deltas(
    stream: AsyncGenerator[Delta],
    entity: Entity,
    language: str,
    chat_log: conversation.ChatLog | None = None,
) -> AsyncGenerator[
    conversation.AssistantContentDeltaDict | conversation.ToolResultContentDeltaDict
]:
    """Turn provider deltas into chat log deltas, as they arrive.

    A tool call whose arguments could not be repaired is not executed: it is
    marked external and answered with a tool error, so the model sees what
    went wrong and can call the tool again. Usage goes to the conversation
    trace, as Home Assistant's own agents put it there.

    Text is made speakable (no lone surrogates or control characters) and an
    answer longer than the limit is cut with a spoken note; the rest of the
    stream is not read.
    """
    yield {"role": "assistant"}
    unusable: list[ToolCall] = []
    limit = AnswerLimit()
    reasoning = AnswerLimit(MAX_REASONING_CHARS)
    async for delta in stream:
        match delta:
            case TextDelta(text=text):
                if kept := limit.take(clean_text(text)):
                    yield {"content": kept}
                if limit.exceeded:
                    # Not another byte of a runaway answer: close it now.
                    await stream.aclose()
                    note = await async_spoken_message(
                        entity.hass, language, "answer_too_long"
                    )
                    yield {"content": f" … {note}"}
                    return
            case ReasoningDelta(text=text):
                if kept := reasoning.take(clean_text(text)):
                    yield {"thinking_content": kept}
            case ToolCallDelta(call=call) if not call.name.strip():
                # A call without a name can be neither run nor answered (some
                # protocols match results by name): it is dropped, and an
                # answer of nothing else is a malformed one.
                continue
            case UsageDelta(usage=usage):
                if chat_log is not None:
                    chat_log.async_trace(usage_stats(usage))
            case ToolCallDelta(call=call):
                if call.invalid_arguments is not None:
                    unusable.append(call)
                yield {
                    "tool_calls": [
                        llm.ToolInput(
                            id=call.id,
                            tool_name=clean_text(call.name),
                            tool_args=clean_value(call.arguments),
                            external=call.invalid_arguments is not None,
                        )
                    ]
                }
    for call in unusable:
        yield {
            "role": "tool_result",
            "tool_call_id": call.id,
            "tool_name": call.name,
            "result": llm.ToolResult(
                data={
                    "error": "InvalidArguments",
                    "error_text": call.invalid_arguments or "",
                },
                error=True,
            ),
        }


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
        self._attr_unique_id = subentry.subentry_id
        self._attr_device_info = dr.DeviceInfo(
            identifiers={(DOMAIN, subentry.subentry_id)},
            name=subentry.title,
            manufacturer="Confidant",
            model=subentry.data.get(CONF_MODEL),
            entry_type=dr.DeviceEntryType.SERVICE,
        )

    @property
    def settings(self) -> AgentSettings:
        """The agent's options, each with its default."""
        return AgentSettings.from_options(self.subentry.data)

    def _request(
        self, chat_log: conversation.ChatLog, messages: list[Message], tail: str = ""
    ) -> ProviderRequest:
        tools: list[ToolSpec] = []
        if chat_log.llm_api:
            tools = [
                tool_spec(tool, chat_log.llm_api.custom_serializer)
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

    def _report_failure(
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

    async def _async_run_turn(
        self,
        chat_log: conversation.ChatLog,
        history: list[Message] | None = None,
        turn_start: int | None = None,
        language: str | None = None,
        *,
        tail: str = "",
    ) -> None:
        """Stream answers into the chat log and run tools until the model is done.

        With `history`, the request is the system prompt, those remembered
        messages and the chat log from `turn_start` on (this turn); without
        it, the whole chat log. `tail` goes next to the person's words.

        Raises a ProviderError when the provider fails and ToolLoopLimitError
        when the model keeps calling tools.
        """
        token = running_agent.set(self)
        try:
            await self._async_run_tool_loop(
                chat_log,
                history,
                turn_start,
                language or self.hass.config.language,
                tail,
            )
        finally:
            running_agent.reset(token)

    async def _async_run_tool_loop(
        self,
        chat_log: conversation.ChatLog,
        history: list[Message] | None,
        turn_start: int | None,
        language: str,
        tail: str = "",
    ) -> None:
        provider = self.entry.runtime_data.provider
        for _ in range(MAX_TOOL_ITERATIONS):
            if history is None or turn_start is None:
                messages = await chat_log_messages(self, chat_log.content)
            else:
                messages = [
                    *await chat_log_messages(self, chat_log.content[:1]),
                    *history,
                    *await chat_log_messages(self, chat_log.content[turn_start:]),
                ]
            request = self._request(chat_log, messages, tail)
            answered = False
            # The agent's timeout bounds the whole answer, not each read; a
            # local model's wait for its first word may come on top of it.
            stream = bounded_stream(
                stream_with_first_token_deadline(provider, request),
                answer_deadline(provider, request),
            )
            deltas = _chat_log_deltas(stream, self, language, chat_log)
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
