"""Which of Confidant's languages serves a person's language tag.

Home Assistant's own matching (`homeassistant.util.language`, as the voice
pipelines use it) decides, so "de", "de-DE", "DE-de" and "de_CH" all mean
German; a tag no language of Confidant matches gets none, and the callers
say what then stands in (English for the phrase tables and the messages).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from homeassistant.const import MATCH_ALL
from homeassistant.util import language as language_util

# The languages Confidant speaks: its phrase tables and its translations.
# English first: it answers when nothing else does.
SPOKEN_LANGUAGES: Final = ("en", "de", "fr", "es", "nl", "it")
FALLBACK_LANGUAGE: Final = SPOKEN_LANGUAGES[0]


def best_match(tag: str, languages: Iterable[str]) -> str | None:
    """The one of `languages` that serves the tag best; None when none does."""
    tag = tag.strip()
    # "*" (every language) matches everything for Home Assistant: here it
    # names no language in particular.
    if not tag or tag == MATCH_ALL:
        return None
    found = language_util.matches(tag, languages)
    return found[0] if found else None


# A home speaks few tags; matching one costs about 14 µs, a cached one 0.1 µs,
# and every utterance is looked up several times.
@lru_cache(maxsize=32)
def spoken_language(tag: str) -> str:
    """The language Confidant speaks to a person with this tag; English if none."""
    return best_match(tag, SPOKEN_LANGUAGES) or FALLBACK_LANGUAGE


def primary_language(tag: str) -> str:
    """The tag's language subtag, lower case: "EL-gr" -> "el"."""
    return language_util.Dialect.parse(tag.strip()).language
