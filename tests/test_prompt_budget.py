"""The prompt budget: a compact home, what a turn needs, and a search for the rest.

Most checks are pure functions over a generated home of 2000 entities
(tests/generated_home.py); a few full turns through Home Assistant and the
scripted server show that the budget holds and the search tool works.
"""

from __future__ import annotations

import pytest
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import llm
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import CONF_PROMPT_BUDGET, DEFAULT_PROMPT_BUDGET
from custom_components.confidant.home import assist_api as home_context
from custom_components.confidant.home.budget import home_allowance, tail_allowance
from custom_components.confidant.home.index import HomeIndex
from custom_components.confidant.home.render import HomeEntity, render
from custom_components.confidant.providers import (
    AssistantMessage,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)

from .conftest import Home, ask, async_load_entry, speech
from .generated_home import (
    LoadedHome,
    generate_home,
    reachability_commands,
)
from .ha_versions import HA_VERSION
from .llm_server import LLMServer, RecordedRequest, Reply, ToolCallStep
from .reachability import (
    FIND,
    FIXED_BYTES,
    default_overview,
    found_by_search,
    home_index,
    in_the_prompt,
)

CHAT = "/v1/chat/completions"


def index_of(n: int) -> HomeIndex:
    """The index of a generated home of n entities."""
    return home_index(generate_home(n))


@pytest.fixture(scope="module")
def big_index() -> HomeIndex:
    """The 2000-entity home, indexed once for the module."""
    return index_of(2000)


def test_every_target_is_in_the_prompt_or_found_by_the_first_search(
    big_index: HomeIndex,
) -> None:
    """240 commands over 2000 entities: nothing exposed is out of reach."""
    commands = reachability_commands(generate_home(2000), count=240)
    assert len(commands) >= 200
    overview = default_overview(big_index)
    in_prompt = found = 0
    missed: list[str] = []
    for command in commands:
        if in_the_prompt(big_index, overview, command):
            in_prompt += 1
            continue
        # The model's first call passes the words that named the target.
        if found_by_search(big_index, command):
            found += 1
        else:
            missed.append(command.text)
    share = (in_prompt + found) / len(commands)
    print(  # noqa: T201 - the share, for the report
        f"\nreachability: {in_prompt + found}/{len(commands)} = {share:.0%} "
        f"({in_prompt} in the prompt, {found} by the first search)"
    )
    assert missed == []


def test_the_first_search_alone_finds_every_target(big_index: HomeIndex) -> None:
    """Even with no overview at all, one search call reaches each target."""
    commands = reachability_commands(generate_home(2000), count=240)
    first = 0
    for command in commands:
        matches, _count = big_index.search(
            command.reference, device_area=command.device_area
        )
        ids = [match.entity.entity_id for match in matches]
        assert command.target in ids, (command.text, [m.entity.name for m in matches])
        first += ids[0] == command.target
    # Nearly always the very first match.
    assert first >= 0.95 * len(commands)


def test_search_by_area_and_domain(big_index: HomeIndex) -> None:
    """Filters narrow, and a word that is no area or domain still counts."""
    matches, count = big_index.search(area="kitchen", domain="light")
    assert matches
    assert count <= 20
    assert {m.entity.area for m in matches} == {"Kitchen"}
    assert {m.entity.domain for m in matches} == {"light"}
    # An alias of an area, and a word for a domain.
    matches, _count = big_index.search("ceiling", area="lounge", domain="lights")
    assert matches[0].entity.name == "Living Room ceiling light"
    # Not an area: read as more words of the name.
    matches, _count = big_index.search("coffee", area="machine")
    assert matches[0].entity.name == "Coffee machine"
    # Words that name nothing find nothing.
    assert big_index.search("flux capacitor") == ([], 0)


