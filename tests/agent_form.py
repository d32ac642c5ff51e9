"""The agent form's second step: its advanced options, as a person reaches them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant

from custom_components.confidant.const import CONF_RECOMMENDED


async def advanced_step(hass: HomeAssistant, result: Any, basic: dict[str, Any]) -> Any:
    """Answer the first step with "recommended settings" off; the advanced step."""
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**basic, CONF_RECOMMENDED: False}
    )
    assert result["step_id"] == "advanced", result
    return result


def answers(result: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """Of an agent's options, those the shown step asks for: its answers unchanged."""
    fields = {str(key) for key in result["data_schema"].schema}
    return {key: value for key, value in options.items() if key in fields}
