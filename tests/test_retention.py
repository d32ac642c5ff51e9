"""Transcript retention: kept only when chosen, only in Confidant's store, gone when due.

Two kinds of storage are used here, on purpose:

- Most tests keep Home Assistant's storage mocked in memory, as the test
  harness does by default (`hass_storage`: every `Store` reads and writes a
  dict, key -> saved JSON). That dict is exactly what would be on disk, so
  "the words are only in Confidant's store" is checked over *every* store
  Home Assistant saved.
- The file-level promises (the unreadable copy moved aside, no temporary file
  left, files removed with the entry) need real files: the `disk` fixture
  gives Home Assistant a temporary config directory and lets every `Store`
  read and write real files in its `.storage/` for the test.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
)

from custom_components.confidant.const import (
    CONF_EXCLUDED_DEVICES,
    CONF_EXCLUDED_USERS,
    CONF_PROVIDER,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    DOMAIN,
    PROVIDER_OPENAI_COMPATIBLE,
)
from custom_components.confidant.privacy.retention import (
    ISSUE_STORE_UNREADABLE,
    SAVE_DELAY,
    storage_key,
)

from .conftest import (
    AGENT_ID,
    TURN_ON_KITCHEN,
    Home,
    agent_subentry,
    ask,
    async_load_entry,
    other_devices,
    real_store_files,
    speech,
    time_passes,
)
from .llm_server import LLMServer, Reply
from .test_confirmation import (  # noqa: F401 - the fixture is used by name
    ASKS_UNLOCK,
    DEVICE,
    QUESTION,
    Sensitive,
    ask_to_unlock,
    sensitive,
)

ENTRY_ID = "01JTRANSCRIPTSTESTENTRY001"
KEY = storage_key(ENTRY_ID)
CHAT = "/v1/chat/completions"
KEEP: dict[str, Any] = {CONF_RETENTION_DAYS: 7, CONF_RETENTION_CONSENT: True}

# --- Helpers shared with the service and voice tests -------------------------


async def setup_confidant(
    hass: HomeAssistant,
    server: LLMServer,
    options: dict[str, Any] | None = None,
    *,
    entry_id: str = ENTRY_ID,
    entry_title: str = "Local model",
    **agent_options: Any,
) -> MockConfigEntry:
    """A loaded Confidant entry with these privacy options (KEEP by default)."""
    entry = await async_load_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            entry_id=entry_id,
            title=entry_title,
            data={CONF_PROVIDER: PROVIDER_OPENAI_COMPATIBLE, CONF_URL: server.url},
            options=KEEP if options is None else options,
            subentries_data=[agent_subentry(**agent_options)],  # type: ignore[list-item]
        ),
    )
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def flush(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let delayed store writes happen (Confidant's and Home Assistant's)."""
    await time_passes(hass, freezer, timedelta(seconds=max(SAVE_DELAY, 10) + 1))


async def say_and_save(
    hass: HomeAssistant,
    server: LLMServer,
    freezer: FrozenDateTimeFactory,
    words: str,
    answer: str,
) -> conversation.ConversationResult:
    """The person says the words, the model answers, the delayed writes happen."""
    server.script(Reply(text=answer))
    result = await ask(hass, words)
    await flush(hass, freezer)
    return result


async def call(
    hass: HomeAssistant, service: str, user: MockUser | None = None, **data: Any
) -> dict[str, Any]:
    """Call one of Confidant's actions (as this user) and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id if user else None),
    )
    assert response is not None
    return dict(response)


def kept(
    hass_storage: dict[str, Any], entry_id: str = ENTRY_ID
) -> list[dict[str, Any]]:
    """The turns saved in an entry's store (mocked storage)."""
    saved = hass_storage.get(storage_key(entry_id))
    return [] if saved is None else list(saved["data"]["turns"])


def kept_texts(hass_storage: dict[str, Any]) -> list[str]:
    """The person's words of every turn saved in the store, oldest first."""
    return [turn["text"] for turn in kept(hass_storage)]


