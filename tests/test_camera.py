"""Who's at the front door? Confidant's camera tools, through real Home Assistant.

A real camera entity gives a real 1920x1080 JPEG; the scripted model calls
`confidant__look_at_camera`; Confidant sends the snapshot, shrunk, to the
vision model (the agent's own or its chosen vision agent) through the
privacy gate; the description returns as the tool result. Everything the
loopback server received is checked, and so is the config directory: no
image is ever written.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_NAME, CONF_URL
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import llm
from PIL import Image
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
)

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_PROVIDER,
    CONF_VISION_AGENT,
    CONF_VISION_MAX_WIDTH,
    DOMAIN,
    PROVIDER_OPENAI_COMPATIBLE,
)
from custom_components.confidant.dialogue.messages import async_spoken_message
from custom_components.confidant.vision.describe import DESCRIBER_PROMPT

from .agent_form import advanced_step
from .cameras import TestCamera
from .conftest import (
    Home,
    agent_subentry,
    ask,
    async_load_entry,
    async_load_provider_entry,
    real_store_files,
    speech,
    time_passes,
)
from .entities import async_add_test_entities
from .llm_server import LLMServer, RecordedRequest, Reply, ToolCallStep
from .test_conformance import WIRES
from .test_retention import (  # noqa: F401 - hass_config_dir is a fixture
    KEEP,
    flush,
    hass_config_dir,
)

CHAT = "/v1/chat/completions"
LOOK = "confidant__look_at_camera"
VISITORS = "confidant__recent_visitors"
FRONT_DOOR = "camera.front_door"
GARAGE = "camera.garage"
DESCRIPTION = "A courier in a blue jacket holding a parcel."
TEXT_MODEL = "llama-3.2-3b-instruct"
VISION_MODEL = "qwen2.5-7b-instruct"
JPEG_MAGIC = b"\xff\xd8\xff"


def doorstep_jpeg(size: tuple[int, int] = (1920, 1080)) -> bytes:
    """A full-HD JPEG made with Pillow: a gradient with a 'person' in it."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.paste((20, 40, 160), (size[0] // 3, size[1] // 4, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


@dataclass
class Cameras:
    """The front door camera is exposed to Assist, the garage camera is not."""

    front_door: TestCamera
    garage: TestCamera


@pytest.fixture
async def cameras(hass: HomeAssistant, home: Home) -> Cameras:
    """Two real camera entities in the test home."""
    front_door = TestCamera("Front door", "front-door", doorstep_jpeg())
    garage = TestCamera("Garage", "garage", doorstep_jpeg((800, 600)))
    await async_add_test_entities(hass, {"camera": [front_door, garage]})
    assert hass.states.get(FRONT_DOOR) is not None
    assert hass.states.get(GARAGE) is not None
    async_expose_entity(hass, "conversation", FRONT_DOOR, True)
    async_expose_entity(hass, "conversation", GARAGE, False)
    return Cameras(front_door, garage)


async def add_entry(
    hass: HomeAssistant,
    kind: str,
    server: LLMServer,
    subentries: list[ConfigSubentryData],
    **options: object,
) -> MockConfigEntry:
    """A loaded Confidant entry of one provider with these agents."""
    return await async_load_provider_entry(
        hass, server, kind, *subentries, options=options
    )


def images(request: RecordedRequest, kind: str = "openai_compatible") -> list[bytes]:
    """Every image a request carried, decoded."""
    return WIRES[kind].images(kind, request.json)


def tool_results(
    request: RecordedRequest, kind: str = "openai_compatible"
) -> list[Any]:
    """The tool results a request carried, parsed."""
    return [json.loads(text) for text in WIRES[kind].tool_results(kind, request.json)]


def look(camera: str, question: str = "Who is at the door?") -> Reply:
    """The scripted model looks through a camera."""
    return Reply(
        tool_calls=[ToolCallStep(LOOK, {"camera": camera, "question": question})]
    )


async def ask_whos_at_the_front_door(
    hass: HomeAssistant, server: LLMServer, vision: Reply, answer: str
) -> conversation.ConversationResult:
    """The model looks through the front door camera, hears back, and answers."""
    server.script(look("Front door"), vision, Reply(text=answer))
    result = await ask(hass, "who's at the front door?")
    assert speech(result) == answer
    return result


