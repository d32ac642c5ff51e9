"""The provider SDKs import nothing during a request (no blocking import in the loop).

openai 3.2x and anyio (Home Assistant 2026.11's pins) import parts of
themselves on first use; Home Assistant reports such an import in the event
loop as a blocking call by Confidant. Loading Confidant's provider modules
(which Home Assistant does in an executor) must leave nothing for a request
to import. This runs in a fresh interpreter, since in the test process
earlier tests have long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent(
    """
    import asyncio, importlib, json, sys

    import homeassistant  # noqa: F401  (aliases httpx first, as at run time)
    import custom_components.confidant.providers.factory  # noqa: F401
    import anthropic, httpx, openai
    from aiohttp import web

    flagged = []
    original = importlib.import_module

    def watched(name, package=None):
        # Home Assistant's check: an import of a module not yet loaded.
        if name not in sys.modules:
            flagged.append(f"{package or ''}:{name}")
        return original(name, package)

    importlib.import_module = watched

    async def fail(request):
        return web.json_response(
            {"error": {"message": "boom", "type": "server_error"}}, status=500
        )

    async def main():
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", fail)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        http = httpx.AsyncClient()
        oa = openai.AsyncOpenAI(api_key="k", base_url=url + "/v1",
                                http_client=http, max_retries=0)
        an = anthropic.AsyncAnthropic(api_key="k", base_url=url,
                                      http_client=http, max_retries=0)
        calls = [
            lambda: oa.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x"}], stream=True),
            lambda: oa.responses.create(model="m", input="x", stream=True),
            lambda: oa.models.list(),
            lambda: an.messages.create(
                model="m", max_tokens=5, stream=True,
                messages=[{"role": "user", "content": "x"}]),
            lambda: an.models.list(),
        ]
        errors = []
        for call in calls:
            try:
                await call()
            except (openai.APIStatusError, anthropic.APIStatusError) as err:
                errors.append(err.status_code)
        await runner.cleanup()
        print(json.dumps({"flagged": flagged, "errors": errors}))

    asyncio.run(main())
    """
)


def test_a_request_imports_nothing_in_the_event_loop() -> None:
    """Every SDK request path, once Confidant is loaded, needs no new import."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # Each request reached the server and came back as the SDK's HTTP error.
    assert report["errors"] == [500, 500, 500, 500, 500]
    assert report["flagged"] == []
