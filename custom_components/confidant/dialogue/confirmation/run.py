"""Running what the person confirmed: as asked, as the person, or nothing.

Each held call is read again just before it runs; if it would now act on
anything the question did not name, nothing runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import probatio
from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent, llm

from ...const import LOGGER
from ..messages import async_spoken_message
from ..sensitivity import SensitivityReader
from ..sensitivity.verbs import binding
from .held import HeldCall, copied_input


@dataclass(slots=True)
class ConfirmationOutcome:
    """What the person's reply to a confirmation question did."""

    speech: str
    executed: bool
    response: intent.IntentResponse | None = None


def still_as_asked(reader: SensitivityReader, calls: Iterable[HeldCall]) -> bool:
    """Whether every call would still act only on what the question named."""
    for call in calls:
        now = reader.read_call(call.tool, call.tool_input.tool_args, call.llm_context)
        if not binding(now.asked) <= call.binding:
            LOGGER.info("A confirmed action changed before it ran; nothing was done")
            return False
    return True


async def _async_call(
    hass: HomeAssistant, call: HeldCall, user_input: conversation.ConversationInput
) -> llm.ToolResult | None:
    """Run one call as the person who confirmed it; None when it failed."""
    llm_context = dataclasses.replace(call.llm_context, context=user_input.context)
    try:
        result = await call.tool.async_call(
            hass, copied_input(call.tool_input), llm_context
        )
    except HomeAssistantError, probatio.Invalid:
        LOGGER.debug("A confirmed %s call failed", call.tool.name)
        return None
    if not isinstance(result, llm.ToolResult):
        result = llm.ToolResult(data=result)
    if result.error or "error" in result.data:
        return None
    return result


async def async_run(
    hass: HomeAssistant,
    calls: Iterable[HeldCall],
    user_input: conversation.ConversationInput,
) -> ConfirmationOutcome:
    """Run the confirmed calls, as the person who confirmed them."""
    language = user_input.language
    spoken: list[str] = []
    response: intent.IntentResponse | None = None
    executed = False
    for call in calls:
        if (result := await _async_call(hass, call, user_input)) is None:
            continue
        original = getattr(result.data, "original", None)
        if isinstance(original, intent.IntentResponse):
            if original.response_type is intent.IntentResponseType.ERROR:
                continue
            response = original
            if speech := original.speech.get("plain", {}).get("speech"):
                spoken.append(str(speech))
        executed = True

    if not executed:
        speech = await async_spoken_message(hass, language, "action_failed")
        failed = intent.IntentResponse(language=language)
        failed.async_set_error(intent.IntentResponseErrorCode.FAILED_TO_HANDLE, speech)
        return ConfirmationOutcome(speech, executed=False, response=failed)

    speech = " ".join(spoken) or await async_spoken_message(
        hass, language, "action_done"
    )
    if response is not None:
        response.async_set_speech(speech)
    return ConfirmationOutcome(speech, executed=True, response=response)
