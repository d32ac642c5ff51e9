"""What a sentence means for the conversation, in the languages Confidant knows.

Pure functions: whether an answer asks something (so the satellite keeps
listening), whether the person ended the conversation, and whether they said
yes or no to a confirmation question.

Questions are recognised by punctuation alone, which works for any language:
the last sentence decides, after trailing quotes, brackets, Markdown and emoji
are set aside. The rest compares the *whole* utterance with the short phrase
tables of `phrase_tables`, in the language Home Assistant's matching picks for
the person's tag (English when Confidant has none). A reply only counts when
every word of it belongs to a known phrase, so "thanks, now turn off the hall
light" or "yes but first turn off the light" stay new requests for the model.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Final

from .language import SPOKEN_LANGUAGES, primary_language, spoken_language
from .normalize import normalize
from .phrase_tables import END, END_LEAD_INS, FILLERS, NO, PLEASE, THANKS, YES

# Longer utterances are requests, not a "thanks" or a "yes".
_MAX_WORDS: Final = 12

# What each function accepts, per language, put together once.
_END_UNITS: Final = {lang: END[lang] | THANKS[lang] for lang in SPOKEN_LANGUAGES}
_YES_UNITS: Final = {lang: YES[lang] | PLEASE[lang] for lang in SPOKEN_LANGUAGES}
_COURTESY: Final = {lang: PLEASE[lang] | THANKS[lang] for lang in SPOKEN_LANGUAGES}

# --- Punctuation --------------------------------------------------------------

# Marks that end a question, whatever the language. U+037E is the Greek
# question mark (it looks like ";"); ❓ and ❔ are emoji used as question marks.
_QUESTION_MARKS: Final = frozenset(
    "?"
    "\uff1f"  # full width (Chinese, Japanese)
    "\u061f"  # ؟ Arabic, Persian, Urdu
    "\u037e"  # Greek question mark
    "\u2e2e"  # ⸮ reversed question mark
    "\u203d\u2047\u2048\u2049"  # ‽ ⁇ ⁈ ⁉
    "\ufe56\ufe16"  # small and vertical forms
    "\u1367"  # ፧ Ethiopic
    "\u2753\u2754"  # ❓ ❔
)
# In Greek text the ordinary ";" is the question mark; elsewhere it is not.
_GREEK_QUESTION_MARKS: Final = _QUESTION_MARKS | {";"}

# Marks that end a statement.
_STATEMENT_ENDS: Final = frozenset(
    ".!\u2026"  # . ! …
    "\u3002\uff01\uff0e\uff61"  # CJK and full width
    "\u0589"  # Armenian full stop
    "\u06d4"  # Urdu full stop
    "\u0964\u0965"  # । ॥ Devanagari
    "\u1362"  # ። Ethiopic
    "\u203c\u2757"  # ‼ ❗
)

_ENDS: Final = _QUESTION_MARKS | _STATEMENT_ENDS

# Spanish opens a question with "¿"; Armenian marks the asked word with "՞"
# and ends the sentence with a full stop. Either in the last sentence makes it
# a question even when its end is not "?".
_QUESTION_INSIDE: Final = frozenset("\u00bf\u055e")

# Set aside at the end of an answer before looking at its punctuation: quotes
# and closing brackets (Unicode Pi, Pf, Pe), emoji and their modifiers (So, Sk,
# Mn, Me, Cf), white space and Markdown emphasis.
_DECORATION_CATEGORIES: Final = frozenset(
    {"Pi", "Pf", "Pe", "So", "Sk", "Mn", "Me", "Cf", "Cc", "Co", "Zs", "Zl", "Zp"}
)
_DECORATION_CHARS: Final = frozenset("\"'*_~`")
# Set aside only when they stand apart, after a space or the final mark.
# Longer forms first: ":-)" must not be read as ":)" after a "-".
# fmt: off
_EMOTICONS: Final = (
    ":-)", ":)", ";-)", ";)", ":-(", ":(", ":-D", ":D", ":-P", ":P", ":p", ";P",
    ";p", ":-]", ":]", ":-/", ":/", ":o", ":O", ":3", "=)", "=D", "xD", "XD",
    "^_^", "^^", "<3",
)
# fmt: on


def _is_decoration(char: str) -> bool:
    if char in _QUESTION_MARKS:  # ❓ is an emoji, but it asks.
        return False
    return (
        char in _DECORATION_CHARS
        or unicodedata.category(char) in _DECORATION_CATEGORIES
    )


def _strip_decoration(text: str) -> str:
    """The text without trailing quotes, brackets, emoji, emoticons, Markdown."""
    end = len(text)
    while end:
        # Emoticons first, or ":)" would lose its ")" and leave a ":".
        emoticon = next((e for e in _EMOTICONS if text.endswith(e, 0, end)), None)
        if emoticon is not None:
            start = end - len(emoticon)
            # An emoticon stands apart: "Dinner? :)", but "Θέλεις;)" in Greek
            # is a question closed by a bracket.
            if not start or text[start - 1].isspace() or text[start - 1] in _ENDS:
                end = start
                continue
        if not _is_decoration(text[end - 1]):
            break
        end -= 1
    return text[:end]


def _is_sentence_end(text: str, index: int, question_marks: frozenset[str]) -> bool:
    char = text[index]
    if char == ".":
        # "3.5 degrees" and "e.g." do not end a sentence.
        return index + 1 == len(text) or text[index + 1].isspace()
    return char in question_marks or char in _STATEMENT_ENDS


def is_question(text: str, language: str) -> bool:
    """Whether an answer asks the person something.

    The last sentence decides: "Is it on? I turned it on." is not a question.
    Trailing quotes, brackets, emoji and Markdown ("?**") are ignored.
    """
    marks = (
        _GREEK_QUESTION_MARKS if primary_language(language) == "el" else _QUESTION_MARKS
    )
    body = _strip_decoration(text)
    end = len(body)
    while end and (body[end - 1] in marks or body[end - 1] in _STATEMENT_ENDS):
        end -= 1
    # The closing run of marks: "?", "?!", "…?".
    if any(char in marks for char in body[end:]):
        return True
    start = end
    while start and not _is_sentence_end(body, start - 1, marks):
        start -= 1
    return any(char in _QUESTION_INSIDE for char in body[start:end])


# --- Whole utterances ---------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """The normalised words, without leading hesitations or the wake word."""
    words = tuple(normalize(text).split())
    stripped = True
    while stripped:
        stripped = False
        # Longest first, so "okay nabu" goes as a whole, not just "okay".
        for size in (2, 1):
            if len(words) >= size and " ".join(words[:size]) in FILLERS:
                words = words[size:]
                stripped = True
                break
    return words


def whole_request[K](
    text: str,
    language: str,
    tables: Iterable[tuple[K, Mapping[str, frozenset[str]]]],
) -> K | None:
    """The first kind whose phrases make up the whole utterance, if any.

    Around the phrase only courtesy ("please", "thanks") and the lead-ins an
    end phrase allows ("okay, ...") may stand.
    """
    lang = spoken_language(language)
    words = _words(text)
    for kind, table in tables:
        if _is_made_of(
            words, main=table[lang], extra=_COURTESY[lang], lead_ins=END_LEAD_INS[lang]
        ):
            return kind
    return None


def _is_made_of(
    words: tuple[str, ...],
    *,
    main: frozenset[str],
    extra: frozenset[str] = frozenset(),
    lead_ins: frozenset[str] = frozenset(),
) -> bool:
    """Whether the words are, in order, lead-ins, then main and extra phrases.

    At least one main phrase is needed: "ok" is not an end phrase, "thanks" is
    not a yes. Nothing else may appear, so a new request never matches.
    """
    if not 0 < len(words) <= _MAX_WORDS:
        return False
    # reachable[i]: states after the first i words. "lead": only lead-ins so
    # far; "extra": past the lead-ins, no main phrase yet; "main": one seen.
    reachable: list[set[str]] = [set() for _ in range(len(words) + 1)]
    reachable[0].add("lead")
    for start in range(len(words)):
        states = reachable[start]
        if not states:
            continue
        for stop in range(start + 1, len(words) + 1):
            phrase = " ".join(words[start:stop])
            if phrase in main:
                reachable[stop].add("main")
            if phrase in extra:
                reachable[stop] |= {"main" if s == "main" else "extra" for s in states}
            if phrase in lead_ins and "lead" in states:
                reachable[stop].add("lead")
    return "main" in reachable[-1]


def is_end_phrase(text: str, language: str) -> bool:
    """Whether the person ended the conversation ("thanks", "stop", ...).

    The whole utterance must be closing words ("ok thanks, that's all",
    "nein danke"); "thanks, now turn off the hall light" is a new request.
    """
    lang = spoken_language(language)
    return _is_made_of(
        _words(text),
        main=_END_UNITS[lang],
        extra=PLEASE[lang],
        lead_ins=END_LEAD_INS[lang],
    )


def is_affirmative(text: str, language: str) -> bool:
    """Whether the person said yes ("yes please", "ja, mach das", "sì, certo")."""
    lang = spoken_language(language)
    return _is_made_of(_words(text), main=_YES_UNITS[lang], extra=THANKS[lang])


def is_negative(text: str, language: str) -> bool:
    """Whether the person said no ("no thanks", "nein, lass es", "non")."""
    lang = spoken_language(language)
    return _is_made_of(_words(text), main=NO[lang], extra=_COURTESY[lang])