async def saved_texts(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> list[str]:
    """The words of every turn saved, once the delayed writes are done."""
    await flush(hass, freezer)
    return kept_texts(hass_storage)


def remembered_texts(entry: MockConfigEntry) -> list[str]:
    """The words of every turn the entry holds in memory."""
    return [turn["text"] for turn in entry.runtime_data.transcripts.turns()]


def unreadable_issue(hass: HomeAssistant) -> ir.IssueEntry | None:
    """The repair issue raised for the entry's unreadable store, if any."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"{ISSUE_STORE_UNREADABLE}_{ENTRY_ID}"
    )


def stores_with(hass_storage: dict[str, Any], marker: str) -> set[str]:
    """The keys of every saved store whose JSON contains the marker."""
    return {key for key, saved in hass_storage.items() if marker in json.dumps(saved)}


def assert_nothing_kept(
    hass_storage: dict[str, Any], entry: MockConfigEntry, *markers: str
) -> None:
    """No transcript store, no marker in any store, no turn in memory."""
    assert KEY not in hass_storage
    for marker in markers:
        assert stores_with(hass_storage, marker) == set()
    assert entry.runtime_data.transcripts.turns() == []


def files_with(root: Path, marker: str) -> set[str]:
    """Every file under root whose bytes contain the marker, relative to root."""
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and marker.encode() in path.read_bytes()
    }


def temp_files(storage: Path) -> list[str]:
    """Temporary files Home Assistant's writes may leave in .storage."""
    return [path.name for path in storage.iterdir() if path.name.startswith("tmp")]


def put(storage: Path, name: str, content: str | bytes) -> Path:
    """Write a file into .storage, as something other than Confidant left it."""
    storage.mkdir(parents=True, exist_ok=True)
    path = storage / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def read(path: Path) -> str:
    """A file's text."""
    return path.read_text()


def permissions(path: Path) -> int:
    """A file's permission bits."""
    return stat.S_IMODE(path.stat().st_mode)


def matching(storage: Path, pattern: str) -> list[Path]:
    """The files in .storage whose names match the pattern."""
    return sorted(storage.glob(pattern))


def stored_turn(
    text: str, answer: str, when: datetime, **fields: Any
) -> dict[str, Any]:
    """A turn as Confidant stores it."""
    return {
        "id": f"turn-{text}",
        "time": dt_util.as_utc(when).isoformat(),
        "conversation_id": "conversation-1",
        "device_id": None,
        "user_id": None,
        "agent_id": AGENT_ID,
        "text": text,
        "answer": answer,
        "tools": [],
        **fields,
    }


def saved_store(*turns: dict[str, Any]) -> dict[str, Any]:
    """A store envelope as Home Assistant saves it."""
    return {
        "version": 1,
        "minor_version": 1,
        "key": KEY,
        "data": {"turns": list(turns)},
    }


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Every test gets its own config directory, so real files never mix."""
    return hass_tmp_config_dir


@pytest.fixture
def disk(hass: HomeAssistant) -> Iterator[Path]:
    """Every Store reads and writes real files in the test's .storage."""
    with real_store_files():
        yield Path(hass.config.path(".storage"))


# --- What is kept, and where ---------------------------------------------------


async def test_a_turn_is_kept_only_in_confidant_store(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Time, ids, agent, words, answer and tool names; in no other store."""
    await setup_confidant(hass, llm_server)
    llm_server.script(
        Reply(tool_calls=[TURN_ON_KITCHEN]), Reply(text="On. answer-marker-b71")
    )
    said_at = dt_util.utcnow()
    result = await ask(
        hass,
        "kitchen lights please, words-marker-a93",
        device_id="kitchen-satellite",
        user_id=hass_admin_user.id,
    )
    assert speech(result) == "On. answer-marker-b71"

    await flush(hass, freezer)
    [turn] = kept(hass_storage)
    assert turn.pop("id")
    assert dt_util.parse_datetime(turn.pop("time")) == said_at
    assert turn == {
        "conversation_id": result.conversation_id,
        "device_id": "kitchen-satellite",
        "user_id": hass_admin_user.id,
        "agent_id": AGENT_ID,
        "text": "kitchen lights please, words-marker-a93",
        "answer": "On. answer-marker-b71",
        "tools": ["intent__HassTurnOn"],
    }
    assert stores_with(hass_storage, "words-marker-a93") == {KEY}
    assert stores_with(hass_storage, "answer-marker-b71") == {KEY}


async def test_local_first_and_confirmed_turns_are_kept_end_phrases_not(
    hass: HomeAssistant,
    home: Home,
    sensitive: Sensitive,  # noqa: F811
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every answered path keeps its turn; "thanks" ends the conversation unkept."""
    await setup_confidant(hass, llm_server, local_first=True)

    local = await ask(hass, "turn on the kitchen lights")
    asked = await ask_to_unlock(hass, llm_server)
    assert speech(asked) == f"{QUESTION} {ASKS_UNLOCK}"
    done = await ask(hass, "yes", asked.conversation_id, DEVICE)
    assert speech(done) == "Done."
    await ask(hass, "thanks", asked.conversation_id, DEVICE)

    await flush(hass, freezer)
    turns = kept(hass_storage)
    assert [(t["text"], t["answer"], t["tools"]) for t in turns] == [
        ("turn on the kitchen lights", speech(local), ["HassTurnOn"]),
        ("unlock the front door", f"{QUESTION} {ASKS_UNLOCK}", ["intent__HassTurnOff"]),
        ("yes", "Done.", ["HassTurnOff"]),
    ]
    assert len(llm_server.requests_to(CHAT)) == 2


async def test_an_error_answer_is_kept_as_it_was_spoken(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A turn the model could not answer is kept with the error the person heard."""
    await setup_confidant(hass, llm_server)
    llm_server.script(Reply(status=500))
    result = await ask(hass, "what's the weather")
    await flush(hass, freezer)
    [turn] = kept(hass_storage)
    assert (turn["text"], turn["answer"]) == ("what's the weather", speech(result))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: True},
        {CONF_RETENTION_DAYS: 30, CONF_RETENTION_CONSENT: False},
        {CONF_RETENTION_DAYS: 30},
    ],
    ids=["default", "zero-days", "no-consent", "consent-missing"],
)
async def test_nothing_is_kept_unless_retention_is_on_and_agreed(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    options: dict[str, Any],
) -> None:
    """Retention off, or on without consent: no store, no words anywhere."""
    entry = await setup_confidant(hass, llm_server, options)
    await say_and_save(
        hass,
        llm_server,
        freezer,
        "remember this, words-marker-off",
        "Sure. answer-marker-off",
    )

    assert_nothing_kept(hass_storage, entry, "words-marker-off", "answer-marker-off")


async def test_excluded_devices_and_users_are_never_kept(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
) -> None:
    """A child's room device (also through its satellite) and a guest: not kept."""
    kids_room, living_room = other_devices(hass, "kids-room", "living-room")
    satellite = er.async_get(hass).async_get_or_create(
        "assist_satellite", "test", "kids-satellite", device_id=kids_room
    )
    guest = hass_read_only_user
    await setup_confidant(
        hass,
        llm_server,
        {
            **KEEP,
            CONF_EXCLUDED_DEVICES: [kids_room],
            CONF_EXCLUDED_USERS: [guest.id],
        },
    )
    llm_server.script(*(Reply(text=f"answer {n}") for n in range(5)))

    await ask(hass, "kids device secret", device_id=kids_room)
    await ask(hass, "kids satellite secret", satellite_id=satellite.entity_id)
    await ask(hass, "guest secret", device_id=living_room, user_id=guest.id)
    await ask(hass, "kept from the living room", device_id=living_room)
    await ask(hass, "kept from the owner", user_id=hass_admin_user.id)

    assert await saved_texts(hass, freezer, hass_storage) == [
        "kept from the living room",
        "kept from the owner",
    ]
    assert stores_with(hass_storage, "secret") == set()


# --- Expiry ---------------------------------------------------------------------


async def test_expired_turns_are_purged_every_hour(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """With 2 days of retention, a turn is gone within the hour after 2 days."""
    entry = await setup_confidant(
        hass, llm_server, {CONF_RETENTION_DAYS: 2, CONF_RETENTION_CONSENT: True}
    )
    llm_server.script(Reply(text="first answer"), Reply(text="second answer"))
    await ask(hass, "first words")
    freezer.tick(timedelta(days=1))
    await ask(hass, "second words")
    assert await saved_texts(hass, freezer, hass_storage) == [
        "first words",
        "second words",
    ]

    await time_passes(hass, freezer, timedelta(days=1, hours=1))

    assert kept_texts(hass_storage) == ["second words"]
    assert stores_with(hass_storage, "first words") == set()
    assert remembered_texts(entry) == ["second words"]


async def test_expired_turns_are_purged_at_start_up(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
) -> None:
    """A store that outlived its period while Home Assistant was off is purged."""
    now = dt_util.utcnow()
    hass_storage[KEY] = saved_store(
        stored_turn("from last month", "old", now - timedelta(days=30)),
        stored_turn("from yesterday", "recent", now - timedelta(days=1)),
    )
    entry = await setup_confidant(hass, llm_server)

    assert kept_texts(hass_storage) == ["from yesterday"]
    assert remembered_texts(entry) == ["from yesterday"]


# --- Turning retention off, reloading, removing --------------------------------


async def test_kept_turns_survive_a_reload_and_go_when_retention_is_turned_off(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A restart keeps them; 0 days (the entry reloads) deletes everything kept."""
    entry = await setup_confidant(hass, llm_server)
    llm_server.script(Reply(text="noted, answer-marker-r"))
    await ask(hass, "keep this, words-marker-r")

    # Reloading flushes the pending write and reads it back.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert remembered_texts(entry) == ["keep this, words-marker-r"]

    hass.config_entries.async_update_entry(
        entry, options={CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: True}
    )
    await hass.async_block_till_done()
    await flush(hass, freezer)

    assert entry.state is ConfigEntryState.LOADED
    assert_nothing_kept(hass_storage, entry, "words-marker-r", "answer-marker-r")


async def test_withdrawing_consent_deletes_everything_kept(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Days still set but consent withdrawn: nothing may stay."""
    entry = await setup_confidant(hass, llm_server)
    await say_and_save(hass, llm_server, freezer, "words-marker-c", "ok")
    assert stores_with(hass_storage, "words-marker-c") == {KEY}

    hass.config_entries.async_update_entry(
        entry, options={CONF_RETENTION_DAYS: 7, CONF_RETENTION_CONSENT: False}
    )
    await hass.async_block_till_done()
    assert stores_with(hass_storage, "words-marker-c") == set()


# --- Real files -----------------------------------------------------------------


async def test_on_disk_the_words_are_only_in_confidant_store_file(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    disk: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Scanning the whole config directory finds the words in one private file."""
    await setup_confidant(hass, llm_server)
    llm_server.script(
        Reply(tool_calls=[TURN_ON_KITCHEN]), Reply(text="answer-marker-d")
    )
    await ask(hass, "words-marker-d")
    await flush(hass, freezer)
    # Long enough for every delayed write of Home Assistant's own stores.
    await time_passes(hass, freezer, timedelta(minutes=5))

    root = Path(hass.config.config_dir)
    assert files_with(root, "words-marker-d") == {f".storage/{KEY}"}
    assert files_with(root, "answer-marker-d") == {f".storage/{KEY}"}
    assert permissions(disk / KEY) == 0o600
    assert temp_files(disk) == []


async def test_an_unreadable_store_is_moved_aside_and_never_stops_confidant(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    disk: Path,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Corrupt file -> loads, repair issue, fresh store; delete-all removes the copy."""
    put(
        disk,
        KEY,
        '{"version": 1, "minor_version": 1, "key": "' + KEY + '", "data": '
        '{"turns": [{"text": "corrupt-marker-55", "answer": "cut off',
    )

    entry = await setup_confidant(hass, llm_server)

    issue = unreadable_issue(hass)
    assert issue is not None
    assert issue.translation_key == ISSUE_STORE_UNREADABLE
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    # Confidant handled it: Home Assistant's own corruption issue is not raised.
    assert not [
        i
        for i in ir.async_get(hass).issues.values()
        if i.translation_key == "storage_corruption"
    ]
    [copy] = matching(disk, f"{KEY}.unreadable.*")
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["file"] == copy.name
    assert matching(disk, KEY) == []

    await say_and_save(
        hass, llm_server, freezer, "fresh words-marker-56", "fresh answer"
    )
    fresh = json.loads(read(disk / KEY))
    assert [turn["text"] for turn in fresh["data"]["turns"]] == [
        "fresh words-marker-56"
    ]

    exported = await call(hass, "export_transcripts", hass_admin_user)
    [exported_entry] = exported["config_entries"]
    assert exported_entry["unreadable_files"] == [copy.name]

    deleted = await call(hass, "delete_transcripts", hass_admin_user, scope="all")
    assert deleted == {"deleted": 1}
    root = Path(hass.config.config_dir)
    assert files_with(root, "corrupt-marker-55") == set()
    assert files_with(root, "words-marker-56") == set()
    assert matching(disk, f"{KEY}*") == []
    assert temp_files(disk) == []
    assert unreadable_issue(hass) is None
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01 not json",
        b'{"version": 1, "data": {"turns": "not a list"}}',
        b'{"version": 99, "data": {"turns": []}}',
    ],
    ids=["binary", "wrong-shape", "future-version"],
)
async def test_any_unreadable_store_is_set_aside(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    disk: Path,
    content: bytes,
) -> None:
    """Garbage, a shape Confidant never wrote, a newer version: all set aside."""
    put(disk, KEY, content)
    entry = await setup_confidant(hass, llm_server)
    assert [copy.read_bytes() for copy in matching(disk, f"{KEY}.unreadable.*")] == [
        content
    ]
    assert unreadable_issue(hass)
    assert entry.runtime_data.transcripts.turns() == []


async def test_an_unreadable_copy_expires_with_the_retention_period(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    disk: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """What the copy holds is older than its move: it goes when the period ends."""
    put(disk, KEY, "{corrupt-marker-exp")
    await setup_confidant(
        hass, llm_server, {CONF_RETENTION_DAYS: 1, CONF_RETENTION_CONSENT: True}
    )
    assert len(matching(disk, f"{KEY}.unreadable.*")) == 1

    await time_passes(hass, freezer, timedelta(days=1, hours=1))

    assert matching(disk, f"{KEY}.unreadable.*") == []
    assert files_with(Path(hass.config.config_dir), "corrupt-marker-exp") == set()
    assert unreadable_issue(hass) is None


def crash_leftover(storage: Path, name: str, key: str, marker: str) -> Path:
    """A temporary file cut off mid-write, as a crash during a save leaves it."""
    path = storage / name
    path.write_text(
        '{"version": 1, "minor_version": 1, "key": "'
        + key
        + '", "data": {"turns": [{"text": "'
        + marker
    )
    return path


async def test_removing_the_entry_deletes_every_file_it_wrote(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    disk: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Store, moved-aside copy and a crash's temp file go; other files stay."""
    entry = await setup_confidant(hass, llm_server)
    await say_and_save(hass, llm_server, freezer, "words-marker-rm", "answer-marker-rm")
    put(disk, f"{KEY}.unreadable.20250101T000000000000Z", "words-marker-rm")
    crash_leftover(disk, "tmpk2l9x0ab", KEY, "words-marker-rm")
    unrelated = crash_leftover(disk, "tmpunrelated", "core.restore_state", "other")

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    root = Path(hass.config.config_dir)
    assert files_with(root, "words-marker-rm") == set()
    assert files_with(root, "answer-marker-rm") == set()
    assert matching(disk, f"{KEY}*") == []
    # The ledger (saved when the entry unloads on removal) goes too.
    assert matching(disk, "confidant.*") == []
    assert unrelated.exists()


async def test_turning_retention_off_deletes_every_file(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    disk: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The reload with 0 days leaves no file with the words behind."""
    entry = await setup_confidant(hass, llm_server)
    await say_and_save(
        hass, llm_server, freezer, "words-marker-off2", "answer-marker-off2"
    )
    assert matching(disk, KEY) == [disk / KEY]
    put(disk, f"{KEY}.unreadable.20250101T000000000000Z", "words-marker-off2")

    hass.config_entries.async_update_entry(entry, options={CONF_RETENTION_DAYS: 0})
    await hass.async_block_till_done()

    assert files_with(Path(hass.config.config_dir), "words-marker-off2") == set()
    assert matching(disk, f"{KEY}*") == []


async def test_a_deletion_rewrites_the_file_and_leaves_no_temp_file(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    disk: Path,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Deleting one conversation: its words leave every file; the other stays."""
    await setup_confidant(hass, llm_server)
    llm_server.script(Reply(text="first answer"), Reply(text="second answer"))
    first = await ask(hass, "words-marker-gone")
    await ask(hass, "words-marker-stays")
    await flush(hass, freezer)
    crash_leftover(disk, "tmpcrash0001", KEY, "words-marker-gone")

    deleted = await call(
        hass,
        "delete_transcripts",
        hass_admin_user,
        scope="conversation",
        conversation_id=first.conversation_id,
    )

    assert deleted == {"deleted": 1}
    root = Path(hass.config.config_dir)
    assert files_with(root, "words-marker-gone") == set()
    assert files_with(root, "words-marker-stays") == {f".storage/{KEY}"}
    assert temp_files(disk) == []
