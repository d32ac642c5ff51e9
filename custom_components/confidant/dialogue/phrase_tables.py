"""The phrase tables: what people say to end, thank, agree or refuse, in six languages.

Data only; `phrases` holds the matching. One dict per meaning keyed by the
languages Confidant speaks. Tables are written as people spell them, phrases
separated by "|", and are normalised at import exactly like what the person
said (see `normalize`), so speech-to-text spelling variants still match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .normalize import phrase_set

# Saying thank you: a whole end phrase on its own ("thanks"), and harmless
# politeness around a yes or a no ("yes thanks", "nein danke").
THANKS: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
        "thanks | thank you | thanks a lot | thanks so much | thanks very much",
        "thank you very much | thank you so much | many thanks | cheers",
        "thanks a bunch | much appreciated",
    ),
    "de": phrase_set(
        "danke | danke schön | dankeschön | danke sehr | vielen dank",
        "vielen lieben dank | danke vielmals | herzlichen dank | besten dank",
        "tausend dank | merci",
    ),
    "fr": phrase_set(
        "merci | merci beaucoup | merci bien | mille mercis | merci mille fois",
        "je te remercie | je vous remercie | merci infiniment",
    ),
    "es": phrase_set(
        "gracias | muchas gracias | muchísimas gracias | mil gracias",
        "gracias mil | te lo agradezco | se lo agradezco",
    ),
    "nl": phrase_set(
        "dank je | dank je wel | dankjewel | dank u | dank u wel | dankuwel",
        "bedankt | heel erg bedankt | hartelijk bedankt | hartelijk dank",
        "merci | thanks",
    ),
    "it": phrase_set(
        "grazie | grazie mille | grazie tante | molte grazie | grazie infinite",
        "ti ringrazio | la ringrazio",
    ),
}

# "Please": on its own it answers "shall I ...?" with yes, and it may go with
# a no ("please don't").
PLEASE: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set("please"),
    "de": phrase_set("bitte | bitte schön | bitte sehr"),
    "fr": phrase_set("s'il te plaît | s'il vous plaît | stp | svp"),
    "es": phrase_set("por favor | porfa | porfavor"),
    "nl": phrase_set("alsjeblieft | alstublieft | aub"),
    "it": phrase_set("per favore | per piacere | per cortesia"),
}

# Ending the conversation: the satellite stops listening and the context is
# forgotten. Thank-you phrases count too (see THANKS).
END: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
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
    "de": phrase_set(
        "das war's | das war es | das wär's | das wäre es | das war alles",
        "das wäre alles | das ist alles | das reicht | mehr nicht | sonst nichts",
        "nichts mehr | nichts weiter | nichts | ich bin fertig | fertig | ende",
        "stopp | stop | halt | hör auf | ruhe | sei still | abbrechen | abbruch",
        "vergiss es | egal | schon gut | nicht so wichtig",
        "tschüss | tschüs | tschau | ciao | bye | auf wiedersehen | bis später",
        "bis dann | bis bald | gute nacht",
    ),
    "fr": phrase_set(
        "c'est tout | ce sera tout | ça sera tout | c'est tout pour moi",
        "c'est tout pour l'instant | ça ira | rien d'autre | rien de plus",
        "plus rien | rien | c'est fini | j'ai fini | j'ai terminé | terminé",
        "stop | arrête | arrête-toi | arrêter | tais-toi | silence | chut",
        "annule | annuler | laisse tomber | oublie | oublie ça | pas grave",
        "au revoir | à plus | à plus tard | à bientôt | bonne nuit | ciao | bye",
    ),
    "es": phrase_set(
        "eso es todo | es todo | eso sería todo | sería todo | nada más | nada",
        "ya está | ya terminé | ya acabé | he terminado | es suficiente",
        "para | detente | alto | basta | cállate | silencio",
        "cancela | cancelar | olvídalo | no importa | da igual",
        "adiós | hasta luego | hasta pronto | hasta mañana | chao | chau",
        "buenas noches",
    ),
    "nl": phrase_set(
        "dat is alles | dat was alles | dat was het | dat is het | verder niets",
        "verder niks | niets meer | niks meer | niets | niks | klaar",
        "ik ben klaar | stop | stoppen | hou op | houd op | stil | wees stil",
        "annuleer | annuleren | laat maar | laat maar zitten | vergeet het",
        "maakt niet uit | doei | doeg | tot ziens | tot later | tot straks",
        "welterusten | slaap lekker",
    ),
    "it": phrase_set(
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
END_LEAD_INS: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
        "ok | okay | alright | all right | great | perfect | cool | good | fine",
        "awesome | no | nope | nah | well | no no",
    ),
    "de": phrase_set(
        "ok | okay | gut | super | prima | perfekt | alles klar | alles gut",
        "nein | nee | ne | nö | also | ach | na dann | gut dann",
    ),
    "fr": phrase_set(
        "ok | okay | d'accord | parfait | super | génial | très bien | bien",
        "non | bon | bah | ben | ah bon | eh bien",
    ),
    "es": phrase_set(
        "ok | okay | okey | vale | bueno | bien | muy bien | perfecto | genial",
        "no | pues | listo",
    ),
    "nl": phrase_set(
        "ok | okay | oké | oke | prima | goed | top | mooi | perfect | super",
        "nee | neen | nou | nou ja | oh",
    ),
    "it": phrase_set(
        "ok | okay | va bene | bene | perfetto | ottimo | benissimo | d'accordo",
        "no | allora | beh | ah",
    ),
}

# Yes to "shall I ...?". Several may follow each other ("yeah go ahead"), and
# please/thanks may go with them ("ja bitte", "sì grazie").
YES: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
        "yes | yeah | yep | yup | ya | sure | sure thing | of course | ok | okay",
        "alright | all right | do it | do that | please do | go ahead",
        "go for it | go on | proceed | confirm | confirmed | i confirm",
        "absolutely | definitely | certainly | indeed | correct | that's right",
        "affirmative | sounds good | fine | yes i'm sure | i'm sure | i am sure",
        "let's do it | why not",
    ),
    "de": phrase_set(
        "ja | jawohl | jawoll | jep | jo | jup | doch | ja doch | klar | na klar",
        "ja klar | sicher | natürlich | gerne | gern | sehr gern | sehr gerne",
        "ok | okay | in ordnung | alles klar | einverstanden | passt | genau",
        "richtig | mach das | mach es | mach's | mach mal | mach ruhig | tu das",
        "los | leg los | nur zu | bestätigen | bestätigt | ich bestätige",
        "auf jeden fall | selbstverständlich | ich bin sicher | ja bin ich",
    ),
    "fr": phrase_set(
        "oui | ouais | si | bien sûr | d'accord | ok | okay | vas-y | allez-y",
        "allez | fais-le | faites-le | fais le | confirme | je confirme",
        "confirmer | confirmé | absolument | exactement | tout à fait",
        "volontiers | c'est ça | c'est parti | parfait | entendu | ça marche",
        "certainement | évidemment | carrément | je suis sûr | je suis sûre",
    ),
    "es": phrase_set(
        "sí | si | claro | claro que sí | por supuesto | desde luego | vale",
        "de acuerdo | ok | okay | okey | dale | hazlo | hágalo | adelante",
        "venga | procede | confirmo | confirmar | confirmado | correcto",
        "exacto | seguro | estoy seguro | estoy segura | perfecto | afirmativo",
        "cómo no | sale | va | bueno | sin problema",
    ),
    "nl": phrase_set(
        "ja | jazeker | ja zeker | zeker | zeker weten | natuurlijk | tuurlijk",
        "ja hoor | jawel | jep | ok | okay | oké | oke | prima | goed | is goed",
        "doe maar | doe het | doe dat | ga je gang | ga door | ga maar | graag",
        "bevestig | bevestigen | ik bevestig | bevestigd | klopt | dat klopt",
        "precies | akkoord | absoluut | uiteraard | in orde | top",
        "ik weet het zeker",
    ),
    "it": phrase_set(
        "sì | si | certo | certamente | certo che sì | va bene | d'accordo",
        "ok | okay | fallo | fai pure | procedi | vai | vai pure | avanti | dai",
        "confermo | conferma | confermato | esatto | esattamente | giusto",
        "sicuro | sono sicuro | sono sicura | assolutamente sì | perfetto",
        "volentieri | ovvio | ovviamente | come no | senz'altro | benissimo",
    ),
}

# No to "shall I ...?". It wins over yes when a reply reads as both, so only
# clear refusals belong here.
NO: Final[Mapping[str, frozenset[str]]] = {
    "en": phrase_set(
        "no | nope | nah | no way | don't | do not | don't do it | don't do that",
        "do not do that | please don't | cancel | cancel it | cancel that",
        "abort | stop | never mind | nevermind | forget it | leave it",
        "leave it as it is | leave it be | not now | not yet | no need",
        "negative | not really | better not | rather not | i'd rather not",
        "i don't want to | i changed my mind | don't bother | absolutely not",
        "definitely not | of course not",
    ),
    "de": phrase_set(
        "nein | nee | ne | nö | auf keinen fall | bloß nicht | lieber nicht",
        "besser nicht | nicht | nicht jetzt | jetzt nicht | noch nicht",
        "mach das nicht | mach es nicht | tu das nicht | nicht machen",
        "abbrechen | abbruch | stopp | stop | halt | lass es | lass das",
        "lass mal | lass es so | lass es bleiben | lass gut sein | vergiss es",
        "negativ | keinesfalls | niemals | ich will nicht | doch nicht",
        "ich habe es mir anders überlegt",
    ),
    "fr": phrase_set(
        "non | nan | pas du tout | surtout pas | ne fais pas ça",
        "ne le fais pas | fais pas ça | annule | annuler | laisse tomber",
        "laisse | laisse comme ça | oublie | oublie ça | pas maintenant",
        "pas encore | plus tard | certainement pas | jamais | négatif",
        "arrête | stop | pas question | hors de question | je ne veux pas",
        "je veux pas | j'ai changé d'avis | ne fais rien | pas la peine",
        "non c'est bon",
    ),
    "es": phrase_set(
        "no | nop | para nada | de ninguna manera | ni hablar | no lo hagas",
        "no hagas eso | mejor no | cancela | cancelar | cancélalo | déjalo",
        "déjalo así | olvídalo | todavía no | ahora no | aún no | negativo",
        "para | detente | no quiero | he cambiado de opinión | en absoluto",
    ),
    "nl": phrase_set(
        "nee | neen | nee hoor | niet doen | doe maar niet | doe het niet",
        "liever niet | beter niet | zeker niet | absoluut niet | nooit",
        "annuleer | annuleren | stop | stoppen | laat maar | laat maar zitten",
        "laat het | laat het zo | vergeet het | niet nu | nu niet | nog niet",
        "negatief | ik wil het niet",
    ),
    "it": phrase_set(
        "no | assolutamente no | per niente | non farlo | non lo fare",
        "non fare niente | meglio di no | meglio no | annulla | annullare",
        "lascia perdere | lascia stare | lascia così | lascia | non ora",
        "non adesso | non ancora | negativo | mai | ferma | fermati | stop",
        "ho cambiato idea | non voglio | neanche per sogno",
    ),
}

# Dropped from the start of anything the person said: hesitation sounds, and
# the wake word when speech-to-text heard it too ("okay nabu, thanks").
FILLERS: Final = phrase_set(
    "um | umm | uh | uhm | uhh | er | erm | hm | hmm | mm | mmm | ah | oh | eh",
    "äh | ähm | öhm | euh | heu | ehm | ehh | hey | hallo | hello",
    "ok nabu | okay nabu | hey nabu | hey jarvis | hey mycroft | hey rhasspy",
    "alexa | nabu | jarvis | mycroft",
)
