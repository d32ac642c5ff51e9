"""The model's part of a turn: under the whole-turn deadline, and never silent."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.components import conversation

from ..const import TURN_DEADLINE_FACTOR
from ..dialogue.messages import async_spoken_message
from ..model.first_token import turn_allowance
from ..providers import MalformedResponseError, Message, ProviderTimeoutError

if TYPE_CHECKING:
    from ..entity import ConfidantLLMEntity


async def async_run_bounded_turn(
    agent: ConfidantLLMEntity,
    chat_log: conversation.ChatLog,
    history: list[Message],
    turn_start: int,
    language: str,
    *,
    tail: str = "",
) -> None:
    """Run the model's part of a turn under the whole-turn deadline.

    Each request has the agent's timeout; the turn, with its tool calls and
    follow-up requests, gets a few of them, and then an answer.
    """
    timeout = agent.settings.timeout
    # A local server known to be slow may need longer for its first word
    # (first_token.py).
    deadline = timeout * TURN_DEADLINE_FACTOR + turn_allowance(
        agent.entry.runtime_data.provider, timeout
    )
    try:
        async with asyncio.timeout(deadline):
            await agent.async_run_turn(
                chat_log, history, turn_start, language, tail=tail
            )
    except TimeoutError as err:
        raise ProviderTimeoutError("turn took too long") from err


async def async_never_silent(
    agent: ConfidantLLMEntity,
    chat_log: conversation.ChatLog,
    turn_start: int,
    language: str,
) -> None:
    """Make sure the turn ends with words.

    A model that ran tools and then said nothing gets "Done." (or "I couldn't
    do that." when a tool failed) spoken for it; one that said nothing at all
    (an empty, null or nameless answer) is an error.
    """
    last = chat_log.content[-1]
    if isinstance(last, conversation.AssistantContent) and (last.content or "").strip():
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
        agent.hass, language, "action_failed" if failed else "action_done"
    )
    chat_log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id=agent.entity_id, content=speech)
    )
