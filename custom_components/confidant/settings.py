"""Every option, typed, with its default: read in one place.

An agent's options (AgentSettings) and an entry's privacy choices
(EntrySettings). Also what a new agent, AI task or entry starts with, and
which of an agent's options the "recommended settings" switch of its form
stands for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Self

from homeassistant.const import CONF_LLM_HASS_API, CONF_MODEL, CONF_NAME, CONF_PROMPT
from homeassistant.helpers import llm

from .const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_ALLOW_PROVIDER_STORAGE,
    CONF_ALWAYS_ASK,
    CONF_ASK_UNREADABLE,
    CONF_CONFIRM_PIN,
    CONF_CONFIRM_SENSITIVE,
    CONF_CONFIRM_WITHOUT_DEVICE,
    CONF_EXCLUDED_DEVICES,
    CONF_EXCLUDED_USERS,
    CONF_FOLLOW_UP,
    CONF_HOUSEHOLD_MEMORY,
    CONF_HOUSEHOLD_MEMORY_CONSENT,
    CONF_LOCAL_FIRST,
    CONF_MAX_HISTORY_TURNS,
    CONF_MAX_TOKENS,
    CONF_MEMORY_MINUTES,
    CONF_NO_CONFIRM_DEVICES,
    CONF_NUM_CTX,
    CONF_PROMPT_BUDGET,
    CONF_REDACT,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    CONF_TEMPERATURE,
    CONF_TIMEOUT,
    CONF_VISION_AGENT,
    CONF_VISION_MAX_WIDTH,
    DEFAULT_ASK_UNREADABLE,
    DEFAULT_CONFIRM_SENSITIVE,
    DEFAULT_CONFIRM_WITHOUT_DEVICE,
    DEFAULT_FOLLOW_UP,
    DEFAULT_LOCAL_FIRST,
    DEFAULT_MAX_HISTORY_TURNS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MEMORY_MINUTES,
    DEFAULT_NUM_CTX,
    DEFAULT_PROMPT_BUDGET,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_TEMPERATURE,
    DEFAULT_TIMEOUT,
    DEFAULT_VISION_MAX_WIDTH,
    FALLBACK_MODEL,
    MAX_RETENTION_DAYS,
)

# What the agent form's first step asks; everything else is an advanced
# option, shown only when the recommended settings are switched off.
BASIC_AGENT_OPTIONS: Final = frozenset(
    {CONF_NAME, CONF_MODEL, CONF_PROMPT, CONF_LLM_HASS_API}
)

# The advanced options "recommended settings" stands for. An option not
# listed (the prompt budget, the confirmation lists, the vision agent, a
# provider's own knobs) is left out, so it takes its default below or, for a
# provider's knob, the server's own.
RECOMMENDED_AGENT_OPTIONS: Final[Mapping[str, Any]] = {
    CONF_MAX_TOKENS: DEFAULT_MAX_TOKENS,
    CONF_TEMPERATURE: DEFAULT_TEMPERATURE,
    CONF_TIMEOUT: DEFAULT_TIMEOUT,
    CONF_FOLLOW_UP: DEFAULT_FOLLOW_UP,
    CONF_MEMORY_MINUTES: DEFAULT_MEMORY_MINUTES,
    CONF_MAX_HISTORY_TURNS: DEFAULT_MAX_HISTORY_TURNS,
    CONF_LOCAL_FIRST: DEFAULT_LOCAL_FIRST,
    CONF_CONFIRM_SENSITIVE: DEFAULT_CONFIRM_SENSITIVE,
}

# The privacy choices of a new entry: nothing kept, nothing more sent.
DEFAULT_PRIVACY_OPTIONS: Final[Mapping[str, Any]] = {
    CONF_RETENTION_DAYS: DEFAULT_RETENTION_DAYS,
    CONF_RETENTION_CONSENT: False,
    CONF_EXCLUDED_DEVICES: [],
    CONF_EXCLUDED_USERS: [],
    CONF_ALLOW_PROVIDER_STORAGE: False,
    CONF_ALLOW_CLOUD_IMAGES: False,
    CONF_REDACT: False,
    CONF_HOUSEHOLD_MEMORY: False,
    CONF_HOUSEHOLD_MEMORY_CONSENT: False,
}


def default_agent_options(model: str) -> dict[str, Any]:
    """The options of a new agent: control through Assist, the recommended rest."""
    return {
        CONF_MODEL: model,
        CONF_PROMPT: llm.DEFAULT_INSTRUCTIONS_PROMPT,
        CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
        **RECOMMENDED_AGENT_OPTIONS,
    }


def default_ai_task_options(model: str) -> dict[str, Any]:
    """The options of a new AI task: a model and the same limits as an agent."""
    return {
        CONF_MODEL: model,
        CONF_MAX_TOKENS: DEFAULT_MAX_TOKENS,
        CONF_TEMPERATURE: DEFAULT_TEMPERATURE,
        CONF_TIMEOUT: DEFAULT_TIMEOUT,
    }


def uses_recommended(options: Mapping[str, Any]) -> bool:
    """Whether an agent's advanced options are all the recommended ones.

    Read from the options themselves rather than stored as a flag, so an
    agent made by the config flow, or before the switch existed, shows it on
    exactly when nothing advanced was changed.
    """
    advanced = {k: v for k, v in options.items() if k not in BASIC_AGENT_OPTIONS}
    return advanced.items() <= RECOMMENDED_AGENT_OPTIONS.items()


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """The options of an agent (or AI task) subentry, with their defaults.

    The defaults are const.py's; a subentry made before an option existed
    gets the default, as the config flow would offer it.
    """

    model: str = FALLBACK_MODEL
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE
    timeout: float = DEFAULT_TIMEOUT
    # Home Assistant's own options: the instructions and the LLM API(s).
    prompt: str | None = None
    llm_hass_api: str | list[str] | None = None
    follow_up: str = DEFAULT_FOLLOW_UP
    memory_minutes: float = DEFAULT_MEMORY_MINUTES
    max_history_turns: int = DEFAULT_MAX_HISTORY_TURNS
    local_first: bool = DEFAULT_LOCAL_FIRST
    confirm_sensitive: bool = DEFAULT_CONFIRM_SENSITIVE
    # The confirmation gate's choices (dialogue/confirmation/policy.py).
    always_ask: frozenset[str] = frozenset()
    ask_unreadable: bool = DEFAULT_ASK_UNREADABLE
    no_confirm_devices: frozenset[str] = frozenset()
    confirm_without_device: bool = DEFAULT_CONFIRM_WITHOUT_DEVICE
    # The PIN's digits, whatever else was typed around them ("" for none).
    confirm_pin: str = ""
    # The household's own budget; the model's context may lower it
    # (model/check.py).
    prompt_budget: int = DEFAULT_PROMPT_BUDGET
    # Ollama's context window (Ollama runs the context Confidant asks for).
    num_ctx: int = DEFAULT_NUM_CTX
    # The agent that looks at camera images (empty: the agent itself).
    vision_agent: str | None = None
    vision_max_width: int = DEFAULT_VISION_MAX_WIDTH

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Self:
        """The settings of a subentry's data."""
        budget = options.get(CONF_PROMPT_BUDGET)
        return cls(
            model=options.get(CONF_MODEL) or FALLBACK_MODEL,
            max_tokens=int(options.get(CONF_MAX_TOKENS, DEFAULT_MAX_TOKENS)),
            temperature=float(options.get(CONF_TEMPERATURE, DEFAULT_TEMPERATURE)),
            timeout=float(options.get(CONF_TIMEOUT, DEFAULT_TIMEOUT)),
            prompt=options.get(CONF_PROMPT),
            llm_hass_api=options.get(CONF_LLM_HASS_API),
            follow_up=options.get(CONF_FOLLOW_UP, DEFAULT_FOLLOW_UP),
            memory_minutes=float(
                options.get(CONF_MEMORY_MINUTES, DEFAULT_MEMORY_MINUTES)
            ),
            max_history_turns=int(
                options.get(CONF_MAX_HISTORY_TURNS, DEFAULT_MAX_HISTORY_TURNS)
            ),
            local_first=bool(options.get(CONF_LOCAL_FIRST, DEFAULT_LOCAL_FIRST)),
            confirm_sensitive=bool(
                options.get(CONF_CONFIRM_SENSITIVE, DEFAULT_CONFIRM_SENSITIVE)
            ),
            always_ask=frozenset(options.get(CONF_ALWAYS_ASK) or ()),
            ask_unreadable=bool(
                options.get(CONF_ASK_UNREADABLE, DEFAULT_ASK_UNREADABLE)
            ),
            no_confirm_devices=frozenset(options.get(CONF_NO_CONFIRM_DEVICES) or ()),
            confirm_without_device=bool(
                options.get(CONF_CONFIRM_WITHOUT_DEVICE, DEFAULT_CONFIRM_WITHOUT_DEVICE)
            ),
            confirm_pin="".join(
                ch for ch in str(options.get(CONF_CONFIRM_PIN) or "") if ch.isdigit()
            ),
            # An empty budget field means "no budget of its own".
            prompt_budget=int(budget) if budget else DEFAULT_PROMPT_BUDGET,
            num_ctx=int(options.get(CONF_NUM_CTX, DEFAULT_NUM_CTX)),
            vision_agent=options.get(CONF_VISION_AGENT),
            vision_max_width=int(
                options.get(CONF_VISION_MAX_WIDTH, DEFAULT_VISION_MAX_WIDTH)
            ),
        )


