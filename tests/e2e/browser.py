"""Debian's Chromium, driven by Playwright; Playwright never downloads a browser.

In the Python 3.14 rootfs scripts/setup installs the `chromium` package
(ROOTFS_PACKAGES); in venv mode a `chromium` on PATH is used. Without one,
or without the `playwright` package, the end-to-end test is skipped with
the reason.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

# The flags known to work here (see the machine notes): no sandbox as root,
# no GPU, and no background connections, which a closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # /dev/shm inside the chroot is a plain directory, not a tmpfs.
    "--disable-dev-shm-usage",
]


def find_chromium() -> str | None:
    """The Chromium binary to drive, if there is one."""
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def why_not_runnable() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if importlib.util.find_spec("playwright") is None:
        return (
            "the playwright package is not installed; scripts/setup installs it"
            " from requirements_test.txt"
        )
    if find_chromium() is None:
        return (
            "no Chromium found (/usr/bin/chromium or `chromium` on PATH):"
            " scripts/setup installs Debian's chromium in the Python 3.14 rootfs"
            " (needs root); in venv mode install it, e.g. `apt install chromium`"
        )
    return None
