"""Confidant's tools in the Assist API: cameras, visitors, finding a device.

Three tools: look at a camera, recall recent visitors, find an exposed entity.

Home Assistant assembles the Assist API from the `llm` platforms of loaded
integrations, so the camera tools reach every agent that uses Assist,
Confidant's own and others. Only cameras exposed to the assistant can be
looked at; any other camera is answered exactly as one that does not exist.

The search tool is offered only to a Confidant agent's turn whose overview of
the home lists part of it (home/); it finds any exposed entity, and
only exposed ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, override

import probatio
from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.components.homeassistant.exposed_entities import (
    async_should_expose,
)
from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import intent
from homeassistant.helpers.llm import (
    LLM_API_ASSIST,
    LLMContext,
    Tool,
    ToolAnnotations,
    ToolInput,
    ToolResult,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType

from .const import DOMAIN, LOGGER
from .dialogue.messages import async_spoken_message
from .entity import ConfidantLLMEntity
from .home.assist_api import search_wanted
from .home.index import SEARCH_LIMIT
from .home.registry import async_device_area, async_get_index
from .household_memory.tool import memory_search_tools
from .privacy.gate import CloudImagesRefusedError
from .providers import ProviderError
from .vision.agents import calling_agent, vision_agent
from .vision.describe import DEFAULT_QUESTION, Description, async_look
from .vision.snapshot import CAMERA_DOMAIN, CameraImageError
from .vision.visitors import all_recent_visitors, async_remember

ARG_CAMERA: Final = "camera"
ARG_QUESTION: Final = "question"
ARG_NAME: Final = "name"
ARG_AREA: Final = "area"
ARG_DOMAIN: Final = "domain"


def _local_time(when: datetime) -> str:
    return dt_util.as_local(when).isoformat(timespec="seconds")


def _error(error: str, text: str) -> ToolResult:
    return ToolResult(data={"error": error, "error_text": text}, error=True)


def _not_available(camera: str) -> ToolResult:
    """The one answer for a camera that is not there or not exposed."""
    return _error("CameraNotAvailable", f"No camera named {camera!r} is available.")


def _normalized(name: str) -> str:
    words = name.casefold().replace("_", " ").split()
    return " ".join(word for word in words if word != "camera")


@callback
def _exposed_cameras(hass: HomeAssistant, assistant: str) -> list[State]:
    return [
        state
        for state in hass.states.async_all(CAMERA_DOMAIN)
        if async_should_expose(hass, assistant, state.entity_id)
    ]


@callback
def _find_cameras(hass: HomeAssistant, assistant: str, wanted: str) -> list[State]:
    """The exposed cameras a name or entity ID means; none for any other."""
    wanted = wanted.strip()
    if (state := hass.states.get(wanted)) is not None:
        if state.domain == CAMERA_DOMAIN and async_should_expose(
            hass, assistant, state.entity_id
        ):
            return [state]
        return []
    result = intent.async_match_targets(
        hass,
        intent.MatchTargetsConstraints(
            name=wanted, domains={CAMERA_DOMAIN}, assistant=assistant
        ),
    )
    if result.is_match:
        return list(result.states)
    # "the front door camera" for a camera named "Front door".
    normalized = _normalized(wanted)
    return [
        state
        for state in _exposed_cameras(hass, assistant)
        if normalized
        and normalized in (_normalized(state.name), _normalized(state.object_id))
    ]


async def _async_may_see(
    hass: HomeAssistant, llm_context: LLMContext, entity_id: str
) -> bool:
    """Whether the person asking may read this camera (no user: a device)."""
    context = llm_context.context
    if context is None or context.user_id is None:
        return True
    user = await hass.auth.async_get_user(context.user_id)
    return user is not None and user.permissions.check_entity(entity_id, POLICY_READ)


class LookAtCameraTool(Tool):
    """Snapshot an exposed camera and let a vision model describe it."""

    name = f"{DOMAIN}__look_at_camera"
    title = "Look at a camera"
    integration = DOMAIN
    # It sends an image to a model, which may be in the cloud.
    annotations = ToolAnnotations(
        read_only=True, destructive=False, idempotent=False, open_world=True
    )

    def __init__(self, camera_names: list[str]) -> None:
        """Offer the exposed cameras by name."""
        self.description = (
            "Look through a camera right now: takes a snapshot and returns a "
            "short description of what it shows. Use it for questions such "
            "as who is at the door or whether a package was delivered. "
            f"Cameras: {', '.join(camera_names)}."
        )
        self.parameters = probatio.Schema(
            {
                probatio.Required(
                    ARG_CAMERA, description="The camera's name or entity ID."
                ): cv.string,
                probatio.Optional(
                    ARG_QUESTION,
                    description="What to look for, e.g. 'Who is at the door?'.",
                ): cv.string,
            }
        )

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """Take the snapshot, ask the model, return its words."""
        args = self.parameters(tool_input.tool_args)
        camera = await _async_camera(hass, llm_context, args[ARG_CAMERA])
        if isinstance(camera, ToolResult):
            return camera
        if (caller := calling_agent(hass, llm_context)) is None:
            return _error("NoConfidantAgent", "No Confidant agent is available.")
        if (looker := vision_agent(hass, caller)) is None:
            return _error(
                "VisionAgentNotAvailable",
                "The agent chosen to look at camera images is not available.",
            )
        description = await _async_describe(
            hass,
            looker,
            camera,
            args.get(ARG_QUESTION) or DEFAULT_QUESTION,
            llm_context.language or hass.config.language,
        )
        if isinstance(description, ToolResult):
            return description
        if not description.text:
            return _error("NoDescription", "The vision model gave no description.")
        async_remember(hass, description)
        return ToolResult(
            data={
                "camera": description.camera_name,
                "time": _local_time(description.time),
                "description": description.text,
            }
        )


async def _async_camera(
    hass: HomeAssistant, llm_context: LLMContext, name: str
) -> State | ToolResult:
    """The one camera the model named that the person may see, or the error."""
    cameras = _find_cameras(hass, llm_context.assistant, name)
    if not cameras:
        return _not_available(name)
    if len(cameras) > 1:
        return _error(
            "SeveralCameras",
            "Several cameras match: "
            f"{', '.join(sorted(state.name for state in cameras))}. Pick one.",
        )
    camera = cameras[0]
    # As describe_camera: the asking person must be allowed to see the
    # camera; to anyone else it is a camera that does not exist.
    if not await _async_may_see(hass, llm_context, camera.entity_id):
        return _not_available(name)
    return camera


async def _async_describe(
    hass: HomeAssistant,
    looker: ConfidantLLMEntity,
    camera: State,
    question: str,
    language: str,
) -> Description | ToolResult:
    """What the looking agent's model says about a snapshot, or the error."""
    try:
        return await async_look(hass, looker, camera.entity_id, question)
    except CloudImagesRefusedError:
        return _error(
            "CloudImagesRefused",
            await async_spoken_message(hass, language, "cloud_images_refused"),
        )
    except CameraImageError:
        return _error("CameraUnavailable", f"The camera {camera.name} gave no image.")
    except ProviderError as err:
        # Only the kind of failure: never the question or the answer.
        LOGGER.warning(
            "%s could not describe a camera image: %s %s",
            looker.entity_id,
            err.translation_key,
            err.detail,
        )
        return _error(
            err.translation_key,
            await async_spoken_message(
                hass, language, err.translation_key, {"detail": err.detail}
            ),
        )


