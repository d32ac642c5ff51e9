"""Camera images that would exhaust memory are refused before decoding.

Pillow refuses a "decompression bomb" only beyond twice its global limit,
which any integration may change; Confidant refuses at its own, lower limit,
and reports either as a camera that gave no usable image.
"""

from __future__ import annotations

import io
import time
import warnings

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import DOMAIN
from custom_components.confidant.vision.snapshot import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    CameraImageError,
    shrink_jpeg,
)

from .cameras import FRONT_DOOR, async_setup_front_door_camera, png_header
from .llm_server import LLMServer


@pytest.mark.parametrize(
    ("width", "height"),
    [(30_000, 30_000), (10_000, 6_000), (MAX_IMAGE_PIXELS // 1000 + 1, 1000)],
)
def test_huge_headers_are_refused_before_decoding(width: int, height: int) -> None:
    """900, 60 and just over 50 megapixels: refused at once, without a warning."""
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CameraImageError):
            shrink_jpeg(png_header(width, height), 640)
    assert time.monotonic() - started < 1


def test_a_refused_image_even_when_pillow_has_no_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another integration turning Pillow's limit off does not turn Confidant's off."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(CameraImageError):
        shrink_jpeg(png_header(30_000, 30_000), 640)


def test_too_many_bytes_are_not_even_opened() -> None:
    with pytest.raises(CameraImageError):
        shrink_jpeg(b"\xff\xd8" + b"\x00" * MAX_IMAGE_BYTES, 640)


def test_a_normal_image_still_passes() -> None:
    out = io.BytesIO()
    Image.new("RGB", (1920, 1080), (10, 20, 30)).save(out, "JPEG")
    with Image.open(io.BytesIO(shrink_jpeg(out.getvalue(), 640))) as image:
        assert image.size == (640, 360)


async def test_describe_camera_with_a_bomb_is_a_translated_error(
    hass: HomeAssistant, config_entry: MockConfigEntry, llm_server: LLMServer
) -> None:
    """The action says the camera gave no image; the model is never asked."""
    await async_setup_front_door_camera(hass, png_header(30_000, 30_000))
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "describe_camera",
            {"camera_entity_id": FRONT_DOOR},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "camera_unavailable"
    assert not [r for r in llm_server.requests if r.method == "POST"]
