"""A total deadline on a provider's answer, streaming included.

The HTTP clients' timeouts are per read: a server that sends one byte every
few seconds (or a keep-alive comment forever) never trips them, and a voice
satellite would wait for ever. This wrapper bounds the whole answer, from the
request to its last delta, and turns anything unexpected a provider raises
into a provider error, so no exception of a misbehaving server leaves it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable

from . import Delta, MalformedResponseError, ProviderError, ProviderTimeoutError


async def close_stream(stream: AsyncIterator[Delta]) -> None:
    """Close a stream left early, so its connection is released now."""
    if (aclose := getattr(stream, "aclose", None)) is not None:
        await aclose()


async def bounded_stream(
    stream: AsyncIterator[Delta], seconds: float
) -> AsyncGenerator[Delta]:
    """Yield the stream's deltas until it ends or `seconds` have passed.

    Only the wait for each next delta runs under the deadline: a timeout
    context around a `yield` would cancel the consumer instead.
    """
    deadline = asyncio.get_running_loop().time() + seconds
    try:
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    delta = await anext(stream)
            except StopAsyncIteration:
                return
            except ProviderError:
                raise
            except TimeoutError as err:
                raise ProviderTimeoutError("no complete answer in time") from err
            except Exception as err:
                # A provider maps what it knows; anything else is a server
                # answering in a shape nobody expected.
                raise MalformedResponseError(type(err).__name__) from err
            yield delta
    finally:
        await close_stream(stream)


# Listing models is quick even on a busy server; a person may be waiting in
# the config flow, and an entry's setup waits for it.
LIST_MODELS_TIMEOUT = 10.0


async def bounded_model_list(listing: Awaitable[list[str]]) -> list[str]:
    """Wait for a model list for LIST_MODELS_TIMEOUT in total, not per read."""
    try:
        async with asyncio.timeout(LIST_MODELS_TIMEOUT):
            return await listing
    except TimeoutError as err:
        raise ProviderTimeoutError("no model list in time") from err
