"""Print the pip requirements of the Home Assistant integrations Confidant uses.

Home Assistant installs an integration's requirements when it loads it, but
the test harness runs with that switched off. This reads the manifests of the
integrations Confidant depends on, and of those its tests and dev instance
load, follows their dependencies, and prints the requirements so that
scripts/setup installs exactly the versions this Home Assistant expects.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import homeassistant.components

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "custom_components" / "confidant" / "manifest.json"

# Integrations the tests load besides Confidant's own dependencies.
TEST_INTEGRATIONS = (
    "assist_pipeline",
    "camera",
    "cover",
    "demo",
    "light",
    "lock",
    # scripts/bench compares Confidant with core's OpenAI agent.
    "openai_conversation",
    "recorder",
)

# Integrations the browser end-to-end test's Home Assistant process loads
# (tests/test_e2e_browser.py): the frontend, what onboarding sets up, and
# the default integrations whose requirements Home Assistant does not ship
# with. Installed here, its first start needs no network.
E2E_INTEGRATIONS = (
    "frontend",
    "google_translate",
    "infrared",
    "met",
    "radio_browser",
    "radio_frequency",
    "shopping_list",
)


def manifest(domain: str) -> dict[str, object]:
    """Return the manifest of a Home Assistant core integration."""
    path = Path(homeassistant.components.__path__[0]) / domain / "manifest.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def main() -> None:
    """Collect the requirements over the dependency closure and print them."""
    ours = json.loads(MANIFEST.read_text())
    pending = [
        *ours.get("dependencies", []),
        *ours.get("after_dependencies", []),
        *TEST_INTEGRATIONS,
        *E2E_INTEGRATIONS,
    ]
    seen: set[str] = set()
    requirements: set[str] = set()
    while pending:
        domain = pending.pop()
        if domain in seen:
            continue
        seen.add(domain)
        data = manifest(domain)
        requirements.update(data.get("requirements", []))  # type: ignore[arg-type]
        pending.extend(data.get("dependencies", []))  # type: ignore[arg-type]
        pending.extend(data.get("after_dependencies", []))  # type: ignore[arg-type]
    # Confidant's own requirements, so the tests run what users install.
    requirements.update(ours.get("requirements", []))
    wanted = sorted(requirements)
    sys.stdout.write(" ".join(wanted) + "\n")


if __name__ == "__main__":
    main()
