"""A real Home Assistant process with Confidant and the demo, on loopback.

Home Assistant runs as its own process (`python -m homeassistant`) with a
fresh configuration directory, so nothing of the test harness that patches
Home Assistant inside the pytest process reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import socket
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import IO, Self

import aiohttp

REPO = Path(__file__).resolve().parent.parent.parent
CONFIDANT = REPO / "custom_components" / "confidant"


def _load_stand_ins() -> ModuleType:
    """The development instance's offline stand-ins (scripts/ is no package)."""
    path = REPO / "scripts" / "dev" / "stand_ins.py"
    spec = importlib.util.spec_from_file_location("dev_stand_ins", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STAND_INS = _load_stand_ins()
# A first start installs nothing when scripts/setup ran; without it Home
# Assistant installs the frontend's requirements first, which takes longer.
STARTUP_TIMEOUT = 180


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def configuration_yaml(port: int) -> str:
    """The temporary configuration: the dev instance's, on a loopback port.

    The same integrations as config/configuration.yaml (frontend, onboarding
    through frontend, config, conversation, Assist and the demo), without the
    recorder-backed history and logbook the test does not need.
    """
    return textwrap.dedent(
        f"""\
        homeassistant:
          name: Confidant end-to-end
          unit_system: metric
          time_zone: UTC
          country: US
          currency: USD
          latitude: 52.37
          longitude: 4.89
          elevation: 0

        http:
          server_host: 127.0.0.1
          server_port: {port}

        frontend:
        config:
        conversation:
        assist_pipeline:
        demo:

        logger:
          default: warning
          logs:
            custom_components.confidant: debug
            homeassistant.components.conversation: info
            homeassistant.components.assist_pipeline: info
        """
    )


class HomeAssistantProcess:
    """Start and stop `python -m homeassistant` on a free loopback port."""

    def __init__(self, config_dir: Path, log_path: Path) -> None:
        """Prepare a configuration directory; the log goes to `log_path`."""
        self.config_dir = config_dir
        self.log_path = log_path
        self.port = free_loopback_port()
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The base URL of the frontend and the API."""
        return f"http://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        """Write configuration.yaml and link Confidant into custom_components."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(
            configuration_yaml(self.port)
        )
        custom = self.config_dir / "custom_components"
        custom.mkdir(exist_ok=True)
        (custom / "confidant").symlink_to(CONFIDANT, target_is_directory=True)
        # Onboarding would reach the internet (weather, radio, speech).
        STAND_INS.write_offline_stand_ins(custom, "the test")

    async def start(self) -> None:
        """Start Home Assistant and wait until its HTTP server answers."""
        self.write_config()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "homeassistant",
            "--config",
            str(self.config_dir),
            "--log-no-color",
            # Its own directory as working directory: with `-m` the working
            # directory is on sys.path, and the repository's
            # custom_components must not shadow the configuration's.
            cwd=self.config_dir,
            env=os.environ.copy(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT):
                await self._wait_until_ready()
        except TimeoutError:
            raise TimeoutError(
                f"Home Assistant did not answer on {self.url} within"
                f" {STARTUP_TIMEOUT} s:\n{self.log_tail()}"
            ) from None

    async def _wait_until_ready(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                assert self._process is not None
                if self._process.returncode is not None:
                    raise RuntimeError(
                        f"Home Assistant exited with {self._process.returncode}"
                        f" before it answered:\n{self.log_tail()}"
                    )
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(
                        f"{self.url}/api/onboarding",
                        timeout=aiohttp.ClientTimeout(total=5),
                    ) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        """Stop Home Assistant: SIGTERM, then SIGKILL if it does not exit."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 80) -> str:
        """The last lines Home Assistant logged, for failure messages."""
        if self._log is not None:
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def __aenter__(self) -> Self:
        """Start; stop again if starting fails."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop, whatever happened in the block."""
        await self.stop()
