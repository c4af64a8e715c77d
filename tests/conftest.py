"""Test harness shared by every integration's tests."""

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from unittest.mock import PropertyMock, patch

from aiohttp.test_utils import TestServer
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from simulators import Simulator

type StartSimulator = Callable[[Simulator], Awaitable[str]]


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
