"""A generated home of N exposed entities with realistic names, for the prompt
budget tests and the benchmark (scripts/bench).

`generate_home(n)` is a pure function: the same N always gives the same home,
spread over forty areas and the domains a real home exposes, with a few
aliases, a few devices named by brand rather than by room, and a few entities
in no area. `async_load_home` puts it into a Home Assistant: states, entity
registry entries (names, areas, aliases, exposure) and satellite devices, one
per area, without creating platform entities (2000 of those would be slow).

`reachability_commands(home)` builds the spoken commands of the reachability
check: each names one target entity the way a person would, and says which
words a model would pass to a search tool for it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

ASSISTANT = "conversation"
PLATFORM = "generated"

# (name, aliases): rooms of a large house and its grounds.
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kitchen", ()),
    ("Living Room", ("Lounge",)),
    ("Dining Room", ()),
    ("Master Bedroom", ("Our bedroom",)),
    ("Guest Bedroom", ()),
    ("Kids Room", ("Emma's room",)),
    ("Nursery", ()),
    ("Office", ("Study",)),
    ("Library", ()),
    ("Hallway", ()),
    ("Upstairs Hallway", ("Landing",)),
    ("Staircase", ()),
    ("Entrance", ("Foyer",)),
    ("Bathroom", ()),
    ("Master Bathroom", ("En suite",)),
    ("Guest Bathroom", ()),
    ("Laundry Room", ()),
    ("Utility Room", ()),
    ("Garage", ()),
    ("Basement", ("Cellar",)),
    ("Attic", ()),
    ("Patio", ()),
    ("Garden", ("Yard",)),
    ("Front Yard", ()),
    ("Driveway", ()),
    ("Pool", ()),
    ("Gym", ()),
    ("Home Theater", ("Cinema",)),
    ("Playroom", ()),
    ("Workshop", ()),
    ("Pantry", ()),
    ("Wine Cellar", ()),
    ("Balcony", ()),
    ("Porch", ()),
    ("Shed", ()),
    ("Greenhouse", ()),
    ("Sauna", ()),
    ("Mudroom", ()),
    ("Den", ()),
    ("Sunroom", ("Conservatory",)),
)


@dataclass(frozen=True, slots=True)
class Thing:
    """A kind of device a room has: its domain, name suffix and class."""

    domain: str
    suffix: str
    device_class: str | None = None
    alias: str | None = None
    state: str = "off"
    unit: str | None = None


# What one room can have; a 2000-entity home repeats some with a number.
THINGS: tuple[Thing, ...] = (
    Thing("light", "ceiling light", alias="big light"),
    Thing("light", "lamp"),
    Thing("light", "floor lamp"),
    Thing("light", "spotlights"),
    Thing("light", "LED strip"),
    Thing("light", "pendant light"),
    Thing("light", "wall sconce"),
    Thing("light", "night light"),
    Thing("light", "reading light"),
    Thing("switch", "smart plug"),
    Thing("switch", "heater plug"),
    Thing("switch", "fan switch"),
    Thing("sensor", "temperature", "temperature", state="21.3", unit="°C"),
    Thing("sensor", "humidity", "humidity", state="48", unit="%"),
    Thing("sensor", "illuminance", "illuminance", state="120", unit="lx"),
    Thing("sensor", "CO2", "carbon_dioxide", state="640", unit="ppm"),
    Thing("sensor", "plug power", "power", state="12.5", unit="W"),
    Thing("sensor", "plug energy", "energy", state="3.2", unit="kWh"),
    Thing("sensor", "motion sensor battery", "battery", state="87", unit="%"),
    Thing("sensor", "air quality", "pm25", state="8", unit="µg/m³"),
    Thing("binary_sensor", "motion", "motion"),
    Thing("binary_sensor", "door", "door"),
    Thing("binary_sensor", "window", "window"),
    Thing("binary_sensor", "presence", "occupancy"),
    Thing("binary_sensor", "smoke detector", "smoke"),
    Thing("binary_sensor", "leak sensor", "moisture"),
    Thing("cover", "blinds", "blind", alias="shades", state="open"),
    Thing("cover", "curtains", "curtain", state="open"),
    Thing("climate", "thermostat", alias="heating", state="heat"),
    Thing("climate", "radiator", state="heat"),
    Thing("media_player", "speaker", "speaker", state="idle"),
    Thing("media_player", "TV", "tv", alias="telly", state="off"),
    Thing("fan", "ceiling fan"),
    Thing("scene", "relax", state="unknown"),
    Thing("scene", "bright", state="unknown"),
)

# Devices people call by what they are or by brand, not by room.
NAMED_DEVICES: tuple[tuple[str, Thing, str | None], ...] = (
    ("Kitchen", Thing("switch", "Coffee machine"), None),
    ("Kitchen", Thing("switch", "Kettle"), None),
    ("Kitchen", Thing("sensor", "Fridge temperature", "temperature", state="4"), None),
    ("Kitchen", Thing("binary_sensor", "Dishwasher running", "running"), None),
    ("Living Room", Thing("media_player", "Apple TV", "tv", state="playing"), None),
    ("Living Room", Thing("media_player", "Sonos Arc", "speaker"), "soundbar"),
    ("Living Room", Thing("light", "Hue Go"), None),
    ("Home Theater", Thing("media_player", "Projector", "tv"), None),
    ("Laundry Room", Thing("switch", "Washing machine"), None),
    ("Laundry Room", Thing("switch", "Tumble dryer"), "dryer"),
    ("Hallway", Thing("vacuum", "Roborock", state="docked"), "robot vacuum"),
    ("Upstairs Hallway", Thing("vacuum", "Roomba", state="docked"), None),
    ("Garage", Thing("cover", "Garage door", "garage", state="closed"), None),
    ("Garage", Thing("switch", "EV charger"), "car charger"),
    ("Entrance", Thing("lock", "Front door lock", state="locked"), None),
    ("Patio", Thing("lock", "Back door lock", state="locked"), None),
    ("Garden", Thing("switch", "Sprinkler front lawn"), None),
    ("Garden", Thing("switch", "Sprinkler vegetable beds"), None),
    ("Pool", Thing("switch", "Pool pump"), None),
    ("Pool", Thing("sensor", "Pool water temperature", "temperature"), None),
    ("Basement", Thing("climate", "Water heater", state="eco"), "boiler"),
    ("Basement", Thing("sensor", "Solar inverter power", "power", state="2400"), None),
    ("Utility Room", Thing("sensor", "Grid power", "power", state="350"), None),
    ("Living Room", Thing("light", "Christmas tree"), None),
    ("Office", Thing("switch", "Printer"), None),
    ("Den", Thing("switch", "Aquarium pump"), None),
    ("Nursery", Thing("media_player", "Baby monitor", "speaker"), None),
    ("Gym", Thing("switch", "Treadmill"), None),
    ("Driveway", Thing("cover", "Driveway gate", "gate", state="closed"), "gate"),
    ("Sunroom", Thing("fan", "Air purifier"), None),
    ("Workshop", Thing("switch", "Dehumidifier"), None),
    ("Porch", Thing("sensor", "Porch package scale", "weight", state="0"), None),
)

# Entities no area holds: the outdoors, the whole house.
NO_AREA: tuple[Thing, ...] = (
    Thing("sensor", "Outdoor temperature", "temperature", state="14.2"),
    Thing("sensor", "Outdoor humidity", "humidity", state="71"),
    Thing("sensor", "Wind speed", "wind_speed", state="12"),
    Thing("sensor", "House energy today", "energy", state="9.1"),
    Thing("switch", "Guest mode"),
    Thing("switch", "Vacation mode"),
    Thing("scene", "Movie night", state="unknown"),
    Thing("scene", "Good morning", state="unknown"),
    Thing("scene", "Good night", state="unknown"),
    Thing("sensor", "Rain today", "precipitation", state="0.4"),
)


@dataclass(frozen=True, slots=True)
class GeneratedEntity:
    """One exposed entity of the generated home."""

    entity_id: str
    name: str
    domain: str
    area: str | None
    aliases: tuple[str, ...]
    device_class: str | None
    state: str
    # How a person refers to it without the room, when it has one
    # ("ceiling light" for "Kitchen ceiling light").
    short: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GeneratedHome:
    """The areas and exposed entities of a generated home."""

    areas: tuple[tuple[str, tuple[str, ...]], ...]
    entities: tuple[GeneratedEntity, ...]

    def by_id(self) -> dict[str, GeneratedEntity]:
        """The entities by entity ID."""
        return {entity.entity_id: entity for entity in self.entities}


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.casefold()).strip("_")


def generate_home(n: int, seed: int = 7) -> GeneratedHome:
    """A home of exactly `n` exposed entities (deterministic for a seed)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    room_things = [(area, thing) for area, _ in AREAS for thing in THINGS]
    rng.shuffle(room_things)
    # One in twelve is a named device or an entity in no area, spread evenly.
    specials: list[tuple[str | None, Thing, str | None]] = [
        *NAMED_DEVICES,
        *((None, thing, None) for thing in NO_AREA),
    ]
    rng.shuffle(specials)
    used_ids: set[str] = set()
    counts: dict[tuple[str, str], int] = {}
    entities: list[GeneratedEntity] = []
    room_index = special_index = 0
    while len(entities) < n:
        area: str | None
        alias: str | None
        if len(entities) % 12 == 5 and special_index < len(specials):
            area, thing, alias = specials[special_index]
            special_index += 1
            name = short = thing.suffix
        else:
            area, thing = room_things[room_index % len(room_things)]
            room_index += 1
            count = counts[area, thing.suffix] = counts.get((area, thing.suffix), 0) + 1
            short = thing.suffix if count == 1 else f"{thing.suffix} {count}"
            name = f"{area} {short}"
            alias = None
            # One room thing in fifteen has an alias, the way people name it.
            if thing.alias and rng.random() < 0.4 and count == 1:
                alias = f"{area} {thing.alias}"
        entity_id = f"{thing.domain}.{_slug(name)}"
        while entity_id in used_ids:
            entity_id += "_x"
        used_ids.add(entity_id)
        attributes: dict[str, str] = {}
        if thing.device_class:
            attributes["device_class"] = thing.device_class
        if thing.unit:
            attributes["unit_of_measurement"] = thing.unit
        entities.append(
            GeneratedEntity(
                entity_id=entity_id,
                name=name[0].upper() + name[1:],
                domain=thing.domain,
                area=area,
                aliases=(alias,) if alias else (),
                device_class=thing.device_class,
                state=thing.state,
                short=short,
                attributes=attributes,
            )
        )
    return GeneratedHome(AREAS, tuple(entities))


