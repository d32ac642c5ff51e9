"""What a sentence means: questions, end phrases, yes and no, per language."""

import pytest

from custom_components.confidant.dialogue import phrase_tables
from custom_components.confidant.dialogue.normalize import normalize
from custom_components.confidant.dialogue.phrases import (
    is_affirmative,
    is_end_phrase,
    is_negative,
    is_question,
)

SHIPPED_LANGUAGES = ("en", "de", "fr", "es", "nl", "it")

# --- Questions ----------------------------------------------------------------

QUESTIONS = [
    ("en", "Which room?"),
    ("en", "Shall I turn off the kitchen light as well?"),
    ("en-US", "The heating is at 21 degrees. Anything else?"),
    ("de", "Welches Zimmer?"),
    ("de-DE", "Soll ich auch das Licht im Flur ausschalten?"),
    ("fr", "Quelle pièce ?"),
    ("fr-FR", "Voulez-vous que j'éteigne la lumière du salon ?"),
    ("es", "¿Qué habitación?"),
    ("es-ES", "He encendido la luz. ¿Algo más?"),
    ("nl", "Welke kamer?"),
    ("nl-NL", "Zal ik de lamp in de gang ook uitdoen?"),
    ("it", "Quale stanza?"),
    ("it-IT", "Vuoi che spenga anche la luce del corridoio?"),
]

NOT_QUESTIONS = [
    ("en", "The light is on."),
    ("en", "Done"),
    ("de", "Das Licht ist an."),
    ("de", "Erledigt!"),
    ("fr", "La lumière est allumée."),
    ("fr", "C'est fait !"),
    ("es", "La luz está encendida."),
    ("es", "¡Hecho!"),
    ("nl", "Het licht is aan."),
    ("nl", "Gedaan!"),
    ("it", "La luce è accesa."),
    ("it", "Fatto!"),
]

PUNCTUATION_QUESTIONS = [
    # Full-width question mark (Chinese, Japanese).
    ("zh", "要关掉客厅的灯吗？"),
    ("ja-JP", "リビングの電気を消しますか？"),
    ("en", "Which room？"),
    # Spanish: both marks, only the closing one, only the opening one.
    ("es", "¿Apago la luz?"),
    ("es", "Apago la luz?"),
    ("es", "Voy a apagarla, ¿vale?"),
    ("es", "La luz está encendida. ¿Quieres que la apague"),
    # Greek: ";" is the question mark, ASCII or U+037E.
    ("el", "Θέλεις να σβήσω το φως;"),
    ("el-GR", "Θέλεις να σβήσω το φως\u037e"),
    ("el", "Θέλεις να σβήσω το φως;)"),
    ("en", "Which room\u037e"),
    # Arabic, Persian.
    ("ar", "هل تريد أن أطفئ الضوء؟"),
    ("fa", "چراغ را خاموش کنم؟"),
    ("ar", "هل تريد أن أطفئ الضوء؟\u200f"),
    # Armenian marks the asked word and ends with a full stop.
    ("hy", "Ինչպե՞ս ես։"),
    # Trailing quotes, brackets, white space, emoji, emoticons, Markdown.
    ("en", 'He asked: "Which room?"'),
    ("en", "(Which room?)"),
    ("fr", "« Quelle pièce ? »"),
    ("de", "„Welches Zimmer?“"),
    ("en", "Which room?  \n"),
    ("en", "Which room?\u00a0"),
    ("en", "Anything else? 😊"),
    ("en", "Anything else?👍🏽"),
    ("en", "Anything else? ❤️"),
    ("en", "Anything else? :)"),
    ("en", "Anything else?;-)"),
    ("en", "Is that **all?**"),
    ("en", "Is that all?**"),
    ("en", "*Which room?*"),
    ("en", "`Which room?`"),
    # Several marks; emoji question marks.
    ("en", "Really?!"),
    ("en", "Are you sure…?"),
    ("en", "Anything else❓"),
    ("en", "?"),
    # Unknown languages still use punctuation.
    ("pt-BR", "Quer que eu apague a luz?"),
    ("sv", "Vill du att jag släcker?"),
]

