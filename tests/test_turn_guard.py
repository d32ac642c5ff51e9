"""A turn is always answered, even when something nobody planned for breaks.

Another integration's LLM tool that crashes (with words in its exception) is
the witness: the person hears a translated sentence, the log says what broke
and where without a traceback or the words, the agent stays available and
the conversation goes on.
"""

from __future__ import annotations

import logging

import probatio
import pytest
from homeassistant.const import (
    CONF_LLM_HASS_API,
    MAJOR_VERSION,
    MINOR_VERSION,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.util.json import JsonObjectType

from .conftest import AGENT_ID, Home, ask, speech
from .llm_server import LLMServer, Reply, ToolCallStep

SECRET = "the-spare-key-is-under-the-mat"


class CrashingTool(llm.Tool):
    """A tool with a bug: not a HomeAssistantError, a plain crash."""

    name = "crash"
    description = "Checks the spare key."
    # Read-only, so the confirmation gate lets it run (and crash).
    annotations = llm.ToolAnnotations(
        read_only=True, destructive=False, open_world=False
    )
    parameters = probatio.Schema({})

    async def async_call(
        self,
        hass: HomeAssistant,
        tool_input: llm.ToolInput,
        llm_context: llm.LLMContext,
    ) -> JsonObjectType:
        raise RuntimeError(SECRET)


class BuggyAPI(llm.API):
    """Another integration's LLM API, with the crashing tool."""

    async def async_get_api_instance(
        self, llm_context: llm.LLMContext
    ) -> llm.APIInstance:
        return llm.APIInstance(
            api=self, api_prompt="", llm_context=llm_context, tools=[CrashingTool()]
        )


@pytest.fixture
def agent_options(hass: HomeAssistant) -> dict[str, object]:
    """The agent uses Assist and the buggy API."""
    llm.async_register_api(hass, BuggyAPI(hass=hass, id="buggy", name="Buggy"))
    return {CONF_LLM_HASS_API: [llm.LLM_API_ASSIST, "buggy"]}


async def test_a_crashing_tool_is_answered(
    hass: HomeAssistant,
    home: Home,
    config_entry: object,
    llm_server: LLMServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A spoken error, a log line naming the error and place, the next turn works."""
    caplog.set_level(logging.DEBUG)
    # Home Assistant 2026.10 names a merged API's tools after the API; 2026.11
    # only when two tools' names collide.
    name = "crash" if (MAJOR_VERSION, MINOR_VERSION) >= (2026, 11) else "buggy__crash"
    llm_server.script(Reply(tool_calls=[ToolCallStep(name, {})]))

    result = await ask(hass, "where is the spare key")

    assert speech(result) == "Something went wrong on my side. Please try again."
    assert result.response.response_type.value == "error"
    assert hass.states.get(AGENT_ID).state != STATE_UNAVAILABLE
    (line,) = [r for r in caplog.records if "unexpectedly" in r.getMessage()]
    assert line.levelno == logging.ERROR
    assert "RuntimeError at test_turn_guard.py:" in line.getMessage()
    assert not [r for r in caplog.records if r.exc_info]
    assert SECRET not in caplog.text

    # The unanswered call is not remembered: the provider gets a valid history.
    llm_server.script(Reply(text="I'm here."))
    result = await ask(hass, "are you there", result.conversation_id)
    assert speech(result) == "I'm here."
    history = llm_server.requests_to("/v1/chat/completions")[-1].json["messages"]
    assert not [m for m in history if m.get("tool_calls")]
    assert [m["role"] for m in history[1:]] == ["user", "assistant", "user"]
