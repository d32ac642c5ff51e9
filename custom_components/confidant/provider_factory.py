"""Builds the provider of a config entry with Home Assistant's shared clients."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.httpx_client import get_async_client

from .const import (
    CONF_PROVIDER,
    PROVIDER_ANTHROPIC,
    PROVIDER_OLLAMA,
    PROVIDER_OPENAI,
    PROVIDER_OPENAI_COMPATIBLE,
)
from .providers import Provider
from .providers.anthropic import AnthropicProvider
from .providers.ollama import OllamaProvider
from .providers.openai import OpenAIProvider
from .providers.openai_compatible import OpenAICompatibleProvider


async def async_create_provider(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> Provider:
    """Return the provider described by a config entry's data.

    The SDK clients read platform details from disk when they are created,
    so they are built in the executor.
    """
    kind = data[CONF_PROVIDER]
    url: str | None = data.get(CONF_URL)
    key: str | None = data.get(CONF_API_KEY)
    if kind == PROVIDER_OPENAI_COMPATIBLE:
        return await hass.async_add_executor_job(
            partial(OpenAICompatibleProvider, get_async_client(hass), url or "", key)
        )
    if kind == PROVIDER_OPENAI:
        return await hass.async_add_executor_job(
            partial(OpenAIProvider, get_async_client(hass), key or "", url)
        )
    if kind == PROVIDER_ANTHROPIC:
        return await hass.async_add_executor_job(
            partial(AnthropicProvider, get_async_client(hass), key or "", url)
        )
    if kind == PROVIDER_OLLAMA:
        return OllamaProvider(async_get_clientsession(hass), url or "", key)
    raise ValueError(f"Unknown provider {kind}")
