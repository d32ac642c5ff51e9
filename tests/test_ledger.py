"""The ledger of what left the house counts exactly what the provider received.

Every provider talks to the loopback server through Home Assistant; the
ledger's numbers are compared with the bytes the server recorded, request by
request, and with the images it decoded from them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_TIMEOUT,
    DOMAIN,
)
from custom_components.confidant.privacy.ledger import (
    KEEP_DAYS,
    Ledger,
    async_remove_ledger,
    storage_key,
)
from custom_components.confidant.privacy.meter import MeteredProvider

from .conftest import (
    PROVIDERS,
    TURN_ON_KITCHEN,
    Home,
    agent_subentry,
    ask,
    async_load_provider_entry,
    run_turn_with_image,
    speech,
    time_passes,
    tiny_jpeg_file,
)
from .llm_server import LLMServer, RecordedRequest, Reply
from .test_conformance import WIRES

CLOUD = {"openai", "anthropic"}  # 127.0.0.1 or not, the model is in the cloud
# Requests of the start-up check: the model list, then what the model can do
# (llama.cpp's /props and /v1/models; Ollama's /api/show).
STARTUP = {"openai": 1, "anthropic": 1, "ollama": 2, "openai_compatible": 3}
ROW_KEYS = {
    "date",
    "provider",
    "local",
    "requests",
    "bytes",
    "images",
    "tokens",
    "cached_tokens",
    "facts",
}


@pytest.fixture(params=PROVIDERS)
def kind(request: pytest.FixtureRequest) -> str:
    """The provider under test."""
    return str(request.param)


async def setup_entry(
    hass: HomeAssistant, kind: str, server: LLMServer
) -> MockConfigEntry:
    """Load an entry of `kind` against the loopback server, with one agent."""
    return await async_load_provider_entry(
        hass,
        server,
        kind,
        agent_subentry(**{CONF_TIMEOUT: 2.0}),
        title="Ledger test",
        options={CONF_ALLOW_CLOUD_IMAGES: True},
    )


@pytest.fixture
async def entry(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, kind: str
) -> MockConfigEntry:
    """A loaded entry of the provider under test."""
    return await setup_entry(hass, kind, llm_server)


def ledger_of(entry: MockConfigEntry) -> Ledger:
    """The entry's ledger."""
    ledger: Ledger = entry.runtime_data.ledger
    return ledger


def sensor_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The entity id of the entry's "sent to cloud today" sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_sent_to_cloud_today"
    )
    assert entity_id is not None
    return entity_id


def model_requests(server: LLMServer, kind: str) -> list[RecordedRequest]:
    """The model requests (not the start-up check) the server received."""
    return server.requests_to(WIRES[kind].path)


def server_images(kind: str, server: LLMServer) -> int:
    """How many images the server decoded from the model requests it received."""
    return sum(
        len(WIRES[kind].images(kind, request.json))
        for request in server.requests_to(WIRES[kind].path)
    )


async def converse(hass: HomeAssistant, server: LLMServer, tmp_path: Path) -> None:
    """A plain answer, a tool round, an image and an error: five model requests."""
    server.script(Reply(text="It is sunny."))
    assert speech(await ask(hass, "what's the weather like")) == "It is sunny."
    server.script(
        Reply(tool_calls=[TURN_ON_KITCHEN]),
        Reply(text="The kitchen is lit."),
    )
    assert speech(await ask(hass, "turn on the kitchen")) == "The kitchen is lit."
    path = tiny_jpeg_file(tmp_path, "porch.jpg")
    server.script(Reply(text="A parcel."))
    assert await run_turn_with_image(hass, "what is on the porch?", path) == "A parcel."
    # The server received this one and refused it: it left the house all the same.
    server.script(Reply(status=500))
    assert (await ask(hass, "hello")).response.response_type.value == "error"


async def test_ledger_matches_the_wire(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
    tmp_path: Path,
) -> None:
    """Requests, bytes and images are exactly what the server received."""
    await converse(hass, llm_server, tmp_path)

    # Requests: the model requests the server received. The start-up check
    # (the model list, what the model can do) reached it too, but carried
    # nothing of the household's: neither its requests nor its bytes count.
    received = llm_server.requests
    model_requests = llm_server.requests_to(WIRES[kind].path)
    assert len(model_requests) == 5
    assert len(received) == 5 + STARTUP[kind]
    today = ledger_of(entry).today()
    assert today.requests == len(model_requests)
    assert today.bytes == sum(len(request.body) for request in model_requests)
    assert today.bytes > 0
    assert today.images == server_images(kind, llm_server) == 1
    # The prompt tokens each answer's usage reported (Ollama: evaluated ones).
    reported = llm_server.reported
    # The refused request reported no usage.
    assert len(reported) == 4
    if kind == "ollama":
        assert today.tokens == sum(u.total - u.cached for u in reported)
    else:
        assert today.tokens == sum(u.total for u in reported)
        assert today.cached_tokens == sum(u.cached for u in reported)

    (row,) = ledger_of(entry).rows()
    assert set(row) == ROW_KEYS
    assert row["provider"] == kind
    assert row["local"] is (kind not in CLOUD)
    assert row["date"] == dt_util.now().date().isoformat()

    # One sensor, named for where the provider is, with a short entity id,
    # whose state and attributes count the same thing: what went to it.
    entity_id = sensor_id(hass, entry)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == str(today.bytes)
    assert state.attributes["unit_of_measurement"] == "B"
    assert state.attributes["device_class"] == "data_size"
    if kind in CLOUD:
        assert entity_id == "sensor.confidant_sent_to_cloud_today"
        assert state.attributes["friendly_name"] == "Ledger test Sent to cloud today"
    else:
        assert entity_id == "sensor.confidant_sent_to_model_server_today"
        assert (
            state.attributes["friendly_name"]
            == "Ledger test Sent to the model server today"
        )
    ours = {
        key: value
        for key, value in state.attributes.items()
        if key.endswith("_today") or key == "local"
    }
    assert ours == {
        "requests_today": len(model_requests),
        "images_today": 1,
        "facts_today": 0,
        "bytes_today": today.bytes,
        "local": kind not in CLOUD,
    }


