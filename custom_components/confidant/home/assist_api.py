"""The exposed home as the model sees it: compact, and within a prompt budget.

Home Assistant's Assist API describes the exposed home to the model in the
"Static Context" of the `homeassistant` integration's LLM platform: a YAML
dump of every exposed entity, about 70 bytes each. A home of 2000 entities
is 150 kB in every request, which no 8k-token local model can read and which
a cloud model bills on every turn; rendering that YAML is also the slowest
part of preparing a turn.

Confidant replaces that one part and keeps the rest of the Assist API. It
hands `ChatLog.async_provide_llm_data` an `llm.API` object of its own
(`TurnAssistAPI`) with the Assist API's id and name, so every tool keeps its
name and nothing changes for other agents. It collects the tools and prompts
of every integration's `llm` platform as Home Assistant's Assist API does,
except that from the `homeassistant` platform it takes only the
live-context tool: the YAML overview becomes Confidant's compact rendering,

    Kitchen:
    - light: Kitchen ceiling light (Kitchen big light); Kitchen lamp
    - sensor: Kitchen CO2 [carbon_dioxide]; Kitchen temperature

names, aliases, the area (with its aliases) and the domain, a device class
only where the name does not say it, and no YAML keys.

A request is built to be cached (prompt_cache.py). Its **stable prefix** -
instructions, tools and this overview - depends only on the home and the
agent's options, never on what was said, the time or a state, so it is
byte-identical in every request of the agent while the home does not change,
and providers reuse it (OpenAI and Anthropic bill it at a tenth, a local
server does not evaluate it again). The whole home is listed when it takes
at most a quarter of the prompt budget (and fits what the budget leaves);
otherwise the overview is the areas, the counts per domain, the pointer to
`confidant__find_entities` (llm.py, offered whenever the overview is
partial) and a short list of the most named domains. What a turn most
likely needs beyond that - the entities it names or the last turns named,
the areas it mentions, the satellite's area, the kinds of device it (or the
turn before) talks about - is the turn's **tail** (`async_turn_tail`), a
small share of the budget that travels after the remembered turns, in front
of the person's words.

Why not let Home Assistant render its YAML and replace it in the system
message: rendering the YAML of every exposed entity takes longer than the
rest of the turn, so the swap would make Confidant slower than Home
Assistant's own agents instead of faster. Why not an LLM API registered
under a name of its own: every agent's settings would have to pick it, and
Home Assistant's own agents would be offered it too.

What is exposed is read as Home Assistant reads it for its YAML (the same
exposure check, names and aliases, entity or device area) and kept in an
index that is rebuilt only when an entity, its name, its area or its
exposure changes. If the Home Assistant internals this module relies on go
away (the `llm` integration's platform registry, the live-context tool),
agents fall back to Home Assistant's Assist API unchanged, and the log says
so once.

Nothing here logs what was said.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.core import (
    HomeAssistant,
    callback,
)
from homeassistant.helpers import llm

from ..const import DEFAULT_PROMPT_BUDGET, DOMAIN, LOGGER
from ..providers import AssistantMessage, Message, ToolResultMessage, UserMessage
from ..turn.tool_specs import tool_spec
from .index import HOME_SHARE, HomeContext
from .registry import async_device_area, async_get_index

# About four bytes of English or JSON make a token.
BYTES_PER_TOKEN: Final = 4
# The share of the budget kept free of the stable overview for what changes
# from turn to turn: the remembered turns, the tail, the question, tool results.
TURN_RESERVE_SHARE: Final = 0.35
# The share of the budget the per-turn tail may take at most. Small, so that
# from the second turn on nearly all of a request is a prefix a provider has
# cached (the tail is fresh input in every request).
TAIL_SHARE: Final = 0.03
# JSON framing of a request: keys, quotes, the model name and options.
REQUEST_FRAMING_BYTES: Final = 600

HA_DOMAIN: Final = "homeassistant"

LIVE_PROMPT: Final = (
    "The overview below has names and places, not states. For the current "
    "state or value of a device (on, open, locked, how warm, what is playing) "
    "call {live_tool}."
)


# The turn's Assist API

# Set while Confidant's own `llm` platform is asked for its tools on a turn
# whose overview is partial: then it offers the search tool.
_SEARCH_WANTED: ContextVar[bool] = ContextVar("confidant_search_wanted", default=False)


def search_wanted() -> bool:
    """Whether the turn being prepared needs the search tool."""
    return _SEARCH_WANTED.get()


@dataclass(frozen=True, slots=True)
class Turn:
    """What the overview depends on besides the home: the agent's options.

    Never what was said, the time or a state: the overview is the stable
    prefix of every request of the agent.
    """

    budget_tokens: int = DEFAULT_PROMPT_BUDGET
    # Bytes of the stable request outside the API: the agent's instructions.
    other_bytes: int = 0


def home_allowance(budget_tokens: int, fixed_bytes: int) -> int:
    """The bytes the stable overview of the home may take.

    A share of the budget, and at most what the stable rest of the request
    (`fixed_bytes`) leaves of it once the turn's own share is kept free.
    """
    budget = budget_tokens * BYTES_PER_TOKEN
    return max(
        0,
        int(
            min(
                budget - fixed_bytes - budget * TURN_RESERVE_SHARE,
                budget * HOME_SHARE,
            )
        ),
    )


def tail_allowance(budget_tokens: int, used_bytes: int) -> int:
    """The bytes a turn's tail may take: a small share, and what is left."""
    budget = budget_tokens * BYTES_PER_TOKEN
    return max(0, int(min(budget - used_bytes, budget * TAIL_SHARE)))


