"""Every option's default in one place: what an entry without a choice means."""

from __future__ import annotations

import pytest

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_HOUSEHOLD_MEMORY,
    CONF_HOUSEHOLD_MEMORY_CONSENT,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    MAX_RETENTION_DAYS,
)
from custom_components.confidant.settings import DEFAULT_PRIVACY_OPTIONS, EntrySettings


def test_a_new_entry_keeps_and_sends_nothing_more() -> None:
    """The privacy step's defaults read as the settings' own defaults."""
    assert EntrySettings.from_options(DEFAULT_PRIVACY_OPTIONS) == EntrySettings()
    assert EntrySettings.from_options({}) == EntrySettings()
    nothing = EntrySettings()
    assert nothing.retention_consent is False
    assert nothing.household_memory is False
    assert nothing.allow_cloud_images is False


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({CONF_RETENTION_DAYS: "seven"}, {"retention_days": 0}),
        ({CONF_RETENTION_DAYS: None}, {"retention_days": 0}),
        ({CONF_RETENTION_DAYS: 10_000}, {"retention_days": MAX_RETENTION_DAYS}),
        ({CONF_RETENTION_DAYS: -3}, {"retention_days": 0}),
        # Only an explicit yes is consent.
        ({CONF_RETENTION_CONSENT: "yes"}, {"retention_consent": False}),
        ({CONF_HOUSEHOLD_MEMORY: 1}, {"household_memory": False}),
        (
            {CONF_HOUSEHOLD_MEMORY: True, CONF_HOUSEHOLD_MEMORY_CONSENT: True},
            {"household_memory": True, "household_memory_consent": True},
        ),
        ({CONF_ALLOW_CLOUD_IMAGES: True}, {"allow_cloud_images": True}),
    ],
)
def test_malformed_choices_keep_nothing(
    options: dict[str, object], expected: dict[str, object]
) -> None:
    """A choice that is missing or not a clear yes keeps and sends nothing more."""
    settings = EntrySettings.from_options(options)
    for name, value in expected.items():
        assert getattr(settings, name) == value, name
