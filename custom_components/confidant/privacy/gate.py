"""The one gate every request passes before it leaves Home Assistant.

The entry's privacy choices are applied here, and nowhere else: images go to
a cloud provider only when the household allowed it, and with redaction on,
e-mail addresses, phone numbers and long digit strings are masked in what a
cloud provider receives. Requests to a provider inside the house pass as
they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..providers import (
    AssistantMessage,
    Message,
    ProviderError,
    ToolResultMessage,
    UserMessage,
)
from ..settings import EntrySettings

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: optional +, then at least eight digits with the usual
# separators between them.
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s().-]{0,2}\d){7,}(?!\w)")
_LONG_DIGITS = re.compile(r"\d{6,}")
# Longer than any phone number (E.164 allows 15 digits): a card or an account.
_ACCOUNT_DIGITS = re.compile(r"\d{16,}")


class CloudImagesRefusedError(ProviderError):
    """The request carries an image, and images may not go to this cloud provider."""

    translation_key = "cloud_images_refused"


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    """What may leave the house, for one entry."""

    local: bool
    allow_cloud_images: bool = False
    redact: bool = False
    allow_provider_storage: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, Any], *, local: bool) -> PrivacyPolicy:
        """Read the entry's consent choices."""
        settings = EntrySettings.from_options(options)
        return cls(
            local=local,
            allow_cloud_images=settings.allow_cloud_images,
            redact=settings.redact,
            allow_provider_storage=settings.allow_provider_storage,
        )


def redact_text(text: str) -> str:
    """Mask e-mail addresses, phone numbers and long digit strings."""
    text = _EMAIL.sub("[email]", text)
    text = _ACCOUNT_DIGITS.sub("[number]", text)
    text = _PHONE.sub("[phone]", text)
    return _LONG_DIGITS.sub("[number]", text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return value


def _redact(message: Message) -> Message:
    match message:
        case UserMessage(text=text, images=images):
            return UserMessage(redact_text(text), images)
        case AssistantMessage(text=text, tool_calls=calls):
            return AssistantMessage(redact_text(text), calls)
        case ToolResultMessage(
            call_id=call_id, name=name, result=result, is_error=error
        ):
            return ToolResultMessage(call_id, name, _redact_value(result), error)
    # The system prompt holds the home's entity names and the person's own
    # instructions: it is not what was said, and masking it would break control.
    return message


def apply_policy(policy: PrivacyPolicy, messages: Sequence[Message]) -> list[Message]:
    """Return the messages as they may leave the house, or refuse them."""
    if policy.local:
        return list(messages)
    if not policy.allow_cloud_images and any(
        isinstance(message, UserMessage) and message.images for message in messages
    ):
        raise CloudImagesRefusedError("images to a cloud provider are not allowed")
    if policy.redact:
        return [_redact(message) for message in messages]
    return list(messages)
