"""Remember, recall and forget requests in the six languages, and what is not one."""

from __future__ import annotations

import pytest

from custom_components.confidant.dialogue.forget_phrases import (
    _FORGET_LAST,
    _FORGET_TODAY,
)
from custom_components.confidant.dialogue.phrase_tables import END as _END
from custom_components.confidant.household_memory.phrases import (
    MemoryRequest,
    MemoryRequestKind,
    memory_request,
)

REMEMBER = MemoryRequestKind.REMEMBER
RECALL = MemoryRequest(MemoryRequestKind.RECALL)
FORGET = MemoryRequestKind.FORGET
FORGET_ALL = MemoryRequest(MemoryRequestKind.FORGET_ALL)

# (language, what the person says, the request Confidant hears)
CASES = [
    ("en", "Remember that the Wi-Fi password is on the fridge.",
     MemoryRequest(REMEMBER, "the Wi-Fi password is on the fridge")),
    ("en", "Okay, could you please remember that my mother's birthday is on 3 March, thanks",
     MemoryRequest(REMEMBER, "my mother's birthday is on 3 March")),
    ("en", "Don't forget that the boiler service is due in May",
     MemoryRequest(REMEMBER, "the boiler service is due in May")),
    ("en", "what do you remember about me?", RECALL),
    ("en", "forget that the Wi-Fi password is on the fridge",
     MemoryRequest(FORGET, "the Wi-Fi password is on the fridge")),
    ("en", "Forget everything you remember, please.", FORGET_ALL),
    ("de-DE", "Merk dir, dass der Müll am Dienstag rausgeht!",
     MemoryRequest(REMEMBER, "der Müll am Dienstag rausgeht")),
    ("de", "Was hast du dir gemerkt?", RECALL),
    ("de", "Vergiss, dass der Müll am Dienstag rausgeht",
     MemoryRequest(FORGET, "der Müll am Dienstag rausgeht")),
    ("de", "Vergiss alles, was du dir gemerkt hast", FORGET_ALL),
    ("fr", "N’oublie pas que la réunion est à 9 h",
     MemoryRequest(REMEMBER, "la réunion est à 9 h")),
    ("fr", "Souviens-toi que Léa est allergique aux noix",
     MemoryRequest(REMEMBER, "Léa est allergique aux noix")),
    ("fr", "De quoi te souviens-tu ?", RECALL),
    ("fr", "Oublie que Léa est allergique aux noix",
     MemoryRequest(FORGET, "Léa est allergique aux noix")),
    ("fr", "Oublie tout ce que tu as retenu", FORGET_ALL),
    ("es", "Recuerda que el perro come a las ocho",
     MemoryRequest(REMEMBER, "el perro come a las ocho")),
    ("es", "Acuérdate de que la llave está bajo la maceta, por favor",
     MemoryRequest(REMEMBER, "la llave está bajo la maceta")),
    ("es", "¿Qué recuerdas de mí?", RECALL),
    ("es", "Olvida que el perro come a las ocho",
     MemoryRequest(FORGET, "el perro come a las ocho")),
    ("es", "Olvida todo lo que recuerdas", FORGET_ALL),
    ("nl", "Onthoud dat de sleutel onder de mat ligt",
     MemoryRequest(REMEMBER, "de sleutel onder de mat ligt")),
    ("nl", "Wat weet je over mij?", RECALL),
    ("nl", "Vergeet dat de sleutel onder de mat ligt",
     MemoryRequest(FORGET, "de sleutel onder de mat ligt")),
    ("nl", "Vergeet alles wat je hebt onthouden", FORGET_ALL),
    ("it", "Ricordati che la chiave è sotto il vaso",
     MemoryRequest(REMEMBER, "la chiave è sotto il vaso")),
    ("it", "Cosa ricordi di me?", RECALL),
    ("it", "Dimentica che la chiave è sotto il vaso",
     MemoryRequest(FORGET, "la chiave è sotto il vaso")),
    ("it", "Dimentica tutto quello che ricordi", FORGET_ALL),
]  # fmt: skip


@pytest.mark.parametrize(
    ("language", "text", "request_"), CASES, ids=[c[1][:40] for c in CASES]
)
def test_requests_in_six_languages(
    language: str, text: str, request_: MemoryRequest
) -> None:
    assert memory_request(text, language) == request_


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "turn on the kitchen lights"),
        ("en", "remember to buy milk"),
        ("en", "remember what I told you"),
        ("en", "Remember that time we went to Paris?"),
        ("en", "do you remember that the door was open"),
        ("en", "remember that"),
        ("en", "the code word is pineapple"),
        ("de", "merk dir was ich gesagt habe"),
        ("fr", "oublie ça"),
        ("nl", "onthoud om tien uur de was"),
    ],
)
def test_what_is_not_a_memory_request(language: str, text: str) -> None:
    assert memory_request(text, language) is None


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "nl", "it"])
def test_forget_and_end_phrases_stay_theirs(language: str) -> None:
    """Forgetting a turn, today, or ending the conversation is never memory."""
    for table in (_FORGET_LAST, _FORGET_TODAY, _END):
        for phrase in table[language]:
            assert memory_request(phrase, language) is None, phrase
