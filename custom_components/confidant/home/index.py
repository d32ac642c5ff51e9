"""The exposed home as an index: rendered compactly, searched by the words of a turn."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from .vocabulary import (
    _KNOWN_DOMAINS,
    TERMS,
    Target,
    _domains_named,
    _words_of_target,
    words,
)

# The share of the prompt budget the stable overview of the home may take
# when it lists the whole home.
HOME_SHARE: Final = 0.25
# ... and when only part of the home fits: then most of what a turn needs
# comes in its tail or from the search, and a shorter prefix costs less on
# every turn (cached input is billed too, at a tenth) and in every first turn.
PARTIAL_SHARE: Final = 0.06
# The score of an entity the request names: listed whatever the allowance.
NAMED: Final = 100
# The least score a turn's tail lists: a room the turn names, not just the
# satellite's room or a kind of device somewhere in the home.
TAIL_MIN_SCORE: Final = 40
# What the search tool returns at most.
SEARCH_LIMIT: Final = 10
NO_AREA: Final = "No area"
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

        self._score_names(text, history, add)
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

    def _score_names(
        self, text: str, history: Sequence[str], add: Callable[[int, float], None]
    ) -> None:
        """Score the entities the turn names, and those the last turns named."""
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
