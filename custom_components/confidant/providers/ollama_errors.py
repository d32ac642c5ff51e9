"""Ollama's failures as provider errors.

Only the HTTP status and a short error class are kept as an error's detail:
Ollama's error messages echo model names and sometimes the prompt, so its
message is kept only as made safe by server_message.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus

import aiohttp

from . import (
    AuthenticationError,
    BadRequestError,
    ModelNotFoundError,
    NotTheAPIError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from .server_message import safe_server_message
from .wire_parts import transport_error

# Error bodies are short JSON; never read an arbitrary page into memory.
_ERROR_BODY_LIMIT = 4096


async def status_error(
    response: aiohttp.ClientResponse, *, names_model: bool = True
) -> ProviderError:
    """Return the provider error for a non-200 answer.

    `names_model` says whether the request named a model, so that a 404 can
    mean the model is missing rather than the URL being wrong.
    """
    message = await _error_message(response)
    error = _status_error_kind(response.status, message, names_model=names_model)
    error.server_message = safe_server_message(message)
    return error


def _status_error_kind(
    status: int, message: str, *, names_model: bool
) -> ProviderError:
    detail = f"HTTP {status}"
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        return AuthenticationError(detail)
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return RateLimitError(detail)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ServerError(detail)
    if status == HTTPStatus.NOT_FOUND:
        # Ollama says "model 'x' not found" (or "model \"x\" not found, try
        # pulling it first"); any other 404 means the URL is not Ollama's API.
        if names_model and _mentions_missing_model(message):
            return ModelNotFoundError(detail)
        return NotTheAPIError(detail)
    return BadRequestError(detail)


async def _error_message(response: aiohttp.ClientResponse) -> str:
    """Return the `error` text of an error body, to be made safe before use."""
    try:
        body = json.loads(await response.content.read(_ERROR_BODY_LIMIT))
    except ValueError, aiohttp.ClientError:
        return ""
    error = body.get("error") if isinstance(body, Mapping) else None
    return error if isinstance(error, str) else ""


def _mentions_missing_model(message: str) -> bool:
    message = message.lower()
    return "model" in message and "not found" in message


def map_client_error(err: Exception, *, started: bool) -> ProviderError:
    """Return the provider error for an aiohttp or timeout exception."""
    # aiohttp's timeouts are also connection errors: check them first.
    if isinstance(err, TimeoutError):
        return ProviderTimeoutError("no answer in time")
    return transport_error(err, started=started)
