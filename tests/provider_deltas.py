"""What a provider streamed, read the same way by every provider's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from custom_components.confidant.providers import (
    Delta,
    ProviderError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    UsageDelta,
)


async def answer_deltas(stream: AsyncIterator[Delta]) -> list[Delta]:
    """Every delta of one answer but usage.

    What the person hears and the tools the model calls; usage has tests of
    its own (test_prompt_cache.py).
    """
    return [delta async for delta in stream if not isinstance(delta, UsageDelta)]


async def deltas_until_error(
    stream: AsyncIterator[Delta],
) -> tuple[list[Delta], ProviderError]:
    """The deltas before the stream failed, and the error."""
    deltas: list[Delta] = []
    while True:
        try:
            deltas.append(await anext(stream))
        except ProviderError as err:
            return deltas, err
        except StopAsyncIteration:
            pytest.fail("the stream ended without an error")


def texts(deltas: list[Delta]) -> list[str]:
    """The text deltas, one string each."""
    return [delta.text for delta in deltas if isinstance(delta, TextDelta)]


def text(deltas: list[Delta]) -> str:
    """The answer's text, joined."""
    return "".join(texts(deltas))


def reasoning(deltas: list[Delta]) -> str:
    """The model's reasoning, joined."""
    return "".join(delta.text for delta in deltas if isinstance(delta, ReasoningDelta))


def calls(deltas: list[Delta]) -> list[ToolCall]:
    """The tool calls, in order."""
    return [delta.call for delta in deltas if isinstance(delta, ToolCallDelta)]
