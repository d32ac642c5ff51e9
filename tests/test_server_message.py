"""What the server said about an error reaches the log and the person, safely.

A local server's message is often the only thing that says what to fix
("tools param requires --jinja flag"); it is logged and spoken, cut to its
first sentence, with anything key-like, quoted or enclosed taken out.
"""

from __future__ import annotations

import logging

import pytest
from homeassistant.const import CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import CONF_PROVIDER, DOMAIN
from custom_components.confidant.providers.server_message import (
    MAX_CHARS,
    safe_server_message,
)

from .conftest import AGENT_ID, Home, agent_subentry, ask, speech
from .llm_server import LLMServer, Reply

LLAMACPP_NO_JINJA = {
    "error": {
        "code": 500,
        "message": "tools param requires --jinja flag",
        "type": "server_error",
    }
}


def _body(kind: str, message: str) -> dict[str, object]:
    if kind == "ollama":
        return {"error": message}
    return {"error": {"code": 500, "message": message, "type": "server_error"}}


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


async def test_llamacpp_explanation_is_spoken_and_logged(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """llama-server started without --jinja refuses tools and says why."""
    llm_server.script(Reply(status=500, error_body=LLAMACPP_NO_JINJA))
    with caplog.at_level(logging.WARNING):
        result = await ask(hass, "turn on the kitchen lights")
    assert speech(result) == (
        "The model service said: tools param requires --jinja flag."
    )
    assert "the server said: tools param requires --jinja flag" in _logged(caplog)
    assert "server_error HTTP 500" in _logged(caplog)
    # The person's words are in neither.
    assert "kitchen lights" not in _logged(caplog)
    assert hass.states.get(AGENT_ID).state != STATE_UNAVAILABLE


@pytest.mark.parametrize(
    ("message", "spoken"),
    [
        # A key quoted by the server is never repeated.
        (
            (
                "Incorrect API key provided: sk-proj-abcDEF1234567890xyz. You can "
                "find your API key at https://example.invalid/keys."
            ),
            "Incorrect API key provided",
        ),
        # The request's words, quoted back, are never repeated.
        (
            "Invalid value 'unlock the back door please' for field messages",
            "Invalid value for field messages",
        ),
        # Only the first sentence; nothing in braces.
        (
            (
                "the request exceeds the available context size {n_prompt: 9000}. "
                "Try increasing the context size or enable context shift."
            ),
            "the request exceeds the available context size",
        ),
        ("image input is not supported", "image input is not supported"),
    ],
)
async def test_message_is_made_safe(
    hass: HomeAssistant,
    local_entry: MockConfigEntry,
    llm_server: LLMServer,
    caplog: pytest.LogCaptureFixture,
    message: str,
    spoken: str,
) -> None:
    kind = local_entry.data[CONF_PROVIDER]
    llm_server.script(Reply(status=500, error_body=_body(kind, message)))
    with caplog.at_level(logging.DEBUG):
        result = await ask(hass, "unlock the back door please")
    assert speech(result) == f"The model service said: {spoken}."
    logged = _logged(caplog)
    assert f"the server said: {spoken}" in logged
    for secret in ("sk-proj", "abcDEF1234567890xyz", "9000", "back door"):
        assert secret not in logged
        assert secret not in speech(result)


async def test_ollama_error_in_the_stream_is_said(
    hass: HomeAssistant, home: Home, llm_server: LLMServer
) -> None:
    """Ollama's runner fails after the headers: the error line is the message."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_PROVIDER: "ollama", CONF_URL: llm_server.url[:-3]},
        subentries_data=[agent_subentry()],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    llm_server.script_raw(
        b'{"error":"model runner has unexpectedly stopped, this may be due to '
        b'resource limitations"}\n',
        content_type="application/x-ndjson",
    )
    result = await ask(hass, "hello")
    assert speech(result) == (
        "The model service said: model runner has unexpectedly stopped, this "
        "may be due to resource limitations."
    )


def test_safe_message_rules() -> None:
    assert safe_server_message(None) == ""
    assert safe_server_message('500: {"x": 1}') == ""
    assert safe_server_message("Bearer abc.def.ghi was rejected") == "was rejected"
    assert safe_server_message("token=hunter2 refused here") == "refused here"
    assert (
        safe_server_message("session 9f8e7d6c5b4a39281706f5e4d3c2b1a0 expired")
        == "session expired"
    )
    long = "word " * 100
    cut = safe_server_message(long)
    assert len(cut) <= MAX_CHARS + 1
    assert cut.endswith("…")
    assert safe_server_message("line one\nline two") == "line one"