def overview_of(api: str | list[str] | llm.API | None) -> HomeContext | None:
    """The overview Confidant's API object gave its last request, if any."""
    if isinstance(api, TurnAssistAPI):
        return api.context
    if isinstance(api, llm.MergedAPI):
        for inner in api.llm_apis:
            if isinstance(inner, TurnAssistAPI):
                return inner.context
    return None


@callback
def async_turn_tail(
    hass: HomeAssistant,
    overview: HomeContext | None,
    *,
    assistant: str | None,
    device_id: str | None,
    text: str,
    history: Sequence[str],
    budget_tokens: int,
    turn_bytes: int,
) -> str:
    """The per-turn tail: what this utterance likely needs beyond the overview.

    It travels next to the person's words, after the history, so the prefix
    before it stays byte-identical from turn to turn. `turn_bytes` is what
    the turn adds besides it (the remembered turns and the question).
    """
    if overview is None or overview.complete:
        return ""
    index = async_get_index(hass, assistant or "conversation")
    return index.tail(
        text,
        overview=overview,
        history=history,
        device_area=async_device_area(hass, device_id),
        allowance=tail_allowance(budget_tokens, overview.stable_bytes + turn_bytes),
    )


def message_bytes(message: Message) -> int:
    """About how many bytes a message takes in a request."""
    match message:
        case UserMessage(text=text) | AssistantMessage(text=text, tool_calls=()):
            return len(text.encode()) + 40
        case AssistantMessage(text=text, tool_calls=calls):
            return (
                len(text.encode())
                + sum(
                    len(call.name) + len(json.dumps(call.arguments, default=str)) + 80
                    for call in calls
                )
                + 40
            )
        case ToolResultMessage(result=result):
            return len(json.dumps(result, default=str).encode()) + 80
    return 40


def history_texts(messages: Iterable[Message]) -> tuple[str, ...]:
    """What recent turns said, and the names their tool calls used."""
    texts: list[str] = []
    for message in messages:
        if isinstance(message, UserMessage | AssistantMessage) and message.text:
            texts.append(message.text)
        if isinstance(message, AssistantMessage):
            texts.extend(
                str(value)
                for call in message.tool_calls
                for key, value in call.arguments.items()
                if key in ("name", "area") and isinstance(value, str)
            )
    return tuple(texts)


_TOOL_BYTES: dict[tuple[str, str | None], int] = {}


def _tool_bytes(tool: llm.Tool) -> int:
    """About how many bytes a tool's description takes in a request."""
    key = (tool.name, tool.description)
    if (size := _TOOL_BYTES.get(key)) is None:
        try:
            spec = tool_spec(tool, llm.selector_serializer)
            parameters: Any = spec.parameters
        except Exception:  # noqa: BLE001 - an estimate must not fail the turn
            parameters = {}
        size = len(
            json.dumps(
                {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": parameters,
                },
                default=str,
            ).encode()
        )
        if len(_TOOL_BYTES) > 256:  # noqa: PLR2004 - a bound, not a tuning
            _TOOL_BYTES.clear()
        _TOOL_BYTES[key] = size
    return size


@dataclass(frozen=True, slots=True)
class _HomeParts:
    """What this module takes from Home Assistant's `llm` machinery."""

    platforms: Any  # LazyIntegrationPlatforms of the `llm` integration
    live_tool: type[llm.Tool]
    no_entities_prompt: str
    llm_tools: Any  # the LLMTools class


def _home_parts(hass: HomeAssistant) -> _HomeParts | None:
    """Home Assistant's parts, or None when they changed beyond recognition."""
    try:
        from homeassistant.components import llm as llm_component  # noqa: PLC0415
        from homeassistant.components.homeassistant import (  # noqa: PLC0415
            llm as ha_llm,
        )

        platforms = hass.data[llm_component.DATA_PLATFORMS]
        parts = _HomeParts(
            platforms=platforms,
            live_tool=ha_llm.GetLiveContextTool,
            no_entities_prompt=str(ha_llm.NO_ENTITIES_PROMPT),
            llm_tools=llm_component.LLMTools,
        )
    except ImportError, AttributeError, KeyError:
        return None
    if not hasattr(platforms, "async_get_platforms"):
        return None
    return parts


