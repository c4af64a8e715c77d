"""The forwarder through HA against the MOOST simulator: a household's day."""

from collections import defaultdict
from datetime import datetime, timedelta
import logging
import math
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.moost.const import DOMAIN
from custom_components.moost.push.energy_prefs import GATEWAY_ID
from simulators.framework import Fault
from simulators.moost import MoostSimulator

from .conftest import BUILDING_ID

ZURICH = ZoneInfo("Europe/Zurich")
DAY = datetime(2026, 11, 10, tzinfo=ZURICH)

IMP, EXP = "sensor.grid_import", "sensor.grid_export"
SOLAR, BIN, BOUT = "sensor.solar", "sensor.battery_charged", "sensor.battery_discharged"
WASHER_E, WASHER_P = "sensor.washer_energy", "sensor.washer_power"
BOX_E, BOX_SWITCH = "sensor.wallbox_energy", "switch.wallbox"
WASHER_ID, BATTERY_ID = "ha.washer_energy", "ha.battery_discharged"

KWH = {
    "unit_of_measurement": "kWh",
    "state_class": "total_increasing",
    "device_class": "energy",
}
WH = {**KWH, "unit_of_measurement": "Wh"}
W = {"unit_of_measurement": "W", "state_class": "measurement", "device_class": "power"}


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """Keep the simulated household's ~60,000 states out of the test database."""
    return {"exclude": {"entity_globs": ["sensor.*", "switch.*"]}}


def grid_source() -> dict[str, Any]:
    """Return one grid connection as HA 2026.11 stores it."""
    return {
        "type": "grid",
        "stat_energy_from": IMP,
        "stat_energy_to": EXP,
        "stat_cost": None,
        "entity_energy_price": None,
        "number_energy_price": None,
        "stat_compensation": None,
        "entity_energy_price_export": None,
        "number_energy_price_export": None,
        "cost_adjustment_day": 0.0,
    }


async def set_energy_prefs(hass: HomeAssistant, *, devices: bool = True) -> None:
    """Configure the Energy dashboard: grid, solar, battery, one device."""
    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                grid_source(),
                {
                    "type": "solar",
                    "stat_energy_from": SOLAR,
                    "config_entry_solar_forecast": None,
                },
                {"type": "battery", "stat_energy_from": BOUT, "stat_energy_to": BIN},
            ],
            "device_consumption": (
                [
                    {
                        "stat_consumption": WASHER_E,
                        "stat_rate": WASHER_P,
                        "name": "Washing machine",
                    }
                ]
                if devices
                else []
            ),
        }
    )


def make_entry(
    simulator_url: str, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Return the entry with a hand-added wallbox."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[
            ConfigSubentryData(
                data={
                    "name": "Wallbox\ngarage",
                    "device_type": "CAR_CHARGER",
                    "energy_consumption_entity": BOX_E,
                    "switch_state_entity": BOX_SWITCH,
                },
                subentry_type="device",
                title="Wallbox",
                unique_id=None,
            )
        ],
    )