PUNCTUATION_NOT_QUESTIONS = [
    # The last sentence decides.
    ("en", "Is it on? I turned it on."),
    ("en", "Is it on? I turned it on"),
    ("de", "Ist es an? Ich habe es eingeschaltet."),
    ("es", "¿Qué luz? La de la cocina ya está encendida."),
    ("zh", "要关灯吗？已经关了。"),
    # ";" is only a question mark in Greek.
    ("en", "Turned on the light; the heating is next;"),
    ("de", "Licht an;"),
    ("el", "Το φως είναι αναμμένο."),
    # Decoration around a statement.
    ("en", "Done. 😊"),
    ("en", "Done :)"),
    ("en", '"The light is on."'),
    ("en", "**Done**"),
    ("en", "The temperature is 21.5"),
    ("en", "Here are your options:"),
    ("ar", "تم إطفاء الضوء."),
    # Nothing to read.
    ("en", ""),
    ("en", "   "),
    ("en", "😊"),
]


@pytest.mark.parametrize(("language", "text"), QUESTIONS + PUNCTUATION_QUESTIONS)
def test_questions(language: str, text: str) -> None:
    assert is_question(text, language) is True


@pytest.mark.parametrize(
    ("language", "text"), NOT_QUESTIONS + PUNCTUATION_NOT_QUESTIONS
)
def test_not_questions(language: str, text: str) -> None:
    assert is_question(text, language) is False


# --- End phrases --------------------------------------------------------------

END_PHRASES = [
    ("en", "thanks"),
    ("en", "Thank you very much!"),
    ("en", "thanks a lot"),
    ("en", "That's all, thanks."),
    ("en", "thats all"),
    ("en", "OK, thanks"),
    ("en", "Okay thank you"),
    ("en", "alright, that's it"),
    ("en", "stop"),
    ("en", "Stop it!"),
    ("en", "Never mind."),
    ("en", "nevermind"),
    ("en", "Goodbye"),
    ("en", "Nothing else."),
    ("en", "No, nothing else, thanks"),
    ("en", "no thanks"),
    ("en", "um, thanks"),
    ("en", "Okay Nabu, thank you"),
    ("en-GB", "Cheers!"),
    ("de", "Danke"),
    ("de", "Danke schön"),
    ("de", "Dankeschön!"),
    ("de", "Vielen Dank"),
    ("de", "Das war's, danke."),
    ("de", "Okay, danke"),
    ("de", "Nein danke"),
    ("de-AT", "Tschüss"),
    ("de", "Stopp"),
    ("fr", "Merci"),
    ("fr", "Merci beaucoup !"),
    ("fr", "C'est tout, merci"),
    ("fr", "D'accord, merci"),
    ("fr", "Non merci"),
    ("fr", "Laisse tomber"),
    ("fr-CA", "Au revoir"),
    ("es", "Gracias"),
    ("es", "¡Muchas gracias!"),
    ("es", "Eso es todo, gracias"),
    ("es", "Vale, gracias"),
    ("es", "No, nada más"),
    ("es", "Adiós"),
    ("es-MX", "Olvídalo"),
    ("nl", "Bedankt"),
    ("nl", "Dank je wel"),
    ("nl", "Dankjewel!"),
    ("nl", "Dat is alles, dank je"),
    ("nl", "Oké, bedankt"),
    ("nl", "Nee, dank je"),
    ("nl-BE", "Laat maar"),
    ("it", "Grazie"),
    ("it", "Grazie mille!"),
    ("it", "È tutto, grazie"),
    ("it", "e tutto grazie"),
    ("it", "Va bene, grazie"),
    ("it", "No grazie"),
    ("it", "Lascia perdere"),
    ("it-CH", "Arrivederci"),
    # Unknown languages use the English lists.
    ("pt-BR", "thanks"),
]

