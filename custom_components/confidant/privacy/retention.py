"""Transcript retention: what Confidant keeps on disk, and only when asked to.

By default Confidant keeps nothing: a conversation lives in the agent's
short-term memory for a few minutes and is gone. Only when an entry's options
say so (`retention_days` of at least 1 *and* the household's consent) does
each answered turn go into a Home Assistant store of its own, one per config
entry, in `.storage/confidant.transcripts.<entry_id>`:

    time, conversation id, device id, user id, agent entity id,
    the person's words, the answer, the names of the tools the model
    called (for a turn Home Assistant handled itself, the intent it ran)

Never audio, never images. Devices and users the household excluded are never
kept. Turns older than the retention period are purged at start-up and every
hour. Turning retention off (or withdrawing consent) deletes everything at
the next start of the entry; removing the entry deletes its files.

Files. Home Assistant's `Store` writes through a temporary file in
`.storage/` (named `tmp…`) that it renames over the store, so a deleted
turn's text is gone from every file once the rewrite is done. A temporary
file can only survive a crash in the middle of a write; every deletion and
every start-up looks for such leftovers that carry this store's key and
removes them. A store that cannot be read never stops the integration: the
file is moved aside as `<store>.unreadable.<UTC time>`, a repair issue says
so, and new turns go to a fresh store. Nothing in a moved-aside copy can be
listed or exported, so *any* deletion removes it (Confidant cannot tell what
it holds), and so does the purge once the retention period has passed since
it was moved aside.

Nothing here logs what was said, at any level.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypedDict

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.util import dt as dt_util
from homeassistant.util import ulid as ulid_util
from homeassistant.util.json import json_loads

from ..const import (
    CONF_EXCLUDED_DEVICES,
    CONF_EXCLUDED_USERS,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    DEFAULT_RETENTION_DAYS,
    DOMAIN,
    LOGGER,
    MAX_RETENTION_DAYS,
)
from ..context_key import ContextKey

STORAGE_VERSION: Final = 1
# Seconds between a new turn and its write; deletions write at once, and
# unloading and Home Assistant's final write flush sooner.
SAVE_DELAY: Final = 5
PURGE_INTERVAL: Final = timedelta(hours=1)
# How far back "forget what I just said" looks when the person's last turn
# belongs to an earlier conversation of the same device and user.
JUST_SAID: Final = timedelta(minutes=10)

ISSUE_STORE_UNREADABLE: Final = "store_unreadable"

# `<store>.unreadable.<UTC time>`: a copy moved aside because it was unreadable.
_UNREADABLE: Final = ".unreadable."
_STAMP_FORMAT: Final = "%Y%m%dT%H%M%S%fZ"
# Home Assistant's temporary files (tempfile's and atomicwrites' default prefix).
_TEMP_PREFIX: Final = "tmp"
# The head of a temporary file that is read to find its store's key.
_TEMP_HEAD: Final = 4096

_FIELDS: Final[Mapping[str, tuple[type, ...]]] = {
    "id": (str,),
    "time": (str,),
    "conversation_id": (str,),
    "device_id": (str, type(None)),
    "user_id": (str, type(None)),
    "agent_id": (str,),
    "text": (str,),
    "answer": (str,),
    "tools": (list,),
}


def storage_key(entry_id: str) -> str:
    """The store of one entry's transcripts."""
    return f"{DOMAIN}.transcripts.{entry_id}"


def _issue_id(entry_id: str) -> str:
    return f"{ISSUE_STORE_UNREADABLE}_{entry_id}"


class TranscriptTurn(TypedDict):
    """One answered turn, as kept and as the actions return it."""

    id: str
    time: str  # ISO 8601, UTC
    conversation_id: str
    device_id: str | None
    user_id: str | None
    agent_id: str
    text: str
    answer: str
    tools: list[str]


