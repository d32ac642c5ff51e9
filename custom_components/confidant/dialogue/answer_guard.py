"""What a model's answer may be: text that can be spoken, of a sane length.

A model (or a server pretending to be one) can send text no speech engine or
JSON encoder accepts (lone UTF-16 surrogates, control characters) and answers
of any length. Both are made harmless here, for the answer and for what the
person said, before anything else touches them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# About five minutes of speech: longer is a runaway model, not an answer. The
# answer is cut at a word boundary before this and a spoken note is added.
MAX_ANSWER_CHARS: Final = 6000
# Reasoning is never spoken, but it is kept in the chat log for the turn.
MAX_REASONING_CHARS: Final = 20000

_KEEP_CONTROLS: Final = frozenset("\n\t\r")


def _safe_char(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:  # noqa: PLR2004 - a lone surrogate
        return "\ufffd"
    if (code < 0x20 or code == 0x7F) and char not in _KEEP_CONTROLS:  # noqa: PLR2004
        return ""
    return char


def clean_text(text: str) -> str:
    """Return `text` without lone surrogates or control characters.

    A lone surrogate (from a JSON escape of one, or a script calling
    conversation.process) cannot be encoded as UTF-8 and would fail wherever
    the text is sent or stored; it becomes U+FFFD.
    """
    if text.isascii() and text.isprintable():
        return text
    return "".join(map(_safe_char, text))


def clean_value(value: Any) -> Any:
    """Clean every string inside a JSON-like value (tool-call arguments)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(key)): clean_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(item) for item in value]
    return value


class AnswerLimit:
    """Counts an answer's text and says where it has to stop."""

    def __init__(self, max_chars: int = MAX_ANSWER_CHARS) -> None:
        """Start an answer with nothing said."""
        self._left = max_chars
        self.exceeded = False

    def take(self, text: str) -> str:
        """Return the part of `text` that still fits; set `exceeded` when cut."""
        if len(text) <= self._left:
            self._left -= len(text)
            return text
        kept = text[: self._left]
        # Cut at the last space, unless that would drop the whole piece.
        if " " in kept:
            kept = kept.rsplit(" ", 1)[0]
        self._left = 0
        self.exceeded = True
        return kept
