"""Config flow: choose a provider, test the connection, pick a model.

Agents and AI tasks are subentries. An agent's form asks the few things a
household decides (name, model, instructions, control); its advanced options
are a second step, shown only when "recommended settings" is switched off.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, override

import probatio
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_LLM_HASS_API,
    CONF_MODEL,
    CONF_NAME,
    CONF_PROMPT,
    CONF_URL,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import llm
from homeassistant.helpers.selector import (
    BooleanSelector,
    DeviceSelector,
    DeviceSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
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
from homeassistant.util.network import normalize_url

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
    CONF_KEEP_ALIVE,
    CONF_LOCAL_FIRST,
    CONF_MAX_HISTORY_TURNS,
    CONF_MAX_TOKENS,
    CONF_MEMORY_MINUTES,
    CONF_NO_CONFIRM_DEVICES,
    CONF_NUM_CTX,
    CONF_PROMPT_BUDGET,
    CONF_PROVIDER,
    CONF_REASONING_EFFORT,
    CONF_RECOMMENDED,
    CONF_REDACT,
    CONF_RETENTION_CONSENT,
    CONF_RETENTION_DAYS,
    CONF_TEMPERATURE,
    CONF_THINK,
    CONF_THINKING_BUDGET,
    CONF_TIMEOUT,
    CONF_VISION_AGENT,
    CONF_VISION_MAX_WIDTH,
    DEFAULT_AGENT_NAME,
    DEFAULT_AI_TASK_NAME,
    DEFAULT_ASK_UNREADABLE,
    DEFAULT_CONFIRM_SENSITIVE,
    DEFAULT_CONFIRM_WITHOUT_DEVICE,
    DEFAULT_FOLLOW_UP,
    DEFAULT_KEEP_ALIVE,
    DEFAULT_LOCAL_FIRST,
    DEFAULT_MAX_HISTORY_TURNS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MEMORY_MINUTES,
    DEFAULT_NUM_CTX,
    DEFAULT_OLLAMA_URL,
    DEFAULT_OPENAI_COMPATIBLE_URL,
    DEFAULT_PROMPT_BUDGET,
    DEFAULT_REASONING_EFFORT,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_TEMPERATURE,
    DEFAULT_THINKING_BUDGET,
    DEFAULT_TIMEOUT,
    DEFAULT_VISION_MAX_WIDTH,
    DOMAIN,
    FALLBACK_MODEL,
    FOLLOW_UP_ALWAYS,
    FOLLOW_UP_OFF,
    FOLLOW_UP_QUESTION,
    LOGGER,
    MAX_RETENTION_DAYS,
    PREFERRED_MODELS,
    PROVIDER_ANTHROPIC,
    PROVIDER_OLLAMA,
    PROVIDER_OPENAI,
    PROVIDER_OPENAI_COMPATIBLE,
    PROVIDERS,
    SUBENTRY_AI_TASK,
    SUBENTRY_CONVERSATION,
)
from .dialogue.messages import async_spoken_message
from .household_memory.options import memory_error, memory_fields, switched_off
from .model.capability_flow import async_suggested_budget, async_tool_warning
from .providers import (
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    ModelNotFoundError,
    NotTheAPIError,
    ProviderError,
    RateLimitError,
    ServerError,
)
from .providers.factory import async_create_provider
from .settings import (
    DEFAULT_PRIVACY_OPTIONS,
    RECOMMENDED_AGENT_OPTIONS,
    default_agent_options,
    default_ai_task_options,
    uses_recommended,
)

PROVIDER_TITLES = {
    PROVIDER_OPENAI: "OpenAI",
    PROVIDER_ANTHROPIC: "Anthropic",
    PROVIDER_OLLAMA: "Ollama",
    PROVIDER_OPENAI_COMPATIBLE: "OpenAI-compatible server",
}


@dataclass(frozen=True, slots=True)
class ProviderForm:
    """The connection fields a provider asks for."""

    default_url: str | None  # None: a cloud API, URL only in advanced mode
    key_required: bool


PROVIDER_FORMS = {
    PROVIDER_OPENAI: ProviderForm(default_url=None, key_required=True),
    PROVIDER_ANTHROPIC: ProviderForm(default_url=None, key_required=True),
    PROVIDER_OLLAMA: ProviderForm(default_url=DEFAULT_OLLAMA_URL, key_required=False),
    PROVIDER_OPENAI_COMPATIBLE: ProviderForm(
        default_url=DEFAULT_OPENAI_COMPATIBLE_URL, key_required=False
    ),
}


def _clean_url(typed: str) -> str:
    """The URL as typed, tidied by Home Assistant's normalize_url.

    No trailing slash and no default port, so one server typed two ways is
    one entry. A URL no client can use stays as typed, for _url_error.
    """
    url = typed.strip()
    try:
        return normalize_url(cv.url(url))
    except probatio.Invalid, ValueError:
        return url


def _url_error(data: Mapping[str, Any]) -> str | None:
    """The invalid_url error for a URL no client can use (no scheme, no host)."""
    if CONF_URL not in data:
        return None
    try:
        cv.url(data[CONF_URL])
    except probatio.Invalid:
        return "invalid_url"
    return None


# What to fix when a server answers, but not as the provider's API: for a
# local server usually the path (/v1 or none), for a cloud API the proxy.
NOT_THE_API_ERRORS = {
    PROVIDER_OPENAI_COMPATIBLE: "not_openai_compatible",
    PROVIDER_OLLAMA: "not_ollama",
    PROVIDER_OPENAI: "not_provider_api",
    PROVIDER_ANTHROPIC: "not_provider_api",
}


def _connection_error(kind: str, err: ProviderError) -> str:
    """The flow's error key for a failed model list: what the person should fix."""
    if isinstance(err, AuthenticationError):
        return "invalid_auth"
    # Listing names no model, so a 404 is the path; a page that is not JSON
    # (the SDK fails on it: a malformed answer) is not the API either.
    if isinstance(
        err,
        (NotTheAPIError, ModelNotFoundError, BadRequestError, MalformedResponseError),
    ) or (type(err) is ProviderError):
        return NOT_THE_API_ERRORS[kind]
    if isinstance(err, (ServerError, RateLimitError)):
        return "server_error"
    return "cannot_connect"


