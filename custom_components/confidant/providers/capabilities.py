"""What a model can do, as its server says: tools, images, context size.

A local server may accept `tools` and drop them (llama.cpp with a chat
template without tool support), refuse images with an HTTP 500, or run a
context smaller than the prompt. Each server describes its model somewhere:

- llama.cpp: `GET /props` (`chat_template_caps.supports_tools`,
  `modalities.vision`, `default_generation_settings.n_ctx`);
- Ollama: `POST /api/show` (`capabilities`: "tools", "vision";
  `model_info["<architecture>.context_length"]`);
- OpenAI-compatible servers: `GET /v1/models` metadata where present
  (llama.cpp's `meta.n_ctx` and `architecture.input_modalities`,
  OpenRouter's `context_length` and `supported_parameters`, vLLM's
  `max_model_len`).

Parsers here read those documents; each field stays None when the server
does not say, and "unknown" never counts against a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ModelCapabilities:
    """What is known of a model; None where the server did not say."""

    tools: bool | None = None
    vision: bool | None = None
    context_tokens: int | None = None
    # Where it was read ("llama.cpp /props", ...), for diagnostics and logs.
    source: str = ""

    @property
    def known(self) -> bool:
        """Whether the server said anything at all."""
        return any(
            value is not None
            for value in (self.tools, self.vision, self.context_tokens)
        )


UNKNOWN = ModelCapabilities()


@runtime_checkable
class ProbesCapabilities(Protocol):
    """A provider that can ask its server about a model."""

    async def async_model_capabilities(self, model: str) -> ModelCapabilities:
        """Return what the server says the model can do; UNKNOWN if nothing."""


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value > 0 else None


def from_llamacpp_props(props: Any) -> ModelCapabilities:
    """Read llama.cpp's `/props`."""
    if not isinstance(props, Mapping):
        return UNKNOWN
    tools = None
    caps = props.get("chat_template_caps")
    if isinstance(caps, Mapping) and isinstance(caps.get("supports_tools"), bool):
        tools = bool(caps["supports_tools"])
    vision = None
    modalities = props.get("modalities")
    if isinstance(modalities, Mapping) and isinstance(modalities.get("vision"), bool):
        vision = bool(modalities["vision"])
    context = None
    settings = props.get("default_generation_settings")
    if isinstance(settings, Mapping):
        context = _positive_int(settings.get("n_ctx"))
    found = ModelCapabilities(tools, vision, context, "llama.cpp /props")
    return found if found.known else UNKNOWN


def _listed(models: Any, model: str) -> Mapping[str, Any] | None:
    data = models.get("data") if isinstance(models, Mapping) else None
    if not isinstance(data, list):
        return None
    entries = [entry for entry in data if isinstance(entry, Mapping)]
    for entry in entries:
        if model in (entry.get("id"), *(entry.get("aliases") or ())):
            return entry
    # A server with one model answers to any name (llama.cpp does).
    return entries[0] if len(entries) == 1 else None


def from_openai_models(models: Any, model: str) -> ModelCapabilities:
    """Read the metadata some servers add to `/v1/models`."""
    entry = _listed(models, model)
    if entry is None:
        return UNKNOWN
    meta = entry.get("meta")
    if not isinstance(meta, Mapping):
        meta = {}
    context = (
        _positive_int(meta.get("n_ctx"))
        or _positive_int(entry.get("context_length"))
        or _positive_int(entry.get("max_model_len"))
    )
    vision = None
    architecture = entry.get("architecture")
    if isinstance(architecture, Mapping) and isinstance(
        inputs := architecture.get("input_modalities"), list
    ):
        vision = "image" in inputs
    tools = None
    if isinstance(parameters := entry.get("supported_parameters"), list):
        tools = "tools" in parameters
    found = ModelCapabilities(tools, vision, context, "/v1/models")
    return found if found.known else UNKNOWN


def from_ollama_show(show: Any) -> ModelCapabilities:
    """Read Ollama's `/api/show` (capabilities since Ollama 0.6.4)."""
    if not isinstance(show, Mapping):
        return UNKNOWN
    tools = vision = None
    if isinstance(capabilities := show.get("capabilities"), list):
        tools = "tools" in capabilities
        vision = "vision" in capabilities
    context = None
    info = show.get("model_info")
    if isinstance(info, Mapping):
        architecture = info.get("general.architecture")
        context = _positive_int(info.get(f"{architecture}.context_length"))
    found = ModelCapabilities(tools, vision, context, "Ollama /api/show")
    return found if found.known else UNKNOWN


def merge(first: ModelCapabilities, second: ModelCapabilities) -> ModelCapabilities:
    """What `first` says, completed by `second` where `first` is silent."""
    if not second.known:
        return first
    if not first.known:
        return second
    return ModelCapabilities(
        first.tools if first.tools is not None else second.tools,
        first.vision if first.vision is not None else second.vision,
        first.context_tokens or second.context_tokens,
        f"{first.source}, {second.source}",
    )