@pytest.mark.parametrize("kind", ["openai"])
async def test_sensor_follows_each_request(
    hass: HomeAssistant, entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """The sensor changes as requests go out, on the entry's diagnostic service device."""
    entity_id = sensor_id(hass, entry)
    registered = er.async_get(hass).async_get(entity_id)
    assert registered is not None
    assert registered.entity_category is er.EntityCategory.DIAGNOSTIC
    assert registered.translation_key == "sent_to_cloud_today"
    device = dr.async_get(hass).async_get(registered.device_id or "")
    assert device is not None
    assert device.identifiers == {(DOMAIN, entry.entry_id)}
    assert device.name == "Ledger test"
    assert device.entry_type is dr.DeviceEntryType.SERVICE

    assert hass.states.get(entity_id).state == "0"  # The model list has no body.
    llm_server.script(Reply(text="Hello there."))
    await ask(hass, "hello")
    first = int(hass.states.get(entity_id).state)
    assert first == sum(len(r.body) for r in model_requests(llm_server, "openai")) > 0
    llm_server.script(Reply(text="Hello again."))
    await ask(hass, "hello again")
    assert int(hass.states.get(entity_id).state) > first


@pytest.mark.parametrize("kind", ["ollama", "anthropic"])
async def test_a_new_day_starts_at_local_midnight(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    kind: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    """At local midnight today's counts start from zero; yesterday stays in the ledger."""
    evening = datetime(2025, 3, 14, 23, 58, tzinfo=dt_util.get_default_time_zone())
    freezer.move_to(evening)
    entry = await setup_entry(hass, kind, llm_server)
    llm_server.script(Reply(text="Late, nearly midnight."))
    await ask(hass, "how late is it")
    entity_id = sensor_id(hass, entry)
    sent = sum(len(request.body) for request in model_requests(llm_server, kind))
    assert hass.states.get(entity_id).attributes["bytes_today"] == sent

    # Still the same day a minute before midnight.
    await time_passes(hass, freezer, timedelta(minutes=1))
    assert hass.states.get(entity_id).attributes["requests_today"] == 1

    freezer.move_to(evening + timedelta(minutes=2, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state.state == "0"
    assert state.attributes["requests_today"] == 0
    assert state.attributes["bytes_today"] == 0
    (yesterday,) = ledger_of(entry).rows()
    assert yesterday["date"] == "2025-03-14"
    assert yesterday["bytes"] == sent

    llm_server.script(Reply(text="Just after midnight."))
    await ask(hass, "and now?")
    assert [row["date"] for row in ledger_of(entry).rows()] == [
        "2025-03-14",
        "2025-03-15",
    ]
    assert ledger_of(entry).today().requests == 1

    # Days beyond the kept window are dropped at midnight.
    freezer.move_to(evening + timedelta(days=KEEP_DAYS - 1, minutes=2, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert [row["date"] for row in ledger_of(entry).rows()] == ["2025-03-15"]
    await time_passes(hass, freezer, timedelta(days=1))
    assert ledger_of(entry).rows() == []


@pytest.mark.parametrize("kind", ["openai_compatible", "anthropic"])
async def test_counts_survive_a_reload(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    tmp_path: Path,
    kind: str,
) -> None:
    """Unloading writes the counts; the reloaded entry goes on from them."""
    await converse(hass, llm_server, tmp_path)
    before = ledger_of(entry).today()

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    stored = hass_storage[storage_key(entry.entry_id)]["data"]
    (row,) = stored["days"]
    # Counts only: nothing but numbers, a date, the provider kind and a flag.
    assert set(row) == ROW_KEYS
    assert row["requests"] == before.requests
    assert "porch" not in str(stored) and "weather" not in str(stored)

    # The reload's own start-up check reached the server, but asked no model.
    after = ledger_of(entry).today()
    assert len(llm_server.requests_to("/v1/models")) >= 2
    assert after.requests == before.requests == 5
    assert after.bytes == before.bytes
    assert after.images == before.images == 1
    assert after.tokens == before.tokens > 0
    llm_server.script(Reply(text="Still counting."))
    await ask(hass, "still there?")
    assert ledger_of(entry).today().bytes == sum(
        len(request.body) for request in llm_server.requests
    )


@pytest.mark.parametrize("kind", ["ollama"])
async def test_unloaded_entry_stops_counting(
    hass: HomeAssistant, entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """The provider is metered while loaded; unloading keeps the stored counts."""
    provider = entry.runtime_data.provider
    assert isinstance(provider, MeteredProvider)
    assert provider.is_local
    entity_id = sensor_id(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # Two start-up model lists reached the server; neither asked the model.
    assert len(llm_server.requests_to("/api/tags")) == 2
    assert ledger_of(entry).today().requests == 0
    assert hass.states.get(entity_id).state == "0"


@pytest.mark.parametrize("kind", ["openai"])
async def test_removing_the_ledger_deletes_its_store(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """What an entry counted can be deleted with it."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert storage_key(entry.entry_id) in hass_storage
    await async_remove_ledger(hass, entry.entry_id)
    assert storage_key(entry.entry_id) not in hass_storage
