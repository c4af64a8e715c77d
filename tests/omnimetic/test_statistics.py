"""External statistics of the Omnimetic integration against the simulator's ground truth."""

from datetime import UTC, datetime, timedelta
import itertools
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.omnimetic.const import UPDATE_INTERVAL
from simulators.omnimetic import OmnimeticSimulator, ServiceAccount
from tests.helpers import async_stored_rows, async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

ACCOUNT = OmnimeticSimulator.SERVICE_ACCOUNT_ID
CONSUMPTION = f"omnimetic:{ACCOUNT}_energy_consumption"
ON_PEAK = f"omnimetic:{ACCOUNT}_energy_on_peak"
OFF_PEAK = f"omnimetic:{ACCOUNT}_energy_off_peak"
COST = f"omnimetic:{ACCOUNT}_cost"
WINDOW_75 = (datetime.fromisoformat(NOW) - timedelta(days=75)).replace(
    minute=0, second=0, microsecond=0
)
# Where the default test entry (14 days of backfill) starts its statistics.
WINDOW_START = (datetime.fromisoformat(NOW) - timedelta(days=14)).replace(
    minute=0, second=0, microsecond=0
)


def _truth(
    simulator: OmnimeticSimulator, start: datetime, end: datetime
) -> list[tuple[datetime, tuple[float, float, float]]]:
    """Return the simulator's (hour, (on, off, total)) for [start, end)."""
    account: ServiceAccount = simulator.service_accounts[ACCOUNT]
    return [(hour, account.split(hour)) for hour, _ in account.meter.hours(start, end)]


def _assert_series(
    rows: list[dict[str, Any]], expected: list[tuple[datetime, float]]
) -> None:
    """Every hour once, in order, with the right value and running sum."""
    assert [datetime.fromtimestamp(row["start"], UTC) for row in rows] == [
        h for h, _ in expected
    ]
    running = 0.0
    for row, (_, value) in zip(rows, expected, strict=True):
        running += value
        assert row["state"] == pytest.approx(value, abs=1e-9)
        assert row["sum"] == pytest.approx(running, abs=1e-6)


