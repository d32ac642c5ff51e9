"""Asking Confidant to forget, by voice, in the languages it knows.

Two requests: "forget what I just said" (the last turn) and "delete
everything I said today". Like the tables in `phrase_tables`, the whole utterance
must be the request, with only harmless words around it ("okay, please
forget what I just said"); "forget what I just said and turn on the light"
stays a request for the model. Tables are written as people spell them and
normalised exactly like what the person said, so speech-to-text spelling
variants still match.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from .normalize import phrase_set
from .phrases import whole_request


class ForgetRequest(StrEnum):
    """What the person asked to forget."""

    LAST_TURN = "last_turn"
    TODAY = "today"


_FORGET_LAST: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
        "forget what I just said | forget what I said | forget what I just asked",
        "forget the last thing I said | forget my last question",
        "forget my last request | forget what I just told you",
        "delete what I just said | delete the last thing I said",
        "erase what I just said | don't remember what I just said",
        "do not remember what I just said | don't keep what I just said",
    ),
    "de": phrase_set(
        "vergiss, was ich gerade gesagt habe | vergiss, was ich eben gesagt habe",
        "vergiss, was ich gerade gesagt hab | vergiss, was ich eben gesagt hab",
        "vergiss das gerade Gesagte | vergiss meine letzte Frage",
        "vergiss, was ich gerade gefragt habe | vergiss das Letzte",
        "lösche, was ich gerade gesagt habe | lösch, was ich gerade gesagt habe",
        "lösche, was ich eben gesagt habe | lösch, was ich eben gesagt habe",
        "merk dir nicht, was ich gerade gesagt habe",
    ),
    "fr": phrase_set(
        "oublie ce que je viens de dire | oubliez ce que je viens de dire",
        "oublie ce que je viens de te dire | oublie ce que je viens de demander",
        "efface ce que je viens de dire | effacez ce que je viens de dire",
        "oublie ma dernière phrase | oublie ma dernière question",
        "oublie la dernière chose que j'ai dite",
        "ne retiens pas ce que je viens de dire",
    ),
    "es": phrase_set(
        "olvida lo que acabo de decir | olvida lo que te acabo de decir",
        "olvide lo que acabo de decir | borra lo que acabo de decir",
        "borra lo que te acabo de decir | olvida lo último que dije",
        "borra lo último que dije | olvida mi última pregunta",
        "no recuerdes lo que acabo de decir",
    ),
    "nl": phrase_set(
        "vergeet wat ik net zei | vergeet wat ik zojuist zei",
        "vergeet wat ik net gezegd heb | vergeet wat ik net heb gezegd",
        "vergeet mijn laatste vraag | wis wat ik net zei | wis wat ik zojuist zei",
        "verwijder wat ik net zei | verwijder wat ik zojuist zei",
        "onthoud niet wat ik net zei",
    ),
    "it": phrase_set(
        "dimentica quello che ho appena detto | dimentica ciò che ho appena detto",
        "cancella quello che ho appena detto | cancella ciò che ho appena detto",
        "dimentica l'ultima cosa che ho detto | cancella l'ultima cosa che ho detto",
        "dimentica la mia ultima domanda | scorda quello che ho appena detto",
        "non ricordare quello che ho appena detto",
    ),
}

_FORGET_TODAY: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
        "delete everything I said today | forget everything I said today",
        "delete everything I've said today | forget everything I've said today",
        "erase everything I said today | delete all I said today",
        "delete what I said today | forget what I said today",
        "delete everything I said to you today | forget everything I told you today",
        "delete today's conversations | forget today's conversations",
        "delete today's transcripts",
    ),
    "de": phrase_set(
        "lösche alles, was ich heute gesagt habe",
        "lösch alles, was ich heute gesagt habe",
        "lösche alles, was ich heute gesagt hab",
        "lösch alles, was ich heute gesagt hab",
        "vergiss alles, was ich heute gesagt habe",
        "vergiss alles, was ich heute gesagt hab",
        "lösche alles von heute | lösche die Gespräche von heute",
        "vergiss die Gespräche von heute | lösche alles, was ich dir heute gesagt habe",
    ),
    "fr": phrase_set(
        "efface tout ce que j'ai dit aujourd'hui",
        "effacez tout ce que j'ai dit aujourd'hui",
        "oublie tout ce que j'ai dit aujourd'hui",
        "oubliez tout ce que j'ai dit aujourd'hui",
        "supprime tout ce que j'ai dit aujourd'hui",
        "supprimez tout ce que j'ai dit aujourd'hui",
        "efface les conversations d'aujourd'hui",
        "supprime les conversations d'aujourd'hui",
    ),
    "es": phrase_set(
        "borra todo lo que dije hoy | olvida todo lo que dije hoy",
        "borra todo lo que he dicho hoy | olvida todo lo que he dicho hoy",
        "elimina todo lo que dije hoy | elimina todo lo que he dicho hoy",
        "borra las conversaciones de hoy | borra todo lo de hoy",
    ),
    "nl": phrase_set(
        "wis alles wat ik vandaag heb gezegd | wis alles wat ik vandaag zei",
        "vergeet alles wat ik vandaag heb gezegd | vergeet alles wat ik vandaag zei",
        "verwijder alles wat ik vandaag heb gezegd",
        "verwijder alles wat ik vandaag zei",
        "wis de gesprekken van vandaag | verwijder de gesprekken van vandaag",
    ),
    "it": phrase_set(
        "cancella tutto quello che ho detto oggi",
        "cancella tutto ciò che ho detto oggi",
        "dimentica tutto quello che ho detto oggi",
        "dimentica tutto ciò che ho detto oggi",
        "elimina tutto quello che ho detto oggi | elimina tutto ciò che ho detto oggi",
        "cancella le conversazioni di oggi",
    ),
}


def forget_request(text: str, language: str) -> ForgetRequest | None:
    """Which forget request the person made, if the utterance is one."""
    return whole_request(
        text,
        language,
        (
            (ForgetRequest.LAST_TURN, _FORGET_LAST),
            (ForgetRequest.TODAY, _FORGET_TODAY),
        ),
    )
