"""Resolves the provider SDKs' lazy imports before any turn needs them.

openai 3.2x (pinned by Home Assistant 2026.11) and the anyio that comes with
it import parts of themselves on first attribute access, through
``importlib.import_module``. The first model request would then import in the
event loop, which Home Assistant reports as a blocking call by Confidant.
Home Assistant imports this integration's modules in an executor thread, so
resolving those names here, at import, keeps the event loop free. Older SDKs
import eagerly, and then this costs nothing.
"""

from __future__ import annotations

import importlib

# The SDK attributes the providers reach on their request path, by module.
# An attribute that resolves lazily is resolved (and cached by its module).
_LAZY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "openai.resources.chat": ("AsyncChat", "AsyncCompletions"),
    "openai.resources.responses": ("AsyncResponses",),
    "openai.resources": ("AsyncModels",),
}
# Packages whose lazily imported public names are all resolved: the async
# I/O layer under httpx, used by every request.
_LAZY_PACKAGES = ("anyio", "anyio.abc")
# Loaded by name on the first request, so imported here once.
_MODULES = ("anyio._backends._asyncio",)


def resolve_lazy_imports() -> None:
    """Import now what the SDKs would otherwise import during a turn."""
    for module_name in _MODULES:
        importlib.import_module(module_name)
    for module_name, attributes in _LAZY_ATTRIBUTES.items():
        module = importlib.import_module(module_name)
        for attribute in attributes:
            getattr(module, attribute, None)
    for module_name in _LAZY_PACKAGES:
        module = importlib.import_module(module_name)
        if "__getattr__" in vars(module):
            for name in dir(module):
                getattr(module, name, None)
