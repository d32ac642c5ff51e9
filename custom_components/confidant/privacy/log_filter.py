"""Keeps what people say out of Home Assistant's logs, at every level.

Confidant itself never logs conversation content. Home Assistant's
conversation integration, the voice pipeline, text-to-speech, intents, the
websocket connection and the provider SDKs do, at DEBUG: the words said, the
prompt, every streamed delta, the request bodies and the raw websocket frames
of the Assist dialog. And every action call, `conversation.process` from an
automation included, is logged with its data by the event bus and the
recorder. These filters keep the log lines (so debugging still shows what
happened) but withhold the arguments that carry the words, and leave alone
the lines that carry none.

A logging filter only sees the records of the logger it is attached to, not
those of its children, so each module's logger is named here (getLogger
creates it before the module is even imported), and loggers already created
under the content prefixes are found and covered too.

The filters touch loggers of the whole process (the event bus, the recorder,
SQLAlchemy), so they are there only while an entry of Confidant is: installed
when one sets up, removed when the last one unloads.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback

from ..const import DOMAIN

WITHHELD: Final = "<withheld by Confidant>"

# Loggers whose records carry conversation content in their arguments.
CONTENT_LOGGERS: Final = (
    "homeassistant.components.conversation",
    "homeassistant.components.conversation.agent_manager",
    "homeassistant.components.conversation.chat_log",
    "homeassistant.components.conversation.default_agent",
    "homeassistant.components.conversation.entity",
    "homeassistant.components.conversation.http",
    "homeassistant.components.conversation.services",
    "homeassistant.components.conversation.trigger",
    "homeassistant.components.conversation.util",
    "homeassistant.components.assist_pipeline",
    "homeassistant.components.assist_pipeline.default_pipeline",
    "homeassistant.components.assist_pipeline.pipeline",
    "homeassistant.components.assist_pipeline.run",
    "homeassistant.components.assist_pipeline.websocket_api",
    "homeassistant.components.assist_satellite",
    "homeassistant.components.assist_satellite.entity",
    "homeassistant.components.ai_task",
    "homeassistant.components.ai_task.task",
    "homeassistant.components.intent",
    "homeassistant.components.intent.timers",
    "homeassistant.components.tts",
    "homeassistant.components.tts.notify",
    "homeassistant.components.wyoming.assist_satellite",
    "homeassistant.components.wyoming.conversation",
    "homeassistant.helpers.intent",
    "homeassistant.helpers.llm",
    "openai._base_client",
    "anthropic._base_client",
)
# Any other logger under these names, once created, is a content logger too.
CONTENT_PREFIXES: Final = (
    "homeassistant.components.conversation.",
    "homeassistant.components.assist_pipeline.",
    "homeassistant.components.assist_satellite.",
    "homeassistant.components.ai_task.",
    "homeassistant.components.tts.",
)
# Lines of content loggers that only ever carry identifiers: Home Assistant's
# entity-platform and intent-loading lines. Kept whole.
SAFE_TEMPLATES: Final = frozenset(
    {
        "Setting up %s",
        "Cleared intents for language: %s",
        "No intents were loaded for language: %s",
        "Platform %s not %s; Retrying in %d seconds",
        "Platform %s not %s; Retrying in background in %d seconds",
    }
)
# Loggers that log every event or row: only records about an action call
# that carries words (to these domains) are withheld.
EVENT_LOGGERS: Final = (
    "homeassistant.core",
    "homeassistant.components.recorder.core",
    "sqlalchemy.engine.Engine",
)
# The websocket connection's logger: every frame, both ways, at DEBUG.
WEBSOCKET_LOGGERS: Final = ("homeassistant.components.websocket_api.http.connection",)
_CONTENT_DOMAINS: Final = ("conversation", "confidant", "ai_task", "tts")
_ROW_MARKERS: Final = tuple(f'"domain":"{domain}"' for domain in _CONTENT_DOMAINS)


def _withhold(record: logging.LogRecord) -> None:
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    # Numbers (status codes, counts) carry no words and may be formatted
    # with %d; everything else is withheld.
    record.args = tuple(
        arg if isinstance(arg, int | float) else WITHHELD for arg in args
    )


def _is_action_with_words(value: Any) -> bool:
    event = getattr(value, "event", value)
    data = getattr(event, "data", None)
    if getattr(event, "event_type", None) == "call_service" and isinstance(data, dict):
        return data.get("domain") in _CONTENT_DOMAINS
    # A database row of such an event, as SQLAlchemy logs its parameters.
    # Only reached for records of these loggers at DEBUG/INFO, so the cost of
    # str() is paid only when someone asked for such verbose logs.
    text = str(value)
    return any(marker in text for marker in _ROW_MARKERS)


class ContentFilter(logging.Filter):
    """Withholds the arguments of a content-bearing logger's records.

    Only lines known to carry identifiers alone (SAFE_TEMPLATES) are kept
    whole: a line Home Assistant adds later is withheld until known.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, without the words."""
        if not isinstance(record.msg, str):
            # An object logged as the message (an exception, a dict): its
            # text is whatever it holds.
            record.msg = WITHHELD
            if record.args:
                _withhold(record)
        elif record.args and record.msg not in SAFE_TEMPLATES:
            _withhold(record)
        return True


class ActionFilter(logging.Filter):
    """Withholds the arguments of records about an action call with words."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record; withhold its arguments if they hold such a call."""
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        if record.args and any(_is_action_with_words(arg) for arg in args):
            _withhold(record)
        return True


