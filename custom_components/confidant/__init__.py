"""Confidant: a private, LLM-backed conversation agent for Home Assistant."""

from __future__ import annotations

from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, LOGGER
from .home.local_handling import async_track_local_handling
from .home.registry import async_track_home
from .household_memory.store import (
    FactStore,
    async_remove_memory,
    async_setup_memory,
)
from .model.check import async_probe_entry
from .model.prompt_speed_store import async_keep_prompt_speed, async_remove_prompt_speed
from .privacy.ledger import Ledger, async_remove_ledger
from .privacy.log_filter import async_filter_logs_while_loaded
from .privacy.retention import (
    TranscriptStore,
    async_remove_transcripts,
    async_setup_transcripts,
)
from .providers import AuthenticationError, Provider, ProviderError
from .providers.capabilities import ModelCapabilities
from .providers.factory import async_create_provider
from .repairs import async_check_models, async_clear_invalid_auth
from .services import async_setup_services
from .vision.visitors import RecentVisitors

PLATFORMS = (Platform.AI_TASK, Platform.CONVERSATION, Platform.SENSOR)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


@dataclass(slots=True)
class ConfidantRuntimeData:
    """What a loaded entry keeps while it runs."""

    provider: Provider
    # Privacy: transcript retention (privacy/retention.py) goes here.
    transcripts: TranscriptStore
    # Privacy: the ledger of what left the house (privacy/ledger.py) goes here.
    ledger: Ledger
    # Facts the household asked to be remembered (household_memory/).
    memory: FactStore
    # What the cameras were said to show recently, in memory (vision/).
    visitors: RecentVisitors
    # What each model can do, as its server said (model/check.py).
    capabilities: dict[str, ModelCapabilities] = field(default_factory=dict)


type ConfidantConfigEntry = ConfigEntry[ConfidantRuntimeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the transcript actions (list, export, delete), admins only."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConfidantConfigEntry) -> bool:
    """Connect to the provider and set up the agents."""
    # Transcripts first: expired turns are purged, and with retention off
    # deleted, even when the provider cannot be reached.
    transcripts = await async_setup_transcripts(hass, entry)
    # Likewise, memory switched off is deleted before anything can fail.
    memory = await async_setup_memory(hass, entry.entry_id, entry.options)
    async_filter_logs_while_loaded(hass, entry)
    ledger = Ledger(hass, entry.entry_id)
    await ledger.async_load()
    entry.async_on_unload(ledger.async_unload)
    provider = await async_create_provider(hass, entry.data, entry=entry, ledger=ledger)
    try:
        models = await provider.async_list_models()
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
    async_check_models(hass, entry, models)
    visitors = RecentVisitors(hass)
    entry.async_on_unload(visitors.clear)
    entry.runtime_data = ConfidantRuntimeData(
        provider=provider,
        transcripts=transcripts,
        ledger=ledger,
        memory=memory,
        visitors=visitors,
    )
    transcripts.async_start(entry)
    # Tools, vision and context of each agent's model: repairs, budgets.
    await async_probe_entry(hass, entry)
    # How fast the server reads a prompt, as measured before (first_token.py).
    await async_keep_prompt_speed(hass, entry, provider)
    # The index of the exposed home the agents describe (home/).
    entry.async_on_unload(async_track_home(hass))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # A pipeline that lets Home Assistant act first bypasses the confirmation.
    entry.async_on_unload(async_track_local_handling(hass))
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfidantConfigEntry) -> bool:
    """Unload the agents."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ConfidantConfigEntry) -> None:
    """Delete the entry's files: transcripts, memory, ledger, prompt speed."""
    await async_remove_transcripts(hass, entry.entry_id)
    await async_remove_memory(hass, entry.entry_id)
    await async_remove_ledger(hass, entry.entry_id)
    await async_remove_prompt_speed(hass, entry.entry_id)


async def _async_reload_on_update(
    hass: HomeAssistant, entry: ConfidantConfigEntry
) -> None:
    """Reload when data or subentries change, so agents pick up new settings."""
    await hass.config_entries.async_reload(entry.entry_id)
