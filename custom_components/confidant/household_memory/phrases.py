"""Asking Confidant to remember, recall or forget a fact, in six languages.

Four requests, recognised in the person's own words, never in the model's:

- "remember that the Wi-Fi password is on the fridge" / "merk dir, dass …":
  a request that *starts* with a remember phrase (after harmless lead-ins
  such as "okay" or "could you please"); the rest is the fact, kept exactly
  as it was said. A question ("remember that time in Paris?") is not one.
- "what do you remember about me?": the whole utterance.
- "forget that the Wi-Fi password is on the fridge": a forget phrase, then
  the fact meant.
- "forget everything you remember": the whole utterance.

Remember and forget phrases are matched on the text with accents set aside
but each character in place, so the fact is cut from what the person said,
with their spelling. Whole utterances use the phrase tables' machinery of
`phrases`, so spelling variants of speech-to-text still match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ..dialogue.language import spoken_language
from ..dialogue.normalize import phrase_set
from ..dialogue.phrases import is_question, whole_request


class MemoryRequestKind(StrEnum):
    """What the person asked of the household memory."""

    REMEMBER = "remember"
    RECALL = "recall"
    FORGET = "forget"
    FORGET_ALL = "forget_all"


@dataclass(frozen=True, slots=True)
class MemoryRequest:
    """A request and, for remember and forget, the fact in the person's words."""

    kind: MemoryRequestKind
    fact: str = ""


# Words before the request that change nothing: "okay, could you please …".
# Written without accents; separators between words are any punctuation.
_LEADS: Final[Mapping[str, tuple[str, ...]]] = {
    "en": (
        "ok", "okay", "hey", "so", "please", "and", "also", "now",
        "can you", "could you", "would you", "will you", "i want you to",
        "i would like you to", "i'd like you to",
    ),
    "de": (
        "ok", "okay", "hey", "also", "bitte", "und", "jetzt", "kannst du",
        "konntest du", "wurdest du", "ich mochte dass du dir", "hallo",
    ),
    "fr": (
        "ok", "d'accord", "dis", "alors", "s'il te plait", "s'il vous plait",
        "et", "peux-tu", "pourrais-tu", "tu peux", "est-ce que tu peux",
    ),
    "es": ("ok", "vale", "oye", "bueno", "por favor", "y", "puedes", "podrias"),
    "nl": ("ok", "oke", "hee", "alsjeblieft", "alstublieft", "en", "kun je", "wil je"),
    "it": ("ok", "okay", "ehi", "allora", "per favore", "e", "puoi", "potresti"),
}  # fmt: skip

# Politeness after the fact, cut from it: "… on the fridge, please".
_TAILS: Final[Mapping[str, tuple[str, ...]]] = {
    "en": ("please", "thanks", "thank you"),
    "de": ("bitte", "danke"),
    "fr": ("s'il te plait", "s'il vous plait", "merci"),
    "es": ("por favor", "gracias"),
    "nl": ("alsjeblieft", "alstublieft", "dank je", "bedankt"),
    "it": ("per favore", "grazie"),
}

# The phrases that start a fact. Longer phrases are tried first, so
# "remember that" takes its "that" and a bare "remember" does not.
_REMEMBER: Final[Mapping[str, tuple[str, ...]]] = {
    "en": (
        "remember that", "please remember that", "remember for me that",
        "remember", "note that", "make a note that", "take note that",
        "keep in mind that", "don't forget that", "do not forget that",
    ),
    "de": (
        "merk dir dass", "merk dir", "merke dir dass", "merke dir",
        "merken sie sich dass", "merk dir bitte dass", "merk dir bitte",
        "denk daran dass", "vergiss nicht dass", "notiere dass", "speichere dass",
    ),
    "fr": (
        "souviens-toi que", "rappelle-toi que", "retiens que", "retenez que",
        "retiens bien que", "n'oublie pas que", "note que", "memorise que",
        "souvenez-vous que",
    ),
    "es": (
        "recuerda que", "recuerde que", "acuerdate de que", "acuerdate que",
        "no olvides que", "apunta que", "anota que", "memoriza que",
    ),
    "nl": (
        "onthoud dat", "onthoud", "vergeet niet dat", "noteer dat",
        "denk eraan dat", "onthou dat",
    ),
    "it": (
        "ricorda che", "ricordati che", "ricordate che", "non dimenticare che",
        "annota che", "memorizza che", "tieni a mente che",
    ),
}  # fmt: skip

# After a bare remember phrase, these words make a question, a reminder or
# a refusal, not a fact: "remember to buy milk", "merk dir nicht, was …".
_NOT_A_FACT: Final[Mapping[str, tuple[str, ...]]] = {
    "en": ("to", "what", "when", "where", "who", "how", "if", "whether", "me"),
    "de": ("was", "wann", "wo", "wer", "wie", "ob", "mich", "nicht"),
    "nl": ("wat", "wanneer", "waar", "wie", "hoe", "of", "me", "mij", "om", "niet"),
}

_FORGET: Final[Mapping[str, tuple[str, ...]]] = {
    "en": (
        "forget that", "please forget that", "don't remember that",
        "do not remember that", "stop remembering that",
    ),
    "de": ("vergiss dass", "vergiss bitte dass", "vergiss wieder dass"),
    "fr": ("oublie que", "oubliez que", "ne retiens plus que"),
    "es": ("olvida que", "olvide que", "olvidate de que", "olvidate que"),
    "nl": ("vergeet dat", "vergeet maar dat"),
    "it": ("dimentica che", "dimenticati che", "scordati che", "scorda che"),
}  # fmt: skip

