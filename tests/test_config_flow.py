"""Config flow: every provider's steps and errors, reauth, reconfigure, agents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

import pytest
from aiohttp import web
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_API_KEY,
    CONF_LLM_HASS_API,
    CONF_MODEL,
    CONF_NAME,
    CONF_URL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import llm
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_ALLOW_PROVIDER_STORAGE,
    CONF_KEEP_ALIVE,
    CONF_MAX_TOKENS,
    CONF_PROVIDER,
    CONF_REASONING_EFFORT,
    CONF_REDACT,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    CONF_TEMPERATURE,
    CONF_THINKING_BUDGET,
    CONF_TIMEOUT,
    DOMAIN,
)

from .agent_form import advanced_step
from .conftest import (
    PROVIDERS,
    Home,
    async_load_provider_entry,
    provider_entry,
    provider_url,
)
from .llm_server import LLMServer


def closed_url(kind: str) -> str:
    """A loopback URL where nothing listens."""
    return (
        "http://127.0.0.1:9/v1"
        if kind in ("openai", "openai_compatible")
        else "http://127.0.0.1:9"
    )


async def start_flow(hass: HomeAssistant, kind: str) -> dict[str, Any]:
    """Open the flow and pick a provider (cloud providers have an optional URL field)."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={
            "source": config_entries.SOURCE_USER,
        },
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == PROVIDERS
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == kind
    return result


@pytest.mark.parametrize("kind", PROVIDERS)
async def test_setup_recovers_from_every_error(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, kind: str
) -> None:
    """cannot_connect, invalid_auth and unknown each recover in the same flow."""
    llm_server.required_key = "good-key"
    result = await start_flow(hass, kind)
    flow_id = result["flow_id"]

    # Nothing listening.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: closed_url(kind), CONF_API_KEY: "good-key"}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    # The server rejects the key.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: provider_url(kind, llm_server), CONF_API_KEY: "bad-key"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    # Something unexpected inside Home Assistant.
    with patch(
        "custom_components.confidant.config_flow.async_create_provider",
        side_effect=RuntimeError,
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id,
            {CONF_URL: provider_url(kind, llm_server), CONF_API_KEY: "good-key"},
        )
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: provider_url(kind, llm_server), CONF_API_KEY: " good-key "}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "model"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL: "qwen2.5-7b-instruct"}
    )
    assert result["step_id"] == "consent"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: False}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data == {
        CONF_PROVIDER: kind,
        CONF_URL: provider_url(kind, llm_server).rstrip("/"),
        CONF_API_KEY: "good-key",
    }
    # The first agent, and an AI task with the same model.
    subentry, task = entry.subentries.values()
    assert subentry.subentry_type == "conversation"
    assert subentry.data[CONF_MODEL] == "qwen2.5-7b-instruct"
    assert subentry.data[CONF_LLM_HASS_API] == [llm.LLM_API_ASSIST]
    assert task.subentry_type == "ai_task_data"
    assert task.title == "Confidant AI Task"
    assert task.data[CONF_MODEL] == "qwen2.5-7b-instruct"
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("conversation.confidant") is not None
    assert hass.states.get("ai_task.confidant_ai_task") is not None


async def test_model_is_free_text_when_the_server_lists_none(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """A server with an empty model list still gets an agent with a typed model."""
    llm_server.models = []
    result = await start_flow(hass, "openai_compatible")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: llm_server.url}
    )
    assert result["step_id"] == "model"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "my-gguf"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The agent and the AI task both get the typed model.
    assert [s.data[CONF_MODEL] for s in result["result"].subentries.values()] == [
        "my-gguf",
        "my-gguf",
    ]
    assert CONF_API_KEY not in result["result"].data


async def test_same_server_twice_is_refused(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """One entry per server URL."""
    MockConfigEntry(
        domain=DOMAIN,
        data={CONF_PROVIDER: "openai_compatible", CONF_URL: llm_server.url},
    ).add_to_hass(hass)
    result = await start_flow(hass, "openai_compatible")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: llm_server.url + "/"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize("kind", PROVIDERS)
async def test_reauth_with_a_new_key(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, kind: str
) -> None:
    """A rejected key at start-up asks for a new one; a wrong one is refused, the right one reloads."""
    entry = provider_entry(llm_server, kind, api_key="expired")
    entry.add_to_hass(hass)
    llm_server.required_key = "fresh"
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR

    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == config_entries.SOURCE_REAUTH
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: "fresh"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == "fresh"
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_changes_the_url(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    config_entry: MockConfigEntry,
) -> None:
    """The URL can be changed; an unreachable one is refused first."""
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "http://127.0.0.1:9/v1"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: llm_server.url + "/", CONF_API_KEY: "now-with-key"},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_URL] == llm_server.url
    assert config_entry.data[CONF_API_KEY] == "now-with-key"


