"""moost.send_history: past energy from the recorder's statistics to MOOST."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.db_schema import StatisticsShortTerm
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    async_import_statistics,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.moost.push.energy_prefs import GATEWAY_ID
from simulators.moost import MoostSimulator

from .test_push_forwarder import IMP, WASHER_E, WASHER_ID, grid_source

UTC = ZoneInfo("UTC")
SOLAR_STAT = "demo:solar"  # an external statistic: history only
NOW = datetime(2026, 11, 10, 12, 7, tzinfo=UTC)


def meta(statistic_id: str, source: str) -> Any:
    """Return statistics metadata of an energy meter in kWh."""
    return {
        "has_sum": True,
        "mean_type": StatisticMeanType.NONE,
        "name": None,
        "source": source,
        "statistic_id": statistic_id,
        "unit_class": "energy",
        "unit_of_measurement": "kWh",
    }


def rows(start: datetime, step: timedelta, sums: list[float]) -> list[Any]:
    """Return statistic rows with the given running sums (kWh)."""
    return [
        {"start": start + n * step, "state": value, "sum": value}
        for n, value in enumerate(sums)
    ]


async def test_send_history_hourly_then_15_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Hourly events before the 5-minute statistics, 15-minute slots after."""
    freezer.move_to(NOW)
    from homeassistant.components.energy.data import async_get_manager

    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                grid_source() | {"stat_energy_to": None},
                {
                    "type": "solar",
                    "stat_energy_from": SOLAR_STAT,
                    "config_entry_solar_forecast": None,
                },
            ],
            "device_consumption": [
                {"stat_consumption": WASHER_E, "name": "Washing machine"}
            ],
        }
    )
    hass.states.async_set(
        IMP, "1", {"unit_of_measurement": "kWh", "state_class": "total_increasing"}
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    day = datetime(2026, 11, 9, 0, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    five = timedelta(minutes=5)
    # hourly rows 07:00-11:00 (the 07:00 row is the base of the changes)
    imp_hours = [10, 11.5, 12.25, 13.0]
    async_import_statistics(
        hass, meta(IMP, "recorder"), rows(day + 7 * hour, hour, imp_hours)
    )
    solar_hours = [0, 0.5, 2.0, 3.2]
    async_add_external_statistics(
        hass, meta(SOLAR_STAT, "demo"), rows(day + 7 * hour, hour, solar_hours)
    )
    washer_hours = [1, 1, 1.8, 1.8]
    async_import_statistics(
        hass, meta(WASHER_E, "recorder"), rows(day + 7 * hour, hour, washer_hours)
    )
    # 5-minute rows 09:55-11:00 (the 09:55 row is their base), as the
    # recorder keeps them for the last days
    recorder = get_instance(hass)
    imp_5 = [
        12.25,
        12.30,
        12.35,
        12.40,
        12.50,
        12.55,
        12.60,
        12.65,
        12.70,
        12.80,
        12.90,
        12.95,
        13.0,
    ]
    recorder.async_import_statistics(
        meta(IMP, "recorder"),
        rows(day + 9 * hour + 55 * five / 5, five, imp_5),
        StatisticsShortTerm,
    )
    solar_5 = [2.0 + 0.1 * n for n in range(13)]
    recorder.async_import_statistics(
        meta(SOLAR_STAT, "demo"),
        rows(day + 9 * hour + 55 * five / 5, five, solar_5),
        StatisticsShortTerm,
    )
    await async_wait_recording_done(hass)

    response = await hass.services.async_call(
        "moost",
        "send_history",
        {
            "config_entry_id": mock_config_entry.entry_id,
            "start": (day + 8 * hour).isoformat(),
            "end": (day + 11 * hour).isoformat(),
        },
        blocking=True,
        return_response=True,
    )

    def ts(h: int, m: int = 0) -> int:
        return int((day + timedelta(hours=h, minutes=m)).timestamp())

    # hourly until 10:00, where the 5-minute statistics begin; then slots
    assert simulator.values("GRID_ENERGY_CONSUMPTION", device=GATEWAY_ID) == {
        ts(9): 1500.0,
        ts(10): 750.0,
        ts(10, 15): 150.0,
        ts(10, 30): 200.0,
        ts(10, 45): 200.0,
        ts(11): 200.0,
    }
    assert simulator.values("ENERGY_GENERATION", device=GATEWAY_ID) == {
        ts(9): 500.0,
        ts(10): 1500.0,
        ts(10, 15): 300.0,
        ts(10, 30): 300.0,
        ts(10, 45): 300.0,
        ts(11): 300.0,
    }
    assert simulator.values("ENERGY_CONSUMPTION", device=GATEWAY_ID) == {
        ts(9): 2000.0,
        ts(10): 2250.0,
        ts(10, 15): 450.0,
        ts(10, 30): 500.0,
        ts(10, 45): 500.0,
        ts(11): 500.0,
    }
    assert simulator.values("ENERGY_CONSUMPTION", device=WASHER_ID) == {
        ts(9): 0.0,
        ts(10): 800.0,
    }
    assert all(e["historical"] for e in simulator.received())
    assert response == {
        "statistics": 3,
        "slots": 4,
        "hours": 2,
        "events": 20,
        "requests": 1,
    }
    assert simulator.counters["historical"] == 1
    assert simulator.counters["events"] == 0

    # sent again on purpose: MOOST keeps one event per key
    again = await mock_config_entry.runtime_data.forwarder.async_send_history(
        day + 8 * hour, day + 11 * hour
    )
    assert again == response
    assert len(simulator.received()) == 20


async def test_send_history_without_statistics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Nothing mapped, nothing stored: zero counts, no request."""
    freezer.move_to(NOW)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    forwarder = mock_config_entry.runtime_data.forwarder
    start = NOW - timedelta(days=1)
    assert await forwarder.async_send_history(start, NOW) == {
        "statistics": 0,
        "slots": 0,
        "hours": 0,
        "events": 0,
        "requests": 0,
    }
    from homeassistant.components.energy.data import async_get_manager

    manager = await async_get_manager(hass)
    await manager.async_update(
        {"energy_sources": [grid_source() | {"stat_energy_to": None}]}
    )
    assert await forwarder.async_send_history(start, NOW) == {
        "statistics": 1,
        "slots": 0,
        "hours": 0,
        "events": 0,
        "requests": 0,
    }
    assert simulator.counters["historical"] == 0
