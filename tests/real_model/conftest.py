"""Fixtures of the real-model tier: a real llama-server, a real small model.

Usable by any test (`from tests.real_model.conftest import ...` is not
needed: fixtures here apply to tests under tests/real_model/):

- `llama_server`: the server with the tool-capable template, started once.
- `llama_factory(Flavour(...))`: a server of another flavour (the model's own
  template, or Jinja off), also started once per session.
- `real_entry`: a loaded Confidant entry whose agent talks to `llama_server`.
- `turn_report`: records per-turn numbers, printed in pytest's summary and
  written to the session's temporary directory as real_model_turns.json.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import (
    CONF_MAX_TOKENS,
    CONF_PROMPT_BUDGET,
    CONF_PROVIDER,
    CONF_TEMPERATURE,
    CONF_TIMEOUT,
    DOMAIN,
    PROVIDER_OPENAI_COMPATIBLE,
)

from ..conftest import Home, agent_subentry
from . import llama
from .llama import Flavour, LlamaServer

MODEL = "smollm2-135m-instruct"
# Each request predicts at most this many tokens: a turn stays in seconds.
AGENT_MAX_TOKENS = 32
# Every turn of the tier must be answered within this (real seconds): the
# machine is shared, and a first prompt of 1400 tokens took 16 to 34 s.
TURN_DEADLINE = 150.0


def pytest_configure(config: pytest.Config) -> None:
    """Name the tier's marker, so `-m "not real_model"` can leave it out."""
    config.addinivalue_line(
        "markers", "real_model: drives a real llama-server with a real model"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tier's tests; skip them with the reason when it cannot run."""
    reason = llama.missing()
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.real_model)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"real-model tier: {reason}"))


@dataclass
class TurnRecord:
    """What one real turn did, for the closing report."""

    test: str
    said: str
    answer: str
    seconds: float
    first_token_seconds: float | None
    tool_calls: list[str] = field(default_factory=list)
    outcome: str = ""
    # llama-server's own timings of the turn's requests (prompt tokens it
    # evaluated, and how long that took; tokens generated).
    server: list[dict[str, float]] = field(default_factory=list)


_RECORDS: list[TurnRecord] = []


