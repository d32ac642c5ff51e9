"""The words of a request and the domains and device classes they point at."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Final

_WORD: Final = re.compile(r"[^\W_]+")


_SHORTEST_PLURAL: Final = 4


def _stem(word: str) -> str:
    """Fold plurals: 'lights' and 'light' are one word."""
    if len(word) >= _SHORTEST_PLURAL and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The words of a text, case-folded and with plurals folded."""
    return [
        _stem(word)
        for word in _WORD.findall(text.casefold())
        if len(word) > 1 or word.isdigit()
    ]


# Words of a request that point at a domain, or at a device class in it.
type Target = tuple[str, str | None]
TERMS: Final[dict[str, tuple[Target, ...]]] = {}


def _terms(text: str, *targets: Target) -> None:
    for word in text.split():
        TERMS[_stem(word)] = TERMS.get(_stem(word), ()) + targets


_terms("light lamp bulb lighting dim brightness bright dark", ("light", None))
_terms("switch plug socket outlet", ("switch", None))
_terms("temperature warm cold hot degree", ("sensor", "temperature"), ("climate", None))
_terms("thermostat heating heater heat cooling ac aircon radiator", ("climate", None))
_terms("humidity humid damp", ("sensor", "humidity"))
_terms(
    "power watt using consumption energy electricity kwh",
    ("sensor", "power"),
    ("sensor", "energy"),
)
_terms("battery", ("sensor", "battery"))
_terms("co2 carbon", ("sensor", "carbon_dioxide"))
_terms("quality pollution pm25 pm2", ("sensor", "pm25"), ("sensor", "aqi"))
_terms("illuminance lux", ("sensor", "illuminance"))
_terms(
    "motion movement moving",
    ("binary_sensor", "motion"),
    ("binary_sensor", "occupancy"),
)
_terms(
    "presence occupied occupancy someone anybody anyone",
    ("binary_sensor", "occupancy"),
    ("binary_sensor", "presence"),
)
_terms(
    "door",
    ("binary_sensor", "door"),
    ("binary_sensor", "garage_door"),
    ("cover", "door"),
    ("cover", "garage"),
    ("lock", None),
)
_terms("window", ("binary_sensor", "window"), ("cover", "window"))
_terms(
    "open close closed opened shut",
    ("cover", None),
    ("binary_sensor", "door"),
    ("binary_sensor", "window"),
    ("binary_sensor", "opening"),
    ("binary_sensor", "garage_door"),
    ("valve", None),
)
_terms("garage", ("cover", "garage"), ("binary_sensor", "garage_door"))
_terms("gate", ("cover", "gate"))
_terms("blind shade shutter curtain awning", ("cover", None))
_terms("lock unlock locked unlocked", ("lock", None))
_terms("tv television telly", ("media_player", "tv"))
_terms(
    "music song play playing pause volume speaker radio podcast album artist",
    ("media_player", None),
)
_terms("fan", ("fan", None))
_terms("vacuum hoover clean cleaning robot", ("vacuum", None))
_terms("scene mood", ("scene", None))
_terms("smoke fire", ("binary_sensor", "smoke"))
_terms("leak flood moisture", ("binary_sensor", "moisture"))
_terms("rain weather forecast", ("weather", None), ("sensor", "precipitation"))
_terms("humidifier dehumidifier", ("humidifier", None))
_terms("valve", ("valve", None))
_terms("shopping todo", ("todo", None))
_terms("camera", ("camera", None))
_terms("alarm", ("alarm_control_panel", None))
_terms("button press", ("button", None))
_terms("mower lawnmower mow", ("lawn_mower", None))
_terms("wind", ("sensor", "wind_speed"))
_terms("boiler", ("water_heater", None), ("climate", None))


def _target_words() -> dict[Target, frozenset[str]]:
    """The request words that point at each domain or device class."""
    found: dict[Target, set[str]] = {}
    for word, targets in TERMS.items():
        for target in targets:
            found.setdefault(target, set()).add(word)
    return {target: frozenset(found_words) for target, found_words in found.items()}


_TARGET_WORDS: Final = _target_words()


@functools.cache
def words_of_target(domain: str, device_class: str | None) -> frozenset[str]:
    """The request words that point at an entity of this domain and class."""
    own = _TARGET_WORDS.get((domain, None), frozenset())
    if device_class is not None:
        own |= _TARGET_WORDS.get((domain, device_class), frozenset())
    return own | frozenset(words(domain))


KNOWN_DOMAINS: Final = {
    domain: frozenset(words(domain))
    for domain in (
        "alarm_control_panel",
        "binary_sensor",
        "button",
        "camera",
        "climate",
        "cover",
        "fan",
        "humidifier",
        "input_boolean",
        "lawn_mower",
        "light",
        "lock",
        "media_player",
        "scene",
        "select",
        "sensor",
        "switch",
        "todo",
        "vacuum",
        "valve",
        "water_heater",
        "weather",
    )
}


def targets_in(text: str) -> set[Target]:
    """The domains and device classes a text talks about."""
    said = words(text)
    return {target for word in said for target in TERMS.get(word, ())} | {
        (domain, None)
        for domain, domain_words in KNOWN_DOMAINS.items()
        if domain_words <= set(said)
    }


def domains_named(value: str, exposed: Mapping[str, int]) -> set[str]:
    """The domains a tool argument names: a domain, or a word for one."""
    names = {part.strip().casefold().replace(" ", "_") for part in value.split(",")}
    found = {name for name in names if name in exposed}
    for name in names - found:
        for word in words(name):
            found.update(domain for domain, _class in TERMS.get(word, ()))
    return found
