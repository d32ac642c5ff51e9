"""Between Home Assistant's chat log and a provider: messages out, deltas in."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from pathlib import Path

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm

from ..dialogue.answer_guard import (
    MAX_REASONING_CHARS,
    AnswerLimit,
    clean_text,
    clean_value,
)
from ..dialogue.messages import async_spoken_message
from ..model.prompt_cache import usage_stats
from ..providers import (
    AssistantMessage,
    Delta,
    ImagePart,
    Message,
    ReasoningDelta,
    SystemMessage,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolResultMessage,
    UsageDelta,
    UserMessage,
)


def _read_images(paths: list[tuple[Path, str]]) -> tuple[ImagePart, ...]:
    """Read attachment files; runs in the executor."""
    return tuple(ImagePart(mime, path.read_bytes()) for path, mime in paths)


async def chat_log_messages(
    hass: HomeAssistant, contents: Iterable[conversation.Content]
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
                    images = await hass.async_add_executor_job(
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


async def chat_log_deltas(
    stream: AsyncGenerator[Delta],
    hass: HomeAssistant,
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
                    note = await async_spoken_message(hass, language, "answer_too_long")
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
