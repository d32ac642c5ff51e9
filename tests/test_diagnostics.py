"""Diagnostics say how Confidant is set up and what it sent, never what was said."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_PROMPT, CONF_URL
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_PROVIDER,
    CONF_REDACT,
    DOMAIN,
    PROVIDER_ANTHROPIC,
)
from custom_components.confidant.diagnostics import _without_credentials

from .conftest import (
    TURN_ON_KITCHEN,
    Home,
    agent_subentry,
    ask,
    provider_url,
    run_turn_with_image,
    speech,
    tiny_jpeg_file,
)
from .llm_server import LLMServer, Reply

KEY = "sk-ant-api03-DIAGNOSTICS-SECRET-KEY"
# Words that only a conversation (or the agent's own instructions) carries.
MARKERS = (
    KEY,
    "PINEAPPLE-QUESTION",
    "MANGO-ANSWER",
    "PAPAYA-IMAGE-QUESTION",
    "KIWI-HOUSE-RULES",
    "Kitchen lights",
)


async def setup_entry(hass: HomeAssistant, server: LLMServer) -> MockConfigEntry:
    """An Anthropic entry (a cloud provider) with a key and one agent."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Claude",
        data={
            CONF_PROVIDER: PROVIDER_ANTHROPIC,
            CONF_URL: provider_url(PROVIDER_ANTHROPIC, server),
            CONF_API_KEY: KEY,
        },
        options={CONF_ALLOW_CLOUD_IMAGES: True, CONF_REDACT: False},
        subentries_data=[
            agent_subentry(**{CONF_PROMPT: "Follow the KIWI-HOUSE-RULES, always."})
        ],
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_diagnostics_hold_numbers_not_words(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_client: ClientSessionGenerator,
    tmp_path: Path,
) -> None:
    """The key and every word said are absent; the ledger's numbers are there."""
    entry = await setup_entry(hass, llm_server)
    assert entry.state is ConfigEntryState.LOADED
    llm_server.script(Reply(text="It is MANGO-ANSWER weather."))
    result = await ask(hass, "PINEAPPLE-QUESTION: what's the weather?")
    assert speech(result) == "It is MANGO-ANSWER weather."
    llm_server.script(
        Reply(tool_calls=[TURN_ON_KITCHEN]),
        Reply(text="Done, MANGO-ANSWER."),
    )
    await ask(hass, "turn on the kitchen lights", result.conversation_id)
    path = tiny_jpeg_file(tmp_path, "porch.jpg")
    llm_server.script(Reply(text="A MANGO-ANSWER parcel."))
    await run_turn_with_image(hass, "PAPAYA-IMAGE-QUESTION", path)
    assert any(b"PINEAPPLE-QUESTION" in request.body for request in llm_server.requests)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    dump = json.dumps(diagnostics)
    for marker in MARKERS:
        assert marker not in dump
    assert diagnostics["entry"]["data"][CONF_API_KEY] == "**REDACTED**"
    assert diagnostics["entry"]["data"][CONF_PROVIDER] == PROVIDER_ANTHROPIC
    assert diagnostics["entry"]["options"] == {
        CONF_ALLOW_CLOUD_IMAGES: True,
        CONF_REDACT: False,
    }
    (agent,) = diagnostics["agents"].values()
    assert agent["options"][CONF_PROMPT] == "**REDACTED**"
    assert agent["options"]["model"] == "llama-3.2-3b-instruct"
    assert agent["options"]["max_tokens"] == 1024
    assert diagnostics["provider"] == {
        "kind": PROVIDER_ANTHROPIC,
        "local": False,
        # A cloud API says nothing of its models: unknown, never guessed.
        "models": {
            "llama-3.2-3b-instruct": {
                "tools": None,
                "vision": None,
                "context_tokens": None,
                "source": "",
            }
        },
        "prompt_tokens_per_second": None,
    }

    counts = diagnostics["counts"]
    assert counts["agents"] == 1
    # The conversation above is still remembered; the image turn ran outside it.
    assert counts["open_conversation_contexts"] == 1

    today = diagnostics["ledger"]["today"]
    sent = sum(len(request.body) for request in llm_server.requests)
    assert today == {
        # Model requests; the start-up model list asked no model.
        "requests": len(llm_server.requests_to("/v1/messages")),
        "bytes": sent,
        "images": 1,
        "tokens": sum(usage.total for usage in llm_server.reported),
        "cached_tokens": sum(usage.cached for usage in llm_server.reported),
        "facts": 0,
        "bytes_to_cloud": sent,
    }
    (row,) = diagnostics["ledger"]["days"]
    assert row["provider"] == PROVIDER_ANTHROPIC
    assert row["local"] is False
    assert row["bytes"] == sent

    versions = diagnostics["versions"]
    assert set(versions) == {
        "home_assistant",
        "openai",
        "anthropic",
        "httpx",
        "aiohttp",
    }
    assert all(isinstance(version, str) and version for version in versions.values())


async def test_diagnostics_of_an_entry_that_did_not_start(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_client: ClientSessionGenerator,
) -> None:
    """An entry waiting to retry still has diagnostics, without runtime numbers."""
    llm_server.models_status = 500
    entry = await setup_entry(hass, llm_server)
    assert entry.state is ConfigEntryState.SETUP_RETRY

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert KEY not in json.dumps(diagnostics)
    assert diagnostics["entry"]["state"] == "setup_retry"
    assert diagnostics["provider"] == {"kind": PROVIDER_ANTHROPIC, "local": None}
    assert diagnostics["ledger"] == {"today": None, "days": []}
    assert diagnostics["counts"]["open_conversation_contexts"] == 0


def test_credentials_in_a_url_are_redacted() -> None:
    """A reverse proxy's user and password never reach a diagnostics file."""
    assert (
        _without_credentials("https://me:hunter2@ollama.example.com:443/api")
        == "https://**REDACTED**@ollama.example.com:443/api"
    )
    assert _without_credentials("http://127.0.0.1:11434") == "http://127.0.0.1:11434"
