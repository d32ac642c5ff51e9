"""What the cameras were said to show recently, in memory only."""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import (
    CALLBACK_TYPE,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, RECENT_VISITORS_HOURS, RECENT_VISITORS_MAX

if TYPE_CHECKING:
    from .describe import Description, Visitor


class RecentVisitors:
    """The last camera descriptions of one entry, forgotten after a day.

    Kept on the entry's runtime data, so they go when it unloads.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Start empty."""
        self._hass = hass
        self._visitors: deque[Visitor] = deque(maxlen=RECENT_VISITORS_MAX)
        self._unsub_expiry: CALLBACK_TYPE | None = None

    @property
    def _max_age(self) -> timedelta:
        return timedelta(hours=RECENT_VISITORS_HOURS)

    @callback
    def add(self, visitor: Visitor) -> None:
        """Remember one description."""
        self._visitors.append(visitor)
        self._expire()

    @callback
    def recent(self) -> list[Visitor]:
        """What is still remembered, newest first."""
        self._expire()
        return sorted(self._visitors, key=lambda visitor: visitor.time, reverse=True)

    @callback
    def clear(self) -> None:
        """Forget everything, and stop the expiry timer."""
        self._visitors.clear()
        if self._unsub_expiry is not None:
            self._unsub_expiry()
            self._unsub_expiry = None

    @callback
    def _expire(self, _now: Any = None) -> None:
        """Drop what is older than a day; wake up when the next one is."""
        if self._unsub_expiry is not None:
            self._unsub_expiry()
            self._unsub_expiry = None
        cutoff = dt_util.utcnow() - self._max_age
        kept = [visitor for visitor in self._visitors if visitor.time > cutoff]
        if len(kept) != len(self._visitors):
            self._visitors = deque(kept, maxlen=RECENT_VISITORS_MAX)
        if not self._visitors:
            return
        oldest = min(visitor.time for visitor in self._visitors)
        delay = (oldest + self._max_age - dt_util.utcnow()).total_seconds()
        self._unsub_expiry = async_call_later(
            self._hass, max(delay, 0) + 1, self._expire
        )


@callback
def async_remember(description: Description) -> None:
    """Remember a description in the entry of the agent that made it."""
    description.agent.entry.runtime_data.visitors.add(description.as_visitor())


@callback
def all_recent_visitors(hass: HomeAssistant) -> list[Visitor]:
    """Every loaded entry's remembered descriptions, newest first."""
    found: list[Visitor] = []
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        found.extend(entry.runtime_data.visitors.recent())
    found.sort(key=lambda visitor: visitor.time, reverse=True)
    return found
