"""Fixtures of the eSmart Systems tests: a simulator and a config entry pointing at it."""

from collections.abc import AsyncGenerator, Generator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esmart_systems.const import AREA_POWER, CONF_AREA, DOMAIN
from simulators.esmart_systems import ESmartSystemsSimulator
from tests.conftest import StartSimulator

# Tests freeze time here: two days after the end of summer time in Norway
# (2026-10-25), so the backfill window crosses a 25-hour day.
NOW = "2026-10-27 10:30:00+00:00"
BACKFILL = timedelta(days=14)


@pytest.fixture
def reading() -> dict[str, Any]:
    """Return how the simulator reads the doc's gaps; tests override."""
    return {}


@pytest.fixture
async def simulator(
    hass: HomeAssistant, reading: dict[str, Any]
) -> ESmartSystemsSimulator:
    """Return the simulator; Home Assistant runs in Oslo and counts in NOK."""
    await hass.config.async_set_time_zone("Europe/Oslo")
    hass.config.currency = "NOK"
    return ESmartSystemsSimulator(seed=7, tz="Europe/Oslo", **reading)


@pytest.fixture
async def simulator_url(
    simulator: ESmartSystemsSimulator, start_simulator: StartSimulator
) -> str:
    """Serve the simulator and return its base URL."""
    return await start_simulator(simulator)


@pytest.fixture(autouse=True)
def short_backfill() -> Generator[None]:
    """Import two weeks of history instead of two years (speed)."""
    with patch("custom_components.esmart_systems.coordinator.BACKFILL", BACKFILL):
        yield


@pytest.fixture
def area() -> str:
    """Return the entry's area; tests override it."""
    return AREA_POWER


@pytest.fixture
def mock_config_entry(simulator_url: str, area: str) -> MockConfigEntry:
    """Return a config entry for the simulator's user."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1 (Power)",
        unique_id=f"{ESmartSystemsSimulator.USER_AUTH_ID}_{area}",
        data={
            CONF_URL: simulator_url,
            CONF_USERNAME: ESmartSystemsSimulator.USERNAME,
            CONF_PASSWORD: ESmartSystemsSimulator.PASSWORD,
            CONF_AREA: area,
        },
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, recorder_mock: object, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """Set up the integration against the simulator and return its entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    yield mock_config_entry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Start the recorder before hass: the integration depends on it."""
