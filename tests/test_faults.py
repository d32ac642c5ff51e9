"""Fault injection: every provider, every stage of an answer, a hostile server.

A real loopback HTTP server (tests/llm_server.py) plays each fault on the
wire the provider's real client reads: HTTP errors with the bodies servers
really send, connections reset at every stage, silent and trickling servers,
garbage, wrong content types, missing end markers, invalid UTF-8, huge
answers, tool-call pathologies, camera images that are not images, and
hostile input text. Each fault is played against each provider, through
Home Assistant's conversation API, and must give what a person would accept:

- a spoken sentence (a translated error, or the model's own words),
- within the turn's deadline,
- without a traceback in the log,
- with the agent still available,
- and a next turn in the same conversation that works.

Set CONFIDANT_FAULT_REPORT to a file path to get the fault count and the
turn durations written there as JSON.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.confidant.const import (
    CONF_ALLOW_CLOUD_IMAGES,
    CONF_PROVIDER,
    CONF_TIMEOUT,
    DOMAIN,
    MAX_TOOL_ITERATIONS,
    TURN_DEADLINE_FACTOR,
)
from custom_components.confidant.dialogue.answer_guard import MAX_ANSWER_CHARS
from custom_components.confidant.providers import deadline
from custom_components.confidant.providers.markup_filter import MAX_SPOKEN_CHARS

from .cameras import async_setup_front_door_camera, png_header, porch_jpeg
from .conftest import (
    AGENT_ID,
    PROVIDERS,
    Home,
    agent_subentry,
    ask,
    async_load_provider_entry,
    provider_url,
    speech,
)
from .llm_server import LLMServer, RawReply, Reply, ToolCallStep
from .protocols.anthropic import anthropic_error_body
from .protocols.chat_completions import openai_error_body
from .protocols.ollama import go_json, ollama_error_body

# The agent's timeout in the faults about time: each model request,
# streaming included, must end by then, the whole turn by its deadline.
TIMEOUT = 0.5
# The others get a timeout no busy test machine reaches by accident; their
# turns must still end within its deadline.
RELAXED_TIMEOUT = 10.0
# Scheduling on a busy test machine, and Home Assistant's own steps.
SLACK = 1.0

_EN = json.loads(
    (
        Path(__file__).parents[1] / "custom_components/confidant/translations/en.json"
    ).read_text()
)["exceptions"]


# Errors whose spoken sentence may be the server's own explanation instead.
SERVER_MAY_EXPLAIN = frozenset(
    {"bad_request", "server_error", "model_not_found", "rate_limited"}
)


def message(key: str) -> str:
    """The English sentence of a translation key, up to its first placeholder."""
    return str(_EN[key]["message"]).split("{", 1)[0]


@dataclass(frozen=True)
class Said:
    """The model's own words are spoken (exactly, or starting with `text`)."""

    text: str
    exact: bool = True


type Expected = str | Said | dict[str, str | Said]
type Serve = Callable[[HomeAssistant, LLMServer, str], Awaitable[None] | None]


@dataclass(frozen=True)
class Fault:
    """One way a server, a model, a camera or a person can misbehave."""

    name: str
    serve: Serve
    # A translation key, the model's words, or either per provider.
    expected: Expected
    said: str = "what's the weather like"
    # Checked after the turn, with the spoken answer.
    check: Callable[[HomeAssistant, LLMServer, str, str], None] | None = None
    # Marks of the fault family, for the report.
    family: str = ""
    timeout: float = RELAXED_TIMEOUT

    @property
    def deadline(self) -> float:
        """When the turn must have ended, in seconds."""
        return self.timeout * TURN_DEADLINE_FACTOR


FAULTS: list[Fault] = []


def fault(
    family: str, name: str, expected: Expected, **kwargs: Any
) -> Callable[[Serve], Serve]:
    """Register a fault whose server script is the decorated function."""

    def register(serve: Serve) -> Serve:
        if family == "time":
            kwargs.setdefault("timeout", TIMEOUT)
        FAULTS.append(Fault(name, serve, expected, family=family, **kwargs))
        return serve

    return register


