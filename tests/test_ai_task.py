"""AI Task: Home Assistant's ai_task.generate_data answered by Confidant.

Real Home Assistant (ai_task, media_source, a camera entity with a real JPEG)
and the scripted model server; every provider's wire format is checked for
the image and the instructions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import probatio
import pytest
from homeassistant.components import ai_task
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_MODEL, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.ai_task import parse_json_answer
from custom_components.confidant.config_flow import default_ai_task_options
from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_MAX_TOKENS,
    CONF_TEMPERATURE,
    CONF_TIMEOUT,
    DOMAIN,
)

from .cameras import FRONT_DOOR, async_setup_front_door_camera, porch_jpeg
from .conftest import PROVIDERS, Home, agent_subentry, async_load_provider_entry
from .llm_server import LLMServer, Reply
from .test_conformance import WIRES

TASK_ID = "ai_task.confidant_ai_task"
CAMERA_ATTACHMENT = {
    "media_content_id": f"media-source://camera/{FRONT_DOOR}",
    "media_content_type": "image/jpeg",
}
INSTRUCTIONS = "Who is at the front door, and how many people are there?"
STRUCTURE = probatio.Schema(
    {
        probatio.Required("visitor"): str,
        probatio.Required("people"): int,
    }
)


def task_subentry(
    model: str = "llama-3.2-3b-instruct", title: str = "Confidant AI Task"
) -> ConfigSubentryData:
    """An AI task subentry with the default options."""
    return ConfigSubentryData(
        data=default_ai_task_options(model),
        subentry_type="ai_task_data",
        title=title,
        unique_id=None,
    )


async def add_entry(
    hass: HomeAssistant, kind: str, server: LLMServer, **options: object
) -> MockConfigEntry:
    """A loaded entry of one provider with an agent and an AI task."""
    return await async_load_provider_entry(
        hass, server, kind, agent_subentry(), task_subentry(), options=options
    )


def media_file(name: str, content_type: str) -> dict[str, str]:
    """An attachment from the media folder, as a task names it."""
    return {
        "media_content_id": f"media-source://media_source/local/{name}",
        "media_content_type": content_type,
    }


async def run_task(hass: HomeAssistant, **task: Any) -> ai_task.GenDataTaskResult:
    """Run a task of Confidant's AI task entity."""
    return await ai_task.async_generate_data(hass, entity_id=TASK_ID, **task)


async def failing_task(hass: HomeAssistant, **task: Any) -> HomeAssistantError:
    """Run a task of Confidant's AI task entity that must fail; its error."""
    with pytest.raises(HomeAssistantError) as failed:
        await run_task(hass, **task)
    return failed.value


async def structured_answer_fails(
    hass: HomeAssistant, server: LLMServer, answer: str
) -> HomeAssistantError:
    """The model answers the front-door task that asks for a structure; its error."""
    await add_entry(hass, "openai_compatible", server)
    server.script(Reply(text=answer))
    return await failing_task(
        hass, task_name="front door", instructions=INSTRUCTIONS, structure=STRUCTURE
    )


@pytest.fixture
async def tasks(hass: HomeAssistant, home: Home, tmp_path: Path) -> Path:
    """Home Assistant's AI Task and media source, as a real install has them.

    Returns the media folder (media-source://media_source/local/).
    """
    media = tmp_path / "media"
    media.mkdir()
    hass.config.media_dirs = {"local": str(media)}
    assert await async_setup_component(hass, "media_source", {})
    assert await async_setup_component(hass, "ai_task", {})
    await hass.async_block_till_done()
    return media


def system_text(kind: str, body: dict[str, object]) -> str:
    """The system prompt of a request, however the protocol carries it."""
    if kind == "anthropic":
        system = body["system"]
        if isinstance(system, list):
            return "".join(block["text"] for block in system)
        return str(system)
    if kind == "openai":
        parts = [str(body.get("instructions") or "")]
        for item in body["input"]:  # type: ignore[attr-defined]
            if item.get("role") in ("system", "developer"):
                content = item["content"]
                parts.append(
                    content
                    if isinstance(content, str)
                    else "".join(p.get("text", "") for p in content)
                )
        return "".join(parts)
    return "".join(
        str(message["content"])
        for message in body["messages"]  # type: ignore[attr-defined]
        if message["role"] == "system"
    )


