"""The exposed home as the model sees it: compact, and within a prompt budget.

Home Assistant's Assist API describes the exposed home to the model in the
"Static Context" of the `homeassistant` integration's LLM platform: a YAML
dump of every exposed entity, about 70 bytes each. A home of 2000 entities
is 150 kB in every request, which no 8k-token local model can read and which
a cloud model bills on every turn; rendering that YAML is also the slowest
part of preparing a turn.

Confidant replaces that one part and keeps the rest of the Assist API. It
hands `ChatLog.async_provide_llm_data` an `llm.API` object of its own
(`TurnAssistAPI`) with the Assist API's id and name, so every tool keeps its
name and nothing changes for other agents. It collects the tools and prompts
of every integration's `llm` platform as Home Assistant's Assist API does,
except that from the `homeassistant` platform it takes only the
live-context tool: the YAML overview becomes Confidant's compact rendering,

    Kitchen:
    - light: Kitchen ceiling light (Kitchen big light); Kitchen lamp
    - sensor: Kitchen CO2 [carbon_dioxide]; Kitchen temperature

names, aliases, the area (with its aliases) and the domain, a device class
only where the name does not say it, and no YAML keys.

A request is built to be cached (prompt_cache.py). Its **stable prefix** -
instructions, tools and this overview - depends only on the home and the
agent's options, never on what was said, the time or a state, so it is
byte-identical in every request of the agent while the home does not change,
and providers reuse it (OpenAI and Anthropic bill it at a tenth, a local
server does not evaluate it again). The whole home is listed when it takes
at most a quarter of the prompt budget (and fits what the budget leaves);
otherwise the overview is the areas, the counts per domain, the pointer to
`confidant__find_entities` (llm.py, offered whenever the overview is
partial) and a short list of the most named domains. What a turn most
likely needs beyond that - the entities it names or the last turns named,
the areas it mentions, the satellite's area, the kinds of device it (or the
turn before) talks about - is the turn's **tail** (`async_turn_tail`), a
small share of the budget that travels after the remembered turns, in front
of the person's words.

Why not let Home Assistant render its YAML and replace it in the system
message: rendering the YAML of every exposed entity takes longer than the
rest of the turn, so the swap would make Confidant slower than Home
Assistant's own agents instead of faster. Why not an LLM API registered
under a name of its own: every agent's settings would have to pick it, and
Home Assistant's own agents would be offered it too.

What is exposed is read as Home Assistant reads it for its YAML (the same
exposure check, names and aliases, entity or device area) and kept in an
index that is rebuilt only when an entity, its name, its area or its
exposure changes. If the Home Assistant internals this module relies on go
away (the `llm` integration's platform registry, the live-context tool),
agents fall back to Home Assistant's Assist API unchanged, and the log says
so once.

Nothing here logs what was said.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components.homeassistant.exposed_entities import (
    async_listen_entity_updates,
    async_should_expose,
)
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import (
    CALLBACK_TYPE,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent, llm
from homeassistant.util.hass_dict import HassKey

from ..const import DEFAULT_PROMPT_BUDGET, DOMAIN, LOGGER
from ..entity import tool_spec
from ..providers import AssistantMessage, Message, ToolResultMessage, UserMessage

# About four bytes of English or JSON make a token.
BYTES_PER_TOKEN: Final = 4
# The share of the prompt budget the stable overview of the home may take
# when it lists the whole home.
HOME_SHARE: Final = 0.25
# ... and when only part of the home fits: then most of what a turn needs
# comes in its tail or from the search, and a shorter prefix costs less on
# every turn (cached input is billed too, at a tenth) and in every first turn.
PARTIAL_SHARE: Final = 0.06
# The share of the budget kept free of the stable overview for what changes
# from turn to turn: the remembered turns, the tail, the question, tool results.
TURN_RESERVE_SHARE: Final = 0.35
# The share of the budget the per-turn tail may take at most. Small, so that
# from the second turn on nearly all of a request is a prefix a provider has
# cached (the tail is fresh input in every request).
TAIL_SHARE: Final = 0.03
# JSON framing of a request: keys, quotes, the model name and options.
REQUEST_FRAMING_BYTES: Final = 600
# The score of an entity the request names: listed whatever the allowance.
NAMED: Final = 100
# The least score a turn's tail lists: a room the turn names, not just the
# satellite's room or a kind of device somewhere in the home.
TAIL_MIN_SCORE: Final = 40
# What the search tool returns at most.
SEARCH_LIMIT: Final = 10

HA_DOMAIN: Final = "homeassistant"
# Calendars and scripts have tools of their own; Home Assistant leaves them
# out of its overview, and so does Confidant.
SKIPPED_DOMAINS: Final = frozenset({"calendar", "script"})
NO_AREA: Final = "No area"

LIVE_PROMPT: Final = (
    "The overview below has names and places, not states. For the current "
    "state or value of a device (on, open, locked, how warm, what is playing) "
    "call {live_tool}."
)
COMPLETE_HEADER: Final = (
    "Static context: the devices of this home by area, one line per domain: "
    "names separated by '; ', aliases in parentheses, device class in brackets."
)
PARTIAL_HEADER: Final = (
    "Static context: part of this home, {listed} of its {total} devices, by "
    "area, one line per domain: names separated by '; ', aliases in "
    "parentheses, device class in brackets. A request may come with more "
    "devices it likely concerns. Any other device is found with {find_tool} "
    "(by name, area or domain): call it before saying a device does not "
    "exist, and use the names it gives."
)
TAIL_HEADER: Final = (
    "[Home context for this request, not said by the person: more devices it "
    "may concern, as in the overview]"
)
# Domains listed first when only part of the home fits the stable overview:
# the ones people most often name, then the rest; sensors last.
DOMAIN_PRIORITY: Final = (
    "light",
    "switch",
    "cover",
    "climate",
    "lock",
    "media_player",
    "fan",
    "scene",
    "vacuum",
    "valve",
    "humidifier",
    "water_heater",
    "alarm_control_panel",
    "lawn_mower",
    "camera",
    "todo",
    "weather",
    "input_boolean",
    "button",
    "select",
)

_WORD: Final = re.compile(r"[^\W_]+")


_SHORTEST_PLURAL: Final = 4


def _stem(word: str) -> str:
    """Fold plurals: 'lights' and 'light' are one word."""
    if len(word) >= _SHORTEST_PLURAL and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The words of a text, case-folded and with plurals folded."""
    return [
        _stem(word)
        for word in _WORD.findall(text.casefold())
        if len(word) > 1 or word.isdigit()
    ]


