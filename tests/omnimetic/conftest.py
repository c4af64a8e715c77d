"""Fixtures of the Omnimetic tests: a simulator and a config entry pointing at it."""

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.const import CONF_CLIENT_ID, CONF_CURRENCY, CONF_URL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.omnimetic.const import (
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_SECRET,
    CONF_SERVICE_ACCOUNT_ID,
    DOMAIN,
)
from simulators.omnimetic import OmnimeticSimulator
from tests.conftest import StartSimulator

# Tests freeze time here: a week after the US switch back from daylight
# saving time (2026-11-01), so the default backfill window crosses it.
NOW = "2026-11-08 15:30:00+00:00"


@pytest.fixture
def reading() -> dict[str, Any]:
    """Return how the simulator reads the reference's gaps; tests override."""
    return {}


@pytest.fixture
def simulator(hass: HomeAssistant, reading: dict[str, Any]) -> OmnimeticSimulator:
    """Return the Omnimetic simulator, in Home Assistant's time zone."""
    return OmnimeticSimulator(seed=42, tz=hass.config.time_zone, **reading)


@pytest.fixture
async def simulator_url(
    simulator: OmnimeticSimulator, start_simulator: StartSimulator
) -> str:
    """Serve the simulator and return its base URL."""
    return await start_simulator(simulator)


@pytest.fixture
def backfill_days() -> int:
    """Return how much history the entry imports; tests override it."""
    return 14


@pytest.fixture
def mock_config_entry(
    simulator: OmnimeticSimulator, simulator_url: str, backfill_days: int
) -> MockConfigEntry:
    """Return a config entry for the simulator's service account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Omnimetic {OmnimeticSimulator.SERVICE_ACCOUNT_ID}",
        unique_id=OmnimeticSimulator.SERVICE_ACCOUNT_ID,
        data={
            CONF_CLIENT_ID: OmnimeticSimulator.CLIENT_ID,
            CONF_CLIENT_SECRET: OmnimeticSimulator.CLIENT_SECRET,
            CONF_SERVICE_ACCOUNT_ID: OmnimeticSimulator.SERVICE_ACCOUNT_ID,
            CONF_URL: simulator_url,
        },
        options={CONF_CURRENCY: "USD", CONF_BACKFILL_DAYS: backfill_days},
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
