"""Forgetting by voice: the last turn, or today's, and never through the model."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.confidant.const import CONF_EXCLUDED_DEVICES
from custom_components.confidant.dialogue.messages import async_spoken_message

from .conftest import Home, ask, speech
from .llm_server import LLMServer, Reply
from .test_conversation import history
from .test_retention import (
    KEEP,
    flush,
    kept,
    kept_texts,
    saved_texts,
    setup_confidant,
    stores_with,
)

CHAT = "/v1/chat/completions"
KITCHEN = "kitchen-satellite"
BEDROOM = "bedroom-satellite"

FORGET_LAST = {
    "en": "Forget what I just said.",
    "de-DE": "Vergiss, was ich gerade gesagt habe!",
    "fr": "Oublie ce que je viens de dire",
}
FORGET_TODAY = {
    "en": "okay, delete everything I said today please",
    "de-DE": "Lösche alles, was ich heute gesagt habe.",
    "fr": "Efface tout ce que j'ai dit aujourd'hui",
}
LANGUAGES = ["en", "de-DE"]


async def model_requests(server: LLMServer) -> int:
    """How many requests reached the model so far."""
    return len(server.requests_to(CHAT))


async def in_the_kitchen(
    hass: HomeAssistant,
    text: str,
    conversation_id: str | None = None,
    language: str = "en",
) -> conversation.ConversationResult:
    """Say something through the kitchen satellite."""
    return await ask(hass, text, conversation_id, device_id=KITCHEN, language=language)


async def forget(
    hass: HomeAssistant,
    server: LLMServer,
    phrase: str,
    conversation_id: str | None,
    language: str,
) -> conversation.ConversationResult:
    """Ask the kitchen satellite to forget; the model hears nothing of it."""
    before = await model_requests(server)
    result = await in_the_kitchen(hass, phrase, conversation_id, language)
    assert await model_requests(server) == before
    return result


async def follow_up_history(
    hass: HomeAssistant,
    server: LLMServer,
    conversation_id: str | None,
    language: str,
    answer: str,
) -> list[tuple[str, str]]:
    """The history the model sees when asked next what was said."""
    before = await model_requests(server)
    server.script(Reply(text=answer))
    await in_the_kitchen(hass, "what did I say?", conversation_id, language)
    return history(server, before)


# --- "Forget what I just said" ------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(KEEP, "forgot_last_turn", id="retention_on"),
        pytest.param({}, "forgot_last_turn_not_kept", id="retention_off"),
    ],
)
async def test_forget_what_i_just_said(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    language: str,
    options: dict[str, Any],
    message: str,
) -> None:
    """The last turn leaves the store and the memory; the model hears nothing.

    With retention off only the memory had it; the answer says that nothing
    is kept.
    """
    await setup_confidant(hass, llm_server, options)
    llm_server.script(Reply(text="first answer"), Reply(text="second answer"))
    first = await in_the_kitchen(hass, "first words", language=language)
    conversation_id = first.conversation_id
    await in_the_kitchen(hass, "second secret-words", conversation_id, language)
    if options:
        await flush(hass, freezer)

    result = await forget(
        hass, llm_server, FORGET_LAST[language], conversation_id, language
    )

    assert speech(result) == await async_spoken_message(hass, language, message)
    if options:
        assert result.continue_conversation is False
        assert kept_texts(hass_storage) == ["first words"]
        assert stores_with(hass_storage, "secret-words") == set()
        assert stores_with(hass_storage, FORGET_LAST[language]) == set()
    else:
        await flush(hass, freezer)
        assert stores_with(hass_storage, "words") == set()

    # The follow-up's history has the first turn only.
    assert await follow_up_history(
        hass, llm_server, conversation_id, language, "You said: first words."
    ) == [
        ("user", "first words"),
        ("assistant", "first answer"),
        ("user", "what did I say?"),
    ]


async def test_forget_after_a_new_conversation_finds_the_last_turn_of_the_device(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A satellite that started a new conversation still forgets its last turn."""
    await setup_confidant(hass, llm_server)
    llm_server.script(Reply(text="a"), Reply(text="b"), Reply(text="c"))
    await ask(hass, "older from the kitchen", device_id=KITCHEN)
    await ask(hass, "just now from the kitchen", device_id=KITCHEN)
    await ask(hass, "just now from the bedroom", device_id=BEDROOM)

    result = await ask(hass, FORGET_LAST["en"], device_id=KITCHEN)

    assert speech(result) == await async_spoken_message(hass, "en", "forgot_last_turn")
    assert await saved_texts(hass, freezer, hass_storage) == [
        "older from the kitchen",
        "just now from the bedroom",
    ]


