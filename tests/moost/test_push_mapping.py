"""Reading states, naming devices and mapping the Energy dashboard."""

from datetime import datetime, timedelta
import logging
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.moost.api import MoostEvent
from custom_components.moost.push.aggregator import DeviceSpec, InputKind
from custom_components.moost.push.catalog import EventType
from custom_components.moost.push.energy_prefs import (
    GATEWAY_ID,
    async_build_plan,
    infer_type,
    sanitize_id,
    sanitize_name,
)
from custom_components.moost.push.forwarder import read_value
from simulators.moost import MoostSimulator

from .test_push_forwarder import BIN, BOUT, IMP, grid_source

ZURICH = ZoneInfo("Europe/Zurich")


def state(value: str, unit: str | None = None, **attrs: Any) -> State:
    """Return a state with a unit."""
    if unit is not None:
        attrs["unit_of_measurement"] = unit
    return State("sensor.x", value, attrs)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (None, InputKind.ENERGY, None),
        (state("unavailable", "kWh"), InputKind.ENERGY, None),
        (state("unknown", "W"), InputKind.POWER, None),
        (state("nan", "W"), InputKind.POWER, None),
        (state("inf", "W"), InputKind.POWER, None),
        (state("1.234", "kWh"), InputKind.ENERGY, 1234.0),
        (state("0.5", "MWh"), InputKind.ENERGY, 500_000.0),
        (state("12", "Wh"), InputKind.ENERGY, 12.0),
        (state("3", "m³"), InputKind.ENERGY, None),
        (state("3", None), InputKind.ENERGY, None),
        (state("2.5", "kW"), InputKind.POWER, 2500.0),
        (state("212", "°F"), InputKind.TEMPERATURE, 100.0),
        (state("on"), InputKind.STATE, 1.0),
        (state("off"), InputKind.STATE, 0.0),
        (state("3"), InputKind.STATE, 3.0),
        (state("charging"), InputKind.STATE, None),
        (state("nan"), InputKind.STATE, None),
        (None, InputKind.STATE, None),
    ],
)
def test_read_value(
    value: State | None, kind: InputKind, expected: float | None
) -> None:
    """States in Wh / W / °C / numbers; anything unusable is None."""
    result = read_value(value, kind)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_names_and_ids() -> None:
    """Ids follow the spec's pattern; names have no line breaks and 1-100 chars."""
    assert sanitize_id("ha.dev.ab/c d") == "ha.dev.ab_c_d"
    assert sanitize_id("x") == "x__"
    assert len(sanitize_id("y" * 80)) == 64
    assert sanitize_name("  Wall\nbox \r\n", "fallback") == "Wall box"
    assert sanitize_name("\n", "fallback") == "fallback"
    assert sanitize_name(None, "f" * 120) == "f" * 100
    assert len(sanitize_name("n" * 150, "x")) == 100
    assert infer_type("Keller", None, "sensor.keller") == "APPLIANCE"
    assert infer_type("Wärmepumpe") == "HEAT_PUMP"
    assert infer_type("Garage", "Wallbox Pulsar") == "CAR_CHARGER"
    assert infer_type("Kühlschrank Küche") == "REFRIGERATION"


