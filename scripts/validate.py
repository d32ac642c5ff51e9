"""Offline checks of the rules hassfest and HACS apply to a custom integration.

The real validators run in GitHub Actions (.github/workflows/validate.yml);
this applies the subset that needs no network, so a broken manifest or a
missing translation is caught before a push.
"""

from __future__ import annotations

import ast
import json
import re
import struct
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
COMPONENT = REPO / "custom_components" / "confidant"
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}
VERSION = re.compile(r"^\d+\.\d+\.\d+([.-]?\w+)?$")

errors: list[str] = []


def check(condition: bool, message: str) -> None:
    """Record a failed rule."""
    if not condition:
        errors.append(message)


def png_size(path: Path) -> tuple[int, int]:
    """Return the width and height of a PNG file."""
    data = path.read_bytes()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def check_manifest() -> dict[str, Any]:
    """The manifest rules of hassfest for custom integrations."""
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    keys = list(manifest)
    check(keys[:2] == ["domain", "name"], "manifest: keys must start with domain, name")
    check(keys[2:] == sorted(keys[2:]), "manifest: keys after name must be sorted")
    check(
        manifest.get("domain") == COMPONENT.name, "manifest: domain must match folder"
    )
    for key in ("documentation", "issue_tracker", "codeowners", "version"):
        check(key in manifest, f"manifest: {key} is required")
    check(bool(VERSION.match(manifest.get("version", ""))), "manifest: bad version")
    check(manifest.get("iot_class") in IOT_CLASSES, "manifest: bad iot_class")
    check(
        manifest.get("integration_type") in INTEGRATION_TYPES,
        "manifest: bad integration_type",
    )
    for key in ("dependencies", "after_dependencies", "requirements", "codeowners"):
        value = manifest.get(key, [])
        check(isinstance(value, list), f"manifest: {key} must be a list")
        check(value == sorted(value), f"manifest: {key} must be sorted")
    if manifest.get("config_flow"):
        check((COMPONENT / "config_flow.py").exists(), "manifest: no config_flow.py")
    return manifest


def check_hacs(manifest: dict[str, Any]) -> None:
    """The hacs.json and repository rules of HACS's validation."""
    hacs = json.loads((REPO / "hacs.json").read_text())
    check("name" in hacs, "hacs.json: name is required")
    check(set(hacs) <= HACS_KEYS, f"hacs.json: unknown keys {set(hacs) - HACS_KEYS}")
    check(
        bool(VERSION.match(hacs.get("homeassistant", ""))),
        "hacs.json: homeassistant must be a version",
    )
    check((REPO / "LICENSE").exists(), "repository: LICENSE is required")
    check((REPO / "README.md").exists(), "repository: README.md is required")
    check(manifest.get("documentation", "").startswith("https://"), "doc URL")
    for name, size in (("icon.png", (256, 256)), ("logo.png", None)):
        path = COMPONENT / "brand" / name
        check(path.exists(), f"brand/{name} is missing")
        if path.exists() and size is not None:
            check(png_size(path) == size, f"brand/{name} must be 256x256")


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested translation keys into dotted paths."""
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out |= flatten(value, f"{prefix}.{key}" if prefix else key)
    return out


def code_strings(pattern: str) -> set[str]:
    """Strings assigned to a keyword or attribute in the integration's code."""
    found: set[str] = set()
    for path in COMPONENT.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == pattern:
                if isinstance(node.value, ast.Constant):
                    found.add(str(node.value.value))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == pattern:
                        found.add(str(node.value.value))
    return found


def check_translations() -> None:
    """Every string is present, non-empty and referenced keys exist."""
    en = json.loads((COMPONENT / "translations" / "en.json").read_text())
    for key, value in flatten(en).items():
        check(isinstance(value, str) and value.strip(), f"en.json: empty {key}")
        check("[%key:" not in str(value), f"en.json: {key} uses a reference")
    exceptions = en.get("exceptions", {})
    for key in code_strings("translation_key"):
        where = exceptions if key in exceptions else None
        check(
            where is not None or _is_entity_or_selector_key(en, key),
            f"en.json: translation_key {key!r} has no translation",
        )
    flow = (COMPONENT / "config_flow.py").read_text()
    steps = set(re.findall(r"def async_step_(\w+)\(", flow))
    translated = (
        set(en["config"]["step"])
        | set(en.get("options", {}).get("step", {}))
        | {
            step
            for subentry in en.get("config_subentries", {}).values()
            for step in subentry.get("step", {})
        }
    )
    # reauth only redirects to reauth_confirm; subentry user/reconfigure
    # redirect to set_options.
    for step in steps - {"reauth", "user", "reconfigure"}:
        check(step in translated, f"en.json: config step {step!r} not translated")
    for lang in (COMPONENT / "translations").glob("*.json"):
        other = flatten(json.loads(lang.read_text()))
        check(set(other) == set(flatten(en)), f"{lang.name}: keys differ from en")


def _is_entity_or_selector_key(en: dict[str, Any], key: str) -> bool:
    entity = en.get("entity", {})
    return (
        key in en.get("selector", {})
        or key in en.get("issues", {})
        or any(key in v for v in entity.values())
    )


def check_services() -> None:
    """Each service has a schema in services.yaml, translations and an icon."""
    path = COMPONENT / "services.yaml"
    if not path.exists():
        return
    services = yaml.safe_load(path.read_text()) or {}
    en = json.loads((COMPONENT / "translations" / "en.json").read_text())
    icons = json.loads((COMPONENT / "icons.json").read_text()).get("services", {})
    for name, spec in services.items():
        translated = en.get("services", {}).get(name, {})
        check("name" in translated, f"services: {name} has no translated name")
        check(name in icons, f"icons.json: service {name} has no icon")
        for field in (spec or {}).get("fields", {}):
            check(
                field in translated.get("fields", {}),
                f"services: {name}.{field} has no translated name",
            )


def main() -> int:
    """Run every check and print the result."""
    manifest = check_manifest()
    check_hacs(manifest)
    check_translations()
    check_services()
    for message in errors:
        sys.stdout.write(f"validate: {message}\n")
    sys.stdout.write(f"validate: {'FAILED' if errors else 'all checks passed'}\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
