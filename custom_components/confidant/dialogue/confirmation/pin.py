"""The spoken PIN: found in what was said, taken out of it, and guesses counted.

The PIN is compared by Confidant alone: it is taken out of every utterance
that could carry it before the words go to a model, the memory or a
transcript, and repeated wrong PINs lock sensitive actions for a while.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final

from homeassistant.util import dt as dt_util

from ...const import LOGGER
from ..language import best_match
from ..normalize import fold

# Wrong PINs in a row before sensitive actions are locked, and for how long.
MAX_WRONG_PINS: Final = 3
PIN_LOCKOUT: Final = timedelta(minutes=5)
LOCKOUT_MINUTES: Final = round(PIN_LOCKOUT.total_seconds() / 60)

_DIGIT_RUN: Final = re.compile(r"\d+(?:[\s,.\-]+\d+)*")

# Digits as speech-to-text may write them out, in the languages Confidant
# speaks (accents dropped), so a PIN said as words is found and removed too.
_DIGIT_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("zero oh", "one", "two", "three", "four", "five", "six", "seven",
           "eight", "nine"),
    "de": ("null", "eins", "zwei zwo", "drei", "vier", "funf", "sechs", "sieben",
           "acht", "neun"),
    "fr": ("zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept",
           "huit", "neuf"),
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete",
           "ocho", "nueve"),
    "nl": ("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht",
           "negen"),
    "it": ("zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette",
           "otto", "nove"),
}  # fmt: skip
_WORD_TO_DIGIT: Final[dict[str, dict[str, str]]] = {
    language: {
        word: str(digit) for digit, words in enumerate(table) for word in words.split()
    }
    for language, table in _DIGIT_WORDS.items()
}


def spoken_digits(text: str, language: str) -> str:
    """The text with digits said as words written as digits."""
    # A language without digit words keeps its words: no other language's
    # "one" or "un" is read into them.
    lang = best_match(language, _WORD_TO_DIGIT)
    if lang is None:
        return text
    table = _WORD_TO_DIGIT[lang]

    def digit(match: re.Match[str]) -> str:
        return table.get(fold(match.group(0)), match.group(0))

    return re.sub(r"[^\W\d_]+", digit, text)


def without_pin(
    text: str, language: str, pin: str, *, awaiting: bool
) -> tuple[str, bool] | None:
    """The words without the numbers that could be the PIN; None if none are.

    Also says whether exactly the PIN was said. Numbers are taken out when
    they contain the PIN, or when a PIN question awaits its answer: a wrong
    PIN is a PIN too, and must not reach the model either.
    """
    spoken = spoken_digits(text, language)
    digits = "".join(ch for ch in spoken if ch.isdigit())
    if not digits or (pin not in digits and not awaiting):
        return None
    return " ".join(_DIGIT_RUN.sub(" ", spoken).split()), digits == pin


class PinLockout:
    """Counts wrong PINs; enough in a row lock sensitive actions for a while."""

    def __init__(self) -> None:
        """Start unlocked, with no wrong PIN."""
        self._wrong_pins = 0
        self._locked_until: datetime | None = None

    def minutes_left(self) -> int | None:
        """How many minutes the lock still holds; None when unlocked."""
        if self._locked_until is None:
            return None
        left = self._locked_until - dt_util.utcnow()
        if left <= timedelta(0):
            self._locked_until = None
            return None
        return max(1, round(left.total_seconds() / 60))

    def right_pin(self) -> None:
        """The right PIN was said: the count starts again."""
        self._wrong_pins = 0

    def wrong_pin(self) -> bool:
        """Count a wrong PIN; True when it locks sensitive actions."""
        self._wrong_pins += 1
        LOGGER.warning("A confirmation had a wrong PIN (%s in a row)", self._wrong_pins)
        if self._wrong_pins < MAX_WRONG_PINS:
            return False
        self._wrong_pins = 0
        self._locked_until = dt_util.utcnow() + PIN_LOCKOUT
        return True
