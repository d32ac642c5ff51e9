"""The describe_camera action: a camera described by a chosen agent."""

from __future__ import annotations

from typing import Final

import probatio
from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.core import (
    ServiceCall,
    ServiceResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from ..const import (
    DOMAIN,
)
from ..entity import ConfidantLLMEntity
from ..privacy.gate import CloudImagesRefusedError
from ..providers import ProviderError
from .agents import confidant_agent, first_agent, vision_agent
from .describe import DEFAULT_QUESTION, async_look
from .snapshot import CAMERA_DOMAIN, CameraImageError
from .visitors import async_remember

SERVICE_DESCRIBE_CAMERA: Final = "describe_camera"
ATTR_CAMERA_ENTITY_ID: Final = "camera_entity_id"
ATTR_QUESTION: Final = "question"
ATTR_AGENT_ID: Final = "agent_id"
ATTR_REMEMBER: Final = "remember"

DESCRIBE_CAMERA_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(ATTR_CAMERA_ENTITY_ID): cv.entity_domain(CAMERA_DOMAIN),
        probatio.Optional(ATTR_QUESTION, default=DEFAULT_QUESTION): cv.string,
        # Empty (a blueprint's unset input): the first Confidant agent.
        probatio.Optional(ATTR_AGENT_ID): probatio.Any(
            None, "", cv.entity_domain("conversation")
        ),
        probatio.Optional(ATTR_REMEMBER, default=True): cv.boolean,
    }
)


async def _async_check_camera_access(call: ServiceCall, entity_id: str) -> None:
    """A person may have a camera described only when they may see the camera."""
    if call.context.user_id is None:
        return
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None:
        raise UnknownUser(context=call.context, permission=POLICY_READ)
    if not user.permissions.check_entity(entity_id, POLICY_READ):
        raise Unauthorized(
            context=call.context, entity_id=entity_id, permission=POLICY_READ
        )


@callback
def _describing_agent(call: ServiceCall) -> ConfidantLLMEntity:
    """The agent the call names, or the first one; then its vision agent."""
    hass = call.hass
    if agent_id := call.data.get(ATTR_AGENT_ID):
        if (agent := confidant_agent(hass, agent_id)) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="agent_not_found",
                translation_placeholders={"agent_id": agent_id},
            )
    elif (agent := first_agent(hass)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_agent"
        )
    if (looker := vision_agent(hass, agent)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="vision_agent_not_available",
            translation_placeholders={"agent_id": agent.entity_id},
        )
    return looker


async def async_describe_camera(call: ServiceCall) -> ServiceResponse:
    """Describe a camera's current image in words; remember them if asked."""
    hass = call.hass
    camera_id: str = call.data[ATTR_CAMERA_ENTITY_ID]
    await _async_check_camera_access(call, camera_id)
    if hass.states.get(camera_id) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="camera_not_found",
            translation_placeholders={"entity_id": camera_id},
        )
    looker = _describing_agent(call)
    question = call.data[ATTR_QUESTION].strip() or DEFAULT_QUESTION
    try:
        description = await async_look(hass, looker, camera_id, question)
    except CloudImagesRefusedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key=err.translation_key
        ) from err
    except CameraImageError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="camera_unavailable",
            translation_placeholders={"entity_id": camera_id},
        ) from err
    except ProviderError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=err.translation_key,
            translation_placeholders={"detail": err.detail},
        ) from err
    if call.data[ATTR_REMEMBER] and description.text:
        async_remember(description)
    return {
        "text": description.text,
        "camera": camera_id,
        "time": dt_util.as_local(description.time).isoformat(),
    }
