"""Conversation behaviour: follow-ups, short memory, isolation, local-first, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.const import STATE_ON
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.confidant.const import (
    CONF_FOLLOW_UP,
    CONF_LOCAL_FIRST,
    CONF_MAX_HISTORY_TURNS,
    MAX_TOOL_ITERATIONS,
)
from custom_components.confidant.context_key import ContextKey

from .conftest import (
    AGENT_ID,
    TURN_ON_KITCHEN,
    Home,
    ask,
    confidant_agent,
    one_conversation,
    speech,
)
from .ha_versions import CHAT_SESSION_TAKES_CONTEXT
from .llm_server import LLMServer, Reply, ToolCallStep

CHAT = "/v1/chat/completions"


def history(server: LLMServer, index: int) -> list[tuple[str, str]]:
    """(role, text) of every message after the system prompt in one request."""
    messages = server.requests_to(CHAT)[index].json["messages"][1:]
    out = []
    for message in messages:
        text = message.get("content") or ""
        if message.get("tool_calls"):
            text = "call " + ",".join(
                call["function"]["name"] for call in message["tool_calls"]
            )
        out.append((message["role"], text if message["role"] != "tool" else "result"))
    return out


async def test_three_turn_history(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """Each turn the model sees exactly the earlier turns of this conversation, in order."""
    llm_server.script(
        Reply(text="It's 21 degrees in the living room."),
        Reply(tool_calls=[TURN_ON_KITCHEN]),
        Reply(text="The kitchen lights are on."),
        Reply(text="You asked about the temperature first."),
    )
    *_, third = await one_conversation(
        hass,
        "how warm is it inside",
        "and turn on the kitchen lights",
        "what did I ask first",
    )
    assert speech(third) == "You asked about the temperature first."

    assert history(llm_server, 0) == [("user", "how warm is it inside")]
    assert history(llm_server, 1) == [
        ("user", "how warm is it inside"),
        ("assistant", "It's 21 degrees in the living room."),
        ("user", "and turn on the kitchen lights"),
    ]
    assert history(llm_server, 3) == [
        ("user", "how warm is it inside"),
        ("assistant", "It's 21 degrees in the living room."),
        ("user", "and turn on the kitchen lights"),
        ("assistant", "call intent__HassTurnOn"),
        ("tool", "result"),
        ("assistant", "The kitchen lights are on."),
        ("user", "what did I ask first"),
    ]


@pytest.mark.parametrize("agent_options", [{CONF_MAX_HISTORY_TURNS: 1}])
async def test_trimming_keeps_tool_calls_with_their_results(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """With room for one earlier turn, the whole last turn is sent, call and result together."""
    llm_server.script(
        Reply(text="Hello."),
        Reply(tool_calls=[TURN_ON_KITCHEN]),
        Reply(text="On."),
        Reply(text="Sure."),
    )
    await one_conversation(
        hass, "hi", "kitchen lights on", "thanks for that, and one more thing"
    )
    assert history(llm_server, 3) == [
        ("user", "kitchen lights on"),
        ("assistant", "call intent__HassTurnOn"),
        ("tool", "result"),
        ("assistant", "On."),
        ("user", "thanks for that, and one more thing"),
    ]


async def test_memory_expires_after_the_window(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After five quiet minutes the context is gone from memory, and the model sees no history."""
    llm_server.script(Reply(text="Noted."), Reply(text="What secret?"))
    result = await ask(hass, "the code word is pineapple")
    memory = confidant_agent(hass).memory
    assert len(memory) == 1

    freezer.tick(timedelta(minutes=4))
    async_fire_time_changed(hass, dt_util.utcnow())
    assert len(memory) == 1

    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert len(memory) == 0

    await ask(hass, "what is the code word", result.conversation_id)
    assert history(llm_server, 1) == [("user", "what is the code word")]
    assert b"pineapple" not in llm_server.requests_to(CHAT)[1].body


