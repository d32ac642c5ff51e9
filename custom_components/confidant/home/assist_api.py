"""The exposed home as the model sees it: compact, and within a prompt budget.

Home Assistant's Assist API describes the exposed home to the model in the
"Static Context" of the `homeassistant` integration's LLM platform: a YAML
dump of every exposed entity, about 70 bytes each. A home of 2000 entities
is 150 kB in every request, which no 8k-token local model can read and which
a cloud model bills on every turn; rendering that YAML is also the slowest
part of preparing a turn.

Confidant replaces that one part and keeps the rest of the Assist API. It
hands `ChatLog.async_provide_llm_data` an `llm.API` object of its own
(`TurnAssistAPI`) with the registered Assist API's id and name, so every
tool keeps its name and nothing changes for other agents. It collects the
tools and prompts of every integration's `llm` platform as Home Assistant's
Assist API does, except that from the `homeassistant` platform it takes only
the live-context tool: the YAML overview becomes Confidant's compact
rendering,

    Kitchen:
    - light: Kitchen ceiling light (Kitchen big light); Kitchen lamp
    - sensor: Kitchen CO2 [carbon_dioxide]; Kitchen temperature

names, aliases, the area (with its aliases) and the domain, a device class
only where the name does not say it, and no YAML keys. Confidant's own tools
are made for the turn (tools/) instead of asked of its `llm` platform: the
turn passes what they need (the memory search of the person speaking), so
nothing rides in a context variable and no other agent is offered them.

A request is built to be cached (prompt_cache.py). Its **stable prefix** -
instructions, tools and this overview - depends only on the home and the
agent's options, never on what was said, the time or a state, so it is
byte-identical in every request of the agent while the home does not change,
and providers reuse it (OpenAI and Anthropic bill it at a tenth, a local
server does not evaluate it again). The whole home is listed when it takes
at most a quarter of the prompt budget (and fits what the budget leaves);
otherwise the overview is the areas, the counts per domain, the pointer to
`confidant__find_entities` (tools/find_entities.py, offered whenever the
overview is partial) and a short list of the most named domains. What a
turn most likely needs beyond that - the entities it names or the last turns
named, the areas it mentions, the satellite's area, the kinds of device it
(or the turn before) talks about - is the turn's **tail**
(`async_turn_tail`), a small share of the budget that travels after the
remembered turns, in front of the person's words.

Why not let Home Assistant render its YAML and replace it in the system
message: rendering the YAML of every exposed entity takes longer than the
rest of the turn, so the swap would make Confidant slower than Home
Assistant's own agents instead of faster. Why not an LLM API registered
under a name of its own: every agent's settings would have to pick it, and
Home Assistant's own agents would be offered it too.

What is exposed is read as Home Assistant reads it for its YAML (registry.py)
and kept in an index that is rebuilt only when an entity, its name, its area
or its exposure changes. Home Assistant offers no public way to ask the
platforms one by one, so this module reads the `llm` integration's platform
registry and the `homeassistant` platform's live-context tool; if they go
away, agents fall back to Home Assistant's Assist API unchanged, and the log
says so once.

Nothing here logs what was said.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, override

from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm
from homeassistant.util.hass_dict import HassKey

from ..const import DEFAULT_PROMPT_BUDGET, DOMAIN, LOGGER
from ..providers import AssistantMessage, Message, ToolResultMessage, UserMessage
from ..tools import confidant_tools
from ..tools.find_entities import FindEntitiesTool
from ..turn.tool_specs import ToolSpecs
from .budget import REQUEST_FRAMING_BYTES, home_allowance, tail_allowance, tool_bytes
from .index import HomeContext
from .registry import async_device_area, async_get_index

HA_DOMAIN: Final = "homeassistant"

LIVE_PROMPT: Final = (
    "The overview below has names and places, not states. For the current "
    "state or value of a device (on, open, locked, how warm, what is playing) "
    "call {live_tool}."
)

# Whether the log said once that Home Assistant's internals changed.
_DATA_WARNED: Final[HassKey[bool]] = HassKey(f"{DOMAIN}_assist_api_changed")


@dataclass(frozen=True, slots=True)
class Turn:
    """What the overview depends on besides the home: the agent's options.

    Never what was said, the time or a state: the overview is the stable
    prefix of every request of the agent.
    """

    budget_tokens: int = DEFAULT_PROMPT_BUDGET
    # Bytes of the stable request outside the API: the agent's instructions.
    other_bytes: int = 0


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


@dataclass(frozen=True, slots=True)
class _HomeParts:
    """What this module takes from Home Assistant's `llm` internals."""

    platforms: Any  # LazyIntegrationPlatforms of the `llm` integration
    live_tool: type[llm.Tool]
    no_entities_prompt: str


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
        )
    except ImportError, AttributeError, KeyError:
        return None
    if not hasattr(platforms, "async_get_platforms"):
        return None
    return parts


