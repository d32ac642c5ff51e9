"""What keeps a request cacheable, and what its provider said the cache did.

A request is a stable prefix (instructions, tools, the overview of the home:
byte-identical while the home and the options do not change), then the
remembered turns, then this turn. What only this turn needs (the home
context of the utterance, `home.assist_api.async_turn_tail`) goes in front of
the person's words, after everything a provider may have cached.

Usage is read by each provider into one `Usage` and reported here in the
shape Home Assistant's own agents give the conversation trace (`stats`, as
core's Anthropic agent of 2026.11 does: `input_tokens` is the whole prompt,
cached included) and in the ledger, as numbers only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..providers import Message, Usage, UserMessage


def cache_key(agent_id: str) -> str:
    """The provider cache key of an agent: stable, and saying nothing about it.

    Requests of one agent share their prefix, so they share a key; the
    conversation and the person are never part of it.
    """
    return "confidant-" + hashlib.sha256(agent_id.encode()).hexdigest()[:24]


def with_tail(messages: Sequence[Message], tail: str) -> list[Message]:
    """The messages with `tail` in front of the words of the last user message.

    There, and not in a system message of its own, because many local chat
    templates refuse a system message after the first or two user messages
    in a row.
    """
    result = list(messages)
    if not tail:
        return result
    for position in range(len(result) - 1, -1, -1):
        message = result[position]
        if isinstance(message, UserMessage):
            result[position] = replace(message, text=f"{tail}\n\n{message.text}")
            break
    return result


def usage_stats(usage: Usage) -> dict[str, Any]:
    """The `stats` of the conversation trace, as Home Assistant's agents give them."""
    stats: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "cached_input_tokens": usage.cached_input_tokens,
        "uncached_input_tokens": max(
            usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens,
            0,
        ),
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "output_tokens": usage.output_tokens,
    }
    if usage.prompt_ms is not None:
        stats["prompt_ms"] = round(usage.prompt_ms, 1)
    return {"stats": stats}
