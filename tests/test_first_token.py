"""A local model's first word: a deadline from the prompt and the server's speed.

The scripted server waits before its first byte, as llama-server does while
it evaluates a prompt. Real seconds are short here (the agent's timeout is
half a second); the rules are the same at 30 s.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.const import CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import CONF_PROVIDER, CONF_TIMEOUT, DOMAIN
from custom_components.confidant.model.first_token import (
    LOCAL_MAX_WAIT,
    first_token_deadline,
)
from custom_components.confidant.providers.prompt_speed import PromptSpeed

from .conftest import AGENT_ID, Home, agent_subentry, ask, speech, wire_sample
from .llm_server import LLMServer, Reply

TIMEOUT = 0.5
TOO_LONG = "The model took too long to answer. Please try again."
STILL_THINKING = (
    "I'm still thinking about that: the model server needs longer than usual. "
    "Ask me again in a moment."
)


@pytest.fixture
def agent_options() -> dict[str, object]:
    """A short request timeout, so the deadlines here pass quickly."""
    return {CONF_TIMEOUT: TIMEOUT}


async def test_a_slow_server_is_learned_and_given_time(
    hass: HomeAssistant, local_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """Timeout, then 'still thinking', then an answer later than the timeout."""
    speed = local_entry.runtime_data.provider.prompt_speed
    assert speed.tokens_per_second is None

    # Unknown server, silent for longer than the agent's timeout: a timeout.
    llm_server.script(Reply(text="Too late.", latency=1.5))
    first = await ask(hass, "Turn on the kitchen lights")
    assert speech(first) == TOO_LONG
    # ...and the server is known to be no faster than that prompt in 0.5 s.
    assert speed.tokens_per_second is not None

    # Known slow: the deadline grows; still silent: "still thinking".
    llm_server.script(Reply(text="Too late again.", latency=2.5))
    second = await ask(hass, "Turn on the kitchen lights", first.conversation_id)
    assert speech(second) == STILL_THINKING

    # Now an answer that comes after the agent's own timeout is waited for.
    llm_server.script(Reply(text="The kitchen lights are on.", latency=0.8))
    third = await ask(hass, "Turn on the kitchen lights", first.conversation_id)
    assert speech(third) == "The kitchen lights are on."
    assert hass.states.get(AGENT_ID).state != STATE_UNAVAILABLE


async def test_llamacpp_timings_measure_the_prompt_speed(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """llama.cpp's `timings` on the last chunk: tokens evaluated, and how long."""
    sample = wire_sample("llamacpp_tool_markup_leaks_into_content.sse").replace(
        b'"prompt_n":15,"prompt_ms":42.206', b'"prompt_n":1500,"prompt_ms":30000.0'
    )
    llm_server.script_raw(sample)
    llm_server.script(Reply(text="It is sunny."))
    await ask(hass, "weather?")
    speed = config_entry.runtime_data.provider.prompt_speed
    assert speed.tokens_per_second == pytest.approx(50.0)


def test_the_deadline_rules() -> None:
    speed = PromptSpeed()
    # Unknown: the agent's timeout.
    assert first_token_deadline(30, 5000, speed) == (30, False)
    speed.observe(1500, 30.0)  # 50 tokens/s, as a small CPU
    # 600 tokens: 12 s expected; 30 s is enough.
    assert first_token_deadline(30, 600, speed) == (30, False)
    # 5000 tokens: 100 s expected -> 156 s.
    assert first_token_deadline(30, 5000, speed) == (156.0, True)
    # Never beyond the most a person is kept waiting.
    assert first_token_deadline(30, 50000, speed) == (LOCAL_MAX_WAIT, True)
    # Too few tokens to measure anything; a faster sample moves it part way.
    speed.observe(20, 0.01)
    assert speed.tokens_per_second == 50
    speed.observe(1000, 1.0)
    assert speed.tokens_per_second == pytest.approx(50 + 0.3 * 950)
    # A slower one at once.
    speed.observe(1000, 100.0)
    assert speed.tokens_per_second == 10


async def test_the_speed_is_remembered_per_entry(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
) -> None:
    """Across a reload (every reconfiguration) and a restart; deleted with it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_PROVIDER: "openai_compatible", CONF_URL: llm_server.url},
        subentries_data=[agent_subentry()],
    )
    key = f"confidant.prompt_speed.{entry.entry_id}"
    # Measured in an earlier run of Home Assistant.
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {"tokens_per_second": 42.0},
    }
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    speed = entry.runtime_data.provider.prompt_speed
    assert speed.tokens_per_second == 42.0

    speed.observe(1000, 50.0)  # slower now: 20 tokens/s
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.provider.prompt_speed.tokens_per_second == 20.0
    assert hass_storage[key]["data"] == {"tokens_per_second": 20.0}

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