@pytest.mark.parametrize("kind", PROVIDERS)
async def test_structured_task_with_a_camera_image(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer, kind: str
) -> None:
    """The snapshot and the instructions reach the model; the answer comes back as data."""
    image = porch_jpeg()
    camera = await async_setup_front_door_camera(hass, image)
    await add_entry(hass, kind, llm_server, **{CONF_ALLOW_CLOUD_IMAGES: True})
    llm_server.script(Reply(text='```json\n{"visitor": "a courier", "people": 1}\n```'))

    result = await run_task(
        hass,
        task_name="front door",
        instructions=INSTRUCTIONS,
        structure=STRUCTURE,
        attachments=[CAMERA_ATTACHMENT],
    )

    assert result.data == {"visitor": "a courier", "people": 1}
    assert camera.snapshots == 1
    (request,) = llm_server.requests_to(WIRES[kind].path)
    assert WIRES[kind].images(kind, request.json) == [image]
    assert INSTRUCTIONS.encode() in request.body
    system = system_text(kind, request.json)
    assert "must match this JSON schema" in system
    schema = json.loads(system.split("JSON schema:\n", 1)[1])
    assert schema["properties"]["people"]["type"] == "integer"
    assert schema["required"] == ["visitor", "people"]
    state = hass.states.get(TASK_ID)
    assert state is not None
    assert state.state not in ("unknown", "unavailable")


