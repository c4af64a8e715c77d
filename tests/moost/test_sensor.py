"""Sensors of the MOOST integration and the read-back's availability."""

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.moost.api import MoostClient, MoostEvent
from custom_components.moost.const import DOMAIN, UPDATE_INTERVAL
from simulators import Fault
from simulators.moost import MoostSimulator
from tests.helpers import async_tick

from .conftest import NOW, setup_entry

pytestmark = pytest.mark.freeze_time(NOW)

LATEST = "sensor.moost_home_latest_recommendation"
OUTBOX = "sensor.moost_home_events_waiting_to_be_sent"
DELIVERY = "sensor.moost_home_last_delivery"
CONSUMPTION = "sensor.moost_home_consumption_forecast_next_hour"
GENERATION = "sensor.moost_home_generation_forecast_next_hour"
STEP = UPDATE_INTERVAL + timedelta(seconds=1)


async def test_entities(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Registry entries and states of every sensor of the building."""
    await _history(simulator_url, hass)
    simulator.generate_forecasts = True
    fired = simulator.fire(rule_id="65a0c1e2f3a4b5c6d7e8f902")
    # A fixed id: the simulator draws random ones.
    notifications = simulator.customer.notifications
    notifications["65f1c0ffee0123456789abcd"] = notifications.pop(fired["id"])
    notifications["65f1c0ffee0123456789abcd"]["id"] = "65f1c0ffee0123456789abcd"
    with patch("custom_components.moost.PLATFORMS", [Platform.SENSOR]):
        await setup_entry(hass, mock_config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{MoostSimulator.CUSTOMER_ID}_home"), mock_config_entry.entry_id
    )
    assert device == snapshot(name="device")
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.serial_number == "home"


async def _history(simulator_url: str, hass: HomeAssistant) -> None:
    """Give MOOST two days of household energy, as the push side would."""
    client = MoostClient(
        async_get_clientsession(hass),
        MoostSimulator.CLIENT_ID,
        MoostSimulator.CLIENT_SECRET,
        simulator_url,
    )
    start = int(datetime(2026, 11, 8, tzinfo=UTC).timestamp())
    events = [
        MoostEvent(
            customer_building_id="home",
            device_id="ha_gateway",
            device_name="Home",
            type=event_type,
            value=value,
            timestamp=start + 900 * (slot + 1),
        )
        for slot in range(2 * 96)
        for event_type, value in (
            ("ENERGY_CONSUMPTION", 100.0 + slot % 96),
            ("ENERGY_GENERATION", 50.0),
        )
    ]
    await client.async_send_historical(events)


async def test_forecast_sensors(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With forecasts in the subscription: next hour's value, 24 h as attributes."""
    await _history(simulator_url, hass)
    simulator.generate_forecasts = True
    await setup_entry(hass, mock_config_entry)
    consumption = hass.states.get(CONSUMPTION)
    assert consumption is not None
    assert consumption.attributes["unit_of_measurement"] == "kWh"
    upcoming = consumption.attributes["forecast"]
    assert len(upcoming) == 24
    # The first value is the next full hour's (09:00 UTC), in Wh from MOOST.
    assert upcoming[0]["time"] == "2026-11-10T09:00:00+00:00"
    assert float(consumption.state) == pytest.approx(upcoming[0]["value"] / 1000)
    generation = hass.states.get(GENERATION)
    # Four 15-minute slots of 50 Wh make an hour of 200 Wh.
    assert float(generation.state) == pytest.approx(0.2)


@pytest.mark.parametrize("available", [False, True])
async def test_no_forecast_no_entity(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    available: bool,
) -> None:
    """No forecast endpoint (404) or no data: no sensor, and no error."""
    simulator.forecast_available = available
    await setup_entry(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data.coordinator
    assert coordinator.last_update_success
    assert hass.states.get(CONSUMPTION) is None
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, "x") is None
    assert hass.states.get(LATEST).state == STATE_UNKNOWN


async def test_forecast_sensor_appears_later(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    simulator_url: str,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A forecast MOOST starts to compute adds its sensor at the next hourly read."""
    assert hass.states.get(CONSUMPTION) is None
    await _history(simulator_url, hass)
    simulator.generate_forecasts = True
    await async_tick(hass, freezer, timedelta(minutes=30))
    assert hass.states.get(CONSUMPTION) is None
    await async_tick(hass, freezer, timedelta(minutes=31))
    assert hass.states.get(CONSUMPTION) is not None


async def test_unavailable_and_recovery(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A failed refresh makes the read-back unavailable; the next one heals it."""
    assert hass.states.get(LATEST).state == STATE_UNKNOWN
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="notifications")
    await async_tick(hass, freezer, STEP)
    assert hass.states.get(LATEST).state == STATE_UNAVAILABLE
    # The push side's diagnostics do not depend on MOOST answering.
    assert hass.states.get(OUTBOX).state == "0"
    await async_tick(hass, freezer, STEP)
    assert hass.states.get(LATEST).state == STATE_UNKNOWN


async def test_rate_limit_honours_retry_after(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a 429, MOOST is not asked again before its Retry-After."""
    simulator.faults.inject(
        Fault.RATE_LIMIT, endpoint="notifications", retry_after=1200
    )
    await async_tick(hass, freezer, STEP)
    assert hass.states.get(LATEST).state == STATE_UNAVAILABLE
    asked = simulator.counters["notifications"]
    for _ in range(3):
        await async_tick(hass, freezer, STEP)
    assert simulator.counters["notifications"] == asked
    await async_tick(hass, freezer, timedelta(minutes=6))
    assert simulator.counters["notifications"] == asked + 1
    assert hass.states.get(LATEST).state == STATE_UNKNOWN


async def test_building_gone_and_auth_refused(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A deleted building makes the read-back fail; refused credentials ask reauth."""
    coordinator = init_integration.runtime_data.coordinator
    building = simulator.customer.buildings.pop("home")
    await async_tick(hass, freezer, timedelta(minutes=31))
    assert not coordinator.last_update_success
    assert coordinator.last_exception.translation_key == "building_not_found"
    simulator.customer.buildings["home"] = building

    simulator.clients[MoostSimulator.CLIENT_ID] = (
        "rotated",
        MoostSimulator.CUSTOMER_ID,
    )
    simulator.tokens.expire_all()
    await async_tick(hass, freezer, STEP)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_push_sensors_follow_the_forwarder(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Events flow from an Energy-dashboard meter to MOOST; the diagnostics follow."""
    meter = {
        "unit_of_measurement": "kWh",
        "state_class": "total_increasing",
        "device_class": "energy",
    }
    hass.states.async_set("sensor.grid_import", "100.000", meter)
    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "grid",
                    "stat_energy_from": "sensor.grid_import",
                    "stat_energy_to": None,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                    "stat_compensation": None,
                    "entity_energy_price_export": None,
                    "number_energy_price_export": None,
                    "cost_adjustment_day": 0.0,
                }
            ],
            "device_consumption": [],
        }
    )
    await setup_entry(hass, mock_config_entry)
    assert hass.states.get(OUTBOX).state == "0"
    assert hass.states.get(DELIVERY).state == STATE_UNKNOWN
    # The first whole slot (08:15-08:30 UTC) uses 0.25 kWh.
    await async_tick(hass, freezer, timedelta(minutes=8))
    hass.states.async_set("sensor.grid_import", "100.250", meter)
    await async_tick(hass, freezer, timedelta(minutes=15))
    await async_tick(hass, freezer, timedelta(seconds=30))
    assert simulator.values("GRID_ENERGY_CONSUMPTION") == {
        int(datetime(2026, 11, 10, 8, 30, tzinfo=UTC).timestamp()): 250.0
    }
    assert hass.states.get(OUTBOX).state == "0"
    delivered = hass.states.get(DELIVERY).state
    assert delivered != STATE_UNKNOWN
    assert datetime.fromisoformat(delivered) >= datetime(
        2026, 11, 10, 8, 30, tzinfo=UTC
    )


async def test_forecast_sensor_unavailable_when_the_forecast_ends(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A forecast MOOST no longer gives leaves its sensor unavailable."""
    await _history(simulator_url, hass)
    simulator.generate_forecasts = True
    await setup_entry(hass, mock_config_entry)
    assert hass.states.get(CONSUMPTION).state != STATE_UNAVAILABLE
    simulator.forecast_available = False
    await async_tick(hass, freezer, timedelta(minutes=61))
    state = hass.states.get(CONSUMPTION)
    assert state.state == STATE_UNAVAILABLE
    assert "forecast" not in state.attributes
