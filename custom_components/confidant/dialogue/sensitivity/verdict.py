"""What a tool call would do, as far as it can be read, and what it asks."""

from __future__ import annotations

from dataclasses import dataclass

from .verbs import VERB_RUN, VERB_USE, Effect, SensitivityPolicy


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a call would do, as far as it can be read."""

    effects: tuple[Effect, ...] = ()
    # Part of what it would do cannot be read (templated targets, an
    # event, a tool that is not annotated read-only).
    unreadable: bool = False
    # A script or intent script that carries the effects, by name.
    via: str | None = None
    # What the tool is called, for a call that is asked about as a whole.
    tool_title: str = ""

    def asks(self, policy: SensitivityPolicy) -> bool:
        """Whether the call waits for the person under these choices."""
        return bool(self.effects) or (self.unreadable and policy.ask_unreadable)

    @property
    def asked(self) -> tuple[Effect, ...]:
        """What the question names for the call: its effects, or the call itself."""
        if not self.unreadable:
            return self.effects
        verb = VERB_RUN if self.via else VERB_USE
        return (*self.effects, Effect(verb, self.via or self.tool_title))