class RecentVisitorsTool(Tool):
    """What the cameras were said to show recently, in words."""

    name = f"{DOMAIN}__recent_visitors"
    title = "Recent visitors"
    integration = DOMAIN
    annotations = ToolAnnotations(
        read_only=True, destructive=False, idempotent=True, open_world=False
    )
    description = (
        "Who or what the cameras saw recently: the descriptions of doorbell "
        "and camera snapshots from the last 24 hours, newest first, each with "
        "its time and camera. Use it for questions such as 'who came by this "
        "morning?'."
    )

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """The remembered descriptions of the cameras exposed to the assistant."""
        visitors: list[JsonValueType] = [
            {
                "time": _local_time(visitor.time),
                "camera": visitor.camera_name,
                "description": visitor.text,
            }
            for visitor in all_recent_visitors(hass)
            if async_should_expose(
                hass, llm_context.assistant, visitor.camera_entity_id
            )
        ]
        return ToolResult(
            data={"now": _local_time(dt_util.utcnow()), "visitors": visitors}
        )


class FindEntitiesTool(Tool):
    """Find exposed entities the overview of the home did not list."""

    name = f"{DOMAIN}__find_entities"
    title = "Find devices"
    integration = DOMAIN
    annotations = ToolAnnotations(
        read_only=True, destructive=False, idempotent=True, open_world=False
    )
    description = (
        "Find devices of this home that the overview does not list: by words "
        "of their name, by area, by domain, or any of these together. Returns "
        f"up to {SEARCH_LIMIT} best matches with name, domain, area and "
        "current state; use those names with the other tools."
    )
    parameters = probatio.Schema(
        {
            probatio.Optional(
                ARG_NAME, description="Words of the name, e.g. 'ceiling light'."
            ): cv.string,
            probatio.Optional(ARG_AREA, description="An area, e.g. 'kitchen'."): (
                cv.string
            ),
            probatio.Optional(
                ARG_DOMAIN, description="A domain, e.g. 'light', 'sensor', 'cover'."
            ): cv.string,
        }
    )

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """Search what is exposed to the assistant; nothing else is seen."""
        args = self.parameters(tool_input.tool_args)
        if not any(args.get(key) for key in (ARG_NAME, ARG_AREA, ARG_DOMAIN)):
            return _error("NoCriteria", "Give a name, an area or a domain.")
        index = async_get_index(hass, llm_context.assistant or "conversation")
        matches, count = index.search(
            args.get(ARG_NAME),
            area=args.get(ARG_AREA),
            domain=args.get(ARG_DOMAIN),
            device_area=async_device_area(hass, llm_context.device_id),
        )
        found: list[JsonValueType] = []
        for match in matches:
            entity = match.entity
            item: dict[str, JsonValueType] = {
                "name": entity.name,
                "domain": entity.domain,
            }
            if entity.area:
                item["area"] = entity.area
            if entity.aliases:
                item["aliases"] = list(entity.aliases)
            if entity.device_class:
                item["device_class"] = entity.device_class
            if (state := hass.states.get(entity.entity_id)) is not None:
                unit = state.attributes.get("unit_of_measurement")
                item["state"] = f"{state.state} {unit}" if unit else state.state
            found.append(item)
        return ToolResult(data={"matches": found, "more": max(count - len(found), 0)})


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: LLMContext, api_id: str
) -> LLMTools | None:
    """The camera tools when a camera is exposed; the search tool when needed.

    Both only while a Confidant entry runs. The search tool is asked for by
    a Confidant turn whose overview lists part of the home.
    """
    if api_id != LLM_API_ASSIST or not llm_context.assistant:
        return None
    if not hass.config_entries.async_loaded_entries(DOMAIN):
        return None
    tools: list[Tool] = []
    if search_wanted():
        tools.append(FindEntitiesTool())
    # Household facts the turn's prompt had no room for (household_memory/).
    tools += memory_search_tools()
    names = sorted(
        state.name for state in _exposed_cameras(hass, llm_context.assistant)
    )
    if names:
        tools += [LookAtCameraTool(names), RecentVisitorsTool()]
    return LLMTools(tools=tools) if tools else None
