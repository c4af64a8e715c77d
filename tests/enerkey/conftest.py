"""Fixtures of the EnerKey tests: a simulator and a config entry pointing at it."""

from collections.abc import AsyncGenerator, Generator
from datetime import timedelta
from unittest.mock import patch

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enerkey.const import CONF_API_KEY, CONF_SECONDARY_API_KEY, DOMAIN
from simulators.enerkey import EnerKeySimulator
from tests.conftest import StartSimulator

# Tests freeze time here: two days after summer time ended in Finland
# (2026-10-25), so the backfill crosses a 25-hour day.
NOW = "2026-10-27 10:30:00+00:00"
BACKFILL = timedelta(days=5)


@pytest.fixture
async def simulator(hass: HomeAssistant) -> EnerKeySimulator:
    """Return the simulator; Home Assistant runs in Helsinki."""
    await hass.config.async_set_time_zone("Europe/Helsinki")
    return EnerKeySimulator(seed=5)


@pytest.fixture
async def simulator_url(
    simulator: EnerKeySimulator, start_simulator: StartSimulator
) -> str:
    """Serve the simulator and return its base URL."""
    return await start_simulator(simulator)


@pytest.fixture(autouse=True)
def short_backfill() -> Generator[None]:
    """Import five days of history instead of two years (speed)."""
    with patch("custom_components.enerkey.coordinator.BACKFILL", BACKFILL):
        yield


@pytest.fixture
def mock_config_entry(simulator_url: str) -> MockConfigEntry:
    """Return a config entry with both of the simulator's keys."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Profile 1001 (3 facilities)",
        unique_id="1001",
        data={
            CONF_URL: simulator_url,
            CONF_API_KEY: EnerKeySimulator.PRIMARY_KEY,
            CONF_SECONDARY_API_KEY: EnerKeySimulator.SECONDARY_KEY,
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
