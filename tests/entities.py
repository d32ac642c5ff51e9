"""Real Home Assistant entities for the test home, kept in memory."""

from __future__ import annotations

from typing import Any

from homeassistant.components.light import ATTR_BRIGHTNESS, ColorMode, LightEntity
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import setup_test_component_platform


async def async_add_test_entities(
    hass: HomeAssistant, platforms: dict[str, list[Any]]
) -> None:
    """Set up each domain with a test platform holding these entities."""
    for domain, entities in platforms.items():
        setup_test_component_platform(hass, domain, entities)
        assert await async_setup_component(hass, domain, {domain: {"platform": "test"}})
    await hass.async_block_till_done()


class TestLight(LightEntity):
    """A dimmable light that remembers what it was told."""

    _attr_color_mode = ColorMode.BRIGHTNESS
    _attr_supported_color_modes = {ColorMode.BRIGHTNESS}  # noqa: RUF012
    _attr_should_poll = False

    def __init__(self, name: str, unique_id: str, *, on: bool = False) -> None:
        self._attr_name = name
        self._attr_unique_id = unique_id
        self._attr_is_on = on
        self._attr_brightness = 255 if on else None

    async def async_turn_on(self, **kwargs: Any) -> None:
        self._attr_is_on = True
        self._attr_brightness = kwargs.get(
            ATTR_BRIGHTNESS, self._attr_brightness or 255
        )
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._attr_is_on = False
        self.async_write_ha_state()
