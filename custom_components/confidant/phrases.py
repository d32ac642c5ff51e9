"""What a sentence means for the conversation, in the languages Confidant knows.

Pure functions, no Home Assistant: whether an answer asks something (so the
satellite keeps listening), whether the person ended the conversation, and
whether they said yes or no to a confirmation question.
"""

from __future__ import annotations

# Placeholder: the full multilingual tables replace these.
_QUESTION_ENDINGS = ("?", "？", ";", "؟")
_END = {"thanks", "thank you", "that's all", "stop", "never mind"}
_YES = {"yes", "yeah", "yep", "sure", "do it", "go ahead", "ok", "okay"}
_NO = {"no", "nope", "don't", "cancel", "stop"}


def _normalize(text: str) -> str:
    return " ".join(text.lower().strip().strip(".!,").split())


def is_question(text: str, language: str) -> bool:
    """Whether an answer asks the person something."""
    return text.strip().endswith(_QUESTION_ENDINGS)


def is_end_phrase(text: str, language: str) -> bool:
    """Whether the person ended the conversation ("thanks", "stop", ...)."""
    return _normalize(text) in _END


def is_affirmative(text: str, language: str) -> bool:
    """Whether the person said yes."""
    return _normalize(text) in _YES


def is_negative(text: str, language: str) -> bool:
    """Whether the person said no."""
    return _normalize(text) in _NO
