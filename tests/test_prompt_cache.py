"""A prompt providers can cache: every provider, full turns through Home Assistant.

In a 2000-entity home (only part of it fits the overview), a conversation's
second turn and a new conversation's first turn send the stable part of the
first request byte for byte (instructions, the overview, tools), the turn's
own home context rides next to the person's words, and each provider is told
how to reuse its cache. The loopback server plays a prompt cache
(tests/prompt_prefix.py) and reports usage as each provider does; what it
reported is what reaches Home Assistant's conversation trace and the ledger.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import httpx
import pytest
from homeassistant.components.conversation import ChatLog, trace
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import (
    CONF_CONFIRM_SENSITIVE,
    CONF_PROVIDER,
    DOMAIN,
)
from custom_components.confidant.providers import (
    ProviderRequest,
    Usage,
    UsageDelta,
    UserMessage,
)
from custom_components.confidant.providers.anthropic import AnthropicProvider
from custom_components.confidant.providers.ollama import OllamaProvider
from custom_components.confidant.providers.openai import OpenAIProvider
from custom_components.confidant.providers.openai_compatible import (
    OpenAICompatibleProvider,
)

from .conftest import (
    Home,
    agent_subentry,
    ask,
    async_load_provider_entry,
    speech,
    wire_sample,
)
from .generated_home import LoadedHome, async_load_home, generate_home
from .llm_server import LLMServer, RecordedRequest, Reply
from .prompt_prefix import common_prefix_bytes, prompt_parts, size_bytes
from .test_conformance import WIRES

FIND = "confidant__find_entities"


@pytest.fixture
async def generated(hass: HomeAssistant, home: Home) -> LoadedHome:
    """The 2000-entity home."""
    devices = MockConfigEntry(domain="generated")
    devices.add_to_hass(hass)
    return await async_load_home(hass, generate_home(2000), devices.entry_id)


@pytest.fixture
async def entry(
    hass: HomeAssistant, generated: LoadedHome, llm_server: LLMServer, kind: str
) -> MockConfigEntry:
    """A loaded entry of the provider under test, with one agent."""
    return await async_load_provider_entry(
        hass,
        llm_server,
        kind,
        # The confirmation gate's guarded tools hold Home Assistant, which the
        # trace's as_dict cannot copy; these tests read the trace that way.
        agent_subentry(**{CONF_CONFIRM_SENSITIVE: False}),
    )


def stable_part(kind: str, body: dict[str, Any]) -> str:
    """What must not change between requests: instructions and tools, as sent."""
    if kind == "openai":
        return json.dumps([body["instructions"], body["tools"]])
    if kind == "anthropic":
        return json.dumps([body["system"], body["tools"]])
    return json.dumps([body["messages"][0], body["tools"]])


def last_user_text(kind: str, body: dict[str, Any]) -> str:
    """The text of the last user message (where the turn's tail goes)."""
    messages = body["input"] if kind == "openai" else body["messages"]
    (last,) = [m for m in messages if m.get("role") == "user"][-1:]
    content = last["content"]
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content)


def stats_of_last_turn() -> list[dict[str, Any]]:
    """The token stats the agent put into the last conversation trace."""
    events = trace.async_get_traces()[-1].as_dict()["events"]
    return [
        event["data"]["stats"]
        for event in events
        if event["event_type"] == trace.ConversationTraceEventType.AGENT_DETAIL
        and "stats" in (event["data"] or {})
    ]


