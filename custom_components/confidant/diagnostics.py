"""Diagnostics: how an entry is set up and what it sent, never what was said.

The download holds the entry's settings with the API key redacted, each
agent's options with its instructions redacted, the ledger's counts, a few
other counts (agents, open conversations, kept transcripts, remembered
facts) and versions. No conversation text, no transcript, no fact and no
tool result is ever included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import anthropic
import httpx
import openai
from homeassistant.components.conversation.const import DATA_COMPONENT
from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_PROMPT, CONF_URL
from homeassistant.const import __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import CONF_CONFIRM_PIN, CONF_PROVIDER, DOMAIN, SUBENTRY_CONVERSATION
from .model.check import model_knowledge

if TYPE_CHECKING:
    from . import ConfidantConfigEntry, ConfidantRuntimeData

# The prompt is the household's own instructions, not conversation, but it
# can name people and habits: it stays at home too.
TO_REDACT = {CONF_API_KEY, CONF_PROMPT, CONF_CONFIRM_PIN}
REDACTED = "**REDACTED**"


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConfidantConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a config entry."""
    runtime: ConfidantRuntimeData | None = getattr(entry, "runtime_data", None)
    provider = runtime.provider if runtime is not None else None
    ledger = runtime.ledger if runtime is not None else None
    agents = [
        subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_CONVERSATION
    ]
    today = ledger.today() if ledger is not None else None
    cloud_today = ledger.today(local=False) if ledger is not None else None
    return {
        "entry": {
            "title": entry.title,
            "version": f"{entry.version}.{entry.minor_version}",
            "state": entry.state.value,
            "data": _redact(entry.data),
            "options": _redact(entry.options),
        },
        "agents": {
            subentry.subentry_id: {
                "title": subentry.title,
                "options": _redact(subentry.data),
            }
            for subentry in agents
        },
        "provider": {
            "kind": entry.data.get(CONF_PROVIDER),
            "local": provider.is_local if provider is not None else None,
            # What the server says its models can do, how fast it reads.
            **model_knowledge(runtime),
        },
        "counts": {
            "agents": len(agents),
            "open_conversation_contexts": _open_contexts(hass, entry),
            "transcripts_kept": _transcripts_kept(runtime),
            # Household memory: how many facts, never which.
            "facts_remembered": len(runtime.memory.facts(everyone=True))
            if runtime is not None
            else None,
        },
        "ledger": {
            "today": None
            if today is None or cloud_today is None
            else {
                "requests": today.requests,
                "bytes": today.bytes,
                "images": today.images,
                "tokens": today.tokens,
                "cached_tokens": today.cached_tokens,
                "facts": today.facts,
                "bytes_to_cloud": cloud_today.bytes,
            },
            "days": ledger.rows() if ledger is not None else [],
        },
        "versions": {
            "home_assistant": ha_version,
            "openai": openai.__version__,
            "anthropic": anthropic.__version__,
            "httpx": httpx.__version__,
            "aiohttp": aiohttp.__version__,
        },
    }


def _redact(data: Mapping[str, Any]) -> dict[str, Any]:
    """Redact keys and prompts, and credentials written into a URL."""
    redacted: dict[str, Any] = async_redact_data(data, TO_REDACT)
    if isinstance(url := redacted.get(CONF_URL), str):
        redacted[CONF_URL] = _without_credentials(url)
    return redacted


def _without_credentials(url: str) -> str:
    """A URL with any user name and password replaced."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def _open_contexts(hass: HomeAssistant, entry: ConfidantConfigEntry) -> int | None:
    """How many conversations the entry's agents remember right now."""
    component = hass.data.get(DATA_COMPONENT)
    if component is None:
        return None
    total = 0
    for registered in er.async_entries_for_config_entry(
        er.async_get(hass), entry.entry_id
    ):
        if registered.domain != "conversation":
            continue
        entity = component.get_entity(registered.entity_id)
        memory = getattr(entity, "memory", None)
        if memory is not None:
            total += len(memory)
    return total


def _transcripts_kept(runtime: ConfidantRuntimeData | None) -> int | None:
    """How many turns the entry keeps; only the number leaves this function."""
    if runtime is None:
        return None
    return len(runtime.transcripts.turns())


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: ConfidantConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of one agent (or the entry's own device).

    The entry's diagnostics, plus which agent this device is.
    """
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    subentry_ids = {
        identifier for domain, identifier in device.identifiers if domain == DOMAIN
    }
    diagnostics["device"] = {
        "name": device.name,
        "model": device.model,
        "agent": next(
            (
                subentry_id
                for subentry_id in subentry_ids
                if subentry_id in entry.subentries
            ),
            None,
        ),
    }
    return diagnostics
