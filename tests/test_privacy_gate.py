"""The privacy gate: what a provider receives follows the household's choices."""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_ALLOW_PROVIDER_STORAGE,
    CONF_REDACT,
)
from custom_components.confidant.privacy.gate import (
    CloudImagesRefusedError,
    redact_text,
)

from .conftest import (
    Home,
    agent_subentry,
    ask,
    async_load_provider_entry,
    run_turn_with_image,
    speech,
    tiny_jpeg_file,
)
from .llm_server import LLMServer, Reply

SECRETS = (
    "mail jane.doe@example.com or call +1 (555) 123-4567, my card is 4111111111111111"
)


async def add_entry(
    hass: HomeAssistant, kind: str, server: LLMServer, **options: object
) -> MockConfigEntry:
    """A loaded entry of one provider with the given privacy options."""
    return await async_load_provider_entry(
        hass, server, kind, agent_subentry(), options=options
    )


@pytest.mark.parametrize(
    ("options", "stored"), [({}, False), ({CONF_ALLOW_PROVIDER_STORAGE: True}, True)]
)
async def test_openai_store_follows_consent(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    options: dict[str, object],
    stored: bool,
) -> None:
    """OpenAI requests carry store: false unless the household allowed storage."""
    await add_entry(hass, "openai", llm_server, **options)
    llm_server.script(Reply(text="Hi."))
    await ask(hass, "hello")
    (request,) = llm_server.requests_to("/v1/responses")
    assert request.json["store"] is stored


async def test_images_refused_to_a_cloud_provider(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, tmp_path: Path
) -> None:
    """Without permission, an image never leaves for a cloud provider: nothing is sent at all."""
    await add_entry(hass, "anthropic", llm_server)
    path = tiny_jpeg_file(tmp_path, "door.jpg")
    with pytest.raises(CloudImagesRefusedError) as refused:
        await run_turn_with_image(hass, "who is at the door?", path)
    assert refused.value.translation_key == "cloud_images_refused"
    assert llm_server.requests_to("/v1/messages") == []


async def test_images_go_to_a_local_provider(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, tmp_path: Path
) -> None:
    """A server in the house may always see images."""
    await add_entry(hass, "ollama", llm_server)
    path = tiny_jpeg_file(tmp_path, "door.jpg")
    llm_server.script(Reply(text="A courier."))
    assert await run_turn_with_image(hass, "who is at the door?", path) == "A courier."


async def test_redaction_for_cloud_providers(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """With redaction on, e-mail, phone and long numbers are masked before they leave."""
    await add_entry(hass, "openai", llm_server, **{CONF_REDACT: True})
    llm_server.script(Reply(text="Noted."))
    result = await ask(hass, SECRETS)
    assert speech(result) == "Noted."
    body = llm_server.requests_to("/v1/responses")[0].body
    for secret in (b"jane.doe@example.com", b"555", b"4111111111111111"):
        assert secret not in body
    assert b"[email]" in body
    assert b"[phone]" in body
    assert b"[number]" in body


async def test_no_redaction_for_local_providers(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """A server in the house gets the words as they were said."""
    await add_entry(hass, "openai_compatible", llm_server, **{CONF_REDACT: True})
    llm_server.script(Reply(text="Noted."))
    await ask(hass, SECRETS)
    assert (
        b"jane.doe@example.com"
        in llm_server.requests_to("/v1/chat/completions")[0].body
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to a.b+c@mail.example.org please", "write to [email] please"),
        ("call 0612345678", "call [phone]"),
        ("call +31 6 1234 5678 now", "call [phone] now"),
        ("PIN 123456", "PIN [number]"),
        ("set it to 21 degrees at 7:30", "set it to 21 degrees at 7:30"),
        ("room 101", "room 101"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    """What counts as an address, a phone number or a long number."""
    assert redact_text(text) == expected


async def test_cloud_images_allowed(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, tmp_path: Path
) -> None:
    """With permission, the image goes to the cloud provider."""
    await add_entry(
        hass,
        "anthropic",
        llm_server,
        **{CONF_ALLOW_CLOUD_IMAGES: True},
    )
    path = tiny_jpeg_file(tmp_path, "door.jpg")
    llm_server.script(Reply(text="A neighbour."))
    assert (
        await run_turn_with_image(hass, "who is at the door?", path) == "A neighbour."
    )
