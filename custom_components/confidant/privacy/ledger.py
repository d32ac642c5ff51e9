"""The ledger of what left the house: requests, bytes and images, per day.

For each provider and each local day, the ledger counts what Confidant sent:
the HTTP requests, the bytes of their bodies, the images and the household
facts (household_memory/) they carried, the prompt tokens the provider
reported and how many of them it read from its cache, and whether the
provider is inside the house or in the cloud. It keeps
numbers only, never content, in a Home Assistant store, so a restart does
not reset today; days older than `KEEP_DAYS` are dropped.

Counting happens where the bytes leave, not where Confidant thinks they do:

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

Images and facts are known only above the wire: `MeteredProvider` marks how
many a model request carries, and the first request that then goes out in
the same task takes them into the ledger with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

import aiohttp
import httpx
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
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

STORAGE_VERSION = 1
# Days of counts kept, today included.
KEEP_DAYS = 30
# Seconds between a count and its write to disk; unloading and Home
# Assistant's final write flush sooner.
SAVE_DELAY = 30


def storage_key(entry_id: str) -> str:
    """The store of one entry's ledger."""
    return f"{DOMAIN}.ledger.{entry_id}"


@dataclass(slots=True)
class Counts:
    """What went to one provider on one day."""

    requests: int = 0
    bytes: int = 0
    images: int = 0
    # Prompt tokens the provider reported, and those it read from a cache.
    tokens: int = 0
    cached_tokens: int = 0
    facts: int = 0


class LedgerRow(TypedDict):
    """One provider's counts of one day, as stored and in diagnostics."""

    date: str
    provider: str
    local: bool
    requests: int
    bytes: int
    images: int
    tokens: int
    cached_tokens: int
    facts: int


def _today() -> date:
    """Today in Home Assistant's time zone."""
    return dt_util.now().date()


class Ledger:
    """One entry's counts of what left the house."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Start empty; `async_load` reads what earlier runs counted."""
        self._hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry_id)
        )
        # (local date, provider kind, local) -> counts
        self._counts: dict[tuple[date, str, bool], Counts] = {}
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsub_midnight: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Read the stored days and start turning the day at local midnight."""
        stored = await self._store.async_load()
        for row in (stored or {}).get("days", []):
            try:
                key = (
                    date.fromisoformat(row["date"]),
                    str(row["provider"]),
                    bool(row["local"]),
                )
                counts = Counts(
                    int(row["requests"]),
                    int(row["bytes"]),
                    int(row["images"]),
                    # Rows written before tokens were counted have none.
                    int(row.get("tokens", 0)),
                    int(row.get("cached_tokens", 0)),
                    int(row.get("facts", 0)),
                )
            except KeyError, TypeError, ValueError:
                continue  # A damaged row is dropped, never fatal.
            self._counts[key] = counts
        self._prune()
        self._unsub_midnight = async_track_time_change(
            self._hass, self._async_new_day, hour=0, minute=0, second=0
        )

    async def async_unload(self) -> None:
        """Stop the day timer and write the counts now."""
        if self._unsub_midnight is not None:
            self._unsub_midnight()
            self._unsub_midnight = None
        await self._store.async_save(self._data())

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` whenever the counts or the day change."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    @callback
    def async_record(
        self,
        provider: str,
        local: bool,
        *,
        requests: int = 0,
        bytes_sent: int = 0,
        images: int = 0,
        tokens: int = 0,
        cached_tokens: int = 0,
        facts: int = 0,
    ) -> None:
        """Add to today's counts for a provider."""
        if not (requests or bytes_sent or images or tokens or cached_tokens or facts):
            return
        counts = self._counts.setdefault((_today(), provider, local), Counts())
        counts.requests += requests
        counts.bytes += bytes_sent
        counts.images += images
        counts.tokens += tokens
        counts.cached_tokens += cached_tokens
        counts.facts += facts
        self._store.async_delay_save(self._data, SAVE_DELAY)
        self._notify()

    def today(self, *, local: bool | None = None) -> Counts:
        """Today's counts over every provider; only local or cloud ones if asked."""
        today = _today()
        total = Counts()
        for (day, _provider, is_local), counts in self._counts.items():
            if day != today or (local is not None and is_local != local):
                continue
            total.requests += counts.requests
            total.bytes += counts.bytes
            total.images += counts.images
            total.tokens += counts.tokens
            total.cached_tokens += counts.cached_tokens
            total.facts += counts.facts
        return total

    def rows(self) -> list[LedgerRow]:
        """Every kept day's counts, oldest first."""
        return [
            LedgerRow(
                date=day.isoformat(),
                provider=provider,
                local=local,
                requests=counts.requests,
                bytes=counts.bytes,
                images=counts.images,
                tokens=counts.tokens,
                cached_tokens=counts.cached_tokens,
                facts=counts.facts,
            )
            for (day, provider, local), counts in sorted(
                self._counts.items(), key=lambda item: (item[0][0], item[0][1])
            )
        ]

    def _data(self) -> dict[str, Any]:
        return {"days": self.rows()}

    def _prune(self) -> bool:
        """Drop days older than the kept window; True when any were."""
        oldest = _today() - timedelta(days=KEEP_DAYS - 1)
        old = [key for key in self._counts if key[0] < oldest]
        for key in old:
            del self._counts[key]
        return bool(old)

    @callback
    def _async_new_day(self, _now: datetime) -> None:
        """At local midnight today starts from zero; old days go."""
        if self._prune():
            self._store.async_delay_save(self._data, SAVE_DELAY)
        self._notify()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()


