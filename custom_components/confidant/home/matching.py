"""Which exposed entities the words of a turn point at: weights, scores, search.

Words are weighted as a search engine weighs them (rarer words say more), so
"kitchen ceiling light" points at the one entity it names and not at every
light of the house. Nothing here renders text or knows of a budget.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from .render import HomeEntity
from .vocabulary import Target, domains_named, targets_in, words, words_of_target

# The score of an entity the request names: listed whatever the allowance.
NAMED: Final = 100
# The least score a turn's tail lists: a room the turn names, not just the
# satellite's room or a kind of device somewhere in the home.
TAIL_MIN_SCORE: Final = 40
# What the search tool returns at most.
SEARCH_LIMIT: Final = 10
# How much of its best name a text must say to point at an entity by it.
MOST_OF_A_NAME: Final = 0.6
ALL_OF_A_NAME: Final = 1.0 - 1e-9

type Scores = dict[int, float]


@dataclass(frozen=True, slots=True)
class _Entry:
    """An entity with what matching it needs, precomputed."""

    entity: HomeEntity
    # Each name and alias: its words, and their summed weight.
    names: tuple[tuple[frozenset[str], float], ...]
    # Every word that can point at it: names, area, domain and class words.
    words: frozenset[str]
    # The words of its area's name and aliases: saying them names the area,
    # not the entity ("living room" is not most of "Living Room lamp").
    area_words: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Match:
    """A search result."""

    entity: HomeEntity
    score: float


class EntityMatcher:
    """The words that point at each entity; positions are those of `entities`."""

    def __init__(
        self,
        entities: Sequence[HomeEntity],
        area_aliases: Mapping[str, tuple[str, ...]],
    ) -> None:
        """Weigh the words of the entities (a pure function of them)."""
        self._area_words = {
            area: tuple(
                frozenset(words(name)) for name in (area, *aliases) if words(name)
            )
            for area, aliases in sorted(area_aliases.items())
        }
        words_of_area = {
            area: frozenset[str]().union(*names)
            for area, names in self._area_words.items()
        }
        no_words = frozenset[str]()
        documents: list[tuple[HomeEntity, list[frozenset[str]], frozenset[str]]] = []
        frequency: Counter[str] = Counter()
        for entity in entities:
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
                | words_of_target(entity.domain, entity.device_class)
            )
            frequency.update(document)
            documents.append((entity, names, document))
        total = max(len(entities), 1)
        self.weight: dict[str, float] = {
            word: math.log(1 + total / count) for word, count in frequency.items()
        }
        self.domains = Counter(entity.domain for entity in entities)
        self._entries: list[_Entry] = []
        self._by_word: dict[str, list[int]] = {}
        self._by_area: dict[str | None, list[int]] = {}
        self._by_target: dict[Target, list[int]] = {}
        for position, (entity, names, document) in enumerate(documents):
            self._entries.append(
                _Entry(
                    entity=entity,
                    names=tuple(
                        (name, sum(self.weight[word] for word in name))
                        for name in names
                    ),
                    words=document,
                    area_words=words_of_area.get(entity.area, no_words)
                    if entity.area
                    else no_words,
                )
            )
            for word in document:
                self._by_word.setdefault(word, []).append(position)
            self._by_area.setdefault(entity.area, []).append(position)
            self._by_target.setdefault((entity.domain, None), []).append(position)
            if entity.device_class is not None:
                self._by_target.setdefault(
                    (entity.domain, entity.device_class), []
                ).append(position)

    # Words

    def _query(self, text: str) -> dict[str, float]:
        """The words of a text that can point at something, with weights."""
        return {word: self.weight[word] for word in words(text) if word in self.weight}

    def _candidates(self, query: Mapping[str, float]) -> set[int]:
        found: set[int] = set()
        for word in query:
            found.update(self._by_word.get(word, ()))
        return found

    @staticmethod
    def _named(entry: _Entry, query: Mapping[str, float]) -> float:
        """How much of its best-said name or alias the text says (0..1)."""
        best = 0.0
        for name, total in entry.names:
            if total > 0:
                said = sum(weight for word, weight in query.items() if word in name)
                best = max(best, said / total)
        return best

    @staticmethod
    def _explained(entry: _Entry, query: Mapping[str, float]) -> float:
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

    # What a turn likely needs

    def scores(
        self,
        text: str,
        *,
        history: Sequence[str] = (),
        device_area: str | None = None,
    ) -> Scores:
        """How likely each entity is needed by the turn; unlikely ones absent."""
        scores: Scores = {}

        def add(position: int, score: float) -> None:
            if score > scores.get(position, 0.0):
                scores[position] = score

        self._score_names(text, history, add)
        targets = targets_in(text)
        wanted = self._of_targets(targets)
        # A follow-up that names no kind of device ("and in the cellar?") asks
        # about what the turns before talked about, in the places it names.
        followed: set[int] = set()
        if not targets:
            for earlier in history[-4:]:
                followed |= self._of_targets(targets_in(earlier))
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
            entity = self._entries[position].entity
            specific = entity.device_class is not None and (
                (entity.domain, entity.device_class) in targets
            )
            add(position, 16 if specific else 15)
        return scores

    def _of_targets(self, targets: Iterable[Target]) -> set[int]:
        found: set[int] = set()
        for target in targets:
            found.update(self._by_target.get(target, ()))
        return found

    def _score_names(
        self, text: str, history: Sequence[str], add: Callable[[int, float], None]
    ) -> None:
        """Score the entities the turn names, and those the last turns named."""
        query = self._query(text)
        for position in self._candidates(query):
            entry = self._entries[position]
            named = self._named(entry, query)
            if named >= ALL_OF_A_NAME:
                add(position, NAMED + self._explained(entry, query))
            elif named >= MOST_OF_A_NAME and self._named(
                entry,
                {w: q for w, q in query.items() if w not in entry.area_words},
            ):
                add(position, 50 + named + self._explained(entry, query))
        for earlier in history:
            remembered = self._query(earlier)
            for position in self._candidates(remembered):
                if self._named(self._entries[position], remembered) >= ALL_OF_A_NAME:
                    add(position, 60)

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
        domain_filter = domains_named(domain, self.domains) if domain else None
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
