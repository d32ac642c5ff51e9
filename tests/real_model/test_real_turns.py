"""Real conversations with a real small model through Confidant.

A 135M-parameter model is weak: what it says is not asserted, only what
Confidant guarantees whatever it says: every turn ends with a spoken answer
within its deadline, without a traceback or machinery in it; the agent stays
available; a tool call with arguments that cannot be read comes back to the
model as a tool error; the front door stays locked unless the person said
yes. Each turn's timings go to the tier's report (see conftest.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.lock import LockState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    setup_test_component_platform,
)

from custom_components.confidant.const import DOMAIN
from custom_components.confidant.providers import (
    AssistantMessage,
    ToolResultMessage,
)

from ..conftest import AGENT_ID, Home, ask, speech
from ..test_confirmation import MemoryLock
from .conftest import TURN_DEADLINE, FirstTokenWatch, add_real_entry, watch_first_tokens
from .llama import Flavour, LlamaServer

FRONT_DOOR = "lock.front_door"
MACHINERY = re.compile(r'<tool|</tool|<\||\{\s*"|\[TOOL_CALLS\]|<function')


def tool_calls(watch: FirstTokenWatch, first_request: int) -> list[tuple[str, Any]]:
    """Every tool call of the turn and what came back to the model."""
    if len(watch.requests) <= first_request:
        return []
    messages = watch.requests[-1].messages
    results = {m.call_id: m for m in messages if isinstance(m, ToolResultMessage)}
    calls = []
    for message in messages:
        if isinstance(message, AssistantMessage):
            for call in message.tool_calls:
                result = results.get(call.id)
                calls.append((call.name, None if result is None else result.is_error))
    return calls


async def logged_timings(
    server: LlamaServer, since: int, count: int
) -> list[dict[str, float]]:
    """The server's timings after `since`, once `count` requests are logged.

    llama-server logs a request's timings just after its last byte: a turn
    can end before the line is written. A child process's log, so real time.
    """
    for _ in range(100):
        if len(found := server.timings(since)) >= count:
            return found
        await asyncio.sleep(0.05)
    return server.timings(since)


async def real_turn(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    watch: FirstTokenWatch,
    turn_report: Callable[..., Any],
    said: str,
    conversation_id: str | None = None,
    server: LlamaServer | None = None,
) -> tuple[str, str, list[tuple[str, Any]]]:
    """One turn, checked for what Confidant guarantees; returns the answer."""
    first = len(watch.requests)
    mark = len(server.log()) if server else 0
    started = time.perf_counter()
    result = await ask(hass, said, conversation_id)
    seconds = time.perf_counter() - started
    answer = speech(result)
    calls = tool_calls(watch, first)
    turn_report(
        said,
        answer,
        seconds,
        watch.first_tokens[first] if len(watch.first_tokens) > first else None,
        [f"{name}{' (error)' if error else ''}" for name, error in calls],
        result.response.response_type.value,
        await logged_timings(server, mark, max(1, len(watch.requests) - first))
        if server
        else [],
    )
    assert answer.strip(), "every turn ends with a spoken answer"
    assert seconds < TURN_DEADLINE
    assert not MACHINERY.search(answer)
    assert hass.states.get(AGENT_ID).state != STATE_UNAVAILABLE
    return answer, result.conversation_id or "", calls


@pytest.fixture
async def front_door(hass: HomeAssistant, home: Home) -> MemoryLock:
    lock = MemoryLock("Front door", "front-door")
    setup_test_component_platform(hass, "lock", [lock])
    assert await async_setup_component(hass, "lock", {"lock": {"platform": "test"}})
    await hass.async_block_till_done()
    async_expose_entity(hass, "conversation", FRONT_DOOR, True)
    return lock


async def test_a_conversation_with_a_real_model(
    hass: HomeAssistant,
    front_door: MemoryLock,
    llama_server: LlamaServer,
    turn_report: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three turns of one conversation on the tool-capable server."""
    # Instructions of its own: no other test's prompt is in the server's
    # cache, so the first turn is evaluated whole.
    entry = await add_real_entry(
        hass,
        llama_server,
        prompt="You are the voice of this home. Answer in one short sentence.",
    )
    watch = watch_first_tokens(entry)
    mark = len(llama_server.log())
    # The server told Confidant its real context; the budget fits in it.
    (known,) = entry.runtime_data.capabilities.values()
    assert known.tools is True
    assert (
        known.context_tokens
        == llama_server.props["default_generation_settings"]["n_ctx"]
    )

    _, conversation_id, calls = await real_turn(
        hass,
        entry,
        watch,
        turn_report,
        "Turn on the kitchen lights.",
        server=llama_server,
    )
    # The first prompt was evaluated whole: its speed is now known, as the
    # server measured it (first_token.py bases local deadlines on it).
    (first_timing, *_) = await logged_timings(llama_server, mark, 1)
    measured = entry.runtime_data.provider.prompt_speed.tokens_per_second
    assert measured == pytest.approx(
        first_timing["prompt_tokens"] / first_timing["prompt_ms"] * 1000, rel=0.01
    )
    _, _, more = await real_turn(
        hass,
        entry,
        watch,
        turn_report,
        "Unlock the front door.",
        conversation_id,
        llama_server,
    )
    calls += more
    # From turn 2 the server reuses the prompt it has cached: it evaluates
    # only what is new (the overview of this small home does not change).
    second_timing = (await logged_timings(llama_server, mark, 2))[-1]
    assert second_timing["prompt_tokens"] < first_timing["prompt_tokens"] / 4
    # Whatever the model did, the door is locked: only the person's own yes
    # in the next turn could unlock it.
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED
    _, _, more = await real_turn(
        hass,
        entry,
        watch,
        turn_report,
        "What is the weather like?",
        conversation_id,
        llama_server,
    )
    calls += more
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED
    # No traceback, nothing logged as an error.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # Every tool call the model made got a result back (an error for one
    # whose arguments could not be read), never an exception.
    assert all(error is not None for _, error in calls)


async def test_the_models_own_template_cannot_call_tools(
    hass: HomeAssistant,
    home: Home,
    llama_factory: Callable[[Flavour], LlamaServer],
) -> None:
    """SmolLM2's own template drops tools: Confidant finds out and says so."""
    server = llama_factory(Flavour(tool_template=False))
    assert server.props["chat_template_caps"]["supports_tools"] is False
    entry = await add_real_entry(hass, server)
    (subentry,) = entry.subentries.values()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"model_cannot_call_tools_{subentry.subentry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["source"].startswith("llama.cpp /props")


async def test_without_jinja_the_server_says_why(
    hass: HomeAssistant,
    home: Home,
    llama_factory: Callable[[Flavour], LlamaServer],
    turn_report: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """llama-server without --jinja refuses tools; its reason is spoken."""
    server = llama_factory(Flavour(tool_template=False, jinja=False))
    entry = await add_real_entry(hass, server)
    watch = watch_first_tokens(entry)
    with caplog.at_level(logging.WARNING):
        answer, _, _ = await real_turn(
            hass, entry, watch, turn_report, "Turn on the kitchen lights."
        )
    assert answer == "The model service said: tools param requires --jinja flag."
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "the server said: tools param requires --jinja flag" in logged
    assert "kitchen lights" not in logged
