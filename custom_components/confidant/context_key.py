"""Whose conversation a turn belongs to: the key that keeps people apart.

Short-term memory, confirmations and kept transcripts all file a turn under
the conversation, the device and the person together, so nothing ever
crosses from one device or person to another. It lives apart from all of
them so that none has to import another to name it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ContextKey:
    """Whose conversation this is: turns never cross devices or users."""

    conversation_id: str
    device_id: str | None
    user_id: str | None
