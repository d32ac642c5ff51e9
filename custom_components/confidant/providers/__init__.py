"""One interface for every LLM backend Confidant can talk to.

A provider turns a `ProviderRequest` (messages, tools, options) into an async
stream of deltas: text, reasoning text and complete tool calls. It knows
nothing about Home Assistant entities: the agent entity converts the chat log
into a request and the deltas back into the chat log, so the conversation code
never branches on a provider.

Errors are a small set of types, each with the translation key the entity and
config flow use to tell the person what happened. Their messages never carry
the API key or conversation content.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image sent with a user message."""

    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A complete tool call requested by the model.

    `invalid_arguments` holds the reason when the model's arguments could not
    be repaired into a JSON object; such a call is answered with a tool error
    instead of being executed, so the model can try again.
    """

    id: str
    name: str
    arguments: dict[str, Any]
    invalid_arguments: str | None = None


@dataclass(frozen=True, slots=True)
class SystemMessage:
    """The system prompt."""

    text: str


@dataclass(frozen=True, slots=True)
class UserMessage:
    """What the person said, with any images."""

    text: str
    images: tuple[ImagePart, ...] = ()


@dataclass(frozen=True, slots=True)
class AssistantMessage:
    """What the model answered earlier, with the tool calls it made."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolResultMessage:
    """The result of one tool call, as JSON."""

    call_id: str
    name: str
    result: Mapping[str, Any]
    is_error: bool = False


type Message = SystemMessage | UserMessage | AssistantMessage | ToolResultMessage


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the model may call, with its parameters as JSON Schema."""

    name: str
    description: str | None
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """Everything one model call needs."""

    model: str
    messages: Sequence[Message]
    tools: Sequence[ToolSpec] = ()
    max_tokens: int = 1024
    temperature: float | None = None
    timeout: float = 30.0
    # An opaque, stable id of the conversation (never its content); some
    # providers use it for abuse monitoring or cache routing.
    user: str | None = None
    # An opaque, stable id of the agent: requests with the same key share a
    # prompt prefix, so a provider may route them to the same cache.
    cache_key: str | None = None
    # Provider-specific knobs (reasoning effort, keep_alive, ...).
    options: Mapping[str, Any] = field(default_factory=dict)
    # Whether the answer is spoken (a conversation) rather than data (an AI
    # task's JSON): local providers keep markup and loops out of speech only.
    spoken: bool = True


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the spoken answer."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning, never spoken."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A tool call, complete with its arguments."""

    call: ToolCall


@dataclass(frozen=True, slots=True)
class Usage:
    """What one model request cost, as the provider reported it.

    `input_tokens` counts the whole prompt, `cached_input_tokens` the part
    of it read from the provider's cache (or a local server's KV cache), and
    `cache_write_tokens` the part written to a cache (Anthropic). A local
    server's time on the prompt is `prompt_ms`, when it says.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    prompt_ms: float | None = None


@dataclass(frozen=True, slots=True)
class UsageDelta:
    """The usage of the request, reported once, at the end of its answer."""

    usage: Usage


type Delta = TextDelta | ReasoningDelta | ToolCallDelta | UsageDelta


class ProviderError(Exception):
    """A provider failed; the subclass says how."""

    translation_key: ClassVar[str] = "provider_error"

    def __init__(self, detail: str = "", server_message: str = "") -> None:
        """Keep a short, content-free detail (status code, error code).

        `server_message` is the server's own explanation, already made safe
        by server_message.safe_server_message, or "".
        """
        super().__init__(detail)
        self.detail = detail
        self.server_message = server_message


class AuthenticationError(ProviderError):
    """The provider rejected the API key."""

    translation_key = "invalid_auth"


class ConnectionFailedError(ProviderError):
    """The provider could not be reached."""

    translation_key = "cannot_connect"


class NotTheAPIError(ConnectionFailedError):
    """A server answered, but not as the provider's API.

    A web page, a proxy's login or a wrong path (an HTTP 404 where the API's
    model list should be): the URL reaches a server, so the person's fix is
    the URL's path, not the network. Spoken like any unreachable server.
    """


class RateLimitError(ProviderError):
    """Too many requests, or the account's quota is used up."""

    translation_key = "rate_limited"


class ProviderTimeoutError(ProviderError):
    """The provider did not answer in time."""

    translation_key = "timeout"


class ServerError(ProviderError):
    """The provider answered with a server error."""

    translation_key = "server_error"


class ModelNotFoundError(ProviderError):
    """The configured model does not exist on the provider."""

    translation_key = "model_not_found"


class BadRequestError(ProviderError):
    """The provider refused the request as malformed or too large."""

    translation_key = "bad_request"


class StreamInterruptedError(ProviderError):
    """The answer's stream ended in the middle."""

    translation_key = "stream_interrupted"


class MalformedResponseError(ProviderError):
    """The provider answered, but with something that is not an answer.

    An HTML page, an empty body, bytes of no known shape, or a stream that
    said nothing at all.
    """

    translation_key = "malformed_response"


class NothingSpokenError(ProviderError):
    """The model wrote only what is never spoken (markup, code, a loop)."""

    translation_key = "no_spoken_answer"


class Provider(Protocol):
    """What every provider implements."""

    @property
    def is_local(self) -> bool:
        """Whether requests stay inside the house (a server on the LAN)."""

    async def async_list_models(self) -> list[str]:
        """Return the models the provider offers; doubles as connection test."""

    def async_stream(self, request: ProviderRequest) -> AsyncIterator[Delta]:
        """Send the request and stream the answer."""