@dataclass(slots=True)
class _Outgoing:
    """What the model request being made in this task carries, not yet counted."""

    images: int
    facts: int = 0


# Set by MeteredProvider for the task that streams a model request; read by
# the HTTP hooks, which run in that same task (aiohttp's body writer in a
# task copied from it, so it sees the same object).
_OUTGOING: ContextVar[_Outgoing | None] = ContextVar("confidant_outgoing", default=None)


class Meter:
    """Counts the requests one entry's HTTP client sends, into the ledger."""

    def __init__(self, ledger: Ledger, provider: str) -> None:
        """Count for `provider` (the entry's provider kind)."""
        self.ledger = ledger
        self.provider = provider
        # Set from the provider once it is built (MeteredProvider does).
        self.local = False

    @callback
    def _request_sent(self) -> None:
        if (outgoing := _OUTGOING.get()) is None:
            # Not a model request: a model list or a capability check, with
            # nothing of the household's in it.
            return
        images, outgoing.images = outgoing.images, 0
        facts, outgoing.facts = outgoing.facts, 0
        self.ledger.async_record(
            self.provider, self.local, requests=1, images=images, facts=facts
        )

    @callback
    def usage(self, usage: Usage) -> None:
        """Count the prompt tokens a provider reported for one request."""
        self.ledger.async_record(
            self.provider,
            self.local,
            tokens=usage.input_tokens,
            cached_tokens=usage.cached_input_tokens,
        )

    @callback
    def _body_sent(self, size: int) -> None:
        if _OUTGOING.get() is None:
            # The body of a model list or capability check: the model's name
            # at most, nothing of the household's; the sensor counts model
            # requests only, its bytes too.
            return
        self.ledger.async_record(self.provider, self.local, bytes_sent=size)

    # httpx (through httpcore's trace extension)

    def httpx_event_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """The `event_hooks` of the entry's httpx client."""
        return {"request": [self._on_httpx_request]}

    async def _on_httpx_request(self, request: httpx.Request) -> None:
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
                self._request_sent()
            elif event.endswith(".send_request_body.complete"):
                self._body_sent(size)

        request.extensions["trace"] = trace

    # aiohttp

    def aiohttp_trace_config(self) -> aiohttp.TraceConfig:
        """The trace config of the entry's aiohttp session."""
        config = aiohttp.TraceConfig()
        config.on_request_headers_sent.append(self._on_aiohttp_headers_sent)
        config.on_request_chunk_sent.append(self._on_aiohttp_chunk_sent)
        return config

    async def _on_aiohttp_headers_sent(
        self,
        _session: aiohttp.ClientSession,
        _context: Any,
        _params: aiohttp.TraceRequestHeadersSentParams,
    ) -> None:
        self._request_sent()

    async def _on_aiohttp_chunk_sent(
        self,
        _session: aiohttp.ClientSession,
        _context: Any,
        params: aiohttp.TraceRequestChunkSentParams,
    ) -> None:
        self._body_sent(len(params.chunk))


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
        self._meter.local = self._provider.is_local
        outgoing = _Outgoing(image_count(request), fact_count(request.messages))
        token = _OUTGOING.set(outgoing)
        stream = self._provider.async_stream(request)
        try:
            async for delta in stream:
                if isinstance(delta, UsageDelta):
                    self._meter.usage(delta.usage)
                yield delta
        finally:
            # A reader that stops early closes the provider's stream with this
            # one, so its connection is not left for the garbage collector.
            await close_stream(stream)
            # Images of a request that never went out are not counted later.
            outgoing.images = outgoing.facts = 0
            # Fails only when the stream is closed from another context.
            with contextlib.suppress(ValueError):
                _OUTGOING.reset(token)

    def __getattr__(self, name: str) -> Any:
        """Anything else is the wrapped provider's."""
        if name == "_provider":  # Not set yet: no recursion.
            raise AttributeError(name)
        return getattr(self._provider, name)


async def async_remove_ledger(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's stored counts (when the entry is removed)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, storage_key(entry_id)
    ).async_remove()
