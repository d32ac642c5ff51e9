"""What left Home Assistant today, as a diagnostic sensor of each entry.

For a cloud provider it is "Sent to cloud today"; for a server inside the
house "Sent to the model server today": the bytes sent to the entry's
provider, with the model requests and images as attributes, all of the same
provider. Numbers only, never content.
"""

from __future__ import annotations

from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfInformation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import ConfidantConfigEntry
from .const import DOMAIN

# The state changes when a request is counted, never by polling.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfidantConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's ledger sensor."""
    async_add_entities([SentToCloudTodaySensor(entry)])


class SentToCloudTodaySensor(SensorEntity):
    """Bytes sent to the entry's provider today, from the entry's ledger."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_device_class = SensorDeviceClass.DATA_SIZE
    _attr_native_unit_of_measurement = UnitOfInformation.BYTES
    # Counts only grow during a day; the reset at midnight starts a new cycle.
    _attr_state_class = SensorStateClass.TOTAL_INCREASING
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, entry: ConfidantConfigEntry) -> None:
        """Describe the sensor on the entry's service device."""
        self._ledger = entry.runtime_data.ledger
        self._provider = entry.runtime_data.provider
        # The unique id predates the local name; it stays so the entity does.
        self._attr_unique_id = f"{entry.entry_id}_sent_to_cloud_today"
        self._local = self._provider.is_local
        key = "sent_to_model_server_today" if self._local else "sent_to_cloud_today"
        self._attr_translation_key = key
        # A short id, not one built from the entry's title (which holds the
        # server's URL); Home Assistant adds _2 for a second entry.
        self.entity_id = f"sensor.{DOMAIN}_{key}"
        self._attr_device_info = dr.DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Confidant",
            entry_type=dr.DeviceEntryType.SERVICE,
        )

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the ledger."""
        await super().async_added_to_hass()
        self.async_on_remove(self._ledger.async_add_listener(self.async_write_ha_state))

    @property
    @override
    def native_value(self) -> int:
        """Bytes sent today to this entry's provider, where it is."""
        return self._ledger.today(local=self._local).bytes

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Today's model requests and images, counted like the state."""
        today = self._ledger.today(local=self._local)
        return {
            "requests_today": today.requests,
            "images_today": today.images,
            "facts_today": today.facts,
            "bytes_today": today.bytes,
            "local": self._local,
        }
