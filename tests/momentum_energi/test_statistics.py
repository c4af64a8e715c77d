"""External statistics and incremental sync of Momentum Energi, against ground truth."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.momentum_energi.common.statistics import statistic_id
from custom_components.momentum_energi.const import (
    CONF_BACKFILL_DAYS,
    CONF_LEVEL,
    CONF_MEDIA,
    DOMAIN,
    UPDATE_INTERVAL,
)
from simulators import Fault
from simulators.momentum_energi import MomentumEnergiSimulator
from tests.helpers import async_stored_rows, async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

# Ids are the company's and the vendor's item keys (issue 12.5), not the user's.
COMPANY = "solrosen"
# (item, medium slug, quantity) -> (vendor media type, field, factor to kWh/m³)
SERIES = {
    ("1001", "fastighetsel", "energy"): ("Fastighetsel", "energy", 1.0),
    ("1001", "fjarrvarme", "energy"): ("Fjärrvärme", "energy", 1000.0),
    ("1001", "kallvatten", "volume"): ("Kallvatten", "consumption", 1.0),
    ("1002", "fastighetsel", "energy"): ("Fastighetsel", "energy", 1.0),
    ("1002", "kallvatten", "volume"): ("Kallvatten", "consumption", 1.0),
    ("1002", "naturgas", "energy"): ("Naturgas", "energy", 1.0),
    ("1002", "naturgas", "volume"): ("Naturgas", "consumption", 1.0),
}


def _id(item: str, medium: str, quantity: str) -> str:
    return statistic_id(DOMAIN, COMPANY, item, medium, quantity)


def _local_month_start(day: date) -> datetime:
    local = datetime(day.year, day.month, 1, tzinfo=dt_util.get_default_time_zone())
    return local.astimezone(UTC)


def _truth(
    simulator: MomentumEnergiSimulator, key: tuple[str, str, str], first: datetime
) -> list[tuple[datetime, float]]:
    """Return the simulator's (month start UTC, value) of one series from ``first``."""
    media_type, field, factor = SERIES[key]
    truth = []
    for row in simulator.rows(simulator.items[key[0]]):
        start = datetime.fromisoformat(row["startDate"]).astimezone(UTC)
        if row["mediaType"] == media_type and start >= first:
            truth.append((start, row[field] * factor))
    return truth


def _assert_series(
    rows: list[dict[str, Any]], expected: list[tuple[datetime, float]]
) -> None:
    """Every month once, at its local start, with the right value and sum."""
    assert [datetime.fromtimestamp(row["start"], UTC) for row in rows] == [
        start for start, _ in expected
    ]
    running = 0.0
    for row, (_, value) in zip(rows, expected, strict=True):
        running += value
        assert row["state"] == pytest.approx(value, abs=1e-6)
        assert row["sum"] == pytest.approx(running, abs=1e-5)


async def _assert_all_series(
    hass: HomeAssistant, simulator: MomentumEnergiSimulator, first: datetime
) -> None:
    for key in SERIES:
        _assert_series(
            await async_stored_rows(hass, _id(*key)), _truth(simulator, key, first)
        )


# The default test entry imports 400 days: from the local month that holds
# 2025-10-04, i.e. 2025-10-01 00:00 US/Pacific (07:00 UTC).
FIRST = datetime(2025, 10, 1, 7, tzinfo=UTC)


