"""Confidant: a private, LLM-backed conversation agent for Home Assistant."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady

from .const import DOMAIN, LOGGER
from .provider_factory import async_create_provider
from .providers import AuthenticationError, Provider, ProviderError
from .repairs import async_clear_invalid_auth

PLATFORMS = (Platform.CONVERSATION,)


@dataclass(slots=True)
class ConfidantRuntimeData:
    """What a loaded entry keeps while it runs."""

    provider: Provider


type ConfidantConfigEntry = ConfigEntry[ConfidantRuntimeData]


async def async_setup_entry(hass: HomeAssistant, entry: ConfidantConfigEntry) -> bool:
    """Connect to the provider and set up the agents."""
    provider = await async_create_provider(hass, entry.data)
    try:
        await provider.async_list_models()
    except AuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ProviderError as err:
        LOGGER.warning("Provider not reachable at start-up: %s", err.translation_key)
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key=err.translation_key,
            translation_placeholders={"detail": err.detail},
        ) from err

    async_clear_invalid_auth(hass, entry)
    entry.runtime_data = ConfidantRuntimeData(provider=provider)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfidantConfigEntry) -> bool:
    """Unload the agents."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_reload_on_update(
    hass: HomeAssistant, entry: ConfidantConfigEntry
) -> None:
    """Reload when data or subentries change, so agents pick up new settings."""
    await hass.config_entries.async_reload(entry.entry_id)
