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

Files (private_store.py). A deleted turn's text is gone from every file once
the rewrite is done; every deletion and every start-up removes what a crash
in the middle of a write left. A store that cannot be read never stops the
integration: the file is moved aside as `<store>.unreadable.<UTC time>`, a
repair issue says so, and new turns go to a fresh store. Nothing in a
moved-aside copy can be listed or exported, so *any* deletion removes it
(Confidant cannot tell what it holds), and so does the purge once the
retention period has passed since it was moved aside.

Nothing here logs what was said, at any level.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util import ulid as ulid_util

from ..const import DOMAIN, LOGGER
from ..context_key import ContextKey
from .exclusions import device_of
from .kept_turns import (
    RetentionSettings,
    TranscriptTurn,
    TurnFilter,
    TurnPredicate,
    turn_time,
    valid_turns,
)
from .private_store import PrivateStore, StoreUnreadableError

STORAGE_VERSION: Final = 1
# Seconds between a new turn and its write; deletions write at once, and
# unloading and Home Assistant's final write flush sooner.
SAVE_DELAY: Final = 5
PURGE_INTERVAL: Final = timedelta(hours=1)
# How far back "forget what I just said" looks when the person's last turn
# belongs to an earlier conversation of the same device and user.
JUST_SAID: Final = timedelta(minutes=10)

ISSUE_STORE_UNREADABLE: Final = "store_unreadable"


def storage_key(entry_id: str) -> str:
    """The store of one entry's transcripts."""
    return f"{DOMAIN}.transcripts.{entry_id}"


def _issue_id(entry_id: str) -> str:
    return f"{ISSUE_STORE_UNREADABLE}_{entry_id}"


def _is_transcript(data: Any) -> bool:
    return valid_turns(data) is not None


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
        self._store = PrivateStore(hass, STORAGE_VERSION, self.key)
        self._turns: list[TranscriptTurn] = []
        self._unsaved = False

    @property
    def enabled(self) -> bool:
        """Whether new turns are kept."""
        return self.settings.enabled

    def keeps(self, device_id: str | None, user_id: str | None) -> bool:
        """Whether a turn from this device and user would be kept."""
        return self.enabled and not self.settings.excluded.exclude(
            self._hass, device_id, user_id
        )

    # Loading ----------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the store; an unreadable one is moved aside, never fatal."""
        try:
            data = await self._store.async_load_checked(_is_transcript)
        except StoreUnreadableError as err:
            self._report_unreadable(err.moved)
            data = None
        self._turns = valid_turns(data) or []
        await self._store.async_remove_temp_files()

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
                device_of(self._hass, turn["device_id"]),
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
        return await self._store.async_unreadable_copies()

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
        remaining = await self._store.async_remove_expired_copies(cutoff)
        if not remaining:
            ir.async_delete_issue(self._hass, DOMAIN, _issue_id(self.entry_id))
        return expired

    async def _async_write(self, *, remove_copies: bool = False) -> None:
        """Write the turns now; an empty store leaves no file behind."""
        self._unsaved = False
        await self._store.async_save(self._data(), empty=not self._turns)
        if not remove_copies:
            await self._store.async_remove_temp_files()
        elif not await self._store.async_remove_leftovers():
            ir.async_delete_issue(self._hass, DOMAIN, _issue_id(self.entry_id))


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
    await PrivateStore(hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry_id))