@dataclass(frozen=True, slots=True)
class LoadedHome:
    """What `async_load_home` created: area IDs and one satellite per area."""

    area_ids: dict[str, str]
    satellites: dict[str, str]  # area name -> device ID


async def async_load_home(
    hass: HomeAssistant, home: GeneratedHome, config_entry_id: str
) -> LoadedHome:
    """Create the home's areas, entities (state + registry) and satellites.

    `config_entry_id` is an entry the satellite devices belong to.
    """
    areas = ar.async_get(hass)
    area_ids = {}
    for name, aliases in home.areas:
        area = areas.async_get_area_by_name(name) or areas.async_create(
            name, aliases=set(aliases)
        )
        area_ids[name] = area.id
    entities = er.async_get(hass)
    for entity in home.entities:
        entry = entities.async_get_or_create(
            entity.domain,
            PLATFORM,
            entity.entity_id,
            suggested_object_id=entity.entity_id.split(".", 1)[1],
            original_name=entity.name,
            original_device_class=entity.device_class,
            get_initial_options=lambda: {ASSISTANT: {"should_expose": True}},
        )
        if entity.area is not None or entity.aliases:
            entities.async_update_entity(
                entry.entity_id,
                area_id=area_ids[entity.area] if entity.area else None,
                aliases=[er.COMPUTED_NAME, *entity.aliases],
            )
        hass.states.async_set(
            entry.entity_id,
            entity.state,
            {"friendly_name": entity.name, **entity.attributes},
        )
    devices = dr.async_get(hass)
    satellites = {}
    for name, _aliases in home.areas:
        device = devices.async_get_or_create(
            config_entry_id=config_entry_id,
            identifiers={(PLATFORM, f"satellite-{_slug(name)}")},
            name=f"{name} satellite",
        )
        devices.async_update_device(device.id, area_id=area_ids[name])
        satellites[name] = device.id
    await hass.async_block_till_done()
    return LoadedHome(area_ids, satellites)


