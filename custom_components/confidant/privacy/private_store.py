"""A Home Assistant store of people's words: private, and gone when emptied.

Transcripts and household memory keep what people said in stores of their
own, readable by Home Assistant's user only (0600). Deleting must leave the
words in no file, so this wraps Home Assistant's `Store` with what it leaves
on disk:

- `Store` writes through a temporary file in `.storage/` (named `tmp…`) that
  it renames over the store, so a deleted word is gone from every file once
  the rewrite is done. A temporary file can only survive a crash in the
  middle of a write; such leftovers are found by this store's key at their
  start (the first bytes of the JSON envelope) and removed.
- An empty store leaves no file: it is removed, not written empty.
- A store that cannot be read is moved aside as `<store>.unreadable.<UTC
  time>`; what it holds cannot be told apart, so any deletion removes it,
  and so does the purge once the retention period has passed since.

Why not `Store`'s own handling of a corrupt file (both Home Assistant
2026.10 and 2026.11 move it aside as `<store>.corrupt.<ISO time>` and raise
a critical repair): it only catches a JSON syntax error (not a shape
Confidant never wrote, nor a newer version), its copy has no expiry, so the
words would stay on disk past the retention period and past a deletion, and
its repair asks to restore a backup, which would bring deleted words back.
A `.corrupt.` copy `Store` made anyway (household memory lets it) is
removed with every other leftover.

Nothing here reads or logs what a file says beyond its key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads

from ..const import LOGGER

# `<store>.unreadable.<UTC time>`: a copy moved aside because it was unreadable.
_UNREADABLE: Final = ".unreadable."
_STAMP_FORMAT: Final = "%Y%m%dT%H%M%S%fZ"
# Home Assistant's temporary files (tempfile's and atomicwrites' default prefix).
_TEMP_PREFIX: Final = "tmp"
# The head of a temporary file that is read to find its store's key.
_TEMP_HEAD: Final = 4096

# Whether a store's data is what its owner writes.
type DataCheck = Callable[[Any], bool]


class StoreUnreadableError(Exception):
    """The store could not be read; it was moved aside as `moved` (if at all)."""

    def __init__(self, moved: str | None) -> None:
        """Name the moved-aside copy, or None when nothing could be moved."""
        super().__init__(moved)
        self.moved = moved


# --- Files (run in the executor) ----------------------------------------------


def _file_is_readable(path: Path, version: int, check: DataCheck) -> bool:
    """Whether the store file is missing or holds what its owner writes."""
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
        and isinstance(stored := data.get("version"), int)
        and 1 <= stored <= version
        and check(data.get("data"))
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


def _remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as err:
            LOGGER.warning("Could not delete %s: %s", path.name, err)


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


class PrivateStore:
    """One store of people's words, and every file it may leave behind."""

    def __init__(self, hass: HomeAssistant, version: int, key: str) -> None:
        """A store of `key`, private to Home Assistant's user."""
        self._hass = hass
        self._version = version
        self.key = key
        self._store: Store[dict[str, Any]] = Store(hass, version, key, private=True)

    @property
    def _directory(self) -> Path:
        return Path(self._hass.config.path(STORAGE_DIR))

    async def async_load(self) -> dict[str, Any] | None:
        """What the store holds; None when there is no file.

        Raises what `Store.async_load` raises for a file it cannot use.
        """
        return await self._store.async_load()

    async def async_load_checked(self, check: DataCheck) -> dict[str, Any] | None:
        """What the store holds, only when `check` accepts it; None when no file.

        An unreadable store is moved aside and StoreUnreadableError raised;
        it never reaches `Store`, whose own handling would keep it for good.
        """
        path = Path(self._store.path)
        if await self._hass.async_add_executor_job(
            _file_is_readable, path, self._version, check
        ):
            try:
                data = await self._store.async_load()
            except (HomeAssistantError, KeyError, TypeError, ValueError) as err:
                LOGGER.debug("%s failed to load: %s", self.key, type(err).__name__)
            else:
                if data is None or check(data):
                    return data
        moved = await self._hass.async_add_executor_job(
            _move_aside, path, dt_util.utcnow().strftime(_STAMP_FORMAT)
        )
        raise StoreUnreadableError(moved)

    def async_delay_save(
        self, data_func: Callable[[], dict[str, Any]], delay: float
    ) -> None:
        """Write what `data_func` returns after `delay` seconds."""
        self._store.async_delay_save(data_func, delay)

    async def async_save(self, data: dict[str, Any], *, empty: bool = False) -> None:
        """Write now; an empty store leaves no file behind."""
        # Saving first, even when empty, waits for a write in progress, which
        # could otherwise re-create the file after it is removed.
        await self._store.async_save(data)
        if empty:
            await self._store.async_remove()

    async def async_remove(self) -> None:
        """Remove the store and every file it left."""
        await self._store.async_remove()
        await self.async_remove_leftovers()

    async def async_remove_leftovers(self) -> int:
        """Remove every file of the store but the store; how many copies remain."""
        return await self._hass.async_add_executor_job(
            _remove_leftovers, self._directory, self.key
        )

    async def async_remove_temp_files(self) -> None:
        """Remove the temporary files a crash left in the middle of a write."""
        await self._hass.async_add_executor_job(
            _remove_temp_files, self._directory, self.key
        )

    async def async_remove_expired_copies(self, cutoff: datetime) -> int:
        """Remove copies moved aside before the cutoff; how many copies remain."""
        return await self._hass.async_add_executor_job(
            _remove_expired_copies, self._directory, self.key, cutoff
        )

    async def async_unreadable_copies(self) -> list[str]:
        """Names of moved-aside copies that could not be read."""
        copies = await self._hass.async_add_executor_job(
            _unreadable_copies, self._directory, self.key
        )
        return sorted(path.name for path in copies)
