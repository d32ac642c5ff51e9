"""Complete tool calls from the fragments a Chat Completions stream sends.

Servers differ: arguments come as JSON string fragments or as a whole
object, ids and indexes may be missing or repeated, and a fragment may
continue the last call without saying which. Calls are kept by slot and
returned, in order, once the answer has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import ToolCall
from .tool_arguments import parse_tool_arguments
from .wire_parts import new_call_id


@dataclass(slots=True)
class _PartialCall:
    id: str
    name: str = ""
    arguments: str | dict[str, Any] = ""


class ToolCallAssembler:
    """Assembles streamed tool-call fragments into complete calls."""

    def __init__(self) -> None:
        """Start with no calls."""
        self._calls: dict[int, _PartialCall] = {}
        self._by_id: dict[str, int] = {}
        self._last: int | None = None

    def _slot(self, index: int | None, call_id: str | None) -> int:
        if call_id and call_id in self._by_id:
            # A repeated id continues its call, whatever index came with it.
            return self._by_id[call_id]
        if index is not None and (index not in self._calls or not call_id):
            return index
        if index is None and not call_id and self._last is not None:
            return self._last
        # A new call: a new id on an index that is taken, or no index at all.
        return max(self._calls, default=-1) + 1

    def add(
        self, index: int | None, call_id: str | None, name: str | None, arguments: Any
    ) -> None:
        """Add one fragment of a tool call."""
        slot = self._slot(index, call_id)
        call = self._calls.get(slot)
        if call is None:
            call = self._calls[slot] = _PartialCall(id=call_id or new_call_id())
            self._by_id[call.id] = slot
        self._last = slot
        if name and not call.name:
            call.name = name
        if isinstance(arguments, dict):
            call.arguments = arguments
        elif (
            isinstance(arguments, str) and arguments and isinstance(call.arguments, str)
        ):
            call.arguments += arguments

    def complete(self) -> list[ToolCall]:
        """Return the assembled calls in order, and forget them."""
        calls = []
        for slot in sorted(self._calls):
            partial = self._calls[slot]
            if not partial.name:
                continue
            arguments, problem = parse_tool_arguments(partial.arguments)
            calls.append(ToolCall(partial.id, partial.name, arguments, problem))
        self._calls.clear()
        self._by_id.clear()
        self._last = None
        return calls
