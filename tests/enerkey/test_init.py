"""Setup, sensors, key failover, call budget and diagnostics of EnerKey."""

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enerkey.api import Facility, MeterValues
from custom_components.enerkey.const import DOMAIN, UPDATE_INTERVAL
from custom_components.enerkey.coordinator import _month_value, unit_of
from custom_components.enerkey.diagnostics import async_get_config_entry_diagnostics
from custom_components.enerkey.entity import facility_device
from simulators import Fault
from simulators.enerkey import EnerKeySimulator
from tests.helpers import async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

ELECTRICITY_YESTERDAY = "sensor.toimisto_ruoholahti_main_electricity_yesterday"


def _local_day_total(sim: EnerKeySimulator, meter_id: int, day: datetime) -> float:
    start = day.astimezone(UTC)
    end = (day + timedelta(days=1)).replace(tzinfo=sim.tz).astimezone(UTC)
    return sum(v for _, v in sim.hours(sim.meters[meter_id], start, end))


async def test_setup_entities_and_unload(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Devices per facility, sensors per meter with classes from the unit."""
    assert init_integration.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    facility = device_registry.async_get_device_by_identifier(
        (DOMAIN, "facility_1001"), init_integration.entry_id
    )
    assert facility is not None
    assert facility.name == "Toimisto Ruoholahti"
    assert facility.model == "Office · 5200 m² · Porkkalankatu 20, 00180 Helsinki"
    assert len(devices) == 4  # three facilities and the API device
    state = hass.states.get(ELECTRICITY_YESTERDAY)
    assert state is not None
    yesterday = datetime(2026, 10, 26, tzinfo=simulator.tz)
    assert float(state.state) == pytest.approx(
        _local_day_total(simulator, 2001, yesterday), abs=1e-4
    )
    assert state.attributes["unit_of_measurement"] == "kWh"
    assert state.attributes["device_class"] == "energy"
    heating = hass.states.get("sensor.toimisto_ruoholahti_district_heating_this_month")
    assert heating is not None
    assert heating.attributes["unit_of_measurement"] == "MWh"
    october = datetime(2026, 10, 1, tzinfo=simulator.tz)
    assert float(heating.state) == pytest.approx(
        simulator.month_total(simulator.meters[2002], october), abs=1e-5
    )
    water = hass.states.get("sensor.toimisto_ruoholahti_cold_water_yesterday")
    assert water is not None
    assert water.attributes["unit_of_measurement"] == "m³"
    assert water.attributes["device_class"] == "volume"
    gas = hass.states.get("sensor.toimisto_ruoholahti_boiler_gas_yesterday")
    assert gas is not None
    assert gas.attributes["unit_of_measurement"] == "Nm3"
    assert "device_class" not in gas.attributes
    normalized = entity_registry.async_get(
        "sensor.toimisto_ruoholahti_main_electricity_last_month_normalized"
    )
    assert normalized is not None
    assert normalized.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    calls = hass.states.get("sensor.enerkey_profile_1001_3_facilities_api_calls_left")
    assert calls is not None
    assert int(calls.state) == simulator.calls_left()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_normalized_sensor(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Last month normalized equals the simulator's September times its factor."""
    state = hass.states.get(
        "sensor.toimisto_ruoholahti_main_electricity_last_month_normalized"
    )
    assert state is not None
    september = datetime(2026, 9, 1, tzinfo=simulator.tz)
    expected = simulator.month_total(
        simulator.meters[2001], september
    ) * simulator.normal_factor(september)
    assert float(state.state) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    ("fault", "state"),
    [
        (Fault.SERVER_ERROR, ConfigEntryState.SETUP_RETRY),
        (Fault.RATE_LIMIT, ConfigEntryState.SETUP_RETRY),
        (Fault.MALFORMED_JSON, ConfigEntryState.SETUP_RETRY),
    ],
)
async def test_setup_failures(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    fault: Fault,
    state: ConfigEntryState,
) -> None:
    """5xx, 429 and unreadable answers retry later."""
    simulator.faults.inject(fault, endpoint="facilities")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is state


