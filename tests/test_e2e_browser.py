"""End to end, the way a person meets Confidant: a browser, a real Home Assistant.

A real `python -m homeassistant` process (frontend, onboarding, the demo's
lights, Confidant) on a free loopback port; Debian's Chromium, headless,
driven by Playwright; the scripted Chat Completions server of the other tests
(tests/llm_server.py) in this process, which Home Assistant reaches over
loopback.

In the browser: onboarding, Settings > Devices & services > Add integration >
Confidant > OpenAI-compatible server > URL > model > privacy choices; the
agent shows up; Settings > Voice assistants makes it the conversation agent
of the Assist pipeline; the Assist dialog takes "turn on the kitchen lights"
(Home Assistant handles it locally: local-first is on for new agents, the
model is not asked) and "now dim it to 30 percent" (the model calls
HassLightSet). The demo light, read over the REST API with the owner's token,
is the witness. Over the websocket API, a text-only Assist pipeline run ends
with `continue_conversation: true` when the model asks a question.

Screenshots of each step go to artifacts/e2e/ (git-ignored), with Home
Assistant's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .e2e.browser import CHROMIUM_ARGS, find_chromium, why_not_runnable
from .e2e.ha_client import HomeAssistantClient
from .e2e.hass_process import HomeAssistantProcess
from .llm_server import LLMServer, Reply, ToolCallStep

if TYPE_CHECKING:
    from playwright.async_api import Page

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "e2e"
CHAT = "/v1/chat/completions"
MODEL = (
    "qwen2.5-7b-instruct"  # the second model the server lists: picked, not defaulted
)
KITCHEN = "light.kitchen_lights"
AGENT = "conversation.confidant"
OWNER = {"name": "Owner", "username": "owner", "password": "correct-horse-battery"}

# Playwright waits this long for an element before a step fails.
STEP_TIMEOUT_MS = 20_000


class Steps:
    """Screenshots named by step, and a record of what each showed."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0
        self.taken: list[str] = []
        self.started = time.monotonic()

    async def shot(self, name: str) -> None:
        self.count += 1
        file_name = f"{self.count:02d}-{name}.png"
        await self.page.screenshot(path=ARTIFACTS / file_name)
        self.taken.append(f"{time.monotonic() - self.started:6.1f} s  {file_name}")


def brightness_percent(state: dict[str, Any]) -> int:
    return round(int(state["attributes"]["brightness"]) * 100 / 255)


def words_of(message: dict[str, Any]) -> tuple[str, Any]:
    """A request's message as (role, words): a turn's home context, when the
    home does not fit the overview, rides in front of the last words
    (home/) and is left out here."""
    content = message.get("content")
    if isinstance(content, str) and content.startswith("[Home context"):
        content = content.rsplit("\n\n", 1)[-1]
    return message["role"], content


async def test_onboarding_to_assist_in_a_real_browser(
    socket_enabled: None, llm_server: LLMServer, tmp_path: Path
) -> None:
    """Set Confidant up in the browser and talk to it in the Assist dialog."""
    if reason := why_not_runnable():
        pytest.skip(f"browser end-to-end test cannot run here: {reason}")
    from playwright.async_api import async_playwright  # noqa: PLC0415

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    home_assistant = HomeAssistantProcess(
        tmp_path / "config", ARTIFACTS / "home-assistant.log"
    )
    async with (
        asyncio.timeout(300),
        home_assistant,
        async_playwright() as playwright,
    ):
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=find_chromium(),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        page = context.pages[0] if context.pages else await context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        steps = Steps(page)
        try:
            await _journey(page, steps, home_assistant.url, llm_server)
        except BaseException:
            with contextlib.suppress(Exception):
                await page.screenshot(path=ARTIFACTS / "failure.png")
            # Shown with the failure; the whole log is in artifacts/e2e/.
            print(f"Home Assistant's log ends:\n{home_assistant.log_tail(40)}")  # noqa: T201
            raise
        finally:
            (ARTIFACTS / "steps.txt").write_text("\n".join(steps.taken) + "\n")
            await context.close()


async def _journey(page: Page, steps: Steps, url: str, llm: LLMServer) -> None:
    await _onboard(page, steps, url)
    token = await _owner_token(page)
    async with HomeAssistantClient(url, token) as api:
        await _confirm_http_settings(page, steps, api)
        await _add_confidant(page, steps, url, llm, api)
        pipeline_id = await _make_confidant_the_assist_agent(page, steps, api)
        await _talk_in_the_assist_dialog(page, steps, llm, api)
        await _run_text_pipeline(page, steps, url, llm, api, pipeline_id)