async def test_generate_data_action_with_a_structure(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """Home Assistant's own action, as an automation calls it, with selector fields."""
    await async_setup_front_door_camera(hass)
    await add_entry(hass, "ollama", llm_server)
    llm_server.script(Reply(text='{"summary": "Nobody is there.", "busy": false}'))

    response = await hass.services.async_call(
        "ai_task",
        "generate_data",
        {
            "task_name": "porch",
            "entity_id": TASK_ID,
            "instructions": "Describe the porch.",
            "structure": {
                "summary": {"selector": {"text": {}}, "required": True},
                "busy": {"selector": {"boolean": {}}},
            },
            "attachments": [CAMERA_ATTACHMENT],
        },
        blocking=True,
        return_response=True,
    )

    assert response is not None
    assert response["data"] == {"summary": "Nobody is there.", "busy": False}


async def test_plain_text_task(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """Without a structure the answer is the text, and no JSON is asked for."""
    await add_entry(hass, "openai_compatible", llm_server)
    llm_server.script(Reply(text="Good morning! Sunny, 21 degrees."))

    result = await run_task(
        hass,
        task_name="greeting",
        instructions="Write a one-line morning greeting.",
    )

    assert result.data == "Good morning! Sunny, 21 degrees."
    (request,) = llm_server.requests_to("/v1/chat/completions")
    assert b"Write a one-line morning greeting." in request.body
    assert b"JSON schema" not in request.body
    # A task is not a conversation: no transcript, no memory, no agent.
    assert request.json["model"] == "llama-3.2-3b-instruct"


async def test_image_file_from_the_media_folder(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """A picture in the media folder is sent like a camera snapshot."""
    image = porch_jpeg((20, 200, 20))
    (tasks / "garden.jpg").write_bytes(image)
    await add_entry(hass, "ollama", llm_server)
    llm_server.script(Reply(text="A green lawn."))

    result = await run_task(
        hass,
        task_name="garden",
        instructions="What is in the picture?",
        attachments=[media_file("garden.jpg", "image/jpeg")],
    )

    assert result.data == "A green lawn."
    (request,) = llm_server.requests_to("/api/chat")
    assert WIRES["ollama"].images("ollama", request.json) == [image]


async def test_a_file_that_is_not_an_image_is_refused(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """The providers take images only: a PDF is refused before anything is sent."""
    (tasks / "bill.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    await add_entry(hass, "ollama", llm_server)

    refused = await failing_task(
        hass,
        task_name="bill",
        instructions="How much is the bill?",
        attachments=[media_file("bill.pdf", "application/pdf")],
    )
    assert refused.translation_key == "unsupported_attachment"
    assert "application/pdf" in str(refused)
    assert llm_server.requests_to("/api/chat") == []


async def test_invalid_json_is_a_clear_error(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """A model that answers in prose when JSON was asked fails the task, in words."""
    failed = await structured_answer_fails(
        hass, llm_server, "Sure! The visitor is a courier."
    )
    assert failed.translation_domain == DOMAIN
    assert failed.translation_key == "invalid_json"
    assert str(failed).startswith("The model's answer to the task was not valid")


@pytest.mark.parametrize(
    ("answer", "where"),
    [
        ('{"visitor": "Jane Doe", "people": "two"}', "(people)"),
        (
            '{"visitor": "a courier", "people": 1, "Jane Doe": true}',
            "(a field that was not asked for)",
        ),
        ('["Jane Doe", 2]', "(the answer as a whole)"),
    ],
)
async def test_json_of_the_wrong_shape_is_a_clear_error(
    hass: HomeAssistant,
    tasks: Path,
    llm_server: LLMServer,
    caplog: pytest.LogCaptureFixture,
    answer: str,
    where: str,
) -> None:
    """JSON that does not fit the structure fails, naming the field but none of the answer."""
    failed = await structured_answer_fails(hass, llm_server, answer)
    assert failed.translation_key == "structure_mismatch"
    assert where in str(failed)
    for words in ("Jane Doe", "two"):
        assert words not in str(failed)
        assert words not in caplog.text


async def test_cloud_provider_without_image_permission(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """Without the household's permission, the snapshot never leaves: a translated refusal."""
    await async_setup_front_door_camera(hass)
    await add_entry(hass, "anthropic", llm_server)

    refused = await failing_task(
        hass,
        task_name="front door",
        instructions=INSTRUCTIONS,
        attachments=[CAMERA_ATTACHMENT],
    )
    assert refused.translation_domain == DOMAIN
    assert refused.translation_key == "cloud_images_refused"
    assert "not allowed to send camera images" in str(refused)
    assert llm_server.requests_to("/v1/messages") == []


async def test_provider_error_is_translated(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """A failing model service fails the task with its translated reason."""
    await add_entry(hass, "openai_compatible", llm_server)
    llm_server.script(Reply(status=500))

    failed = await failing_task(hass, task_name="t", instructions="Say hi.")
    assert failed.translation_key == "server_error"
    assert str(failed).startswith("The model service had an error.")


async def test_only_ai_task_subentries_become_ai_task_entities(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """The agent stays a conversation entity; the AI task is an AI task entity."""
    entry = await add_entry(hass, "openai_compatible", llm_server)
    registry = er.async_get(hass)
    entities = er.async_entries_for_config_entry(registry, entry.entry_id)
    by_domain = sorted(e.domain for e in entities if e.domain != "sensor")
    assert by_domain == ["ai_task", "conversation"]
    task = registry.async_get(TASK_ID)
    assert task is not None
    assert entry.subentries[task.unique_id].subentry_type == "ai_task_data"


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('```\n["x", "y"]\n```', ["x", "y"]),
        ('  ```JSON\n  {"a": "```"}\n```  ', {"a": "```"}),
        ("42", 42),
    ],
)
def test_parse_json_answer(text: str, data: object) -> None:
    """A bare answer or one in a code fence."""
    assert parse_json_answer(text) == data


async def test_add_and_change_an_ai_task(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """An AI task with its own model and limits; then change it."""
    entry = await add_entry(hass, "openai_compatible", llm_server)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "ai_task_data"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "task_options"
    fields = {str(key): key for key in result["data_schema"].schema}
    assert list(fields) == [
        CONF_NAME,
        CONF_MODEL,
        CONF_MAX_TOKENS,
        CONF_TEMPERATURE,
        CONF_TIMEOUT,
    ]
    # The model is offered from the server's list, and can be typed.
    model_selector = result["data_schema"].schema[fields[CONF_MODEL]]
    assert isinstance(model_selector, selector.SelectSelector)
    assert model_selector.config["custom_value"] is True

    options = {
        CONF_NAME: "Camera summaries",
        CONF_MODEL: " qwen2.5-7b-instruct ",
        CONF_MAX_TOKENS: 200,
        CONF_TEMPERATURE: 0.1,
        CONF_TIMEOUT: 20,
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], options
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    task = next(s for s in entry.subentries.values() if s.title == "Camera summaries")
    assert task.subentry_type == "ai_task_data"
    assert task.data == {
        CONF_MODEL: "qwen2.5-7b-instruct",
        CONF_MAX_TOKENS: 200,
        CONF_TEMPERATURE: 0.1,
        CONF_TIMEOUT: 20,
    }
    assert hass.states.get("ai_task.camera_summaries") is not None

    result = await entry.start_subentry_reconfigure_flow(hass, task.subentry_id)
    assert result["step_id"] == "task_options"
    assert CONF_NAME not in {str(key) for key in result["data_schema"].schema}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**{k: v for k, v in options.items() if k != CONF_NAME}, CONF_MAX_TOKENS: 300},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[task.subentry_id].data[CONF_MAX_TOKENS] == 300

    # The changed task uses its new limits.
    llm_server.script(Reply(text="ok"))
    await ai_task.async_generate_data(
        hass, task_name="t", entity_id="ai_task.camera_summaries", instructions="hi"
    )
    (request,) = llm_server.requests_to("/v1/chat/completions")
    assert request.json["model"] == "qwen2.5-7b-instruct"
    assert (
        request.json.get("max_tokens", request.json.get("max_completion_tokens")) == 300
    )


async def test_ai_task_form_with_typed_model_when_the_list_fails(
    hass: HomeAssistant, tasks: Path, llm_server: LLMServer
) -> None:
    """A server that stops listing models still lets a person type one."""
    entry = await add_entry(hass, "openai_compatible", llm_server)
    llm_server.models_status = 500
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "ai_task_data"), context={"source": "user"}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    assert isinstance(
        result["data_schema"].schema[fields[CONF_MODEL]], selector.TextSelector
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Typed",
            CONF_MODEL: "typed-model",
            CONF_MAX_TOKENS: 100,
            CONF_TEMPERATURE: 0.5,
            CONF_TIMEOUT: 10,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MODEL] == "typed-model"