async def test_add_and_change_an_agent(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    config_entry: MockConfigEntry,
) -> None:
    """A second agent with its own model and prompt; then change it."""
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, "conversation"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "set_options"
    basic = {
        CONF_NAME: "Kids",
        CONF_MODEL: "qwen2.5-7b-instruct",
        "prompt": "Answer like a friendly teacher.",
        CONF_LLM_HASS_API: [],
    }
    limits = {CONF_MAX_TOKENS: 200, CONF_TEMPERATURE: 0.2, CONF_TIMEOUT: 20}
    result = await advanced_step(hass, result, basic)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], limits
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    kids = next(s for s in config_entry.subentries.values() if s.title == "Kids")
    assert kids.data[CONF_MODEL] == "qwen2.5-7b-instruct"
    assert CONF_LLM_HASS_API not in kids.data
    assert hass.states.get("conversation.kids") is not None

    result = await config_entry.start_subentry_reconfigure_flow(hass, kids.subentry_id)
    assert result["step_id"] == "set_options"
    result = await advanced_step(
        hass, result, {k: v for k, v in basic.items() if k != CONF_NAME}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**limits, CONF_MAX_TOKENS: 300}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.subentries[kids.subentry_id].data[CONF_MAX_TOKENS] == 300


@pytest.mark.parametrize(
    ("kind", "option", "value"),
    [
        ("openai", CONF_REASONING_EFFORT, "low"),
        ("anthropic", CONF_THINKING_BUDGET, 0),
        ("ollama", CONF_KEEP_ALIVE, -1),
    ],
)
async def test_agent_form_has_provider_options(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    kind: str,
    option: str,
    value: object,
) -> None:
    """Each provider's own knobs appear in its agent form with their defaults."""
    entry = await async_load_provider_entry(hass, llm_server, kind)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "conversation"), context={"source": "user"}
    )
    result = await advanced_step(hass, result, {CONF_NAME: "A", CONF_MODEL: "m"})
    fields = {str(key): key for key in result["data_schema"].schema}
    assert option in fields
    assert fields[option].default() == value


@pytest.mark.parametrize("subentry_type", ["conversation", "ai_task_data"])
async def test_agent_flow_aborts_when_the_entry_is_not_loaded(
    hass: HomeAssistant, home: Home, socket_enabled: None, subentry_type: str
) -> None:
    """Agents and AI tasks cannot be added while the provider is unreachable."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_PROVIDER: "openai_compatible", CONF_URL: "http://127.0.0.1:9/v1"},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, subentry_type), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_preferred_model_is_suggested(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """When OpenAI lists a model that suits an assistant, the first agent starts with it."""
    llm_server.models = ["babbage-002", "gpt-5-mini", "o3"]
    result = await start_flow(hass, "openai")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: llm_server.url, CONF_API_KEY: "k"}
    )
    (model_key,) = result["data_schema"].schema
    assert model_key.default() == "gpt-5-mini"


async def test_agent_form_works_when_the_model_list_fails(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    config_entry: MockConfigEntry,
) -> None:
    """A server that stops listing models still lets a person add an agent by typing the model."""
    llm_server.models_status = 500
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, "conversation"), context={"source": "user"}
    )
    assert result["step_id"] == "set_options"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Typed", CONF_MODEL: "typed-model"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MODEL] == "typed-model"


async def _to_consent(hass: HomeAssistant, kind: str, url: str) -> dict[str, Any]:
    result = await start_flow(hass, kind)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_API_KEY: "k"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "m"}
    )
    assert result["step_id"] == "consent"
    return result


async def test_consent_is_required_to_keep_transcripts(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """Keeping transcripts without the consent box is refused; with it, the choices are saved."""
    result = await _to_consent(hass, "openai", llm_server.url)
    fields = {str(key) for key in result["data_schema"].schema}
    assert {CONF_ALLOW_PROVIDER_STORAGE, CONF_ALLOW_CLOUD_IMAGES, CONF_REDACT} <= fields
    assert "OpenAI" in result["description_placeholders"]["terms"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 30, CONF_RETENTION_CONSENT: False}
    )
    assert result["errors"] == {"base": "consent_required"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_RETENTION_DAYS: 30,
            CONF_RETENTION_CONSENT: True,
            CONF_ALLOW_CLOUD_IMAGES: True,
            CONF_REDACT: True,
            CONF_ALLOW_PROVIDER_STORAGE: False,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = result["result"].options
    assert options[CONF_RETENTION_DAYS] == 30
    assert options[CONF_RETENTION_CONSENT] is True
    assert options[CONF_ALLOW_CLOUD_IMAGES] is True
    assert options[CONF_ALLOW_PROVIDER_STORAGE] is False


async def test_local_provider_asks_no_cloud_questions(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """A server on the local network: no storage, image or redaction questions, all recorded as off."""
    result = await _to_consent(hass, "ollama", f"http://127.0.0.1:{llm_server.port}")
    fields = {str(key) for key in result["data_schema"].schema}
    assert (
        not {CONF_ALLOW_PROVIDER_STORAGE, CONF_ALLOW_CLOUD_IMAGES, CONF_REDACT} & fields
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].options[CONF_RETENTION_CONSENT] is False
    assert result["result"].options[CONF_ALLOW_CLOUD_IMAGES] is False


async def test_options_flow_switching_retention_off_needs_confirmation(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    config_entry: MockConfigEntry,
) -> None:
    """Turning retention off asks first; declining keeps it, confirming switches it off."""
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_RETENTION_DAYS: 7, CONF_RETENTION_CONSENT: True}
    )
    await hass.async_block_till_done()

    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 14, CONF_RETENTION_CONSENT: False}
    )
    assert result["errors"] == {"base": "consent_required"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: False}
    )
    assert result["step_id"] == "confirm_delete"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"confirm": False}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "retention_kept"
    assert config_entry.options[CONF_RETENTION_DAYS] == 7

    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: False}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"confirm": True}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert config_entry.options[CONF_RETENTION_DAYS] == 0

    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 3, CONF_RETENTION_CONSENT: True}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert config_entry.options[CONF_RETENTION_DAYS] == 3


def wrong_path_url(kind: str, server: LLMServer) -> str:
    """The loopback server at a path where the provider's API is not."""
    if kind == "openai_compatible":
        return f"http://127.0.0.1:{server.port}"  # /v1 left out
    if kind == "ollama":
        return server.url  # /v1 added: Ollama's own API has no /v1
    return f"http://127.0.0.1:{server.port}/proxy"


