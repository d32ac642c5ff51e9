"""Translated sentences the agent speaks on its own: errors, goodbyes, confirmations."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN


async def async_spoken_message(
    hass: HomeAssistant,
    language: str,
    key: str,
    placeholders: dict[str, str] | None = None,
) -> str:
    """Return the translated message of an exception key, in the person's language."""
    lookup = f"component.{DOMAIN}.exceptions.{key}.message"
    # "en-US" from a voice pipeline has its translations under "en".
    for lang in dict.fromkeys((language, language.partition("-")[0], "en")):
        translations = await async_get_translations(hass, lang, "exceptions", [DOMAIN])
        if template := translations.get(lookup):
            try:
                return template.format(**(placeholders or {}))
            except KeyError:
                return template
    return key