def assert_shrunk_jpeg(data: bytes, width: int = 640) -> None:
    """A JPEG no wider than the limit, with the camera's aspect ratio."""
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.width <= width
        assert image.size == (width, round(width * 1080 / 1920))


# --- The conversation ------------------------------------------------------------


async def test_whos_at_the_front_door(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Question -> tool call -> vision request with the image -> tool result -> answer."""
    await ask_whos_at_the_front_door(
        hass,
        llm_server,
        Reply(text=DESCRIPTION),
        "A courier with a parcel is at the front door.",
    )
    assert cameras.front_door.snapshots == 1

    first, vision, final = llm_server.requests_to(CHAT)
    # 1. The person's words, with the camera tools; no image.
    assert b"who's at the front door?" in first.body
    tool_names = {tool["function"]["name"] for tool in first.json["tools"]}
    assert {LOOK, VISITORS} <= tool_names
    assert "Front door" in json.dumps(first.json["tools"])
    assert "Garage" not in json.dumps(first.json["tools"])
    assert images(first) == []
    # 2. Confidant's own request: the describer prompt, the model's question
    # and the snapshot, shrunk; no tools, not the person's words.
    assert not vision.json.get("tools")
    assert vision.json["model"] == TEXT_MODEL
    assert vision.json["messages"][0] == {"role": "system", "content": DESCRIBER_PROMPT}
    assert b"Who is at the door?" in vision.body
    assert b"who's at the front door?" not in vision.body
    (jpeg,) = images(vision)
    assert_shrunk_jpeg(jpeg)
    # 3. The tool result carries the description, in words only.
    (tool_result,) = tool_results(final)
    assert tool_result["description"] == DESCRIPTION
    assert tool_result["camera"] == "Front door"
    assert images(final) == []


@pytest.mark.parametrize(
    "agent_options", [{CONF_VISION_MAX_WIDTH: 320}], ids=["narrow"]
)
async def test_the_max_width_is_an_agent_option(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """The snapshot is shrunk to the looking agent's configured width."""
    llm_server.script(
        look("front door camera"), Reply(text=DESCRIPTION), Reply(text="A courier.")
    )
    await ask(hass, "who's at the door?")
    _first, vision, _final = llm_server.requests_to(CHAT)
    (jpeg,) = images(vision)
    assert_shrunk_jpeg(jpeg, 320)


async def test_a_vision_agent_looks_for_the_calling_agent(
    hass: HomeAssistant, home: Home, cameras: Cameras, llm_server: LLMServer
) -> None:
    """Another agent chosen as vision agent gets the image, not the caller.

    The caller is not the entry's first agent: the tool knows which agent's
    turn is running.
    """
    await add_entry(
        hass,
        PROVIDER_OPENAI_COMPATIBLE,
        llm_server,
        [
            agent_subentry(TEXT_MODEL),
            agent_subentry(
                TEXT_MODEL, title="Doorman", **{CONF_VISION_AGENT: "conversation.eyes"}
            ),
            agent_subentry(VISION_MODEL, title="Eyes"),
        ],
    )
    assert hass.states.get("conversation.eyes") is not None
    llm_server.script(
        look("camera.front_door"), Reply(text=DESCRIPTION), Reply(text="A courier.")
    )
    result = await ask(
        hass, "who's at the front door?", agent_id="conversation.doorman"
    )
    assert speech(result) == "A courier."
    first, vision, final = llm_server.requests_to(CHAT)
    assert first.json["model"] == TEXT_MODEL
    assert vision.json["model"] == VISION_MODEL
    assert final.json["model"] == TEXT_MODEL
    assert [len(images(request)) for request in (first, vision, final)] == [0, 1, 0]
    assert tool_results(final)[0]["description"] == DESCRIPTION


async def test_a_cloud_agent_hands_images_to_a_local_vision_agent(
    hass: HomeAssistant, home: Home, cameras: Cameras, llm_server: LLMServer
) -> None:
    """A cloud text model without image consent; a local vision model looks."""
    await add_entry(
        hass,
        "ollama",
        llm_server,
        [agent_subentry(VISION_MODEL, title="Eyes")],
    )
    await add_entry(
        hass,
        "openai",
        llm_server,
        [agent_subentry("gpt-5-mini", **{CONF_VISION_AGENT: "conversation.eyes"})],
    )
    await ask_whos_at_the_front_door(
        hass, llm_server, Reply(text=DESCRIPTION), "A courier."
    )
    cloud = llm_server.requests_to(WIRES["openai"].path)
    (local,) = llm_server.requests_to(WIRES["ollama"].path)
    assert len(cloud) == 2
    assert all(images(request, "openai") == [] for request in cloud)
    (jpeg,) = images(local, "ollama")
    assert_shrunk_jpeg(jpeg)
    assert tool_results(cloud[1], "openai")[0]["description"] == DESCRIPTION


# --- What is refused ----------------------------------------------------------------


async def test_an_unexposed_camera_is_refused_like_a_missing_one(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """By name or by entity ID, the garage camera is 'not available': never looked at."""
    llm_server.script(
        Reply(
            tool_calls=[
                ToolCallStep(LOOK, {"camera": "Garage"}, id="by-name"),
                ToolCallStep(LOOK, {"camera": GARAGE}, id="by-id"),
                ToolCallStep(LOOK, {"camera": "Attic"}, id="missing"),
            ]
        ),
        Reply(text="I can't see that camera."),
    )
    assert speech(await ask(hass, "who's in the garage?")) == "I can't see that camera."
    assert cameras.garage.snapshots == 0
    requests = llm_server.requests_to(CHAT)
    assert len(requests) == 2
    assert all(images(request) == [] for request in requests)
    by_name, by_id, missing = tool_results(requests[1])
    assert missing == {
        "error": "CameraNotAvailable",
        "error_text": "No camera named 'Attic' is available.",
    }
    assert by_name == {
        "error": "CameraNotAvailable",
        "error_text": "No camera named 'Garage' is available.",
    }
    assert by_id == {
        "error": "CameraNotAvailable",
        "error_text": f"No camera named '{GARAGE}' is available.",
    }


@pytest.mark.parametrize(
    ("kind", "options", "sent"),
    [
        ("openai", {}, False),
        ("anthropic", {}, False),
        ("openai", {CONF_ALLOW_CLOUD_IMAGES: True}, True),
        ("ollama", {}, True),
        ("openai_compatible", {}, True),
    ],
    ids=[
        "openai-refused",
        "anthropic-refused",
        "openai-allowed",
        "ollama-local",
        "local-server",
    ],
)
async def test_cloud_images_follow_the_household_choice(
    hass: HomeAssistant,
    home: Home,
    cameras: Cameras,
    llm_server: LLMServer,
    kind: str,
    options: dict[str, object],
    sent: bool,
) -> None:
    """Without consent a cloud provider gets no image: the model explains the refusal."""
    await add_entry(hass, kind, llm_server, [agent_subentry()], **options)
    refused = await async_spoken_message(hass, "en", "cloud_images_refused")
    if sent:
        llm_server.script(
            look("Front door"), Reply(text=DESCRIPTION), Reply(text="A courier.")
        )
    else:
        llm_server.script(look("Front door"), Reply(text=refused))
    result = await ask(hass, "who's at the front door?")
    requests = llm_server.requests_to(WIRES[kind].path)
    sent_images = [image for request in requests for image in images(request, kind)]
    if sent:
        assert speech(result) == "A courier."
        assert len(requests) == 3
        (jpeg,) = sent_images
        assert_shrunk_jpeg(jpeg)
        assert tool_results(requests[2], kind)[0]["description"] == DESCRIPTION
    else:
        assert speech(result) == refused
        assert len(requests) == 2
        assert sent_images == []
        assert tool_results(requests[1], kind) == [
            {"error": "CloudImagesRefused", "error_text": refused}
        ]


async def test_a_provider_error_is_a_tool_error(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """The vision request fails: the model hears why and still answers."""
    await ask_whos_at_the_front_door(
        hass, llm_server, Reply(status=400), "I couldn't look at the camera."
    )
    (tool_result,) = tool_results(llm_server.requests_to(CHAT)[2])
    assert tool_result["error"] == "bad_request"
    assert "refused the request" in tool_result["error_text"]


# --- Other callers -------------------------------------------------------------------


def assist_context() -> llm.LLMContext:
    """How another integration's agent (core's OpenAI agent, say) calls the tools."""
    return llm.LLMContext(
        platform="openai_conversation",
        context=Context(),
        language="en",
        assistant="conversation",
        device_id=None,
    )


async def test_another_integrations_agent_uses_the_first_confidant_agent(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Outside a Confidant turn, the first loaded Confidant agent looks."""
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, assist_context())
    llm_server.script(Reply(text=DESCRIPTION))
    result = await api.async_call_tool(
        llm.ToolInput(tool_name=LOOK, tool_args={"camera": "Front door"})
    )
    assert not result.error
    assert result.data["description"] == DESCRIPTION
    (vision,) = llm_server.requests_to(CHAT)
    assert vision.json["model"] == TEXT_MODEL
    assert b"Describe what you see, briefly." in vision.body


async def test_no_confidant_agent_is_a_tool_error(
    hass: HomeAssistant, home: Home, cameras: Cameras, llm_server: LLMServer
) -> None:
    """A loaded entry without agents: the tool says so, nothing is sent."""
    await add_entry(hass, PROVIDER_OPENAI_COMPATIBLE, llm_server, [])
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, assist_context())
    result = await api.async_call_tool(
        llm.ToolInput(tool_name=LOOK, tool_args={"camera": "Front door"})
    )
    assert result.error
    assert result.data["error"] == "NoConfidantAgent"
    assert llm_server.requests_to(CHAT) == []
    assert cameras.front_door.snapshots == 0


async def test_no_tools_without_an_exposed_camera(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
) -> None:
    """With no camera exposed, the model is not offered the camera tools."""
    async_expose_entity(hass, "conversation", FRONT_DOOR, False)
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, assist_context())
    assert not {LOOK, VISITORS} & {tool.name for tool in api.tools}


# --- The describe_camera action and recent visitors -----------------------------------


async def describe(
    hass: HomeAssistant, context: Context | None = None, **data: Any
) -> dict[str, Any]:
    """Call confidant.describe_camera the way the doorbell blueprint does."""
    response = await hass.services.async_call(
        DOMAIN,
        "describe_camera",
        data,
        blocking=True,
        return_response=True,
        context=context,
    )
    assert isinstance(response, dict)
    return response


async def test_describe_camera_then_who_came_by(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """The doorbell's description is returned, and later answers "who came by?"."""
    llm_server.script(Reply(text=DESCRIPTION), Reply(text="A red car in the garage."))
    response = await describe(
        hass,
        camera_entity_id=FRONT_DOOR,
        question="Who rang the doorbell?",
        agent_id="conversation.confidant",
    )
    assert response["text"] == DESCRIPTION
    assert response["camera"] == FRONT_DOOR
    assert response["time"]
    # The action may describe any camera; the assistant only hears of the
    # ones exposed to it.
    garage = await describe(hass, camera_entity_id=GARAGE, agent_id="")
    assert garage["text"] == "A red car in the garage."
    vision = llm_server.requests_to(CHAT)
    assert b"Who rang the doorbell?" in vision[0].body
    assert b"Describe what you see, briefly." in vision[1].body
    assert_shrunk_jpeg(images(vision[0])[0])

    llm_server.script(
        Reply(tool_calls=[ToolCallStep(VISITORS)]),
        Reply(text="A courier came by with a parcel."),
    )
    result = await ask(hass, "who came by this morning?")
    assert speech(result) == "A courier came by with a parcel."
    final = llm_server.requests_to(CHAT)[-1]
    (tool_result,) = tool_results(final)
    assert [visitor["description"] for visitor in tool_result["visitors"]] == [
        DESCRIPTION
    ]
    assert tool_result["visitors"][0]["camera"] == "Front door"
    assert tool_result["visitors"][0]["time"]
    assert "red car" not in final.body.decode()


async def test_recent_visitors_are_forgotten_after_a_day(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Only in memory, and only for 24 hours; remember=false keeps nothing."""
    llm_server.script(Reply(text=DESCRIPTION), Reply(text="Not remembered."))
    await describe(hass, camera_entity_id=FRONT_DOOR)
    await describe(hass, camera_entity_id=FRONT_DOOR, remember=False)
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, assist_context())
    call = llm.ToolInput(tool_name=VISITORS, tool_args={})
    visitors = (await api.async_call_tool(call)).data["visitors"]
    assert [visitor["description"] for visitor in visitors] == [DESCRIPTION]

    await time_passes(hass, freezer, timedelta(hours=24, seconds=5))
    # Gone from memory by the timer, before anyone asks.
    assert not config_entry.runtime_data.visitors._visitors
    assert (await api.async_call_tool(call)).data["visitors"] == []


async def test_describe_camera_errors(
    hass: HomeAssistant,
    home: Home,
    cameras: Cameras,
    llm_server: LLMServer,
) -> None:
    """Unknown camera or agent, and refused cloud images, are clear errors."""
    await add_entry(hass, "openai", llm_server, [agent_subentry()])
    with pytest.raises(ServiceValidationError) as err:
        await describe(hass, camera_entity_id="camera.attic")
    assert err.value.translation_key == "camera_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await describe(
            hass, camera_entity_id=FRONT_DOOR, agent_id="conversation.nobody"
        )
    assert err.value.translation_key == "agent_not_found"
    with pytest.raises(HomeAssistantError) as err:
        await describe(hass, camera_entity_id=FRONT_DOOR)
    assert err.value.translation_key == "cloud_images_refused"
    assert llm_server.requests_to(WIRES["openai"].path) == []


async def test_describe_camera_needs_access_to_the_camera(
    hass: HomeAssistant,
    cameras: Cameras,
    config_entry: MockConfigEntry,
    llm_server: LLMServer,
) -> None:
    """Not an admin action, but a person may only have cameras they may see described."""
    user = MockUser().add_to_hass(hass)
    user.mock_policy({"entities": {"entity_ids": {FRONT_DOOR: True}}})
    context = Context(user_id=user.id)
    with pytest.raises(Unauthorized):
        await describe(hass, context, camera_entity_id=GARAGE)
    assert cameras.garage.snapshots == 0
    llm_server.script(Reply(text=DESCRIPTION))
    response = await describe(hass, context, camera_entity_id=FRONT_DOOR)
    assert response == {"text": DESCRIPTION, "camera": FRONT_DOOR, "time": ANY}


# --- Nothing on disk ------------------------------------------------------------------


@pytest.fixture
def disk(hass: HomeAssistant) -> Iterator[Path]:
    """Every Store reads and writes real files in the test's config directory."""
    with real_store_files():
        yield Path(hass.config.config_dir)


async def test_no_image_is_ever_written(
    hass: HomeAssistant,
    disk: Path,
    home: Home,
    cameras: Cameras,
    llm_server: LLMServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With transcripts kept, a camera conversation and the action leave only words."""
    entry = await async_load_entry(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            data={CONF_PROVIDER: PROVIDER_OPENAI_COMPATIBLE, CONF_URL: llm_server.url},
            options=KEEP,
            subentries_data=[agent_subentry()],
        ),
    )
    llm_server.script(
        look("Front door"),
        Reply(text=DESCRIPTION),
        Reply(text="A courier is at the door."),
        Reply(text=DESCRIPTION),
    )
    assert (
        speech(await ask(hass, "who's at the front door?"))
        == "A courier is at the door."
    )
    assert (await describe(hass, camera_entity_id=FRONT_DOOR))["text"] == DESCRIPTION
    await flush(hass, freezer)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    files = [path for path in disk.rglob("*") if path.is_file()]
    # The transcript was written, with the words: the scan does look at files.
    assert any(b"who's at the front door?" in path.read_bytes() for path in files)
    assert [path for path in files if JPEG_MAGIC in path.read_bytes()] == []
    assert [
        path for path in files if path.suffix.lower() in (".jpg", ".jpeg", ".png")
    ] == []


# --- The agent form --------------------------------------------------------------------


async def test_the_agent_form_offers_the_vision_options(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
) -> None:
    """A new agent can name another Confidant agent to look at images."""
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, "conversation"), context={"source": "user"}
    )
    result = await advanced_step(
        hass, result, {CONF_NAME: "Doorman", "model": TEXT_MODEL}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    assert CONF_VISION_AGENT in fields
    assert fields[CONF_VISION_MAX_WIDTH].default() == 640
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_VISION_AGENT: "conversation.confidant",
            CONF_VISION_MAX_WIDTH: 480,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    doorman = next(s for s in config_entry.subentries.values() if s.title == "Doorman")
    assert doorman.data[CONF_VISION_AGENT] == "conversation.confidant"
    assert doorman.data[CONF_VISION_MAX_WIDTH] == 480