# Websocket commands whose frames (the command, its result and its events)
# carry what was said or answered.
_WORD_COMMAND_PREFIXES: Final = (
    "assist_pipeline/",
    "assist_satellite/",
    "conversation/",
    "ai_task/",
    "tts",
    "confidant/",
)
# Commands that run arbitrary actions: words when they reach these domains.
_ACTION_COMMANDS: Final = frozenset({"call_service", "execute_script"})
# Markers of words in a frame whose command was not seen (a connection older
# than the filter): pipeline events, chat log deltas, conversation results.
_WORD_MARKERS: Final = (
    '"intent_input"',
    '"tts_input"',
    '"speech"',
    '"chat_log_delta"',
    '"stt-end"',
    '"intent-end"',
    '"intent-progress"',
    '"access_token"',
)
# Command ids remembered per connection, and connections remembered.
_MAX_IDS: Final = 1000
_MAX_CONNECTIONS: Final = 200


def _frames(value: Any) -> list[Any]:
    """The JSON messages of a logged frame (a dict, a str, bytes, a list)."""
    if isinstance(value, bytes | str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else [value]


def _has_markers(value: Any) -> bool:
    """Whether a frame sent to a client shows words (compact JSON)."""
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return any(marker in text for marker in _WORD_MARKERS)


def _reaches_word_domains(message: dict[str, Any]) -> bool:
    """Whether an action command calls an action of a domain that takes words."""
    text = json.dumps(message, default=str, separators=(",", ":"))
    return any(
        f'"{domain}.' in text or f'"domain":"{domain}"' in text
        for domain in _CONTENT_DOMAINS
    )


def _carries_words(message: Any) -> bool:
    """Whether a command sent by a client carries or asks for words."""
    if not isinstance(message, dict):
        return False
    kind = message.get("type")
    if not isinstance(kind, str):
        return False
    if kind == "auth":
        # Not words, but the access token: never in a log either.
        return True
    if kind.startswith(_WORD_COMMAND_PREFIXES):
        return True
    if kind in _ACTION_COMMANDS:
        return _reaches_word_domains(message)
    return False


class WebsocketFilter(logging.Filter):
    """Withholds websocket frames that carry words, and only those.

    The connection logs each frame it receives and sends. A command that
    carries words (a pipeline run, `conversation/process`, a chat log
    subscription) is withheld, and so is everything sent back under its id:
    its result and its events. Other frames (state changes, the frontend's
    own commands) stay as they are.
    """

    def __init__(self) -> None:
        """Start with no connection known."""
        super().__init__()
        self._ids: OrderedDict[str, OrderedDict[Any, None]] = OrderedDict()

    def _remember(self, connection: str, message_id: Any) -> None:
        ids = self._ids.setdefault(connection, OrderedDict())
        self._ids.move_to_end(connection)
        ids[message_id] = None
        while len(ids) > _MAX_IDS:
            ids.popitem(last=False)
        while len(self._ids) > _MAX_CONNECTIONS:
            self._ids.popitem(last=False)

    def _received(self, connection: str, frame: Any) -> bool:
        withhold = False
        for message in _frames(frame):
            if _carries_words(message):
                withhold = True
                if isinstance(message, dict) and "id" in message:
                    self._remember(connection, message["id"])
        return withhold

    def _sent(self, connection: str, frame: Any) -> bool:
        ids: OrderedDict[Any, None] = self._ids.get(connection) or OrderedDict()
        messages = _frames(frame)
        if any(isinstance(m, dict) and m.get("id") in ids for m in messages):
            return True
        return _has_markers(frame)

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record; withhold the frame if it carries words."""
        if not isinstance(record.args, tuple) or not record.args:
            return True
        template = str(record.msg)
        # "[<connection id>] %s: Received %s", as the connection's adapter
        # writes it: the connection id keeps commands and answers together.
        connection = template.partition("]")[0]
        frame = record.args[-1]
        if template.endswith("Received %s"):
            withhold = self._received(connection, frame)
        elif template.endswith(("Sending %s", "%s on closed connection")):
            withhold = self._sent(connection, frame)
        else:
            withhold = False
        if withhold:
            record.args = (*record.args[:-1], WITHHELD)
        return True


# The states of an entry that has (or is about to have) agents hearing words:
# while one is in them, the filters stay.
_KEEPING: Final = (ConfigEntryState.LOADED, ConfigEntryState.SETUP_IN_PROGRESS)
# Each filter attached to the loggers it serves; the websocket one remembers
# commands by connection, so one instance serves its one logger.
_FILTERS: Final = (ContentFilter, ActionFilter, WebsocketFilter)


def _content_logger_names() -> list[str]:
    """The content loggers named here and any other already made under them."""
    existing = [
        name
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(CONTENT_PREFIXES)
    ]
    return [*CONTENT_LOGGERS, *existing]


def install_content_log_filter() -> None:
    """Attach the filters to their loggers; safe to call again.

    A logger that has one of these filters already keeps it: a second call
    (another entry, loggers made since) never adds a filter twice.
    """
    for names, kind in (
        (_content_logger_names(), ContentFilter),
        (EVENT_LOGGERS, ActionFilter),
        (WEBSOCKET_LOGGERS, WebsocketFilter),
    ):
        log_filter: logging.Filter | None = None
        for name in names:
            logger = logging.getLogger(name)
            if not any(isinstance(known, kind) for known in logger.filters):
                log_filter = log_filter or kind()
                logger.addFilter(log_filter)


def remove_content_log_filter() -> None:
    """Detach the filters from every logger that has one."""
    for logger in list(logging.root.manager.loggerDict.values()):
        if not isinstance(logger, logging.Logger):
            continue  # a placeholder for loggers not made yet
        for known in list(logger.filters):
            if isinstance(known, _FILTERS):
                logger.removeFilter(known)


@callback
def async_filter_logs_while_loaded(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> None:
    """Filter the logs from now until the last of Confidant's entries unloads.

    The filters are process-wide, so they stay while another entry is loaded
    or being set up, and go with the last one.
    """
    install_content_log_filter()

    @callback
    def remove_after_last() -> None:
        if not any(
            other.entry_id != entry.entry_id and other.state in _KEEPING
            for other in hass.config_entries.async_entries(DOMAIN)
        ):
            remove_content_log_filter()

    entry.async_on_unload(remove_after_last)
