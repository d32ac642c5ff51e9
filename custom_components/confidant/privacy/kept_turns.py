"""A kept turn: what it holds, how a stored one is checked, which ones a request means.

Also the retention choices of an entry (how long, the household's consent,
who is excluded), as its options say them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypedDict

from ..const import (
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    DEFAULT_RETENTION_DAYS,
)
from ..settings import EntrySettings
from .exclusions import Exclusions

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
    excluded: Exclusions = field(default_factory=Exclusions)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RetentionSettings:
        """Read the options; anything missing or malformed keeps nothing."""
        settings = EntrySettings.from_options(options)
        return cls(
            days=settings.retention_days,
            consent=settings.retention_consent,
            excluded=Exclusions.from_settings(settings),
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
            **self.excluded.as_dict(),
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


def valid_turns(data: Any) -> list[TranscriptTurn] | None:
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
