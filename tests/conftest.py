"""Fixtures shared by Confidant's tests."""

# Confidant's package must be imported before Home Assistant's test harness
# mounts its own testing config dir; otherwise HA finds the harness's sample
# custom integrations instead of ours.
import custom_components.confidant  # noqa: F401, I001

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.components import conversation
from homeassistant.components.conversation.const import DATA_COMPONENT
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    setup_test_component_platform,
)

from custom_components.confidant.config_flow import default_agent_options
from custom_components.confidant.conversation import ConfidantConversationEntity
from custom_components.confidant.const import (
    CONF_LOCAL_FIRST,
    CONF_PROVIDER,
    DOMAIN,
    PROVIDER_OPENAI_COMPATIBLE,
)

from .ha_versions import chat_session_for
from .entities import TestLight
from .generated_home import LoadedHome, async_load_home, generate_home
from .llm_server import LLMServer, ToolCallStep

# Every kind of provider Confidant talks to.
PROVIDERS = ["openai", "anthropic", "ollama", "openai_compatible"]

# The model turns the kitchen lights on through Assist.
TURN_ON_KITCHEN = ToolCallStep("intent__HassTurnOn", {"name": "Kitchen lights"})


# The real file methods of Home Assistant's Store, taken before the test
# harness mocks them for every test.
_REAL_STORE = {
    name: vars(Store)[name]
    for name in ("_async_load", "_async_write_data", "async_remove")
}


@contextmanager
def real_store_files() -> Iterator[None]:
    """Let every Store read and write real files, as outside the test harness."""
    with patch.multiple(Store, **_REAL_STORE):
        yield


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load Confidant from custom_components."""


@pytest.fixture
async def llm_server(socket_enabled: None) -> AsyncIterator[LLMServer]:
    """A scripted LLM server on 127.0.0.1 (connections stay on loopback)."""
    server = LLMServer()
    await server.start()
    yield server
    await server.stop()
    # The openai SDK leaves its inner SSE generator suspended after "[DONE]";
    # when it is collected, asyncio schedules its aclose() as a task. Give the
    # loop a few turns so that task finishes inside the test, not after it.
    for _ in range(5):
        await asyncio.sleep(0)


@dataclass
class Home:
    """The test home: two lights, only the kitchen's exposed to Assist."""

    kitchen: str
    hallway: str


@pytest.fixture(params=PROVIDERS)
def kind(request: pytest.FixtureRequest) -> str:
    """The provider under test: each in turn, unless a test names its own."""
    return str(request.param)


@pytest.fixture
async def home(hass: HomeAssistant) -> Home:
    """Set up Home Assistant with the conversation stack and two lights."""
    assert await async_setup_component(hass, "homeassistant", {})
    setup_test_component_platform(
        hass,
        "light",
        [
            TestLight("Kitchen lights", "kitchen-lights"),
            TestLight("Hallway light", "hallway-light"),
        ],
    )
    assert await async_setup_component(hass, "light", {"light": {"platform": "test"}})
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()

    registry = er.async_get(hass)
    kitchen = registry.async_get_entity_id("light", "test", "kitchen-lights")
    hallway = registry.async_get_entity_id("light", "test", "hallway-light")
    assert kitchen and hallway
    area = ar.async_get(hass).async_create("Kitchen")
    registry.async_update_entity(kitchen, area_id=area.id)
    async_expose_entity(hass, "conversation", kitchen, True)
    async_expose_entity(hass, "conversation", hallway, False)
    return Home(kitchen=kitchen, hallway=hallway)


def agent_subentry(
    model: str = "llama-3.2-3b-instruct", title: str = "Confidant", **options: object
) -> ConfigSubentryData:
    """A conversation subentry with the default options."""
    # Most tests exercise the model's path; local-first (on for users) would
    # answer their plain commands without it. Its own tests turn it back on.
    return ConfigSubentryData(
        data={**default_agent_options(model), CONF_LOCAL_FIRST: False, **options},
        subentry_type="conversation",
        title=title,
        unique_id=None,
    )


def provider_url(kind: str, server: LLMServer) -> str:
    """Where each provider's client finds the loopback server."""
    return (
        server.url
        if kind in ("openai", "openai_compatible")
        else f"http://127.0.0.1:{server.port}"
    )