@callback
def async_assist_api(
    hass: HomeAssistant,
    api_ids: str | list[str] | None,
    turn: Turn,
    *,
    tool_specs: ToolSpecs,
    memory_search: llm.Tool | None = None,
) -> str | list[str] | llm.API | None:
    """What to pass `ChatLog.async_provide_llm_data` as the agent's LLM API.

    With the Assist API among the agent's APIs, Confidant's turn API in its
    place (merged with the others as Home Assistant merges them); otherwise
    the API ids unchanged. `tool_specs` are the agent's converted tools (for
    the budget); `memory_search` is the turn's search of household facts, if
    it needs one.
    """
    if not api_ids:
        return api_ids
    ids = [api_ids] if isinstance(api_ids, str) else list(api_ids)
    if llm.LLM_API_ASSIST not in ids:
        return api_ids
    registered = {api.id: api for api in llm.async_get_apis(hass)}
    if any(api_id not in registered for api_id in ids):
        # Home Assistant reports the missing API as it always does.
        return api_ids
    if _home_parts(hass) is None and not hass.data.get(_DATA_WARNED):
        hass.data[_DATA_WARNED] = True
        LOGGER.warning(
            "Home Assistant's Assist API changed; the home is described "
            "as Home Assistant describes it, without a prompt budget"
        )
    ours = TurnAssistAPI(
        hass,
        registered[llm.LLM_API_ASSIST],
        turn,
        tool_specs=tool_specs,
        memory_search=memory_search,
    )
    if len(ids) == 1:
        return ours
    return llm.MergedAPI(
        [ours if api_id == llm.LLM_API_ASSIST else registered[api_id] for api_id in ids]
    )


class TurnAssistAPI(llm.API):
    """Home Assistant's Assist API for one turn, with Confidant's overview."""

    def __init__(
        self,
        hass: HomeAssistant,
        assist: llm.API,
        turn: Turn,
        *,
        tool_specs: ToolSpecs,
        memory_search: llm.Tool | None = None,
    ) -> None:
        """Stand in for the registered Assist API: tools keep their names."""
        super().__init__(hass=hass, id=assist.id, name=assist.name)
        self._assist = assist
        self.turn = turn
        self._tool_specs = tool_specs
        self.memory_search = memory_search
        self.context: HomeContext | None = None

    @staticmethod
    def _tools_of(domain: str, get: Callable[[], LLMTools | None]) -> LLMTools | None:
        """A platform's tools; a failing platform is left out, as core does."""
        try:
            return get()
        except Exception:  # noqa: BLE001 - as Home Assistant's Assist API does
            LOGGER.exception("Error getting tools from LLM platform %s", domain)
            return None

    @override
    async def async_get_api_instance(
        self, llm_context: llm.LLMContext
    ) -> llm.APIInstance:
        """Collect every platform's tools and prompt; the home is Confidant's."""
        if (parts := _home_parts(self.hass)) is None:
            return await self._async_assist_instance(llm_context)
        platforms = await parts.platforms.async_get_platforms()
        results: dict[str, LLMTools] = {}
        for domain, platform in sorted(platforms.items()):
            if domain in (HA_DOMAIN, DOMAIN):
                continue
            result = self._tools_of(
                domain,
                partial(platform.async_get_tools, self.hass, llm_context, self.id),
            )
            if result is not None:
                results[domain] = result

        live_tool: llm.Tool = parts.live_tool()
        home_prompt = self._home_prompt(llm_context, parts, live_tool, results.values())
        results[HA_DOMAIN] = LLMTools(tools=[live_tool], prompt=home_prompt)
        if DOMAIN in platforms:
            result = self._tools_of(DOMAIN, lambda: self._own_tools(llm_context))
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

    async def _async_assist_instance(
        self, llm_context: llm.LLMContext
    ) -> llm.APIInstance:
        """Home Assistant's own Assist API, for when its internals changed.

        With the turn's memory search, which its `llm` platforms cannot give.
        """
        instance = await self._assist.async_get_api_instance(llm_context)
        if self.memory_search in confidant_tools(
            self.hass, llm_context, memory_search=self.memory_search
        ):
            instance.tools.append(self.memory_search)
        return instance

    def _home_prompt(
        self,
        llm_context: llm.LLMContext,
        parts: _HomeParts,
        live_tool: llm.Tool,
        others: Iterable[LLMTools],
    ) -> str:
        """The overview of the home within what the rest of the request leaves."""
        index = async_get_index(self.hass, llm_context.assistant or "conversation")
        if not len(index):
            return parts.no_entities_prompt
        find_tool = FindEntitiesTool()
        live_prompt = LIVE_PROMPT.format(live_tool=live_tool.name)
        fixed = (
            self.turn.other_bytes
            + REQUEST_FRAMING_BYTES
            + len(live_prompt)
            + tool_bytes(live_tool, self._tool_specs)
            + tool_bytes(find_tool, self._tool_specs)
            + sum(
                len(result.prompt or "")
                + sum(tool_bytes(tool, self._tool_specs) for tool in result.tools)
                for result in others
            )
        )
        self.context = index.overview(
            allowance=home_allowance(self.turn.budget_tokens, fixed),
            find_tool=find_tool.name,
            fixed_bytes=fixed,
        )
        return f"{live_prompt}\n{self.context.text}"

    def _own_tools(self, llm_context: llm.LLMContext) -> LLMTools | None:
        """Confidant's tools, with the ones this turn asked for."""
        tools = confidant_tools(
            self.hass,
            llm_context,
            find_entities=self.context is not None and not self.context.complete,
            memory_search=self.memory_search,
        )
        return LLMTools(tools=tools) if tools else None
