"""The prompt budget in bytes: what the overview and a turn's tail may take."""

from __future__ import annotations

import json
from typing import Any, Final

from homeassistant.helpers import llm

from ..providers import ToolSpec
from ..turn.tool_specs import ToolSpecs
from .index import HOME_SHARE

# About four bytes of English or JSON make a token.
BYTES_PER_TOKEN: Final = 4
# The share of the budget kept free of the stable overview for what changes
# from turn to turn: the remembered turns, the tail, the question, tool results.
TURN_RESERVE_SHARE: Final = 0.35
# The share of the budget the per-turn tail may take at most. Small, so that
# from the second turn on nearly all of a request is a prefix a provider has
# cached (the tail is fresh input in every request).
TAIL_SHARE: Final = 0.03
# JSON framing of a request: keys, quotes, the model name and options.
REQUEST_FRAMING_BYTES: Final = 600


def home_allowance(budget_tokens: int, fixed_bytes: int) -> int:
    """The bytes the stable overview of the home may take.

    A share of the budget, and at most what the stable rest of the request
    (`fixed_bytes`) leaves of it once the turn's own share is kept free.
    """
    budget = budget_tokens * BYTES_PER_TOKEN
    return max(
        0,
        int(
            min(
                budget - fixed_bytes - budget * TURN_RESERVE_SHARE,
                budget * HOME_SHARE,
            )
        ),
    )


def tail_allowance(budget_tokens: int, used_bytes: int) -> int:
    """The bytes a turn's tail may take: a small share, and what is left."""
    budget = budget_tokens * BYTES_PER_TOKEN
    return max(0, int(min(budget - used_bytes, budget * TAIL_SHARE)))


def tool_bytes(tool: llm.Tool, specs: ToolSpecs) -> int:
    """About how many bytes a tool's description takes in a request.

    Measured once per converted spec: converting and measuring a turn's
    tools anew every turn cost about 3.5 ms of the benchmark's 7 ms
    overhead per turn.
    """
    try:
        return specs.size(tool, llm.selector_serializer, _spec_bytes)
    except Exception:  # noqa: BLE001 - an estimate must not fail the turn
        return _described_bytes(tool, {})


def _spec_bytes(tool: llm.Tool, spec: ToolSpec) -> int:
    return _described_bytes(tool, spec.parameters)


def _described_bytes(tool: llm.Tool, parameters: Any) -> int:
    return len(
        json.dumps(
            {
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "parameters": parameters,
            },
            default=str,
        ).encode()
    )