_WARNED: list[bool] = []


@callback
def async_assist_api(
    hass: HomeAssistant, api_ids: str | list[str] | None, turn: Turn
) -> str | list[str] | llm.API | None:
    """What to pass `ChatLog.async_provide_llm_data` as the agent's LLM API.

    With the Assist API among the agent's APIs, Confidant's turn API in its
    place (merged with the others as Home Assistant merges them); otherwise,
    or when Home Assistant's internals changed, the API ids unchanged.
    """
    if not api_ids:
        return api_ids
    ids = [api_ids] if isinstance(api_ids, str) else list(api_ids)
    if llm.LLM_API_ASSIST not in ids:
        return api_ids
    if _home_parts(hass) is None:
        if not _WARNED:
            _WARNED.append(True)
            LOGGER.warning(
                "Home Assistant's Assist API changed; the home is described "
                "as Home Assistant describes it, without a prompt budget"
            )
        return api_ids
    registered = {api.id: api for api in llm.async_get_apis(hass)}
    if any(api_id not in registered for api_id in ids):
        # Home Assistant reports the missing API as it always does.
        return api_ids
    ours = TurnAssistAPI(hass, turn)
    if len(ids) == 1:
        return ours
    return llm.MergedAPI(
        [ours if api_id == llm.LLM_API_ASSIST else registered[api_id] for api_id in ids]
    )


class TurnAssistAPI(llm.API):
    """Home Assistant's Assist API for an agent, with Confidant's overview."""

    def __init__(self, hass: HomeAssistant, turn: Turn) -> None:
        """An API with the Assist API's id and name: tools keep their names."""
        super().__init__(hass=hass, id=llm.LLM_API_ASSIST, name="Assist")
        self.turn = turn
        self.context: HomeContext | None = None

    def _platform_tools(
        self, domain: str, platform: Any, llm_context: llm.LLMContext
    ) -> Any:
        try:
            return platform.async_get_tools(self.hass, llm_context, self.id)
        except Exception:  # noqa: BLE001 - as Home Assistant's Assist API does
            LOGGER.exception("Error getting tools from LLM platform %s", domain)
            return None

    @override
    async def async_get_api_instance(
        self, llm_context: llm.LLMContext
    ) -> llm.APIInstance:
        """Collect every platform's tools and prompt; the home is Confidant's."""
        parts = _home_parts(self.hass)
        if parts is None:  # Checked before this API was chosen.
            raise RuntimeError("Home Assistant's Assist API changed")
        platforms = await parts.platforms.async_get_platforms()
        results: dict[str, Any] = {}
        for domain, platform in sorted(platforms.items()):
            if domain in (HA_DOMAIN, DOMAIN):
                continue
            if (result := self._platform_tools(domain, platform, llm_context)) is None:
                continue
            results[domain] = result

        live_tool: llm.Tool = parts.live_tool()
        index = async_get_index(self.hass, llm_context.assistant or "conversation")
        home_prompt: str
        if not len(index):
            home_prompt = parts.no_entities_prompt
        else:
            from ..llm import FindEntitiesTool  # noqa: PLC0415

            find_tool = FindEntitiesTool()
            live_prompt = LIVE_PROMPT.format(live_tool=live_tool.name)
            fixed = (
                self.turn.other_bytes
                + REQUEST_FRAMING_BYTES
                + len(live_prompt)
                + _tool_bytes(live_tool)
                + _tool_bytes(find_tool)
                + sum(
                    len(result.prompt or "")
                    + sum(_tool_bytes(tool) for tool in result.tools)
                    for result in results.values()
                )
            )
            self.context = index.overview(
                allowance=home_allowance(self.turn.budget_tokens, fixed),
                find_tool=find_tool.name,
                fixed_bytes=fixed,
            )
            home_prompt = f"{live_prompt}\n{self.context.text}"
        results[HA_DOMAIN] = parts.llm_tools(tools=[live_tool], prompt=home_prompt)

        if (ours := platforms.get(DOMAIN)) is not None:
            token = _SEARCH_WANTED.set(
                self.context is not None and not self.context.complete
            )
            try:
                result = self._platform_tools(DOMAIN, ours, llm_context)
            finally:
                _SEARCH_WANTED.reset(token)
            if result is not None:
                results[DOMAIN] = result

        tools: list[llm.Tool] = []
        # The overview first: it is the same for every satellite, while other
        # platforms' prompts may name the satellite's area. So the longest
        # part stays a prefix shared by every conversation of the agent.
        prompts: list[str] = [home_prompt]
        for domain, result in sorted(results.items()):
            tools.extend(result.tools)
            if result.prompt and domain != HA_DOMAIN:
                prompts.append(result.prompt)
        return llm.APIInstance(
            api=self,
            api_prompt="\n".join(prompts),
            llm_context=llm_context,
            tools=tools,
            custom_serializer=llm.selector_serializer,
        )
