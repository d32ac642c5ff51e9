"""The home as a turn's request carries it: the stable overview, and the tail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm

from ..home import assist_api
from ..home.index import HomeContext
from ..household_memory import prompt as memory_prompt
from ..model.check import prompt_budget
from ..providers import Message
from ..settings import AgentSettings
from .tool_specs import ToolSpecs

if TYPE_CHECKING:
    from .. import ConfidantConfigEntry


class TurnHome:
    """One agent's view of the home, turn by turn.

    Keeps the overview the last API it made carried: Home Assistant 2026.11
    keeps a conversation's system prompt and tools between turns without
    asking the API again, and then that overview still holds.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfidantConfigEntry,
        subentry: ConfigSubentry,
        tool_specs: ToolSpecs,
    ) -> None:
        """Start without an overview."""
        self._hass = hass
        self._entry = entry
        self._subentry = subentry
        self._tool_specs = tool_specs
        self._overview: HomeContext | None = None

    def llm_api(
        self, settings: AgentSettings, memory_search: llm.Tool | None
    ) -> str | list[str] | llm.API | None:
        """The agent's LLM API: Assist with Confidant's stable overview.

        `memory_search` is the household-memory search, offered this turn
        when facts had no room in the prompt.
        """
        prompt = settings.prompt or llm.DEFAULT_INSTRUCTIONS_PROMPT
        return assist_api.async_assist_api(
            self._hass,
            settings.llm_hass_api,
            assist_api.Turn(
                # The household's budget, within the model's real context.
                budget_tokens=prompt_budget(self._entry, self._subentry),
                other_bytes=len(prompt.encode()),
            ),
            tool_specs=self._tool_specs,
            memory_search=memory_search,
        )

    def tail(
        self,
        settings: AgentSettings,
        user_input: conversation.ConversationInput,
        llm_api: str | list[str] | llm.API | None,
        history: list[Message],
    ) -> str:
        """What this utterance likely needs that the stable overview leaves out."""
        if (overview := assist_api.overview_of(llm_api)) is not None:
            self._overview = overview
        elif not settings.llm_hass_api:
            return ""
        return assist_api.async_turn_tail(
            self._hass,
            self._overview,
            assistant=conversation.DOMAIN,
            device_id=user_input.device_id,
            text=user_input.text,
            history=assist_api.history_texts(history),
            budget_tokens=prompt_budget(self._entry, self._subentry),
            turn_bytes=len(user_input.text.encode())
            + sum(map(assist_api.message_bytes, history))
            + memory_prompt.facts_bytes(history),
        )
