"""Sensors of the Momentum Energi integration."""

from dataclasses import replace
from datetime import date, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_UNAVAILABLE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.momentum_energi.const import DOMAIN, UPDATE_INTERVAL
from simulators import Fault
from simulators.momentum_energi import ELECTRICITY, WATER, Item, MomentumEnergiSimulator
from tests.helpers import async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

SOLROSEN = "sensor.kv_solrosen"
BJORKEN = "sensor.kv_bjorken"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Registry entries and states of every sensor (normalised ones enabled)."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_values_are_the_latest_complete_month(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Sensors show October 2026 (November is still running), per medium."""
    october = {
        (row["itemKey"], row["mediaType"]): row
        for key in ("1001", "1002")
        for row in simulator.rows(simulator.items[key])
        if row["startDate"].startswith("2026-10-01")
    }
    heat = hass.states.get(f"{SOLROSEN}_fjarrvarme_energy_last_month")
    assert float(heat.state) == october["1001", "Fjärrvärme"]["energy"]
    assert heat.attributes["unit_of_measurement"] == "MWh"
    assert heat.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.ENERGY
    assert "state_class" not in heat.attributes

    water = hass.states.get(f"{BJORKEN}_kallvatten_consumption_last_month")
    assert float(water.state) == october["1002", "Kallvatten"]["consumption"]
    assert water.attributes["unit_of_measurement"] == "m³"
    assert water.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.WATER
    gas = hass.states.get(f"{BJORKEN}_naturgas_consumption_last_month")
    assert gas.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.GAS
    assert float(
        hass.states.get(f"{BJORKEN}_naturgas_energy_last_month").state
    ) == pytest.approx(october["1002", "Naturgas"]["energy"])

    # Electricity's consumption is energy: no second sensor repeats it; water
    # has no energy sensor; normalised variants exist but are disabled.
    assert hass.states.get(f"{SOLROSEN}_fastighetsel_consumption_last_month") is None
    assert hass.states.get(f"{BJORKEN}_kallvatten_energy_last_month") is None
    normalized = entity_registry.async_get(
        f"{SOLROSEN}_fjarrvarme_normalized_energy_last_month"
    )
    assert normalized is not None
    assert normalized.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@pytest.mark.parametrize(
    "fault", [Fault.SERVER_ERROR, Fault.MALFORMED_JSON, Fault.EMPTY_PAGE]
)
async def test_unavailable_then_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> None:
    """A failing refresh makes the sensors unavailable; the next one restores them."""
    entity_id = f"{SOLROSEN}_fastighetsel_energy_last_month"
    good = hass.states.get(entity_id).state
    simulator.faults.inject(fault, endpoint="statistics_updated_after")
    with caplog.at_level(logging.INFO):
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    assert "Error fetching" in caplog.text
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert hass.states.get(entity_id).state == good


