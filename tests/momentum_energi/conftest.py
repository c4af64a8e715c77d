"""Fixtures of the Momentum Energi tests: a simulator and an entry pointing at it."""

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.const import CONF_CLIENT_ID, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.momentum_energi.const import (
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_SECRET,
    CONF_LEVEL,
    CONFIG_VERSION,
    DOMAIN,
)
from custom_components.momentum_energi.coordinator import company_of
from simulators.momentum_energi import MomentumEnergiSimulator
from tests.conftest import StartSimulator

# Tests freeze time here: a week into November, after the US switch back
# from daylight saving time (2026-11-01), in HA's test time zone.
NOW = "2026-11-08 15:30:00+00:00"
SIM = MomentumEnergiSimulator


@pytest.fixture
def token_in_header() -> bool:
    """Return whether the simulator sends the token in a header; tests override."""
    return False


@pytest.fixture
def reading() -> dict[str, object]:
    """Return how the simulator reads the docs' gaps; tests override."""
    return {}


@pytest.fixture
def simulator(
    hass: HomeAssistant, token_in_header: bool, reading: dict[str, Any]
) -> MomentumEnergiSimulator:
    """Return the simulator, its customer in Home Assistant's time zone."""
    options = {"token_in_header": token_in_header, **reading}
    return MomentumEnergiSimulator(seed=42, tz=hass.config.time_zone, **options)


@pytest.fixture
async def simulator_url(
    simulator: MomentumEnergiSimulator, start_simulator: StartSimulator
) -> str:
    """Serve the simulator and return its base URL."""
    return await start_simulator(simulator)


@pytest.fixture
def options() -> dict[str, object]:
    """Return the entry's options; tests override."""
    return {CONF_LEVEL: "e", CONF_BACKFILL_DAYS: 400}


@pytest.fixture
def mock_config_entry(
    simulator_url: str, options: dict[str, object]
) -> MockConfigEntry:
    """Return a config entry for the simulator's API user."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Momentum Energi Solrosen",
        unique_id=company_of(SIM.USERNAME),
        version=CONFIG_VERSION,
        data={
            CONF_USERNAME: SIM.USERNAME,
            CONF_PASSWORD: SIM.PASSWORD,
            CONF_CLIENT_SECRET: SIM.CLIENT_SECRET,
            CONF_URL: simulator_url,
            CONF_CLIENT_ID: SIM.CLIENT_ID,
        },
        options=options,
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
