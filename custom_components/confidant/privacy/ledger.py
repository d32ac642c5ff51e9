"""The ledger of what left the house: requests, bytes and images, per day.

For each provider and each local day, the ledger counts what Confidant sent:
the HTTP requests, the bytes of their bodies, the images and the household
facts (household_memory/) they carried, the prompt tokens the provider
reported and how many of them it read from its cache, and whether the
provider is inside the house or in the cloud. It keeps
numbers only, never content, in a Home Assistant store, so a restart does
not reset today; days older than `KEEP_DAYS` are dropped.

What is counted, and where, is meter.py's: counting happens where the bytes
leave, not where Confidant thinks they do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN

STORAGE_VERSION = 1
# Days of counts kept, today included.
KEEP_DAYS = 30
# Seconds between a count and its write to disk; unloading and Home
# Assistant's final write flush sooner.
SAVE_DELAY = 30


def storage_key(entry_id: str) -> str:
    """The store of one entry's ledger."""
    return f"{DOMAIN}.ledger.{entry_id}"


@dataclass(slots=True)
class Counts:
    """What went to one provider on one day."""

    requests: int = 0
    bytes: int = 0
    images: int = 0
    # Prompt tokens the provider reported, and those it read from a cache.
    tokens: int = 0
    cached_tokens: int = 0
    facts: int = 0

    def add(self, other: Counts) -> None:
        """Add another's counts to these."""
        for name in _COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# The names of the counts, in the order of the stored rows.
_COUNTED = tuple(field.name for field in fields(Counts))
# Counts added after the first version: rows written before have none.
_ADDED_LATER = frozenset({"tokens", "cached_tokens", "facts"})


class LedgerRow(TypedDict):
    """One provider's counts of one day, as stored and in diagnostics."""

    date: str
    provider: str
    local: bool
    requests: int
    bytes: int
    images: int
    tokens: int
    cached_tokens: int
    facts: int


def _today() -> date:
    """Today in Home Assistant's time zone."""
    return dt_util.now().date()


class Ledger:
    """One entry's counts of what left the house."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Start empty; `async_load` reads what earlier runs counted."""
        self._hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry_id)
        )
        # (local date, provider kind, local) -> counts
        self._counts: dict[tuple[date, str, bool], Counts] = {}
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsub_midnight: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Read the stored days and start turning the day at local midnight."""
        stored = await self._store.async_load()
        for row in (stored or {}).get("days", []):
            try:
                key = (
                    date.fromisoformat(row["date"]),
                    str(row["provider"]),
                    bool(row["local"]),
                )
                counts = Counts(
                    *(
                        int(row.get(name, 0) if name in _ADDED_LATER else row[name])
                        for name in _COUNTED
                    )
                )
            except KeyError, TypeError, ValueError:
                continue  # A damaged row is dropped, never fatal.
            self._counts[key] = counts
        self._prune()
        self._unsub_midnight = async_track_time_change(
            self._hass, self._async_new_day, hour=0, minute=0, second=0
        )

    async def async_unload(self) -> None:
        """Stop the day timer and write the counts now."""
        if self._unsub_midnight is not None:
            self._unsub_midnight()
            self._unsub_midnight = None
        await self._store.async_save(self._data())

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` whenever the counts or the day change."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    @callback
    def async_record(self, provider: str, local: bool, counts: Counts) -> None:
        """Add to today's counts for a provider."""
        if not any(asdict(counts).values()):
            return
        self._counts.setdefault((_today(), provider, local), Counts()).add(counts)
        self._store.async_delay_save(self._data, SAVE_DELAY)
        self._notify()

    def today(self, *, local: bool | None = None) -> Counts:
        """Today's counts over every provider; only local or cloud ones if asked."""
        today = _today()
        total = Counts()
        for (day, _provider, is_local), counts in self._counts.items():
            if day != today or (local is not None and is_local != local):
                continue
            total.add(counts)
        return total

    def rows(self) -> list[LedgerRow]:
        """Every kept day's counts, oldest first."""
        return [
            LedgerRow(
                date=day.isoformat(),
                provider=provider,
                local=local,
                **asdict(counts),  # type: ignore[typeddict-item]
            )
            for (day, provider, local), counts in sorted(
                self._counts.items(), key=lambda item: (item[0][0], item[0][1])
            )
        ]

    def _data(self) -> dict[str, Any]:
        return {"days": self.rows()}

    def _prune(self) -> bool:
        """Drop days older than the kept window; True when any were."""
        oldest = _today() - timedelta(days=KEEP_DAYS - 1)
        old = [key for key in self._counts if key[0] < oldest]
        for key in old:
            del self._counts[key]
        return bool(old)

    @callback
    def _async_new_day(self, _now: datetime) -> None:
        """At local midnight today starts from zero; old days go."""
        if self._prune():
            self._store.async_delay_save(self._data, SAVE_DELAY)
        self._notify()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()


async def async_remove_ledger(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's stored counts (when the entry is removed)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, storage_key(entry_id)
    ).async_remove()
