"""What cloud providers share, and what local servers share.

Every provider bounds its model list in time (a person waits in the config
flow). A cloud provider is never local, whatever its URL; a local server's
answer is spoken only through the markup guard, and its prompt speed is
measured on its own answers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

from . import Delta, ProviderRequest
from .deadline import bounded_model_list
from .markup_filter import guard_spoken_text
from .network import is_local_url
from .prompt_speed import PromptSpeed

# The SDKs' retries with back-off would leave a person waiting in silence; a
# failed turn is answered at once and can be asked again.
SDK_RETRIES = 0


class _ListedModels(ABC):
    """A provider whose model list is bounded in total, not per read."""

    async def async_list_models(self) -> list[str]:
        """Return the models the provider offers; doubles as connection test."""
        return await bounded_model_list(self._async_list_models())

    @abstractmethod
    async def _async_list_models(self) -> list[str]:
        """Ask the server for its models."""


class CloudProvider(_ListedModels):
    """A provider whose model runs in the provider's cloud."""

    @property
    def is_local(self) -> bool:
        """Never: a custom URL is a proxy in front of the cloud API.

        The model runs in the provider's cloud whatever the URL, so the
        household's cloud choices (images, redaction, storage) always apply.
        """
        return False


class LocalProvider(_ListedModels):
    """A provider for a server that may run in the house."""

    def __init__(self, base_url: str) -> None:
        """Keep the URL; the prompt speed is measured on the server's answers."""
        self._base_url = base_url
        # first_token.py reads it.
        self.prompt_speed = PromptSpeed()

    @property
    def is_local(self) -> bool:
        """Whether the server is on the local network."""
        return is_local_url(self._base_url)

    def async_stream(self, request: ProviderRequest) -> AsyncIterator[Delta]:
        """Stream the answer, through the markup guard when it is spoken."""
        stream = self._async_stream(request)
        # Returned, not iterated here: closing the answer early closes the
        # guard, and the guard the stream, with no generator left between.
        return guard_spoken_text(stream) if request.spoken else stream

    @abstractmethod
    def _async_stream(self, request: ProviderRequest) -> AsyncIterator[Delta]:
        """Send the request and stream the raw answer."""
