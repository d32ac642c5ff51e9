"""Spoken words as Confidant compares them, whoever wrote them down.

Speech-to-text may spell the same words several ways ("That's all",
"thats all", "Sì"/"si", "vas-y"/"vas y"), so what a person said, the phrase
tables, entity names and remembered facts are all compared in one form:
lower case, without accents, apostrophes or punctuation.
"""

from __future__ import annotations

import unicodedata
from typing import Final

# Dropped inside words rather than splitting them: "don't" -> "dont", as
# speech-to-text may write it either way. The acute accent (U+00B4) goes before
# accents are set apart, or it would leave a space behind.
_DROP_APOSTROPHES: Final = str.maketrans(dict.fromkeys("'\u2019\u2018\u02bc`\u00b4"))


def fold(text: str) -> str:
    """Lower case, without accents: "Haustür" -> "haustur", "sì" -> "si"."""
    return "".join(
        char
        for char in unicodedata.normalize("NFKD", text.casefold())
        if unicodedata.category(char) != "Mn"
    )


def normalize(text: str) -> str:
    """Lower case, without accents, apostrophes, punctuation or extra spaces."""
    # One pass, as `fold` and then the separators: every utterance goes
    # through here several times, and two passes take twice as long.
    chars: list[str] = []
    for char in unicodedata.normalize(
        "NFKD", text.casefold().translate(_DROP_APOSTROPHES)
    ):
        category = unicodedata.category(char)
        if category == "Mn":  # accents: "sì" -> "si", "schön" -> "schon"
            continue
        # Punctuation, symbols (emoji), separators and control characters
        # all just separate words.
        chars.append(" " if category[0] in "PSZC" else char)
    return " ".join("".join(chars).split())


def phrase_set(*groups: str) -> frozenset[str]:
    """A table entry: phrases separated by "|", normalised like speech."""
    return frozenset(
        phrase
        for group in groups
        for phrase in (normalize(item) for item in group.split("|"))
        if phrase
    )