async def test_turn_two_sends_turn_ones_prefix_byte_for_byte(
    hass: HomeAssistant,
    generated: LoadedHome,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
) -> None:
    """Turns 1-2 of a conversation and a new one: one stable prefix, cached."""
    office = generated.satellites["Office"]
    llm_server.script(
        Reply(text="It is 21 degrees."),
        Reply(text="It is 14 degrees."),
        Reply(text="Done."),
    )
    first = await ask(hass, "What's the temperature in the kitchen?", device_id=office)
    assert speech(first) == "It is 21 degrees."
    stats_first = stats_of_last_turn()
    second = await ask(
        hass, "And in the wine cellar?", first.conversation_id, device_id=office
    )
    assert speech(second) == "It is 14 degrees."
    stats_second = stats_of_last_turn()
    third = await ask(hass, "Turn on the coffee machine", device_id=office)
    assert speech(third) == "Done."
    assert third.conversation_id != first.conversation_id

    requests = llm_server.requests_to(WIRES[kind].path)
    assert len(requests) == 3
    bodies = [request.json for request in requests]
    # Instructions, the overview and the tools: the same bytes every time.
    assert stable_part(kind, bodies[0]) == stable_part(kind, bodies[1])
    assert stable_part(kind, bodies[0]) == stable_part(kind, bodies[2])
    # Only part of the home fits: the search tool is there from turn one.
    assert FIND in stable_part(kind, bodies[0])
    # What a turn needs beyond the overview rides next to its words.
    assert "Kitchen temperature" in last_user_text(kind, bodies[0])
    assert "Wine Cellar temperature" in last_user_text(kind, bodies[1])
    assert last_user_text(kind, bodies[1]).endswith("And in the wine cellar?")
    assert "Wine Cellar temperature" not in stable_part(kind, bodies[1])
    # Everything before the conversation (tools, instructions, the overview)
    # is a repeat of the request before, byte for byte; the share it is of a
    # request is the benchmark's figure (scripts/bench).
    parts = [prompt_parts(kind, body) for body in bodies]
    head = 2  # tools and the system prompt: first in every protocol's reading
    for earlier, later in ((parts[0], parts[1]), (parts[1], parts[2])):
        assert common_prefix_bytes(earlier, later) >= size_bytes(later[:head])
        assert size_bytes(later[:head]) >= 0.8 * size_bytes(later)

    # The usage the server reported is in the conversation trace.
    (usage_first,) = stats_first
    (usage_second,) = stats_second
    reported = [request_usage(llm_server, index) for index in range(3)]
    if kind == "ollama":
        # Ollama says what it evaluated, not what its cache spared it.
        assert usage_second["input_tokens"] == reported[1][0] - reported[1][1]
        assert usage_second["cached_input_tokens"] == 0
    else:
        assert usage_first["input_tokens"] == reported[0][0]
        assert usage_second["input_tokens"] == reported[1][0]
        assert usage_second["cached_input_tokens"] == reported[1][1]
        assert usage_second["cached_input_tokens"] >= 0.8 * reported[1][0]
    assert usage_second["output_tokens"] > 0
    # And in the ledger, for today and this provider.
    today = entry.runtime_data.ledger.today()
    if kind == "ollama":
        assert today.tokens == sum(total - cached for total, cached in reported)
    else:
        assert today.tokens == sum(total for total, _cached in reported)
        assert today.cached_tokens == sum(cached for _total, cached in reported)

    assert_told_how_to_cache(kind, bodies, entry, first.conversation_id or "")


def assert_told_how_to_cache(
    kind: str, bodies: list[dict[str, Any]], entry: MockConfigEntry, conversation: str
) -> None:
    """Each provider is told how to reuse its cache."""
    if kind == "openai":
        keys = {body["prompt_cache_key"] for body in bodies}
        assert len(keys) == 1
        (key,) = keys
        assert next(iter(entry.subentries)) not in key
        assert conversation not in key
    elif kind == "anthropic":
        for body in bodies:
            assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
            assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
        # The remembered conversation ends with a breakpoint too.
        history_end = bodies[1]["messages"][-2]["content"][-1]
        assert history_end["cache_control"] == {"type": "ephemeral"}
        assert "cache_control" not in json.dumps(bodies[0]["messages"])
    elif kind == "openai_compatible":
        assert all(body["stream_options"] == {"include_usage": True} for body in bodies)
    else:
        assert len({json.dumps([b["model"], b["options"]]) for b in bodies}) == 1


def request_usage(server: LLMServer, index: int) -> tuple[int, int]:
    """What the server reported for the index-th model request: total, cached."""
    usage = server.reported[index]
    return usage.total, usage.cached


async def test_llama_cpp_keeps_a_slot_per_conversation(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """Once the server shows it is llama.cpp: cache_prompt, and a slot each."""
    llm_server.llama_cpp = True
    llm_server.total_slots = 2
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_PROVIDER: "openai_compatible", CONF_URL: llm_server.url},
        subentries_data=[agent_subentry(**{CONF_CONFIRM_SENSITIVE: False})],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    llm_server.script(*(Reply(text=f"Answer {n}.") for n in range(5)))
    kitchen = await ask(hass, "hello")
    # llama.cpp's timings reach the trace: tokens from its cache, prompt time.
    (stats,) = stats_of_last_turn()
    assert "prompt_ms" in stats
    hallway = await ask(hass, "hi there")
    await ask(hass, "and now?", kitchen.conversation_id)
    await ask(hass, "and here?", hallway.conversation_id)
    third = await ask(hass, "a third conversation")
    assert speech(third) == "Answer 4."
    chats: list[RecordedRequest] = llm_server.requests_to("/v1/chat/completions")
    bodies = [request.json for request in chats]
    # The first request could not know it was llama.cpp.
    assert "id_slot" not in bodies[0]
    # Then each conversation its slot, the least recently used one for a new
    # conversation when all are taken.
    assert [body.get("id_slot") for body in bodies[1:]] == [0, 1, 0, 1]
    assert all(body.get("cache_prompt") is True for body in bodies[1:])
    # The slots were asked once, after the start-up check of what the model
    # can do (which reads /props too).
    assert len(llm_server.requests_to("/props")) == 2
    # A new conversation still finds the instructions and tools in the cache.
    (stats,) = stats_of_last_turn()
    assert stats["cached_input_tokens"] > 0


