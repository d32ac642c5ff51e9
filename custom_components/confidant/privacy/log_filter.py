"""Keeps what people say out of Home Assistant's logs, at every level.

Confidant itself never logs conversation content. Home Assistant's
conversation integration, the voice pipeline and the provider SDKs do, at
DEBUG: the words said, the prompt, every streamed delta and the request
bodies. And every action call, `conversation.process` from an automation
included, is logged with its data by the event bus and the recorder. These
filters keep the log lines (so debugging still shows what happened) but
withhold the arguments that carry the words.
"""

from __future__ import annotations

import logging
from typing import Any, Final

WITHHELD: Final = "<withheld by Confidant>"

# Loggers whose records carry conversation content in their arguments.
CONTENT_LOGGERS: Final = (
    "homeassistant.components.conversation",
    "homeassistant.components.conversation.agent_manager",
    "homeassistant.components.conversation.chat_log",
    "homeassistant.components.conversation.default_agent",
    "homeassistant.components.conversation.services",
    "homeassistant.components.conversation.util",
    "homeassistant.components.assist_pipeline.pipeline",
    "homeassistant.helpers.llm",
    "openai._base_client",
    "anthropic._base_client",
)
# Loggers that log every event or row: only records about an action call
# that carries words (to these domains) are withheld.
EVENT_LOGGERS: Final = (
    "homeassistant.core",
    "homeassistant.components.recorder.core",
    "sqlalchemy.engine.Engine",
)
_CONTENT_DOMAINS: Final = ("conversation", "confidant", "ai_task")
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
    """Withholds the arguments of every record of a content-bearing logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, without the words."""
        if record.args:
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


_CONTENT_FILTER = ContentFilter()
_ACTION_FILTER = ActionFilter()


def install_content_log_filter() -> None:
    """Attach the filters to their loggers; safe to call again."""
    for names, log_filter in (
        (CONTENT_LOGGERS, _CONTENT_FILTER),
        (EVENT_LOGGERS, _ACTION_FILTER),
    ):
        for name in names:
            logger = logging.getLogger(name)
            if log_filter not in logger.filters:
                logger.addFilter(log_filter)