async def _onboard(page: Page, steps: Steps, url: str) -> None:
    """Create the owner and finish the remaining onboarding steps with defaults."""
    await page.goto(url)
    await page.wait_for_url(re.compile(r"/onboarding\.html"))
    create = page.get_by_role("button", name="Create my smart home")
    await create.wait_for()
    await steps.shot("onboarding-welcome")
    await create.click()

    for field, value in OWNER.items():
        await page.locator(f"input[name={field}]").fill(value)
    await page.locator("input[name=password_confirm]").fill(OWNER["password"])
    await steps.shot("onboarding-owner")
    await page.get_by_role("button", name="Create account").click()

    # Location, country, analytics: the defaults. Each step is recognised by
    # its own words first, so one click never lands on the next step.
    for name, words in (
        ("onboarding-location", "Home location"),
        ("onboarding-country", "We would like to know the country"),
        ("onboarding-analytics", "Help us help you"),
    ):
        await page.get_by_text(words).first.wait_for()
        await steps.shot(name)
        await page.get_by_role("button", name="Next").click()
    finish = page.get_by_role("button", name="Finish")
    await finish.wait_for()
    await steps.shot("onboarding-done")
    await finish.click()
    await page.wait_for_url(re.compile(r"/home/|/lovelace/"))


async def _owner_token(page: Page) -> str:
    """The owner's access token, as the frontend stored it after onboarding."""
    stored = await page.wait_for_function("localStorage.hassTokens")
    token: str = json.loads(await stored.json_value())["access_token"]
    return token


async def _confirm_http_settings(
    page: Page, steps: Steps, api: HomeAssistantClient
) -> None:
    """Keep the loopback HTTP settings from configuration.yaml.

    This Home Assistant moves `http:` from YAML into its storage as a trial
    and asks, in a dialog, to confirm it; unconfirmed, it reverts after five
    minutes. The owner confirms it, as a person would.
    """
    dialog = page.get_by_text("Confirm new HTTP server configuration")
    from playwright.async_api import TimeoutError as NoDialog  # noqa: PLC0415

    try:
        await dialog.wait_for(timeout=10_000)
    except NoDialog:
        # A Home Assistant that does not ask: then nothing may be pending.
        assert (await api.command("http/config"))["pending"] is None
        return
    await steps.shot("http-settings-confirm")
    await page.get_by_role("button", name="Confirm").click()
    await dialog.wait_for(state="hidden")
    assert (await api.command("http/config"))["pending"] is None


async def _add_confidant(
    page: Page, steps: Steps, url: str, llm: LLMServer, api: HomeAssistantClient
) -> None:
    """Settings > Devices & services > Add integration > Confidant, all in the UI."""
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_text("Devices & services").first.click()
    await page.wait_for_url(re.compile(r"/config/integrations"))
    add = page.get_by_role("button", name="Add integration")
    await add.wait_for()
    await steps.shot("devices-and-services")
    await add.click()
    await page.get_by_placeholder("Search for a brand name").fill("Confidant")
    await page.get_by_text("Confidant", exact=True).last.wait_for()
    await steps.shot("add-integration-search")
    await page.get_by_text("Confidant", exact=True).last.click()

    provider = page.get_by_text("OpenAI-compatible server", exact=True)
    await provider.wait_for()
    # The examples are under the label, not cut off in it.
    await page.get_by_text("llama.cpp, vLLM, LM Studio or LocalAI").wait_for()
    await steps.shot("provider-menu")
    await provider.click()

    # Each wrong URL says what to fix, and the form stays open to fix it.
    server_url = page.locator("input[name=url]")
    for name, wrong_url, message in (
        (
            "setup-error-wrong-path",
            llm.url.removesuffix("/v1"),
            (
                "This server answers, but not as an OpenAI-compatible API: does"
                " the URL end in /v1?"
            ),
        ),
        (
            "setup-error-nothing-listening",
            "http://127.0.0.1:9/v1",
            "Nothing answers at this address.",
        ),
        (
            "setup-error-invalid-url",
            "127.0.0.1:8080/v1",
            "This is not a URL Home Assistant can use.",
        ),
    ):
        await server_url.fill(wrong_url)
        await page.get_by_role("button", name="Submit").click()
        await page.get_by_text(message).wait_for()
        await steps.shot(name)

    await server_url.fill(llm.url)
    await steps.shot("server-url")
    await page.get_by_role("button", name="Submit").click()

    await page.get_by_text("Choose the model for your first").wait_for()
    await page.get_by_label("Model").click()
    await page.get_by_text(MODEL, exact=True).click()
    await steps.shot("model")
    await page.get_by_role("button", name="Submit").click()

    await page.get_by_text("Your privacy choices").wait_for()
    await steps.shot("privacy-choices")
    await page.get_by_role("button", name="Submit").click()

    skip = page.get_by_role("button", name="Skip and finish")
    await skip.wait_for()
    await steps.shot("agent-created")
    await skip.click()
    assert llm.requests_to("/v1/models"), "the connection step asked for models"

    # The entry and its agent, on the integration's page.
    await page.goto(f"{url}/config/integrations/integration/confidant")
    await page.get_by_text(f"OpenAI-compatible server ({llm.url})").first.wait_for()
    await page.get_by_text(MODEL).first.wait_for()
    await steps.shot("confidant-entry")
    agent = await api.state(AGENT)
    assert agent["attributes"].get("friendly_name") == "Confidant", agent
    # A server in the house: its ledger sensor says so, with a short id.
    ledger = await api.state("sensor.confidant_sent_to_model_server_today")
    assert ledger["attributes"]["friendly_name"].endswith(
        "Sent to the model server today"
    ), ledger
    await _add_a_second_agent(page, steps, api)