SAMPLES = [
    # OpenAI Responses: the whole prompt, and what of it was cached.
    ("openai", "openai_responses_text.sse", Usage(20, 0, 3)),
    # Anthropic: input after the last breakpoint, cache reads and writes apart.
    ("anthropic", "anthropic_tool_use.sse", Usage(377, 0, 65)),
    # Ollama: the prompt tokens it evaluated, and the time it took.
    ("ollama", "ollama_chat_tool_calls.ndjson", Usage(169, 0, 15, 0, 24.573166)),
    # llama.cpp: 138 of 139 prompt tokens from its cache, 8.7 ms on the rest.
    (
        "openai_compatible",
        "llamacpp_tool_call_reasoning_content.sse",
        Usage(139, 138, 41, 0, 8.691),
    ),
]


@pytest.mark.parametrize(("kind", "sample", "expected"), SAMPLES)
async def test_usage_of_real_streams(
    llm_server: LLMServer, kind: str, sample: str, expected: Usage
) -> None:
    """Each provider reads its real wire's usage into one Usage, once, at the end."""
    llm_server.script_raw(
        wire_sample(sample),
        "application/x-ndjson" if sample.endswith(".ndjson") else "text/event-stream",
    )
    request = ProviderRequest(model="m", messages=[UserMessage("hello")])
    async with httpx.AsyncClient() as client, aiohttp.ClientSession() as session:
        provider: Any
        if kind == "openai":
            provider = OpenAIProvider(client, "sk-test", llm_server.url)
        elif kind == "anthropic":
            provider = AnthropicProvider(
                client, "sk-test", f"http://127.0.0.1:{llm_server.port}"
            )
        elif kind == "ollama":
            provider = OllamaProvider(session, f"http://127.0.0.1:{llm_server.port}")
        else:
            provider = OpenAICompatibleProvider(client, llm_server.url, None)
        deltas = [delta async for delta in provider.async_stream(request)]
    usages = [delta.usage for delta in deltas if isinstance(delta, UsageDelta)]
    assert usages == [expected]
    assert isinstance(deltas[-1], UsageDelta)


async def test_the_tail_survives_home_assistants_static_prompt(
    hass: HomeAssistant,
    generated: LoadedHome,
    llm_server: LLMServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Home Assistant 2026.11 keeps a conversation's prompt and tools between turns.

    Then it does not ask Confidant's API again on turn 2; the turn's tail still
    comes from the overview the first turn's request carried. On 2026.10 this
    is played by keeping the chat log's LLM data as 2026.11 does (its code,
    reduced to what matters here).
    """
    original = ChatLog.async_provide_llm_data

    async def keep_static(
        self: ChatLog, llm_context: Any, user_llm_hass_api: Any = None, *args: Any
    ) -> None:
        if user_llm_hass_api and self.llm_api is not None:
            self.llm_api.llm_context = llm_context
            self.llm_input_provided_index = len(self.content)
            return
        await original(self, llm_context, user_llm_hass_api, *args)

    monkeypatch.setattr(ChatLog, "async_provide_llm_data", keep_static)
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_PROVIDER: "openai_compatible", CONF_URL: llm_server.url},
        subentries_data=[agent_subentry()],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    office = generated.satellites["Office"]
    llm_server.script(Reply(text="21 degrees."), Reply(text="14 degrees."))
    first = await ask(hass, "What's the temperature in the kitchen?", device_id=office)
    await ask(hass, "And in the wine cellar?", first.conversation_id, device_id=office)
    one, two = (r.json for r in llm_server.requests_to("/v1/chat/completions"))
    assert stable_part("openai_compatible", one) == stable_part(
        "openai_compatible", two
    )
    assert "Wine Cellar temperature" in last_user_text("openai_compatible", two)
