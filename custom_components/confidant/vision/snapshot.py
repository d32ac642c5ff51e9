"""A camera's snapshot, in memory only, shrunk before any model sees it."""

from __future__ import annotations

import io
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from PIL import Image, ImageOps, UnidentifiedImageError

from ..const import VISION_JPEG_QUALITY

CAMERA_DOMAIN: Final = "camera"


class CameraImageError(HomeAssistantError):
    """The camera gave no usable image (off, unreachable, not an image)."""


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
