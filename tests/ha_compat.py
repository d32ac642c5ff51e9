"""Lets the pytest plugin for Home Assistant 2026.10 run on 2026.11.

pytest-homeassistant-custom-component has no release for Home Assistant
2026.11 yet (0.13.375 is built from 2026.10.4's test helpers), so the
"latest" test track installs it beside 2026.11 (see
requirements_test_latest.txt). Two things differ, and this module, loaded
with ``-p tests.ha_compat`` before any pytest11 plugin, bridges exactly those:

1. Home Assistant 2026.11 aliases ``httpx`` to ``httpx2`` when the
   ``homeassistant`` package is first imported and refuses once ``httpx`` is
   already imported. The plugin imports ``respx`` (and so ``httpx``) before
   anything of Home Assistant, so Home Assistant is imported here first.
2. ``_clear_logger_overwrites`` moved from ``homeassistant.components.logger``
   to ``homeassistant.components.logger.helpers``; the plugin imports it from
   the old place, so the old name is pointed at the new one.

On 2026.10 both are no-ops. Nothing installed is edited. Delete this module
(and its ``-p`` in pyproject.toml) once a plugin release for 2026.11 exists.
"""

from __future__ import annotations

import homeassistant  # noqa: F401  # must precede the first `import httpx`
from homeassistant.components import logger

if not hasattr(logger, "_clear_logger_overwrites"):
    from homeassistant.components.logger import helpers as _logger_helpers

    logger._clear_logger_overwrites = _logger_helpers._clear_logger_overwrites  # type: ignore[attr-defined]
