"""Counting what leaves the house where it leaves: at the entry's HTTP client.

- The entry's own httpx client (OpenAI, Anthropic, OpenAI-compatible) gets a
  request hook that attaches httpcore's `trace` extension to each request.
  A request counts once its headers have been written to the connection,
  its body's bytes once the body has been written.
- The entry's own aiohttp session (Ollama) gets a `TraceConfig`: a request
  counts when its headers are sent, and every body chunk as it is written.

So every model request the provider's server received is counted, and a
request that never reached a connection is not. Model-list look-ups (the
connection test at start-up, the agent form) are GETs without a body and
without anything of the household: their zero bytes count, but they are not
counted as requests, so "requests" means what it says to the person reading
it: the times the model was asked.
Headers are not counted: they are the key, the client's name and the
lengths, not what was said.

Images and facts are known only above the wire: `MeteredProvider` tells the
entry's `Meter` what the model request it streams carries, and the first
request that then goes out in the same task takes them into the ledger with
it. The meter keeps that per task, on itself (the entry's), so two turns
streaming at once never take each other's images.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from homeassistant.core import callback

from ..household_memory.prompt import fact_count
from ..providers import (
    Delta,
    Provider,
    ProviderRequest,
    Usage,
    UsageDelta,
    UserMessage,
)
from ..providers.deadline import close_stream
from .ledger import Counts, Ledger


@dataclass(slots=True)
class _Outgoing:
    """What one model request carries that is not counted yet."""

    images: int
    facts: int = 0

    def take(self) -> Counts:
        """The request, with what it carries; the first taker has them."""
        counts = Counts(requests=1, images=self.images, facts=self.facts)
        self.images = self.facts = 0
        return counts


class Meter:
    """Counts the requests one entry's HTTP client sends, into the ledger."""

    def __init__(self, ledger: Ledger, provider: str) -> None:
        """Count for `provider` (the entry's provider kind)."""
        self.ledger = ledger
        self.provider = provider
        # Set from the provider once it is built (MeteredProvider does).
        self.local = False
        # The model request each task is streaming (MeteredProvider's).
        self._streaming: dict[asyncio.Task[Any], _Outgoing] = {}

    @contextmanager
    def streaming(self, images: int, facts: int) -> Iterator[None]:
        """While the running task streams a model request that carries these.

        Leaving restores what the task streamed before, even when the stream
        is closed from another task.
        """
        outgoing = _Outgoing(images, facts)
        task = asyncio.current_task()
        outer = self._streaming.get(task) if task is not None else None
        if task is not None:
            self._streaming[task] = outgoing
        try:
            yield
        finally:
            # Images of a request that never went out are not counted later.
            outgoing.images = outgoing.facts = 0
            if task is not None and outer is not None:
                self._streaming[task] = outer
            elif task is not None:
                self._streaming.pop(task, None)

    def _outgoing(self) -> _Outgoing | None:
        """The model request of the running task; None outside one.

        Outside one, a request is a model list or a capability check, with
        nothing of the household's in it: neither it nor its body's bytes
        are counted (the sensor counts model requests only).
        """
        task = asyncio.current_task()
        return None if task is None else self._streaming.get(task)

    def _record(self, counts: Counts) -> None:
        self.ledger.async_record(self.provider, self.local, counts)

    @callback
    def usage(self, usage: Usage) -> None:
        """Count the prompt tokens a provider reported for one request."""
        self._record(
            Counts(tokens=usage.input_tokens, cached_tokens=usage.cached_input_tokens)
        )

    # httpx (through httpcore's trace extension)

    def httpx_event_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """The `event_hooks` of the entry's httpx client."""
        return {"request": [self._on_httpx_request]}

    async def _on_httpx_request(self, request: httpx.Request) -> None:
        if (outgoing := self._outgoing()) is None:
            return
        try:
            size = len(request.content)
        except httpx.RequestNotRead:
            # A streamed body (the SDKs send none): trust its declared length.
            size = int(request.headers.get("Content-Length") or 0)
        inner = request.extensions.get("trace")

        async def trace(event: str, info: dict[str, Any]) -> None:
            if inner is not None:
                await inner(event, info)
            # "http11.send_request_headers.complete", "http2...." alike.
            if event.endswith(".send_request_headers.complete"):
                self._record(outgoing.take())
            elif event.endswith(".send_request_body.complete"):
                self._record(Counts(bytes=size))

        request.extensions["trace"] = trace

    # aiohttp: the headers are sent in the caller's task, the body in a task
    # of its own; the trace context (one per request) carries the request.

    def aiohttp_trace_config(self) -> aiohttp.TraceConfig:
        """The trace config of the entry's aiohttp session."""
        config = aiohttp.TraceConfig()
        config.on_request_headers_sent.append(self._on_aiohttp_headers_sent)
        config.on_request_chunk_sent.append(self._on_aiohttp_chunk_sent)
        return config

    async def _on_aiohttp_headers_sent(
        self,
        _session: aiohttp.ClientSession,
        context: Any,
        _params: aiohttp.TraceRequestHeadersSentParams,
    ) -> None:
        if (outgoing := self._outgoing()) is not None:
            context.confidant_model_request = True
            self._record(outgoing.take())

    async def _on_aiohttp_chunk_sent(
        self,
        _session: aiohttp.ClientSession,
        context: Any,
        params: aiohttp.TraceRequestChunkSentParams,
    ) -> None:
        if getattr(context, "confidant_model_request", False):
            self._record(Counts(bytes=len(params.chunk)))


def image_count(request: ProviderRequest) -> int:
    """How many images a request carries."""
    return sum(
        len(message.images)
        for message in request.messages
        if isinstance(message, UserMessage)
    )


class MeteredProvider:
    """A provider whose model requests tell the meter their images and usage.

    Everything else is the wrapped provider's: `is_local`, the model list and
    any attribute this class does not define.
    """

    def __init__(self, provider: Provider, meter: Meter) -> None:
        """Wrap `provider`, whose HTTP client reports to `meter`."""
        self._provider = provider
        self._meter = meter
        meter.local = provider.is_local

    @property
    def wrapped(self) -> Provider:
        """The wrapped provider."""
        return self._provider

    @property
    def is_local(self) -> bool:
        """Whether the wrapped provider is inside the house."""
        return self._provider.is_local

    async def async_list_models(self) -> list[str]:
        """The wrapped provider's models."""
        return await self._provider.async_list_models()

    async def async_stream(self, request: ProviderRequest) -> AsyncIterator[Delta]:
        """Stream the wrapped provider's answer, marking the request's images."""
        meter = self._meter
        meter.local = self._provider.is_local
        stream = self._provider.async_stream(request)
        with meter.streaming(image_count(request), fact_count(request.messages)):
            try:
                async for delta in stream:
                    if isinstance(delta, UsageDelta):
                        meter.usage(delta.usage)
                    yield delta
            finally:
                # A reader that stops early closes the provider's stream with
                # this one, so its connection is not left for the garbage
                # collector.
                await close_stream(stream)

    def __getattr__(self, name: str) -> Any:
        """Anything else is the wrapped provider's."""
        if name == "_provider":  # Not set yet: no recursion.
            raise AttributeError(name)
        return getattr(self._provider, name)
