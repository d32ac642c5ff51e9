"""The camera tools: look at an exposed camera now, recall what the cameras saw.

Home Assistant assembles the Assist API from the `llm` platforms of loaded
integrations, so these reach every agent that uses Assist, Confidant's own
and others. Only cameras exposed to the assistant can be looked at; any
other camera is answered exactly as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, override

import probatio
from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.components.homeassistant.exposed_entities import (
    async_should_expose,
)
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import intent
from homeassistant.helpers.llm import (
    LLMContext,
    ToolAnnotations,
    ToolInput,
    ToolResult,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType

from ..const import DOMAIN
from ..dialogue.messages import async_spoken_message
from ..entity import ConfidantLLMEntity
from ..privacy.gate import CloudImagesRefusedError
from ..providers import ProviderError
from ..vision.agents import calling_agent, vision_agent
from ..vision.describe import DEFAULT_QUESTION, Description, async_look
from ..vision.snapshot import CAMERA_DOMAIN, CameraImageError
from ..vision.visitors import all_recent_visitors, async_remember
from .base import ConfidantTool, tool_error

ARG_CAMERA: Final = "camera"
ARG_QUESTION: Final = "question"


def _local_time(when: datetime) -> str:
    return dt_util.as_local(when).isoformat(timespec="seconds")


def _not_available(camera: str) -> ToolResult:
    """The one answer for a camera that is not there or not exposed."""
    return tool_error("CameraNotAvailable", f"No camera named {camera!r} is available.")


def _normalized(name: str) -> str:
    words = name.casefold().replace("_", " ").split()
    return " ".join(word for word in words if word != "camera")


@callback
def exposed_cameras(hass: HomeAssistant, assistant: str) -> list[State]:
    """The cameras exposed to an assistant."""
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
        for state in exposed_cameras(hass, assistant)
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


class LookAtCameraTool(ConfidantTool):
    """Snapshot an exposed camera and let a vision model describe it."""

    name = f"{DOMAIN}__look_at_camera"
    title = "Look at a camera"
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
    async def async_answer(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: LLMContext
    ) -> ToolResult:
        """Take the snapshot, ask the model, return its words."""
        camera = await _async_camera(hass, llm_context, args[ARG_CAMERA])
        if isinstance(camera, ToolResult):
            return camera
        if (caller := calling_agent(hass, llm_context)) is None:
            return tool_error("NoConfidantAgent", "No Confidant agent is available.")
        if (looker := vision_agent(hass, caller)) is None:
            return tool_error(
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
            return tool_error("NoDescription", "The vision model gave no description.")
        async_remember(description)
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
        return tool_error(
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
        return tool_error(
            "CloudImagesRefused",
            await async_spoken_message(hass, language, "cloud_images_refused"),
        )
    except CameraImageError:
        return tool_error(
            "CameraUnavailable", f"The camera {camera.name} gave no image."
        )
    except ProviderError as err:
        return tool_error(
            err.translation_key,
            await async_spoken_message(
                hass, language, err.translation_key, {"detail": err.detail}
            ),
        )


class RecentVisitorsTool(ConfidantTool):
    """What the cameras were said to show recently, in words."""

    name = f"{DOMAIN}__recent_visitors"
    title = "Recent visitors"
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
