"""Repairs: problems a person has to fix, with a flow that fixes them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.const import CONF_MODEL
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

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


def _model_issue_id(subentry_id: str) -> str:
    return f"model_missing_{subentry_id}"


def _same_model(configured: str, listed: str) -> bool:
    # Ollama lists "llama3.2:latest" for a model configured as "llama3.2".
    return configured.removesuffix(":latest") == listed.removesuffix(":latest")


def async_check_models(
    hass: HomeAssistant, entry: ConfigEntry[Any], models: list[str]
) -> None:
    """Raise a repair for each agent whose model the provider no longer lists.

    A provider that lists nothing (some local servers) proves nothing, so no
    issue is raised then.
    """
    for subentry in entry.subentries.values():
        configured = subentry.data.get(CONF_MODEL)
        issue_id = _model_issue_id(subentry.subentry_id)
        if (
            not models
            or not configured
            or any(_same_model(configured, m) for m in models)
        ):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key="model_missing",
            translation_placeholders={"agent": subentry.title, "model": configured},
            data={"entry_id": entry.entry_id, "subentry_id": subentry.subentry_id},
        )


class ModelMissingRepairFlow(RepairsFlow):
    """Lets the person pick one of the models the provider lists now."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        """Remember which agent needs a model."""
        super().__init__()
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Start with the choice."""
        return await self.async_step_choose_model()

    async def async_step_choose_model(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Show the provider's models; save the one chosen."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        subentry = entry.subentries.get(self._subentry_id) if entry else None
        if entry is None or subentry is None:
            return self.async_abort(reason="agent_removed")
        if user_input is not None:
            self.hass.config_entries.async_update_subentry(
                entry,
                subentry,
                data={**subentry.data, CONF_MODEL: user_input[CONF_MODEL]},
            )
            ir.async_delete_issue(self.hass, DOMAIN, _model_issue_id(self._subentry_id))
            return self.async_create_entry(data={})
        models = await entry.runtime_data.provider.async_list_models()
        return self.async_show_form(
            step_id="choose_model",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_MODEL): SelectSelector(
                        SelectSelectorConfig(
                            options=models,
                            mode=SelectSelectorMode.DROPDOWN,
                            custom_value=True,
                        )
                    )
                }
            ),
            description_placeholders={
                "agent": subentry.title,
                "model": str(subentry.data.get(CONF_MODEL, "")),
            },
        )


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
    data = data or {}
    if issue_id.startswith("model_missing_"):
        return ModelMissingRepairFlow(str(data["entry_id"]), str(data["subentry_id"]))
    return InvalidAuthRepairFlow(str(data["entry_id"]))