# Words of a request that point at a domain, or at a device class in it.
type Target = tuple[str, str | None]
TERMS: Final[dict[str, tuple[Target, ...]]] = {}


def _terms(text: str, *targets: Target) -> None:
    for word in text.split():
        TERMS[_stem(word)] = TERMS.get(_stem(word), ()) + targets


_terms("light lamp bulb lighting dim brightness bright dark", ("light", None))
_terms("switch plug socket outlet", ("switch", None))
_terms("temperature warm cold hot degree", ("sensor", "temperature"), ("climate", None))
_terms("thermostat heating heater heat cooling ac aircon radiator", ("climate", None))
_terms("humidity humid damp", ("sensor", "humidity"))
_terms(
    "power watt using consumption energy electricity kwh",
    ("sensor", "power"),
    ("sensor", "energy"),
)
_terms("battery", ("sensor", "battery"))
_terms("co2 carbon", ("sensor", "carbon_dioxide"))
_terms("quality pollution pm25 pm2", ("sensor", "pm25"), ("sensor", "aqi"))
_terms("illuminance lux", ("sensor", "illuminance"))
_terms(
    "motion movement moving",
    ("binary_sensor", "motion"),
    ("binary_sensor", "occupancy"),
)
_terms(
    "presence occupied occupancy someone anybody anyone",
    ("binary_sensor", "occupancy"),
    ("binary_sensor", "presence"),
)
_terms(
    "door",
    ("binary_sensor", "door"),
    ("binary_sensor", "garage_door"),
    ("cover", "door"),
    ("cover", "garage"),
    ("lock", None),
)
_terms("window", ("binary_sensor", "window"), ("cover", "window"))
_terms(
    "open close closed opened shut",
    ("cover", None),
    ("binary_sensor", "door"),
    ("binary_sensor", "window"),
    ("binary_sensor", "opening"),
    ("binary_sensor", "garage_door"),
    ("valve", None),
)
_terms("garage", ("cover", "garage"), ("binary_sensor", "garage_door"))
_terms("gate", ("cover", "gate"))
_terms("blind shade shutter curtain awning", ("cover", None))
_terms("lock unlock locked unlocked", ("lock", None))
_terms("tv television telly", ("media_player", "tv"))
_terms(
    "music song play playing pause volume speaker radio podcast album artist",
    ("media_player", None),
)
_terms("fan", ("fan", None))
_terms("vacuum hoover clean cleaning robot", ("vacuum", None))
_terms("scene mood", ("scene", None))
_terms("smoke fire", ("binary_sensor", "smoke"))
_terms("leak flood moisture", ("binary_sensor", "moisture"))
_terms("rain weather forecast", ("weather", None), ("sensor", "precipitation"))
_terms("humidifier dehumidifier", ("humidifier", None))
_terms("valve", ("valve", None))
_terms("shopping todo", ("todo", None))
_terms("camera", ("camera", None))
_terms("alarm", ("alarm_control_panel", None))
_terms("button press", ("button", None))
_terms("mower lawnmower mow", ("lawn_mower", None))
_terms("wind", ("sensor", "wind_speed"))
_terms("boiler", ("water_heater", None), ("climate", None))


def _target_words() -> dict[Target, frozenset[str]]:
    """The request words that point at each domain or device class."""
    found: dict[Target, set[str]] = {}
    for word, targets in TERMS.items():
        for target in targets:
            found.setdefault(target, set()).add(word)
    return {target: frozenset(found_words) for target, found_words in found.items()}


_TARGET_WORDS: Final = _target_words()


@functools.cache
def _words_of_target(domain: str, device_class: str | None) -> frozenset[str]:
    """The request words that point at an entity of this domain and class."""
    own = _TARGET_WORDS.get((domain, None), frozenset())
    if device_class is not None:
        own |= _TARGET_WORDS.get((domain, device_class), frozenset())
    return own | frozenset(words(domain))


@dataclass(frozen=True, slots=True)
class HomeEntity:
    """An exposed entity, as the model is told about it."""

    entity_id: str
    name: str
    domain: str
    area: str | None = None
    aliases: tuple[str, ...] = ()
    area_aliases: tuple[str, ...] = ()
    device_class: str | None = None

    def segment(self) -> str:
        """How the entity is listed within its area and domain line."""
        text = self.name
        if self.aliases:
            text += f" ({'; '.join(self.aliases)})"
        if self.device_class and not set(words(self.device_class)) <= set(
            words(self.name)
        ):
            text += f" [{self.device_class}]"
        return text