def test_a_turn_gets_what_it_names_its_room_and_its_domains(
    big_index: HomeIndex,
) -> None:
    """Named entities first, then the areas said, the satellite's, the domains."""
    allowance = home_allowance(DEFAULT_PROMPT_BUDGET, FIXED_BYTES)
    text = "turn off the lights in the garage and is the coffee machine on?"
    listed = big_index.select(text, device_area="Office", allowance=allowance)
    names = [entity.name for entity in listed]
    assert names[0] == "Coffee machine"
    garage_lights = [
        e.name for e in big_index.entities if e.area == "Garage" and e.domain == "light"
    ]
    assert garage_lights
    assert set(garage_lights) <= set(names)
    # Garage lights come before the office's and before other lights.
    assert names.index(garage_lights[-1]) < min(
        names.index(e.name) for e in listed if e.area == "Office"
    )
    # The stable overview: within the allowance, head included, and the same
    # whatever was said.
    overview = big_index.overview(
        allowance=allowance, find_tool=FIND, fixed_bytes=FIXED_BYTES
    )
    assert len(overview.text) <= allowance
    assert not overview.complete
    assert FIND in overview.text
    assert "Coffee machine" not in overview.text
    # The turn's tail has what the overview leaves out, the named one first.
    budget = tail_allowance(DEFAULT_PROMPT_BUDGET, overview.stable_bytes + len(text))
    tail = big_index.tail(
        text, overview=overview, device_area="Office", allowance=budget
    )
    assert "Coffee machine" in tail
    assert len(tail) <= budget
    assert not {
        e.entity_id for e in big_index.entities if e.name in tail.split("; ")
    } & (overview.listed_ids)


def test_recent_turns_keep_their_entities(big_index: HomeIndex) -> None:
    """'Turn it off' after 'turn on the wine cellar lamp' still lists the lamp."""
    allowance = home_allowance(DEFAULT_PROMPT_BUDGET, FIXED_BYTES)
    listed = big_index.select(
        "turn it off again",
        history=("turn on the wine cellar lamp", "Done."),
        device_area="Office",
        allowance=allowance,
    )
    assert "Wine Cellar lamp" in {entity.name for entity in listed}


def test_a_small_home_is_listed_whole() -> None:
    """When the home fits its share of the budget, all of it is listed."""
    index = index_of(50)
    context = index.overview(
        allowance=home_allowance(DEFAULT_PROMPT_BUDGET, FIXED_BYTES), find_tool=FIND
    )
    assert context.complete
    tail = index.tail("the kitchen lights", overview=context, allowance=1000)
    assert tail == ""
    assert context.listed == 50
    assert FIND not in context.text
    for entity in index.entities:
        assert entity.name in context.text


def test_the_rendering_is_compact() -> None:
    """By area, one line per domain; aliases; a device class only when needed."""
    entities = [
        HomeEntity(
            "light.a", "Kitchen ceiling light", "light", "Kitchen", ("Big light",)
        ),
        HomeEntity("light.b", "Kitchen lamp", "light", "Kitchen"),
        HomeEntity(
            "sensor.t",
            "Kitchen temperature",
            "sensor",
            "Kitchen",
            device_class="temperature",
        ),
        HomeEntity(
            "sensor.c",
            "Kitchen CO2",
            "sensor",
            "Kitchen",
            device_class="carbon_dioxide",
        ),
        HomeEntity(
            "binary_sensor.d",
            "Front door",
            "binary_sensor",
            "Entrance",
            area_aliases=("Foyer",),
            device_class="door",
        ),
        HomeEntity(
            "sensor.o", "Outdoor temperature", "sensor", device_class="temperature"
        ),
    ]
    text = render(entities, {"Entrance": ("Foyer",)})
    assert text == (
        "Entrance (Foyer):\n"
        "- binary_sensor: Front door\n"
        "Kitchen:\n"
        "- light: Kitchen ceiling light (Big light); Kitchen lamp\n"
        "- sensor: Kitchen CO2 [carbon_dioxide]; Kitchen temperature\n"
        "No area:\n"
        "- sensor: Outdoor temperature"
    )


