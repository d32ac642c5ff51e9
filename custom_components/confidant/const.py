"""Every configuration key and default of Confidant, in one place."""

import logging
from typing import Final

DOMAIN: Final = "confidant"
LOGGER = logging.getLogger(__package__)

# Config entry data: which provider, and how to reach it.
CONF_PROVIDER: Final = "provider"

PROVIDER_OPENAI_COMPATIBLE: Final = "openai_compatible"

DEFAULT_OPENAI_COMPATIBLE_URL: Final = "http://localhost:8080/v1"

# Conversation subentry options (one agent each).
CONF_MAX_TOKENS: Final = "max_tokens"
CONF_TEMPERATURE: Final = "temperature"
CONF_TIMEOUT: Final = "timeout"

SUBENTRY_CONVERSATION: Final = "conversation"

DEFAULT_AGENT_NAME: Final = "Confidant"
DEFAULT_MAX_TOKENS: Final = 1024
DEFAULT_TEMPERATURE: Final = 0.6
DEFAULT_TIMEOUT: Final = 30.0
# Servers that cannot list their models usually accept any name.
FALLBACK_MODEL: Final = "local-model"

# How many rounds of "model asks for tools, tools answer" one turn may take
# before Confidant gives up and says so.
MAX_TOOL_ITERATIONS: Final = 10
