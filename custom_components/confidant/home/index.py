"""The exposed home within a budget: the stable overview and a turn's tail."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from .matching import NAMED, TAIL_MIN_SCORE, EntityMatcher
from .render import (
    COMPLETE_HEADER,
    NO_AREA,
    TAIL_HEADER,
    HomeEntity,
    group_key,
    partial_head,
    render,
)

# The share of the prompt budget the stable overview of the home may take
# when it lists the whole home.
HOME_SHARE: Final = 0.25
# ... and when only part of the home fits: then most of what a turn needs
# comes in its tail or from the search, and a shorter prefix costs less on
# every turn (cached input is billed too, at a tenth) and in every first turn.
PARTIAL_SHARE: Final = 0.06
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
# How many overviews (one per allowance) an index keeps.
KEPT_OVERVIEWS: Final = 8


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


class HomeIndex(EntityMatcher):
    """Every exposed entity of a home, ready for overviews and searches."""

    def __init__(self, entities: Sequence[HomeEntity]) -> None:
        """Index the entities (a pure function of them)."""
        self.entities = tuple(sorted(entities, key=lambda e: e.name.casefold()))
        self.area_aliases: dict[str, tuple[str, ...]] = {}
        for entity in self.entities:
            if entity.area is not None:
                self.area_aliases.setdefault(entity.area, entity.area_aliases)
        super().__init__(self.entities, self.area_aliases)
        self._segments = [entity.segment() for entity in self.entities]
        self._segment_of = {
            entity.entity_id: segment
            for entity, segment in zip(self.entities, self._segments, strict=True)
        }
        self.full_text = render(self.entities, self.area_aliases, self._segment_of)
        rank = {domain: place for place, domain in enumerate(DOMAIN_PRIORITY)}
        self._stable_order = sorted(
            range(len(self.entities)),
            key=lambda p: (
                rank.get(self.entities[p].domain, len(rank)),
                *group_key(self.entities[p]),
                self.entities[p].name,
            ),
        )
        self._overviews: dict[tuple[int, str, int], HomeContext] = {}

    def __len__(self) -> int:
        """How many entities are exposed."""
        return len(self.entities)

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
        chosen: Sequence[HomeEntity]
        complete = len(self.full_text) + len(COMPLETE_HEADER) + 1 <= allowance
        if complete:
            chosen = self.entities
            text = f"{COMPLETE_HEADER}\n{self.full_text}"
        else:
            room = int(allowance * PARTIAL_SHARE / HOME_SHARE) - len(
                self._partial_head(total, find_tool)
            )
            chosen = self._fill(self._stable_order, room, must=())
            text = self._partial_head(len(chosen), find_tool)
            if chosen:
                text += f"\n{self._render(chosen)}"
        context = HomeContext(
            text,
            len(chosen),
            total,
            complete=complete,
            listed_ids=frozenset(e.entity_id for e in chosen),
            stable_bytes=fixed_bytes + len(text.encode()),
        )
        if len(self._overviews) > KEPT_OVERVIEWS:
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
            for position in self._ranked(scores)
            if self.entities[position].entity_id not in overview.listed_ids
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
        return f"{TAIL_HEADER}\n{self._render(chosen)}" if chosen else ""

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
        ranked = self._ranked(scores)
        # The head (areas, domains, the pointer to the tool) comes first.
        room = allowance - len(self._partial_head(len(self.entities), find_tool))
        # What the request names is listed even past the allowance: a
        # budget too small for the rest of the request still gets it.
        must = {position for position in ranked if scores[position] >= NAMED}
        return self._fill(ranked, room, must=must)

    def _ranked(self, scores: dict[int, float]) -> list[int]:
        """Positions, the likeliest first; among equals, by name."""
        return sorted(scores, key=lambda p: (-scores[p], self.entities[p].name))

    def _render(self, chosen: Iterable[HomeEntity]) -> str:
        return render(chosen, self.area_aliases, self._segment_of)

    def _partial_head(self, listed: int, find_tool: str) -> str:
        return partial_head(
            self.area_aliases, self.domains, listed=listed, find_tool=find_tool
        )

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
            entity = self.entities[position]
            cost = len(self._segments[position]) + 2
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