class Household:
    """A deterministic household: counters in Wh, set as HA sensors."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.wh: dict[str, int] = {
            IMP: 5_000_000,
            EXP: 1_000_000,
            SOLAR: 2_000_000,
            BIN: 0,
            BOUT: 0,
        }
        self.wh |= {WASHER_E: 40_000, BOX_E: 7_000_000}
        self.battery = 2000  # Wh stored
        # per slot end: the counter values last set before it
        self.at: dict[int, dict[str, int]] = {}
        self.power: dict[int, list[float]] = defaultdict(list)
        self.power_updates = 0

    def write(self, ts: float) -> None:
        """Set every counter as a sensor state at ts."""
        for entity_id, wh in self.wh.items():
            if entity_id in (IMP, BOX_E):
                self.hass.states.async_set(
                    entity_id, f"{wh / 1000:.3f}", KWH, timestamp=ts
                )
            else:
                self.hass.states.async_set(entity_id, str(wh), WH, timestamp=ts)

    def step30(self, ts: float) -> None:
        """Advance the counters by 30 s of household life."""
        hour = (
            datetime.fromtimestamp(ts, ZURICH).hour
            + datetime.fromtimestamp(ts, ZURICH).minute / 60
        )
        solar = (
            max(0, int(30 * math.sin(math.pi * (hour - 8) / 8))) if 8 < hour < 16 else 0
        )
        washer = 17 if 10 <= hour < 11.5 else 0
        wallbox = 90 if 18 <= hour < 20 else 0
        load = 4 + int(ts // 30) % 5 + washer + wallbox
        charge = discharge = 0
        if solar > load and self.battery < 10_000:
            charge = min(solar - load, 6)
        elif solar < load and hour >= 17 and self.battery > 0:
            discharge = min(load - solar, 5, self.battery)
        self.battery += charge - discharge
        net = load - solar - discharge + charge
        self.wh[IMP] += max(net, 0)
        self.wh[EXP] += max(-net, 0)
        self.wh[SOLAR] += solar
        self.wh[BIN] += charge
        self.wh[BOUT] += discharge
        self.wh[WASHER_E] += washer
        self.wh[BOX_E] += wallbox

    def set_power(self, ts: float, slot_end: int) -> None:
        """The washer's power sensor: a new value every 2 s."""
        second = int(ts) % 86400
        value = (
            2000.0 + (second % 7) * 3.5
            if 9 * 3600 <= second < 10 * 3600
            else 1.5 + (second % 3)
        )
        self.hass.states.async_set(WASHER_P, str(value), W, timestamp=ts)
        self.power[slot_end].append(value)
        self.power_updates += 1

    async def run_slot(self, freezer: FrozenDateTimeFactory, start: int) -> None:
        """Live one 15-minute slot, then let the slot timer fire."""
        end = start + 900
        for i in range(450):
            ts = start + 2 * i
            if i % 15 == 0:
                self.step30(ts)
                self.write(ts)
            self.set_power(ts, end)
        self.at[end] = dict(self.wh)
        freezer.move_to(datetime.fromtimestamp(end, ZURICH))
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done()


def diffs(household: Household, entity_id: str, ends: list[int]) -> dict[int, float]:
    """Return the expected Wh per slot of one counter."""
    return {
        end: float(household.at[end][entity_id] - household.at[end - 900][entity_id])
        for end in ends
    }