type TurnPredicate = Callable[[TranscriptTurn], bool]


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """The retention choices of an entry, read from its options."""

    days: int = DEFAULT_RETENTION_DAYS
    consent: bool = False
    excluded_devices: frozenset[str] = frozenset()
    excluded_users: frozenset[str] = frozenset()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RetentionSettings:
        """Read the options; anything missing or malformed keeps nothing."""
        try:
            days = int(options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS))
        except TypeError, ValueError:
            days = 0
        return cls(
            days=max(0, min(days, MAX_RETENTION_DAYS)),
            consent=options.get(CONF_RETENTION_CONSENT) is True,
            excluded_devices=frozenset(options.get(CONF_EXCLUDED_DEVICES) or ()),
            excluded_users=frozenset(options.get(CONF_EXCLUDED_USERS) or ()),
        )

    @property
    def enabled(self) -> bool:
        """Whether turns are kept at all."""
        return self.days >= 1 and self.consent

    def as_dict(self) -> dict[str, Any]:
        """The settings in force, for the export."""
        return {
            "enabled": self.enabled,
            CONF_RETENTION_DAYS: self.days,
            CONF_RETENTION_CONSENT: self.consent,
            CONF_EXCLUDED_DEVICES: sorted(self.excluded_devices),
            CONF_EXCLUDED_USERS: sorted(self.excluded_users),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnFilter:
    """Which turns a list or deletion means; empty fields match every turn."""

    since: datetime | None = None
    until: datetime | None = None
    device_id: str | None = None
    user_id: str | None = None
    conversation_id: str | None = None


def turn_time(turn: TranscriptTurn) -> datetime:
    """When the turn was answered (UTC)."""
    return datetime.fromisoformat(turn["time"])


def _valid_turns(data: Any) -> list[TranscriptTurn] | None:
    """The turns of a store's data, or None when it is not what Confidant wrote."""
    if not isinstance(data, dict) or not isinstance(turns := data.get("turns"), list):
        return None
    for turn in turns:
        if not isinstance(turn, dict) or any(
            not isinstance(turn.get(name), kinds) for name, kinds in _FIELDS.items()
        ):
            return None
        if not all(isinstance(tool, str) for tool in turn["tools"]):
            return None
        try:
            when = datetime.fromisoformat(turn["time"])
        except ValueError:
            return None
        if when.tzinfo is None:
            return None
    valid: list[TranscriptTurn] = turns
    return sorted(valid, key=turn_time)


# --- Files (run in the executor) ----------------------------------------------


def _file_is_readable(path: Path) -> bool:
    """Whether the store file is missing or holds what Confidant writes."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        data = json_loads(raw)
    except ValueError:
        return False
    return (
        isinstance(data, dict)
        and isinstance(version := data.get("version"), int)
        and 1 <= version <= STORAGE_VERSION
        and _valid_turns(data.get("data")) is not None
    )


def _move_aside(path: Path, stamp: str) -> str | None:
    """Move an unreadable store out of the way; the new file's name, if moved."""
    target = path.with_name(f"{path.name}{_UNREADABLE}{stamp}")
    try:
        path.replace(target)
    except FileNotFoundError:
        return None
    except OSError as err:
        # The next write replaces it instead; the error never carries content.
        LOGGER.warning("Could not move the unreadable %s aside: %s", path.name, err)
        return None
    return target.name


def _unreadable_copies(directory: Path, key: str) -> dict[Path, datetime | None]:
    """The moved-aside copies of a store, with when they were moved aside."""
    copies: dict[Path, datetime | None] = {}
    try:
        names = [path.name for path in directory.iterdir()]
    except FileNotFoundError:
        return copies
    prefix = f"{key}{_UNREADABLE}"
    for name in names:
        if name.startswith(prefix):
            try:
                moved = datetime.strptime(
                    name.removeprefix(prefix), _STAMP_FORMAT
                ).replace(tzinfo=UTC)
            except ValueError:
                moved = None
            copies[directory / name] = moved
    return copies


def _leftovers(directory: Path, key: str) -> list[Path]:
    """Files of this store besides the store itself.

    Moved-aside copies (Confidant's `.unreadable.` and Home Assistant's own
    `.corrupt.`), and temporary files a crash left in the middle of a write,
    recognised by the store key at their start.
    """
    try:
        names = [path.name for path in directory.iterdir()]
    except FileNotFoundError:
        return []
    marker = re.compile(rb'"key"\s*:\s*"' + re.escape(key.encode()) + rb'"')
    found: list[Path] = []
    for name in names:
        path = directory / name
        if name.startswith(f"{key}."):
            found.append(path)
        elif name.startswith(_TEMP_PREFIX) and path.is_file():
            try:
                with path.open("rb") as file:
                    head = file.read(_TEMP_HEAD)
            except OSError:
                continue
            if marker.search(head):
                found.append(path)
    return found


def _remove(paths: list[Path]) -> int:
    removed = 0
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as err:
            LOGGER.warning("Could not delete %s: %s", path.name, err)
            continue
        removed += 1
    return removed


def _remove_temp_files(directory: Path, key: str) -> None:
    _remove([p for p in _leftovers(directory, key) if p.name.startswith(_TEMP_PREFIX)])


def _remove_leftovers(directory: Path, key: str) -> int:
    """Remove every file of the store except the store; how many remain after."""
    _remove(_leftovers(directory, key))
    return len(_unreadable_copies(directory, key))


def _remove_expired_copies(directory: Path, key: str, cutoff: datetime) -> int:
    """Remove copies moved aside before the cutoff; how many copies remain."""
    copies = _unreadable_copies(directory, key)
    _remove([path for path, moved in copies.items() if moved and moved < cutoff])
    return len(_unreadable_copies(directory, key))


# --- The store ------------------------------------------------------------------


class TranscriptStore:
    """The transcripts one config entry keeps."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        title: str,
        settings: RetentionSettings,
    ) -> None:
        """Prepare an empty store; `async_load` reads what is on disk."""
        self._hass = hass
        self.entry_id = entry_id
        self._title = title
        self.settings = settings
        self.key = storage_key(entry_id)
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, self.key, private=True
        )
        self._turns: list[TranscriptTurn] = []
        self._unsaved = False

    @property
    def _directory(self) -> Path:
        return Path(self._hass.config.path(STORAGE_DIR))

    @property
    def enabled(self) -> bool:
        """Whether new turns are kept."""
        return self.settings.enabled

    def keeps(self, device_id: str | None, user_id: str | None) -> bool:
        """Whether a turn from this device and user would be kept."""
        if not self.enabled:
            return False
        if user_id is not None and user_id in self.settings.excluded_users:
            return False
        return not (device_id is not None and self._is_excluded_device(device_id))

    def _is_excluded_device(self, device_id: str) -> bool:
        excluded = self.settings.excluded_devices
        return device_id in excluded or self._device_of(device_id) in excluded

    def _device_of(self, device_or_entity: str | None) -> str | None:
        """The device of a satellite entity id; a device id as it is."""
        if device_or_entity is None or "." not in device_or_entity:
            return device_or_entity
        entity = er.async_get(self._hass).async_get(device_or_entity)
        return entity.device_id if entity is not None else None

    # Loading ----------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the store; an unreadable one is moved aside, never fatal."""
        path = Path(self._store.path)
        readable = await self._hass.async_add_executor_job(_file_is_readable, path)
        turns: list[TranscriptTurn] | None = None
        if readable:
            try:
                data = await self._store.async_load()
            except (HomeAssistantError, KeyError, TypeError, ValueError) as err:
                LOGGER.debug("Transcript store failed to load: %s", type(err).__name__)
            else:
                turns = [] if data is None else _valid_turns(data)
        if turns is None:
            moved = await self._hass.async_add_executor_job(
                _move_aside, path, dt_util.utcnow().strftime(_STAMP_FORMAT)
            )
            self._report_unreadable(moved)
            turns = []
        self._turns = turns
        await self._hass.async_add_executor_job(
            _remove_temp_files, self._directory, self.key
        )

    @callback
    def _report_unreadable(self, moved: str | None) -> None:
        LOGGER.warning(
            "The transcripts of %s could not be read (%s); new turns go to a new store",
            self._title,
            f"the file was moved aside as {moved}" if moved else "nothing to move",
        )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            _issue_id(self.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_STORE_UNREADABLE,
            translation_placeholders={
                "title": self._title,
                "file": moved or self.key,
                "days": str(self.settings.days),
            },
        )

    @callback
    def async_start(self, entry: ConfigEntry[Any]) -> None:
        """Purge every hour and flush on unload, while the entry is loaded."""

        async def _async_purge(_now: datetime) -> None:
            await self.async_purge()

        entry.async_on_unload(
            async_track_time_interval(
                self._hass,
                _async_purge,
                PURGE_INTERVAL,
                name=f"{DOMAIN} transcript purge",
                cancel_on_shutdown=True,
            )
        )
        entry.async_on_unload(self.async_close)

    async def async_close(self) -> None:
        """Write what is not on disk yet (the entry is unloading)."""
        if self._unsaved:
            self._unsaved = False
            await self._async_write()

    # Keeping ------------------------------------------------------------------

    @callback
    def async_record(
        self,
        key: ContextKey,
        agent_id: str,
        text: str,
        answer: str,
        tools: list[str],
    ) -> bool:
        """Keep one answered turn, when retention allows it; whether it was kept."""
        if not self.keeps(key.device_id, key.user_id):
            return False
        self._turns.append(
            TranscriptTurn(
                id=ulid_util.ulid_now(),
                time=dt_util.utcnow().isoformat(),
                conversation_id=key.conversation_id,
                device_id=key.device_id,
                user_id=key.user_id,
                agent_id=agent_id,
                text=text,
                answer=answer,
                tools=list(dict.fromkeys(tools)),
            )
        )
        self._unsaved = True
        self._store.async_delay_save(self._data, SAVE_DELAY)
        return True

    def _data(self) -> dict[str, Any]:
        return {"turns": list(self._turns)}

    def turns(self, turn_filter: TurnFilter | None = None) -> list[TranscriptTurn]:
        """Copies of the kept turns that match, oldest first."""
        predicate = self._predicate(turn_filter or TurnFilter())
        return [TranscriptTurn(**turn) for turn in self._turns if predicate(turn)]

    def _predicate(self, turn_filter: TurnFilter) -> TurnPredicate:
        since = dt_util.as_utc(turn_filter.since) if turn_filter.since else None
        until = dt_util.as_utc(turn_filter.until) if turn_filter.until else None

        def matches(turn: TranscriptTurn) -> bool:
            if (
                turn_filter.conversation_id is not None
                and turn["conversation_id"] != turn_filter.conversation_id
            ):
                return False
            if turn_filter.user_id is not None and turn["user_id"] != (
                turn_filter.user_id
            ):
                return False
            if turn_filter.device_id is not None and turn_filter.device_id not in (
                turn["device_id"],
                self._device_of(turn["device_id"]),
            ):
                return False
            if since is not None or until is not None:
                when = turn_time(turn)
                if (since is not None and when < since) or (
                    until is not None and when > until
                ):
                    return False
            return True

        return matches

    async def async_unreadable_files(self) -> list[str]:
        """Names of moved-aside copies that could not be read."""
        copies = await self._hass.async_add_executor_job(
            _unreadable_copies, self._directory, self.key
        )
        return sorted(path.name for path in copies)

    # Forgetting ---------------------------------------------------------------

    async def async_delete(self, turn_filter: TurnFilter | None = None) -> int:
        """Delete the matching turns (all without a filter); how many there were.

        Moved-aside copies go too, whatever the filter: what they hold cannot
        be read, so it cannot be told apart.
        """
        return await self._async_delete_where(
            self._predicate(turn_filter or TurnFilter())
        )

    async def _async_delete_where(self, predicate: TurnPredicate) -> int:
        kept = [turn for turn in self._turns if not predicate(turn)]
        deleted = len(self._turns) - len(kept)
        self._turns = kept
        await self._async_write(remove_copies=True)
        return deleted

    async def async_forget_last(self, key: ContextKey) -> bool:
        """Delete the person's most recent turn; whether there was one.

        The last turn of this conversation, or, when the person started a new
        conversation since, their last turn from the same device in the past
        few minutes.
        """
        index = self._last_index(key)
        if index is None:
            return False
        del self._turns[index]
        await self._async_write(remove_copies=True)
        return True

    def _last_index(self, key: ContextKey) -> int | None:
        same_speaker = [
            index
            for index, turn in enumerate(self._turns)
            if turn["device_id"] == key.device_id and turn["user_id"] == key.user_id
        ]
        in_conversation = [
            index
            for index in same_speaker
            if self._turns[index]["conversation_id"] == key.conversation_id
        ]
        if in_conversation:
            return in_conversation[-1]
        if key.device_id is None and key.user_id is None:
            return None  # an unknown speaker: only this conversation is theirs
        recent = dt_util.utcnow() - JUST_SAID
        recent_turns = [i for i in same_speaker if turn_time(self._turns[i]) >= recent]
        return recent_turns[-1] if recent_turns else None

    async def async_delete_today(self, key: ContextKey) -> int:
        """Delete what this device and user said since local midnight."""
        start = dt_util.as_utc(dt_util.start_of_local_day())

        def said_today(turn: TranscriptTurn) -> bool:
            if turn["device_id"] != key.device_id or turn["user_id"] != key.user_id:
                return False
            if (
                key.device_id is None
                and key.user_id is None
                and turn["conversation_id"] != key.conversation_id
            ):
                return False  # an unknown speaker: only this conversation
            return turn_time(turn) >= start

        return await self._async_delete_where(said_today)

    async def async_purge(self) -> int:
        """Delete turns past the retention period; how many there were."""
        cutoff = dt_util.utcnow() - timedelta(days=self.settings.days)
        kept = [turn for turn in self._turns if turn_time(turn) >= cutoff]
        expired = len(self._turns) - len(kept)
        if expired:
            self._turns = kept
            await self._async_write()
        remaining = await self._hass.async_add_executor_job(
            _remove_expired_copies, self._directory, self.key, cutoff
        )
        if not remaining:
            ir.async_delete_issue(self._hass, DOMAIN, _issue_id(self.entry_id))
        return expired

    async def _async_write(self, *, remove_copies: bool = False) -> None:
        """Write the turns now; an empty store leaves no file behind."""
        self._unsaved = False
        if self._turns:
            await self._store.async_save(self._data())
        else:
            # Saving first waits for a write in progress, which could
            # otherwise re-create the file after it is removed.
            await self._store.async_save({"turns": []})
            await self._store.async_remove()
        if remove_copies:
            remaining = await self._hass.async_add_executor_job(
                _remove_leftovers, self._directory, self.key
            )
            if not remaining:
                ir.async_delete_issue(self._hass, DOMAIN, _issue_id(self.entry_id))
        else:
            await self._hass.async_add_executor_job(
                _remove_temp_files, self._directory, self.key
            )


async def async_setup_transcripts(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> TranscriptStore:
    """The entry's transcripts: loaded and purged, or deleted when retention is off."""
    transcripts = TranscriptStore(
        hass,
        entry.entry_id,
        entry.title,
        RetentionSettings.from_options(entry.options),
    )
    if transcripts.enabled:
        await transcripts.async_load()
        await transcripts.async_purge()
    else:
        await async_remove_transcripts(hass, entry.entry_id)
    return transcripts


async def async_remove_transcripts(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every file of an entry's transcripts and the issue about them."""
    key = storage_key(entry_id)
    await Store[dict[str, Any]](hass, STORAGE_VERSION, key, private=True).async_remove()
    await hass.async_add_executor_job(
        _remove_leftovers, Path(hass.config.path(STORAGE_DIR)), key
    )
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry_id))
