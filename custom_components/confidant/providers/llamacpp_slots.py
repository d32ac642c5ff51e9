"""llama.cpp's slots, one per recent conversation.

A llama.cpp server keeps one prompt cache per slot. Keeping each
conversation on a slot of its own means a follow-up re-evaluates only what
is new; when there are more conversations than slots, the least recently
used gives its slot up.
"""

from __future__ import annotations

from collections import OrderedDict


class SlotKeeper:
    """llama.cpp slots, one per recent conversation, least recently used first."""

    def __init__(self) -> None:
        """Know nothing yet: no slot is asked for until the server's are known."""
        self.total: int | None = None
        self._slots: OrderedDict[str, int] = OrderedDict()

    def slot(self, conversation: str | None) -> int | None:
        """The slot of a conversation, or None when slots are not known."""
        if not self.total or conversation is None:
            return None
        if (slot := self._slots.get(conversation)) is not None:
            self._slots.move_to_end(conversation)
            return slot
        used = set(self._slots.values())
        free = [slot for slot in range(self.total) if slot not in used]
        if free:
            slot = free[0]
        else:
            _oldest, slot = self._slots.popitem(last=False)
        self._slots[conversation] = slot
        return slot