@dataclass(frozen=True, slots=True)
class Command:
    """A spoken command naming one target entity."""

    text: str
    target: str  # entity ID
    # The words naming the target, as said: what a model passes to a search.
    reference: str
    # The area of the satellite it was said to, if the command relies on it.
    device_area: str | None = None


_VERBS: dict[str, tuple[str, ...]] = {
    "light": ("turn on the {}", "switch off the {}", "dim the {} to 30 percent"),
    "switch": ("turn on the {}", "switch the {} off"),
    "sensor": ("what does the {} say?", "what's the {} reading right now"),
    "binary_sensor": ("is the {} on?", "what is the {} showing"),
    "cover": ("close the {}", "open the {} halfway"),
    "climate": ("set the {} to 21 degrees", "turn the {} off"),
    "media_player": ("pause the {}", "turn the volume of the {} down"),
    "fan": ("turn on the {}", "set the {} to low"),
    "scene": ("activate the {} scene", "please set the {} scene"),
    "vacuum": ("start the {}", "send the {} back to its dock"),
    "lock": ("lock the {}", "is the {} locked?"),
}


def reachability_commands(
    home: GeneratedHome, count: int = 240, seed: int = 11
) -> list[Command]:
    """Commands that each name one target, the ways people name things.

    Five ways of naming, in turn: the full name ("the kitchen ceiling light"),
    the thing then its room ("the ceiling light in the kitchen"), an alias
    ("the living room big light"), the bare thing said to the satellite of
    its room ("the ceiling light", said in the kitchen), and the thing in a
    room called by its alias ("the ceiling light in the lounge").
    """
    area_aliases = dict(home.areas)
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    targets = list(home.entities)
    rng.shuffle(targets)
    commands: list[Command] = []
    for index, entity in enumerate(targets):
        if len(commands) >= count:
            break
        templates = _VERBS.get(entity.domain)
        if templates is None:
            continue
        template = templates[index % len(templates)]
        way = index % 5
        room_aliases = area_aliases.get(entity.area or "", ())
        if way == 4 and room_aliases and entity.short != entity.name:
            reference = f"{entity.short.lower()} in the {room_aliases[0].lower()}"
        elif way in (1, 4) and entity.area and entity.short != entity.name:
            reference = f"{entity.short.lower()} in the {entity.area.lower()}"
        elif way == 2 and entity.aliases:
            reference = entity.aliases[0].lower()
        elif way == 3 and entity.area and entity.short != entity.name:
            reference = entity.short.lower()
            commands.append(
                Command(
                    template.format(reference),
                    entity.entity_id,
                    reference,
                    device_area=entity.area,
                )
            )
            continue
        else:
            reference = entity.name.lower()
        commands.append(
            Command(template.format(reference), entity.entity_id, reference)
        )
    return commands
