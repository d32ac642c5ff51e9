"""Real conversations with a real small model through Confidant.

A 135M-parameter model is weak: what it says is not asserted, only what
Confidant guarantees whatever it says: every turn ends with a spoken answer
within its deadline, without a traceback, and the agent stays available.
"""

from __future__ import annotations

import logging
import time

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..conftest import AGENT_ID, ask, speech
from .conftest import TURN_DEADLINE, watch_first_tokens


async def test_a_real_turn_is_answered_in_time(
    hass: HomeAssistant,
    real_entry: MockConfigEntry,
    turn_report,
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = watch_first_tokens(real_entry)
    said = "What can you do?"
    started = time.perf_counter()
    result = await ask(hass, said)
    seconds = time.perf_counter() - started
    answer = speech(result)
    turn_report(said, answer, seconds, watch.first_tokens[0], outcome="answered")

    assert answer.strip()
    assert seconds < TURN_DEADLINE
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert hass.states.get(AGENT_ID).state != STATE_UNAVAILABLE