@dataclass(frozen=True, slots=True)
class _Entry:
    """An entity with what matching and budgeting it needs, precomputed."""

    entity: HomeEntity
    # Each name and alias: its words, and their summed weight.
    names: tuple[tuple[frozenset[str], float], ...]
    # Every word that can point at it: names, area, domain and class words.
    words: frozenset[str]
    segment: str
    # The words of its area's name and aliases: saying them names the area,
    # not the entity ("living room" is not most of "Living Room lamp").
    area_words: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class HomeContext:
    """The stable overview of the home: a function of the home and the budget."""

    text: str
    listed: int
    total: int
    # Every exposed entity is listed: the search tool is not needed.
    complete: bool
    # The entities it lists, so that a turn's tail does not repeat them.
    listed_ids: frozenset[str] = frozenset()
    # About how many bytes the stable part of a request takes with it
    # (instructions, tools, prompts, the overview): what the tail may not.
    stable_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Match:
    """A search result."""

    entity: HomeEntity
    score: float


def _group_key(entity: HomeEntity) -> tuple[bool, str, str]:
    return (entity.area is None, entity.area or "", entity.domain)


def render(
    entities: Iterable[HomeEntity],
    area_aliases: Mapping[str, tuple[str, ...]],
    segments: Mapping[str, str] | None = None,
) -> str:
    """The compact overview of some entities: by area, one line per domain.

    `segments` may hold the entities' segments, already made.
    """
    segments = segments or {}
    lines: list[str] = []
    area: str | None = ""
    domain = ""
    line: list[str] = []
    for entity in sorted(entities, key=lambda e: (*_group_key(e), e.name)):
        if entity.area != area or entity.domain != domain:
            if line:
                lines.append(f"- {domain}: {'; '.join(line)}")
                line = []
            if entity.area != area:
                area = entity.area
                aliases = area_aliases.get(area or "", ())
                heading = area or NO_AREA
                lines.append(
                    f"{heading} ({'; '.join(aliases)}):" if aliases else f"{heading}:"
                )
            domain = entity.domain
        line.append(segments.get(entity.entity_id) or entity.segment())
    if line:
        lines.append(f"- {domain}: {'; '.join(line)}")
    return "\n".join(lines)


