"""What a sentence means for the conversation, in the languages Confidant knows.

Pure functions, no Home Assistant: whether an answer asks something (so the
satellite keeps listening), whether the person ended the conversation, and
whether they said yes or no to a confirmation question.

Questions are recognised by punctuation alone, which works for any language:
the last sentence decides, after trailing quotes, brackets, Markdown and emoji
are set aside. The rest compares the *whole* utterance with short phrase
tables, one dict per meaning keyed by language (the part of "de-DE" before the
"-"); unknown languages use the English tables. A reply only counts when every
word of it belongs to a known phrase, so "thanks, now turn off the hall light"
or "yes but first turn off the light" stay new requests for the model.

Tables are written as people spell them, phrases separated by "|", and are
normalised at import exactly like what the person said: lower case, accents,
apostrophes and punctuation dropped ("that's" -> "thats", "sì" -> "si",
"vas-y" -> "vas y"), so speech-to-text spelling variants still match.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Final

# Longer utterances are requests, not a "thanks" or a "yes".
_MAX_WORDS: Final = 12

_FALLBACK_LANGUAGE: Final = "en"


# Dropped inside words rather than splitting them: "don't" -> "dont", as
# speech-to-text may write it either way.
_DROP_APOSTROPHES: Final = str.maketrans(dict.fromkeys("'\u2019\u2018\u02bc`\u00b4"))


def _normalize(text: str) -> str:
    """Lower case, without accents, apostrophes, punctuation or extra spaces."""
    text = text.casefold().translate(_DROP_APOSTROPHES)
    chars: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if category == "Mn":  # accents: "sì" -> "si", "schön" -> "schon"
            continue
        # Punctuation, symbols (emoji), separators and control characters all
        # just separate words.
        chars.append(" " if category[0] in "PSZC" else char)
    return " ".join("".join(chars).split())


# Other modules compare what was said with names the same way.
normalize = _normalize


def _phrases(*groups: str) -> frozenset[str]:
    """A table entry: phrases separated by "|", normalised like speech."""
    return frozenset(
        phrase
        for group in groups
        for phrase in (_normalize(item) for item in group.split("|"))
        if phrase
    )


# --- Tables -----------------------------------------------------------------

# Saying thank you: a whole end phrase on its own ("thanks"), and harmless
# politeness around a yes or a no ("yes thanks", "nein danke").
_THANKS: Final[Mapping[str, frozenset[str]]] = {
    "en": _phrases(
        "thanks | thank you | thanks a lot | thanks so much | thanks very much",
        "thank you very much | thank you so much | many thanks | cheers",
        "thanks a bunch | much appreciated",
    ),
    "de": _phrases(
        "danke | danke schön | dankeschön | danke sehr | vielen dank",
        "vielen lieben dank | danke vielmals | herzlichen dank | besten dank",
        "tausend dank | merci",
    ),
    "fr": _phrases(
        "merci | merci beaucoup | merci bien | mille mercis | merci mille fois",
        "je te remercie | je vous remercie | merci infiniment",
    ),
    "es": _phrases(
        "gracias | muchas gracias | muchísimas gracias | mil gracias",
        "gracias mil | te lo agradezco | se lo agradezco",
    ),
    "nl": _phrases(
        "dank je | dank je wel | dankjewel | dank u | dank u wel | dankuwel",
        "bedankt | heel erg bedankt | hartelijk bedankt | hartelijk dank",
        "merci | thanks",
    ),
    "it": _phrases(
        "grazie | grazie mille | grazie tante | molte grazie | grazie infinite",
        "ti ringrazio | la ringrazio",
    ),
}

# "Please": on its own it answers "shall I ...?" with yes, and it may go with
# a no ("please don't").
_PLEASE: Final[Mapping[str, frozenset[str]]] = {
    "en": _phrases("please"),
    "de": _phrases("bitte | bitte schön | bitte sehr"),
    "fr": _phrases("s'il te plaît | s'il vous plaît | stp | svp"),
    "es": _phrases("por favor | porfa | porfavor"),
    "nl": _phrases("alsjeblieft | alstublieft | aub"),
    "it": _phrases("per favore | per piacere | per cortesia"),
}

# Ending the conversation: the satellite stops listening and the context is
# forgotten. Thank-you phrases count too (see _THANKS).
_END: Final[Mapping[str, frozenset[str]]] = {
    "en": _phrases(
        "that's all | that is all | that's it | that will be all | that'll be all",
        "that's everything | that's all for now | that's it for now",
        "that's all i needed | that's all i need | that's enough",
        "i'm done | i am done | all done | we're done | i'm good | i'm all set",
        "nothing else | nothing more | nothing | no more | not now",
        "stop | stop it | stop listening | be quiet | quiet | shut up | enough",
        "cancel | never mind | nevermind | forget it | forget about it",
        "goodbye | good bye | bye | bye bye | see you | see you later | see ya",
        "good night | later",
    ),
    "de": _phrases(
        "das war's | das war es | das wär's | das wäre es | das war alles",
        "das wäre alles | das ist alles | das reicht | mehr nicht | sonst nichts",
        "nichts mehr | nichts weiter | nichts | ich bin fertig | fertig | ende",
        "stopp | stop | halt | hör auf | ruhe | sei still | abbrechen | abbruch",
        "vergiss es | egal | schon gut | nicht so wichtig",
        "tschüss | tschüs | tschau | ciao | bye | auf wiedersehen | bis später",
        "bis dann | bis bald | gute nacht",
    ),
    "fr": _phrases(
        "c'est tout | ce sera tout | ça sera tout | c'est tout pour moi",
        "c'est tout pour l'instant | ça ira | rien d'autre | rien de plus",
        "plus rien | rien | c'est fini | j'ai fini | j'ai terminé | terminé",
        "stop | arrête | arrête-toi | arrêter | tais-toi | silence | chut",
        "annule | annuler | laisse tomber | oublie | oublie ça | pas grave",
        "au revoir | à plus | à plus tard | à bientôt | bonne nuit | ciao | bye",
    ),
    "es": _phrases(
        "eso es todo | es todo | eso sería todo | sería todo | nada más | nada",
        "ya está | ya terminé | ya acabé | he terminado | es suficiente",
        "para | detente | alto | basta | cállate | silencio",
        "cancela | cancelar | olvídalo | no importa | da igual",
        "adiós | hasta luego | hasta pronto | hasta mañana | chao | chau",
        "buenas noches",
    ),
    "nl": _phrases(
        "dat is alles | dat was alles | dat was het | dat is het | verder niets",
        "verder niks | niets meer | niks meer | niets | niks | klaar",
        "ik ben klaar | stop | stoppen | hou op | houd op | stil | wees stil",
        "annuleer | annuleren | laat maar | laat maar zitten | vergeet het",
        "maakt niet uit | doei | doeg | tot ziens | tot later | tot straks",
        "welterusten | slaap lekker",
    ),
    "it": _phrases(
        "è tutto | questo è tutto | è tutto qui | basta così | basta | fine",
        "niente altro | nient'altro | nient altro | nulla | niente",
        "nulla di più | nient'altro grazie | ho finito | abbiamo finito",
        "stop | fermati | smettila | zitto | silenzio | annulla | lascia perdere",
        "lascia stare | non importa | fa niente | non fa niente",
        "arrivederci | arrivederla | a dopo | ci vediamo | ciao ciao",
        "buonanotte | buona notte | addio",
    ),
}

# Allowed before an end phrase, never one on their own ("ok" alone is a yes):
# "ok thanks", "no, that's all", "alles klar, danke", "nee dank je".
_END_LEAD_INS: Final[Mapping[str, frozenset[str]]] = {
    "en": _phrases(
        "ok | okay | alright | all right | great | perfect | cool | good | fine",
        "awesome | no | nope | nah | well | no no",
    ),
    "de": _phrases(
        "ok | okay | gut | super | prima | perfekt | alles klar | alles gut",
        "nein | nee | ne | nö | also | ach | na dann | gut dann",
    ),
    "fr": _phrases(
        "ok | okay | d'accord | parfait | super | génial | très bien | bien",
        "non | bon | bah | ben | ah bon | eh bien",
    ),
    "es": _phrases(
        "ok | okay | okey | vale | bueno | bien | muy bien | perfecto | genial",
        "no | pues | listo",
    ),
    "nl": _phrases(
        "ok | okay | oké | oke | prima | goed | top | mooi | perfect | super",
        "nee | neen | nou | nou ja | oh",
    ),
    "it": _phrases(
        "ok | okay | va bene | bene | perfetto | ottimo | benissimo | d'accordo",
        "no | allora | beh | ah",
    ),
}

# Yes to "shall I ...?". Several may follow each other ("yeah go ahead"), and
# please/thanks may go with them ("ja bitte", "sì grazie").
_YES: Final[Mapping[str, frozenset[str]]] = {
    "en": _phrases(
        "yes | yeah | yep | yup | ya | sure | sure thing | of course | ok | okay",
        "alright | all right | do it | do that | please do | go ahead",
        "go for it | go on | proceed | confirm | confirmed | i confirm",
        "absolutely | definitely | certainly | indeed | correct | that's right",
        "affirmative | sounds good | fine | yes i'm sure | i'm sure | i am sure",
        "let's do it | why not",
    ),
    "de": _phrases(
        "ja | jawohl | jawoll | jep | jo | jup | doch | ja doch | klar | na klar",
        "ja klar | sicher | natürlich | gerne | gern | sehr gern | sehr gerne",
        "ok | okay | in ordnung | alles klar | einverstanden | passt | genau",
        "richtig | mach das | mach es | mach's | mach mal | mach ruhig | tu das",
        "los | leg los | nur zu | bestätigen | bestätigt | ich bestätige",
        "auf jeden fall | selbstverständlich | ich bin sicher | ja bin ich",
    ),
    "fr": _phrases(
        "oui | ouais | si | bien sûr | d'accord | ok | okay | vas-y | allez-y",
        "allez | fais-le | faites-le | fais le | confirme | je confirme",
        "confirmer | confirmé | absolument | exactement | tout à fait",
        "volontiers | c'est ça | c'est parti | parfait | entendu | ça marche",
        "certainement | évidemment | carrément | je suis sûr | je suis sûre",
    ),
    "es": _phrases(
        "sí | si | claro | claro que sí | por supuesto | desde luego | vale",
        "de acuerdo | ok | okay | okey | dale | hazlo | hágalo | adelante",
        "venga | procede | confirmo | confirmar | confirmado | correcto",
        "exacto | seguro | estoy seguro | estoy segura | perfecto | afirmativo",
        "cómo no | sale | va | bueno | sin problema",
    ),
    "nl": _phrases(
        "ja | jazeker | ja zeker | zeker | zeker weten | natuurlijk | tuurlijk",
        "ja hoor | jawel | jep | ok | okay | oké | oke | prima | goed | is goed",
        "doe maar | doe het | doe dat | ga je gang | ga door | ga maar | graag",
        "bevestig | bevestigen | ik bevestig | bevestigd | klopt | dat klopt",
        "precies | akkoord | absoluut | uiteraard | in orde | top",
        "ik weet het zeker",
    ),
    "it": _phrases(
        "sì | si | certo | certamente | certo che sì | va bene | d'accordo",
        "ok | okay | fallo | fai pure | procedi | vai | vai pure | avanti | dai",
        "confermo | conferma | confermato | esatto | esattamente | giusto",
        "sicuro | sono sicuro | sono sicura | assolutamente sì | perfetto",
        "volentieri | ovvio | ovviamente | come no | senz'altro | benissimo",
    ),
}

# No to "shall I ...?". It wins over yes when a reply reads as both, so only
# clear refusals belong here.
_NO: Final[Mapping[str, frozenset[str]]] = {
    "en": _phrases(
        "no | nope | nah | no way | don't | do not | don't do it | don't do that",
        "do not do that | please don't | cancel | cancel it | cancel that",
        "abort | stop | never mind | nevermind | forget it | leave it",
        "leave it as it is | leave it be | not now | not yet | no need",
        "negative | not really | better not | rather not | i'd rather not",
        "i don't want to | i changed my mind | don't bother | absolutely not",
        "definitely not | of course not",
    ),
    "de": _phrases(
        "nein | nee | ne | nö | auf keinen fall | bloß nicht | lieber nicht",
        "besser nicht | nicht | nicht jetzt | jetzt nicht | noch nicht",
        "mach das nicht | mach es nicht | tu das nicht | nicht machen",
        "abbrechen | abbruch | stopp | stop | halt | lass es | lass das",
        "lass mal | lass es so | lass es bleiben | lass gut sein | vergiss es",
        "negativ | keinesfalls | niemals | ich will nicht | doch nicht",
        "ich habe es mir anders überlegt",
    ),
    "fr": _phrases(
        "non | nan | pas du tout | surtout pas | ne fais pas ça",
        "ne le fais pas | fais pas ça | annule | annuler | laisse tomber",
        "laisse | laisse comme ça | oublie | oublie ça | pas maintenant",
        "pas encore | plus tard | certainement pas | jamais | négatif",
        "arrête | stop | pas question | hors de question | je ne veux pas",
        "je veux pas | j'ai changé d'avis | ne fais rien | pas la peine",
        "non c'est bon",
    ),
    "es": _phrases(
        "no | nop | para nada | de ninguna manera | ni hablar | no lo hagas",
        "no hagas eso | mejor no | cancela | cancelar | cancélalo | déjalo",
        "déjalo así | olvídalo | todavía no | ahora no | aún no | negativo",
        "para | detente | no quiero | he cambiado de opinión | en absoluto",
    ),
    "nl": _phrases(
        "nee | neen | nee hoor | niet doen | doe maar niet | doe het niet",
        "liever niet | beter niet | zeker niet | absoluut niet | nooit",
        "annuleer | annuleren | stop | stoppen | laat maar | laat maar zitten",
        "laat het | laat het zo | vergeet het | niet nu | nu niet | nog niet",
        "negatief | ik wil het niet",
    ),
    "it": _phrases(
        "no | assolutamente no | per niente | non farlo | non lo fare",
        "non fare niente | meglio di no | meglio no | annulla | annullare",
        "lascia perdere | lascia stare | lascia così | lascia | non ora",
        "non adesso | non ancora | negativo | mai | ferma | fermati | stop",
        "ho cambiato idea | non voglio | neanche per sogno",
    ),
}

# Dropped from the start of anything the person said: hesitation sounds, and
# the wake word when speech-to-text heard it too ("okay nabu, thanks").
_FILLERS: Final = _phrases(
    "um | umm | uh | uhm | uhh | er | erm | hm | hmm | mm | mmm | ah | oh | eh",
    "äh | ähm | öhm | euh | heu | ehm | ehh | hey | hallo | hello",
    "ok nabu | okay nabu | hey nabu | hey jarvis | hey mycroft | hey rhasspy",
    "alexa | nabu | jarvis | mycroft",
)

_LANGUAGES: Final = frozenset(_THANKS)

# What each function accepts, per language, put together once.
_END_UNITS: Final = {lang: _END[lang] | _THANKS[lang] for lang in _LANGUAGES}
_YES_UNITS: Final = {lang: _YES[lang] | _PLEASE[lang] for lang in _LANGUAGES}
_COURTESY: Final = {lang: _PLEASE[lang] | _THANKS[lang] for lang in _LANGUAGES}

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


def _language(language: str) -> str:
    """The primary language subtag: "de-DE" -> "de", "EN_us" -> "en"."""
    return language.replace("_", "-").split("-", 1)[0].strip().casefold()


def _table_language(language: str) -> str:
    """The language whose phrase tables apply; English when there are none."""
    lang = _language(language)
    return lang if lang in _LANGUAGES else _FALLBACK_LANGUAGE


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
    marks = _GREEK_QUESTION_MARKS if _language(language) == "el" else _QUESTION_MARKS
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
    words = tuple(_normalize(text).split())
    stripped = True
    while stripped:
        stripped = False
        # Longest first, so "okay nabu" goes as a whole, not just "okay".
        for size in (2, 1):
            if len(words) >= size and " ".join(words[:size]) in _FILLERS:
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
    lang = _table_language(language)
    words = _words(text)
    courtesy = _PLEASE[lang] | _THANKS[lang]
    for kind, table in tables:
        if _is_made_of(
            words, main=table[lang], extra=courtesy, lead_ins=_END_LEAD_INS[lang]
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
    lang = _table_language(language)
    return _is_made_of(
        _words(text),
        main=_END_UNITS[lang],
        extra=_PLEASE[lang],
        lead_ins=_END_LEAD_INS[lang],
    )


def is_affirmative(text: str, language: str) -> bool:
    """Whether the person said yes ("yes please", "ja, mach das", "sì, certo")."""
    lang = _table_language(language)
    return _is_made_of(_words(text), main=_YES_UNITS[lang], extra=_THANKS[lang])


def is_negative(text: str, language: str) -> bool:
    """Whether the person said no ("no thanks", "nein, lass es", "non")."""
    lang = _table_language(language)
    return _is_made_of(_words(text), main=_NO[lang], extra=_COURTESY[lang])