async def test_a_household_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """What MOOST received equals what the sensors measured, slot by slot."""
    start = int(DAY.timestamp()) - 900
    freezer.move_to(datetime.fromtimestamp(start, ZURICH))
    house = Household(hass)
    house.write(start)
    house.set_power(start, start)
    hass.states.async_set(BOX_SWITCH, "off", timestamp=start)
    await set_energy_prefs(hass)
    entry = make_entry(simulator_url, mock_config_entry)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    house.at[start] = dict(house.wh)

    for n in range(96 + 1):  # the slot before the day, then the day's 96
        if n == 73:  # 18:00: the wallbox starts charging
            hass.states.async_set(BOX_SWITCH, "on", timestamp=start + n * 900 + 5)
        if n == 81:  # 20:00: done
            hass.states.async_set(BOX_SWITCH, "off", timestamp=start + n * 900 + 5)
        await house.run_slot(freezer, start + n * 900)
    await hass.async_block_till_done()

    ends = [int(DAY.timestamp()) + 900 * k for k in range(1, 97)]
    imports, exports = diffs(house, IMP, ends), diffs(house, EXP, ends)
    solar = diffs(house, SOLAR, ends)
    charge, discharge = diffs(house, BIN, ends), diffs(house, BOUT, ends)
    consumption = {
        end: imports[end] + solar[end] - exports[end] + discharge[end] - charge[end]
        for end in ends
    }

    def got(event_type: str, device: str = GATEWAY_ID) -> dict[int, float]:
        return {
            ts: value
            for ts, value in simulator.values(event_type, device=device).items()
            if ts in ends
        }

    # energy exact to the Wh, slot by slot
    assert got("GRID_ENERGY_CONSUMPTION") == imports
    assert got("ENERGY_GENERATION") == solar
    assert got("ENERGY_CONSUMPTION") == consumption
    assert got("ENERGY_IMPORT", BATTERY_ID) == charge
    assert got("ENERGY_EXPORT", BATTERY_ID) == discharge
    assert got("ENERGY_CONSUMPTION", WASHER_ID) == diffs(house, WASHER_E, ends)
    assert got("POWER_EXCESS") == {end: exports[end] * 4 for end in ends}
    assert got("GRID_POWER_CONSUMPTION") == {end: imports[end] * 4 for end in ends}
    assert sum(consumption.values()) > 0 and sum(exports.values()) > 0
    box_id = next(
        device for (_, device, _, _) in simulator.events if device.startswith("ha.sub.")
    )
    assert got("ENERGY_CONSUMPTION", box_id) == diffs(house, BOX_E, ends)
    # ENERGY_EXCESS every 30 minutes: 48 a day, each the sum of two slots
    excess = got("ENERGY_EXCESS")
    assert len(excess) == 48
    assert excess == {end: exports[end] + exports[end - 900] for end in ends[1::2]}
    # power: the time-weighted mean of a sensor updated every 2 s
    power = got("POWER_CONSUMPTION", WASHER_ID)
    assert len(power) == 96
    for end in ends:
        assert power[end] == pytest.approx(sum(house.power[end]) / 450, abs=0.001)
    # _YESTERDAY once after midnight
    midnight = ends[-1]
    assert simulator.values("GRID_ENERGY_CONSUMPTION_YESTERDAY") == {
        midnight: sum(imports.values())
    }
    assert simulator.values("ENERGY_CONSUMPTION_YESTERDAY", device=GATEWAY_ID) == {
        midnight: sum(consumption.values())
    }
    assert simulator.values("ENERGY_EXCESS_YESTERDAY") == {
        midnight: sum(exports.values())
    }
    assert simulator.values("ENERGY_IMPORT_YESTERDAY", device=BATTERY_ID) == {
        midnight: sum(charge.values())
    }
    # on-change: the switch's three states, at the time they changed
    assert simulator.values("SWITCH_STATE", device=box_id) == {
        start: 0.0,
        start + 73 * 900 + 5: 1.0,
        start + 81 * 900 + 5: 0.0,
    }
    # calls follow the cadence, not the 2-second updates
    assert house.power_updates == 43_651
    day_events = [e for e in simulator.received() if e["timestamp"] in ends]
    assert simulator.duplicates == 0
    # one POST /events/v1 per event, none twice, nothing needed the backlog
    # path; ~20 events a slot for this household, not one per state change
    assert (
        simulator.counters["events"]
        == len(simulator.event_log)
        == len(simulator.received())
    )
    assert simulator.counters["historical"] == 0
    # 24 h 15 min of MOOST: the token was renewed once
    assert simulator.counters["token"] == 2
    assert len(day_events) < 25 * 96
    assert all(not e["historical"] for e in day_events)
    # the devices MOOST knows, as the Device schema requires them
    building = simulator.building()
    assert building is not None
    devices = {d["id"]: d for d in building["devices"]}
    assert devices[GATEWAY_ID]["type"] == "GATEWAY"
    assert devices[GATEWAY_ID]["name"] == "Chalet Sonnenberg"
    assert devices[BATTERY_ID]["type"] == "BATTERY"
    assert devices[WASHER_ID] | {} == {
        "id": WASHER_ID,
        "name": "Washing machine",
        "type": "WASHING_MACHINE",
        "product_name": "Washing Machine",
        "vendor_name": "Home Assistant",
    } | {
        k: v
        for k, v in devices[WASHER_ID].items()
        if k not in {"id", "name", "type", "product_name", "vendor_name"}
    }
    assert devices[box_id]["name"] == "Wallbox garage"
    assert devices[box_id]["type"] == "CAR_CHARGER"
    forwarder = entry.runtime_data.forwarder
    assert forwarder.outbox_length == 0
    assert forwarder.last_delivery is not None
    assert forwarder.sent_day_totals(DAY.date()) == {
        "GRID_ENERGY_CONSUMPTION": sum(imports.values()),
        "ENERGY_GENERATION": sum(solar.values()),
        "ENERGY_CONSUMPTION": sum(consumption.values()),
    }
    await hass.config_entries.async_unload(entry.entry_id)