async def test_backfill_matches_ground_truth(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The first run imports every month of every item and medium exactly once."""
    await _assert_all_series(hass, simulator, FIRST)
    rows = await async_stored_rows(hass, _id("1001", "fjarrvarme", "energy"))
    # Oct 2025 .. Nov 2026 (the running month, so far); months start at local
    # midnight, which is 07:00 UTC in summer time and 08:00 UTC in winter.
    assert len(rows) == 14
    starts = [datetime.fromtimestamp(row["start"], UTC) for row in rows]
    assert starts[1] == datetime(2025, 11, 1, 7, tzinfo=UTC)
    assert starts[2] == datetime(2025, 12, 1, 8, tzinfo=UTC)
    assert starts == [
        _local_month_start(s.astimezone(dt_util.get_default_time_zone()).date())
        for s in starts
    ]

    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    energy = metadata[_id("1001", "fjarrvarme", "energy")][1]
    assert energy["source"] == "momentum_energi"
    assert energy["unit_of_measurement"] == "kWh"
    assert energy["unit_class"] == "energy"
    assert energy["has_sum"] is True
    assert energy["mean_type"] is StatisticMeanType.NONE
    assert energy["name"] == "Kv. Solrosen Fjärrvärme energy"
    volume = metadata[_id("1002", "kallvatten", "volume")][1]
    assert (volume["unit_of_measurement"], volume["unit_class"]) == ("m³", "volume")
    # Water has no energy; electricity's consumption is energy, not a volume.
    assert _id("1002", "kallvatten", "energy") not in metadata
    assert _id("1001", "fastighetsel", "volume") not in metadata


async def test_refresh_without_changes_costs_one_small_page(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Later refreshes ask only for rows updated since the newest one imported."""
    assert simulator.counters["statistics_period"] == 1
    assert simulator.counters["token"] == 1
    before = {key: await async_stored_rows(hass, _id(*key)) for key in SERIES}
    simulator.reset_counters()

    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert init_integration.runtime_data.last_update_success
    assert dict(simulator.counters) == {
        "token": 1,  # the 1 h token expired meanwhile
        "statistics_updated_after": 1,
        "total": 2,
    }
    # Only the running month was updated lately: one row per estate and medium.
    assert simulator.rows_served["statistics_updated_after"] == 6
    assert {key: await async_stored_rows(hass, _id(*key)) for key in SERIES} == before


async def test_daily_import_updates_the_running_month(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The vendor's next nightly import reaches the statistics; sums continue."""
    key = ("1001", "fastighetsel", "energy")
    before = await async_stored_rows(hass, _id(*key))
    # 2026-11-08 07:30 local now; the next import is 2026-11-09 06:00 local.
    await async_tick(hass, freezer, timedelta(hours=24))
    after = await async_stored_rows(hass, _id(*key))
    assert len(after) == len(before)
    assert after[-1]["state"] > before[-1]["state"]
    await _assert_all_series(hass, simulator, FIRST)


async def test_late_correction_of_an_old_month_resums_later_rows(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A month corrected months later lands, and every later sum follows it."""
    key = ("1001", "fjarrvarme", "energy")
    before = await async_stored_rows(hass, _id(*key))
    simulator.correct("1001-02", "Fjärrvärme", date(2026, 3, 1), 12.5)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    after = await async_stored_rows(hass, _id(*key))
    await _assert_all_series(hass, simulator, FIRST)
    march = datetime(2026, 3, 1, 8, tzinfo=UTC).timestamp()
    changed = [
        (old, new)
        for old, new in zip(before, after, strict=True)
        if old["state"] != pytest.approx(new["state"])
    ]
    assert [new["start"] for _, new in changed] == [march]
    # The sum of the newest row moved by exactly the correction.
    delta = changed[0][1]["state"] - changed[0][0]["state"]
    assert after[-1]["sum"] - before[-1]["sum"] == pytest.approx(delta, abs=1e-5)


async def test_failed_refreshes_lose_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Updates made while the vendor fails arrive once it works again."""
    simulator.faults.inject(
        Fault.SERVER_ERROR, endpoint="statistics_updated_after", times=None
    )
    simulator.correct("1002-01", "Naturgas", date(2026, 6, 1), 111.0)
    for _ in range(8):  # two days of failing refreshes, two nightly imports
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert not init_integration.runtime_data.last_update_success
    simulator.faults.clear()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert init_integration.runtime_data.last_update_success
    await _assert_all_series(hass, simulator, FIRST)


async def test_pagination_reads_every_page(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    recorder_mock: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With small pages the backfill takes several, and nothing is missing."""
    monkeypatch.setattr("custom_components.momentum_energi.api.PAGE_SIZE", 40)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    total = simulator.rows_served["statistics_period"]
    assert total == 14 * 6  # 14 months of 2 estates x 3 media
    assert simulator.counters["statistics_period"] == 3  # 40 + 40 + 4 rows
    await _assert_all_series(hass, simulator, FIRST)


async def test_restart_does_not_backfill_again(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After a restart only recent months (for the sensors) and updates are read."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    simulator.reset_counters()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert simulator.counters["statistics_updated_after"] == 1
    assert simulator.counters["statistics_period"] == 1
    # Three recent months of 6 series, not 14.
    assert simulator.rows_served["statistics_period"] == 3 * 6
    await _assert_all_series(hass, simulator, FIRST)


@pytest.mark.parametrize(
    "options", [{CONF_LEVEL: "e", CONF_BACKFILL_DAYS: 400, CONF_MEDIA: ["naturgas"]}]
)
async def test_media_option_limits_the_import(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Only the chosen media become statistics."""
    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    assert sorted(metadata) == [
        _id("1002", "naturgas", "energy"),
        _id("1002", "naturgas", "volume"),
    ]


async def test_changing_the_level_backfills_the_new_items(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A new level (an option) imports its items' history from scratch."""
    simulator.reset_counters()
    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_LEVEL: "b"},
    )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert simulator.counters["statistics_period"] == 1
    assert simulator.counters["statistics_updated_after"] == 0
    rows = await async_stored_rows(hass, _id("1001-01", "fjarrvarme", "energy"))
    assert len(rows) == 14


async def test_more_history_backfills_again_and_old_corrections_still_land(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """More history re-imports; a year on, a correction of the first month lands."""
    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_BACKFILL_DAYS: 800},
    )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    first = datetime(2024, 8, 1, 7, tzinfo=UTC)  # the month holding 2024-08-31
    await _assert_all_series(hass, simulator, first)

    # A year later the 800-day window starts a year later, but the oldest
    # imported month is still corrected when the vendor changes it.
    for _ in range(365 // 6):
        await async_tick(hass, freezer, timedelta(days=6))
    simulator.correct("1001-01", "Fastighetsel", date(2024, 8, 1), 1.0)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    rows = await async_stored_rows(hass, _id("1001", "fastighetsel", "energy"))
    assert datetime.fromtimestamp(rows[0]["start"], UTC) == first
    await _assert_all_series(hass, simulator, first)


@pytest.mark.parametrize(
    "reading",
    [
        {"versions": ("v1",)},
        {"utc_times": True},
        {"envelope_total": False},
        {"token_in_header": True, "token_header": "Authorization"},
        {"token_in_header": True, "token_header": "X-Access-Token"},
    ],
    ids=["v1-only", "utc-times", "no-total", "authorization-header", "other-header"],
)
async def test_other_readings_of_the_docs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server that reads the docs' gaps otherwise still gives the same data."""
    assert init_integration.runtime_data.last_update_success
    await _assert_all_series(hass, simulator, FIRST)
    assert hass.states.get("sensor.kv_solrosen_fjarrvarme_energy_last_month")
    simulator.correct("1001-01", "Fjärrvärme", date(2026, 3, 1), 12.5)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert init_integration.runtime_data.last_update_success
    await _assert_all_series(hass, simulator, FIRST)
