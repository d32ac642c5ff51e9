"""A server's own error message, made safe to log and to speak.

Local servers explain their errors well ("tools param requires --jinja
flag", "image input is not supported", "the request exceeds the available
context size"), and the person can often act on it. But a message may echo
what it was sent: an API key (some clouds quote part of a rejected key), or
the conversation (validation errors quote the offending input). So only the
first sentence is kept, cut short; anything quoted, anything in brackets or
braces, and anything that looks like a key or a long token is removed.
"""

from __future__ import annotations

import re
from typing import Any, Final

MAX_CHARS: Final = 120

# Key-like: known key prefixes, bearer tokens, and any long run of letters
# and digits (keys, hashes, session ids) of 20 characters or more.
_KEY_LIKE: Final = re.compile(
    r"(?i)\b(?:bearer\s+\S+|(?:sk|pk|rk|api|key|tok|ghp|xox[abp])[-_][\w-]{6,}"
    r"|[a-z0-9_\-+/=]*\d[a-z0-9_\-+/=]*[a-z][a-z0-9_\-+/=]{18,}"
    r"|[a-z0-9_\-+/=]*[a-z][a-z0-9_\-+/=]*\d[a-z0-9_\-+/=]{18,})"
)
# What a message quotes or encloses may be the request's own content.
_QUOTED: Final = re.compile(
    r"'[^']*'|\"[^\"]*\"|`[^`]*`|\u2018[^\u2019]*\u2019|\u201c[^\u201d]*\u201d"
)
_ENCLOSED: Final = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|<[^<>]*>")
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s|[\r\n]")
_KEY_ASSIGNMENT: Final = re.compile(r"(?i)\b(?:key|token|secret|password)\s*[=:]\s*\S+")


def safe_server_message(message: Any) -> str:
    """The first sentence of a server's error message, without anything secret.

    Returns "" when nothing useful is left.
    """
    if not isinstance(message, str):
        return ""
    text = _SENTENCE_END.split(message.strip(), maxsplit=1)[0]
    text = _KEY_ASSIGNMENT.sub("", text)
    text = _QUOTED.sub("", text)
    for _ in range(3):
        text = _ENCLOSED.sub("", text)
    text = _KEY_LIKE.sub("", text)
    text = " ".join(text.split()).strip(" :;,-.")
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit(" ", 1)[0].rstrip(" :;,-") + "…"
    # A message with no words left (only a code or punctuation) says nothing.
    if sum(char.isalpha() for char in text) < 4:  # noqa: PLR2004
        return ""
    return text


def message_of_body(body: Any) -> str:
    """The error message of a JSON error body, in the shapes servers use.

    OpenAI and llama.cpp: {"error": {"message": ...}}; Ollama and vLLM:
    {"error": "..."} or {"message": ...}; FastAPI: {"detail": "..."}.
    """
    if not isinstance(body, dict):
        return ""
    error = body.get("error", body)
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        for key in ("message", "detail", "msg"):
            if isinstance(value := error.get(key), str):
                return value
    if isinstance(detail := body.get("detail"), str):
        return detail
    return ""


# Errors whose message tells the person something they can act on ("tools
# param requires --jinja flag", "the request exceeds the available context
# size"); others (a rejected key, a timeout) have better words of our own.
_SPEAK_MESSAGE_OF: Final = frozenset({"server_error", "bad_request"})
# A message that only says there was an error is no better than ours.
_GENERIC: Final = re.compile(
    r"(?i)\b(?:an error|had an error|(?:internal )?server error|unknown error"
    r"|something went wrong)\b"
)


def spoken_error(
    translation_key: str, detail: str, server_message: str
) -> tuple[str, dict[str, str]]:
    """The message key and placeholders of the spoken error."""
    if (
        server_message
        and translation_key in _SPEAK_MESSAGE_OF
        and not _GENERIC.search(server_message)
    ):
        return "server_said", {"message": server_message, "detail": detail}
    return translation_key, {"detail": detail}