def test_the_overview_is_a_fraction_of_home_assistants_yaml() -> None:
    """The whole 500-entity home compact: well under half the YAML's bytes."""
    index = index_of(500)
    # Home Assistant's YAML: "- names: ...\n  domain: ...\n  areas: ...\n".
    yaml_bytes = sum(
        len(f"- names: {', '.join((e.name, *e.aliases))}\n  domain: {e.domain}\n")
        + (len(f"  areas: {', '.join((e.area, *e.area_aliases))}\n") if e.area else 0)
        for e in index.entities
    )
    assert len(index.full_text) < 0.5 * yaml_bytes


# Full turns through Home Assistant


def system_prompt(request: RecordedRequest) -> str:
    """The system message of a chat completions request."""
    return str(request.json["messages"][0]["content"])


def home_text(request: RecordedRequest) -> str:
    """What a request tells about the home: the system prompt and the tail.

    The tail of a turn travels in front of the person's last words.
    """
    users = [m for m in request.json["messages"] if m["role"] == "user"]
    return system_prompt(request) + "\n" + str(users[-1]["content"])


async def greeting_request(
    hass: HomeAssistant, server: LLMServer, answer: str = "Hello."
) -> RecordedRequest:
    """Say hello; the model answers; the one request it was sent."""
    server.script(Reply(text=answer))
    assert speech(await ask(hass, "hello")) == answer
    (request,) = server.requests_to(CHAT)
    return request


def tool_names(request: RecordedRequest) -> list[str]:
    """The tools offered in a chat completions request."""
    return [tool["function"]["name"] for tool in request.json.get("tools", [])]


async def test_a_2000_entity_home_fits_the_default_budget(
    hass: HomeAssistant, generated: LoadedHome, llm_server: LLMServer
) -> None:
    """The request stays in budget, lists what the turn needs, offers the search."""
    llm_server.script(Reply(text="It is 21 degrees."))
    result = await ask(
        hass,
        "What's the temperature in the kitchen?",
        device_id=generated.satellites["Office"],
    )
    assert speech(result) == "It is 21 degrees."
    (request,) = llm_server.requests_to(CHAT)
    assert len(request.body) / 4 <= DEFAULT_PROMPT_BUDGET
    prompt = home_text(request)
    assert "Kitchen temperature" in prompt
    # The satellite's room.
    assert "Office (Study):" in prompt
    # No YAML, and nothing like all of the home.
    assert "names:" not in prompt
    assert "Wine Cellar lamp" not in prompt
    # The tail is small: the rest of the home's temperature sensors are a
    # search away, so that nearly all of the request stays a cached prefix.
    assert "Wine Cellar temperature" not in prompt
    assert "Wine Cellar temperature" not in system_prompt(request)
    assert FIND in tool_names(request)
    assert "homeassistant__GetLiveContext" in tool_names(request)


async def test_the_model_finds_what_the_overview_left_out(
    hass: HomeAssistant, generated: LoadedHome, llm_server: LLMServer
) -> None:
    """The model searches, gets names, areas and states back, and answers."""
    llm_server.script(
        Reply(tool_calls=[ToolCallStep(FIND, {"name": "lamp", "area": "wine cellar"})]),
        Reply(text="The wine cellar lamp is off."),
    )
    result = await ask(
        hass,
        "Is the little light downstairs on?",
        device_id=generated.satellites["Office"],
    )
    assert speech(result) == "The wine cellar lamp is off."
    first, second = llm_server.requests_to(CHAT)
    assert "Wine Cellar lamp" not in home_text(first)
    (answer,) = [m for m in second.json["messages"] if m["role"] == "tool"]
    assert '"name": "Wine Cellar lamp"' in answer["content"]
    assert '"state": "off"' in answer["content"]
    assert '"area": "Wine Cellar"' in answer["content"]
    assert len(second.body) / 4 <= DEFAULT_PROMPT_BUDGET


