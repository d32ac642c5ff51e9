"""Whether a request's target in a generated home is within the model's reach.

In the prompt (the overview or the request's tail) or found by the model's
first search; the prompt-budget tests and the benchmark count the same way.
"""

from __future__ import annotations

from custom_components.confidant.const import DEFAULT_PROMPT_BUDGET
from custom_components.confidant.home.budget import home_allowance, tail_allowance
from custom_components.confidant.home.index import HomeContext, HomeIndex
from custom_components.confidant.home.render import HomeEntity

from .generated_home import Command, GeneratedHome

FIND = "confidant__find_entities"
# What the rest of a first request takes besides the overview (instructions,
# Home Assistant's tools and prompts): measured at about 6 kB.
FIXED_BYTES = 6500


def home_index(home: GeneratedHome) -> HomeIndex:
    """The index of a generated home, built as the integration builds it."""
    area_aliases = dict(home.areas)
    return HomeIndex(
        [
            HomeEntity(
                entity_id=entity.entity_id,
                name=entity.name,
                domain=entity.domain,
                area=entity.area,
                aliases=entity.aliases,
                area_aliases=area_aliases[entity.area] if entity.area else (),
                device_class=entity.device_class,
            )
            for entity in home.entities
        ]
    )


def default_overview(index: HomeIndex) -> HomeContext:
    """The overview a first request carries with the default prompt budget."""
    return index.overview(
        allowance=home_allowance(DEFAULT_PROMPT_BUDGET, FIXED_BYTES),
        find_tool=FIND,
        fixed_bytes=FIXED_BYTES,
    )


def in_the_prompt(index: HomeIndex, overview: HomeContext, command: Command) -> bool:
    """The command's target is listed in the overview or in the request's tail."""
    listed = index.tail_entities(
        command.text,
        overview=overview,
        device_area=command.device_area,
        allowance=tail_allowance(
            DEFAULT_PROMPT_BUDGET, overview.stable_bytes + len(command.text)
        ),
    )
    return command.target in overview.listed_ids | {e.entity_id for e in listed}


def found_by_search(index: HomeIndex, command: Command) -> bool:
    """The model's first search, with the words that named the target, finds it."""
    matches, _count = index.search(command.reference, device_area=command.device_area)
    return command.target in {match.entity.entity_id for match in matches}
