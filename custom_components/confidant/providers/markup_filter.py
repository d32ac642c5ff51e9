"""Keeps leaked tool-call markup out of the spoken answer.

Some local servers (llama.cpp with Qwen or Hermes templates) let the raw
tool-call markup of the model slip into the text content before their parser
recognises it and sends a proper tool call. That markup must not be spoken.
"""

from __future__ import annotations

_MARKERS = ("<tool_call>", "<function=", "<|tool_call", "[TOOL_CALLS]")


class MarkupFilter:
    """Passes text through, holding back what could start a marker."""

    def __init__(self) -> None:
        """Start with nothing held back."""
        self._held = ""
        self._suppressed = False

    def feed(self, text: str) -> str:
        """Return the part of the text that is safe to speak now."""
        if self._suppressed:
            return ""
        text = self._held + text
        self._held = ""
        for marker in _MARKERS:
            if (index := text.find(marker)) != -1:
                # Everything after the markup belongs to the tool call.
                self._suppressed = True
                return text[:index].rstrip()
        # Hold back a tail that may be the beginning of a marker.
        for length in range(min(len(text), max(map(len, _MARKERS)) - 1), 0, -1):
            tail = text[-length:]
            if any(marker.startswith(tail) for marker in _MARKERS):
                self._held = tail
                return text[:-length]
        return text

    def flush(self) -> str:
        """Return what was held back once the text has ended."""
        held, self._held = ("" if self._suppressed else self._held), ""
        return held
