"""The devices and people whose words Confidant never keeps.

The privacy step lets the household exclude devices (a satellite, or the
device of one) and people. Transcripts and household memory both honour the
same choice, read here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..const import CONF_EXCLUDED_DEVICES, CONF_EXCLUDED_USERS
from ..settings import EntrySettings


def device_of(hass: HomeAssistant, device_or_entity: str | None) -> str | None:
    """The device of a satellite entity id; a device id as it is."""
    if device_or_entity is None or "." not in device_or_entity:
        return device_or_entity
    entity = er.async_get(hass).async_get(device_or_entity)
    return entity.device_id if entity is not None else None


@dataclass(frozen=True, slots=True)
class Exclusions:
    """The excluded devices and people of an entry, read from its options."""

    devices: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: EntrySettings) -> Exclusions:
        """The exclusions of an entry's choices; nothing when they say nothing."""
        return cls(devices=settings.excluded_devices, users=settings.excluded_users)

    def exclude(
        self, hass: HomeAssistant, device_id: str | None, user_id: str | None
    ) -> bool:
        """Whether words from this device (or entity) and person are never kept."""
        if user_id is not None and user_id in self.users:
            return True
        if device_id is None:
            return False
        return device_id in self.devices or device_of(hass, device_id) in self.devices

    def as_dict(self) -> dict[str, Any]:
        """The exclusions in force, for an export."""
        return {
            CONF_EXCLUDED_DEVICES: sorted(self.devices),
            CONF_EXCLUDED_USERS: sorted(self.users),
        }