@dataclass(frozen=True, slots=True)
class EntrySettings:
    """An entry's privacy choices (its options), each with its default.

    The defaults are those of DEFAULT_PRIVACY_OPTIONS. Anything missing or
    malformed keeps nothing and sends nothing more: only an explicit yes
    turns a choice on.
    """

    retention_days: int = DEFAULT_RETENTION_DAYS
    retention_consent: bool = False
    excluded_devices: frozenset[str] = frozenset()
    excluded_users: frozenset[str] = frozenset()
    allow_provider_storage: bool = False
    allow_cloud_images: bool = False
    redact: bool = False
    household_memory: bool = False
    household_memory_consent: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Self:
        """The choices of an entry's options."""
        try:
            days = int(options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS))
        except TypeError, ValueError:
            days = 0
        return cls(
            retention_days=max(0, min(days, MAX_RETENTION_DAYS)),
            retention_consent=options.get(CONF_RETENTION_CONSENT) is True,
            excluded_devices=frozenset(options.get(CONF_EXCLUDED_DEVICES) or ()),
            excluded_users=frozenset(options.get(CONF_EXCLUDED_USERS) or ()),
            allow_provider_storage=bool(
                options.get(CONF_ALLOW_PROVIDER_STORAGE, False)
            ),
            allow_cloud_images=bool(options.get(CONF_ALLOW_CLOUD_IMAGES, False)),
            redact=bool(options.get(CONF_REDACT, False)),
            household_memory=options.get(CONF_HOUSEHOLD_MEMORY) is True,
            household_memory_consent=(
                options.get(CONF_HOUSEHOLD_MEMORY_CONSENT) is True
            ),
        )
