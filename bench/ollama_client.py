"""Confidant's Ollama client next to the official `ollama` library.

Run with `python -m bench.ollama_client` from the repository root, after
`pip install ollama==0.6.2` (Home Assistant core's pin; not a requirement of
Confidant, which keeps its own client: see providers/ollama.py).

Both clients talk to the same loopback server (tests/llm_server.py, Ollama's
native NDJSON protocol) in this process and send the same request body (built
by providers/ollama.py's `build_chat_body`). The library side is the smallest
adapter that gives the same deltas: `AsyncClient.chat(stream=True)` with its
`ChatResponse` objects mapped to text, reasoning, tool-call and usage deltas.

Figures, medians over alternating runs:
- turn: the wall time of one request, from the call to the last delta, for a
  small prompt and for a large one (many tools, a long history);
- first delta: from the server writing the first frame to the first delta
  reaching the caller;
- peak memory: tracemalloc's peak over one turn with a long answer;
- client: the time to create the client (the shared aiohttp session costs
  nothing; the library builds an httpx client and its SSL context).
Then a few tolerated faults of tests/test_provider_ollama.py, replayed to
both, to show which the library survives. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable

import aiohttp
import ollama

from custom_components.confidant import providers as p
from custom_components.confidant.providers.ollama import (
    OllamaProvider,
    build_chat_body,
)
from tests.llm_server import LLMServer, Reply, ToolCallStep

NDJSON = "application/x-ndjson"


class LibraryClient:
    """The official library, mapped to Confidant's deltas."""

    def __init__(self, base_url: str) -> None:
        """Create the library's client (its own httpx client)."""
        self.client = ollama.AsyncClient(host=base_url)

    async def stream(self, request: p.ProviderRequest) -> AsyncIterator[p.Delta]:
        """Stream the answer as deltas."""
        body = build_chat_body(request)
        stream = await self.client.chat(
            model=body["model"],
            messages=body["messages"],
            tools=body.get("tools"),
            stream=True,
            options=body["options"],
            keep_alive=body.get("keep_alive"),
            think=body.get("think"),
        )
        async for part in stream:
            message = part.message
            if message.thinking:
                yield p.ReasoningDelta(message.thinking)
            if message.content:
                yield p.TextDelta(message.content)
            for index, call in enumerate(message.tool_calls or ()):
                yield p.ToolCallDelta(
                    p.ToolCall(
                        f"call_{index}",
                        call.function.name,
                        dict(call.function.arguments),
                    )
                )
            if part.done:
                yield p.UsageDelta(
                    p.Usage(
                        input_tokens=part.prompt_eval_count or 0,
                        output_tokens=part.eval_count or 0,
                    )
                )


def _request(*, large: bool) -> p.ProviderRequest:
    tools = [
        p.ToolSpec(
            f"Tool{index}",
            "Does one thing to one kind of device in the home, by name or area.",
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "area": {"type": "string"},
                    "domain": {"type": "array", "items": {"type": "string"}},
                },
            },
        )
        for index in range(60 if large else 4)
    ]
    system = "You are a voice assistant. " + (
        "Kitchen light: on. Living room thermostat: 21 degrees. "
        * (400 if large else 5)
    )
    return p.ProviderRequest(
        model="llama-3.2-3b-instruct",
        messages=[p.SystemMessage(system), p.UserMessage("turn on the kitchen light")],
        tools=tools,
        spoken=False,
    )


def _reply(words: int) -> Reply:
    return Reply(
        text=" ".join(["word"] * words),
        tool_calls=[ToolCallStep("HassTurnOn", {"name": "Kitchen light"})],
    )


type Streamer = Callable[[p.ProviderRequest], AsyncIterator[p.Delta]]


async def _turn(
    server: LLMServer, stream: Streamer, request: p.ProviderRequest, words: int
) -> tuple[float, float]:
    """One turn: (wall seconds, seconds from first frame written to first delta)."""
    first_frame: list[float] = []
    reply = _reply(words)
    reply.on_frame = lambda index: (
        first_frame.append(time.perf_counter()) if index == 0 else None
    )
    server.script(reply)
    gc.collect()
    start = time.perf_counter()
    first_delta = 0.0
    async for _delta in stream(request):
        if not first_delta:
            first_delta = time.perf_counter()
    end = time.perf_counter()
    return end - start, first_delta - first_frame[0]