async def async_load_entry(
    hass: HomeAssistant, entry: MockConfigEntry
) -> MockConfigEntry:
    """Add a Confidant entry to Home Assistant and load it."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def async_load_provider_entry(
    hass: HomeAssistant,
    server: LLMServer,
    kind: str,
    *subentries: ConfigSubentryData,
    **entry_fields: Any,
) -> MockConfigEntry:
    """A loaded entry of one provider (with a key, as clouds need) on the scripted server.

    Its agents and AI tasks are the subentries given.
    """
    return await async_load_entry(
        hass, provider_entry(server, kind, *subentries, **entry_fields)
    )


def provider_entry(
    server: LLMServer,
    kind: str,
    *subentries: ConfigSubentryData,
    api_key: str = "test-key",
    **entry_fields: Any,
) -> MockConfigEntry:
    """An entry of one provider on the scripted server, not yet added."""
    return MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_PROVIDER: kind,
            CONF_URL: provider_url(kind, server),
            CONF_API_KEY: api_key,
        },
        subentries_data=list(subentries),
        **entry_fields,
    )


@pytest.fixture
def agent_options() -> dict[str, object]:
    """Options of the test agent; override in a test module to change them."""
    return {}


@pytest.fixture
async def config_entry(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    agent_options: dict[str, object],
) -> MockConfigEntry:
    """A loaded Confidant entry pointed at the scripted server."""
    return await async_load_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            title="OpenAI-compatible server",
            data={CONF_PROVIDER: PROVIDER_OPENAI_COMPATIBLE, CONF_URL: llm_server.url},
            subentries_data=[agent_subentry(**agent_options)],  # type: ignore[arg-type]
        ),
    )


@pytest.fixture
async def generated(
    hass: HomeAssistant, home: Home, config_entry: MockConfigEntry
) -> LoadedHome:
    """A generated 2000-entity home, in the test Home Assistant with the agent.

    Too big for the prompt budget: the overview is partial.
    """
    devices = MockConfigEntry(domain="generated")
    devices.add_to_hass(hass)
    return await async_load_home(hass, generate_home(2000), devices.entry_id)


@pytest.fixture(params=["openai_compatible", "ollama"])
async def local_entry(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    agent_options: dict[str, object],
) -> MockConfigEntry:
    """A loaded entry of each local provider on the scripted server."""
    kind = request.param
    return await async_load_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            data={CONF_PROVIDER: kind, CONF_URL: provider_url(kind, llm_server)},
            subentries_data=[agent_subentry(**agent_options)],  # type: ignore[arg-type]
        ),
    )


AGENT_ID = "conversation.confidant"


def confidant_agent(hass: HomeAssistant) -> ConfidantConversationEntity:
    """The loaded Confidant agent entity: the one way tests reach it."""
    agent = hass.data[DATA_COMPONENT].get_entity(AGENT_ID)
    assert isinstance(agent, ConfidantConversationEntity)
    return agent


async def ask(
    hass: HomeAssistant,
    text: str,
    conversation_id: str | None = None,
    device_id: str | None = None,
    *,
    satellite_id: str | None = None,
    user_id: str | None = None,
    language: str = "en",
    agent_id: str = AGENT_ID,
) -> conversation.ConversationResult:
    """Say something to the agent, the way Assist hands it over.

    From a device and/or a satellite, as a signed-in user, or neither.
    """
    return await conversation.async_converse(
        hass,
        text,
        conversation_id,
        Context(user_id=user_id),
        language=language,
        agent_id=agent_id,
        device_id=device_id,
        satellite_id=satellite_id,
    )


async def time_passes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """The clock moves on and everything timed for then has run."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def one_conversation(
    hass: HomeAssistant, *texts: str
) -> list[conversation.ConversationResult]:
    """Say each text after the last, all in one conversation."""
    results: list[conversation.ConversationResult] = []
    conversation_id = None
    for text in texts:
        results.append(await ask(hass, text, conversation_id))
        conversation_id = results[-1].conversation_id
    return results


TINY_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def tiny_jpeg_file(folder: Path, name: str) -> Path:
    """A tiny JPEG written to a file, as a turn attaches one."""
    path = folder / name
    path.write_bytes(TINY_JPEG)
    return path


def other_devices(hass: HomeAssistant, *names: str) -> list[str]:
    """Devices of another integration (a satellite's, a doorbell's): their ids."""
    owner = MockConfigEntry(domain="test")
    owner.add_to_hass(hass)
    registry = dr.async_get(hass)
    return [
        registry.async_get_or_create(
            config_entry_id=owner.entry_id, identifiers={("test", name)}
        ).id
        for name in names
    ]


async def run_turn_with_image(hass: HomeAssistant, text: str, path: Path) -> str:
    """Run one agent turn whose user message carries an image attachment.

    This is the path AI Task and the camera tool take; it returns the answer.
    """
    agent = confidant_agent(hass)
    with (
        chat_session_for(hass) as session,
        conversation.async_get_chat_log(hass, session) as chat_log,
    ):
        await chat_log.async_provide_llm_data(
            conversation.ConversationInput(
                text=text,
                context=Context(),
                conversation_id=session.conversation_id,
                device_id=None,
                satellite_id=None,
                language="en",
                agent_id=AGENT_ID,
            ).as_llm_context(DOMAIN),
            None,
            None,
            None,
        )
        chat_log.async_add_user_content(
            conversation.UserContent(
                content=text,
                attachments=[
                    conversation.Attachment(
                        media_content_id="media-source://camera/test",
                        mime_type="image/jpeg",
                        path=path,
                    )
                ],
            )
        )
        await agent.async_run_turn(chat_log)
        return str(chat_log.content[-1].content)


def speech(result: conversation.ConversationResult) -> str:
    """What the agent said."""
    return str(result.response.speech["plain"]["speech"])


WIRE_SAMPLES = Path(__file__).parent / "wire_samples"


def wire_sample(name: str) -> bytes:
    """A captured provider stream or error body (provenance in wire_samples/SOURCES.md)."""
    return (WIRE_SAMPLES / name).read_bytes()
