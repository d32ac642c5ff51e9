"""Translated sentences the agent speaks on its own: errors, goodbyes, confirmations."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from ..const import DOMAIN


async def async_spoken_message(
    hass: HomeAssistant,
    language: str,
    key: str,
    placeholders: dict[str, str] | None = None,
) -> str:
    """Return the translated message of an exception key, in the person's language."""
    lookup = f"component.{DOMAIN}.exceptions.{key}.message"
    english = (await async_get_translations(hass, "en", "exceptions", [DOMAIN])).get(
        lookup
    )
    template = english
    # "de-DE" from a voice pipeline has its translations under "de". Home
    # Assistant fills a language it has no file for with English, so the
    # first translation that differs from English is the person's language.
    for lang in dict.fromkeys((language, language.partition("-")[0])):
        candidate = (
            await async_get_translations(hass, lang, "exceptions", [DOMAIN])
        ).get(lookup)
        if candidate and candidate != english:
            template = candidate
            break
    if not template:
        return key
    try:
        return template.format(**(placeholders or {}))
    except KeyError:
        return template
