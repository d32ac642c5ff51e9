"""Builds the provider of a config entry with Home Assistant's shared clients."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.httpx_client import get_async_client

from .const import CONF_PROVIDER, PROVIDER_OPENAI_COMPATIBLE
from .providers import Provider
from .providers.openai_compatible import OpenAICompatibleProvider


async def async_create_provider(hass: HomeAssistant, data: Mapping[str, Any]) -> Provider:
    """Return the provider described by a config entry's data."""
    kind = data[CONF_PROVIDER]
    if kind == PROVIDER_OPENAI_COMPATIBLE:
        # The SDK client reads platform details from disk when created.
        return await hass.async_add_executor_job(
            partial(
                OpenAICompatibleProvider,
                get_async_client(hass),
                data[CONF_URL],
                data.get(CONF_API_KEY),
            )
        )
    raise ValueError(f"Unknown provider {kind}")
