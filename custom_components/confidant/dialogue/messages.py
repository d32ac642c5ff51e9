"""Translated sentences the agent speaks on its own: errors, goodbyes, confirmations."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from ..const import DOMAIN
from .language import spoken_language


async def async_spoken_message(
    hass: HomeAssistant,
    language: str,
    key: str,
    placeholders: dict[str, str] | None = None,
) -> str:
    """Return the translated message of an exception key, in the person's language."""
    # "de-DE" from a voice pipeline has its translations under "de"; Home
    # Assistant fills a key a translation lacks with English.
    translations = await async_get_translations(
        hass, spoken_language(language), "exceptions", [DOMAIN]
    )
    template = translations.get(f"component.{DOMAIN}.exceptions.{key}.message")
    if not template:
        return key
    try:
        return template.format(**(placeholders or {}))
    except KeyError:
        return template
