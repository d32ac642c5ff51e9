"""Keeps each entry's measured prompt speed across reloads and restarts.

A reconfigured agent reloads its entry, and Home Assistant restarts: a slow
server measured once should not have to time out again before Confidant
waits long enough for it (first_token.py). One number per entry, in
`.storage/confidant.prompt_speed.<entry_id>`, deleted with the entry.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import DOMAIN
from ..providers import Provider
from ..providers.prompt_speed import PromptSpeed

STORAGE_VERSION: Final = 1
# Measurements come with every answer; the disk is written at most this often.
_SAVE_DELAY: Final = 60


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.prompt_speed.{entry_id}")


async def async_keep_prompt_speed(
    hass: HomeAssistant, entry: ConfigEntry[Any], provider: Provider
) -> None:
    """Give the provider its remembered speed, and remember new ones."""
    speed = getattr(provider, "prompt_speed", None)
    if not isinstance(speed, PromptSpeed):
        return
    store = _store(hass, entry.entry_id)
    saved = await store.async_load() or {}
    remembered = saved.get("tokens_per_second")
    if isinstance(remembered, (int, float)) and remembered > 0:
        speed.tokens_per_second = float(remembered)

    def save() -> None:
        store.async_delay_save(
            lambda: {"tokens_per_second": speed.tokens_per_second}, _SAVE_DELAY
        )

    speed.on_change = save

    async def flush() -> None:
        # The reloaded entry reads the disk: write what is pending now.
        if speed.tokens_per_second is not None:
            await store.async_save({"tokens_per_second": speed.tokens_per_second})

    entry.async_on_unload(flush)


async def async_remove_prompt_speed(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's remembered speed (when the entry is removed)."""
    await _store(hass, entry_id).async_remove()