_RECALL: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
        "what do you remember about me | what do you remember",
        "what do you know about me",
        "what have you remembered | what did I ask you to remember",
        "what have I asked you to remember | what are you remembering",
        "what do you remember about us | what do you know about us",
    ),
    "de": phrase_set(
        "was weißt du über mich | was hast du dir gemerkt | was merkst du dir",
        "was hast du dir über mich gemerkt | woran erinnerst du dich",
        "was weißt du über uns | was sollst du dir merken",
    ),
    "fr": phrase_set(
        "qu'est-ce que tu sais sur moi | que sais-tu de moi | que sais-tu sur moi",
        "de quoi te souviens-tu | qu'est-ce que tu as retenu | qu'as-tu retenu",
        "de quoi tu te souviens | qu'est-ce que tu retiens sur moi",
    ),
    "es": phrase_set(
        "qué recuerdas de mí | qué sabes de mí | qué recuerdas",
        "qué has recordado | qué te pedí que recordaras",
    ),
    "nl": phrase_set(
        "wat weet je over mij | wat weet je van mij | wat onthoud je over mij",
        "wat heb je onthouden | wat onthoud je | wat weet je over ons",
    ),
    "it": phrase_set(
        "cosa ricordi di me | che cosa ricordi di me | cosa sai di me",
        "cosa hai memorizzato | cosa ricordi | che cosa sai di me",
    ),
}

_FORGET_ALL: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
        "forget everything you remember | forget everything you know about me",
        "forget everything I asked you to remember | forget all you remember",
        "delete everything you remember | delete your memory | erase your memory",
        "forget everything you remember about me",
    ),
    "de": phrase_set(
        "vergiss alles, was du dir gemerkt hast",
        "vergiss alles, was du über mich weißt",
        "lösche alles, was du dir gemerkt hast | lösch alles, was du dir gemerkt hast",
        "lösche dein Gedächtnis | vergiss alles, was ich dir gesagt habe zu merken",
    ),
    "fr": phrase_set(
        "oublie tout ce que tu as retenu | oublie tout ce que tu sais sur moi",
        "oublie tout ce dont tu te souviens | efface ta mémoire",
        "efface tout ce que tu as retenu",
    ),
    "es": phrase_set(
        "olvida todo lo que recuerdas | olvida todo lo que sabes de mí",
        "borra todo lo que recuerdas | borra tu memoria",
    ),
    "nl": phrase_set(
        "vergeet alles wat je onthouden hebt | vergeet alles wat je hebt onthouden",
        "vergeet alles wat je over mij weet | wis je geheugen",
    ),
    "it": phrase_set(
        "dimentica tutto quello che ricordi | dimentica tutto ciò che ricordi",
        "dimentica tutto quello che sai di me | dimentica tutto ciò che sai di me",
        "cancella la tua memoria",
    ),
}

_SEP: Final = r"[\W_]+"
# Apostrophes as speech-to-text writes them, or none: typed or curly ("n'oublie").
_APOSTROPHE: Final = "['\u2019\u02bc]?"


def _pattern(phrase: str) -> str:
    """A phrase as a regular expression: any punctuation between words."""
    words = re.split(r"[\s\-]+", phrase.strip())
    return _SEP.join(re.escape(word).replace("'", _APOSTROPHE) for word in words)


def _alternatives(phrases: tuple[str, ...]) -> str:
    return "|".join(_pattern(p) for p in sorted(phrases, key=len, reverse=True))


def _request_regex(
    lang: str, table: Mapping[str, tuple[str, ...]], *, bare: bool
) -> re.Pattern[str]:
    leads = _alternatives(_LEADS[lang])
    tails = _alternatives(_TAILS[lang])
    stops = "|".join(_NOT_A_FACT.get(lang, ())) if bare else ""
    guard = rf"(?!(?:{stops})\b)" if stops else ""
    return re.compile(
        rf"^[\W_]*(?:(?:{leads}){_SEP})*(?:{_alternatives(table[lang])})"
        rf"(?:{_SEP}|$){guard}(?P<fact>.*?)(?:[\W_]*\b(?:{tails}))*[\W_]*$",
        re.IGNORECASE | re.DOTALL,
    )


_REMEMBER_RE: Final = {
    lang: _request_regex(lang, _REMEMBER, bare=True) for lang in _REMEMBER
}
_FORGET_RE: Final = {
    lang: _request_regex(lang, _FORGET, bare=False) for lang in _FORGET
}


def _folded(text: str) -> str:
    """The text without accents, every character in its place."""
    return "".join(unicodedata.normalize("NFD", char)[0] for char in text)


def _fact(pattern: re.Pattern[str], text: str) -> str | None:
    """The fact after the request's phrase, cut from the person's own words."""
    match = pattern.match(_folded(text))
    if match is None:
        return None
    fact = text[match.start("fact") : match.end("fact")].strip()
    return fact if any(char.isalnum() for char in fact) else None


def memory_request(text: str, language: str) -> MemoryRequest | None:
    """Which household-memory request the person made, if any."""
    if (
        kind := whole_request(
            text,
            language,
            (
                (MemoryRequestKind.FORGET_ALL, _FORGET_ALL),
                (MemoryRequestKind.RECALL, _RECALL),
            ),
        )
    ) is not None:
        return MemoryRequest(kind)
    lang = spoken_language(language)
    if is_question(text, language):
        # "Remember that time we went to Paris?" asks; it keeps nothing.
        return None
    if (fact := _fact(_FORGET_RE[lang], text)) is not None:
        return MemoryRequest(MemoryRequestKind.FORGET, fact)
    if (fact := _fact(_REMEMBER_RE[lang], text)) is not None:
        return MemoryRequest(MemoryRequestKind.REMEMBER, fact)
    return None
