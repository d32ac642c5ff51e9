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
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..dialogue.answer_guard import AnswerLimit, clean_text
from ..entity import ConfidantLLMEntity
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
from .snapshot import async_snapshot, camera_name

DEFAULT_QUESTION: Final = "Describe what you see, briefly."

DESCRIBER_PROMPT: Final = (
    "You describe a still image from a home's camera for a voice assistant. "
    "Answer the question about the image in one to three short, plain "
    "sentences that can be spoken aloud. Describe people by what can be seen "
    "(clothing, what they carry or do); do not guess who they are. Mention "
    "packages, vehicles and animals when they matter. If the image is too "
    "dark or unclear to tell, say so."
)


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
    try:
        text = await async_describe_image(agent, question, jpeg)
    except ProviderError as err:
        # Only the kind of failure: never the question or the answer.
        LOGGER.warning(
            "%s could not describe a camera image: %s %s",
            agent.entity_id,
            err.translation_key,
            err.detail,
        )
        raise
    # The image goes out of scope here; only the words are returned.
    del jpeg
    return Description(
        text=text,
        camera_entity_id=camera_entity_id,
        camera_name=camera_name(hass, camera_entity_id),
        time=dt_util.utcnow(),
        agent=agent,
    )