class HomeIndex:
    """Every exposed entity of a home, ready for overviews and searches."""

    def __init__(self, entities: Sequence[HomeEntity]) -> None:
        """Index the entities (a pure function of them)."""
        self.entities = tuple(sorted(entities, key=lambda e: e.name.casefold()))
        self.area_aliases: dict[str, tuple[str, ...]] = {}
        for entity in self.entities:
            if entity.area is not None:
                self.area_aliases.setdefault(entity.area, entity.area_aliases)
        self.areas = tuple(sorted(self.area_aliases))
        self._area_words = {
            area: tuple(
                frozenset(words(name))
                for name in (area, *self.area_aliases[area])
                if words(name)
            )
            for area in self.areas
        }
        documents: list[tuple[HomeEntity, list[frozenset[str]], frozenset[str]]] = []
        frequency: Counter[str] = Counter()
        words_of_area = {
            area: frozenset[str]().union(*names)
            for area, names in self._area_words.items()
        }
        no_words = frozenset[str]()
        for entity in self.entities:
            names = [
                frozenset(name_words)
                for name in (entity.name, *entity.aliases)
                if (name_words := words(name))
            ]
            area_words = (
                words_of_area.get(entity.area, no_words) if entity.area else no_words
            )
            document = (
                frozenset[str]().union(*names)
                | area_words
                | _words_of_target(entity.domain, entity.device_class)
            )
            frequency.update(document)
            documents.append((entity, names, document))
        total = max(len(self.entities), 1)
        self.weight: dict[str, float] = {
            word: math.log(1 + total / count) for word, count in frequency.items()
        }
        self._entries: list[_Entry] = []
        self._by_word: dict[str, list[int]] = {}
        self._by_area: dict[str | None, list[int]] = {}
        self._by_target: dict[Target, list[int]] = {}
        for position, (entity, names, document) in enumerate(documents):
            entry = _Entry(
                entity=entity,
                names=tuple(
                    (name, sum(self.weight[word] for word in name)) for name in names
                ),
                words=document,
                segment=entity.segment(),
                area_words=words_of_area.get(entity.area, no_words)
                if entity.area
                else no_words,
            )
            self._entries.append(entry)
            for word in document:
                self._by_word.setdefault(word, []).append(position)
            self._by_area.setdefault(entity.area, []).append(position)
            self._by_target.setdefault((entity.domain, None), []).append(position)
            if entity.device_class is not None:
                self._by_target.setdefault(
                    (entity.domain, entity.device_class), []
                ).append(position)
        self.domains = Counter(entity.domain for entity in self.entities)
        self._segments = {
            entry.entity.entity_id: entry.segment for entry in self._entries
        }
        self.full_text = render(self.entities, self.area_aliases, self._segments)
        rank = {domain: place for place, domain in enumerate(DOMAIN_PRIORITY)}
        self._stable_order = sorted(
            range(len(self._entries)),
            key=lambda p: (
                rank.get(self._entries[p].entity.domain, len(rank)),
                *_group_key(self._entries[p].entity),
                self._entries[p].entity.name,
            ),
        )
        self._overviews: dict[tuple[int, str, int], HomeContext] = {}

    def __len__(self) -> int:
        """How many entities are exposed."""
        return len(self.entities)

    # Matching

    def _query(self, text: str) -> dict[str, float]:
        """The words of a text that can point at something, with weights."""
        return {word: self.weight[word] for word in words(text) if word in self.weight}

    def _candidates(self, query: Mapping[str, float]) -> set[int]:
        found: set[int] = set()
        for word in query:
            found.update(self._by_word.get(word, ()))
        return found

    def _named(self, entry: _Entry, query: Mapping[str, float]) -> float:
        """How much of its best-said name or alias the text says (0..1)."""
        best = 0.0
        for name, total in entry.names:
            if total > 0:
                said = sum(weight for word, weight in query.items() if word in name)
                best = max(best, said / total)
        return best

    def _explained(self, entry: _Entry, query: Mapping[str, float]) -> float:
        """How much of the text the entity accounts for (0..1)."""
        total = sum(query.values())
        if total <= 0:
            return 0.0
        return (
            sum(weight for word, weight in query.items() if word in entry.words) / total
        )

    def areas_in(self, text: str) -> set[str]:
        """The areas a text mentions by name or alias."""
        said = set(words(text))
        return {
            area
            for area, names in self._area_words.items()
            if any(name <= said for name in names)
        }

    def area_named(self, text: str) -> str | None:
        """The area a text is the name or alias of, if any."""
        said = frozenset(words(text))
        for area, names in self._area_words.items():
            if said in names:
                return area
        found = self.areas_in(text)
        return next(iter(found)) if len(found) == 1 else None

    @staticmethod
    def targets_in(text: str) -> set[Target]:
        """The domains and device classes a text talks about."""
        said = words(text)
        return {target for word in said for target in TERMS.get(word, ())} | {
            (domain, None)
            for domain, domain_words in _KNOWN_DOMAINS.items()
            if domain_words <= set(said)
        }

    # The stable overview, and a turn's tail

    def overview(
        self, *, allowance: int, find_tool: str, fixed_bytes: int = 0
    ) -> HomeContext:
        """The overview of the home within `allowance` bytes.

        A function of the home and the allowance only (never of what was
        said, the time or any state), so that it is byte-identical in every
        request while the home does not change and providers can cache it.
        The whole home when it fits; otherwise the head (areas, counts per
        domain, the pointer to the search tool) and as many entities as fit,
        the domains people name most first.
        """
        key = (allowance, find_tool, fixed_bytes)
        if (known := self._overviews.get(key)) is not None:
            return known
        total = len(self.entities)
        if len(self.full_text) + len(COMPLETE_HEADER) + 1 <= allowance:
            text = f"{COMPLETE_HEADER}\n{self.full_text}"
            context = HomeContext(
                text,
                total,
                total,
                complete=True,
                listed_ids=frozenset(e.entity_id for e in self.entities),
                stable_bytes=fixed_bytes + len(text.encode()),
            )
        else:
            room = int(allowance * PARTIAL_SHARE / HOME_SHARE) - len(
                self._partial_head(total, find_tool)
            )
            chosen = self._fill(self._stable_order, room, must=())
            text = self._partial_text(chosen, find_tool)
            context = HomeContext(
                text,
                len(chosen),
                total,
                complete=False,
                listed_ids=frozenset(e.entity_id for e in chosen),
                stable_bytes=fixed_bytes + len(text.encode()),
            )
        if len(self._overviews) > 8:  # noqa: PLR2004 - a bound, not a tuning
            self._overviews.clear()
        self._overviews[key] = context
        return context

    def tail_entities(
        self,
        text: str,
        *,
        overview: HomeContext,
        history: Sequence[str] = (),
        device_area: str | None = None,
        allowance: int,
    ) -> list[HomeEntity]:
        """What this turn most likely needs that the overview does not list.

        Nothing when the overview is complete. Entities the request names
        are listed whatever the allowance.
        """
        if overview.complete:
            return []
        scores = self.scores(text, history=history, device_area=device_area)
        ranked = [
            position
            for position in sorted(
                scores, key=lambda p: (-scores[p], self._entries[p].entity.name)
            )
            if self._entries[position].entity.entity_id not in overview.listed_ids
        ]
        must = {position for position in ranked if scores[position] >= NAMED}
        # Only what the turn points at: a room it names, a device it names, the
        # devices of the kind it asks about in the satellite's room. Anything
        # else is a search away, and every byte here is fresh input.
        likely = [position for position in ranked if scores[position] >= TAIL_MIN_SCORE]
        return self._fill(likely, allowance - len(TAIL_HEADER) - 1, must=must)

    def tail(
        self,
        text: str,
        *,
        overview: HomeContext,
        history: Sequence[str] = (),
        device_area: str | None = None,
        allowance: int,
    ) -> str:
        """The tail of a turn as the model reads it; empty when nothing is."""
        chosen = self.tail_entities(
            text,
            overview=overview,
            history=history,
            device_area=device_area,
            allowance=allowance,
        )
        if not chosen:
            return ""
        return f"{TAIL_HEADER}\n{render(chosen, self.area_aliases, self._segments)}"

    def _fill(
        self, ranked: Iterable[int], room: int, *, must: Iterable[int]
    ) -> list[HomeEntity]:
        """The entities of `ranked`, in order, that fit `room` bytes rendered.

        Those in `must` are taken even past the room.
        """
        forced = set(must)
        chosen: list[HomeEntity] = []
        groups: set[tuple[str | None, str]] = set()
        areas: set[str | None] = set()
        for position in ranked:
            entry = self._entries[position]
            entity = entry.entity
            cost = len(entry.segment) + 2
            if (entity.area, entity.domain) not in groups:
                cost += len(entity.domain) + 5
            if entity.area not in areas:
                cost += len(entity.area or NO_AREA) + 3
                cost += sum(len(alias) + 2 for alias in entity.area_aliases)
            if cost > room and position not in forced:
                continue
            room -= cost
            chosen.append(entity)
            groups.add((entity.area, entity.domain))
            areas.add(entity.area)
        return chosen

    def _partial_head(self, listed: int, find_tool: str) -> str:
        areas = "; ".join(
            f"{area} ({', '.join(self.area_aliases[area])})"
            if self.area_aliases[area]
            else area
            for area in self.areas
        )
        domains = ", ".join(
            f"{domain} {count}" for domain, count in sorted(self.domains.items())
        )
        header = PARTIAL_HEADER.format(
            listed=listed, total=len(self.entities), find_tool=find_tool
        )
        return f"{header}\nAreas: {areas}\nDevices per domain: {domains}"

    def _partial_text(self, chosen: Sequence[HomeEntity], find_tool: str) -> str:
        head = self._partial_head(len(chosen), find_tool)
        if not chosen:
            return head
        return f"{head}\n{render(chosen, self.area_aliases, self._segments)}"

    def scores(
        self,
        text: str,
        *,
        history: Sequence[str] = (),
        device_area: str | None = None,
    ) -> dict[int, float]:
        """How likely each entity is needed by the turn; unlikely ones absent."""
        scores: dict[int, float] = {}

        def add(position: int, score: float) -> None:
            if score > scores.get(position, 0.0):
                scores[position] = score

        query = self._query(text)
        for position in self._candidates(query):
            entry = self._entries[position]
            named = self._named(entry, query)
            if named >= 1.0 - 1e-9:
                add(position, NAMED + self._explained(entry, query))
            elif named >= 0.6 and self._named(  # noqa: PLR2004 - most of a name
                entry,
                {w: q for w, q in query.items() if w not in entry.area_words},
            ):
                add(position, 50 + named + self._explained(entry, query))
        for earlier in history:
            remembered = self._query(earlier)
            for position in self._candidates(remembered):
                if self._named(self._entries[position], remembered) >= 1.0 - 1e-9:
                    add(position, 60)
        targets = self.targets_in(text)
        wanted: set[int] = set()
        for target in targets:
            wanted.update(self._by_target.get(target, ()))
        # A follow-up that names no kind of device ("and in the cellar?") asks
        # about what the turns before talked about, in the places it names.
        followed: set[int] = set()
        if not targets:
            for earlier in history[-4:]:
                for target in self.targets_in(earlier):
                    followed.update(self._by_target.get(target, ()))
        # When the turn (or the one before) says what kind of device it is
        # about, the rest of a room it names is less likely than the room's
        # devices of that kind: below what a tail lists.
        other = TAIL_MIN_SCORE - 5 if wanted or followed else TAIL_MIN_SCORE
        for area in self.areas_in(text):
            for position in self._by_area.get(area, ()):
                if position in wanted:
                    add(position, 60)
                elif position in followed:
                    add(position, 50)
                else:
                    add(position, other)
        if device_area is not None:
            for position in self._by_area.get(device_area, ()):
                add(position, 30 + (20 if position in wanted else 0))
        for position in wanted:
            entry = self._entries[position]
            specific = entry.entity.device_class is not None and (
                (entry.entity.domain, entry.entity.device_class) in targets
            )
            add(position, 16 if specific else 15)
        return scores

    def select(
        self,
        text: str,
        *,
        history: Sequence[str] = (),
        device_area: str | None = None,
        allowance: int,
        find_tool: str = "",
    ) -> list[HomeEntity]:
        """The entities a turn most likely needs, within `allowance` bytes."""
        scores = self.scores(text, history=history, device_area=device_area)
        ranked = sorted(
            scores, key=lambda p: (-scores[p], self._entries[p].entity.name)
        )
        # The head (areas, domains, the pointer to the tool) comes first.
        room = allowance - len(self._partial_head(len(self.entities), find_tool))
        # What the request names is listed even past the allowance: a
        # budget too small for the rest of the request still gets it.
        must = {position for position in ranked if scores[position] >= NAMED}
        return self._fill(ranked, room, must=must)

    # The search tool

    def search(
        self,
        name: str | None = None,
        *,
        area: str | None = None,
        domain: str | None = None,
        device_area: str | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> tuple[list[Match], int]:
        """The exposed entities best matching a name, area and domain.

        Every argument is optional and forgiving: an area or domain that is
        not one is read as more words of the name. Returns the best matches
        and how many matched in all.
        """
        text = name or ""
        area_filter = self.area_named(area) if area else None
        if area and area_filter is None:
            text += f" {area}"
        domain_filter = _domains_named(domain, self.domains) if domain else None
        if domain and not domain_filter:
            text += f" {domain}"
        query = self._query(text)
        positions: Iterable[int]
        if query:
            positions = self._candidates(query)
        elif area_filter is not None or domain_filter:
            positions = range(len(self._entries))
        else:
            # Words that name nothing here, and no area or domain to list.
            return [], 0
        ranked: list[tuple[tuple[float, int, float, int, str], Match]] = []
        for position in positions:
            entry = self._entries[position]
            entity = entry.entity
            if area_filter is not None and entity.area != area_filter:
                continue
            if domain_filter and entity.domain not in domain_filter:
                continue
            explained = round(self._explained(entry, query), 6) if query else 0.0
            named = self._named(entry, query) if query else 0.0
            # What the words say comes first; among equals, the satellite's
            # own room ("the lamp" said in the office), then the fullest
            # name said, then the shortest.
            here = int(device_area is not None and entity.area == device_area)
            key = (-explained, -here, -named, len(entity.name), entity.name)
            ranked.append((key, Match(entity, explained + named)))
        ranked.sort(key=lambda item: item[0])
        matches = [match for _key, match in ranked]
        return matches[:limit], len(matches)


_KNOWN_DOMAINS: Final = {
    domain: frozenset(words(domain))
    for domain in (
        "alarm_control_panel",
        "binary_sensor",
        "button",
        "camera",
        "climate",
        "cover",
        "fan",
        "humidifier",
        "input_boolean",
        "lawn_mower",
        "light",
        "lock",
        "media_player",
        "scene",
        "select",
        "sensor",
        "switch",
        "todo",
        "vacuum",
        "valve",
        "water_heater",
        "weather",
    )
}


def _domains_named(value: str, exposed: Mapping[str, int]) -> set[str]:
    """The domains a tool argument names: a domain, or a word for one."""
    names = {part.strip().casefold().replace(" ", "_") for part in value.split(",")}
    found = {name for name in names if name in exposed}
    for name in names - found:
        for word in words(name):
            found.update(domain for domain, _class in TERMS.get(word, ()))
    return found


# Reading the home from Home Assistant


@callback
def async_read_home(hass: HomeAssistant, assistant: str) -> list[HomeEntity]:
    """The entities exposed to an assistant, read as Home Assistant reads them.

    The same exposure check, names and aliases (the entity registry's, with
    the computed name first) and area (the entity's, else its device's) as
    the overview Home Assistant renders for the Assist API.
    """
    areas = ar.async_get(hass)
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    found: list[HomeEntity] = []
    for state in hass.states.async_all():
        if state.domain in SKIPPED_DOMAINS or not async_should_expose(
            hass, assistant, state.entity_id
        ):
            continue
        entry = entities.async_get(state.entity_id)
        names = [
            name
            for name in intent.async_get_entity_aliases(hass, entry, state=state)
            if name
        ] or [state.name]
        area: ar.AreaEntry | None = None
        if entry is not None:
            if entry.area_id is not None:
                area = areas.async_get_area(entry.area_id)
            elif entry.device_id is not None and (
                device := devices.async_get(entry.device_id)
            ):
                area_id = dr.async_get_effective_area_id(hass, device)
                area = areas.async_get_area(area_id) if area_id else None
        device_class = state.attributes.get("device_class")
        found.append(
            HomeEntity(
                entity_id=state.entity_id,
                name=names[0],
                aliases=tuple(dict.fromkeys(names[1:])),
                domain=state.domain,
                area=area.name if area else None,
                area_aliases=tuple(sorted(area.aliases)) if area else (),
                device_class=str(device_class) if device_class else None,
            )
        )
    return found


@callback
def async_device_area(hass: HomeAssistant, device_id: str | None) -> str | None:
    """The name of the area a device (a satellite) is in."""
    if device_id is None or (device := dr.async_get(hass).async_get(device_id)) is None:
        return None
    area_id = dr.async_get_effective_area_id(hass, device)
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    return area.name if area else None


class _IndexCache:
    """The index of each assistant, dropped when what it shows changes."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self.indexes: dict[str, HomeIndex] = {}
        self.users = 0
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._assistants: set[str] = set()

    @callback
    def invalidate(self, *_args: Any) -> None:
        self.indexes.clear()

    @callback
    def start(self) -> None:
        hass = self._hass
        self._unsubscribe = [
            hass.bus.async_listen(
                EVENT_STATE_CHANGED, self.invalidate, event_filter=_changes_names
            ),
            hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, self.invalidate),
            hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, self.invalidate),
            hass.bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, self.invalidate),
        ]

    @callback
    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._assistants.clear()
        self.indexes.clear()

    @callback
    def get(self, assistant: str) -> HomeIndex:
        if (index := self.indexes.get(assistant)) is None:
            index = HomeIndex(async_read_home(self._hass, assistant))
            if self._unsubscribe:
                self.indexes[assistant] = index
                if assistant not in self._assistants:
                    self._assistants.add(assistant)
                    self._unsubscribe.append(
                        async_listen_entity_updates(
                            self._hass, assistant, self.invalidate
                        )
                    )
        return index


@callback
def _changes_names(data: EventStateChangedData) -> bool:
    """Whether a state change adds, removes or renames an entity."""
    old, new = data["old_state"], data["new_state"]
    if old is None or new is None:
        return True
    return any(
        old.attributes.get(key) != new.attributes.get(key)
        for key in ("friendly_name", "device_class")
    )


_DATA_INDEX: Final[HassKey[_IndexCache]] = HassKey(f"{DOMAIN}_home_index")


@callback
def async_track_home(hass: HomeAssistant) -> CALLBACK_TYPE:
    """Keep the index while a Confidant entry runs; returns the release."""
    cache = hass.data.get(_DATA_INDEX)
    if cache is None:
        cache = hass.data[_DATA_INDEX] = _IndexCache(hass)
    if cache.users == 0:
        cache.start()
    cache.users += 1

    @callback
    def release() -> None:
        cache.users -= 1
        if cache.users == 0:
            cache.stop()

    return release


@callback
def async_get_index(hass: HomeAssistant, assistant: str) -> HomeIndex:
    """The index of what is exposed to an assistant (cached while tracked)."""
    if (cache := hass.data.get(_DATA_INDEX)) is None:
        return HomeIndex(async_read_home(hass, assistant))
    return cache.get(assistant)


# The turn's Assist API

# Set while Confidant's own `llm` platform is asked for its tools on a turn
# whose overview is partial: then it offers the search tool.
_SEARCH_WANTED: ContextVar[bool] = ContextVar("confidant_search_wanted", default=False)


def search_wanted() -> bool:
    """Whether the turn being prepared needs the search tool."""
    return _SEARCH_WANTED.get()


@dataclass(frozen=True, slots=True)
class Turn:
    """What the overview depends on besides the home: the agent's options.

    Never what was said, the time or a state: the overview is the stable
    prefix of every request of the agent.
    """

    budget_tokens: int = DEFAULT_PROMPT_BUDGET
    # Bytes of the stable request outside the API: the agent's instructions.
    other_bytes: int = 0


def home_allowance(budget_tokens: int, fixed_bytes: int) -> int:
    """The bytes the stable overview of the home may take.

    A share of the budget, and at most what the stable rest of the request
    (`fixed_bytes`) leaves of it once the turn's own share is kept free.
    """
    budget = budget_tokens * BYTES_PER_TOKEN
    return max(
        0,
        int(
            min(
                budget - fixed_bytes - budget * TURN_RESERVE_SHARE,
                budget * HOME_SHARE,
            )
        ),
    )


def tail_allowance(budget_tokens: int, used_bytes: int) -> int:
    """The bytes a turn's tail may take: a small share, and what is left."""
    budget = budget_tokens * BYTES_PER_TOKEN
    return max(0, int(min(budget - used_bytes, budget * TAIL_SHARE)))


def overview_of(api: str | list[str] | llm.API | None) -> HomeContext | None:
    """The overview Confidant's API object gave its last request, if any."""
    if isinstance(api, TurnAssistAPI):
        return api.context
    if isinstance(api, llm.MergedAPI):
        for inner in api.llm_apis:
            if isinstance(inner, TurnAssistAPI):
                return inner.context
    return None


@callback
def async_turn_tail(
    hass: HomeAssistant,
    overview: HomeContext | None,
    *,
    assistant: str | None,
    device_id: str | None,
    text: str,
    history: Sequence[str],
    budget_tokens: int,
    turn_bytes: int,
) -> str:
    """The per-turn tail: what this utterance likely needs beyond the overview.

    It travels next to the person's words, after the history, so the prefix
    before it stays byte-identical from turn to turn. `turn_bytes` is what
    the turn adds besides it (the remembered turns and the question).
    """
    if overview is None or overview.complete:
        return ""
    index = async_get_index(hass, assistant or "conversation")
    return index.tail(
        text,
        overview=overview,
        history=history,
        device_area=async_device_area(hass, device_id),
        allowance=tail_allowance(budget_tokens, overview.stable_bytes + turn_bytes),
    )


def message_bytes(message: Message) -> int:
    """About how many bytes a message takes in a request."""
    match message:
        case UserMessage(text=text) | AssistantMessage(text=text, tool_calls=()):
            return len(text.encode()) + 40
        case AssistantMessage(text=text, tool_calls=calls):
            return (
                len(text.encode())
                + sum(
                    len(call.name) + len(json.dumps(call.arguments, default=str)) + 80
                    for call in calls
                )
                + 40
            )
        case ToolResultMessage(result=result):
            return len(json.dumps(result, default=str).encode()) + 80
    return 40


def history_texts(messages: Iterable[Message]) -> tuple[str, ...]:
    """What recent turns said, and the names their tool calls used."""
    texts: list[str] = []
    for message in messages:
        if isinstance(message, UserMessage | AssistantMessage) and message.text:
            texts.append(message.text)
        if isinstance(message, AssistantMessage):
            texts.extend(
                str(value)
                for call in message.tool_calls
                for key, value in call.arguments.items()
                if key in ("name", "area") and isinstance(value, str)
            )
    return tuple(texts)


_TOOL_BYTES: dict[tuple[str, str | None], int] = {}


def _tool_bytes(tool: llm.Tool) -> int:
    """About how many bytes a tool's description takes in a request."""
    key = (tool.name, tool.description)
    if (size := _TOOL_BYTES.get(key)) is None:
        try:
            spec = tool_spec(tool, llm.selector_serializer)
            parameters: Any = spec.parameters
        except Exception:  # noqa: BLE001 - an estimate must not fail the turn
            parameters = {}
        size = len(
            json.dumps(
                {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": parameters,
                },
                default=str,
            ).encode()
        )
        if len(_TOOL_BYTES) > 256:  # noqa: PLR2004 - a bound, not a tuning
            _TOOL_BYTES.clear()
        _TOOL_BYTES[key] = size
    return size


@dataclass(frozen=True, slots=True)
class _HomeParts:
    """What this module takes from Home Assistant's `llm` machinery."""

    platforms: Any  # LazyIntegrationPlatforms of the `llm` integration
    live_tool: type[llm.Tool]
    no_entities_prompt: str
    llm_tools: Any  # the LLMTools class


def _home_parts(hass: HomeAssistant) -> _HomeParts | None:
    """Home Assistant's parts, or None when they changed beyond recognition."""
    try:
        from homeassistant.components import llm as llm_component  # noqa: PLC0415
        from homeassistant.components.homeassistant import (  # noqa: PLC0415
            llm as ha_llm,
        )

        platforms = hass.data[llm_component.DATA_PLATFORMS]
        parts = _HomeParts(
            platforms=platforms,
            live_tool=ha_llm.GetLiveContextTool,
            no_entities_prompt=str(ha_llm.NO_ENTITIES_PROMPT),
            llm_tools=llm_component.LLMTools,
        )
    except ImportError, AttributeError, KeyError:
        return None
    if not hasattr(platforms, "async_get_platforms"):
        return None
    return parts


_WARNED: list[bool] = []


@callback
def async_assist_api(
    hass: HomeAssistant, api_ids: str | list[str] | None, turn: Turn
) -> str | list[str] | llm.API | None:
    """What to pass `ChatLog.async_provide_llm_data` as the agent's LLM API.

    With the Assist API among the agent's APIs, Confidant's turn API in its
    place (merged with the others as Home Assistant merges them); otherwise,
    or when Home Assistant's internals changed, the API ids unchanged.
    """
    if not api_ids:
        return api_ids
    ids = [api_ids] if isinstance(api_ids, str) else list(api_ids)
    if llm.LLM_API_ASSIST not in ids:
        return api_ids
    if _home_parts(hass) is None:
        if not _WARNED:
            _WARNED.append(True)
            LOGGER.warning(
                "Home Assistant's Assist API changed; the home is described "
                "as Home Assistant describes it, without a prompt budget"
            )
        return api_ids
    registered = {api.id: api for api in llm.async_get_apis(hass)}
    if any(api_id not in registered for api_id in ids):
        # Home Assistant reports the missing API as it always does.
        return api_ids
    ours = TurnAssistAPI(hass, turn)
    if len(ids) == 1:
        return ours
    return llm.MergedAPI(
        [ours if api_id == llm.LLM_API_ASSIST else registered[api_id] for api_id in ids]
    )


class TurnAssistAPI(llm.API):
    """Home Assistant's Assist API for an agent, with Confidant's overview."""

    def __init__(self, hass: HomeAssistant, turn: Turn) -> None:
        """An API with the Assist API's id and name: tools keep their names."""
        super().__init__(hass=hass, id=llm.LLM_API_ASSIST, name="Assist")
        self.turn = turn
        self.context: HomeContext | None = None

    def _platform_tools(
        self, domain: str, platform: Any, llm_context: llm.LLMContext
    ) -> Any:
        try:
            return platform.async_get_tools(self.hass, llm_context, self.id)
        except Exception:  # noqa: BLE001 - as Home Assistant's Assist API does
            LOGGER.exception("Error getting tools from LLM platform %s", domain)
            return None

    @override
    async def async_get_api_instance(
        self, llm_context: llm.LLMContext
    ) -> llm.APIInstance:
        """Collect every platform's tools and prompt; the home is Confidant's."""
        parts = _home_parts(self.hass)
        if parts is None:  # Checked before this API was chosen.
            raise RuntimeError("Home Assistant's Assist API changed")
        platforms = await parts.platforms.async_get_platforms()
        results: dict[str, Any] = {}
        for domain, platform in sorted(platforms.items()):
            if domain in (HA_DOMAIN, DOMAIN):
                continue
            if (result := self._platform_tools(domain, platform, llm_context)) is None:
                continue
            results[domain] = result

        live_tool: llm.Tool = parts.live_tool()
        index = async_get_index(self.hass, llm_context.assistant or "conversation")
        home_prompt: str
        if not len(index):
            home_prompt = parts.no_entities_prompt
        else:
            from ..llm import FindEntitiesTool  # noqa: PLC0415

            find_tool = FindEntitiesTool()
            live_prompt = LIVE_PROMPT.format(live_tool=live_tool.name)
            fixed = (
                self.turn.other_bytes
                + REQUEST_FRAMING_BYTES
                + len(live_prompt)
                + _tool_bytes(live_tool)
                + _tool_bytes(find_tool)
                + sum(
                    len(result.prompt or "")
                    + sum(_tool_bytes(tool) for tool in result.tools)
                    for result in results.values()
                )
            )
            self.context = index.overview(
                allowance=home_allowance(self.turn.budget_tokens, fixed),
                find_tool=find_tool.name,
                fixed_bytes=fixed,
            )
            home_prompt = f"{live_prompt}\n{self.context.text}"
        results[HA_DOMAIN] = parts.llm_tools(tools=[live_tool], prompt=home_prompt)

        if (ours := platforms.get(DOMAIN)) is not None:
            token = _SEARCH_WANTED.set(
                self.context is not None and not self.context.complete
            )
            try:
                result = self._platform_tools(DOMAIN, ours, llm_context)
            finally:
                _SEARCH_WANTED.reset(token)
            if result is not None:
                results[DOMAIN] = result

        tools: list[llm.Tool] = []
        # The overview first: it is the same for every satellite, while other
        # platforms' prompts may name the satellite's area. So the longest
        # part stays a prefix shared by every conversation of the agent.
        prompts: list[str] = [home_prompt]
        for domain, result in sorted(results.items()):
            tools.extend(result.tools)
            if result.prompt and domain != HA_DOMAIN:
                prompts.append(result.prompt)
        return llm.APIInstance(
            api=self,
            api_prompt="\n".join(prompts),
            llm_context=llm_context,
            tools=tools,
            custom_serializer=llm.selector_serializer,
        )
