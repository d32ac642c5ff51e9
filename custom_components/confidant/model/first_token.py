"""How long to wait for a local model's first word, and what to say after.

A cloud model starts answering in a second or two; a local server first
evaluates the whole prompt and sends nothing meanwhile, for as long as its
hardware needs (providers/prompt_speed.py measures that, per server). So a
local provider's first delta gets a deadline of its own: the prompt's
estimated size at the measured speed, with room to spare, never shorter
than the agent's request timeout and never longer than LOCAL_MAX_WAIT (the
overall deadline of a turn, where one is set, still applies on top).

When that deadline passes for a server known to be this slow, the person
hears that the model is still thinking, not that it failed: the server has
cached the part of the prompt it evaluated, so asking again is quicker. A
server not yet known to be slow gives a plain timeout, and is known to be
slow from then on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Final

from ..providers import (
    AssistantMessage,
    Delta,
    Provider,
    ProviderRequest,
    ProviderTimeoutError,
    SystemMessage,
    ToolResultMessage,
    UserMessage,
)
from ..providers.deadline import close_stream
from ..providers.prompt_speed import PromptSpeed

# The most a person is kept waiting for a local model's first word.
LOCAL_MAX_WAIT: Final = 240.0
# Room for a busy moment: the expected time is multiplied, then extended by
# a share of the agent's own timeout (6 s of the default 30 s).
_SPARE_FACTOR: Final = 1.5
_SPARE_OF_TIMEOUT: Final = 0.2
# The client's own read timeout must not fire before this deadline does.
_CLIENT_MARGIN: Final = 5.0
# The whole answer's deadline beyond the first word's, as a share of the
# agent's timeout.
_ANSWER_MARGIN: Final = 0.1
# Bytes per token of the estimate (home/ uses the same).
_BYTES_PER_TOKEN: Final = 4


class StillThinkingError(ProviderTimeoutError):
    """A slow local server had not answered yet when its deadline passed."""

    translation_key = "still_thinking"


def estimate_prompt_tokens(request: ProviderRequest) -> int:
    """About how many tokens the server evaluates for this request."""
    size = 0
    for message in request.messages:
        match message:
            case SystemMessage(text=text) | UserMessage(text=text):
                size += len(text.encode())
            case AssistantMessage(text=text, tool_calls=calls):
                size += len(text.encode()) + sum(
                    len(json.dumps(call.arguments, default=str)) for call in calls
                )
            case ToolResultMessage(result=result):
                size += len(json.dumps(result, default=str))
    size += sum(
        len(json.dumps(dict(spec.parameters), default=str))
        + len(spec.name)
        + len(spec.description or "")
        for spec in request.tools
    )
    return size // _BYTES_PER_TOKEN


def first_token_deadline(
    timeout: float, tokens: int, speed: PromptSpeed | None
) -> tuple[float, bool]:
    """The first-token deadline, and whether the server is known to need it."""
    expected = speed.seconds_for(tokens) if speed is not None else None
    if expected is None:
        return timeout, False
    wanted = expected * _SPARE_FACTOR + timeout * _SPARE_OF_TIMEOUT
    return min(max(timeout, wanted), max(timeout, LOCAL_MAX_WAIT)), wanted > timeout


def answer_deadline(provider: Provider, request: ProviderRequest) -> float:
    """The deadline of the whole answer.

    The agent's timeout, plus a local model's longer wait for its first word
    where it needs one.
    """
    if not provider.is_local:
        return request.timeout
    deadline, _known_slow = first_token_deadline(
        request.timeout, estimate_prompt_tokens(request), _speed(provider)
    )
    # A little past the first-word deadline, so that one fires first (and
    # the server's silence is learned) when no word comes at all.
    return deadline + request.timeout * _ANSWER_MARGIN


def turn_allowance(provider: Provider, timeout: float) -> float:
    """Extra time a whole turn gets for a local server known to be slow."""
    speed = _speed(provider)
    if not provider.is_local or speed is None or not speed.tokens_per_second:
        return 0.0
    return max(0.0, LOCAL_MAX_WAIT - timeout)


def _speed(provider: Provider) -> PromptSpeed | None:
    speed = getattr(provider, "prompt_speed", None)
    return speed if isinstance(speed, PromptSpeed) else None


async def stream_with_first_token_deadline(
    provider: Provider, request: ProviderRequest
) -> AsyncIterator[Delta]:
    """The provider's stream; a local one's first delta within its deadline.

    Raises StillThinkingError (a known-slow server) or ProviderTimeoutError
    when no delta came in time.
    """
    if not provider.is_local:
        stream = provider.async_stream(request)
        try:
            async for delta in stream:
                yield delta
        finally:
            # Closed with this one, not left for the garbage collector.
            await close_stream(stream)
        return
    speed = _speed(provider)
    tokens = estimate_prompt_tokens(request)
    deadline, known_slow = first_token_deadline(request.timeout, tokens, speed)
    if deadline + _CLIENT_MARGIN > request.timeout:
        request = replace(request, timeout=deadline + _CLIENT_MARGIN)
    stream = aiter(provider.async_stream(request))
    try:
        async with asyncio.timeout(deadline):
            first = await anext(stream)
    except StopAsyncIteration:
        return
    except TimeoutError:
        await close_stream(stream)
        if speed is not None:
            speed.observe_silence(tokens, deadline)
        if known_slow:
            raise StillThinkingError(f"no first word in {deadline:.0f} s") from None
        raise ProviderTimeoutError("no answer in time") from None
    try:
        yield first
        async for delta in stream:
            yield delta
    finally:
        await close_stream(stream)
