"""Mapping of the openai SDK's and httpx's exceptions to provider errors.

Shared by the OpenAI (Responses) and OpenAI-compatible (Chat Completions)
providers. The detail kept is the HTTP status and the provider's error code. The
provider's message, which can echo part of the API key or the request, is
kept only as made safe by server_message.py.
"""

from __future__ import annotations

import httpx
import openai

from . import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    MalformedResponseError,
    ModelNotFoundError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from .server_message import message_of_body, safe_server_message
from .wire_parts import transport_error


def _status_detail(err: openai.APIStatusError) -> str:
    code = None
    if isinstance(err.body, dict):
        error = err.body.get("error", err.body)
        if isinstance(error, dict):
            code = error.get("code") or error.get("type")
    return f"HTTP {err.status_code}" + (f" ({code})" if isinstance(code, str) else "")


def map_openai_error(err: Exception, *, streaming: bool = False) -> ProviderError:
    """Return the provider error for an exception raised by the SDK or httpx."""
    if isinstance(err, ProviderError):
        return err
    mapped = _map(err, streaming=streaming)
    if isinstance(err, openai.APIError) and not isinstance(
        err, openai.APIConnectionError
    ):
        mapped.server_message = safe_server_message(message_of_body(err.body))
    return mapped


def _map(  # noqa: PLR0911, PLR0912 - a flat mapping of exceptions
    err: Exception, *, streaming: bool
) -> ProviderError:
    if isinstance(err, (openai.APITimeoutError, httpx.TimeoutException)):
        return ProviderTimeoutError("no answer in time")
    if isinstance(err, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return AuthenticationError(_status_detail(err))
    if isinstance(err, openai.NotFoundError):
        return ModelNotFoundError(_status_detail(err))
    if isinstance(err, openai.RateLimitError):
        return RateLimitError(_status_detail(err))
    if isinstance(err, openai.InternalServerError):
        return ServerError(_status_detail(err))
    if isinstance(err, (openai.BadRequestError, openai.UnprocessableEntityError)):
        return BadRequestError(_status_detail(err))
    if isinstance(err, openai.APIStatusError):
        if err.status_code < 400:  # noqa: PLR2004
            # A redirect (to a login page, say): the URL is not the API.
            return ConnectionFailedError(_status_detail(err))
        if err.status_code >= 500:  # noqa: PLR2004
            return ServerError(_status_detail(err))
        return BadRequestError(_status_detail(err))
    if isinstance(err, openai.APIConnectionError):
        # Newer SDKs wrap a transport error mid-stream too: still a cut answer.
        return transport_error(err.__cause__ or err, started=streaming)
    if isinstance(err, httpx.HTTPError):
        return transport_error(err, started=streaming)
    if isinstance(
        err,
        (
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
            openai.APIResponseValidationError,
        ),
    ):
        # Not JSON, not UTF-8, not the shape of an answer the SDK knows.
        return MalformedResponseError(type(err).__name__)
    if isinstance(err, openai.APIError):
        # An "error" event inside the stream.
        return ServerError("error event in stream")
    return ProviderError(type(err).__name__)
