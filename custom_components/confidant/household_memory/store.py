"""The facts a household asked Confidant to remember, in its own store.

Only when an entry's options say so (household memory on *and* the
household's consent) are facts kept, one Home Assistant store per config
entry, `.storage/confidant.memory.<entry_id>`, readable by Home Assistant's
user only (0600):

    id, time, the fact in the person's words, who it belongs to
    (a user id, or none: the household), the device it was said to

A fact belongs to the person who said it when Home Assistant knows the user
(the Assist dialog of a signed-in user), otherwise to the household. A
person's facts are only ever read to, sent for or deleted by that person (and
the administrator's actions); household facts are everyone's. Devices and
people the privacy step excludes never store a fact.

Every change is written at once: a fact the person asked to forget is gone
from the file when Confidant says so. An empty store leaves no file, and
turning memory off (or removing the entry) deletes the file and any leftover
of it. Nothing here logs a fact, at any level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from homeassistant.util import ulid as ulid_util

from ..const import DOMAIN, LOGGER
from ..privacy.exclusions import Exclusions
from ..privacy.private_store import PrivateStore
from ..settings import EntrySettings
from .words import content_words, normalize

STORAGE_VERSION: Final = 1
# A fact longer than this is cut: a fact is a sentence, not a document.
MAX_FACT_CHARS: Final = 500
# The most facts one entry keeps; the oldest go first.
MAX_FACTS: Final = 500


def storage_key(entry_id: str) -> str:
    """The store of one entry's household memory."""
    return f"{DOMAIN}.memory.{entry_id}"


class Fact(TypedDict):
    """One remembered fact, as kept and as the actions return it."""

    id: str
    time: str  # ISO 8601, UTC
    text: str
    user_id: str | None  # None: the household's
    device_id: str | None


@dataclass(frozen=True, slots=True)
class MemorySettings:
    """The household-memory choices of an entry, read from its options."""

    enabled: bool = False
    excluded: Exclusions = field(default_factory=Exclusions)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> MemorySettings:
        """Read the options; anything missing or malformed remembers nothing."""
        settings = EntrySettings.from_options(options)
        return cls(
            enabled=settings.household_memory and settings.household_memory_consent,
            excluded=Exclusions.from_settings(settings),
        )

    def as_dict(self) -> dict[str, Any]:
        """The settings in force, for the export."""
        return {"enabled": self.enabled, **self.excluded.as_dict()}


def _valid_facts(data: Any) -> list[Fact]:
    """The well-formed facts of a store's data; anything else is dropped."""
    if not isinstance(data, dict) or not isinstance(facts := data.get("facts"), list):
        return []
    return [
        Fact(
            id=fact["id"],
            time=fact["time"],
            text=fact["text"],
            user_id=fact.get("user_id"),
            device_id=fact.get("device_id"),
        )
        for fact in facts
        if isinstance(fact, dict)
        and all(isinstance(fact.get(name), str) for name in ("id", "time", "text"))
        and all(
            isinstance(fact.get(name), str | None) for name in ("user_id", "device_id")
        )
    ]


class FactStore:
    """The household memory of one config entry."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, settings: MemorySettings
    ) -> None:
        """Prepare an empty memory; `async_load` reads what is on disk."""
        self._hass = hass
        self.entry_id = entry_id
        self.settings = settings
        self.key = storage_key(entry_id)
        self._store = PrivateStore(hass, STORAGE_VERSION, self.key)
        self._facts: list[Fact] = []

    @property
    def enabled(self) -> bool:
        """Whether facts are remembered at all."""
        return self.settings.enabled

    def may_store(self, device_id: str | None, user_id: str | None) -> bool:
        """Whether this device and person may have a fact remembered."""
        return not self.settings.excluded.exclude(self._hass, device_id, user_id)

    async def async_load(self) -> None:
        """Read the store; an unreadable one starts an empty memory."""
        try:
            data = await self._store.async_load()
        except (HomeAssistantError, KeyError, TypeError, ValueError) as err:
            LOGGER.warning("Household memory could not be read: %s", type(err).__name__)
            data = None
        self._facts = _valid_facts(data)

    # Reading ------------------------------------------------------------------

    def facts(
        self, user_id: str | None = None, *, everyone: bool = False
    ) -> list[Fact]:
        """Copies of the facts a person may hear, oldest first.

        The household's facts and, for a known person, their own; with
        `everyone` (the administrator's actions), all of them.
        """
        return [
            Fact(**fact)
            for fact in self._facts
            if everyone or fact["user_id"] is None or fact["user_id"] == user_id
        ]

    # Changing -----------------------------------------------------------------

    async def async_add(
        self, text: str, *, user_id: str | None, device_id: str | None
    ) -> Fact | None:
        """Remember a fact for a person (or the household); None when refused."""
        text = " ".join(text.split())[:MAX_FACT_CHARS]
        if not self.enabled or not text or not self.may_store(device_id, user_id):
            return None
        # The same fact said again is kept once, with the newer time.
        same = normalize(text)
        self._facts = [
            fact
            for fact in self._facts
            if not (fact["user_id"] == user_id and normalize(fact["text"]) == same)
        ]
        fact = Fact(
            id=ulid_util.ulid_now(),
            time=dt_util.utcnow().isoformat(),
            text=text,
            user_id=user_id,
            device_id=device_id,
        )
        self._facts.append(fact)
        del self._facts[:-MAX_FACTS]
        await self._async_write()
        return Fact(**fact)

    def matching(self, words: str, user_id: str | None) -> list[Fact]:
        """The facts a person may forget that `words` describe.

        The fact said exactly as it was kept, or, failing that, every fact
        that has all the content words of `words`.
        """
        visible = self.facts(user_id)
        wanted = normalize(words)
        exact = [fact for fact in visible if normalize(fact["text"]) == wanted]
        if exact or not (need := content_words(words)):
            return exact
        return [fact for fact in visible if need <= content_words(fact["text"])]

    async def async_delete(self, ids: Iterable[str]) -> int:
        """Delete facts by id; how many there were."""
        gone = set(ids)
        kept = [fact for fact in self._facts if fact["id"] not in gone]
        deleted = len(self._facts) - len(kept)
        if deleted:
            self._facts = kept
            await self._async_write()
        return deleted

    async def async_delete_all(self) -> int:
        """Delete every fact and every file; how many facts there were."""
        deleted = len(self._facts)
        self._facts = []
        await self._async_write()
        return deleted

    async def _async_write(self) -> None:
        """Write now; an empty memory leaves no file (nor leftovers) behind."""
        await self._store.async_save(
            {"facts": list(self._facts)}, empty=not self._facts
        )
        if not self._facts:
            await self._store.async_remove_leftovers()


async def async_setup_memory(
    hass: HomeAssistant, entry_id: str, options: Mapping[str, Any]
) -> FactStore:
    """The entry's memory: loaded when on, its files deleted when off."""
    memory = FactStore(hass, entry_id, MemorySettings.from_options(options))
    if memory.enabled:
        await memory.async_load()
    else:
        await async_remove_memory(hass, entry_id)
    return memory


async def async_remove_memory(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every file of an entry's household memory."""
    await PrivateStore(hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()