async def _peak(
    server: LLMServer, stream: Streamer, request: p.ProviderRequest, words: int
) -> int:
    server.script(_reply(words))
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    async for _delta in stream(request):
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.3f} ms"


async def _compare(server: LLMServer, clients: dict[str, Streamer], turns: int) -> None:
    for label, large, words in (
        ("small prompt, 40 words", False, 40),
        ("large prompt, 40 words", True, 40),
    ):
        request = _request(large=large)
        walls: dict[str, list[float]] = {name: [] for name in clients}
        firsts: dict[str, list[float]] = {name: [] for name in clients}
        for stream in clients.values():  # warm-up: connections, imports
            await _turn(server, stream, request, words)
        for index in range(turns):
            order = list(clients.items())
            if index % 2:
                order.reverse()
            for name, stream in order:
                wall, first = await _turn(server, stream, request, words)
                walls[name].append(wall)
                firsts[name].append(first)
        for name in clients:
            _say(
                f"{label:24} {name:9} turn {_ms(walls[name])}  "
                f"first frame -> first delta {_ms(firsts[name])}"
            )
    request = _request(large=True)
    for name, stream in clients.items():
        peaks = [await _peak(server, stream, request, 2000) for _ in range(5)]
        _say(
            f"large prompt, 2000 words {name:9} peak memory "
            f"{statistics.median(peaks) / 1024:.0f} KiB"
        )


# Faults the hand-written client tolerates (tests/test_provider_ollama.py).
_LINE = (
    b'{"model":"m","created_at":"2025-01-01T00:00:00Z","message":'
    b'{"role":"assistant","content":"The"},"done":false}\n'
)
_DONE = (
    b'{"model":"m","created_at":"2025-01-01T00:00:00Z","message":'
    b'{"role":"assistant","content":""},"done":true,"done_reason":"stop"}\n'
)
_STRING_ARGUMENTS = (
    b'{"model":"m","created_at":"2025-01-01T00:00:00Z","message":'
    b'{"role":"assistant","content":"","tool_calls":[{"function":'
    b'{"name":"HassTurnOn","arguments":"{\\"name\\": \\"Kitchen\\"}"}}]},'
    b'"done":false}\n'
)
_FAULTS = {
    "CRLF and blank lines": (_LINE + _DONE).replace(b"\n", b"\r\n\r\n"),
    "arguments as a JSON string": _STRING_ARGUMENTS + _DONE,
    "stream without done": _LINE,
}


async def _faults(server: LLMServer, clients: dict[str, Streamer]) -> None:
    request = _request(large=False)
    for fault, body in _FAULTS.items():
        for name, stream in clients.items():
            server.script_raw(body, NDJSON)
            try:
                deltas = [delta async for delta in stream(request)]
                outcome = f"{len(deltas)} deltas, no error"
            except Exception as err:  # reported, not handled
                outcome = f"raises {type(err).__name__}"
            _say(f"fault: {fault:28} {name:9} {outcome}")


async def _client_creation(base_url: str) -> None:
    times: dict[str, list[float]] = {"aiohttp": [], "library": []}
    for _ in range(20):
        start = time.perf_counter()
        OllamaProvider(_SESSION[0], base_url)
        times["aiohttp"].append(time.perf_counter() - start)
        start = time.perf_counter()
        client = LibraryClient(base_url)
        times["library"].append(time.perf_counter() - start)
        await client.client.close()
    for name, values in times.items():
        _say(f"client creation          {name:9} {_ms(values)}")


_SESSION: list[aiohttp.ClientSession] = []


async def main(turns: int) -> None:
    """Run the comparison and print the figures."""
    server = LLMServer()
    await server.start()
    base_url = f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession() as session:
        _SESSION.append(session)
        provider = OllamaProvider(session, base_url)
        library = LibraryClient(base_url)
        clients: dict[str, Streamer] = {
            "aiohttp": provider.async_stream,
            "library": library.stream,
        }
        await _compare(server, clients, turns)
        await _client_creation(base_url)
        await _faults(server, clients)
        await library.client.close()
    await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    asyncio.run(main(parser.parse_args().turns))
