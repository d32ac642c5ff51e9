"""The household-memory questions of the privacy step and the options flow.

Kept here so the config flow only places them: a switch, and a consent box
that says in plain words what is kept. Memory is off unless both are ticked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio
from homeassistant.helpers.selector import BooleanSelector

from ..const import CONF_HOUSEHOLD_MEMORY, CONF_HOUSEHOLD_MEMORY_CONSENT


def memory_fields() -> dict[Any, Any]:
    """The switch and its consent box, both off by default."""
    return {
        probatio.Required(CONF_HOUSEHOLD_MEMORY, default=False): BooleanSelector(),
        probatio.Required(
            CONF_HOUSEHOLD_MEMORY_CONSENT, default=False
        ): BooleanSelector(),
    }


def memory_error(options: dict[str, Any]) -> str | None:
    """An error key when memory is on without consent; tidies the record.

    Consent without memory means nothing, so it is recorded as not given.
    """
    if not options.get(CONF_HOUSEHOLD_MEMORY):
        options[CONF_HOUSEHOLD_MEMORY] = False
        options[CONF_HOUSEHOLD_MEMORY_CONSENT] = False
        return None
    if not options.get(CONF_HOUSEHOLD_MEMORY_CONSENT):
        return "memory_consent_required"
    return None


def switched_off(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether these options turn a working memory off (its facts go)."""
    return bool(old.get(CONF_HOUSEHOLD_MEMORY)) and not new.get(CONF_HOUSEHOLD_MEMORY)
