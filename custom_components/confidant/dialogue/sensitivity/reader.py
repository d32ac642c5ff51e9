"""Reads what a tool call would do, whatever kind of tool it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hassil.recognize import RecognizeResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm

from .intents import IntentReader, recognized_call
from .scripts import Reading, ScriptReader
from .verbs import VERB_USE, Effect, SensitivityPolicy
from .verdict import Verdict


def unwrap(tool: llm.Tool) -> llm.Tool:
    """The tool behind namespaces (several APIs) and wrappers that say so."""
    while (inner := getattr(tool, "tool", None)) is not None and isinstance(
        inner, llm.Tool
    ):
        tool = inner
    return tool


class SensitivityReader:
    """Reads what a tool call would do in one home, under one agent's policy."""

    def __init__(self, hass: HomeAssistant, policy: SensitivityPolicy) -> None:
        """Read with these choices."""
        self.hass = hass
        self.policy = policy
        self.scripts = ScriptReader(hass, policy)
        self.intents = IntentReader(self.scripts)

    @callback
    def read_call(
        self,
        tool: llm.Tool,
        tool_args: Mapping[str, Any],
        llm_context: llm.LLMContext,
    ) -> Verdict:
        """What calling `tool` with these arguments would do."""
        inner = unwrap(tool)
        title = inner.title or inner.name
        if isinstance(inner, llm.IntentTool):
            return self.intents.read(inner, tool_args, llm_context, title)
        if isinstance(inner, llm.ActionTool):
            reading = Reading()
            self.scripts.read_action(
                reading,
                f"{inner._domain}.{inner._action}",  # noqa: SLF001
                dict(tool_args),
                0,
            )
            # A script runs under its own name: the question says which.
            via = title if inner._domain == "script" else None  # noqa: SLF001
            return reading.verdict(title, via=via)
        annotations = inner.annotations
        if annotations.read_only:
            return Verdict()
        # A tool that says it destroys something always asks; one that says
        # nothing (the default annotations) cannot be read.
        if annotations != llm.ToolAnnotations() and annotations.destructive:
            return Verdict(effects=(Effect(VERB_USE, title),), tool_title=title)
        return Verdict(unreadable=True, tool_title=title)

    @callback
    def read_recognized(self, result: RecognizeResult) -> Verdict:
        """What a command Home Assistant recognised locally would do."""
        if (call := recognized_call(self.hass, result)) is None:
            return Verdict()
        return self.read_call(*call)
