"""An exposed entity as the model reads it: one segment, lines by area and domain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from .vocabulary import words

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


def group_key(entity: HomeEntity) -> tuple[bool, str, str]:
    """Where an entity is listed: its area (no area last), then its domain."""
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
    for entity in sorted(entities, key=lambda e: (*group_key(e), e.name)):
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


def partial_head(
    area_aliases: Mapping[str, tuple[str, ...]],
    domains: Mapping[str, int],
    *,
    listed: int,
    find_tool: str,
) -> str:
    """The head of an overview that lists part of the home.

    Every area (with its aliases) and how many devices each domain has, so
    the model knows what there is to find with the search tool.
    """
    areas = "; ".join(
        f"{area} ({', '.join(area_aliases[area])})" if area_aliases[area] else area
        for area in sorted(area_aliases)
    )
    counts = ", ".join(f"{domain} {count}" for domain, count in sorted(domains.items()))
    header = PARTIAL_HEADER.format(
        listed=listed, total=sum(domains.values()), find_tool=find_tool
    )
    return f"{header}\nAreas: {areas}\nDevices per domain: {counts}"
