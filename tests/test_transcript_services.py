"""The transcript actions: list, export and delete, for administrators only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import probatio as vol
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.confidant.const import (
    CONF_EXCLUDED_DEVICES,
    CONF_EXCLUDED_USERS,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    DOMAIN,
)

from .conftest import AGENT_ID, Home, ask, other_devices
from .llm_server import LLMServer, Reply
from .test_retention import (
    ENTRY_ID,
    KEEP,
    KEY,
    call,
    flush,
    kept,
    kept_texts,
    saved_store,
    setup_confidant,
    stored_turn,
)

SERVICES = ("list_transcripts", "export_transcripts", "delete_transcripts")
TURN_FIELDS = {
    "id",
    "time",
    "conversation_id",
    "device_id",
    "user_id",
    "agent_id",
    "text",
    "answer",
    "tools",
    "config_entry_id",
}


def texts(response: dict[str, Any]) -> list[str]:
    """The person's words of every listed turn, in the order listed."""
    return [turn["text"] for turn in response["transcripts"]]


class Recorded:
    """Four turns, a day apart, from two devices, two users, three conversations."""

    def __init__(self) -> None:
        self.conversations: list[str] = []


@pytest.fixture
async def devices(hass: HomeAssistant) -> tuple[str, str]:
    """Two satellites' devices."""
    kitchen, bedroom = other_devices(hass, "kitchen", "bedroom")
    return kitchen, bedroom


@pytest.fixture
async def recorded(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    freezer: FrozenDateTimeFactory,
    devices: tuple[str, str],
    hass_admin_user: MockUser,
) -> Recorded:
    """One entry that kept four turns over four days."""
    kitchen, bedroom = devices
    await setup_confidant(hass, llm_server)
    freezer.move_to("2025-03-10T12:00:00+00:00")
    llm_server.script(*(Reply(text=f"answer {n}") for n in range(4)))
    out = Recorded()
    first = await ask(hass, "day one in the kitchen", device_id=kitchen)
    freezer.tick(timedelta(days=1))
    second = await ask(
        hass, "day two in the kitchen", first.conversation_id, device_id=kitchen
    )
    assert second.conversation_id == first.conversation_id
    freezer.tick(timedelta(days=1))
    third = await ask(hass, "day three in the bedroom", device_id=bedroom)
    freezer.tick(timedelta(days=1))
    fourth = await ask(hass, "day four from the owner", user_id=hass_admin_user.id)
    out.conversations = [
        first.conversation_id,
        third.conversation_id,
        fourth.conversation_id,
    ]
    await flush(hass, freezer)
    return out


# --- Who may call ---------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
async def test_only_administrators_may_call(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    hass_read_only_user: MockUser,
    service: str,
) -> None:
    """A non-admin user gets an authorization error, and nothing is deleted."""
    await setup_confidant(hass, llm_server)
    llm_server.script(Reply(text="ok"))
    await ask(hass, "still here")
    await flush(hass, freezer)

    data = {"scope": "all"} if service == "delete_transcripts" else {}
    with pytest.raises(Unauthorized):
        await call(hass, service, hass_read_only_user, **data)
    assert kept_texts(hass_storage) == ["still here"]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_actions_only_answer_with_response_data(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, service: str
) -> None:
    """Called without asking for the response, each action is refused."""
    await setup_confidant(hass, llm_server)
    data = {"scope": "all"} if service == "delete_transcripts" else {}
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(DOMAIN, service, data, blocking=True)


# --- list_transcripts -----------------------------------------------------------


async def test_list_returns_every_turn_newest_first(
    hass: HomeAssistant, recorded: Recorded, hass_admin_user: MockUser
) -> None:
    """Every field, one entry's id on each turn, newest first."""
    response = await call(hass, "list_transcripts", hass_admin_user)
    assert texts(response) == [
        "day four from the owner",
        "day three in the bedroom",
        "day two in the kitchen",
        "day one in the kitchen",
    ]
    newest = response["transcripts"][0]
    assert set(newest) == TURN_FIELDS
    assert newest["config_entry_id"] == ENTRY_ID
    assert newest["agent_id"] == AGENT_ID
    assert newest["user_id"] == hass_admin_user.id
    assert newest["answer"] == "answer 3"
    assert newest["tools"] == []
    assert newest["time"] == "2025-03-13T12:00:00+00:00"