async def test_nothing_to_forget(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """Asked first thing, there is nothing to forget, and it says so."""
    await setup_confidant(hass, llm_server)
    result = await in_the_kitchen(hass, FORGET_LAST["fr"], language="fr")
    assert speech(result) == await async_spoken_message(hass, "fr", "nothing_to_forget")
    assert await model_requests(llm_server) == 0


async def test_an_excluded_device_hears_that_nothing_is_kept(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Retention on, but this device is never kept: the answer says so."""
    await setup_confidant(hass, llm_server, {**KEEP, CONF_EXCLUDED_DEVICES: [KITCHEN]})
    llm_server.script(Reply(text="ok"))
    first = await in_the_kitchen(hass, "from the kids' room")
    result = await in_the_kitchen(hass, FORGET_LAST["en"], first.conversation_id)
    assert speech(result) == await async_spoken_message(
        hass, "en", "forgot_last_turn_not_kept"
    )
    await flush(hass, freezer)
    assert kept(hass_storage) == []


# --- "Delete everything I said today" -----------------------------------------------


@pytest.mark.parametrize("language", [*LANGUAGES, "fr"])
async def test_delete_everything_i_said_today_with_retention_on(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    language: str,
) -> None:
    """Today's turns of this device go, in every conversation; the rest stays."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    await setup_confidant(hass, llm_server)
    llm_server.script(*(Reply(text=f"answer {n}") for n in range(4)))
    freezer.move_to("2025-03-09T22:30:00+00:00")  # 23:30 in Amsterdam
    await in_the_kitchen(hass, "yesterday in the kitchen", language=language)
    freezer.move_to("2025-03-10T08:00:00+00:00")  # 09:00, the next day
    await in_the_kitchen(hass, "today in the kitchen", language=language)
    await ask(hass, "today in the bedroom", device_id=BEDROOM, language=language)
    latest = await in_the_kitchen(hass, "later in the kitchen", language=language)
    await flush(hass, freezer)

    result = await forget(
        hass, llm_server, FORGET_TODAY[language], latest.conversation_id, language
    )

    assert speech(result) == await async_spoken_message(hass, language, "forgot_today")
    assert result.continue_conversation is False
    assert kept_texts(hass_storage) == [
        "yesterday in the kitchen",
        "today in the bedroom",
    ]
    assert stores_with(hass_storage, "today in the kitchen") == set()
    assert stores_with(hass_storage, "later in the kitchen") == set()

    # The short-term context is gone: the follow-up starts afresh.
    assert await follow_up_history(
        hass, llm_server, latest.conversation_id, language, "I don't know."
    ) == [("user", "what did I say?")]


async def test_delete_today_for_a_signed_in_user_spares_other_users(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
) -> None:
    """Typed in the app, without a device: the user's own turns go."""
    await setup_confidant(hass, llm_server)
    llm_server.script(Reply(text="a"), Reply(text="b"))
    await ask(hass, "from the owner", user_id=hass_admin_user.id)
    await ask(hass, "from the other user", user_id=hass_read_only_user.id)

    await ask(hass, FORGET_TODAY["en"], user_id=hass_admin_user.id)

    assert await saved_texts(hass, freezer, hass_storage) == ["from the other user"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_delete_everything_i_said_today_with_retention_off(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    language: str,
) -> None:
    """The context is cleared, and the answer says that nothing was kept."""
    await setup_confidant(hass, llm_server, {})
    llm_server.script(Reply(text="first answer"))
    first = await in_the_kitchen(hass, "secret-words", language=language)

    result = await forget(
        hass, llm_server, FORGET_TODAY[language], first.conversation_id, language
    )

    assert speech(result) == await async_spoken_message(
        hass, language, "forgot_today_not_kept"
    )
    await flush(hass, freezer)
    assert stores_with(hass_storage, "secret-words") == set()

    assert await follow_up_history(
        hass, llm_server, first.conversation_id, language, "I don't know."
    ) == [("user", "what did I say?")]