async def test_both_keys_refused_starts_reauth(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Only when both keys are refused does reauthentication start."""
    simulator.revoke(EnerKeySimulator.PRIMARY_KEY)
    simulator.expire(EnerKeySimulator.SECONDARY_KEY)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == ["reauth"]
    assert not [i for i in ir.async_get(hass).issues if i[0] == DOMAIN]


async def test_key_failover_both_ways(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A refused key switches to the other at once; the issue names it; no failure."""
    coordinator = init_integration.runtime_data
    entry_id = init_integration.entry_id
    assert coordinator.client.active_key == "primary"
    assert set(simulator.keys_used) == {EnerKeySimulator.PRIMARY_KEY}
    simulator.revoke(EnerKeySimulator.PRIMARY_KEY)
    simulator.keys_used.clear()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert coordinator.last_update_success
    assert hass.states.get(ELECTRICITY_YESTERDAY).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert simulator.keys_used[0] == EnerKeySimulator.SECONDARY_KEY
    assert set(simulator.keys_used) == {EnerKeySimulator.SECONDARY_KEY}
    issue = issue_registry.async_get_issue(DOMAIN, f"renew_primary_key_{entry_id}")
    assert issue is not None
    assert issue.translation_key == "renew_primary_key"
    # The primary is renewed; then the secondary expires: back to the primary.
    simulator.renew(EnerKeySimulator.PRIMARY_KEY)
    simulator.expire(EnerKeySimulator.SECONDARY_KEY)
    simulator.keys_used.clear()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert coordinator.last_update_success
    assert set(simulator.keys_used) == {EnerKeySimulator.PRIMARY_KEY}
    assert (
        issue_registry.async_get_issue(DOMAIN, f"renew_primary_key_{entry_id}") is None
    )
    assert issue_registry.async_get_issue(DOMAIN, f"renew_secondary_key_{entry_id}")
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    assert diagnostics["failed_keys"] == ["secondary"]
    # Removing the entry removes its issues.
    await hass.config_entries.async_remove(entry_id)
    await hass.async_block_till_done()
    assert not [i for i in issue_registry.issues if i[0] == DOMAIN]


async def test_calls_per_refresh_and_manual_burst(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A regular refresh costs two calls; a burst of manual refreshes none."""
    coordinator = init_integration.runtime_data
    simulator.reset_counters()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert dict(simulator.counters) == {"hourly": 1, "monthly": 1, "total": 2}
    assert coordinator.last_refresh_calls == 2
    simulator.reset_counters()
    assert await async_setup_component(hass, "homeassistant", {})
    for _ in range(50):
        await hass.services.async_call(
            "homeassistant",
            "update_entity",
            {"entity_id": ELECTRICITY_YESTERDAY},
            blocking=True,
        )
    assert simulator.counters["total"] == 0
    assert simulator.rate_limited == 0
    assert coordinator.last_update_success
    # Past the spacing, one manual refresh reads again; daily, the structure too.
    freezer.tick(timedelta(hours=21))
    await coordinator.async_refresh()
    # facilities, meters, actions, 3 value calls
    assert simulator.counters["total"] == 6
    assert simulator.rate_limited == 0


async def test_rate_limit_and_recovery(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 makes sensors unavailable, Retry-After holds every call, then recovery."""
    coordinator = init_integration.runtime_data
    simulator.faults.inject(Fault.RATE_LIMIT, endpoint="hourly", retry_after=600)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert not coordinator.last_update_success
    assert hass.states.get(ELECTRICITY_YESTERDAY).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    simulator.reset_counters()
    freezer.tick(timedelta(minutes=6))
    await coordinator.async_refresh()
    assert simulator.counters["total"] == 0
    freezer.tick(timedelta(minutes=5))
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert hass.states.get(ELECTRICITY_YESTERDAY).state not in (
        STATE_UNAVAILABLE,
        STATE_UNKNOWN,
    )


async def test_new_and_removed_facilities(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The daily structure read adds new meters and removes gone facilities."""
    del simulator.facilities[1003]
    meter = simulator.meters[2001]
    simulator.meters[2031] = type(meter)(2031, 1001, "Sub meter", meter.quantity)
    await async_tick(hass, freezer, timedelta(hours=24))
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, "facility_1003"), init_integration.entry_id
        )
        is None
    )
    assert hass.states.get("sensor.toimisto_ruoholahti_sub_meter_yesterday")
    # The gone facility's device went, and its entities with it.
    assert (
        hass.states.get("sensor.as_oy_tapiola_property_electricity_yesterday") is None
    )


async def test_diagnostics_redact_keys(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Both keys are redacted; the budget and meters are there."""
    diagnostics: dict[str, Any] = await async_get_config_entry_diagnostics(
        hass, init_integration
    )
    text = str(diagnostics)
    assert EnerKeySimulator.PRIMARY_KEY not in text
    assert EnerKeySimulator.SECONDARY_KEY not in text
    assert diagnostics["entry"]["data"]["api_key"] == REDACTED
    assert diagnostics["active_key"] == "primary"
    assert len(diagnostics["meters"]) == 8
    assert diagnostics["actions"] == 6
    assert (
        diagnostics["calls_sent_24h"] == init_integration.runtime_data.client.requests
    )


def test_units() -> None:
    """Known units map to HA's with their class; others stay as text."""
    assert unit_of("kWh").unit_class == "energy"
    assert unit_of("GJ").unit == "GJ"
    assert unit_of("m3").unit == "m³"
    assert unit_of("l").unit_class == "volume"
    assert unit_of("Nm3").unit_class is None
    assert unit_of(None).unit is None


def test_facility_device_without_details() -> None:
    """A facility without type, area or address is still a device."""
    device = facility_device(Facility(id="5", name="Bare"))
    assert device["model"] == "Facility"
    assert device["serial_number"] == "5"


def test_month_value() -> None:
    """Only the asked month's non-negative value counts."""
    month = datetime(2026, 10, 1, tzinfo=UTC)
    assert _month_value(None, month) is None
    values = MeterValues(
        meter_id="1", values=[(month - timedelta(days=31), 5.0), (month, -1.0)]
    )
    assert _month_value(values, month) is None
    values = MeterValues(meter_id="1", values=[(month + timedelta(hours=3), 7.0)])
    assert _month_value(values, month) == 7.0


async def test_values_without_points_import_nothing(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An answer without values for a meter leaves its statistics as they were."""
    coordinator = init_integration.runtime_data
    before = dict(coordinator._cursor)
    data = coordinator.data
    await coordinator._import_meter(
        data,
        data.meters["2001"],
        MeterValues(meter_id="2001", unit="kWh"),
        datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert coordinator._cursor == before


async def test_this_month_when_ha_runs_in_another_zone(
    hass: HomeAssistant, simulator: EnerKeySimulator, mock_config_entry: MockConfigEntry
) -> None:
    """HA in Oslo, facilities in Helsinki: the month's row is still found.

    The facility's month starts an hour before HA's; asking from HA's month
    start left every "this month" sensor unknown.
    """
    await hass.config.async_set_time_zone("Europe/Oslo")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    heating = hass.states.get("sensor.toimisto_ruoholahti_district_heating_this_month")
    assert heating is not None
    october = datetime(2026, 10, 1, tzinfo=simulator.tz)
    assert float(heating.state) == pytest.approx(
        simulator.month_total(simulator.meters[2002], october), abs=1e-5
    )