NOT_END_PHRASES = [
    ("en", "thanks, now turn off the hall light"),
    ("en", "thanks for that, and one more thing"),
    ("en", "stop the music"),
    ("en", "ok"),
    ("en", "no"),
    ("en", "yes thanks"),
    ("en", "turn off the light"),
    ("en", ""),
    ("en", "thanks " * 20),
    ("de", "Danke, und jetzt mach das Licht im Flur aus"),
    ("de", "Stopp die Musik"),
    ("de", "Okay"),
    ("fr", "Merci, maintenant éteins la lumière du couloir"),
    ("fr", "Arrête la musique"),
    ("es", "Gracias, ahora apaga la luz del pasillo"),
    ("es", "Para la música"),
    ("nl", "Bedankt, doe nu het licht in de gang uit"),
    ("nl", "Stop de muziek"),
    ("it", "Grazie, ora spegni la luce del corridoio"),
    ("it", "Ferma la musica"),
    ("it", "Va bene"),
    # Unknown languages: only the English lists.
    ("pt-BR", "obrigado"),
]


@pytest.mark.parametrize(("language", "text"), END_PHRASES)
def test_end_phrases(language: str, text: str) -> None:
    assert is_end_phrase(text, language) is True


@pytest.mark.parametrize(("language", "text"), NOT_END_PHRASES)
def test_not_end_phrases(language: str, text: str) -> None:
    assert is_end_phrase(text, language) is False


# --- Yes and no ---------------------------------------------------------------

YES = [
    ("en", "yes"),
    ("en", "Yes please."),
    ("en", "Yeah, go ahead"),
    ("en", "do it"),
    ("en", "Sure!"),
    ("en", "ok"),
    ("en", "confirm"),
    ("en", "yes I'm sure"),
    ("en", "please"),
    ("en", "yes thank you"),
    ("en", "uh, yes"),
    ("de", "Ja"),
    ("de", "Ja, bitte"),
    ("de", "Ja, mach das"),
    ("de", "Klar"),
    ("de", "Doch"),
    ("fr", "Oui"),
    ("fr", "Oui, vas-y !"),
    ("fr", "D'accord"),
    ("fr", "Oui, s'il te plaît"),
    ("fr", "Bien sûr"),
    ("es", "Sí"),
    ("es", "si"),
    ("es", "¡Claro!"),
    ("es", "Sí, por favor"),
    ("es", "Vale, hazlo"),
    ("nl", "Ja"),
    ("nl", "Ja hoor"),
    ("nl", "Doe maar"),
    ("nl", "Ja, graag"),
    ("nl", "Oké"),
    ("it", "Sì"),
    ("it", "Sì, certo"),
    ("it", "Va bene"),
    ("it", "Sì, grazie"),
    ("it", "Fallo"),
    ("pt-BR", "yes"),
]

NO = [
    ("en", "no"),
    ("en", "No, don't"),
    ("en", "don't"),
    ("en", "Cancel."),
    ("en", "No thanks"),
    ("en", "leave it"),
    ("en", "nope"),
    ("en", "please don't"),
    ("de", "Nein"),
    ("de", "Nein, danke"),
    ("de", "Lass es"),
    ("de", "Nee, lieber nicht"),
    ("de", "Abbrechen"),
    ("fr", "Non"),
    ("fr", "Non merci"),
    ("fr", "Annule"),
    ("fr", "Non, laisse tomber"),
    ("es", "No"),
    ("es", "No, gracias"),
    ("es", "Cancela"),
    ("es", "Mejor no"),
    ("nl", "Nee"),
    ("nl", "Nee, dank je"),
    ("nl", "Niet doen"),
    ("nl", "Laat maar"),
    ("it", "No"),
    ("it", "No grazie"),
    ("it", "Annulla"),
    ("it", "Lascia stare"),
    ("pt-BR", "no"),
]

