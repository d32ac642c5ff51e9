"""Mapping of the openai SDK's and httpx's exceptions to provider errors.

Shared by the OpenAI (Responses) and OpenAI-compatible (Chat Completions)
providers; the error codes the Responses stream reports are mapped here too.
The detail kept is the HTTP status and the provider's error code. The
provider's message, which can echo part of the API key or the request, is
kept only as made safe by server_message.py.
"""

from __future__ import annotations

import re

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

# Error codes of `error` events and failed responses, by the error they mean.
# Anything else the server reports is a server error: the request itself was
# accepted, so the fault lies on the other side.
_RATE_LIMIT_CODES = frozenset(
    {"rate_limit_exceeded", "insufficient_quota", "tokens", "requests"}
)
_AUTH_CODES = frozenset({"invalid_api_key", "invalid_authentication"})
_NOT_FOUND_CODES = frozenset({"model_not_found"})
_BAD_REQUEST_CODES = frozenset(
    {
        "invalid_prompt",
        "invalid_request_error",
        "context_length_exceeded",
        "data_residency_mismatch",
        "bio_policy",
        "misalignment_policy_violation",
    }
)
# Only short machine-readable codes are kept in a detail; a free-form value
# could carry part of the conversation or the key.
_CODE_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def error_code(value: object) -> str | None:
    """The value, if it is a short machine-readable code."""
    if isinstance(value, str) and _CODE_PATTERN.fullmatch(value):
        return value
    return None


def error_for_code(code: str | None, what: str) -> ProviderError:
    """Return the provider error for an error code reported inside a stream."""
    detail = f"{what} ({code})" if code else what
    if code in _RATE_LIMIT_CODES:
        return RateLimitError(detail)
    if code in _AUTH_CODES:
        return AuthenticationError(detail)
    if code in _NOT_FOUND_CODES:
        return ModelNotFoundError(detail)
    if code in _BAD_REQUEST_CODES or (
        code is not None and code.startswith(("image_", "invalid_"))
    ):
        return BadRequestError(detail)
    return ServerError(detail)


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
