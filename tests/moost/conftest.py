"""Fixtures of the MOOST tests: the simulator, its building and a config entry."""

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.moost.const import (
    CONF_CITY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_COUNTRY_CODE,
    CONF_CUSTOMER_BUILDING_ID,
    CONF_URL,
    CONF_ZIP,
    DOMAIN,
)
from simulators.moost import MoostSimulator
from tests.conftest import StartSimulator

# A Tuesday morning in Zurich (UTC+1), outside any DST switch.
NOW = "2026-11-10 08:07:00+00:00"
BUILDING_ID = MoostSimulator.BUILDING_ID


@pytest.fixture(autouse=True)
async def swiss_home(hass: HomeAssistant) -> None:
    """Run Home Assistant as a Swiss household, as MOOST's customers are."""
    await hass.config.async_update(
        time_zone="Europe/Zurich",
        country="CH",
        currency="CHF",
        location_name="Chalet Sonnenberg",
    )


@pytest.fixture
def simulator(hass: HomeAssistant) -> MoostSimulator:
    """Return the MOOST simulator (one customer, no building yet)."""
    return MoostSimulator(seed=42, default_time_zone="Europe/Zurich")


@pytest.fixture
async def simulator_url(
    simulator: MoostSimulator, start_simulator: StartSimulator
) -> str:
    """Serve the simulator and return its base URL."""
    return await start_simulator(simulator)


def add_building(
    simulator: MoostSimulator, building_id: str = BUILDING_ID, **fields: Any
) -> dict[str, Any]:
    """Store a building in the simulator as its POST would."""
    customer = simulator.customer
    building: dict[str, Any] = {
        "id": "6565f0c1a2b3c4d5e6f7aaaa",
        "customerId": customer.customer_id,
        "customerBuildingId": building_id,
        "zip": "8005",
        "city": "Zürich",
        "countryCode": "CH",
        "timeZoneId": "Europe/Zurich",
        "geolocation": {"lat": 47.3769, "lon": 8.5417},
        "rulesOperator": "EXCLUDE",
        "activeRules": list(customer.rules),
        "inactiveRules": [],
        "devices": [],
        **fields,
    }
    customer.buildings[building_id] = building
    return building


@pytest.fixture
def building(simulator: MoostSimulator) -> dict[str, Any]:
    """Return the entry's building, as the config flow created it."""
    return add_building(simulator)


@pytest.fixture
def options() -> dict[str, Any]:
    """Return the entry's options; tests override."""
    return {}


@pytest.fixture
def mock_config_entry(
    simulator_url: str, building: dict[str, Any], options: dict[str, Any]
) -> MockConfigEntry:
    """Return a config entry for the simulator's customer and building."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"MOOST {BUILDING_ID}",
        unique_id=MoostSimulator.CUSTOMER_ID,
        data={
            CONF_CLIENT_ID: MoostSimulator.CLIENT_ID,
            CONF_CLIENT_SECRET: MoostSimulator.CLIENT_SECRET,
            CONF_URL: simulator_url,
            CONF_CUSTOMER_BUILDING_ID: BUILDING_ID,
            CONF_ZIP: "8005",
            CONF_CITY: "Zürich",
            CONF_COUNTRY_CODE: "CH",
        },
        options=options,
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up an entry, waiting for its background first refresh."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """Set up the integration against the simulator and return its entry."""
    await setup_entry(hass, mock_config_entry)
    yield mock_config_entry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Start the recorder before hass: the integration depends on it."""