async def test_outage_and_restart_exactly_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """MOOST down 3 h, HA restarted in the middle: 0 lost, 0 duplicated."""
    start = int(DAY.timestamp()) + 6 * 3600  # 06:00
    freezer.move_to(datetime.fromtimestamp(start, ZURICH))
    house = Household(hass)
    house.write(start)
    house.set_power(start, start)
    hass.states.async_set(BOX_SWITCH, "off", timestamp=start)
    await set_energy_prefs(hass)
    entry = make_entry(simulator_url, mock_config_entry)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    house.at[start] = dict(house.wh)

    await house.run_slot(freezer, start)  # 06:00-06:15 delivered live
    simulator.faults.inject(Fault.SERVER_ERROR, times=None)
    for n in range(1, 7):  # down 06:15 - 07:45
        await house.run_slot(freezer, start + n * 900)
    # HA restarts at 07:45 (unload saves, setup loads), MOOST still down
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    queued = entry.runtime_data.forwarder.outbox_length
    assert queued > 0
    for n in range(7, 13):  # down until 09:15
        await house.run_slot(freezer, start + n * 900)
    simulator.faults.clear()
    for n in range(13, 16):
        await house.run_slot(freezer, start + n * 900)
    # the back-off ends within the hour cap
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    ends = [start + 900 * k for k in range(1, 17)]
    ends = [e for e in ends if e in house.at]
    imports = diffs(house, IMP, ends)
    got = simulator.values("GRID_ENERGY_CONSUMPTION", device=GATEWAY_ID)
    # every slot exactly once, with the right Wh (later slots: 0 Wh, HA idle)
    assert {ts: got[ts] for ts in ends} == imports
    assert len(ends) == 16
    assert simulator.duplicates == 0
    assert entry.runtime_data.forwarder.outbox_length == 0
    # the backlog went to /events/historical/v1, in batches
    historical = simulator.received(historical=True)
    assert {e["timestamp"] for e in historical} >= set(ends[1:12])
    assert simulator.counters["historical"] < len(historical)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_follows_energy_prefs_and_registry_ids(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A device added to the Energy dashboard is forwarded; ids survive renames."""
    caplog.set_level(logging.INFO, logger="custom_components.moost.push")
    freezer.move_to(DAY + timedelta(hours=12))
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=other.entry_id,
        identifiers={("demo", "hp1")},
        name="Wärmepumpe",
        manufacturer="Stiebel",
        model="WPL 25",
    )
    reg = entity_registry.async_get_or_create(
        "sensor",
        "demo",
        "hp1_energy",
        device_id=device.id,
        suggested_object_id="hp_energy",
    )
    hass.states.async_set(reg.entity_id, "100", WH)
    await set_energy_prefs(hass, devices=False)
    manager = await async_get_manager(hass)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    forwarder = mock_config_entry.runtime_data.forwarder
    assert set(forwarder.plan.moost_devices) == {GATEWAY_ID, BATTERY_ID}

    await manager.async_update(
        {
            "device_consumption": [
                {"stat_consumption": reg.entity_id},
                {"stat_consumption": "demo:external_meter"},
            ]
        }
    )
    await hass.async_block_till_done()
    hp_id = f"ha.dev.{device.id}"
    assert forwarder.plan.moost_devices[hp_id].type == "HEAT_PUMP"
    assert forwarder.plan.moost_devices[hp_id].product_name == "WPL 25"
    assert forwarder.plan.moost_devices[hp_id].vendor_name == "Stiebel"
    assert "demo:external_meter is an external statistic" in caplog.text
    assert reg.entity_id in forwarder.aggregator.kinds  # type: ignore[union-attr]
    building = simulator.building()
    assert building is not None
    assert hp_id in {d["id"] for d in building["devices"]}

    # renaming the entity keeps the MOOST device id
    entity_registry.async_update_entity(reg.entity_id, new_entity_id="sensor.renamed")
    hass.states.async_set("sensor.renamed", "100", WH)
    await manager.async_update(
        {"device_consumption": [{"stat_consumption": "sensor.renamed"}]}
    )
    await hass.async_block_till_done()
    assert hp_id in forwarder.plan.moost_devices
    assert "sensor.renamed" in forwarder.aggregator.kinds  # type: ignore[union-attr]
    # an unchanged update changes nothing
    await manager.async_update(
        {"device_consumption": [{"stat_consumption": "sensor.renamed"}]}
    )
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    # after unload, prefs changes reach no forwarder
    await manager.async_update({"device_consumption": []})
    await hass.async_block_till_done()


async def test_starts_while_moost_is_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """MOOST down at start: the entry loads and measures; devices follow later."""
    start = int(DAY.timestamp()) + 12 * 3600
    freezer.move_to(datetime.fromtimestamp(start, ZURICH))
    simulator.faults.inject(Fault.SERVER_ERROR, times=None)
    house = Household(hass)
    house.write(start)
    await set_energy_prefs(hass)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    await house.run_slot(freezer, start)
    await house.run_slot(freezer, start + 900)
    forwarder = mock_config_entry.runtime_data.forwarder
    assert forwarder.outbox_length > 0
    building = simulator.building()
    assert building is not None
    assert building["devices"] == []
    simulator.faults.clear()
    await house.run_slot(freezer, start + 1800)
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert GATEWAY_ID in {d["id"] for d in building["devices"]}
    assert simulator.values("GRID_ENERGY_CONSUMPTION", device=GATEWAY_ID)
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


def test_building_id_constant() -> None:
    """The tests use the conftest's building."""
    assert BUILDING_ID == MoostSimulator.BUILDING_ID
