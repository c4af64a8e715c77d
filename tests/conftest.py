"""Test harness shared by every integration's tests."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
import logging
from typing import Any
from unittest.mock import PropertyMock, patch

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from simulators import Simulator

type StartSimulator = Callable[[Simulator], Awaitable[str]]

# The HA test plugin calls logging.basicConfig(INFO) and turns on SQLAlchemy's
# statement log at import time. Its stderr handler outlives pytest's capture
# (the recorder thread logs between tests), which filled CI logs with SQL.
# Tests read logs through caplog, which has its own handler.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
for _handler in list(logging.root.handlers):
    if type(_handler) is logging.StreamHandler:
        logging.root.removeHandler(_handler)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load this repository's custom_components."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities disabled by default enabled, as HA core's fixture does."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize HA objects as core's snapshots do (stable ids, no timestamps)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def start_simulator(socket_enabled: None) -> AsyncGenerator[StartSimulator]:
    """Serve simulators in-process on 127.0.0.1; return each one's base URL.

    Integrations talk to them over real loopback HTTP through Home Assistant's
    shared aiohttp session, exactly as they talk to the vendor. Sockets are
    enabled as for HA's own ``hass_client``; connections stay limited to
    127.0.0.1 by the test plugin, so no test can reach a real vendor.
    """
    servers: list[TestServer] = []

    async def start(simulator: Simulator) -> str:
        server = TestServer(simulator.build_app(), host="127.0.0.1")
        # No access log: its local-time lookup breaks under frozen time.
        await server.start_server(access_log=None)
        servers.append(server)
        return f"http://127.0.0.1:{server.port}{simulator.prefix}"

    yield start
    for server in servers:
        await server.close()


class Replies:
    """A loopback server answering each request with the next queued reply."""

    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.requests: list[web.Request] = []
        self.bodies: list[bytes] = []
        self.base = ""

    def get(self, _: object = None, **reply: Any) -> None:
        """Queue a reply: payload (JSON) or body, status, headers, delay."""
        self.queue.append(reply)

    post = get

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer with the next queued reply, noting the request."""
        self.paths.append(request.path_qs)
        self.requests.append(request)
        self.bodies.append(await request.read())
        reply = self.queue.pop(0)
        if delay := reply.get("delay"):
            await asyncio.sleep(delay)
        if "payload" in reply:
            return web.json_response(
                reply["payload"],
                status=reply.get("status", 200),
                headers=reply.get("headers"),
            )
        return web.Response(
            status=reply.get("status", 200),
            text=reply.get("body", ""),
            content_type=reply.get("content_type", "text/plain"),
            headers=reply.get("headers"),
        )


@pytest.fixture
async def mocked(socket_enabled: None) -> AsyncGenerator[Replies]:
    """Serve scripted replies on 127.0.0.1 for client tests without a simulator.

    Real HTTP over loopback: for what transport decides (timeouts, delays,
    streamed bodies, raw headers). Tests that only need canned replies can
    use ``aioresponses`` (from ``aioresponses-ng``, which works with aiohttp
    3.14; see ``tests/momentum_energi/test_api_canned.py``).
    """
    replies = Replies()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", replies.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log=None)
    replies.base = f"http://127.0.0.1:{server.port}"
    yield replies
    await server.close()


@pytest.fixture
async def client() -> AsyncGenerator[ClientSession]:
    """Return a plain aiohttp session for client tests."""
    async with ClientSession() as session:
        yield session
