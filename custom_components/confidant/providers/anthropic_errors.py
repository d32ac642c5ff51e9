"""Mapping of the anthropic SDK's and httpx's exceptions to provider errors.

The detail kept is the HTTP status and the error type, never the message:
it can echo conversation content or part of the API key.
"""

from __future__ import annotations

import re

import anthropic
import httpx

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
from .wire_parts import transport_error

_ERROR_TYPE = re.compile(r"[a-z_]{1,64}")


def _error_type(err: anthropic.APIStatusError) -> str | None:
    """The `error.type` of an error body (never its message)."""
    kind = getattr(err, "type", None)
    if not isinstance(kind, str) and isinstance(err.body, dict):
        error = err.body.get("error", err.body)
        kind = error.get("type") if isinstance(error, dict) else None
    # Only a short code: a proxy could put anything in this field.
    if isinstance(kind, str) and _ERROR_TYPE.fullmatch(kind):
        return kind
    return None


def _status_error(  # noqa: PLR0911, PLR0912 - a flat mapping of statuses
    err: anthropic.APIStatusError,
) -> ProviderError:
    kind = _error_type(err)
    status = err.status_code
    suffix = f" ({kind})" if kind else ""
    if 300 <= status < 400:  # noqa: PLR2004
        # A redirect (to a login page, say): the URL is not the API.
        return ConnectionFailedError(f"HTTP {status}")
    if status < 400:  # noqa: PLR2004
        # An `error` event inside a stream that began with HTTP 200.
        detail = "error event in stream" + suffix
        match kind:
            case "authentication_error" | "permission_error":
                return AuthenticationError(detail)
            case "not_found_error":
                return ModelNotFoundError(detail)
            case "rate_limit_error" | "billing_error":
                return RateLimitError(detail)
            case "invalid_request_error" | "request_too_large":
                return BadRequestError(detail)
            case "timeout_error":
                return ProviderTimeoutError(detail)
            case _:
                return ServerError(detail)
    detail = f"HTTP {status}{suffix}"
    if status in (401, 403):
        return AuthenticationError(detail)
    if status == 404:  # noqa: PLR2004
        return ModelNotFoundError(detail)
    if status in (402, 429) or kind == "billing_error":
        return RateLimitError(detail)
    if status == 504 or kind == "timeout_error":  # noqa: PLR2004
        return ProviderTimeoutError(detail)
    if status >= 500:  # noqa: PLR2004 - 529 is "overloaded"
        return ServerError(detail)
    return BadRequestError(detail)


def map_anthropic_error(  # noqa: PLR0911 - a flat mapping of exceptions
    err: Exception, *, streaming: bool = False
) -> ProviderError:
    """Return the provider error for an exception raised by the SDK or httpx.

    The detail is the HTTP status and the error type, never the message: it
    can echo conversation content or part of the API key.
    """
    if isinstance(err, ProviderError):
        return err
    if isinstance(err, (anthropic.APITimeoutError, httpx.TimeoutException)):
        return ProviderTimeoutError("no answer in time")
    if isinstance(err, anthropic.APIStatusError):
        return _status_error(err)
    if isinstance(err, anthropic.APIConnectionError):
        # Newer SDKs wrap a transport error mid-stream too: still a cut answer.
        return transport_error(err.__cause__ or err, started=streaming)
    if isinstance(err, httpx.HTTPError):
        return transport_error(err, started=streaming)
    if isinstance(err, (ValueError, anthropic.APIResponseValidationError)):
        # Not JSON, not UTF-8, not the shape of an answer.
        return MalformedResponseError(type(err).__name__)
    if isinstance(err, anthropic.APIError):
        return ServerError(type(err).__name__)
    return ProviderError(type(err).__name__)
