"""Confidant asks the server what the model can do, and tells the person.

llama.cpp's /props, Ollama's /api/show and /v1/models metadata, served by
the scripted server with the fields real servers send (the llama.cpp
documents are those llama-server 0.7.0 sent for SmolLM2, see
tests/real_model): a repair and a flow warning when an agent would control
the home with a model that cannot call tools, the prompt budget within the
real context, the camera tool only for a model that can see.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.const import CONF_LLM_HASS_API, CONF_MODEL, CONF_NAME, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    setup_test_component_platform,
)

from custom_components.confidant.const import (
    CONF_MAX_TOKENS,
    CONF_PROMPT_BUDGET,
    CONF_PROVIDER,
    CONF_VISION_AGENT,
    DEFAULT_PROMPT_BUDGET,
    DOMAIN,
)
from custom_components.confidant.model.check import model_knowledge
from custom_components.confidant.providers.capabilities import (
    from_llamacpp_props,
    from_ollama_show,
    from_openai_models,
)

from .agent_form import advanced_step, answers
from .cameras import TestCamera
from .conftest import Home, agent_subentry, ask, async_load_entry, speech
from .generated_home import async_load_home, generate_home
from .llm_server import LLMServer, RecordedRequest, Reply
from .test_camera import FRONT_DOOR, LOOK, doorstep_jpeg

CHAT = "/v1/chat/completions"


def llamacpp_props(
    *, tools: bool, vision: bool = False, n_ctx: int = 8192
) -> dict[str, Any]:
    """The parts of llama-server's /props that Confidant reads."""
    return {
        "default_generation_settings": {"n_ctx": n_ctx, "params": {"n_predict": -1}},
        "total_slots": 1,
        "modalities": {"vision": vision, "video": False, "audio": False},
        "chat_template_caps": {
            "supports_system_role": True,
            "supports_tool_calls": tools,
            "supports_tools": tools,
        },
        "build_info": "b11669-Debian",
    }


def ollama_show(
    capabilities: list[str], context_length: int = 131072
) -> dict[str, Any]:
    """The parts of Ollama's /api/show that Confidant reads."""
    return {
        "capabilities": capabilities,
        "model_info": {
            "general.architecture": "llama",
            "llama.context_length": context_length,
        },
    }


async def setup_entry(
    hass: HomeAssistant,
    llm_server: LLMServer,
    kind: str = "openai_compatible",
    **options: Any,
) -> MockConfigEntry:
    url = llm_server.url if kind == "openai_compatible" else llm_server.url[:-3]
    return await async_load_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            data={CONF_PROVIDER: kind, CONF_URL: url},
            subentries_data=[agent_subentry(**options)],
        ),
    )


def tools_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    (subentry,) = entry.subentries.values()
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"model_cannot_call_tools_{subentry.subentry_id}"
    )


def tool_names(request: RecordedRequest) -> list[str]:
    return [tool["function"]["name"] for tool in request.json.get("tools", [])]


# --- Tools -----------------------------------------------------------------------


async def test_llamacpp_template_without_tools_raises_a_repair(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    llm_server.props = llamacpp_props(tools=False)
    entry = await setup_entry(hass, llm_server)
    issue = tools_issue(hass, entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "agent": "Confidant",
        "model": "llama-3.2-3b-instruct",
        "source": "llama.cpp /props",
    }

    # Diagnostics say what the server said.
    assert model_knowledge(entry.runtime_data)["models"] == {
        "llama-3.2-3b-instruct": {
            "tools": False,
            "vision": False,
            "context_tokens": 8192,
            "source": "llama.cpp /props",
        }
    }

    # The server restarted with a tool-capable template: the reload clears it.
    llm_server.props = llamacpp_props(tools=True)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert tools_issue(hass, entry) is None


async def test_a_chat_only_agent_needs_no_tools(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    llm_server.props = llamacpp_props(tools=False)
    entry = await setup_entry(hass, llm_server, **{CONF_LLM_HASS_API: []})
    assert tools_issue(hass, entry) is None


@pytest.mark.parametrize(
    ("capabilities", "raised"),
    [(["completion"], True), (["completion", "tools"], False)],
)
async def test_ollama_capabilities(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    capabilities: list[str],
    raised: bool,
) -> None:
    llm_server.show = ollama_show(capabilities)
    entry = await setup_entry(hass, llm_server, "ollama")
    assert (tools_issue(hass, entry) is not None) is raised
    (show,) = llm_server.requests_to("/api/show")
    assert show.json == {"model": "llama-3.2-3b-instruct"}


async def test_a_server_that_says_nothing_is_trusted(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """No /props, no metadata: no repair, the default budget."""
    entry = await setup_entry(hass, llm_server)
    assert tools_issue(hass, entry) is None
    assert llm_server.requests_to("/props")


async def test_flow_warns_before_saving_an_agent_without_tools(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    llm_server.props = llamacpp_props(tools=False, n_ctx=4096)
    entry = await setup_entry(hass, llm_server, **{CONF_LLM_HASS_API: []})
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "conversation"), context={"source": "user"}
    )
    assert result["step_id"] == "set_options"
    result = await advanced_step(
        hass,
        result,
        {
            CONF_NAME: "Home",
            CONF_MODEL: "llama-3.2-3b-instruct",
            CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
        },
    )
    # The budget starts from the server's real context (4096 tokens, 1024
    # of them for the answer).
    schema = result["data_schema"].schema
    budget = next(key for key in schema if key == CONF_PROMPT_BUDGET)
    suggested = budget.description["suggested_value"]
    assert suggested < DEFAULT_PROMPT_BUDGET
    assert suggested <= 4096 - 1024

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PROMPT_BUDGET: suggested}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "no_tools"
    assert result["description_placeholders"] == {
        "model": "llama-3.2-3b-instruct",
        "source": "llama.cpp /props",
    }
    # The person read it and saves anyway: saved, and the repair reminds.
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    home_agent = next(s for s in entry.subentries.values() if s.title == "Home")
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"model_cannot_call_tools_{home_agent.subentry_id}"
    )