async def test_list_filters(
    hass: HomeAssistant,
    recorded: Recorded,
    devices: tuple[str, str],
    hass_admin_user: MockUser,
) -> None:
    """Since, until, device, user, conversation and limit narrow the list."""
    kitchen, bedroom = devices

    async def listed(**data: Any) -> list[str]:
        return texts(await call(hass, "list_transcripts", hass_admin_user, **data))

    assert await listed(since="2025-03-12T00:00:00+00:00") == [
        "day four from the owner",
        "day three in the bedroom",
    ]
    assert await listed(until="2025-03-11T12:00:00+00:00") == [
        "day two in the kitchen",
        "day one in the kitchen",
    ]
    assert await listed(
        since="2025-03-11T00:00:00+00:00", until="2025-03-12T23:00:00+00:00"
    ) == ["day three in the bedroom", "day two in the kitchen"]
    assert await listed(device_id=kitchen) == [
        "day two in the kitchen",
        "day one in the kitchen",
    ]
    assert await listed(device_id=bedroom) == ["day three in the bedroom"]
    assert await listed(user_id=hass_admin_user.id) == ["day four from the owner"]
    assert await listed(conversation_id=recorded.conversations[0]) == [
        "day two in the kitchen",
        "day one in the kitchen",
    ]
    assert await listed(limit=1) == ["day four from the owner"]
    assert await listed(device_id=kitchen, limit=1) == ["day two in the kitchen"]
    assert await listed(device_id="no-such-device") == []


