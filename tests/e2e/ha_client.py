"""The owner's REST and websocket client for the Home Assistant under test."""

from __future__ import annotations

import asyncio
import itertools
from http import HTTPStatus
from typing import Any, Self

import aiohttp


class HomeAssistantClient:
    """REST calls and one websocket connection, with the owner's access token."""

    def __init__(self, base_url: str, token: str) -> None:
        """Remember where Home Assistant is and whose token to use."""
        self.base_url = base_url
        self.token = token
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open HTTP session."""
        assert self._session is not None, "use the client as a context manager"
        return self._session

    async def __aenter__(self) -> Self:
        """Open the HTTP session and the authenticated websocket."""
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=aiohttp.ClientTimeout(total=60),
        )
        try:
            self._ws = await self._session.ws_connect(
                self.base_url.replace("http", "ws", 1) + "/api/websocket"
            )
            hello = await self._ws.receive_json()
            assert hello["type"] == "auth_required", hello
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            answer = await self._ws.receive_json()
            assert answer["type"] == "auth_ok", answer
        except BaseException:
            await self._session.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the websocket and the session."""
        if self._ws is not None:
            await self._ws.close()
        await self.session.close()

    # REST

    async def state(self, entity_id: str) -> dict[str, Any]:
        """GET /api/states/<entity_id>."""
        async with self.session.get(
            f"{self.base_url}/api/states/{entity_id}"
        ) as response:
            assert response.status == 200, (entity_id, response.status)
            result: dict[str, Any] = await response.json()
            return result

    async def wait_for_entity(self, entity_id: str) -> dict[str, Any]:
        """Poll the REST API until the entity exists (15 s at most).

        A new agent appears once its entry has reloaded, a moment after the
        flow that added it has finished.
        """
        async with asyncio.timeout(15):
            while True:
                async with self.session.get(
                    f"{self.base_url}/api/states/{entity_id}"
                ) as response:
                    if response.status == HTTPStatus.OK:
                        result: dict[str, Any] = await response.json()
                        return result
                    assert response.status == HTTPStatus.NOT_FOUND, response.status
                await asyncio.sleep(0.2)

    async def call_service(self, domain: str, service: str, **data: Any) -> None:
        """POST /api/services/<domain>/<service>."""
        async with self.session.post(
            f"{self.base_url}/api/services/{domain}/{service}", json=data
        ) as response:
            assert response.status == 200, (domain, service, response.status)

    async def wait_for_state(self, entity_id: str, state: str) -> dict[str, Any]:
        """Poll the REST API until the entity has the state (15 s at most)."""
        async with asyncio.timeout(15):
            while True:
                current = await self.state(entity_id)
                if current["state"] == state:
                    return current
                await asyncio.sleep(0.2)

    # Websocket

    @property
    def ws(self) -> aiohttp.ClientWebSocketResponse:
        """The open websocket."""
        assert self._ws is not None, "use the client as a context manager"
        return self._ws

    async def command(self, command: str, **fields: Any) -> Any:
        """Send one websocket command and return its result."""
        message_id = next(self._ids)
        await self.ws.send_json({"id": message_id, "type": command, **fields})
        while True:
            message = await self.ws.receive_json(timeout=60)
            if message.get("id") == message_id and message["type"] == "result":
                assert message["success"], message
                return message["result"]

    async def run_pipeline(self, **fields: Any) -> list[dict[str, Any]]:
        """Run `assist_pipeline/run` and return its events up to run-end."""
        message_id = next(self._ids)
        await self.ws.send_json(
            {"id": message_id, "type": "assist_pipeline/run", **fields}
        )
        events: list[dict[str, Any]] = []
        async with asyncio.timeout(60):
            while True:
                message = await self.ws.receive_json()
                if message.get("id") != message_id:
                    continue
                if message["type"] == "result":
                    assert message["success"], message
                    continue
                event = message["event"]
                events.append(event)
                if event["type"] in ("run-end", "error"):
                    return events
