"""Repairs: problems a person has to fix, with a flow that fixes them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


def _invalid_auth_issue_id(entry: ConfigEntry[Any]) -> str:
    return f"invalid_auth_{entry.entry_id}"


def async_report_invalid_auth(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """The provider rejected the key while the agent was in use.

    Home Assistant's reauth prompt appears on the integrations page; the
    repair issue also puts it in Settings > Repairs, where people look when
    their assistant suddenly answers with an error.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        _invalid_auth_issue_id(entry),
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="invalid_auth",
        translation_placeholders={"title": entry.title},
        data={"entry_id": entry.entry_id},
    )
    entry.async_start_reauth(hass)


def async_clear_invalid_auth(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """The key works (again)."""
    ir.async_delete_issue(hass, DOMAIN, _invalid_auth_issue_id(entry))


class InvalidAuthRepairFlow(RepairsFlow):
    """Leads from the repair to the sign-in flow of the entry."""

    def __init__(self, entry_id: str) -> None:
        """Remember which entry needs a new key."""
        super().__init__()
        self._entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Start with the explanation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Explain, then open the reauth flow where the new key is entered."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if user_input is not None:
            if entry is not None:
                entry.async_start_reauth(self.hass)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={"title": entry.title if entry else ""},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the fix flow of one of Confidant's issues."""
    return InvalidAuthRepairFlow(str((data or {})["entry_id"]))
