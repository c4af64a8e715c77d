"""External statistics of EnerKey meters equal the simulator's ground truth."""

from datetime import UTC, datetime, timedelta
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enerkey.api import EnerKeyClient, Meter as ApiMeter
from custom_components.enerkey.const import UPDATE_INTERVAL
from simulators.enerkey import HEATING_Q, EnerKeySimulator, Meter
from tests.helpers import async_stored_rows, async_tick

from .conftest import BACKFILL, NOW

pytestmark = pytest.mark.freeze_time(NOW)

START = datetime(2026, 10, 22, 10, tzinfo=UTC)  # NOW - BACKFILL, on the hour


def _truth(
    sim: EnerKeySimulator, meter_id: int, start: datetime, end: datetime
) -> list[tuple[float, float]]:
    rows, total = [], 0.0
    for _, value in sim.hours(sim.meters[meter_id], start, end):
        total += value
        rows.append((value, total))
    return rows


def _rows(stored: list[dict[str, float]]) -> list[tuple[float, float]]:
    return [(row["state"], row["sum"]) for row in stored]


async def test_statistics_match_ground_truth_across_dst(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every hour of the backfill (a 25-hour day included); re-runs add nothing."""
    assert datetime(2026, 10, 27, 10, tzinfo=UTC) == START + BACKFILL
    end = datetime(2026, 10, 27, 10, tzinfo=UTC)
    for meter_id in (2001, 2002, 2003, 2004):
        stored = await async_stored_rows(hass, f"enerkey:meter_{meter_id}")
        assert len(stored) == 120
        assert stored[0]["start"] == START.timestamp()
        truth = _truth(simulator, meter_id, START, end)
        assert _rows(stored) == [
            (pytest.approx(v, abs=1e-6), pytest.approx(s, abs=1e-5)) for v, s in truth
        ]
    # 2026-10-25 in Helsinki (summer time ends) has 25 hours in the rows.
    day = [
        row
        for row in await async_stored_rows(hass, "enerkey:meter_2001")
        if datetime(2026, 10, 24, 21, tzinfo=UTC).timestamp()
        <= row["start"]
        < datetime(2026, 10, 25, 22, tzinfo=UTC).timestamp()
    ]
    assert len(day) == 25
    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    units = {
        sid: (meta["unit_of_measurement"], meta["unit_class"])
        for sid, (_, meta) in metadata.items()
    }
    assert units["enerkey:meter_2001"] == ("kWh", "energy")
    assert units["enerkey:meter_2002"] == ("MWh", "energy")
    assert units["enerkey:meter_2003"] == ("m³", "volume")
    assert units["enerkey:meter_2004"] == ("Nm3", None)
    # Three hours later: three new rows, the re-read window rewritten unchanged.
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    stored = await async_stored_rows(hass, "enerkey:meter_2001")
    truth = _truth(simulator, 2001, START, end + timedelta(hours=3))
    assert _rows(stored) == [
        (pytest.approx(v, abs=1e-6), pytest.approx(s, abs=1e-5)) for v, s in truth
    ]
    # A late correction inside the re-read window lands, later sums follow.
    corrected = datetime(2026, 10, 27, 2, tzinfo=UTC)
    simulator.correct(2001, corrected, 999.0)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    stored = await async_stored_rows(hass, "enerkey:meter_2001")
    truth = _truth(simulator, 2001, START, end + timedelta(hours=6))
    assert len(stored) == len(truth) == 126
    assert _rows(stored) == [
        (pytest.approx(v, abs=1e-6), pytest.approx(s, abs=1e-5)) for v, s in truth
    ]


async def test_backfill_in_chunks_over_refreshes(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """40 days at one call per refresh: 31 days first, the rest next time."""
    with (
        patch("custom_components.enerkey.coordinator.BACKFILL", timedelta(days=40)),
        patch("custom_components.enerkey.coordinator.MAX_VALUE_CALLS", 1),
    ):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        assert simulator.counters["hourly"] == 1
        stored = await async_stored_rows(hass, "enerkey:meter_2011")
        assert len(stored) == 31 * 24
        state = hass.states.get("sensor.kauppakeskus_itis_main_electricity_yesterday")
        assert state is not None
        assert state.state == "unknown"
        await async_tick(hass, freezer, UPDATE_INTERVAL)
        start = datetime(2026, 9, 17, 10, tzinfo=UTC)
        stored = await async_stored_rows(hass, "enerkey:meter_2011")
        truth = _truth(simulator, 2011, start, datetime(2026, 10, 27, 13, tzinfo=UTC))
        assert _rows(stored) == [
            (pytest.approx(v, abs=1e-6), pytest.approx(s, abs=1e-4)) for v, s in truth
        ]
        state = hass.states.get("sensor.kauppakeskus_itis_main_electricity_yesterday")
        assert state is not None
        assert state.state != "unknown"


async def test_restart_continues_from_the_recorder(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a reload the cursor comes from the stored rows: no second backfill."""
    freezer.tick(timedelta(hours=5))
    simulator.reset_counters()
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert simulator.counters["hourly"] == 1
    stored = await async_stored_rows(hass, "enerkey:meter_2002")
    truth = _truth(simulator, 2002, START, datetime(2026, 10, 27, 15, tzinfo=UTC))
    assert _rows(stored) == [
        (pytest.approx(v, abs=1e-6), pytest.approx(s, abs=1e-5)) for v, s in truth
    ]


async def test_units_from_quantities_and_odd_answers(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Meters without a unit use the quantity's; a unit change is not guessed."""
    simulator.meter_units = False
    stray = ApiMeter(id="9", facility_id="77", name="Stray")
    real_meters = EnerKeyClient.meters

    async def meters(self: EnerKeyClient, ids: list[str]) -> list[ApiMeter]:
        return [*await real_meters(self, ids), stray]

    with patch.object(EnerKeyClient, "meters", meters):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert simulator.counters["quantities"] == 1
    coordinator = mock_config_entry.runtime_data
    assert "9" not in coordinator.data.meters
    assert coordinator.data.meters["2002"].unit.unit == "MWh"
    # EnerKey now sends the electricity meter's values in MWh, and drops water.
    simulator.meters[2001] = Meter(2001, 1001, "Main electricity", HEATING_Q)
    del simulator.meters[2003]
    with caplog.at_level(logging.WARNING):
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert "meter 2001 sent values in MWh instead of kWh; skipped" in caplog.text
    assert coordinator.data.meters["2003"].this_month is None
    assert len(await async_stored_rows(hass, "enerkey:meter_2001")) == 120