def script(*replies: Reply) -> Serve:
    """A fault that is just scripted replies."""

    def serve(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
        server.script(*replies)

    return serve


def raw(*faults: RawReply) -> Serve:
    """A fault that is raw bytes, whatever the protocol."""

    def serve(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
        server.script_fault(*faults)

    return serve


def register(
    family: str, name: str, serve: Serve, expected: Expected, **kw: Any
) -> None:
    """Register a fault made by `script` or `raw`."""
    if family == "time":
        kw.setdefault("timeout", TIMEOUT)
    FAULTS.append(Fault(name, serve, expected, family=family, **kw))


def raw_by_kind(make: Callable[[str], RawReply]) -> Serve:
    """A fault that is raw bytes made for the provider's protocol."""

    def serve(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
        server.script_fault(make(kind))

    return serve


# --- What each protocol looks like ---------------------------------------------

SSE = "text/event-stream"
NDJSON = "application/x-ndjson"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr>"
    b"<center>nginx/1.27.3</center></body></html>\n"
)
LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
    b'<form method="post" action="/login"><input name="user"></form></body></html>'
)


def error_body(kind: str, status: int) -> dict[str, Any]:
    """The JSON error body each API sends for a status."""
    if kind == "anthropic":
        return anthropic_error_body(status)
    if kind == "ollama":
        return ollama_error_body(status, "llama-3.2-3b-instruct")
    return openai_error_body(status)


def content_type(kind: str) -> str:
    return NDJSON if kind == "ollama" else SSE


def replace_in_frames(old: bytes, new: bytes) -> Callable[[list[bytes]], list[bytes]]:
    """A mangle that replaces bytes in every frame."""
    return lambda frames: [frame.replace(old, new) for frame in frames]


def drop_end_marker(kind: str) -> Callable[[list[bytes]], list[bytes]]:
    """A mangle that drops the frame(s) that end the answer."""
    markers = {
        "openai": b"response.completed",
        # The stop reason comes in message_delta, just before message_stop.
        "anthropic": b"message_",
        "ollama": b'"done":true',
        "openai_compatible": b"[DONE]",
    }
    return lambda frames: [f for f in frames if markers[kind] not in f]


def truncate_mid_frame(frames: list[bytes]) -> list[bytes]:
    """Half of the fourth frame, then a clean end of the body."""
    return [*frames[:3], frames[3][: len(frames[3]) // 2]]


def half_a_frame_then_reset(frames: list[bytes]) -> list[bytes]:
    """Half of the fourth frame; a `cut_after=4` then resets the connection."""
    return [*truncate_mid_frame(frames), b""]


def _json_frames(
    frames: list[bytes], change: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> list[bytes]:
    """Rewrite the JSON of each SSE `data:` line or NDJSON line."""
    out = []
    for frame in frames:
        lines = []
        for line in frame.split(b"\n"):
            prefix = b"data: " if line.startswith(b"data: ") else b""
            body = line.removeprefix(prefix)
            if body.startswith(b"{"):
                changed = change(json.loads(body))
                if changed is None:
                    lines = []
                    break
                body = (
                    go_json(changed).encode()
                    if not prefix
                    else json.dumps(changed).encode()
                )
            lines.append(prefix + body)
        if lines:
            out.append(b"\n".join(lines))
    return out


def null_message(kind: str) -> Callable[[list[bytes]], list[bytes]]:
    """Every text-carrying field of the answer set to null."""

    def change(data: dict[str, Any]) -> dict[str, Any]:
        if kind == "openai_compatible":
            for choice in data.get("choices", []):
                choice["delta"] = None
            return data
        if kind == "ollama":
            data["message"] = None
            return data
        if kind == "anthropic" and data.get("type") == "content_block_delta":
            data["delta"]["text"] = None
            return data
        if kind == "openai" and "delta" in data:
            data["delta"] = None
        if kind == "openai" and data.get("type") == "response.output_item.done":
            data["item"]["content"] = None
        return data

    return lambda frames: _json_frames(frames, change)


def empty_choices(kind: str) -> Callable[[list[bytes]], list[bytes]]:
    """An answer with no choice (Chat Completions) or no content at all."""

    def change(data: dict[str, Any]) -> dict[str, Any] | None:
        if kind == "openai_compatible":
            data["choices"] = []
            return data
        if kind == "ollama":
            data.pop("message", None)
            return data if data.get("done") else None
        if kind == "anthropic":
            if data.get("type", "").startswith("content_block"):
                return None
            return data
        if data.get("type", "").startswith(
            ("response.output_item", "response.content_part", "response.output_text")
        ):
            return None
        return data

    return lambda frames: _json_frames(frames, change)


def other_protocol(kind: str) -> bytes:
    """A valid answer, but in another provider's protocol."""
    if kind == "ollama":
        return (
            b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
            b"data: [DONE]\n\n"
        )
    return (
        b'{"model":"m","message":{"role":"assistant","content":"Hi"},"done":false}\n'
        b'{"model":"m","message":{"role":"assistant","content":""},"done":true}\n'
    )


def whole_json_answer(kind: str) -> tuple[bytes, str]:
    """A non-streamed answer, sent to a request that asked for a stream."""
    if kind == "ollama":
        return (
            go_json(
                {
                    "model": "m",
                    "message": {"role": "assistant", "content": "Sunny all day."},
                    "done": True,
                    "done_reason": "stop",
                }
            ).encode(),
            "application/json; charset=utf-8",
        )
    return (
        json.dumps(
            {
                "id": "x",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Sunny all day."},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode(),
        "application/json",
    )


LOOK = "confidant__look_at_camera"
TURN_ON = "intent__HassTurnOn"
ANSWER = "It is sunny and 21 degrees."
AFTER_TOOL = "I could not do that, sorry."

# --- HTTP status families, with the bodies servers really send ------------------


def status(code: int) -> Serve:
    def serve(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
        server.script_fault(
            RawReply(
                body=json.dumps(error_body(kind, code)).encode(),
                status=code,
                content_type="application/json",
            )
        )

    return serve


for code, key in (
    (400, "bad_request"),
    (401, "invalid_auth"),
    (403, "invalid_auth"),
    (404, "model_not_found"),
    (408, "bad_request"),
    (413, "bad_request"),
    (422, "bad_request"),
    (429, "rate_limited"),
    (500, "server_error"),
    (503, "server_error"),
):
    register("status", f"http_{code}", status(code), key)

register(
    "status",
    "http_529_overloaded",
    status(529),
    "server_error",
)
register(
    "status",
    "http_502_html_from_a_proxy",
    raw(RawReply(body=HTML_PAGE, status=502, content_type="text/html")),
    "server_error",
)
register(
    "status",
    "http_504_gateway_timeout_html",
    raw(
        RawReply(
            body=HTML_PAGE.replace(b"502 Bad Gateway", b"504 Gateway Time-out"),
            status=504,
            content_type="text/html",
        )
    ),
    # Anthropic documents 504 as its own timeout error.
    {
        "anthropic": "timeout",
        "openai": "server_error",
        "ollama": "server_error",
        "openai_compatible": "server_error",
    },
)
register(
    "status",
    "http_503_plain_text_retry_after",
    raw(
        RawReply(
            body=b"upstream connect error or disconnect/reset before headers",
            status=503,
            content_type="text/plain",
            headers={"Retry-After": "120"},
        )
    ),
    "server_error",
)
register(
    "status",
    "http_302_to_a_login_page",
    raw(
        RawReply(
            body=LOGIN_PAGE,
            status=302,
            content_type="text/html",
            headers={"Location": "http://127.0.0.1:9/login"},
        )
    ),
    # The SDKs do not follow it, aiohttp follows it to a closed port: either
    # way the URL is not the API.
    "cannot_connect",
)


@fault(
    "status",
    "http_200_with_an_error_body",
    # Ollama reports a failed runner as an error line of a 200 answer.
    {
        "openai": "malformed_response",
        "anthropic": "malformed_response",
        "ollama": "server_error",
        "openai_compatible": "malformed_response",
    },
)
def _ok_with_error(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
    server.script_fault(
        RawReply(
            body=json.dumps(error_body(kind, 500)).encode(),
            content_type="application/json",
        )
    )


# --- Connections reset at every stage ------------------------------------------

register(
    "reset", "reset_before_any_byte", raw(RawReply(reset="request")), "cannot_connect"
)
register(
    "reset",
    "reset_after_the_headers",
    raw_by_kind(
        lambda kind: RawReply(reset="headers", content_type=content_type(kind))
    ),
    "stream_interrupted",
)
register(
    "reset",
    "reset_after_the_first_event",
    script(Reply(text="It is sunny and warm today in the whole region.", cut_after=1)),
    "stream_interrupted",
)
register(
    "reset",
    "reset_mid_answer",
    script(Reply(text="It is sunny and warm today in the whole region.", cut_after=6)),
    "stream_interrupted",
)
register(
    "reset",
    "reset_in_the_middle_of_a_frame",
    script(
        Reply(
            text="It is sunny and warm today in the whole region.",
            mangle=half_a_frame_then_reset,
            cut_after=4,
        )
    ),
    "stream_interrupted",
)


@fault("reset", "reset_during_tool_call_arguments", "stream_interrupted")
def _reset_in_tool_call(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
    call = ToolCallStep(TURN_ON, {"name": "Kitchen lights, all of them please"})
    if kind == "ollama":
        # Ollama sends a call whole, in one line: cut that line in half.
        server.script(
            Reply(
                tool_calls=[call],
                mangle=lambda frames: [frames[0][: len(frames[0]) // 2], b""],
                cut_after=1,
            )
        )
    else:
        server.script(Reply(tool_calls=[call], cut_after=4))


# --- Silent, stalled and trickling servers ---------------------------------------

LOG_LINES: list[str] = []


def _deadline_was(
    hass: HomeAssistant, server: LLMServer, kind: str, said: str, answer: str, why: str
) -> None:
    """The log names the deadline that ended the turn (request or whole turn)."""
    reasons = {why}
    if kind in ("ollama", "openai_compatible") and why == "no complete answer in time":
        # A local model's first word has its own deadline (first_token.py),
        # which a trickle without a word reaches first.
        reasons.add("no answer in time")
    assert any(
        f"could not answer: timeout {reason}" in line
        for line in LOG_LINES
        for reason in reasons
    )


register("time", "silent_server", raw(RawReply(silent=True)), "timeout")
register(
    "time",
    "headers_then_silence",
    raw_by_kind(lambda kind: RawReply(hang=True, content_type=content_type(kind))),
    "timeout",
)
register(
    "time",
    "stalls_mid_answer",
    script(
        Reply(text="It is sunny and warm today in the whole region.", stall_after=4)
    ),
    "timeout",
)
register(
    "time",
    "trickles_one_byte_at_a_time",
    # Every read gets a byte well within the per-read timeout; only a total
    # deadline ends this answer.
    script(Reply(text="It is sunny and warm today. " * 20, trickle=0.01)),
    "timeout",
    check=lambda *args: _deadline_was(*args, "no complete answer in time"),
)
register(
    "time",
    "keep_alive_pings_for_ever",
    raw_by_kind(
        lambda kind: RawReply(
            body=b"\n" if kind == "ollama" else b": keep-alive\n\n",
            every=0.02,
            content_type=content_type(kind),
        )
    ),
    "timeout",
    check=lambda *args: _deadline_was(*args, "no complete answer in time"),
)
register(
    "time",
    "slow_tool_loop_passes_the_turn_deadline",
    # Each request answers within its own timeout; together they do not.
    script(
        *[
            Reply(
                tool_calls=[ToolCallStep(TURN_ON, {"name": "Kitchen lights"})],
                latency=TIMEOUT * 0.6,
            )
            for _ in range(round(TURN_DEADLINE_FACTOR / 0.6) + 1)
        ]
    ),
    "timeout",
    check=lambda *args: _deadline_was(*args, "turn took too long"),
)

# --- Garbage and wrong content types ---------------------------------------------

register(
    "garbage",
    "empty_200_event_stream",
    raw_by_kind(lambda kind: RawReply(content_type=content_type(kind))),
    "malformed_response",
)
register(
    "garbage",
    "empty_200_json",
    raw(RawReply(content_type="application/json")),
    "malformed_response",
)
register(
    "garbage",
    "html_page_200",
    raw(RawReply(body=LOGIN_PAGE, content_type="text/html; charset=utf-8")),
    "malformed_response",
)
register(
    "garbage",
    "plain_text_200",
    raw(RawReply(body=b"It works!\n", content_type="text/plain")),
    "malformed_response",
)
register(
    "garbage",
    "binary_noise_200",
    raw(
        RawReply(
            body=bytes((i * 37 + 11) % 256 for i in range(4096)),
            content_type="application/octet-stream",
        )
    ),
    "malformed_response",
)
register(
    "garbage",
    "no_content_type_200",
    raw_by_kind(
        lambda _kind: RawReply(body=b"\x00\x01\x02 nothing to see", content_type=None)
    ),
    "malformed_response",
)
register(
    "garbage",
    "event_data_that_is_not_json",
    raw_by_kind(
        lambda kind: RawReply(
            body=b"{not json at all\n"
            if kind == "ollama"
            else b"event: message\ndata: {not json at all\n\n",
            content_type=content_type(kind),
        )
    ),
    "malformed_response",
)
register(
    "garbage",
    "event_data_of_the_wrong_shape",
    raw_by_kind(
        lambda kind: RawReply(
            body=b"[1, 2, 3]\n" if kind == "ollama" else b"data: [1, 2, 3]\n\n",
            content_type=content_type(kind),
        )
    ),
    "malformed_response",
)
register(
    "garbage",
    "another_providers_protocol",
    raw_by_kind(
        lambda kind: RawReply(
            body=other_protocol(kind),
            content_type=NDJSON if kind != "ollama" else SSE,
        )
    ),
    "malformed_response",
)


@fault(
    "garbage",
    "whole_json_answer_to_a_stream_request",
    # NDJSON of one line is a complete Ollama answer; the SSE clients find no
    # event in it.
    {
        "ollama": Said("Sunny all day."),
        "openai": "malformed_response",
        "anthropic": "malformed_response",
        "openai_compatible": "malformed_response",
    },
)
def _whole_json(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
    body, ctype = whole_json_answer(kind)
    server.script_fault(RawReply(body=body, content_type=ctype))


register(
    "garbage",
    "invalid_utf8_in_the_answer",
    script(
        Reply(
            text="It is sunny BROKEN today.",
            mangle=replace_in_frames(b"BROKEN", b"\xff\xfe\xc3"),
        )
    ),
    # Where the bytes are read as text they become U+FFFD and the rest is
    # spoken; the Anthropic and OpenAI SDKs' own event decoders refuse them.
    {
        "openai": Said("It is sunny \ufffd", exact=False),
        "anthropic": "malformed_response",
        "ollama": Said("It is sunny \ufffd", exact=False),
        "openai_compatible": "malformed_response",
    },
)
register(
    "garbage",
    "content_encoding_that_lies",
    raw_by_kind(
        lambda kind: RawReply(
            body=b"plain bytes, not gzip",
            content_type=content_type(kind),
            headers={"Content-Encoding": "gzip"},
        )
    ),
    {
        "openai": "stream_interrupted",
        "anthropic": "stream_interrupted",
        "ollama": "stream_interrupted",
        "openai_compatible": "stream_interrupted",
    },
)

# --- Missing end markers -------------------------------------------------------------


@fault(
    "end",
    "end_marker_missing",
    # Chat Completions servers that omit `[DONE]` are common and tolerated
    # (the last chunk has its finish_reason); the others cut the answer.
    {
        "openai": "stream_interrupted",
        "anthropic": "stream_interrupted",
        "ollama": "stream_interrupted",
        "openai_compatible": Said(ANSWER),
    },
)
def _no_end(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
    server.script(Reply(text=ANSWER, mangle=drop_end_marker(kind)))


register(
    "end",
    "body_ends_mid_frame",
    script(
        Reply(
            text="It is sunny and warm today in the whole region.",
            mangle=truncate_mid_frame,
        )
    ),
    "stream_interrupted",
)

# --- Huge answers --------------------------------------------------------------------


def _cut_with_note(
    hass: HomeAssistant, server: LLMServer, kind: str, said: str, answer: str
) -> None:
    if kind in ("ollama", "openai_compatible"):
        # A local model's answer passes the spoken-answer guard first
        # (providers/markup_filter.py): it stops at the first repetition or
        # at its own, shorter maximum.
        assert len(answer) <= MAX_SPOKEN_CHARS
        return
    assert answer.endswith(message("answer_too_long"))
    assert len(answer) <= MAX_ANSWER_CHARS + 200


register(
    "huge",
    "a_runaway_answer",
    script(Reply(text="The weather is fine. " * 20_000, piece_size=1000)),
    Said("The weather is fine.", exact=False),
    check=_cut_with_note,
)
register(
    "huge",
    "one_giant_frame",
    script(Reply(text="blah " * 400_000, piece_size=2_000_000)),
    # A local model's loop, held back whole by the spoken-answer guard, is
    # answered with a sentence of Confidant's own.
    {
        "openai": Said("blah blah", exact=False),
        "anthropic": Said("blah blah", exact=False),
        "ollama": "no_spoken_answer",
        "openai_compatible": "no_spoken_answer",
    },
    check=_cut_with_note,
)
register(
    "huge",
    "a_megabyte_of_reasoning",
    # One piece: the protocols split reasoning at spaces.
    script(Reply(reasoning="h" * 1_000_000, text=ANSWER)),
    Said(ANSWER),
)
register(
    "huge",
    "a_hundred_kilobytes_of_tool_arguments",
    script(
        Reply(tool_calls=[ToolCallStep(TURN_ON, {"name": "x" * 100_000})]),
        Reply(text=AFTER_TOOL),
    ),
    Said(AFTER_TOOL),
)

# --- Tool-call pathologies and empty answers ----------------------------------------

register(
    "tools",
    "tool_call_without_a_name",
    script(Reply(tool_calls=[ToolCallStep("", {"name": "Kitchen lights"})])),
    "malformed_response",
)
register(
    "tools",
    "tool_call_named_with_blanks",
    script(Reply(tool_calls=[ToolCallStep("   ", {"name": "Kitchen lights"})])),
    "malformed_response",
)
register(
    "tools",
    "tool_arguments_not_json",
    script(
        Reply(tool_calls=[ToolCallStep(TURN_ON, '{"name": "Kitchen')]),
        Reply(text=AFTER_TOOL),
    ),
    Said(AFTER_TOOL),
)
register(
    "tools",
    "tool_arguments_a_json_array",
    script(
        Reply(tool_calls=[ToolCallStep(TURN_ON, '["Kitchen lights"]')]),
        Reply(text=AFTER_TOOL),
    ),
    Said(AFTER_TOOL),
)
register(
    "tools",
    "tool_that_does_not_exist",
    script(
        Reply(tool_calls=[ToolCallStep("rm_rf_everything", {})]),
        Reply(text=AFTER_TOOL),
    ),
    Said(AFTER_TOOL),
)
register(
    "tools",
    "two_tool_calls_with_one_id",
    script(
        Reply(
            tool_calls=[
                ToolCallStep(TURN_ON, {"name": "Kitchen lights"}, id="call_same"),
                ToolCallStep("GetLiveContext", {}, id="call_same"),
            ]
        ),
        Reply(text="The kitchen lights are on."),
    ),
    Said("The kitchen lights are on."),
)
register(
    "tools",
    "endless_tool_loop",
    script(
        *[
            Reply(tool_calls=[ToolCallStep(TURN_ON, {"name": "Kitchen lights"})])
            for _ in range(MAX_TOOL_ITERATIONS)
        ]
    ),
    "tool_loop_limit",
)
register("tools", "empty_answer", script(Reply(text="")), "malformed_response")
register("tools", "blank_answer", script(Reply(text="   \n  ")), "malformed_response")
register(
    "tools",
    "reasoning_but_no_answer",
    script(Reply(reasoning="The user wants the weather. I will not say.")),
    "malformed_response",
)


@fault("tools", "null_message", "malformed_response")
def _null(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
    server.script(Reply(text=ANSWER, mangle=null_message(kind)))


@fault("tools", "empty_choices", "malformed_response")
def _no_choices(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
    server.script(Reply(text=ANSWER, mangle=empty_choices(kind)))


def _light_is_on(
    hass: HomeAssistant, server: LLMServer, kind: str, said: str, answer: str
) -> None:
    light = next(
        state
        for state in hass.states.async_all("light")
        if state.name == "Kitchen lights"
    )
    assert light.state == STATE_ON


register(
    "tools",
    "tool_call_then_silence",
    script(
        Reply(tool_calls=[ToolCallStep(TURN_ON, {"name": "Kitchen lights"})]),
        Reply(text=""),
    ),
    "action_done",
    check=_light_is_on,
)

# --- Camera images that are not what they claim -------------------------------------


def camera_fault(image: bytes | None) -> Serve:
    """The model looks through a camera whose snapshot is `image`."""

    async def serve(hass: HomeAssistant, server: LLMServer, kind: str) -> None:
        await async_setup_front_door_camera(hass, image or b"")
        if image is None:
            camera = hass.data["camera"].get_entity("camera.front_door")
            camera.image = None
        async_expose_entity(hass, "conversation", "camera.front_door", True)
        server.script(
            Reply(
                tool_calls=[
                    ToolCallStep(LOOK, {"camera": "Front door", "question": "Who?"})
                ]
            ),
            Reply(text="I can't see the front door right now."),
        )

    return serve


def _no_image_sent(
    hass: HomeAssistant, server: LLMServer, kind: str, said: str, answer: str
) -> None:
    # The model was asked twice (the look, the answer); no describer request.
    assert (
        len(
            [r for r in server.requests if r.method == "POST" and r.path != "/api/show"]
        )
        == 2
    )


for name, image in (
    ("camera_image_claims_900_megapixels", png_header(30_000, 30_000)),
    ("camera_image_claims_60_megapixels", png_header(10_000, 6_000)),
    ("camera_image_is_not_an_image", b"<html>camera offline</html>"),
    ("camera_image_is_a_truncated_jpeg", porch_jpeg()[:40]),
    ("camera_gives_no_image", None),
):
    register(
        "camera",
        name,
        camera_fault(image),
        Said("I can't see the front door right now."),
        check=_no_image_sent,
    )

# --- Hostile input and output text ------------------------------------------------


def _surrogate_replaced(
    hass: HomeAssistant, server: LLMServer, kind: str, said: str, answer: str
) -> None:
    body = next(r for r in server.requests if r.method == "POST").body.decode()
    assert "\\ud800" not in body.lower()
    assert "\ud800" not in answer


register(
    "input",
    "lone_surrogate_in_what_was_said",
    script(Reply(text=ANSWER)),
    Said(ANSWER),
    said="what's the \ud800 weather like",
    check=_surrogate_replaced,
)
register(
    "input",
    "control_characters_in_what_was_said",
    script(Reply(text=ANSWER)),
    Said(ANSWER),
    said="what's the\x00\x1b[2J weather\x07 like",
)
register(
    "input",
    "a_hundred_thousand_characters_said",
    script(Reply(text=ANSWER)),
    Said(ANSWER),
    said="weather " * 12_500,
)
register(
    "input",
    "nothing_said",
    script(Reply(text=ANSWER)),
    Said(ANSWER),
    said="",
)
register(
    "output",
    "lone_surrogate_in_the_answer",
    script(
        Reply(text="It is MARK sunny.", mangle=replace_in_frames(b"MARK", b"\\ud800"))
    ),
    Said("It is \ufffd sunny."),
)
register(
    "output",
    "control_characters_in_the_answer",
    script(
        Reply(
            text="It is MARK sunny.",
            mangle=replace_in_frames(b"MARK", b"\\u0000\\u001b"),
        )
    ),
    Said("It is  sunny."),
)

# --- The test ----------------------------------------------------------------------

DURATIONS: dict[str, float] = {}
DEADLINES: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    """Write the fault count and the turn durations where asked to."""
    yield
    if path := os.environ.get("CONFIDANT_FAULT_REPORT"):
        Path(path).write_text(
            json.dumps(
                {
                    "faults": len(FAULTS),
                    "cases": len(DURATIONS),
                    "longest": max(
                        DURATIONS.items(), key=lambda kv: kv[1], default=None
                    ),
                    "closest_to_deadline": max(
                        (
                            (name, took / DEADLINES[name])
                            for name, took in DURATIONS.items()
                        ),
                        key=lambda kv: kv[1],
                        default=None,
                    ),
                    "durations": DURATIONS,
                },
                indent=1,
            )
        )


@pytest.fixture(params=PROVIDERS)
def kind(request: pytest.FixtureRequest) -> str:
    """The provider under test."""
    return str(request.param)


@pytest.fixture
async def entry(
    hass: HomeAssistant, home: Home, llm_server: LLMServer, kind: str, case: Fault
) -> MockConfigEntry:
    """A loaded entry of the provider under test, with the fault's timeout."""
    return await async_load_provider_entry(
        hass,
        llm_server,
        kind,
        agent_subentry(**{CONF_TIMEOUT: case.timeout}),
        options={CONF_ALLOW_CLOUD_IMAGES: True},
    )


def is_sentence(text: str) -> bool:
    """Words ending like a sentence a speech engine can say."""
    return any(c.isalpha() for c in text) and text.rstrip()[-1:] in ".!?…"


def assert_expected(expected: Expected, kind: str, answer: str) -> None:
    if isinstance(expected, dict):
        expected = expected[kind]
    if isinstance(expected, Said):
        if expected.exact:
            assert answer == expected.text
        else:
            assert answer.startswith(expected.text)
        return
    if expected in SERVER_MAY_EXPLAIN and answer.startswith(message("server_said")):
        # The server's own explanation, when it says more than "an error",
        # is spoken instead (providers/server_message.py, issue 16).
        return
    assert answer.startswith(message(expected)), (expected, answer)


@pytest.mark.parametrize("case", FAULTS, ids=[f.name for f in FAULTS])
async def test_fault(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    llm_server: LLMServer,
    kind: str,
    case: Fault,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The fault is answered in words, in time, quietly; the next turn works."""
    caplog.set_level(logging.DEBUG)
    served = case.serve(hass, llm_server, kind)
    if served is not None:
        await served

    started = time.monotonic()
    result = await ask(hass, case.said)
    took = time.monotonic() - started
    DURATIONS[f"{case.name}[{kind}]"] = round(took, 3)
    DEADLINES[f"{case.name}[{kind}]"] = case.deadline

    LOG_LINES[:] = [record.getMessage() for record in caplog.records]
    answer = speech(result)
    assert is_sentence(answer), answer
    assert_expected(case.expected, kind, answer)
    if case.check is not None:
        case.check(hass, llm_server, kind, case.said, answer)
    assert took < case.deadline + SLACK
    assert not [
        record
        for record in caplog.records
        # Home Assistant's and Confidant's logs at any level, and any other
        # library's from INFO up. (The SDKs' and asyncio's own DEBUG logs
        # show the exceptions they handle, when someone turns them on.)
        if (
            record.levelno >= logging.INFO
            or record.name.startswith(("homeassistant", "custom_components"))
        )
        and (
            record.exc_info
            or "Traceback" in record.getMessage()
            or "unexpectedly" in record.getMessage()
        )
    ]
    state = hass.states.get(AGENT_ID)
    assert state is not None and state.state != STATE_UNAVAILABLE
    # Everything scripted was played: the fault happened as described.
    assert not llm_server.replies or case.family == "time"
    assert not llm_server.raw_replies

    llm_server.replies.clear()
    llm_server.script(Reply(text="Here I am."))
    result = await ask(hass, "are you still there?", result.conversation_id)
    assert speech(result) == "Here I am."


# --- The model list: entry setup and the config flow wait for it -------------------


@pytest.mark.parametrize("provider_kind", PROVIDERS)
@pytest.mark.parametrize(
    "list_fault",
    [
        RawReply(body=b'{"data": [' + b" " * 400, trickle=0.01),
        RawReply(silent=True),
    ],
    ids=["trickling", "silent"],
)
async def test_a_model_list_that_never_ends(
    hass: HomeAssistant,
    home: Home,
    llm_server: LLMServer,
    provider_kind: str,
    list_fault: RawReply,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Setup gives up in time and retries later; it does not hang on the server."""
    monkeypatch.setattr(deadline, "LIST_MODELS_TIMEOUT", TIMEOUT)
    llm_server.list_faults.append(list_fault)
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_PROVIDER: provider_kind,
            CONF_URL: provider_url(provider_kind, llm_server),
            CONF_API_KEY: "test-key",
        },
        subentries_data=[agent_subentry()],
    )
    entry.add_to_hass(hass)
    started = time.monotonic()
    await hass.config_entries.async_setup(entry.entry_id)
    took = time.monotonic() - started
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None and "took too long" in entry.reason
    assert took < TIMEOUT + SLACK