async def test_devices_never_share_context(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """A follow-up on the bedroom satellite never sees the kitchen's turns, even with the same conversation id."""
    llm_server.script(
        Reply(text="Kitchen timer noted."),
        Reply(text="Bedroom here."),
        Reply(text="Still the kitchen."),
    )
    kitchen = await ask(hass, "kitchen secret: banana", device_id="kitchen-satellite")
    await ask(
        hass, "what did I say?", kitchen.conversation_id, device_id="bedroom-satellite"
    )
    assert history(llm_server, 1) == [("user", "what did I say?")]
    assert b"banana" not in llm_server.requests_to(CHAT)[1].body

    await ask(
        hass, "and what was it?", kitchen.conversation_id, device_id="kitchen-satellite"
    )
    assert ("user", "kitchen secret: banana") in history(llm_server, 2)
    assert (
        ContextKey(kitchen.conversation_id, "bedroom-satellite", None)
        in confidant_agent(hass).memory
    )


async def test_end_phrase_ends_and_forgets(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """'Thanks' stops listening and clears the context, without asking the model."""
    llm_server.script(Reply(text="Anything else?"))
    result = await ask(hass, "turn up the heating")
    assert result.continue_conversation is True
    result = await ask(hass, "thanks", result.conversation_id)
    assert result.continue_conversation is False
    assert speech(result) == "Okay."
    assert len(llm_server.requests_to(CHAT)) == 1
    assert len(confidant_agent(hass).memory) == 0


@pytest.mark.parametrize(
    ("agent_options", "answer", "listening"),
    [
        ({}, "Which room?", True),
        ({}, "¿Qué habitación?", True),
        ({}, "Which room？", True),
        ({}, "The light is on.", False),
        ({CONF_FOLLOW_UP: "always"}, "The light is on.", True),
        ({CONF_FOLLOW_UP: "off"}, "Which room?", False),
    ],
)
async def test_follow_up_modes(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    answer: str,
    listening: bool,
) -> None:
    """The satellite keeps listening per the agent's follow-up mode."""
    llm_server.script(Reply(text=answer))
    result = await ask(hass, "turn on the light")
    assert result.continue_conversation is listening


@pytest.mark.parametrize("agent_options", [{CONF_LOCAL_FIRST: True}])
async def test_local_first_then_a_follow_up_the_model_understands(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Home Assistant handles the command without the model; the model's follow-up sees it."""
    result = await ask(hass, "turn on the kitchen lights")
    assert hass.states.get(home.kitchen).state == STATE_ON
    assert llm_server.requests_to(CHAT) == []
    local_answer = speech(result)
    assert local_answer

    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep(
                    "light__HassLightSet", {"name": "Kitchen lights", "brightness": 30}
                )
            ]
        ),
        Reply(text="Dimmed to 30 percent."),
    )
    result = await ask(
        hass, "now make it dimmer, thirty percent", result.conversation_id
    )
    assert speech(result) == "Dimmed to 30 percent."
    assert history(llm_server, 0) == [
        ("user", "turn on the kitchen lights"),
        ("assistant", local_answer),
        ("user", "now make it dimmer, thirty percent"),
    ]
    assert hass.states.get(home.kitchen).attributes["brightness"] == round(
        255 * 30 / 100
    )


async def test_tool_loop_cap(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """A model that never stops calling tools gets cut off with a spoken explanation."""
    llm_server.script(
        *[
            Reply(tool_calls=[ToolCallStep("GetLiveContext", {})])
            for _ in range(MAX_TOOL_ITERATIONS)
        ]
    )
    result = await ask(hass, "keep checking")
    assert speech(result) == "I couldn't finish that: too many steps were needed."
    assert len(llm_server.requests_to(CHAT)) == MAX_TOOL_ITERATIONS
    assert hass.states.get(AGENT_ID).state != "unavailable"


async def test_a_server_error_is_spoken_and_the_next_turn_works(
    hass: HomeAssistant,
    home: Home,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """A 500 from the server becomes a spoken, translated error; the agent stays available."""
    llm_server.script(Reply(status=500), Reply(text="Back again."))
    result = await ask(hass, "hello")
    assert result.response.response_type.value == "error"
    assert speech(result) == "The model service had an error. Please try again."
    assert hass.states.get(AGENT_ID).state != "unavailable"

    result = await ask(hass, "hello again", result.conversation_id)
    assert speech(result) == "Back again."


async def test_two_users_never_share_context(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """Two people in the same conversation id each have their own context.

    From 2026.11 Home Assistant makes a conversation its first user's and
    refuses another user's turn in it; Confidant then answers that person in
    a new conversation of their own. Before that, Confidant keeps each user's
    context apart inside the one conversation.
    """
    llm_server.script(Reply(text="Noted, Alice."), Reply(text="Hello Bob."))
    alice = await conversation.async_converse(
        hass,
        "my pin is 4711",
        None,
        Context(user_id="alice"),
        language="en",
        agent_id=AGENT_ID,
    )
    bob = await conversation.async_converse(
        hass,
        "what is my pin?",
        alice.conversation_id,
        Context(user_id="bob"),
        language="en",
        agent_id=AGENT_ID,
    )
    assert speech(bob) == "Hello Bob."
    assert history(llm_server, 1) == [("user", "what is my pin?")]
    assert b"4711" not in llm_server.requests_to(CHAT)[1].body
    if CHAT_SESSION_TAKES_CONTEXT:
        assert bob.conversation_id != alice.conversation_id
    # Alice's own follow-up still has her context.
    llm_server.script(Reply(text="It is 4711."))
    await conversation.async_converse(
        hass,
        "what is my pin?",
        alice.conversation_id,
        Context(user_id="alice"),
        language="en",
        agent_id=AGENT_ID,
    )
    assert b"4711" in llm_server.requests_to(CHAT)[-1].body


async def test_the_satellites_area_is_the_default_target(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """The model is told which area the satellite is in, so 'the light' means the kitchen's."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=config_entry.entry_id,
        identifiers={("test", "kitchen-satellite")},
        name="Kitchen satellite",
    )
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen is not None
    dr.async_get(hass).async_update_device(device.id, area_id=kitchen.id)
    llm_server.script(Reply(text="Which light?"))
    await ask(hass, "turn off the light", device_id=device.id)
    system_prompt = llm_server.requests_to(CHAT)[0].json["messages"][0]["content"]
    assert "You are in area Kitchen" in system_prompt