NOT_THE_API = {
    "openai_compatible": "not_openai_compatible",
    "ollama": "not_ollama",
    "openai": "not_provider_api",
    "anthropic": "not_provider_api",
}


@pytest.fixture
async def web_page(socket_enabled: None) -> AsyncIterator[str]:
    """A loopback server that answers every path with a web page (a login, a router)."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<html><body>Sign in</body></html>", content_type="text/html"
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize("kind", PROVIDERS)
async def test_each_wrong_url_says_what_to_fix(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    web_page: str,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No scheme, nothing listening, a wrong path, a web page, a server error: each its own error; then the right URL goes on."""
    result = await start_flow(hass, kind)
    flow_id = result["flow_id"]

    async def submit(url: str) -> dict[str, Any]:
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_URL: url, CONF_API_KEY: "secret-key-123"}
        )
        return dict(result)

    # Typed without http:// : no request is made at all.
    requests_before = len(llm_server.requests)
    no_scheme = provider_url(kind, llm_server).removeprefix("http://")
    assert (await submit(no_scheme))["errors"] == {"base": "invalid_url"}
    assert (await submit("http://"))["errors"] == {"base": "invalid_url"}
    assert len(llm_server.requests) == requests_before

    assert (await submit(closed_url(kind)))["errors"] == {"base": "cannot_connect"}

    # A server that answers, on the wrong path: the log names the status.
    caplog.clear()
    result = await submit(wrong_path_url(kind, llm_server))
    assert result["errors"] == {"base": NOT_THE_API[kind]}
    assert result["step_id"] == kind
    assert f"Connection test failed: {NOT_THE_API[kind]} (HTTP 404)" in caplog.text
    assert "secret-key-123" not in caplog.text

    # A web page where the API should be.
    assert (await submit(web_page))["errors"] == {"base": NOT_THE_API[kind]}

    # The API, but failing.
    llm_server.models_status = 500
    assert (await submit(provider_url(kind, llm_server)))["errors"] == {
        "base": "server_error"
    }
    llm_server.models_status = 200

    # Corrected in the same flow, it goes on to the model.
    result = await submit(provider_url(kind, llm_server))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "model"


async def test_reconfigure_says_what_is_wrong_with_the_url(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    config_entry: MockConfigEntry,
) -> None:
    """Changing the URL gets the same errors as setting it up."""
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "localhost:8080/v1"}
    )
    assert result["errors"] == {"base": "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://127.0.0.1:{llm_server.port}"}
    )
    assert result["errors"] == {"base": "not_openai_compatible"}
    assert config_entry.data[CONF_URL] == llm_server.url


async def test_new_agents_get_names_no_agent_has(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    config_entry: MockConfigEntry,
) -> None:
    """Add agent proposes "Confidant 2" next to "Confidant"; so does a second provider."""
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, "conversation"), context={"source": "user"}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    assert fields[CONF_NAME].description == {"suggested_value": "Confidant 2"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Confidant 2", CONF_MODEL: "m"}
    )
    await hass.async_block_till_done()
    assert hass.states.get("conversation.confidant_2") is not None

    # The AI task form proposes its own unique name the same way.
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, "ai_task_data"), context={"source": "user"}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    assert fields[CONF_NAME].description == {"suggested_value": "Confidant AI Task"}

    # A second provider (Ollama on the same loopback server): its first agent
    # is "Confidant 3", so the pipeline picker never shows two of one name.
    result = await start_flow(hass, "ollama")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://127.0.0.1:{llm_server.port}"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "m"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RETENTION_DAYS: 0, CONF_RETENTION_CONSENT: False}
    )
    await hass.async_block_till_done()
    assert [s.title for s in result["result"].subentries.values()] == [
        "Confidant 3",
        "Confidant AI Task",
    ]
    names = sorted(state.name for state in hass.states.async_all("conversation"))
    # Home Assistant's own agent is listed in the same picker.
    assert names == ["Confidant", "Confidant 2", "Confidant 3", "Home Assistant"]
