"""The household facts a turn's request carries, within the prompt budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigSubentry

from ..context_key import ContextKey
from ..home import assist_api
from ..household_memory import prompt as memory_prompt
from ..model.check import prompt_budget
from ..privacy.gate import PrivacyPolicy
from ..providers import Message

if TYPE_CHECKING:
    from .. import ConfidantConfigEntry


def household_facts(
    entry: ConfidantConfigEntry,
    subentry: ConfigSubentry,
    key: ContextKey,
    text: str,
    history: list[Message],
) -> tuple[list[Message], bool]:
    """The household facts this speaker may hear, as the request carries them.

    Right after the system prompt (household_memory/prompt.py), so the
    request's stable prefix reaches past them while they do not change.
    Also whether some of them had no room.
    """
    memory = entry.runtime_data.memory
    if not memory.enabled or not (visible := memory.facts(key.user_id)):
        return [], False
    chosen = memory_prompt.select_facts(
        visible,
        [text, *assist_api.history_texts(history)],
        # The same budget as the home's: within the model's context.
        prompt_budget(entry, subentry),
    )
    provider = entry.runtime_data.provider
    message = memory_prompt.facts_message(
        chosen,
        total=len(visible),
        user_id=key.user_id,
        # The gate masks words said, not system messages: facts are words
        # said, so they are masked here as the gate would.
        redact=PrivacyPolicy.from_options(entry.options, local=provider.is_local).redact
        and not provider.is_local,
    )
    return [message] if message is not None else [], len(chosen) < len(visible)
