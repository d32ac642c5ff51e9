"""The differences between the Home Assistant versions the suite runs on.

The suite runs on the minimum supported version and on the current release
(scripts/test --ha latest). Tests that touch an API which changed between
them go through here, so each difference is written down once.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator
from contextlib import contextmanager

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import chat_session

HA_VERSION = AwesomeVersion(__version__)

# 2026.11: a conversation belongs to the user of its first context; the chat
# session helper takes that context (calling it without one is deprecated).
CHAT_SESSION_TAKES_CONTEXT = (
    "context" in inspect.signature(chat_session.async_get_chat_session).parameters
)


@contextmanager
def chat_session_for(
    hass: HomeAssistant,
    conversation_id: str | None = None,
    context: Context | None = None,
) -> Generator[chat_session.ChatSession]:
    """Open a chat session the way this Home Assistant version supports.

    `context` None means the caller acts for no user (as a satellite does).
    """
    if CHAT_SESSION_TAKES_CONTEXT:
        with chat_session.async_get_chat_session(
            hass, conversation_id, context=context
        ) as session:
            yield session
    else:
        with chat_session.async_get_chat_session(hass, conversation_id) as session:
            yield session