async def test_rate_limit_backs_off_exponentially(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """429 without Retry-After: retries after 1, 2, 4 minutes, then all is well."""
    entity_id = f"{SOLROSEN}_fastighetsel_energy_last_month"
    simulator.faults.inject(
        Fault.RATE_LIMIT,
        endpoint="statistics_updated_after",
        times=3,
        retry_after=None,
    )
    simulator.reset_counters()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    calls = 1
    for wait in (60, 120, 240):
        await async_tick(hass, freezer, timedelta(seconds=wait - 5))
        assert simulator.counters["statistics_updated_after"] == calls
        await async_tick(hass, freezer, timedelta(seconds=10))
        calls += 1
        assert simulator.counters["statistics_updated_after"] == calls
    assert hass.states.get(entity_id).state != STATE_UNAVAILABLE
    # Success resets the backoff: the next refresh is a normal interval away.
    await async_tick(hass, freezer, UPDATE_INTERVAL - timedelta(minutes=1))
    assert simulator.counters["statistics_updated_after"] == calls


async def test_rate_limit_honours_a_longer_retry_after(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server's Retry-After longer than the backoff wins."""
    simulator.faults.inject(
        Fault.RATE_LIMIT, endpoint="statistics_updated_after", retry_after=900
    )
    simulator.reset_counters()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    await async_tick(hass, freezer, timedelta(seconds=890))
    assert simulator.counters["statistics_updated_after"] == 1
    await async_tick(hass, freezer, timedelta(seconds=20))
    assert simulator.counters["statistics_updated_after"] == 2


@pytest.mark.parametrize("token_in_header", [False, True])
async def test_token_costs_one_call_per_expiry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
    token_in_header: bool,
) -> None:
    """Token in the body or a header: one per hour at most; a revoked one renews once."""
    assert init_integration.runtime_data.last_update_success
    assert simulator.counters["token"] == 1
    coordinator = init_integration.runtime_data
    simulator.reset_counters()
    await coordinator.async_refresh()
    assert dict(simulator.counters) == {"statistics_updated_after": 1, "total": 1}

    simulator.reset_counters()
    for _ in range(3):
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert simulator.counters["token"] == 3

    simulator.reset_counters()
    simulator.tokens.expire_all()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert simulator.counters["token"] == 1
    assert simulator.counters["statistics_updated_after"] == 2


async def test_no_secret_in_logs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    recorder_mock: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither password, client secret nor a token reaches the log, even at debug."""
    caplog.set_level(logging.DEBUG)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    simulator.faults.inject(Fault.UNAUTHORIZED, endpoint="statistics_updated_after")
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="statistics_updated_after")
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    issued = [t.token for t in simulator.tokens._tokens.values()]
    assert len(issued) >= 2
    for secret in (
        MomentumEnergiSimulator.PASSWORD,
        MomentumEnergiSimulator.CLIENT_SECRET,
        *issued,
    ):
        assert secret not in caplog.text


async def test_new_item_adds_a_device_and_gone_item_is_removed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Items that appear get devices and sensors; items that vanish lose theirs."""
    coordinator = init_integration.runtime_data
    simulator.items["1003"] = Item("1003", "Kv. Eken", "1003", "E", None)
    simulator.items["1003-01"] = Item(
        "1003-01", "Eken", "1003-01", "B", "1003", (ELECTRICITY,), 0.5
    )
    # The new estate's rows reach an updatedAfter query once it has data:
    # after the next nightly import. The structure is read again daily.
    await async_tick(hass, freezer, timedelta(hours=24))
    assert coordinator.last_update_success
    assert hass.states.get("sensor.kv_eken_fastighetsel_energy_last_month")
    identifier = (DOMAIN, coordinator.device_identifier("1003"))
    assert device_registry.async_get_device_by_identifier(
        identifier, init_integration.entry_id
    )

    del simulator.items["1002"]
    await async_tick(hass, freezer, timedelta(hours=24))
    assert coordinator.last_update_success
    gone = (DOMAIN, coordinator.device_identifier("1002"))
    assert (
        device_registry.async_get_device_by_identifier(gone, init_integration.entry_id)
        is None
    )
    assert hass.states.get(f"{BJORKEN}_fastighetsel_energy_last_month") is None


async def test_unknown_unit_keeps_the_sensor_without_device_class(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    recorder_mock: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A unit the integration does not know keeps its text; no device class."""
    odd = replace(WATER, consumption_unit="kubik")
    for item in simulator.items.values():
        item.media = tuple(odd if m is WATER else m for m in item.media)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(f"{SOLROSEN}_kallvatten_consumption_last_month")
    assert state.attributes["unit_of_measurement"] == "kubik"
    assert ATTR_DEVICE_CLASS not in state.attributes
    assert caplog.text.count("Unknown unit 'kubik'") == 1
    # No statistic is made of a unit that cannot be converted.
    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    assert not [key for key in metadata if "kallvatten" in key]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_data_updated_follows_the_newest_change(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The diagnostic timestamp is the newest lastUpdated, old corrections included."""
    entity_id = f"{SOLROSEN}_data_updated"
    entry = entity_registry.async_get(entity_id)
    assert entry is not None
    assert entry.entity_category is EntityCategory.DIAGNOSTIC
    # The vendor's last nightly import: 2026-11-08 06:00 US/Pacific.
    assert hass.states.get(entity_id).state.startswith("2026-11-08T14:00:00")
    await async_tick(hass, freezer, timedelta(minutes=30))
    simulator.correct("1001-02", "Kallvatten", date(2025, 12, 1), 99.0)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert hass.states.get(entity_id).state.startswith("2026-11-08T16:00:00")
    # Björken had no change.
    assert hass.states.get(f"{BJORKEN}_data_updated").state.startswith(
        "2026-11-08T14:00:00"
    )