async def _add_a_second_agent(
    page: Page, steps: Steps, api: HomeAssistantClient
) -> None:
    """Add agent proposes a name no agent has, so the pipeline picker tells them apart."""
    await page.get_by_text("Add agent").first.click()
    name = page.locator("input[name=name]")
    await name.wait_for()
    assert await name.input_value() == "Confidant 2"
    await steps.shot("add-agent-unique-name")
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_text("Created configuration for Confidant 2.").wait_for()
    await page.get_by_role("button", name="Finish").click()
    second = await api.wait_for_entity("conversation.confidant_2")
    assert second["attributes"].get("friendly_name") == "Confidant 2", second


async def _make_confidant_the_assist_agent(
    page: Page, steps: Steps, api: HomeAssistantClient
) -> str:
    """Settings > Voice assistants > Home Assistant > Conversation agent: Confidant."""
    await page.get_by_role("link", name="Settings").click()
    await page.get_by_text("Voice assistants").first.click()
    await page.wait_for_url(re.compile(r"/config/voice-assistants"))
    pipeline = page.locator("assist-pref").get_by_text("Home Assistant", exact=True)
    await pipeline.click()
    await page.locator("ha-conversation-agent-picker ha-picker-field").click()
    await page.locator("ha-dropdown-item").get_by_text("Confidant", exact=True).click()
    await page.get_by_text("Prefer handling commands locally").first.wait_for()
    await steps.shot("assist-pipeline-agent")
    await page.get_by_role("button", name="Update").click()
    await page.get_by_role("button", name="Update").wait_for(state="hidden")

    pipelines = await api.command("assist_pipeline/pipeline/list")
    preferred = next(
        item
        for item in pipelines["pipelines"]
        if item["id"] == pipelines["preferred_pipeline"]
    )
    assert preferred["conversation_engine"] == AGENT, preferred
    pipeline_id: str = preferred["id"]
    return pipeline_id


# The text of an element, shadow roots included (answers render in ha-markdown).
DEEP_TEXT = """element => {
    const text = node => [
        ...(node.shadowRoot ? node.shadowRoot.childNodes : []),
        ...node.childNodes,
    ].map(child => child.nodeType === Node.TEXT_NODE ? child.textContent
        : child.nodeType === Node.ELEMENT_NODE ? text(child) : "").join("");
    return text(element).replace(/\\s+/g, " ").trim();
}"""


async def _assist_answers(page: Page) -> list[str]:
    """What the agent said in the Assist dialog so far, oldest first."""
    messages = page.locator("ha-assist-chat .message.hass")
    return [await message.evaluate(DEEP_TEXT) for message in await messages.all()]


async def _say(page: Page, text: str) -> None:
    field = page.locator("ha-assist-chat input").first
    await field.fill(text)
    await field.press("Enter")


