"""The shipped translations match English: same keys, same placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant

from custom_components.confidant.dialogue.messages import async_spoken_message

TRANSLATIONS = (
    Path(__file__).parent.parent / "custom_components" / "confidant" / "translations"
)
LANGUAGES = ("de", "fr", "es", "nl", "it")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(language: str) -> dict[str, Any]:
    """The parsed translation file of a language."""
    return json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested translation keys as dotted paths, in file order."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out |= flatten(value, path)
        else:
            out[path] = value
    return out


def placeholders(text: str) -> set[str]:
    """The names of the {placeholders} in a string."""
    return set(PLACEHOLDER.findall(text))


ENGLISH = flatten(load("en"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_keys_match_english(language: str) -> None:
    strings = flatten(load(language))
    assert set(strings) - set(ENGLISH) == set(), "keys English does not have"
    assert set(ENGLISH) - set(strings) == set(), "English keys not translated"


@pytest.mark.parametrize("language", LANGUAGES)
def test_values_are_non_empty_strings(language: str) -> None:
    for key, value in flatten(load(language)).items():
        assert isinstance(value, str), key
        assert value.strip(), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_english(language: str) -> None:
    strings = flatten(load(language))
    for key, english in ENGLISH.items():
        assert placeholders(strings[key]) == placeholders(english), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_strings_format_like_english(language: str) -> None:
    """Every string formats with str.format as the spoken messages are."""
    strings = flatten(load(language))
    for key, english in ENGLISH.items():
        values = dict.fromkeys(placeholders(english), "x")
        # Stray braces would raise here, and the agent would speak the raw
        # template.
        strings[key].format(**values)
        # An apostrophe right before a brace quotes it in the frontend's
        # ICU message format, so the placeholder would show literally.
        assert "'{" not in strings[key], key


@pytest.mark.parametrize("language", LANGUAGES)
def test_file_layout_matches_english(language: str) -> None:
    """Keys in English's order, 2-space indent, UTF-8 unescaped, final newline."""
    path = TRANSLATIONS / f"{language}.json"
    data = load(language)
    assert list(flatten(data)) == [key for key in ENGLISH if key in flatten(data)]
    expected = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert path.read_text(encoding="utf-8") == expected


async def assert_spoken_in(hass: HomeAssistant, language: str) -> None:
    """The agent speaks the sentences of the language's file, not English."""
    strings = flatten(load(language.partition("-")[0]))
    spoken = await async_spoken_message(
        hass, language, "camera_not_found", {"entity_id": "camera.porch"}
    )
    expected = strings["exceptions.camera_not_found.message"]
    assert spoken == expected.format(entity_id="camera.porch")
    assert spoken != ENGLISH["exceptions.camera_not_found.message"].format(
        entity_id="camera.porch"
    )
    done = await async_spoken_message(hass, language, "action_done")
    assert done == strings["exceptions.action_done.message"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_spoken_messages_use_the_language(
    hass: HomeAssistant, language: str
) -> None:
    """Home Assistant loads each file and the agent speaks its sentences."""
    await assert_spoken_in(hass, language)


@pytest.mark.parametrize("language", ["de-DE", "fr-FR", "es-ES", "nl-NL", "it-IT"])
async def test_spoken_messages_use_the_language_of_a_region(
    hass: HomeAssistant, language: str
) -> None:
    """A voice pipeline's regional language uses its base language's file."""
    await assert_spoken_in(hass, language)