@pytest.fixture
def turn_report(request: pytest.FixtureRequest) -> Callable[..., TurnRecord]:
    """Record a turn: `turn_report(said, answer, seconds, ttft, tools, outcome)`."""

    def record(
        said: str,
        answer: str,
        seconds: float,
        first_token_seconds: float | None,
        tool_calls: list[str] | None = None,
        outcome: str = "",
        server: list[dict[str, float]] | None = None,
    ) -> TurnRecord:
        entry = TurnRecord(
            request.node.name,
            said,
            answer,
            round(seconds, 2),
            None if first_token_seconds is None else round(first_token_seconds, 2),
            tool_calls or [],
            outcome,
            server or [],
        )
        _RECORDS.append(entry)
        return entry

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print every real turn: what was said, the outcome, the timings."""
    if not _RECORDS:
        return
    terminalreporter.section("real-model turns")
    terminalreporter.write_line(f"llama-server: {llama.version()}")
    for record in _RECORDS:
        ttft = (
            "-"
            if record.first_token_seconds is None
            else f"{record.first_token_seconds:.2f}s"
        )
        server = "; ".join(
            f"prompt {t['prompt_tokens']:.0f} tok in {t['prompt_ms'] / 1000:.2f}s"
            + (f", {t['eval_tokens']:.0f} generated" if "eval_tokens" in t else "")
            for t in record.server
        )
        terminalreporter.write_line(
            f"{record.test}: {record.said!r} -> {record.answer[:80]!r} "
            f"[{record.outcome}] tools={record.tool_calls} "
            f"first spoken piece {ttft}, turn {record.seconds:.2f}s; "
            f"server: {server or '-'}"
        )


@pytest.fixture(scope="session")
def _llama_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[Flavour, LlamaServer]]:
    servers: dict[Flavour, LlamaServer] = {}
    yield servers
    for server in servers.values():
        server.stop()
    if _RECORDS:
        (tmp_path_factory.getbasetemp() / "real_model_turns.json").write_text(
            json.dumps([asdict(record) for record in _RECORDS], indent=1)
        )


@pytest.fixture
def llama_factory(
    socket_enabled: None,
    _llama_registry: dict[Flavour, LlamaServer],
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Flavour], LlamaServer]:
    """Start (once per session) and return a server of a flavour."""

    def get(flavour: Flavour) -> LlamaServer:
        server = _llama_registry.get(flavour)
        if server is None or server.process.poll() is not None:
            server = llama.start(flavour, tmp_path_factory.mktemp("llama"))
            _llama_registry[flavour] = server
        return server

    return get


@pytest.fixture
def llama_server(llama_factory: Callable[[Flavour], LlamaServer]) -> LlamaServer:
    """The server with the tool-capable template."""
    return llama_factory(Flavour())


def real_agent_options(**options: object) -> dict[str, object]:
    """Agent options for the small model: short answers, the real context."""
    return {
        CONF_MAX_TOKENS: AGENT_MAX_TOKENS,
        CONF_TEMPERATURE: 0.0,
        CONF_TIMEOUT: TURN_DEADLINE,
        CONF_PROMPT_BUDGET: llama.CONTEXT_TOKENS - AGENT_MAX_TOKENS - 200,
        **options,
    }


async def add_real_entry(
    hass: HomeAssistant, server: LlamaServer, **options: object
) -> MockConfigEntry:
    """Set up a Confidant entry whose one agent uses `server`."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="llama.cpp",
        data={CONF_PROVIDER: PROVIDER_OPENAI_COMPATIBLE, CONF_URL: server.url},
        subentries_data=[
            agent_subentry(MODEL, **real_agent_options(**options))  # type: ignore[list-item]
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture(autouse=True)
async def settle_sdk_streams(hass: HomeAssistant) -> AsyncIterator[None]:
    """Let the SDK's finished streams close inside the test.

    The openai SDK leaves its inner SSE generator suspended after an answer;
    when it is collected, asyncio closes it in a task of its own (the
    scripted server's fixture gives the loop turns for the same reason). With
    a real server's connection that close takes more than a loop turn: the
    entries are unloaded, the garbage collected and those closing tasks
    awaited before Home Assistant's own teardown looks for lingering tasks.
    """
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)
    gc.collect()
    for _ in range(5):
        await asyncio.sleep(0)
    closing = [
        task
        for task in asyncio.all_tasks()
        if "async_generator_athrow" in repr(task.get_coro())
    ]
    if closing:
        await asyncio.wait(closing, timeout=10)


@pytest.fixture
async def real_entry(
    hass: HomeAssistant, home: Home, llama_server: LlamaServer
) -> MockConfigEntry:
    """A loaded entry talking to the real server."""
    return await add_real_entry(hass, llama_server)


class Stopwatch:
    """Real time of a turn and of its first streamed answer piece."""

    def __init__(self) -> None:
        """Start now."""
        self.started = time.perf_counter()
        self.first: float | None = None

    def mark_first(self) -> None:
        """The first piece arrived."""
        if self.first is None:
            self.first = time.perf_counter() - self.started

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.started


class FirstTokenWatch:
    """Wraps an entry's provider to time each request's first delta.

    Only the timing is added: requests and deltas pass through unchanged.
    """

    def __init__(self, provider: Any) -> None:
        """Wrap `provider`."""
        self._provider = provider
        # Seconds to the first delta (None: none came), per request.
        self.first_tokens: list[float | None] = []
        self.requests: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        """Everything else is the wrapped provider's."""
        return getattr(self._provider, name)

    async def async_stream(self, request: Any) -> Any:
        """Stream, noting when the first delta came."""
        self.requests.append(request)
        started = time.perf_counter()
        index = len(self.first_tokens)
        self.first_tokens.append(None)
        stream = self._provider.async_stream(request)
        try:
            async for delta in stream:
                if self.first_tokens[index] is None:
                    self.first_tokens[index] = time.perf_counter() - started
                yield delta
        finally:
            await stream.aclose()


def watch_first_tokens(entry: MockConfigEntry) -> FirstTokenWatch:
    """Time the first delta of every request the entry's agents send."""
    watch = FirstTokenWatch(entry.runtime_data.provider)
    entry.runtime_data.provider = watch
    return watch