async def _async_fetch_models(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[list[str], str | None]:
    """Test the connection; return (models, None) or ([], error key)."""
    if error := _url_error(data):
        return [], error
    try:
        provider = await async_create_provider(hass, data)
        return await provider.async_list_models(), None
    except ProviderError as err:
        error = _connection_error(data[CONF_PROVIDER], err)
        LOGGER.info("Connection test failed: %s (%s)", error, err.detail)
        return [], error
    except Exception:  # noqa: BLE001 - the flow must show an error, not crash
        LOGGER.exception("Unexpected error while testing the connection")
        return [], "unknown"


def _model_selector(models: list[str]) -> SelectSelector | TextSelector:
    """A dropdown of the provider's models; free text when it lists none."""
    if not models:
        return TextSelector()
    return SelectSelector(
        SelectSelectorConfig(
            options=models,
            mode=SelectSelectorMode.DROPDOWN,
            custom_value=True,
            sort=True,
        )
    )


def default_model(kind: str, models: list[str]) -> str:
    """The model a new agent starts with."""
    for preferred in PREFERRED_MODELS.get(kind, ()):
        if preferred in models:
            return preferred
    return models[0] if models else FALLBACK_MODEL


# The entity domain in whose pickers each kind of subentry is listed.
SUBENTRY_DOMAINS = {SUBENTRY_CONVERSATION: "conversation", SUBENTRY_AI_TASK: "ai_task"}


def unique_name(hass: HomeAssistant, base: str, subentry_type: str) -> str:
    """`base`, or `base 2`, `base 3`...: a name no agent in the picker has yet.

    The pipeline's agent picker lists agents by name only, so two agents
    called "Confidant" cannot be told apart there.
    """
    taken = {
        subentry.title.casefold()
        for entry in hass.config_entries.async_entries(DOMAIN)
        for subentry in entry.subentries.values()
        if subentry.subentry_type == subentry_type
    } | {
        state.name.casefold()
        for state in hass.states.async_all(SUBENTRY_DOMAINS[subentry_type])
    }
    name, number = base, 1
    while name.casefold() in taken:
        number += 1
        name = f"{base} {number}"
    return name


def _connection_schema(form: ProviderForm) -> probatio.Schema:
    fields: dict[Any, Any] = {}
    if form.default_url is not None:
        fields[probatio.Required(CONF_URL, default=form.default_url)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        )
    else:
        # Cloud APIs: optional, for a proxy or a compatible endpoint.
        fields[probatio.Optional(CONF_URL)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        )
    key = (
        probatio.Required(CONF_API_KEY)
        if form.key_required
        else probatio.Optional(CONF_API_KEY)
    )
    fields[key] = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
    return probatio.Schema(fields)


def _connection_data(kind: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The entry data for what the person typed, cleaned."""
    data: dict[str, Any] = {CONF_PROVIDER: kind}
    if url := _clean_url(user_input.get(CONF_URL) or ""):
        data[CONF_URL] = url
    if key := (user_input.get(CONF_API_KEY) or "").strip():
        data[CONF_API_KEY] = key
    return data


type _ConnectStep = Callable[
    ["ConfidantConfigFlow", dict[str, Any] | None],
    Coroutine[Any, Any, ConfigFlowResult],
]


def _connect_step(kind: str) -> _ConnectStep:
    """The menu's step of one provider: its connection form."""

    async def step(
        flow: ConfidantConfigFlow, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return await flow.async_connect(kind, user_input)

    step.__doc__ = f"Connect to {PROVIDER_TITLES[kind]}."
    return step


class ConfidantConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a provider; its first agent is created with it."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start empty."""
        self._data: dict[str, Any] = {}
        self._models: list[str] = []
        self._model = FALLBACK_MODEL

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask which kind of provider to use."""
        return self.async_show_menu(step_id="user", menu_options=list(PROVIDERS))

    async_step_openai = _connect_step(PROVIDER_OPENAI)
    async_step_anthropic = _connect_step(PROVIDER_ANTHROPIC)
    async_step_ollama = _connect_step(PROVIDER_OLLAMA)
    async_step_openai_compatible = _connect_step(PROVIDER_OPENAI_COMPATIBLE)

    async def async_connect(
        self, kind: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the connection details and test them before going on."""
        form = PROVIDER_FORMS[kind]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _connection_data(kind, user_input)
            # One entry per server, or per key for a cloud API.
            if CONF_URL in data and form.default_url is not None:
                self._async_abort_entries_match(
                    {CONF_PROVIDER: kind, CONF_URL: data[CONF_URL]}
                )
            else:
                self._async_abort_entries_match(
                    {CONF_PROVIDER: kind, CONF_API_KEY: data.get(CONF_API_KEY)}
                )
            self._models, error = await _async_fetch_models(self.hass, data)
            if error is None:
                self._data = data
                return await self.async_step_model()
            errors["base"] = error
        schema = _connection_schema(form)
        return self.async_show_form(
            step_id=kind,
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_model(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the first agent's model, then ask the privacy questions."""
        kind = self._data[CONF_PROVIDER]
        if user_input is not None:
            self._model = user_input[CONF_MODEL].strip() or default_model(
                kind, self._models
            )
            return await self.async_step_consent()
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_MODEL, default=default_model(kind, self._models)
                ): _model_selector(self._models)
            }
        )
        return self.async_show_form(step_id="model", data_schema=schema)

    async def async_step_consent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask, in plain words, what may be kept and what may leave the house."""
        kind = self._data[CONF_PROVIDER]
        local = await _async_is_local(self.hass, self._data)
        errors: dict[str, str] = {}
        if user_input is not None:
            options, error = _consent_options(user_input, local=local)
            if error is None:
                return self._async_create_entry(options)
            errors["base"] = error
        return await _async_privacy_form(
            self,
            "consent",
            kind,
            local=local,
            suggested=user_input or DEFAULT_PRIVACY_OPTIONS,
            errors=errors,
        )

    def _async_create_entry(self, options: dict[str, Any]) -> ConfigFlowResult:
        """The entry, with its first agent and AI task on the chosen model."""
        title = PROVIDER_TITLES[self._data[CONF_PROVIDER]]
        if CONF_URL in self._data:
            title = f"{title} ({self._data[CONF_URL]})"
        return self.async_create_entry(
            title=title,
            data=self._data,
            options=options,
            subentries=[
                {
                    "subentry_type": subentry_type,
                    "data": make_options(self._model),
                    "title": unique_name(self.hass, name, subentry_type),
                    "unique_id": None,
                }
                for subentry_type, name, make_options in (
                    (SUBENTRY_CONVERSATION, DEFAULT_AGENT_NAME, default_agent_options),
                    (SUBENTRY_AI_TASK, DEFAULT_AI_TASK_NAME, default_ai_task_options),
                )
            ],
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The provider rejected the key: ask for a new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new key and test it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_API_KEY: user_input[CONF_API_KEY].strip()}
            if saved := await self._async_update_if_working(entry, data, errors):
                return saved
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_API_KEY): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
            description_placeholders={
                "provider": PROVIDER_TITLES[entry.data[CONF_PROVIDER]]
            },
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the URL or key of a provider."""
        entry = self._get_reconfigure_entry()
        kind = entry.data[CONF_PROVIDER]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _connection_data(kind, user_input)
            if saved := await self._async_update_if_working(entry, data, errors):
                return saved
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(PROVIDER_FORMS[kind]), user_input or entry.data
            ),
            errors=errors,
        )

    async def _async_update_if_working(
        self, entry: ConfigEntry, data: dict[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult | None:
        """Save new connection details that work; else note in errors why not."""
        _models, error = await _async_fetch_models(self.hass, data)
        if error is None:
            return self.async_update_reload_and_abort(entry, data=data)
        errors["base"] = error
        return None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> PrivacyOptionsFlow:
        """The privacy choices can be changed at any time."""
        return PrivacyOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Agents are subentries."""
        return {
            SUBENTRY_CONVERSATION: ConversationSubentryFlow,
            SUBENTRY_AI_TASK: AITaskSubentryFlow,
        }


async def _async_is_local(hass: HomeAssistant, data: Mapping[str, Any]) -> bool:
    """Whether the entry's provider keeps requests inside the house."""
    provider = await async_create_provider(hass, data)
    return provider.is_local


async def _async_consent_schema(
    hass: HomeAssistant, kind: str, *, local: bool
) -> probatio.Schema:
    users = [
        SelectOptionDict(value=user.id, label=user.name or user.id)
        for user in await hass.auth.async_get_users()
        if not user.system_generated
    ]
    fields: dict[Any, Any] = {
        probatio.Required(CONF_RETENTION_DAYS, default=DEFAULT_RETENTION_DAYS): _box(
            0, MAX_RETENTION_DAYS, 1, "days"
        ),
        **_switch(CONF_RETENTION_CONSENT, default=False),
        **memory_fields(),
        probatio.Optional(CONF_EXCLUDED_DEVICES): DeviceSelector(
            DeviceSelectorConfig(multiple=True)
        ),
        probatio.Optional(CONF_EXCLUDED_USERS): SelectSelector(
            SelectSelectorConfig(options=users, multiple=True, custom_value=True)
        ),
    }
    if not local:
        if kind == PROVIDER_OPENAI:
            fields |= _switch(CONF_ALLOW_PROVIDER_STORAGE, default=False)
        fields |= _switch(CONF_ALLOW_CLOUD_IMAGES, default=False)
        fields |= _switch(CONF_REDACT, default=False)
    return probatio.Schema(fields)


async def _async_consent_placeholders(
    hass: HomeAssistant, kind: str, *, local: bool
) -> dict[str, str]:
    """The provider's name, where it runs and what its terms promise.

    Placeholders are filled in before the frontend translates the step, so
    they are read from the translations in Home Assistant's own language.
    """
    language = hass.config.language
    return {
        "provider": PROVIDER_TITLES[kind],
        "terms": await async_spoken_message(hass, language, f"terms_{kind}"),
        "where": await async_spoken_message(
            hass, language, "where_local" if local else "where_cloud"
        ),
    }


async def _async_privacy_form(
    flow: ConfigFlow | OptionsFlow,
    step_id: str,
    kind: str,
    *,
    local: bool,
    suggested: Mapping[str, Any],
    errors: dict[str, str],
) -> ConfigFlowResult:
    """The privacy questions: the consent step and the options flow."""
    return flow.async_show_form(
        step_id=step_id,
        data_schema=flow.add_suggested_values_to_schema(
            await _async_consent_schema(flow.hass, kind, local=local), suggested
        ),
        description_placeholders=await _async_consent_placeholders(
            flow.hass, kind, local=local
        ),
        errors=errors,
    )


def _consent_options(
    user_input: Mapping[str, Any], *, local: bool
) -> tuple[dict[str, Any], str | None]:
    """The entry options for the answers, or an error key."""
    options = {**DEFAULT_PRIVACY_OPTIONS, **user_input}
    options[CONF_RETENTION_DAYS] = int(options[CONF_RETENTION_DAYS])
    if options[CONF_RETENTION_DAYS] > 0 and not options[CONF_RETENTION_CONSENT]:
        return options, "consent_required"
    if options[CONF_RETENTION_DAYS] == 0:
        # Consent without retention means nothing; keep the record honest.
        options[CONF_RETENTION_CONSENT] = False
    if (error := memory_error(options)) is not None:
        return options, error
    if local:
        # Nothing leaves the house: these cloud choices do not apply.
        options[CONF_ALLOW_PROVIDER_STORAGE] = False
        options[CONF_ALLOW_CLOUD_IMAGES] = False
        options[CONF_REDACT] = False
    return options, None


_CONFIRM_SCHEMA = probatio.Schema(
    {probatio.Required("confirm", default=False): BooleanSelector()}
)


class PrivacyOptionsFlow(OptionsFlow):
    """Change the privacy choices; switching retention off deletes what was kept."""

    def __init__(self) -> None:
        """Start with no pending answers."""
        self._pending: dict[str, Any] = {}

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the same questions as the consent step."""
        entry = self.config_entry
        local = await _async_is_local(self.hass, entry.data)
        errors: dict[str, str] = {}
        if user_input is not None:
            options, error = _consent_options(user_input, local=local)
            if error is None:
                was_keeping = int(entry.options.get(CONF_RETENTION_DAYS, 0)) > 0
                self._pending = options
                if was_keeping and options[CONF_RETENTION_DAYS] == 0:
                    return await self.async_step_confirm_delete()
                return await self._async_save()
            errors["base"] = error
        return await _async_privacy_form(
            self,
            "init",
            entry.data[CONF_PROVIDER],
            local=local,
            suggested=user_input or {**DEFAULT_PRIVACY_OPTIONS, **entry.options},
            errors=errors,
        )

    async def async_step_confirm_delete(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Retention is being switched off: say that the kept transcripts go."""
        return await self._async_confirm(
            "confirm_delete", user_input, "retention_kept", self._async_save
        )

    async def async_step_confirm_forget_memory(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Household memory is being switched off: say that every fact goes."""
        return await self._async_confirm(
            "confirm_forget_memory", user_input, "memory_kept", self._async_create
        )

    async def _async_confirm(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        kept: str,
        then: Callable[[], Coroutine[Any, Any, ConfigFlowResult]],
    ) -> ConfigFlowResult:
        """Ask before something is deleted; without a yes, nothing changes."""
        if user_input is None:
            return self.async_show_form(step_id=step_id, data_schema=_CONFIRM_SCHEMA)
        if not user_input.get("confirm"):
            return self.async_abort(reason=kept)
        return await then()

    async def _async_save(self) -> ConfigFlowResult:
        """Save the answers, once a person confirmed that memory goes."""
        if switched_off(self.config_entry.options, self._pending):
            return await self.async_step_confirm_forget_memory()
        return await self._async_create()

    async def _async_create(self) -> ConfigFlowResult:
        return self.async_create_entry(data=self._pending)


def _switch(key: str, *, default: bool) -> dict[Any, Any]:
    """An on/off field."""
    return {probatio.Required(key, default=default): BooleanSelector()}


def _box(low: float, high: float, step: float, unit: str = "") -> NumberSelector:
    """A number typed in a box, within limits."""
    config = NumberSelectorConfig(
        min=low, max=high, step=step, mode=NumberSelectorMode.BOX
    )
    if unit:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def _provider_option_fields(kind: str) -> dict[Any, Any]:
    """The agent options only one provider has."""
    if kind == PROVIDER_OPENAI:
        return {
            probatio.Required(
                CONF_REASONING_EFFORT, default=DEFAULT_REASONING_EFFORT
            ): SelectSelector(
                SelectSelectorConfig(
                    options=["minimal", "low", "medium", "high"],
                    translation_key=CONF_REASONING_EFFORT,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
        }
    if kind == PROVIDER_ANTHROPIC:
        return {
            probatio.Required(
                CONF_THINKING_BUDGET, default=DEFAULT_THINKING_BUDGET
            ): _box(0, 32000, 1024),
        }
    if kind == PROVIDER_OLLAMA:
        return {
            probatio.Required(CONF_KEEP_ALIVE, default=DEFAULT_KEEP_ALIVE): _box(
                -1, 86400, 1, "s"
            ),
            probatio.Required(CONF_NUM_CTX, default=DEFAULT_NUM_CTX): _box(
                2048, 131072, 1024
            ),
            **_switch(CONF_THINK, default=False),
        }
    return {}


def _limit_fields() -> dict[Any, Any]:
    """The limits every model request of an agent or a task has."""
    return {
        probatio.Required(CONF_MAX_TOKENS, default=DEFAULT_MAX_TOKENS): _box(
            16, 32768, 1
        ),
        probatio.Required(
            CONF_TEMPERATURE, default=DEFAULT_TEMPERATURE
        ): NumberSelector(NumberSelectorConfig(min=0, max=2, step=0.05)),
        probatio.Required(CONF_TIMEOUT, default=DEFAULT_TIMEOUT): _box(5, 300, 1, "s"),
    }


def _agent_advanced_fields(kind: str) -> dict[Any, Any]:
    """An agent's advanced options: limits, conversation, safety, cameras."""
    return {
        **_limit_fields(),
        probatio.Required(CONF_FOLLOW_UP, default=DEFAULT_FOLLOW_UP): SelectSelector(
            SelectSelectorConfig(
                options=[FOLLOW_UP_QUESTION, FOLLOW_UP_ALWAYS, FOLLOW_UP_OFF],
                translation_key=CONF_FOLLOW_UP,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        probatio.Required(CONF_MEMORY_MINUTES, default=DEFAULT_MEMORY_MINUTES): _box(
            0, 60, 1, "min"
        ),
        probatio.Required(
            CONF_MAX_HISTORY_TURNS, default=DEFAULT_MAX_HISTORY_TURNS
        ): _box(0, 50, 1),
        # What one request may take: a home that does not fit is sent in
        # part, with a tool to find the rest (home/).
        probatio.Required(CONF_PROMPT_BUDGET, default=DEFAULT_PROMPT_BUDGET): _box(
            1000, 1000000, 100, "tokens"
        ),
        **_switch(CONF_LOCAL_FIRST, default=DEFAULT_LOCAL_FIRST),
        **_switch(CONF_CONFIRM_SENSITIVE, default=DEFAULT_CONFIRM_SENSITIVE),
        # Who and what the confirmation covers (dialogue/confirmation.py).
        probatio.Optional(CONF_ALWAYS_ASK): EntitySelector(
            EntitySelectorConfig(multiple=True)
        ),
        **_switch(CONF_ASK_UNREADABLE, default=DEFAULT_ASK_UNREADABLE),
        probatio.Optional(CONF_NO_CONFIRM_DEVICES): DeviceSelector(
            DeviceSelectorConfig(multiple=True)
        ),
        **_switch(CONF_CONFIRM_WITHOUT_DEVICE, default=DEFAULT_CONFIRM_WITHOUT_DEVICE),
        probatio.Optional(CONF_CONFIRM_PIN): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
        # Cameras: another Confidant agent may look at the images (a local
        # vision model for a text model), shrunk to this width.
        probatio.Optional(CONF_VISION_AGENT): EntitySelector(
            EntitySelectorConfig(domain="conversation", integration=DOMAIN)
        ),
        probatio.Required(
            CONF_VISION_MAX_WIDTH, default=DEFAULT_VISION_MAX_WIDTH
        ): _box(160, 2048, 1, "px"),
        **_provider_option_fields(kind),
    }


class _ModelSubentryFlow(ConfigSubentryFlow):
    """Add or change a subentry that talks to a model: an agent or an AI task.

    Both start with a name (when added) and a model from the provider's
    list; each kind adds its own fields.
    """

    STEP_ID: str
    DEFAULT_NAME: str
    # The options a new one starts with, for a model.
    DEFAULTS: Callable[[str], dict[str, Any]]

    @property
    def _creating(self) -> bool:
        return self.source == SOURCE_USER

    def _first_fields(self, current: Mapping[str, Any]) -> dict[Any, Any]:
        """Fields of this kind, shown after the model: the request limits."""
        return _limit_fields()

    async def _async_submitted(self, user_input: dict[str, Any]) -> SubentryFlowResult:
        """What follows the first step: saving (AI tasks), or more to ask."""
        return await self._async_save(user_input)

    async def _async_save(self, options: dict[str, Any]) -> SubentryFlowResult:
        """Add the new one, or change the one being reconfigured."""
        if self._creating:
            name = options.pop(CONF_NAME)
            return self.async_create_entry(title=name, data=options)
        return self.async_update_and_abort(
            self._get_entry(), self._get_reconfigure_subentry(), data=options
        )

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add one."""
        return await self._async_step_first(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change one."""
        return await self._async_step_first(user_input)

    async def _async_step_first(
        self, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        """Show and take the first step: name, model and this kind's fields."""
        entry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        if user_input is not None:
            user_input[CONF_MODEL] = user_input[CONF_MODEL].strip()
            return await self._async_submitted(user_input)

        kind = entry.data[CONF_PROVIDER]
        try:
            models = await entry.runtime_data.provider.async_list_models()
        except ProviderError:
            models = []
        if self._creating:
            current: dict[str, Any] = {
                CONF_NAME: unique_name(self.hass, self.DEFAULT_NAME, self.handler[1]),
                **type(self).DEFAULTS(default_model(kind, models)),
            }
        else:
            current = dict(self._get_reconfigure_subentry().data)

        fields: dict[Any, Any] = {}
        if self._creating:
            fields[probatio.Required(CONF_NAME)] = str
        fields[probatio.Required(CONF_MODEL)] = _model_selector(models)
        fields |= self._first_fields(current)
        return self.async_show_form(
            step_id=self.STEP_ID,
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(fields), current
            ),
        )


class ConversationSubentryFlow(_ModelSubentryFlow):
    """Add or change one agent: name, model, instructions and control first.

    With "recommended settings" on, that is all; off, the advanced options
    follow on a second step.
    """

    STEP_ID = "set_options"
    DEFAULT_NAME = DEFAULT_AGENT_NAME
    DEFAULTS = staticmethod(default_agent_options)

    # The first step's answers, while the advanced step is shown.
    _basic: dict[str, Any]
    # Options held back by the warning about a model without tools.
    _pending: dict[str, Any]

    @override
    def _first_fields(self, current: Mapping[str, Any]) -> dict[Any, Any]:
        apis = [
            SelectOptionDict(label=api.name, value=api.id)
            for api in llm.async_get_apis(self.hass)
        ]
        return {
            probatio.Optional(CONF_PROMPT): TemplateSelector(),
            probatio.Optional(CONF_LLM_HASS_API): SelectSelector(
                SelectSelectorConfig(options=apis, multiple=True)
            ),
            # On for a new agent; for one being changed, on while none of
            # its advanced options differs from the recommended ones.
            **_switch(CONF_RECOMMENDED, default=uses_recommended(current)),
        }

    async def async_step_set_options(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The agent's form."""
        return await self._async_step_first(user_input)

    @override
    async def _async_submitted(self, user_input: dict[str, Any]) -> SubentryFlowResult:
        if not user_input.get(CONF_LLM_HASS_API):
            user_input.pop(CONF_LLM_HASS_API, None)
        recommended = user_input.pop(CONF_RECOMMENDED)
        if recommended:
            return await self._async_save({**user_input, **RECOMMENDED_AGENT_OPTIONS})
        self._basic = user_input
        return await self.async_step_advanced()

    async def async_step_advanced(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The advanced options, with the agent's current values."""
        if user_input is not None:
            return await self._async_save({**self._basic, **user_input})
        entry = self._get_entry()
        if self._creating:
            current = {**self._basic, **RECOMMENDED_AGENT_OPTIONS}
            # The prompt budget starts from the chosen model's real context.
            if budget := await async_suggested_budget(entry, current):
                current[CONF_PROMPT_BUDGET] = budget
        else:
            current = dict(self._get_reconfigure_subentry().data)
        return self.async_show_form(
            step_id="advanced",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(_agent_advanced_fields(entry.data[CONF_PROVIDER])),
                current,
            ),
        )

    @override
    async def _async_save(self, options: dict[str, Any]) -> SubentryFlowResult:
        """Warn first when the agent would control the home without tools."""
        placeholders = await async_tool_warning(self._get_entry(), options)
        if placeholders is None:
            return await super()._async_save(options)
        self._pending = options
        return self.async_show_form(
            step_id="no_tools", description_placeholders=placeholders
        )

    async def async_step_no_tools(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Saved as chosen once the person read the warning (capability_flow.py)."""
        return await super()._async_save(self._pending)


class AITaskSubentryFlow(_ModelSubentryFlow):
    """Add or change one AI task: name, model and limits, on one step."""

    STEP_ID = "task_options"
    DEFAULT_NAME = DEFAULT_AI_TASK_NAME
    DEFAULTS = staticmethod(default_ai_task_options)

    async def async_step_task_options(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The AI task's form."""
        return await self._async_step_first(user_input)
