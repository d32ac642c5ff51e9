"""Repair of the tool-call arguments that real models and servers produce.

Small local models and some servers send arguments as a JSON string, as an
object, double-encoded, wrapped in a code fence, or with empty values that
make Home Assistant's intent matching fail. What can be repaired is repaired
here, once, for every provider; the rest is reported so the model gets a tool
error it can recover from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_FENCE = "```"


def _strip_code_fence(text: str) -> str:
    text = text.strip()
    if text.startswith(_FENCE) and text.endswith(_FENCE):
        text = text[len(_FENCE) : -len(_FENCE)]
        # A language tag such as "json" may follow the opening fence.
        first_line, _, rest = text.partition("\n")
        if rest and not first_line.strip().startswith("{"):
            text = rest
    return text.strip()


def _drop_empty(arguments: dict[str, Any]) -> dict[str, Any]:
    """Drop empty optional values that small models add and intents reject."""
    return {
        key: value
        for key, value in arguments.items()
        if value is not None and value not in ("", [], {})
    }


def parse_tool_arguments(
    raw: str | Mapping[str, Any] | None,
) -> tuple[dict[str, Any], str | None]:
    """Return (arguments, None), or ({}, reason) when they cannot be repaired."""
    if raw is None:
        return {}, None
    value: Any = raw
    # Up to two rounds of decoding: arguments double-encoded as a JSON string
    # inside a JSON string are a common quirk of local servers.
    for _ in range(2):
        if not isinstance(value, str):
            break
        text = _strip_code_fence(value)
        if not text:
            return {}, None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            return {}, f"arguments are not valid JSON ({err.msg} at position {err.pos})"
    if isinstance(value, Mapping):
        return _drop_empty(dict(value)), None
    return {}, f"arguments must be a JSON object, not {type(value).__name__}"
