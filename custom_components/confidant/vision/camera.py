"""Looking at a camera: snapshot, shrink, ask a vision model, remember the answer.

The snapshot lives in memory only: it is taken, shrunk with Pillow and sent
to the agent's provider through the privacy gate, and then dropped. Nothing
here writes it to disk, and only the model's words are kept: as the tool's
result, and in a small in-memory list of recent descriptions (the last
RECENT_VISITORS_MAX, for RECENT_VISITORS_HOURS) so "who came by this
morning?" can be answered.
"""

from __future__ import annotations

import contextlib
import io
from collections import deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import probatio
from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.components.conversation.const import (
    DATA_COMPONENT as CONVERSATION_COMPONENT,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    CALLBACK_TYPE,
    HomeAssistant,
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
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from PIL import Image, ImageOps, UnidentifiedImageError

from ..const import (
    DOMAIN,
    LOGGER,
    RECENT_VISITORS_HOURS,
    RECENT_VISITORS_MAX,
    SUBENTRY_CONVERSATION,
    VISION_JPEG_QUALITY,
)
from ..dialogue.answer_guard import AnswerLimit, clean_text
from ..entity import ConfidantLLMEntity, running_agent
from ..privacy.gate import CloudImagesRefusedError
from ..providers import (
    Delta,
    ImagePart,
    MalformedResponseError,
    ProviderError,
    SystemMessage,
    TextDelta,
    UserMessage,
)
from ..providers.deadline import bounded_stream

if TYPE_CHECKING:
    from .. import ConfidantConfigEntry

DEFAULT_QUESTION: Final = "Describe what you see, briefly."

DESCRIBER_PROMPT: Final = (
    "You describe a still image from a home's camera for a voice assistant. "
    "Answer the question about the image in one to three short, plain "
    "sentences that can be spoken aloud. Describe people by what can be seen "
    "(clothing, what they carry or do); do not guess who they are. Mention "
    "packages, vehicles and animals when they matter. If the image is too "
    "dark or unclear to tell, say so."
)

CAMERA_DOMAIN: Final = "camera"


class CameraImageError(HomeAssistantError):
    """The camera gave no usable image (off, unreachable, not an image)."""


@dataclass(frozen=True, slots=True)
class Visitor:
    """What a camera showed, in words: never the image."""

    time: datetime
    camera_entity_id: str
    camera_name: str
    text: str


@dataclass(frozen=True, slots=True)
class Description:
    """A vision model's answer about one snapshot."""

    text: str
    camera_entity_id: str
    camera_name: str
    time: datetime
    agent: ConfidantLLMEntity

    def as_visitor(self) -> Visitor:
        """The words to remember, without the agent."""
        return Visitor(self.time, self.camera_entity_id, self.camera_name, self.text)


# --- Which agent looks ----------------------------------------------------------


@callback
def confidant_agent(hass: HomeAssistant, entity_id: str) -> ConfidantLLMEntity | None:
    """The loaded Confidant conversation agent with this entity ID, if any."""
    component = hass.data.get(CONVERSATION_COMPONENT)
    if component is None:
        return None
    entity: object = component.get_entity(entity_id)
    if not isinstance(entity, ConfidantLLMEntity):
        return None
    if entity.entry.state is not ConfigEntryState.LOADED:
        return None
    return entity


@callback
def first_agent(hass: HomeAssistant) -> ConfidantLLMEntity | None:
    """The first conversation agent of the first loaded Confidant entry."""
    registry = er.async_get(hass)
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        for subentry in entry.subentries.values():
            if subentry.subentry_type != SUBENTRY_CONVERSATION:
                continue
            entity_id = registry.async_get_entity_id(
                "conversation", DOMAIN, subentry.subentry_id
            )
            if entity_id and (agent := confidant_agent(hass, entity_id)):
                return agent
    return None


@callback
def calling_agent(hass: HomeAssistant) -> ConfidantLLMEntity | None:
    """The Confidant agent whose turn is running, else the first one loaded.

    Another integration's agent (core's OpenAI agent, say) can call the
    camera tool through the Assist API too; then the first Confidant agent
    looks.
    """
    agent = running_agent.get()
    if agent is not None and agent.hass is hass:
        return agent
    return first_agent(hass)


@callback
def vision_agent(
    hass: HomeAssistant, agent: ConfidantLLMEntity
) -> ConfidantLLMEntity | None:
    """The agent that looks at images for `agent`: its vision agent, or itself.

    None when the chosen vision agent is not loaded: the image then goes
    nowhere rather than to a model the household did not choose for it.
    """
    chosen = agent.settings.vision_agent
    if not chosen or chosen == agent.entity_id:
        return agent
    return confidant_agent(hass, str(chosen))


# --- The snapshot ---------------------------------------------------------------


# The largest image decoded, in pixels, whatever Pillow's global default is
# (another integration may change it): about a 48-megapixel camera. A header
# claiming more is refused before any pixel is decoded, so a hostile or
# broken camera cannot exhaust memory ("decompression bomb").
MAX_IMAGE_PIXELS: Final = 50_000_000
# Camera snapshots larger than this are refused unread.
MAX_IMAGE_BYTES: Final = 20 * 1024 * 1024


def shrink_jpeg(data: bytes, max_width: int) -> bytes:
    """Decode an image, shrink it to `max_width`, re-encode it as JPEG.

    Runs in the executor. Re-encoding also drops the camera's metadata
    (EXIF, location). Raises CameraImageError for data that is no image.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise CameraImageError("the camera's image is too large")
    try:
        # Opening reads only the header; Pillow refuses (DecompressionBombError)
        # beyond twice its global limit, Confidant beyond its own, lower one.
        with Image.open(io.BytesIO(data)) as original:
            if original.width * original.height > MAX_IMAGE_PIXELS:
                raise CameraImageError("the camera's image is too large")
            # Lets the JPEG decoder skip detail that would be thrown away.
            original.draft("RGB", (max_width, max_width))
            image = ImageOps.exif_transpose(original)
            if image.width > max_width:
                height = max(1, round(image.height * max_width / image.width))
                image = image.resize((max_width, height), Image.Resampling.LANCZOS)
            if image.mode != "RGB":
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, "JPEG", quality=VISION_JPEG_QUALITY, optimize=True)
            return out.getvalue()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        ValueError,
        SyntaxError,  # Pillow's parsers raise it for some corrupt headers
    ) as err:
        raise CameraImageError("the camera's image could not be read") from err


async def async_snapshot(hass: HomeAssistant, entity_id: str, max_width: int) -> bytes:
    """A camera's current image as a JPEG no wider than `max_width`, in memory."""
    # The camera integration loads only when a camera is set up; Confidant
    # needs it only when asked to look.
    from homeassistant.components.camera import async_get_image  # noqa: PLC0415

    try:
        image = await async_get_image(hass, entity_id)
    except HomeAssistantError as err:
        raise CameraImageError(str(err)) from err
    return await hass.async_add_executor_job(shrink_jpeg, image.content, max_width)


def camera_name(hass: HomeAssistant, entity_id: str) -> str:
    """The name a person would use for the camera."""
    state = hass.states.get(entity_id)
    return state.name if state is not None else entity_id


# --- Asking the model ----------------------------------------------------------


async def async_describe_image(
    agent: ConfidantLLMEntity, question: str, jpeg: bytes
) -> str:
    """Ask the agent's model about one image; return its answer.

    The request goes the way every request of the agent goes: its model and
    limits, its provider, through the privacy gate. Raises
    CloudImagesRefusedError when the image may not go to this provider, and
    a ProviderError when the provider fails.
    """
    request = agent.provider_request(
        [
            SystemMessage(DESCRIBER_PROMPT),
            UserMessage(question, (ImagePart("image/jpeg", jpeg),)),
        ]
    )
    limit = AnswerLimit()
    parts: list[str] = []
    stream: AsyncGenerator[Delta] = bounded_stream(
        agent.entry.runtime_data.provider.async_stream(request), request.timeout
    )
    async with contextlib.aclosing(stream):
        async for delta in stream:
            if isinstance(delta, TextDelta):
                parts.append(limit.take(clean_text(delta.text)))
                if limit.exceeded:
                    # A runaway description: what fits is plenty.
                    break
    if not (text := "".join(parts).strip()):
        # A doorbell announcement of nothing is no announcement.
        raise MalformedResponseError("empty description")
    return text


async def async_look(
    hass: HomeAssistant,
    agent: ConfidantLLMEntity,
    camera_entity_id: str,
    question: str,
) -> Description:
    """Take a snapshot of a camera and ask the agent's model about it.

    `agent` is the one that looks (already resolved to a vision agent).
    Raises CameraImageError, CloudImagesRefusedError or a ProviderError.
    """
    max_width = agent.settings.vision_max_width
    jpeg = await async_snapshot(hass, camera_entity_id, max_width)
    text = await async_describe_image(agent, question, jpeg)
    # The image goes out of scope here; only the words are returned.
    del jpeg
    return Description(
        text=text,
        camera_entity_id=camera_entity_id,
        camera_name=camera_name(hass, camera_entity_id),
        time=dt_util.utcnow(),
        agent=agent,
    )


# --- Recent visitors, in memory ---------------------------------------------------


class RecentVisitors:
    """The last camera descriptions of one entry, forgotten after a day."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start empty."""
        self._hass = hass
        self._visitors: deque[Visitor] = deque(maxlen=RECENT_VISITORS_MAX)
        self._unsub_expiry: CALLBACK_TYPE | None = None

    @property
    def _max_age(self) -> timedelta:
        return timedelta(hours=RECENT_VISITORS_HOURS)

    @callback
    def add(self, visitor: Visitor) -> None:
        """Remember one description."""
        self._visitors.append(visitor)
        self._expire()

    @callback
    def recent(self) -> list[Visitor]:
        """What is still remembered, newest first."""
        self._expire()
        return sorted(self._visitors, key=lambda visitor: visitor.time, reverse=True)

    @callback
    def clear(self) -> None:
        """Forget everything, and stop the expiry timer."""
        self._visitors.clear()
        if self._unsub_expiry is not None:
            self._unsub_expiry()
            self._unsub_expiry = None

    @callback
    def _expire(self, _now: Any = None) -> None:
        """Drop what is older than a day; wake up when the next one is."""
        if self._unsub_expiry is not None:
            self._unsub_expiry()
            self._unsub_expiry = None
        cutoff = dt_util.utcnow() - self._max_age
        kept = [visitor for visitor in self._visitors if visitor.time > cutoff]
        if len(kept) != len(self._visitors):
            self._visitors = deque(kept, maxlen=RECENT_VISITORS_MAX)
        if not self._visitors:
            return
        oldest = min(visitor.time for visitor in self._visitors)
        delay = (oldest + self._max_age - dt_util.utcnow()).total_seconds()
        self._unsub_expiry = async_call_later(
            self._hass, max(delay, 0) + 1, self._expire
        )


DATA_VISITORS: HassKey[dict[str, RecentVisitors]] = HassKey(f"{DOMAIN}_visitors")


@callback
def entry_visitors(hass: HomeAssistant, entry: ConfidantConfigEntry) -> RecentVisitors:
    """The recent visitors of a loaded entry; they go when it unloads."""
    by_entry = hass.data.setdefault(DATA_VISITORS, {})
    if (visitors := by_entry.get(entry.entry_id)) is None:
        visitors = by_entry[entry.entry_id] = RecentVisitors(hass)
        entry.async_on_unload(_forget_visitors(hass, entry.entry_id))
    return visitors


def _forget_visitors(hass: HomeAssistant, entry_id: str) -> Callable[[], None]:
    @callback
    def forget() -> None:
        if (
            visitors := hass.data.get(DATA_VISITORS, {}).pop(entry_id, None)
        ) is not None:
            visitors.clear()

    return forget


@callback
def async_remember(hass: HomeAssistant, description: Description) -> None:
    """Remember a description in the entry of the agent that made it."""
    entry_visitors(hass, description.agent.entry).add(description.as_visitor())


@callback
def all_recent_visitors(hass: HomeAssistant) -> list[Visitor]:
    """Every loaded entry's remembered descriptions, newest first."""
    found: list[Visitor] = []
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        found.extend(entry_visitors(hass, entry).recent())
    found.sort(key=lambda visitor: visitor.time, reverse=True)
    return found


# --- The describe_camera action ----------------------------------------------------

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
        # Only the kind of failure: never the question or the answer.
        LOGGER.warning(
            "%s could not describe a camera image: %s %s",
            looker.entity_id,
            err.translation_key,
            err.detail,
        )
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=err.translation_key,
            translation_placeholders={"detail": err.detail},
        ) from err
    if call.data[ATTR_REMEMBER] and description.text:
        async_remember(hass, description)
    return {
        "text": description.text,
        "camera": camera_id,
        "time": dt_util.as_local(description.time).isoformat(),
    }
