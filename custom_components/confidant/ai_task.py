"""AI Task: Home Assistant's `ai_task.generate_data`, answered by Confidant.

One entity per AI task subentry. A task is one turn through the same path as
a conversation (the privacy gate, the ledger, the tool loop), with the task's
attachments read into images. A structured task gets the JSON schema of its
structure as an instruction, and the answer is parsed and checked against the
structure, so it works the same with every provider.
"""

from __future__ import annotations

import json
import re
from json import JSONDecodeError
from typing import Any, override

import probatio
from homeassistant.components import ai_task, conversation
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import llm
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.json import json_loads

from . import ConfidantConfigEntry
from .const import DOMAIN, LOGGER, SUBENTRY_AI_TASK
from .context_key import ContextKey
from .dialogue.confirmation import ConfirmationGate
from .entity import (
    ConfidantLLMEntity,
    ToolLoopLimitError,
    async_add_subentry_entities,
)
from .providers import ProviderError

# Tasks are answered as they come; nothing is polled.
PARALLEL_UPDATES = 0

# A whole answer wrapped in a Markdown code fence, as models like to send JSON.
_FENCE = re.compile(r"\A\s*```[\w-]*[ \t]*\n?(.*?)\n?\s*```\s*\Z", re.DOTALL)

STRUCTURE_INSTRUCTION = (
    "Answer with one JSON value and nothing else: no explanation, no Markdown. "
    "It must match this JSON schema:\n"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfidantConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one AI task entity per AI task subentry."""
    async_add_subentry_entities(
        entry, async_add_entities, SUBENTRY_AI_TASK, ConfidantTaskEntity
    )


def structure_instruction(
    structure: probatio.Schema, custom_serializer: Any | None
) -> str:
    """The instruction that asks for an answer in the task's structure."""
    schema = probatio.to_openapi(
        structure,
        custom_serializer=custom_serializer or llm.selector_serializer,
        openapi_version="3.1.0",
    )
    return STRUCTURE_INSTRUCTION + json.dumps(schema, ensure_ascii=False)


def parse_json_answer(text: str) -> Any:
    """The JSON in a model's answer, with or without a code fence around it.

    Raises JSONDecodeError when it is not JSON.
    """
    if match := _FENCE.match(text):
        text = match.group(1)
    return json_loads(text.strip())


def _mismatch_field(structure: probatio.Schema, err: probatio.Invalid) -> str:
    """The field of the structure an answer got wrong, never the answer itself.

    A key the model made up is not named: it is the model's words.
    """
    fields = structure.schema if isinstance(structure.schema, dict) else {}
    names = {str(key) for key in fields}
    if err.path and str(err.path[0]) in names:
        return str(err.path[0])
    return "a field that was not asked for" if err.path else "the answer as a whole"


def _task_error(key: str, detail: str = "") -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"detail": detail},
    )


class ConfidantTaskEntity(ai_task.AITaskEntity, ConfidantLLMEntity):
    """Generates data (text or a structure) from instructions and images."""

    # Data, not speech: JSON answers are what a structured task asks for.
    speaks_answers = False
    _attr_supported_features = (
        ai_task.AITaskEntityFeature.GENERATE_DATA
        | ai_task.AITaskEntityFeature.SUPPORT_ATTACHMENTS
    )

    @override
    async def _async_generate_data(
        self, task: ai_task.GenDataTask, chat_log: conversation.ChatLog
    ) -> ai_task.GenDataTaskResult:
        """Run the task as one turn; parse the answer when a structure is asked."""
        for attachment in task.attachments or ():
            # The providers take images; a PDF or a sound would be sent as one.
            if not attachment.mime_type.startswith("image/"):
                raise _task_error("unsupported_attachment", attachment.mime_type)
        # The structure is asked for in the request, after the system prompt;
        # the chat log keeps what Home Assistant wrote.
        instructions = (
            structure_instruction(
                task.structure,
                chat_log.llm_api.custom_serializer if chat_log.llm_api else None,
            )
            if task.structure is not None
            else ""
        )

        # No person is there to confirm: a sensitive call is held for good.
        ConfirmationGate(self.hass).guard_tools(
            ContextKey(chat_log.conversation_id, None, None), chat_log
        )
        try:
            await self.async_run_turn(chat_log, instructions=instructions)
        except (ProviderError, ToolLoopLimitError) as err:
            detail = self.report_failure(err, "run a task")
            raise _task_error(err.translation_key, detail) from err

        last = chat_log.content[-1]
        if not isinstance(last, conversation.AssistantContent):
            raise _task_error("no_answer")
        text = last.content or ""
        if task.structure is None:
            return ai_task.GenDataTaskResult(
                conversation_id=chat_log.conversation_id, data=text
            )

        try:
            data = parse_json_answer(text)
        except JSONDecodeError as err:
            LOGGER.warning("%s: the task's answer was not JSON", self.entity_id)
            raise _task_error("invalid_json") from err
        try:
            data = task.structure(data)
        except probatio.Invalid as err:
            where = _mismatch_field(task.structure, err)
            LOGGER.warning(
                "%s: the task's answer did not match the structure at %s",
                self.entity_id,
                where,
            )
            raise _task_error("structure_mismatch", where) from err
        return ai_task.GenDataTaskResult(
            conversation_id=chat_log.conversation_id, data=data
        )