async def test_flow_does_not_warn_for_a_tool_model(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    llm_server.props = llamacpp_props(tools=True)
    entry = await setup_entry(hass, llm_server)
    (subentry,) = entry.subentries.values()
    result = await entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    # The test agent has local-first off: not the recommended settings.
    result = await advanced_step(hass, result, answers(result, subentry.data))
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], answers(result, subentry.data)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


# --- Context -----------------------------------------------------------------------


async def test_the_budget_fits_the_real_context(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """A 500-entity home and a server of 2560 tokens: the request fits.

    Measured: 2250 estimated tokens with the default budget, more than the
    2048 the context leaves beside a 512-token answer; 1777 with the budget
    from the server's context.
    """
    llm_server.props = llamacpp_props(tools=True, n_ctx=2560)
    await setup_entry(hass, llm_server, **{CONF_MAX_TOKENS: 512})
    devices = MockConfigEntry(domain="generated")
    devices.add_to_hass(hass)
    await async_load_home(hass, generate_home(500), devices.entry_id)
    llm_server.script(Reply(text="It is 21 degrees."))
    assert speech(await ask(hass, "What's the temperature in the kitchen?")) == (
        "It is 21 degrees."
    )
    (request,) = llm_server.requests_to(CHAT)
    assert len(request.body) / 4 <= 2560 - 512


# --- Vision ------------------------------------------------------------------------


@pytest.fixture
async def camera(hass: HomeAssistant, home: Home) -> None:
    setup_test_component_platform(
        hass, "camera", [TestCamera("Front door", "front-door", doorstep_jpeg())]
    )
    assert await async_setup_component(hass, "camera", {"camera": {"platform": "test"}})
    await hass.async_block_till_done()
    async_expose_entity(hass, "conversation", FRONT_DOOR, True)


@pytest.mark.parametrize(
    ("vision", "options", "offered"),
    [
        (False, {}, False),
        (True, {}, True),
        # A text model whose vision agent looks for it keeps the tool.
        (False, {CONF_VISION_AGENT: "conversation.eyes"}, True),
        # Unknown: offered as before.
        (None, {}, True),
    ],
)
async def test_the_camera_tool_only_for_a_model_that_can_see(
    hass: HomeAssistant,
    camera: None,
    llm_server: LLMServer,
    vision: bool | None,
    options: dict[str, Any],
    offered: bool,
) -> None:
    if vision is not None:
        llm_server.props = llamacpp_props(tools=True, vision=vision)
    await setup_entry(hass, llm_server, **options)
    llm_server.script(Reply(text="I can't see it."))
    await ask(hass, "Who is at the front door?")
    (request,) = llm_server.requests_to(CHAT)
    assert (LOOK in tool_names(request)) is offered


# --- Parsers -------------------------------------------------------------------------


def test_parsers_read_what_real_servers_send() -> None:
    found = from_llamacpp_props(llamacpp_props(tools=False, n_ctx=4096))
    assert (found.tools, found.vision, found.context_tokens) == (False, False, 4096)
    # llama-server 0.7.0's /v1/models for SmolLM2 (tests/real_model).
    listed = {
        "data": [
            {
                "id": "smollm2",
                "aliases": ["smollm2"],
                "architecture": {"input_modalities": ["text"]},
                "meta": {"n_ctx": 4096, "n_ctx_train": 8192},
            }
        ]
    }
    found = from_openai_models(listed, "smollm2")
    assert (found.tools, found.vision, found.context_tokens) == (None, False, 4096)
    # OpenRouter's shape.
    openrouter = {
        "data": [
            {
                "id": "vendor/model",
                "context_length": 32768,
                "architecture": {"input_modalities": ["text", "image"]},
                "supported_parameters": ["tools", "temperature"],
            },
            {"id": "other"},
        ]
    }
    found = from_openai_models(openrouter, "vendor/model")
    assert (found.tools, found.vision, found.context_tokens) == (True, True, 32768)
    found = from_ollama_show(ollama_show(["completion", "vision"], 8192))
    assert (found.tools, found.vision, found.context_tokens) == (False, True, 8192)
    assert not from_ollama_show({"error": "x"}).known
    assert not from_llamacpp_props("nope").known
