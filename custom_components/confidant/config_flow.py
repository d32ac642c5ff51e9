"""Config flow: choose a provider, test the connection, pick a model."""

from __future__ import annotations

from typing import Any

import probatio
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_LLM_HASS_API, CONF_MODEL, CONF_NAME, CONF_PROMPT, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TemplateSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_MAX_TOKENS,
    CONF_PROVIDER,
    CONF_TEMPERATURE,
    CONF_TIMEOUT,
    DEFAULT_AGENT_NAME,
    DEFAULT_MAX_TOKENS,
    DEFAULT_OPENAI_COMPATIBLE_URL,
    DEFAULT_TEMPERATURE,
    DEFAULT_TIMEOUT,
    DOMAIN,
    FALLBACK_MODEL,
    LOGGER,
    PROVIDER_OPENAI_COMPATIBLE,
    SUBENTRY_CONVERSATION,
)
from .provider_factory import async_create_provider
from .providers import AuthenticationError, ProviderError

PROVIDER_TITLES = {PROVIDER_OPENAI_COMPATIBLE: "OpenAI-compatible server"}


def _normalize_url(url: str) -> str:
    return url.strip().rstrip("/")


async def _async_fetch_models(hass: HomeAssistant, data: dict[str, Any]) -> tuple[list[str], str | None]:
    """Test the connection; return (models, None) or ([], error key)."""
    try:
        provider = await async_create_provider(hass, data)
        return await provider.async_list_models(), None
    except AuthenticationError:
        return [], "invalid_auth"
    except ProviderError as err:
        LOGGER.info("Connection test failed: %s %s", err.translation_key, err.detail)
        return [], "cannot_connect"
    except Exception:
        LOGGER.exception("Unexpected error while testing the connection")
        return [], "unknown"


def _model_selector(models: list[str]) -> SelectSelector | TextSelector:
    """A dropdown of the server's models; free text when it lists none."""
    if not models:
        return TextSelector()
    return SelectSelector(
        SelectSelectorConfig(options=models, mode=SelectSelectorMode.DROPDOWN, custom_value=True, sort=True)
    )


def _default_model(models: list[str]) -> str:
    return models[0] if models else FALLBACK_MODEL


def default_agent_options(model: str) -> dict[str, Any]:
    """The options of a new agent: control through Assist, sensible limits."""
    return {
        CONF_MODEL: model,
        CONF_PROMPT: llm.DEFAULT_INSTRUCTIONS_PROMPT,
        CONF_LLM_HASS_API: [llm.LLM_API_ASSIST],
        CONF_MAX_TOKENS: DEFAULT_MAX_TOKENS,
        CONF_TEMPERATURE: DEFAULT_TEMPERATURE,
        CONF_TIMEOUT: DEFAULT_TIMEOUT,
    }


class ConfidantConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a provider; its first agent is created with it."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start empty."""
        self._data: dict[str, Any] = {}
        self._models: list[str] = []

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which kind of provider to use."""
        return self.async_show_menu(step_id="user", menu_options=list(PROVIDER_TITLES))

    async def async_step_openai_compatible(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server's URL and optional key, and test them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = _normalize_url(user_input[CONF_URL])
            self._async_abort_entries_match({CONF_URL: url})
            data = {CONF_PROVIDER: PROVIDER_OPENAI_COMPATIBLE, CONF_URL: url}
            if key := (user_input.get(CONF_API_KEY) or "").strip():
                data[CONF_API_KEY] = key
            self._models, error = await _async_fetch_models(self.hass, data)
            if error is None:
                self._data = data
                return await self.async_step_model()
            errors["base"] = error
        schema = probatio.Schema(
            {
                probatio.Required(CONF_URL, default=DEFAULT_OPENAI_COMPATIBLE_URL): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                ),
                probatio.Optional(CONF_API_KEY): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
            }
        )
        return self.async_show_form(
            step_id="openai_compatible",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_model(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the first agent's model and create the entry."""
        if user_input is not None:
            model = user_input[CONF_MODEL].strip() or _default_model(self._models)
            return self.async_create_entry(
                title=f"{PROVIDER_TITLES[self._data[CONF_PROVIDER]]} ({self._data[CONF_URL]})",
                data=self._data,
                subentries=[
                    {
                        "subentry_type": SUBENTRY_CONVERSATION,
                        "data": default_agent_options(model),
                        "title": DEFAULT_AGENT_NAME,
                        "unique_id": None,
                    }
                ],
            )
        schema = probatio.Schema(
            {probatio.Required(CONF_MODEL, default=_default_model(self._models)): _model_selector(self._models)}
        )
        return self.async_show_form(step_id="model", data_schema=schema)

    @classmethod
    @callback
    def async_get_supported_subentry_types(cls, config_entry: ConfigEntry) -> dict[str, type[ConfigSubentryFlow]]:
        """Agents are subentries."""
        return {SUBENTRY_CONVERSATION: ConversationSubentryFlow}


class ConversationSubentryFlow(ConfigSubentryFlow):
    """Add or change one agent: name, model, prompt, control and limits."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add an agent."""
        return await self.async_step_set_options(user_input)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Change an agent."""
        return await self.async_step_set_options(user_input)

    async def async_step_set_options(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Show and store the agent's options."""
        entry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        creating = self.source == "user"

        if user_input is not None:
            if not user_input.get(CONF_LLM_HASS_API):
                user_input.pop(CONF_LLM_HASS_API, None)
            if creating:
                name = user_input.pop(CONF_NAME)
                return self.async_create_entry(title=name, data=user_input)
            return self.async_update_and_abort(entry, self._get_reconfigure_subentry(), data=user_input)

        try:
            models = await entry.runtime_data.provider.async_list_models()
        except ProviderError:
            models = []
        if creating:
            current: dict[str, Any] = {CONF_NAME: DEFAULT_AGENT_NAME, **default_agent_options(_default_model(models))}
        else:
            current = dict(self._get_reconfigure_subentry().data)

        apis = [SelectOptionDict(label=api.name, value=api.id) for api in llm.async_get_apis(self.hass)]
        fields: dict[Any, Any] = {}
        if creating:
            fields[probatio.Required(CONF_NAME)] = str
        fields |= {
            probatio.Required(CONF_MODEL): _model_selector(models),
            probatio.Optional(CONF_PROMPT): TemplateSelector(),
            probatio.Optional(CONF_LLM_HASS_API): SelectSelector(SelectSelectorConfig(options=apis, multiple=True)),
            probatio.Required(CONF_MAX_TOKENS, default=DEFAULT_MAX_TOKENS): NumberSelector(
                NumberSelectorConfig(min=16, max=32768, step=1, mode=NumberSelectorMode.BOX)
            ),
            probatio.Required(CONF_TEMPERATURE, default=DEFAULT_TEMPERATURE): NumberSelector(
                NumberSelectorConfig(min=0, max=2, step=0.05)
            ),
            probatio.Required(CONF_TIMEOUT, default=DEFAULT_TIMEOUT): NumberSelector(
                NumberSelectorConfig(min=5, max=300, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX)
            ),
        }
        return self.async_show_form(
            step_id="set_options",
            data_schema=self.add_suggested_values_to_schema(probatio.Schema(fields), current),
        )
