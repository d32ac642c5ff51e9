"""Offline stand-ins for the integrations onboarding would reach the internet with.

Onboarding sets up met.no weather, Radio Browser and Google Translate text
to speech. An empty custom integration without a config flow shadows each
of them: onboarding's attempt to add it fails quietly, and nothing is
fetched. Used by the development instance and the browser end-to-end test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

OFFLINE_STAND_INS: Final = ("met", "radio_browser", "google_translate")


def write_offline_stand_ins(custom_components: Path, purpose: str) -> None:
    """Write an empty integration for each domain into `custom_components`."""
    for domain in OFFLINE_STAND_INS:
        stand_in = custom_components / domain
        stand_in.mkdir(exist_ok=True)
        (stand_in / "__init__.py").write_text(
            f'"""Offline stand-in for {purpose}."""\n'
        )
        (stand_in / "manifest.json").write_text(
            json.dumps(
                {
                    "domain": domain,
                    "name": f"{domain} (offline stand-in)",
                    "codeowners": [],
                    "documentation": "https://example.invalid",
                    "version": "0.0.0",
                }
            )
        )
