"""Builds the provider of a config entry with Home Assistant's clients.

Without a ledger (the config flow testing a connection), a provider uses
Home Assistant's shared httpx client or aiohttp session. A loaded entry's
provider gets a client of its own, still made by Home Assistant's helpers
(its SSL context, its connector, closed at shutdown), with the ledger's
meter attached: that is how Confidant counts what left the house.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import httpx
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import (
    async_create_clientsession,
    async_get_clientsession,
)
from homeassistant.helpers.httpx_client import (
    create_async_httpx_client,
    get_async_client,
)

from ..const import (
    CONF_PROVIDER,
    PROVIDER_ANTHROPIC,
    PROVIDER_OLLAMA,
    PROVIDER_OPENAI,
    PROVIDER_OPENAI_COMPATIBLE,
)
from ..privacy.ledger import Ledger
from ..privacy.meter import Meter, MeteredProvider
from . import Provider
from .anthropic import AnthropicProvider
from .ollama import OllamaProvider
from .openai import OpenAIProvider
from .openai_compatible import OpenAICompatibleProvider
from .sdk_imports import resolve_lazy_imports

# Home Assistant imports this module in an executor thread: the one place
# where the SDKs' lazy imports may block (see providers/sdk_imports.py).
resolve_lazy_imports()


async def async_create_provider(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    entry: ConfigEntry[Any] | None = None,
    ledger: Ledger | None = None,
) -> Provider:
    """Return the provider described by a config entry's data.

    With `entry` and `ledger`, every request the provider sends is counted in
    the ledger, and the entry's client is closed when the entry unloads.

    The SDK clients read platform details from disk when they are created,
    so they are built in the executor.
    """
    kind = data[CONF_PROVIDER]
    url: str | None = data.get(CONF_URL)
    key: str | None = data.get(CONF_API_KEY)
    meter = Meter(ledger, kind) if ledger is not None else None
    provider: Provider
    if kind == PROVIDER_OLLAMA:
        session = (
            async_get_clientsession(hass)
            if meter is None
            # Made during the entry's setup, so Home Assistant detaches it
            # when the entry unloads.
            else async_create_clientsession(
                hass, trace_configs=[meter.aiohttp_trace_config()]
            )
        )
        provider = OllamaProvider(session, url or "", key)
    elif kind in (PROVIDER_OPENAI_COMPATIBLE, PROVIDER_OPENAI, PROVIDER_ANTHROPIC):
        client = (
            get_async_client(hass)
            if meter is None
            else create_async_httpx_client(hass, event_hooks=meter.httpx_event_hooks())
        )
        if meter is not None and entry is not None:
            # Home Assistant closes it at shutdown; an unloaded entry's client
            # (its own pool, not the shared one) is closed with the entry.
            # The helper guards `aclose` against closing shared clients.
            entry.async_on_unload(partial(httpx.AsyncClient.aclose, client))
        if kind == PROVIDER_OPENAI_COMPATIBLE:
            provider = await hass.async_add_executor_job(
                partial(OpenAICompatibleProvider, client, url or "", key)
            )
        elif kind == PROVIDER_OPENAI:
            provider = await hass.async_add_executor_job(
                partial(OpenAIProvider, client, key or "", url)
            )
        else:
            provider = await hass.async_add_executor_job(
                partial(AnthropicProvider, client, key or "", url)
            )
    else:
        raise ValueError(f"Unknown provider {kind}")
    if meter is None:
        return provider
    return MeteredProvider(provider, meter)