async def _talk_in_the_assist_dialog(
    page: Page, steps: Steps, llm: LLMServer, api: HomeAssistantClient
) -> None:
    """Two turns in the Assist dialog; the demo light is the witness."""
    # The demo starts with the kitchen lights on: switch them off first, so
    # "turn on" has something to do.
    await api.call_service("light", "turn_off", entity_id=KITCHEN)
    await api.wait_for_state(KITCHEN, "off")

    await page.get_by_role("link", name="Overview").click()
    await page.get_by_role("button", name=re.compile(r"^Assist\b")).click()
    await page.locator("ha-assist-chat input").first.wait_for()
    await steps.shot("assist-dialog")
    greeting = await _assist_answers(page)

    # Turn 1: Home Assistant understands this itself; the model is not asked.
    await _say(page, "turn on the kitchen lights")
    await api.wait_for_state(KITCHEN, "on")
    async with asyncio.timeout(15):
        while True:
            answers = await _assist_answers(page)
            # While the answer is on its way the dialog shows "…" in its place.
            local_answer = answers[-1] if len(answers) > len(greeting) else ""
            if local_answer.strip() not in ("", "…", "..."):
                break
            await asyncio.sleep(0.2)
    await steps.shot("assist-turn-on-kitchen-lights")
    assert llm.requests_to(CHAT) == [], "local-first: the model was not asked"

    # Turn 2: a follow-up only the model understands; it dims the light.
    llm.script(
        Reply(
            tool_calls=[
                ToolCallStep(
                    "light__HassLightSet", {"name": "Kitchen Lights", "brightness": 30}
                )
            ]
        ),
        Reply(text="The kitchen lights are at 30 percent now."),
    )
    await _say(page, "now dim it to 30 percent")
    answer = page.locator("ha-assist-chat .message.hass").get_by_text(
        "The kitchen lights are at 30 percent now."
    )
    await answer.wait_for()
    await steps.shot("assist-dim-to-30-percent")
    # The dialog shows the model's tool call under the answer's details.
    await page.locator("ha-assist-chat").get_by_text("Show details").last.click()
    await page.locator("ha-assist-chat").get_by_text("HassLightSet").first.wait_for()
    await steps.shot("assist-tool-call-details")

    kitchen = await api.state(KITCHEN)
    assert kitchen["state"] == "on"
    assert brightness_percent(kitchen) == 30, kitchen["attributes"]
    requests = llm.requests_to(CHAT)
    assert len(requests) == 2
    first = requests[0].json
    assert first["model"] == MODEL
    offered = [tool["function"]["name"] for tool in first.get("tools", [])]
    assert "light__HassLightSet" in offered, offered
    # The words as said; a turn's home context, when the home does not fit
    # the overview, rides in front of the last ones (home/).
    said = [words_of(m) for m in first["messages"][1:]]
    assert said == [
        ("user", "turn on the kitchen lights"),
        ("assistant", local_answer),
        ("user", "now dim it to 30 percent"),
    ], said
    tool_result = requests[1].json["messages"][-1]
    assert tool_result["role"] == "tool", tool_result
    await page.keyboard.press("Escape")
    await page.locator("ha-assist-chat").wait_for(state="detached")


async def _run_text_pipeline(
    page: Page,
    steps: Steps,
    url: str,
    llm: LLMServer,
    api: HomeAssistantClient,
    pipeline_id: str,
) -> None:
    """A text-only Assist pipeline run over the websocket API, then its follow-up."""
    question = "Should I dim the living room lights as well?"
    llm.script(Reply(text=question), Reply(text="All right, only the kitchen."))
    before = len(llm.requests_to(CHAT))

    events = await api.run_pipeline(
        start_stage="intent",
        end_stage="intent",
        input={"text": "make the kitchen cosy"},
        pipeline=pipeline_id,
    )
    # intent-progress events carry the streamed answer; the rest is fixed.
    kinds = [event["type"] for event in events if event["type"] != "intent-progress"]
    assert kinds == ["run-start", "intent-start", "intent-end", "run-end"], events
    assert events[1]["data"]["engine"] == AGENT
    intent_end = next(e for e in events if e["type"] == "intent-end")["data"]
    assert intent_end["processed_locally"] is False
    output = intent_end["intent_output"]
    assert output["response"]["speech"]["plain"]["speech"] == question
    assert output["continue_conversation"] is True

    events = await api.run_pipeline(
        start_stage="intent",
        end_stage="intent",
        input={"text": "just the kitchen"},
        pipeline=pipeline_id,
        conversation_id=output["conversation_id"],
    )
    follow_up = next(e for e in events if e["type"] == "intent-end")["data"]
    assert (
        follow_up["intent_output"]["response"]["speech"]["plain"]["speech"]
        == "All right, only the kitchen."
    )
    assert follow_up["intent_output"]["continue_conversation"] is False
    sent = llm.requests_to(CHAT)[before:]
    assert len(sent) == 2
    assert [words_of(m) for m in sent[1].json["messages"][-3:]] == [
        ("user", "make the kitchen cosy"),
        ("assistant", question),
        ("user", "just the kitchen"),
    ]

    # The same runs, as Settings > Voice assistants > Debug shows them.
    await page.goto(f"{url}/config/voice-assistants/debug/{pipeline_id}")
    await page.get_by_text("All right, only the kitchen.").first.wait_for()
    await steps.shot("pipeline-debug")
