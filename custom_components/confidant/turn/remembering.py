"""What a turn leaves in short-term memory for the follow-up."""

from __future__ import annotations

from datetime import timedelta

from ..context_key import ContextKey
from ..dialogue.memory import ShortTermMemory
from ..providers import AssistantMessage, Message, ToolResultMessage, UserMessage
from ..settings import AgentSettings


def answered_calls_only(messages: list[Message]) -> list[Message]:
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


def remember(
    memory: ShortTermMemory,
    settings: AgentSettings,
    key: ContextKey,
    messages: list[Message],
) -> None:
    """Keep a turn's messages for the agent's memory window."""
    # Images stay out of memory: a follow-up needs the words, not the photo.
    turn = [UserMessage(m.text) if isinstance(m, UserMessage) else m for m in messages]
    memory.remember(
        key,
        tuple(answered_calls_only(turn)),
        timedelta(minutes=settings.memory_minutes),
        settings.max_history_turns,
    )
