"""How much of a request repeats the prefix of an earlier one, as a cache sees it.

A provider's prompt cache (OpenAI, Anthropic) or a local server's KV cache
(llama.cpp, Ollama, vLLM) reuses the longest prefix a request shares with
one it processed before. Each protocol's request is read here as the
sequence a model reads it in: tools, the system prompt, then the messages.
Cache breakpoints (Anthropic's `cache_control`) are markers, not content,
and are left out. Tokens are estimated as bytes / 4.

The loopback server reports usage from this (tests/llm_server.py), and the
benchmark measures each request's repeated share with it.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

BYTES_PER_TOKEN = 4


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def _dump(value: Any) -> str:
    return json.dumps(_strip(value), ensure_ascii=False)


def prompt_parts(kind: str, body: dict[str, Any]) -> list[str]:
    """The parts of a request's prompt, in the order a model reads them."""
    tools = _dump(body.get("tools") or [])
    if kind == "openai":
        return [
            tools,
            _dump(body.get("instructions") or ""),
            *map(_dump, body.get("input") or []),
        ]
    if kind == "anthropic":
        return [
            tools,
            _dump(body.get("system") or ""),
            *map(_dump, body.get("messages") or []),
        ]
    # Chat Completions and Ollama: the system message first, the tools (a
    # chat template puts them in or after it), then the conversation.
    messages = body.get("messages") or []
    head = messages[:1] if messages and messages[0].get("role") == "system" else []
    return [*map(_dump, head), tools, *map(_dump, messages[len(head) :])]


def common_prefix_bytes(first: list[str], second: list[str]) -> int:
    """Bytes of the longest prefix two prompts share."""
    shared = 0
    for a, b in zip(first, second, strict=False):
        if a == b:
            shared += len(a.encode())
            continue
        same = 0
        for x, y in zip(a, b, strict=False):
            if x != y:
                break
            same += 1
        return shared + len(a[:same].encode())
    return shared


def size_bytes(parts: list[str]) -> int:
    """Bytes of a prompt."""
    return sum(len(part.encode()) for part in parts)


@dataclass
class PromptUsage:
    """Tokens of a prompt, and how many of them a cache held."""

    total: int
    cached: int


class PromptCache:
    """A cache of the last prompts: what of a new one it already holds."""

    def __init__(self, keep: int = 8) -> None:
        """Remember up to `keep` prompts."""
        self._prompts: deque[list[str]] = deque(maxlen=keep)

    def account(self, kind: str, body: dict[str, Any]) -> PromptUsage:
        """Count a request's prompt, then remember it."""
        parts = prompt_parts(kind, body)
        cached = max(
            (common_prefix_bytes(parts, earlier) for earlier in self._prompts),
            default=0,
        )
        self._prompts.append(parts)
        return PromptUsage(
            total=max(1, size_bytes(parts) // BYTES_PER_TOKEN),
            cached=cached // BYTES_PER_TOKEN,
        )