async def test_list_with_retention_off_is_empty(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Nothing kept, nothing listed, and the answer says why."""
    await setup_confidant(hass, llm_server, {})
    llm_server.script(Reply(text="ok"))
    await ask(hass, "not kept")
    await flush(hass, freezer)
    assert await call(hass, "list_transcripts", hass_admin_user) == {
        "transcripts": [],
        "kept": False,
        "message": "Confidant keeps no transcripts: retention is off, so there is"
        " nothing to list. To keep them, turn it on under the Confidant entry's"
        " Configure button.",
    }


async def test_list_says_it_in_the_language_of_home_assistant(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_admin_user: MockUser,
) -> None:
    """The sentence is in Home Assistant's language."""
    await hass.config.async_update(language="de")
    await setup_confidant(hass, llm_server, {})
    response = await call(hass, "list_transcripts", hass_admin_user)
    assert response["kept"] is False
    assert response["message"].startswith("Confidant bewahrt keine Transkripte auf")


async def test_list_by_person(
    hass: HomeAssistant,
    recorded: Recorded,
    hass_admin_user: MockUser,
) -> None:
    """A person, chosen with the person selector, stands for their user's turns."""
    assert await async_setup_component(
        hass,
        "person",
        {
            "person": [
                {"id": "owner", "name": "Owner", "user_id": hass_admin_user.id},
                {"id": "visitor", "name": "Visitor"},
            ]
        },
    )
    await hass.async_block_till_done()
    response = await call(
        hass, "list_transcripts", hass_admin_user, person="person.owner"
    )
    assert response["kept"] is True
    assert "message" not in response
    assert texts(response) == ["day four from the owner"]
    with pytest.raises(ServiceValidationError) as raised:
        await call(hass, "list_transcripts", hass_admin_user, person="person.visitor")
    assert raised.value.translation_key == "person_without_user"
    # A person or a user id, not both.
    with pytest.raises(vol.Invalid):
        await call(
            hass,
            "list_transcripts",
            hass_admin_user,
            person="person.owner",
            user_id=hass_admin_user.id,
        )


# --- export_transcripts -----------------------------------------------------------


async def test_export_is_everything_kept_with_the_settings_in_force(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    freezer: FrozenDateTimeFactory,
    devices: tuple[str, str],
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
) -> None:
    """Per entry: id, title, retention settings, every turn oldest first."""
    kitchen, _ = devices
    options = {
        CONF_RETENTION_DAYS: 30,
        CONF_RETENTION_CONSENT: True,
        CONF_EXCLUDED_DEVICES: [kitchen],
        CONF_EXCLUDED_USERS: [hass_read_only_user.id],
    }
    await setup_confidant(hass, llm_server, options)
    llm_server.script(Reply(text="first answer"), Reply(text="second answer"))
    await ask(hass, "first words")
    freezer.tick(timedelta(minutes=1))
    await ask(hass, "second words")
    await flush(hass, freezer)

    exported = await call(hass, "export_transcripts", hass_admin_user)

    assert dt_util.parse_datetime(exported["exported_at"]) == dt_util.utcnow()
    [entry] = exported["config_entries"]
    assert entry["config_entry_id"] == ENTRY_ID
    assert entry["title"] == "Local model"
    assert entry["retention"] == {
        "enabled": True,
        "retention_days": 30,
        "retention_consent": True,
        "excluded_devices": [kitchen],
        "excluded_users": [hass_read_only_user.id],
    }
    assert [(t["text"], t["answer"]) for t in entry["transcripts"]] == [
        ("first words", "first answer"),
        ("second words", "second answer"),
    ]
    assert set(entry["transcripts"][0]) == TURN_FIELDS - {"config_entry_id"}
    assert entry["unreadable_files"] == []


async def test_export_of_an_entry_with_retention_off(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_admin_user: MockUser,
) -> None:
    """The settings say that nothing is kept, and nothing is."""
    await setup_confidant(hass, llm_server, {})
    exported = await call(hass, "export_transcripts", hass_admin_user)
    [entry] = exported["config_entries"]
    assert entry["retention"]["enabled"] is False
    assert entry["retention"]["retention_days"] == 0
    assert entry["transcripts"] == []


# --- delete_transcripts -----------------------------------------------------------


async def test_delete_all(
    hass: HomeAssistant,
    recorded: Recorded,
    hass_storage: dict[str, Any],
    hass_admin_user: MockUser,
) -> None:
    """Everything goes, from memory and the store."""
    assert await call(hass, "delete_transcripts", hass_admin_user, scope="all") == {
        "deleted": 4
    }
    assert KEY not in hass_storage
    assert texts(await call(hass, "list_transcripts", hass_admin_user)) == []


async def test_delete_a_time_range(
    hass: HomeAssistant,
    recorded: Recorded,
    hass_storage: dict[str, Any],
    hass_admin_user: MockUser,
) -> None:
    """Since and until, or only one of them."""
    response = await call(
        hass,
        "delete_transcripts",
        hass_admin_user,
        scope="time_range",
        since="2025-03-11T00:00:00+00:00",
        until="2025-03-12T23:00:00+00:00",
    )
    assert response == {"deleted": 2}
    assert kept_texts(hass_storage) == [
        "day one in the kitchen",
        "day four from the owner",
    ]
    response = await call(
        hass,
        "delete_transcripts",
        hass_admin_user,
        scope="time_range",
        until="2025-03-10T23:00:00+00:00",
    )
    assert response == {"deleted": 1}
    assert kept_texts(hass_storage) == ["day four from the owner"]


async def test_delete_a_device(
    hass: HomeAssistant,
    recorded: Recorded,
    devices: tuple[str, str],
    hass_storage: dict[str, Any],
    hass_admin_user: MockUser,
) -> None:
    """What one device heard goes; the rest stays."""
    kitchen, _ = devices
    response = await call(
        hass, "delete_transcripts", hass_admin_user, scope="device", device_id=kitchen
    )
    assert response == {"deleted": 2}
    assert kept_texts(hass_storage) == [
        "day three in the bedroom",
        "day four from the owner",
    ]


async def test_delete_a_conversation(
    hass: HomeAssistant,
    recorded: Recorded,
    hass_storage: dict[str, Any],
    hass_admin_user: MockUser,
) -> None:
    """One conversation goes; the rest stays."""
    response = await call(
        hass,
        "delete_transcripts",
        hass_admin_user,
        scope="conversation",
        conversation_id=recorded.conversations[1],
    )
    assert response == {"deleted": 1}
    assert "day three in the bedroom" not in kept_texts(hass_storage)
    assert len(kept(hass_storage)) == 3


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({"scope": "time_range"}, "delete_needs_time_range"),
        ({"scope": "device"}, "delete_needs_device"),
        ({"scope": "conversation"}, "delete_needs_conversation"),
    ],
)
async def test_a_scope_without_its_fields_is_refused(
    hass: HomeAssistant,
    recorded: Recorded,
    hass_storage: dict[str, Any],
    hass_admin_user: MockUser,
    data: dict[str, Any],
    translation_key: str,
) -> None:
    """A time range needs a time, a device a device, a conversation its id."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "delete_transcripts", hass_admin_user, **data)
    assert err.value.translation_key == translation_key
    assert len(kept(hass_storage)) == 4


async def test_a_scope_is_required(
    hass: HomeAssistant, recorded: Recorded, hass_admin_user: MockUser
) -> None:
    """Deleting never defaults to everything."""
    with pytest.raises(Exception, match="scope"):
        await call(hass, "delete_transcripts", hass_admin_user)


# --- Which entries ----------------------------------------------------------------


async def test_an_action_covers_one_entry_or_all(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """config_entry_id picks one Confidant entry; without it, every entry."""
    await setup_confidant(hass, llm_server)
    second_id = "01JTRANSCRIPTSTESTENTRY002"
    await setup_confidant(
        hass,
        llm_server,
        entry_id=second_id,
        entry_title="Second model",
        title="Second agent",
    )
    second_agent = "conversation.second_agent"
    llm_server.script(Reply(text="one"), Reply(text="two"))
    await ask(hass, "to the first")
    await ask(hass, "to the second", agent_id=second_agent)
    await flush(hass, freezer)

    everything = await call(hass, "list_transcripts", hass_admin_user)
    assert sorted(
        (t["config_entry_id"], t["agent_id"], t["text"])
        for t in everything["transcripts"]
    ) == [
        (ENTRY_ID, AGENT_ID, "to the first"),
        (second_id, second_agent, "to the second"),
    ]
    only_second = await call(
        hass, "list_transcripts", hass_admin_user, config_entry_id=second_id
    )
    assert texts(only_second) == ["to the second"]
    exported = await call(
        hass, "export_transcripts", hass_admin_user, config_entry_id=ENTRY_ID
    )
    assert [e["config_entry_id"] for e in exported["config_entries"]] == [ENTRY_ID]

    deleted = await call(
        hass,
        "delete_transcripts",
        hass_admin_user,
        config_entry_id=second_id,
        scope="all",
    )
    assert deleted == {"deleted": 1}
    assert texts(await call(hass, "list_transcripts", hass_admin_user)) == [
        "to the first"
    ]


async def test_an_unknown_or_foreign_entry_is_refused(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_admin_user: MockUser,
) -> None:
    """Only Confidant entries are meant."""
    await setup_confidant(hass, llm_server)
    foreign = MockConfigEntry(domain="test")
    foreign.add_to_hass(hass)
    for entry_id in ("no-such-entry", foreign.entry_id):
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass, "list_transcripts", hass_admin_user, config_entry_id=entry_id
            )
        assert err.value.translation_key == "entry_not_found"


async def test_a_stopped_entry_can_still_be_listed_and_deleted(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    hass_admin_user: MockUser,
) -> None:
    """An entry whose provider is down still answers from disk, and deletes."""
    now = dt_util.utcnow()
    hass_storage[KEY] = saved_store(stored_turn("kept before the outage", "ok", now))
    llm_server.models_status = 500
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Down",
        data={"provider": "openai_compatible", "url": llm_server.url},
        options=KEEP,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY

    listed = await call(hass, "list_transcripts", hass_admin_user)
    assert texts(listed) == ["kept before the outage"]
    deleted = await call(hass, "delete_transcripts", hass_admin_user, scope="all")
    assert deleted == {"deleted": 1}
    assert KEY not in hass_storage
