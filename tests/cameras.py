"""A real camera entity for the test home, with a real JPEG snapshot."""

from __future__ import annotations

import io
import struct
import zlib

from homeassistant.components.camera import Camera
from homeassistant.core import HomeAssistant
from PIL import Image

from .entities import async_add_test_entities

FRONT_DOOR = "camera.front_door"


def porch_jpeg(color: tuple[int, int, int] = (180, 120, 60)) -> bytes:
    """A small, valid JPEG made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims a size; its pixel data is a token."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


class TestCamera(Camera):
    """A camera whose snapshot is the image it was given."""

    __test__ = False  # a helper, not a test class, where a test module imports it
    _attr_should_poll = False

    def __init__(self, name: str, unique_id: str, image: bytes) -> None:
        super().__init__()
        self._attr_name = name
        self._attr_unique_id = unique_id
        self.image = image
        self.snapshots = 0

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        self.snapshots += 1
        return self.image


async def async_setup_front_door_camera(
    hass: HomeAssistant, image: bytes | None = None
) -> TestCamera:
    """Add camera.front_door to the test home."""
    camera = TestCamera("Front door", "front-door", image or porch_jpeg())
    await async_add_test_entities(hass, {"camera": [camera]})
    assert hass.states.get(FRONT_DOOR) is not None
    return camera