async def test_the_search_needs_a_criterion(
    hass: HomeAssistant, generated: LoadedHome, llm_server: LLMServer
) -> None:
    """An empty search is answered with an error the model can act on."""
    llm_server.script(
        Reply(tool_calls=[ToolCallStep(FIND, {})]), Reply(text="Which device?")
    )
    await ask(hass, "find something", device_id=generated.satellites["Office"])
    _first, second = llm_server.requests_to(CHAT)
    (answer,) = [m for m in second.json["messages"] if m["role"] == "tool"]
    assert "NoCriteria" in answer["content"]


async def test_a_follow_up_keeps_what_the_last_turn_named(
    hass: HomeAssistant, generated: LoadedHome, llm_server: LLMServer
) -> None:
    """'Turn it off' lists the lamp the previous turn was about."""
    llm_server.script(Reply(text="The wine cellar lamp is on."), Reply(text="Off."))
    first = await ask(
        hass, "Is the wine cellar lamp on?", device_id=generated.satellites["Office"]
    )
    await ask(
        hass,
        "Turn it off",
        first.conversation_id,
        device_id=generated.satellites["Office"],
    )
    _first, second = llm_server.requests_to(CHAT)
    assert "Wine Cellar lamp" in home_text(second)


async def test_a_small_home_is_sent_whole_without_the_search(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Two lights, one exposed: the compact overview, no YAML, no search tool."""
    request = await greeting_request(hass, llm_server)
    prompt = system_prompt(request)
    assert "Kitchen:\n- light: Kitchen lights" in prompt
    assert "Hallway light" not in prompt
    assert "names:" not in prompt
    assert FIND not in tool_names(request)
    assert "intent__HassTurnOn" in tool_names(request)


async def test_the_overview_follows_exposure_and_names(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Exposing or renaming an entity shows in the next turn."""
    llm_server.script(Reply(text="One."), Reply(text="Two."))
    await ask(hass, "hello")
    async_expose_entity(hass, "conversation", home.hallway, True)
    er.async_get(hass).async_update_entity(home.kitchen, name="Cooking lights")
    await ask(hass, "hello again")
    _first, second = llm_server.requests_to(CHAT)
    prompt = system_prompt(second)
    assert "Hallway light" in prompt
    assert "Cooking lights" in prompt


@pytest.mark.parametrize("agent_options", [{CONF_PROMPT_BUDGET: 1000}])
async def test_a_small_budget_lists_only_what_the_turn_names(
    hass: HomeAssistant, generated: LoadedHome, llm_server: LLMServer
) -> None:
    """A tight budget still carries the named device and the search tool."""
    llm_server.script(Reply(text="On."))
    await ask(hass, "turn on the coffee machine")
    (request,) = llm_server.requests_to(CHAT)
    prompt = home_text(request)
    assert "Coffee machine" in prompt
    assert FIND in tool_names(request)


async def test_without_the_assist_api_there_is_no_home(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """An agent that may not control the home is told nothing about it."""
    await async_load_entry(
        hass,
        MockConfigEntry(
            domain="confidant",
            data={"provider": "openai_compatible", "url": llm_server.url},
            subentries_data=[
                {
                    "data": {"model": "m", "local_first": False},
                    "subentry_type": "conversation",
                    "title": "Confidant",
                    "unique_id": None,
                }
            ],
        ),
    )
    request = await greeting_request(hass, llm_server, "Hi.")
    assert "Kitchen lights" not in request.body.decode()
    assert "tools" not in request.json


async def test_other_agents_never_get_the_search(
    hass: HomeAssistant, generated: LoadedHome
) -> None:
    """Home Assistant's own Assist API, for any other agent, is unchanged."""
    instance = await llm.async_get_api(
        hass,
        "assist",
        llm.LLMContext(
            platform="openai_conversation",
            context=Context(),
            language="en",
            assistant=conversation.DOMAIN,
            device_id=None,
        ),
    )
    assert FIND not in [tool.name for tool in instance.tools]
    assert "Static Context: An overview" in instance.api_prompt


async def test_home_assistant_changes_fall_back_to_its_own_overview(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the parts it relies on, the agent uses Home Assistant's Assist API."""
    monkeypatch.setattr(home_context, "_home_parts", lambda _hass: None)
    request = await greeting_request(hass, llm_server)
    assert "Static Context: An overview" in system_prompt(request)


async def test_other_apis_are_merged_as_home_assistant_merges_them(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
) -> None:
    """Assist and another API: both, namespaced; the overview is Confidant's."""

    class OtherAPI(llm.API):
        async def async_get_api_instance(
            self, llm_context: llm.LLMContext
        ) -> llm.APIInstance:
            return llm.APIInstance(
                api=self, api_prompt="Other.", llm_context=llm_context, tools=[]
            )

    llm.async_register_api(hass, OtherAPI(hass=hass, id="other", name="Other"))
    await async_load_entry(
        hass,
        MockConfigEntry(
            domain="confidant",
            data={"provider": "openai_compatible", "url": llm_server.url},
            subentries_data=[
                {
                    "data": {
                        "model": "m",
                        "local_first": False,
                        "llm_hass_api": ["assist", "other"],
                    },
                    "subentry_type": "conversation",
                    "title": "Confidant",
                    "unique_id": None,
                }
            ],
        ),
    )
    request = await greeting_request(hass, llm_server, "Hi.")
    prompt = system_prompt(request)
    assert "Kitchen:\n- light: Kitchen lights" in prompt
    assert "Other." in prompt
    # Home Assistant 2026.10 prefixes every merged tool with its API's id;
    # 2026.11 only tools whose names collide. Either way Assist's are there.
    names = tool_names(request)
    if HA_VERSION >= "2026.11.0":
        assert "intent__HassTurnOn" in names
    else:
        assert "assist__intent__HassTurnOn" in names


async def test_an_entity_takes_its_devices_area(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """No area of its own: the device's, as Home Assistant's overview says."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=config_entry.entry_id, identifiers={("test", "hub")}
    )
    garage = ar.async_get(hass).async_create("Garage")
    dr.async_get(hass).async_update_device(device.id, area_id=garage.id)
    er.async_get(hass).async_update_entity(home.hallway, device_id=device.id)
    async_expose_entity(hass, "conversation", home.hallway, True)
    request = await greeting_request(hass, llm_server)
    # Named as Home Assistant names it: the device's name first.
    assert "Garage:\n- light: OpenAI-compatible server Hallway light" in (
        system_prompt(request)
    )


async def test_nothing_exposed_asks_to_expose(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """With nothing exposed, the model is told what Home Assistant tells it."""
    async_expose_entity(hass, "conversation", home.kitchen, False)
    request = await greeting_request(hass, llm_server)
    prompt = system_prompt(request)
    assert "expose entities" in prompt
    assert "Kitchen lights" not in prompt


def test_history_and_request_sizes() -> None:
    """What recent turns said and named, and about what they weigh."""
    call = ToolCall("c1", "HassTurnOn", {"name": "Wine Cellar lamp", "brightness": 5})
    history = [
        UserMessage("turn on the lamp downstairs"),
        AssistantMessage("", (call,)),
        ToolResultMessage("c1", "HassTurnOn", {"success": True}),
        AssistantMessage("Done."),
    ]
    assert home_context.history_texts(history) == (
        "turn on the lamp downstairs",
        "Wine Cellar lamp",
        "Done.",
    )
    sizes = [home_context.message_bytes(message) for message in history]
    assert all(size > 0 for size in sizes)
    assert sizes[1] > len("Wine Cellar lamp")
