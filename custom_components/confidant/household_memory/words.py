"""How facts are compared: normalised like speech, by their content words."""

from __future__ import annotations

from typing import Final

from ..dialogue import normalize as spoken

# Words that say nothing about which fact is meant, in the six languages.
_STOP_WORDS: Final = frozenset(
    """
    the a an is are was were be that this my our your his her their its of on
    in at to for and or it
    der die das den dem des ein eine einen ist sind war dass mein meine unser
    unsere am im an auf zu und oder es
    le la les l un une des est sont que qui mon ma mes notre nos de du d sur
    dans a au aux et ou
    el los las lo unos unas es son que mi mis nuestro nuestra del en y o
    de het een is zijn dat mijn onze van op in aan en of
    il lo gli i uno una e sono che mio mia miei nostro nostra di del della su
    in al alla ed o
    """.split()  # noqa: SIM905 - a word list reads best as words
)


def normalize(text: str) -> str:
    """Lower case, without accents or punctuation: how two facts are compared."""
    return spoken.normalize(text)


def content_words(text: str) -> frozenset[str]:
    """The words of a text that say what it is about."""
    return frozenset(
        word for word in spoken.normalize(text).split() if word not in _STOP_WORDS
    )