NEITHER = [
    ("en", "what time is it"),
    ("en", "unlock the back door instead"),
    ("en", "yes but first turn off the light"),
    ("en", "yes no"),
    ("en", "ok no"),
    ("en", "thanks"),
    ("en", "maybe"),
    ("en", ""),
    ("en", "?!"),
    ("en", "yes " * 20),
    ("de", "Wie spät ist es?"),
    ("de", "Ja, aber schalte zuerst das Licht aus"),
    ("de", "Danke"),
    ("fr", "Quelle heure est-il ?"),
    ("fr", "Oui, mais d'abord éteins la lumière"),
    ("es", "¿Qué hora es?"),
    ("es", "Sí, pero primero apaga la luz"),
    ("nl", "Hoe laat is het?"),
    ("nl", "Ja, maar doe eerst het licht uit"),
    ("it", "Che ore sono?"),
    ("it", "Sì, ma prima spegni la luce"),
    # English words are not Italian ones, nor the reverse.
    ("it", "yes"),
    ("en", "sì"),
    ("pt-BR", "sim"),
]


@pytest.mark.parametrize(("language", "text"), YES)
def test_yes(language: str, text: str) -> None:
    assert is_affirmative(text, language) is True
    assert is_negative(text, language) is False


@pytest.mark.parametrize(("language", "text"), NO)
def test_no(language: str, text: str) -> None:
    assert is_negative(text, language) is True
    assert is_affirmative(text, language) is False


@pytest.mark.parametrize(("language", "text"), NEITHER)
def test_neither_yes_nor_no(language: str, text: str) -> None:
    assert is_affirmative(text, language) is False
    assert is_negative(text, language) is False


# --- Languages and tables -----------------------------------------------------


@pytest.mark.parametrize("language", ["de", "de-DE", "DE-de", "de_CH", " de "])
def test_language_tag_forms(language: str) -> None:
    """Only the primary subtag matters, in any case."""
    assert is_end_phrase("danke schön", language)
    assert is_affirmative("ja bitte", language)
    assert is_negative("nein danke", language)


def test_unknown_language_falls_back_to_english() -> None:
    assert is_end_phrase("that's all", "pt-BR")
    assert is_end_phrase("that's all", "")
    assert not is_end_phrase("danke", "xx")


@pytest.mark.parametrize(
    "table",
    [
        phrase_tables.THANKS,
        phrase_tables.PLEASE,
        phrase_tables.END,
        phrase_tables.END_LEAD_INS,
        phrase_tables.YES,
        phrase_tables.NO,
    ],
)
def test_tables_cover_shipped_languages_normalized(
    table: dict[str, frozenset[str]],
) -> None:
    assert set(table) == set(SHIPPED_LANGUAGES)
    for entries in table.values():
        assert entries
        for phrase in entries:
            assert normalize(phrase) == phrase


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_every_table_phrase_means_one_thing(language: str) -> None:
    """A listed yes is never a no nor an end phrase, and a listed no never a yes."""
    for phrase in phrase_tables.YES[language] | phrase_tables.PLEASE[language]:
        assert is_affirmative(phrase, language), phrase
        assert not is_negative(phrase, language), phrase
        assert not is_end_phrase(phrase, language), phrase
    for phrase in phrase_tables.NO[language]:
        assert is_negative(phrase, language), phrase
        assert not is_affirmative(phrase, language), phrase
    for phrase in phrase_tables.END[language] | phrase_tables.THANKS[language]:
        assert is_end_phrase(phrase, language), phrase
        assert not is_affirmative(phrase, language), phrase
    for phrase in phrase_tables.END_LEAD_INS[language]:
        assert not is_end_phrase(phrase, language), phrase


def test_normalization() -> None:
    assert normalize("  ¡Sí,   CLARO!  ") == "si claro"
    assert normalize("That’s all…") == "thats all"
    assert normalize("Oui, vas-y !") == "oui vas y"
    assert normalize("Danke schön 👍") == "danke schon"
    assert normalize("Tschüß") == "tschuss"
