"""What Confidant says about held calls: the question, and what the model is told.

Confidant, not the model, asks: its own translated question names every
held action and target, and it is the last thing said in the turn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.util.json import JsonValueType

from ..messages import async_spoken_message
from ..sensitivity.verbs import VERB_RUN, describe
from .held import HeldCall


async def async_tell_model(hass: HomeAssistant, held: HeldCall) -> llm.ToolResult:
    """The result a held call gives the model: not done, Confidant asks."""
    verbs = " and ".join(sorted({effect.verb for effect in held.asked}))
    targets = describe(held.asked)
    # The instruction is for the model, so it stays in one language.
    instruction = await async_spoken_message(
        hass,
        "en",
        "confirmation_required",
        {"action": verbs, "targets": ", ".join(targets)},
    )
    return llm.ToolResult(
        data={
            "confirmation_required": True,
            "done": False,
            "action": verbs,
            "targets": list[JsonValueType](targets),
            "instruction": instruction,
        }
    )


async def _async_call_phrase(
    hass: HomeAssistant, call: HeldCall, language: str
) -> list[str]:
    """What the question says about one held call."""
    verdict = call.verdict
    effects = [
        await async_spoken_message(
            hass, language, f"confirm_{e.verb}", {"target": e.target}
        )
        for e in call.asked
        if not (verdict.via and e.verb == VERB_RUN and e.target == verdict.via)
    ]
    if not verdict.via:
        return effects
    return [
        await async_spoken_message(
            hass,
            language,
            "confirm_run_with" if effects else "confirm_run",
            {"target": verdict.via, "effects": ", ".join(effects)},
        )
    ]


async def async_question(
    hass: HomeAssistant, calls: Iterable[HeldCall], language: str, *, pin: bool
) -> str:
    """Confidant's question, naming every held action and target."""
    phrases: list[str] = []
    for call in calls:
        phrases += await _async_call_phrase(hass, call, language)
    phrases = list(dict.fromkeys(phrases))
    listed = phrases[0]
    if len(phrases) > 1:
        listed = await async_spoken_message(
            hass,
            language,
            "confirm_and",
            {"first": ", ".join(phrases[:-1]), "last": phrases[-1]},
        )
    key = "confirm_question_pin" if pin else "confirm_question"
    return await async_spoken_message(hass, language, key, {"actions": listed})


async def async_say_last(
    chat_log: conversation.ChatLog, agent_id: str, said: str
) -> str:
    """Add Confidant's words as the turn's last message; the whole turn's speech.

    They enter the chat log as a streamed assistant message, so a satellite
    that already speaks the model's words hears them too.
    """
    model_said = ""
    last = chat_log.content[-1]
    if isinstance(last, conversation.AssistantContent) and last.content:
        model_said = last.content.strip()

    async def deltas() -> AsyncIterator[conversation.AssistantContentDeltaDict]:
        yield {"role": "assistant"}
        yield {"content": said}

    async for _content in chat_log.async_add_delta_content_stream(agent_id, deltas()):
        pass
    return f"{model_said} {said}" if model_said else said
