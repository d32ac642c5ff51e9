"""Answering "remember that …", "what do you remember?" and "forget that …".

Confidant answers these itself, never the model: a fact is stored only from
the person's own words, so nothing the model reads (a camera description, a
visitor's words, a tool result) can plant one, and the model never decides
what is kept. The answers are spoken in the person's language; these turns
are never kept in transcripts nor in the short-term context, so forgetting
a fact leaves no copy of it elsewhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from homeassistant.core import HomeAssistant

from ..dialogue.messages import async_spoken_message
from .phrases import MemoryRequest, MemoryRequestKind
from .store import Fact, FactStore

# The most facts read out at once: a spoken list longer than this is noise.
READ_OUT: Final = 10


def _said(facts: list[Fact]) -> str:
    return "; ".join(fact["text"] for fact in facts)


type _Say = Callable[..., Awaitable[str]]


async def async_answer(
    hass: HomeAssistant,
    memory: FactStore,
    request: MemoryRequest,
    *,
    language: str,
    user_id: str | None,
    device_id: str | None,
) -> str:
    """Do what the person asked of the memory; what to say."""

    async def say(key: str, **placeholders: str) -> str:
        return await async_spoken_message(hass, language, key, placeholders)

    if not memory.enabled:
        return await say("memory_off")
    match request.kind:
        case MemoryRequestKind.REMEMBER:
            return await _async_remember(memory, request, user_id, device_id, say)
        case MemoryRequestKind.RECALL:
            return await _async_recall(memory, user_id, say)
        case MemoryRequestKind.FORGET:
            return await _async_forget(memory, request, user_id, say)
        case MemoryRequestKind.FORGET_ALL:
            await memory.async_delete(fact["id"] for fact in memory.facts(user_id))
            return await say("memory_forgot_all")


async def _async_remember(
    memory: FactStore,
    request: MemoryRequest,
    user_id: str | None,
    device_id: str | None,
    say: _Say,
) -> str:
    fact = await memory.async_add(request.fact, user_id=user_id, device_id=device_id)
    if fact is None:
        return await say("memory_not_kept")
    key = "memory_remembered" if user_id is None else "memory_remembered_own"
    return await say(key, fact=fact["text"])


async def _async_recall(memory: FactStore, user_id: str | None, say: _Say) -> str:
    facts = memory.facts(user_id)
    if not facts:
        return await say("memory_empty")
    if len(facts) <= READ_OUT:
        return await say("memory_recall", facts=_said(facts))
    return await say(
        "memory_recall_more",
        facts=_said(facts[::-1][:READ_OUT]),
        more=str(len(facts) - READ_OUT),
    )


async def _async_forget(
    memory: FactStore, request: MemoryRequest, user_id: str | None, say: _Say
) -> str:
    facts = memory.matching(request.fact, user_id)
    if not facts:
        return await say("memory_not_found")
    await memory.async_delete(fact["id"] for fact in facts)
    return await say("memory_forgot", facts=_said(facts))
