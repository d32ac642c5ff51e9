"""A turn that failed: what is logged (never words), and the error spoken instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import conversation

from ..const import LOGGER
from ..entity import ToolLoopLimitError
from ..providers import ProviderError
from ..providers.server_message import spoken_error
from .speech import async_say_error

if TYPE_CHECKING:
    from ..entity import ConfidantLLMEntity


class UnexpectedError(ProviderError):
    """Something no one planned for failed during the turn (a bug, a tool)."""

    translation_key = "unexpected_error"


def unexpected(agent_id: str, err: Exception) -> UnexpectedError:
    """Log where a bug struck (no message, no values) and name it for the person.

    A bug (ours or a library's) must not leave a satellite in silence or
    write the turn's words into a traceback.
    """
    LOGGER.error(
        "%s failed unexpectedly: %s at %s", agent_id, type(err).__name__, _where(err)
    )
    return UnexpectedError(type(err).__name__)


def _where(err: BaseException) -> str:
    """The file and line an exception was raised at: no message, no values."""
    traceback = err.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    if traceback is None:
        return "unknown"
    code = traceback.tb_frame.f_code
    return f"{code.co_filename.rsplit('/', 1)[-1]}:{traceback.tb_lineno}"


async def async_error_result(
    agent: ConfidantLLMEntity,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    err: ProviderError | ToolLoopLimitError,
) -> conversation.ConversationResult:
    """Speak a translated error, keep the turn in the log, stay available."""
    detail = agent.report_failure(err, "answer")
    key, placeholders = spoken_error(
        err.translation_key,
        detail,
        err.server_message if isinstance(err, ProviderError) else "",
    )
    return await async_say_error(
        agent.hass,
        agent.entity_id,
        user_input,
        chat_log,
        key,
        placeholders=placeholders,
    )
