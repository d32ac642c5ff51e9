"""One agent's confirmation choices, read from its options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from ...const import DEFAULT_CONFIRM_WITHOUT_DEVICE
from ...settings import AgentSettings
from ..sensitivity.verbs import SensitivityPolicy

# The fewest digits a PIN may have: shorter ones would hide ordinary numbers.
MIN_PIN_DIGITS: Final = 4


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """One agent's confirmation choices."""

    sensitivity: SensitivityPolicy = field(default_factory=SensitivityPolicy)
    no_confirm_devices: frozenset[str] = frozenset()
    confirm_without_device: bool = DEFAULT_CONFIRM_WITHOUT_DEVICE
    pin: str | None = None

    @classmethod
    def from_settings(cls, settings: AgentSettings) -> GatePolicy:
        """The choices of an agent's settings."""
        pin = settings.confirm_pin
        return cls(
            sensitivity=SensitivityPolicy(
                always_ask=settings.always_ask,
                ask_unreadable=settings.ask_unreadable,
            ),
            no_confirm_devices=settings.no_confirm_devices,
            confirm_without_device=settings.confirm_without_device,
            pin=pin if len(pin) >= MIN_PIN_DIGITS else None,
        )

    def device_refusal(self, device_id: str | None) -> str | None:
        """Why a reply from this device cannot confirm, as a message key."""
        if device_id is None:
            if not self.confirm_without_device:
                return "confirm_refused_no_device"
        elif device_id in self.no_confirm_devices:
            return "confirm_refused_device"
        return None