@pytest.mark.parametrize("backfill_days", [14])
async def test_backfill_matches_ground_truth_across_dst(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The first run imports every published hour of the backfill window exactly once."""
    now = dt_util.utcnow()
    start = (now - timedelta(days=14)).replace(minute=0, second=0, microsecond=0)
    truth = _truth(simulator, start, simulator.data_end())
    assert len(truth) > 24 * 12

    _assert_series(
        await async_stored_rows(hass, CONSUMPTION), [(h, v[2]) for h, v in truth]
    )
    _assert_series(
        await async_stored_rows(hass, ON_PEAK), [(h, v[0]) for h, v in truth]
    )
    _assert_series(
        await async_stored_rows(hass, OFF_PEAK), [(h, v[1]) for h, v in truth]
    )

    # 2026-11-01 in US/Pacific has 25 hours (clocks went back): all of them
    # are there, and their sum is that local day's consumption.
    tz = dt_util.get_default_time_zone()
    day_start = datetime(2026, 11, 1, tzinfo=tz).astimezone(UTC)
    day_end = datetime(2026, 11, 2, tzinfo=tz).astimezone(UTC)
    rows = await async_stored_rows(hass, CONSUMPTION)
    day_rows = [
        r for r in rows if day_start.timestamp() <= r["start"] < day_end.timestamp()
    ]
    assert len(day_rows) == 25
    account = simulator.service_accounts[ACCOUNT]
    assert sum(r["state"] for r in day_rows) == pytest.approx(
        account.meter.total(day_start, day_end), abs=1e-6
    )

    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    meta = metadata[CONSUMPTION][1]
    assert meta["source"] == "omnimetic"
    assert meta["has_sum"] is True
    assert meta["unit_of_measurement"] == "kWh"
    assert meta["unit_class"] == "energy"
    assert metadata[COST][1]["unit_of_measurement"] == "USD"
    assert metadata[COST][1]["unit_class"] is None


async def _cost_by_month(
    hass: HomeAssistant,
) -> tuple[dict[tuple[int, int], float], list[dict[str, Any]]]:
    """Return the stored cost summed per local month, and the rows."""
    rows = await async_stored_rows(hass, COST)
    tz = dt_util.get_default_time_zone()
    months: dict[tuple[int, int], float] = {}
    for row in rows:
        local = datetime.fromtimestamp(row["start"], tz)
        months[local.year, local.month] = months.get((local.year, local.month), 0.0)
        months[local.year, local.month] += row["state"]
    return months, rows


def _assert_sums_continuous(rows: list[dict[str, Any]]) -> None:
    """Each row's sum is the previous sum plus its value; never decreasing."""
    for before, row in itertools.pairwise(rows):
        assert row["sum"] == pytest.approx(before["sum"] + row["state"], abs=1e-5)
        assert row["sum"] >= before["sum"] - 1e-9


@pytest.mark.parametrize("backfill_days", [75])
async def test_cost_spread_over_hours_by_energy(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """12.4: each bill is spread over its month's hours by kWh; monthly sums exact."""
    account = simulator.service_accounts[ACCOUNT]
    months, rows = await _cost_by_month(hass)
    assert set(months) == {(2026, 8), (2026, 9), (2026, 10), (2026, 11)}
    for key in ((2026, 9), (2026, 10), (2026, 11)):
        assert months[key] == pytest.approx(
            simulator.month_summary(account, *key)["cents"] / 100, abs=1e-6
        )
    # August starts inside the backfill: its hours cost the month's
    # effective price, so the part imported is the part of the bill.
    august = simulator.month_summary(account, 2026, 8)
    start, end = (
        datetime(2026, 8, 1, tzinfo=dt_util.get_default_time_zone()),
        datetime(2026, 9, 1, tzinfo=dt_util.get_default_time_zone()),
    )
    imported = account.meter.total(max(start.astimezone(UTC), WINDOW_75), end)
    assert months[2026, 8] == pytest.approx(
        august["cents"] / 100 * imported / august["total_kwh"], rel=1e-3
    )
    # Within a month, cost follows energy: every hour at the month's price.
    energy = {
        r["start"]: r["state"] for r in await async_stored_rows(hass, CONSUMPTION)
    }
    october = [
        r
        for r in rows
        if datetime.fromtimestamp(r["start"], UTC)
        >= datetime(2026, 10, 1, 7, tzinfo=UTC)
        and datetime.fromtimestamp(r["start"], UTC)
        < datetime(2026, 11, 1, 7, tzinfo=UTC)
    ]
    price = months[2026, 10] / sum(energy[r["start"]] for r in october)
    for row in october:
        assert row["state"] == pytest.approx(energy[row["start"]] * price, abs=1e-5)
    assert len(october) == 31 * 24
    _assert_sums_continuous(rows)


async def test_running_month_cost_follows_the_bill(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """12.4: as the running month's bill grows, its spread is kept current.

    New hours are appended at the month's effective price (a few rows per
    poll); once a day the month is re-spread and its sum is the bill again.
    """
    account = simulator.service_accounts[ACCOUNT]
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    months, rows = await _cost_by_month(hass)
    bill = simulator.month_summary(account, 2026, 11)["cents"] / 100
    assert months[2026, 11] == pytest.approx(bill, rel=0.02)
    newest = datetime.fromtimestamp(rows[-1]["start"], UTC)
    assert newest == simulator.data_end() - timedelta(hours=1)
    _assert_sums_continuous(rows)
    for _ in range(7):
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    months, rows = await _cost_by_month(hass)
    assert months[2026, 11] == pytest.approx(
        simulator.month_summary(account, 2026, 11)["cents"] / 100, abs=1e-6
    )
    _assert_sums_continuous(rows)


@pytest.mark.parametrize("backfill_days", [45])
async def test_rewritten_month_resums_later_rows(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """8.3: a corrected older bill re-sums every later row; a null bill changes nothing."""
    account = simulator.service_accounts[ACCOUNT]
    # A correction in October (outside the re-read window) changes its bill.
    corrected = datetime(2026, 10, 20, 12, tzinfo=UTC)
    account.meter.correct(corrected, account.meter.value(corrected) + 100.0)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    months, rows = await _cost_by_month(hass)
    assert months[2026, 10] == pytest.approx(
        simulator.month_summary(account, 2026, 10)["cents"] / 100, abs=1e-6
    )
    assert months[2026, 11] == pytest.approx(
        simulator.month_summary(account, 2026, 11)["cents"] / 100, rel=0.02
    )
    _assert_sums_continuous(rows)
    total = rows[-1]["sum"]

    # The newest bill turns null, then NaN: the stored month stays as it was.
    for kind in ("null_amount", "nan_amount"):
        simulator.hostile = {kind}
        await async_tick(hass, freezer, UPDATE_INTERVAL)
        assert init_integration.runtime_data.last_update_success
        months, rows = await _cost_by_month(hass)
        assert rows[-1]["sum"] == pytest.approx(total, abs=1e-6)
        _assert_sums_continuous(rows)


async def test_second_run_without_new_data_changes_nothing(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A refresh that finds nothing new leaves the statistics as they were and costs one call."""
    before = await async_stored_rows(hass, CONSUMPTION)
    cost_before = await async_stored_rows(hass, COST)
    simulator.reset_counters()

    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()

    assert await async_stored_rows(hass, CONSUMPTION) == before
    assert await async_stored_rows(hass, COST) == cost_before
    # The token is still valid and nothing new arrived: one interval call only.
    assert simulator.counters["access_token"] == 0
    assert simulator.counters["interval_data"] == 1
    assert simulator.counters["historical_data"] == 0


async def test_new_data_continues_the_sums(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """New hours are appended and the running sum continues exactly."""
    first_end = simulator.data_end()
    simulator.reset_counters()

    await async_tick(hass, freezer, UPDATE_INTERVAL)

    truth = _truth(simulator, WINDOW_START, simulator.data_end())
    assert simulator.data_end() == first_end + UPDATE_INTERVAL
    _assert_series(
        await async_stored_rows(hass, CONSUMPTION), [(h, v[2]) for h, v in truth]
    )
    # Three hours later the token has expired: exactly one new token, one
    # interval call (the re-read window fits one request) and, as new data
    # arrived, one historical call.
    assert simulator.counters["access_token"] == 1
    assert simulator.counters["interval_data"] == 1
    assert simulator.counters["historical_data"] == 1


async def test_corrected_hour_lands(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A past hour corrected by the utility is overwritten, and later sums follow."""
    account = simulator.service_accounts[ACCOUNT]
    corrected = simulator.data_end() - timedelta(hours=30)
    original = account.meter.value(corrected)
    account.meter.correct(corrected, original + 5.0)

    await async_tick(hass, freezer, UPDATE_INTERVAL)

    rows = await async_stored_rows(hass, CONSUMPTION)
    by_start = {datetime.fromtimestamp(r["start"], UTC): r for r in rows}
    assert by_start[corrected]["state"] == pytest.approx(original + 5.0)
    truth = _truth(simulator, WINDOW_START, simulator.data_end())
    _assert_series(rows, [(h, v[2]) for h, v in truth])
    assert len(by_start) == len(rows)


async def test_outage_longer_than_reread_window_leaves_no_gap(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After days of failed refreshes, the next one fills every missing hour."""
    simulator.faults.inject(simulator_fault("server_error"), times=None)
    for _ in range(40):  # five days of refreshes, all failing
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    simulator.faults.clear()
    await async_tick(hass, freezer, UPDATE_INTERVAL)

    truth = _truth(simulator, WINDOW_START, simulator.data_end())
    _assert_series(
        await async_stored_rows(hass, CONSUMPTION), [(h, v[2]) for h, v in truth]
    )


def simulator_fault(name: str) -> Any:
    """Return a Fault by name (keeps the import local to the one test using it)."""
    from simulators import Fault

    return Fault(name)


@pytest.mark.parametrize(
    "reading",
    [{"max_interval_days": 7}, {"day_rows": True}, {"wrapped": True}],
    ids=["7-day-limit", "day-start-plus-hour", "data-envelope"],
)
@pytest.mark.parametrize("backfill_days", [14])
async def test_other_readings_of_the_reference(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server that fills the reference's gaps otherwise gives the same statistics."""
    assert init_integration.runtime_data.last_update_success
    truth = _truth(simulator, WINDOW_START, simulator.data_end())
    _assert_series(
        await async_stored_rows(hass, CONSUMPTION), [(h, v[2]) for h, v in truth]
    )
    await async_tick(hass, freezer, UPDATE_INTERVAL * 8)
    assert init_integration.runtime_data.last_update_success
    truth = _truth(simulator, WINDOW_START, simulator.data_end())
    _assert_series(
        await async_stored_rows(hass, CONSUMPTION), [(h, v[2]) for h, v in truth]
    )
    assert hass.states.get(f"sensor.omnimetic_{ACCOUNT}_cost_last_month")


@pytest.fixture
async def kolkata(hass: HomeAssistant) -> None:
    """Run in a half-hour time zone (before the simulator is made)."""
    await hass.config.async_set_time_zone("Asia/Kolkata")


@pytest.mark.parametrize("backfill_days", [45])
async def test_cost_months_in_a_half_hour_zone(
    hass: HomeAssistant,
    kolkata: None,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """12.2/12.4: in Asia/Kolkata each month's cost stays inside that month."""
    account = simulator.service_accounts[ACCOUNT]
    rows = await async_stored_rows(hass, COST)
    tz = dt_util.get_default_time_zone()
    months: dict[tuple[int, int], float] = {}
    for row in rows:
        # An hour belongs to the month in which it starts: 18:00 UTC on
        # 31 October is 23:30 local, October's; 19:00 UTC is November's.
        local = datetime.fromtimestamp(row["start"], tz)
        key = (local.year, local.month)
        months[key] = months.get(key, 0.0) + row["state"]
    for key in ((2026, 10), (2026, 11)):
        assert months[key] == pytest.approx(
            simulator.month_summary(account, *key)["cents"] / 100, abs=1e-6
        )
    november = datetime(2026, 11, 1, tzinfo=tz).astimezone(UTC)
    assert november.minute == 30
    starts = {datetime.fromtimestamp(r["start"], UTC) for r in rows}
    assert november + timedelta(minutes=30) in starts
    _assert_sums_continuous(rows)
