"""Pieces of a request or an answer that several wire formats spell alike."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from typing import Any

from . import (
    ConnectionFailedError,
    ImagePart,
    ProviderError,
    StreamInterruptedError,
    ToolSpec,
)


def new_call_id() -> str:
    """An id for a tool call the server sent without one."""
    return f"call_{uuid.uuid4().hex[:24]}"


def base64_text(image: ImagePart) -> str:
    """The image's bytes as base64 text."""
    return base64.b64encode(image.data).decode()


def data_url(image: ImagePart) -> str:
    """The image as a `data:` URL, as OpenAI's APIs take it."""
    return f"data:{image.mime_type};base64," + base64_text(image)


def result_text(result: Mapping[str, Any]) -> str:
    """A tool's result as the JSON text the model reads."""
    return json.dumps(result, default=str)


def function_tool(spec: ToolSpec) -> dict[str, Any]:
    """A tool in Chat Completions' shape, which Ollama's API shares."""
    function: dict[str, Any] = {"name": spec.name, "parameters": dict(spec.parameters)}
    if spec.description:
        function["description"] = spec.description
    return {"type": "function", "function": function}


def transport_error(err: BaseException, *, started: bool) -> ProviderError:
    """The error for a failed transport, named by the failure's type only.

    Once the answer began, whatever breaks the transport cuts it short;
    before, the server was not reached.
    """
    name = type(err).__name__
    if started:
        return StreamInterruptedError(name)
    return ConnectionFailedError(name)