async def test_plan_from_prefs_and_subentries(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Registry ids, battery sides, subentries taking over entities, bad types."""
    caplog.set_level(logging.WARNING)
    washer = entity_registry.async_get_or_create(
        "sensor", "demo", "washer", suggested_object_id="washer_energy"
    )
    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                grid_source(),
                # one side external: not followed live
                {
                    "type": "battery",
                    "stat_energy_from": "demo:battery_out",
                    "stat_energy_to": BIN,
                },
                {
                    "type": "battery",
                    "stat_energy_from": BOUT,
                    "stat_energy_to": "sensor.bin2",
                },
                {"type": "gas", "stat_energy_from": "sensor.gas"},
            ],
            "device_consumption": [
                {
                    "stat_consumption": washer.entity_id,
                    "stat_rate": "sensor.washer_power",
                },
                {"stat_consumption": "sensor.dryer_energy", "name": "Tumble dryer"},
                {"stat_consumption": "sensor.dryer_energy_2", "name": "Tumble dryer"},
            ],
        }
    )
    entry = MockConfigEntry(
        domain="moost",
        data={"customer_building_id": "home"},
        subentries_data=[
            ConfigSubentryData(
                data={
                    "name": "Bad",
                    "device_type": "ROCKET",
                },
                subentry_type="device",
                title="Bad",
                unique_id=None,
            ),
            ConfigSubentryData(
                data={
                    "name": "Thermostat",
                    "device_type": "THERMOSTAT",
                    "temperature_entity": "sensor.living_room",
                    "device_status_entity": "not an entity",
                    "energy_consumption_entity": "sensor.dryer_energy_2",
                },
                subentry_type="device",
                title="Thermostat",
                unique_id=None,
            ),
            ConfigSubentryData(
                data={
                    "name": "Home battery",
                    "device_type": "BATTERY",
                    "energy_import_entity": "sensor.bin2",
                },
                subentry_type="device",
                title="Battery",
                unique_id=None,
            ),
        ],
    )
    entry.add_to_hass(hass)
    plan = await async_build_plan(hass, entry)
    assert plan.gateway is not None
    assert plan.gateway.grid_import == (IMP,)
    # the second battery counts for the household; its device is the subentry's
    assert plan.gateway.battery_discharge == (BOUT,)
    devices = {d.device_id: d for d in plan.devices}
    washer_id = f"ha.ent.{washer.id}"
    assert devices[washer_id] == DeviceSpec(
        device_id=washer_id,
        energy={EventType.ENERGY_CONSUMPTION: (washer.entity_id,)},
        mean={EventType.POWER_CONSUMPTION: "sensor.washer_power"},
    )
    assert plan.moost_devices["ha.dryer_energy"].type == "DRYER"
    assert "ha.dryer_energy_2" not in devices  # the thermostat subentry took it
    thermostat = next(d for d in plan.devices if d.mean.get(EventType.TEMPERATURE))
    assert thermostat.mean == {EventType.TEMPERATURE: "sensor.living_room"}
    assert thermostat.on_change == {}
    assert plan.moost_devices[thermostat.device_id].name == "Thermostat"
    assert plan.moost_devices[thermostat.device_id].product_name == "Thermostat"
    assert len(plan.devices) == 4  # washer, dryer, thermostat, battery (not 'Bad')
    assert plan.entity_ids >= {IMP, BOUT, "sensor.living_room", "sensor.washer_power"}
    assert plan.skipped == ["demo:battery_out"]
    assert "no valid MOOST type" in caplog.text

    # for history, the external statistic counts too
    history = await async_build_plan(hass, entry, statistics=True)
    assert history.gateway is not None
    assert "demo:battery_out" in history.gateway.battery_discharge
    assert "ha.stat.demo:battery_out" in history.moost_devices


async def test_forwarder_details(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """last_reset restarts a meter; listeners; day sums kept 8 days; stop with a timer."""
    start = datetime(2026, 11, 10, 9, 0, tzinfo=ZURICH)
    freezer.move_to(start)
    manager = await async_get_manager(hass)
    await manager.async_update(
        {"energy_sources": [grid_source() | {"stat_energy_to": None}]}
    )
    attrs = {
        "unit_of_measurement": "kWh",
        "state_class": "total",
        "last_reset": "2026-11-01T00:00:00+00:00",
    }
    hass.states.async_set(IMP, "10.000", attrs)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    forwarder = mock_config_entry.runtime_data.forwarder
    calls: list[int] = []
    remove = forwarder.async_add_listener(lambda: calls.append(1))

    hass.states.async_set(IMP, "10.500", attrs)
    # a new billing period: the meter restarts at 0.2 kWh
    hass.states.async_set(
        IMP, "0.200", attrs | {"last_reset": "2026-11-10T08:05:00+00:00"}
    )
    hass.states.async_set(
        IMP, "0.300", attrs | {"last_reset": "2026-11-10T08:05:00+00:00"}
    )
    freezer.move_to(start + timedelta(minutes=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert simulator.values("GRID_ENERGY_CONSUMPTION", device=GATEWAY_ID) == {
        int((start + timedelta(minutes=15)).timestamp()): 800.0
    }
    assert calls
    remove()
    assert forwarder.dropped == 0

    # the statistics check's day sums: only the last 8 days are kept
    for day in range(10):
        ts = int(datetime(2026, 11, 1 + day, 12, tzinfo=ZURICH).timestamp())
        forwarder._delivered(
            [
                MoostEvent(
                    customer_building_id="home",
                    device_id=GATEWAY_ID,
                    device_name="Home",
                    type="GRID_ENERGY_CONSUMPTION",
                    value=1.5,
                    timestamp=ts,
                ),
                MoostEvent(
                    customer_building_id="home",
                    device_id="other",
                    device_name="Other",
                    type="ENERGY_CONSUMPTION",
                    value=9.0,
                    timestamp=ts,
                ),
            ]
        )
    assert (
        forwarder.sent_day_totals(datetime(2026, 11, 2, tzinfo=ZURICH).date()) is None
    )
    assert forwarder.sent_day_totals(datetime(2026, 11, 5, tzinfo=ZURICH).date()) == {
        "GRID_ENERGY_CONSUMPTION": 1.5
    }
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_stop_with_a_debounce_window_open(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """An on-change value pending at unload is kept and sent after the restart."""
    freezer.move_to(datetime(2026, 11, 10, 9, 0, tzinfo=ZURICH))
    hass.states.async_set("switch.plug", "off")
    entry = MockConfigEntry(
        domain="moost",
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[
            ConfigSubentryData(
                data={
                    "name": "Plug",
                    "device_type": "SMART_PLUG",
                    "switch_state_entity": "switch.plug",
                },
                subentry_type="device",
                title="Plug",
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    hass.states.async_set("switch.plug", "on")
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert [e["value"] for e in simulator.received(type="SWITCH_STATE")] == [0.0]
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert [e["value"] for e in simulator.received(type="SWITCH_STATE")] == [0.0, 1.0]
    await hass.config_entries.async_unload(entry.entry_id)
