"""Every configuration key and default of Confidant, in one place."""

import logging
from typing import Final

DOMAIN: Final = "confidant"
LOGGER = logging.getLogger(__package__)

# Config entry data: which provider, and how to reach it.
CONF_PROVIDER: Final = "provider"

PROVIDER_OPENAI: Final = "openai"
PROVIDER_ANTHROPIC: Final = "anthropic"
PROVIDER_OLLAMA: Final = "ollama"
PROVIDER_OPENAI_COMPATIBLE: Final = "openai_compatible"
# In the order the config flow offers them.
PROVIDERS: Final = (
    PROVIDER_OPENAI,
    PROVIDER_ANTHROPIC,
    PROVIDER_OLLAMA,
    PROVIDER_OPENAI_COMPATIBLE,
)

DEFAULT_OPENAI_COMPATIBLE_URL: Final = "http://localhost:8080/v1"
DEFAULT_OLLAMA_URL: Final = "http://localhost:11434"

# Conversation subentry options (one agent each).
CONF_MAX_TOKENS: Final = "max_tokens"
CONF_TEMPERATURE: Final = "temperature"
CONF_TIMEOUT: Final = "timeout"

# The agent form's switch: the recommended advanced options (settings.py).
CONF_RECOMMENDED: Final = "recommended"

SUBENTRY_CONVERSATION: Final = "conversation"
# An AI Task entity (ai_task.generate_data): model and limits only.
SUBENTRY_AI_TASK: Final = "ai_task_data"

# Privacy choices of an entry (config entry options, set in the consent step).
CONF_RETENTION_DAYS: Final = "retention_days"  # 0: transcripts are not kept
CONF_RETENTION_CONSENT: Final = "retention_consent"
CONF_EXCLUDED_DEVICES: Final = "excluded_devices"
CONF_EXCLUDED_USERS: Final = "excluded_users"
CONF_ALLOW_PROVIDER_STORAGE: Final = "allow_provider_storage"
CONF_ALLOW_CLOUD_IMAGES: Final = "allow_cloud_images"
CONF_REDACT: Final = "redact"
# Household memory ("remember that ..."): off unless switched on with consent.
CONF_HOUSEHOLD_MEMORY: Final = "household_memory"
CONF_HOUSEHOLD_MEMORY_CONSENT: Final = "household_memory_consent"

DEFAULT_RETENTION_DAYS: Final = 0
MAX_RETENTION_DAYS: Final = 365

# Conversation behaviour of an agent.
CONF_FOLLOW_UP: Final = "follow_up"
FOLLOW_UP_QUESTION: Final = "question"  # keep listening when the answer asks something
FOLLOW_UP_ALWAYS: Final = "always"  # keep listening after every answer
FOLLOW_UP_OFF: Final = "off"
CONF_MEMORY_MINUTES: Final = "memory_minutes"
CONF_MAX_HISTORY_TURNS: Final = "max_history_turns"
CONF_LOCAL_FIRST: Final = "local_first"
CONF_CONFIRM_SENSITIVE: Final = "confirm_sensitive"

DEFAULT_FOLLOW_UP: Final = FOLLOW_UP_QUESTION
DEFAULT_MEMORY_MINUTES: Final = 5
DEFAULT_MAX_HISTORY_TURNS: Final = 10
DEFAULT_LOCAL_FIRST: Final = True
DEFAULT_CONFIRM_SENSITIVE: Final = True

# Who and what the confirmation of sensitive actions covers (confirmation.py).
CONF_ALWAYS_ASK: Final = "always_ask"  # entities and scripts that always ask
CONF_ASK_UNREADABLE: Final = "ask_unreadable"  # tools whose effect cannot be read
CONF_NO_CONFIRM_DEVICES: Final = "no_confirm_devices"  # e.g. a doorbell satellite
CONF_CONFIRM_WITHOUT_DEVICE: Final = "confirm_without_device"  # automations, app
CONF_CONFIRM_PIN: Final = "confirm_pin"  # spoken PIN, never sent to a model

DEFAULT_ASK_UNREADABLE: Final = True
DEFAULT_CONFIRM_WITHOUT_DEVICE: Final = False

# The most the agent sends the model in one request, in estimated tokens:
# instructions, the home, tools, history and the question together. The
# default leaves room for the answer in the 8k context of a small local model.
CONF_PROMPT_BUDGET: Final = "prompt_budget"
DEFAULT_PROMPT_BUDGET: Final = 6000

# Cameras: which agent looks at a snapshot (empty: the agent itself), and the
# widest snapshot it is sent, in pixels.
CONF_VISION_AGENT: Final = "vision_agent"
CONF_VISION_MAX_WIDTH: Final = "vision_max_width"

DEFAULT_VISION_MAX_WIDTH: Final = 640
VISION_JPEG_QUALITY: Final = 80
# Camera descriptions remembered for "who came by?": in memory only.
RECENT_VISITORS_MAX: Final = 20
RECENT_VISITORS_HOURS: Final = 24

# Provider-specific agent options, passed to the provider as they are.
CONF_REASONING_EFFORT: Final = "reasoning_effort"  # OpenAI reasoning models
CONF_THINKING_BUDGET: Final = "thinking_budget"  # Anthropic extended thinking, tokens
CONF_KEEP_ALIVE: Final = "keep_alive"  # Ollama: seconds the model stays loaded
CONF_NUM_CTX: Final = "num_ctx"  # Ollama: context window, tokens
CONF_THINK: Final = "think"  # Ollama: let thinking models think

PROVIDER_OPTIONS: Final[dict[str, tuple[str, ...]]] = {
    PROVIDER_OPENAI: (CONF_REASONING_EFFORT,),
    PROVIDER_ANTHROPIC: (CONF_THINKING_BUDGET,),
    PROVIDER_OLLAMA: (CONF_KEEP_ALIVE, CONF_NUM_CTX, CONF_THINK),
    PROVIDER_OPENAI_COMPATIBLE: (),
}

DEFAULT_REASONING_EFFORT: Final = "low"
DEFAULT_THINKING_BUDGET: Final = 0
DEFAULT_KEEP_ALIVE: Final = -1
DEFAULT_NUM_CTX: Final = 8192

DEFAULT_AGENT_NAME: Final = "Confidant"
DEFAULT_AI_TASK_NAME: Final = "Confidant AI Task"
DEFAULT_MAX_TOKENS: Final = 1024
DEFAULT_TEMPERATURE: Final = 0.6
DEFAULT_TIMEOUT: Final = 30.0
# A turn (requests, tool calls and follow-up requests together) may take this
# many times the agent's timeout; then the person hears that it took too long.
TURN_DEADLINE_FACTOR: Final = 2
# Servers that cannot list their models usually accept any name.
FALLBACK_MODEL: Final = "local-model"
# The model a new agent starts with when the provider lists it.
PREFERRED_MODELS: Final = {
    PROVIDER_OPENAI: ("gpt-5-mini", "gpt-4.1-mini", "gpt-4o-mini"),
    PROVIDER_ANTHROPIC: ("claude-haiku-5-5", "claude-haiku-4-5", "claude-sonnet-4-6"),
    PROVIDER_OLLAMA: ("qwen3:8b", "llama3.2:3b", "llama3.1:8b"),
    PROVIDER_OPENAI_COMPATIBLE: (),
}

# How many rounds of "model asks for tools, tools answer" one turn may take
# before Confidant gives up and says so.
MAX_TOOL_ITERATIONS: Final = 10
