"""Vendor rows are untrusted: what the shared importer lets into statistics.

Every test runs against each integration's vendored copy of
``common/statistics.py`` with a real recorder, so every integration's
importer is held to the same rules (issue: one bad vendor row must never
corrupt or freeze a user's energy history).
"""

from datetime import UTC, datetime, timedelta
import itertools
import logging
import math
from types import ModuleType
from unittest.mock import patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from tests.helpers import async_stored_rows

from .conftest import copies, copy_id

STATS = pytest.mark.parametrize("stats", copies("statistics")[1:], ids=copy_id)
STAT = "test:meter_energy"
NOW = datetime(2026, 6, 10, 12, 20, tzinfo=UTC)
T0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Start the recorder before hass."""


def _series(
    stats: ModuleType,
    points: list[tuple[datetime, float]],
    unit: str = "kWh",
    unit_class: str | None = "energy",
) -> object:
    return stats.StatisticSeries(
        statistic_id=STAT, name="Meter", unit=unit, unit_class=unit_class, points=points
    )


async def _stored(hass: HomeAssistant) -> list[tuple[datetime, float, float]]:
    await async_wait_recording_done(hass)
    return [
        (datetime.fromtimestamp(r["start"], UTC), r["state"], r["sum"])
        for r in await async_stored_rows(hass, STAT)
    ]


def _hour(n: int) -> datetime:
    return T0 + timedelta(hours=n)


@STATS
@pytest.mark.freeze_time(NOW)
@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ((_hour(1), math.inf), "not finite"),
        ((_hour(1), -math.inf), "not finite"),
        ((_hour(1), math.nan), "not finite"),
        ((_hour(1), -500.0), "negative"),
        ((_hour(1), -5e6), "negative"),
        ((_hour(1), 1e307), "implausibly large"),
        ((_hour(1), 1e308), "implausibly large"),
        ((datetime(2036, 1, 1, tzinfo=UTC), 1.0), "in the future"),
        ((_hour(9 * 24 + 14), 1.0), "in the future"),
        ((_hour(1) + timedelta(minutes=30), 1.0), "not on a whole hour"),
        ((_hour(1).replace(tzinfo=None), 1.0), "no time zone"),
        ((_hour(1), None), "not a number"),
        ((_hour(1), "1.0"), "not a number"),
    ],
)
async def test_one_bad_row_is_dropped_and_logged(
    hass: HomeAssistant,
    stats: ModuleType,
    bad: tuple[datetime, object],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bad row never reaches the recorder; the good ones around it do."""
    points = [(_hour(0), 1.0), bad, (_hour(2), 2.0)]
    with caplog.at_level(logging.WARNING):
        await stats.async_import_series(hass, "test", _series(stats, points))  # type: ignore[arg-type]
    stored = await _stored(hass)
    assert stored == [(_hour(0), 1.0, 1.0), (_hour(2), 2.0, 3.0)]
    warnings = [r.getMessage() for r in caplog.records if STAT in r.getMessage()]
    assert len(warnings) == 1
    assert reason in warnings[0]


@STATS
@pytest.mark.freeze_time(NOW)
async def test_duplicates_keep_the_last_and_say_so_once(
    hass: HomeAssistant, stats: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    """Two rows of one hour: the later one in the response wins, logged once."""
    points = [(_hour(1), 2.0), (_hour(0), 1.0), (_hour(1), 5.0), (_hour(1), 7.0)]
    with caplog.at_level(logging.WARNING):
        await stats.async_merge_series(hass, "test", _series(stats, points))
    assert await _stored(hass) == [(_hour(0), 1.0, 1.0), (_hour(1), 7.0, 8.0)]
    assert sum("more than once" in r.getMessage() for r in caplog.records) == 1


@STATS
@pytest.mark.freeze_time(NOW)
async def test_bounds_are_per_unit(hass: HomeAssistant, stats: ModuleType) -> None:
    """The plausible maximum is one table, converted to the series' unit."""
    # 1e9 kWh is the bound: 2e6 MWh (2e9 kWh) is beyond it, 5e5 MWh is not.
    await stats.async_import_series(
        hass, "test", _series(stats, [(_hour(0), 2e6), (_hour(1), 5e5)], unit="MWh")
    )
    assert [row[1] for row in await _stored(hass)] == [5e5]
    assert stats.MAX_PER_ROW["energy"] == 1e9


@STATS
@pytest.mark.freeze_time(NOW)
async def test_corrupt_stored_sums_are_repaired(
    hass: HomeAssistant, stats: ModuleType
) -> None:
    """Rows written before values were checked (an inf sum) get re-summed."""
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name="Meter",
        source="test",
        statistic_id=STAT,
        unit_class="energy",
        unit_of_measurement="kWh",
    )
    async_add_external_statistics(
        hass,
        metadata,
        [
            StatisticData(start=_hour(0), state=1.0, sum=1.0),
            StatisticData(start=_hour(1), state=math.inf, sum=math.inf),
            StatisticData(start=_hour(2), state=2.0, sum=math.inf),
        ],
    )
    await async_wait_recording_done(hass)
    await stats.async_import_series(hass, "test", _series(stats, [(_hour(3), 4.0)]))
    assert await _stored(hass) == [
        (_hour(0), 1.0, 1.0),
        (_hour(1), 0.0, 1.0),
        (_hour(2), 2.0, 3.0),
        (_hour(3), 4.0, 7.0),
    ]


@STATS
async def test_reads_and_writes_are_few(hass: HomeAssistant, stats: ModuleType) -> None:
    """An append reads one window; an unchanged re-read writes nothing (12.19)."""
    await stats.async_import_series(
        hass, "test", _series(stats, [(_hour(h), 1.0) for h in range(3)])
    )
    await async_wait_recording_done(hass)

    async def counted(points: list[tuple[datetime, float]]) -> tuple[int, int]:
        with (
            patch.object(
                stats, "statistics_during_period", wraps=stats.statistics_during_period
            ) as reads,
            patch.object(
                stats,
                "async_add_external_statistics",
                wraps=stats.async_add_external_statistics,
            ) as writes,
        ):
            await stats.async_import_series(hass, "test", _series(stats, points))
            await async_wait_recording_done(hass)
        return reads.call_count, writes.call_count

    # The next hour: one read (the row before it and anything after), one write.
    assert await counted([(_hour(3), 1.0)]) == (1, 1)
    # The re-read window finds nothing new: the same read, no write.
    assert await counted([(_hour(h), 1.0) for h in range(1, 4)]) == (1, 0)
    # A corrected hour: written with every row after it, the rows before not.
    with patch.object(
        stats,
        "async_add_external_statistics",
        wraps=stats.async_add_external_statistics,
    ) as writes:
        await stats.async_import_series(hass, "test", _series(stats, [(_hour(1), 2.0)]))
        await async_wait_recording_done(hass)
    assert [row["start"] for row in writes.call_args.args[2]] == [
        _hour(1),
        _hour(2),
        _hour(3),
    ]
    # After a gap the hour before is missing: one look-back finds the row
    # (or none, when the rows just written are still remembered).
    reads, writes = await counted([(_hour(10), 1.0)])
    assert (reads in (1, 2), writes) == (True, 1)
    assert [row[2] for row in await _stored(hass)] == [1.0, 3.0, 4.0, 5.0, 6.0]


@STATS
@pytest.mark.parametrize(
    ("zone", "local_time"),
    [
        ("Asia/Kolkata", (0, 30)),
        ("Australia/Adelaide", (0, 30)),
        ("America/St_Johns", (0, 30)),
        ("Europe/Oslo", (0, 0)),
        ("Asia/Kathmandu", (0, 45)),
    ],
)
async def test_month_start_is_inside_the_month(
    hass: HomeAssistant, stats: ModuleType, zone: str, local_time: tuple[int, int]
) -> None:
    """In half-hour zones a month's row lands in that month, not the one before."""
    await hass.config.async_set_time_zone(zone)
    start = stats.local_month_start(datetime(2026, 10, 15, tzinfo=UTC))
    assert start.minute == 0
    assert start.tzinfo == UTC
    expected = datetime(2026, 10, 1, *local_time, tzinfo=ZoneInfo(zone))
    assert dt_util.as_local(start) == expected


@STATS
def test_spread_by_weight(stats: ModuleType) -> None:
    """A bill spread by energy keeps its exact total."""
    parts = stats.spread_by_weight(100.0, [1.0, 3.0, 0.0, 6.0])
    assert parts == pytest.approx([10.0, 30.0, 0.0, 60.0])
    assert math.fsum(parts) == 100.0
    assert stats.spread_by_weight(9.0, [0.0, math.nan, -1.0]) == pytest.approx(
        [3.0, 3.0, 3.0]
    )
    assert stats.spread_by_weight(1.0, []) == []
    thirds = stats.spread_by_weight(0.1, [1.0, 1.0, 1.0])
    assert math.fsum(thirds) == 0.1
    # A last slot without energy gets no negative rounding remainder.
    parts = stats.spread_by_weight(12.34, [0.7, 0.1, 0.0])
    assert parts[2] == 0.0
    assert math.fsum(parts) == 12.34


_HOURS = st.integers(min_value=-2, max_value=60)
_VALUES = st.one_of(
    st.floats(min_value=0, max_value=50),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-500.0, -5e6, 1e307, 1e308, 0.0]),
)
_ROWS = st.lists(st.tuples(_HOURS, _VALUES), max_size=25)


@STATS
@pytest.mark.freeze_time(T0 + timedelta(hours=40))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(refreshes=st.lists(st.tuples(st.booleans(), _ROWS), min_size=1, max_size=4))
async def test_any_rows_in_any_refreshes_keep_statistics_sound(
    hass: HomeAssistant,
    stats: ModuleType,
    freezer: FrozenDateTimeFactory,
    refreshes: list[tuple[bool, list[tuple[int, float]]]],
) -> None:
    """Property: whatever the vendor sends, in however many refreshes.

    Duplicates, gaps, out-of-order, future, NaN/inf, negative and huge rows:
    the stored rows are finite, one per hour, with a sum that never
    decreases and equals the running total of the valid rows (the last word
    per hour wins), whether a refresh imports or merges.
    """
    statistic = f"test:prop_{abs(hash(repr(refreshes))) % 10**12}"
    expected: dict[datetime, float] = {}
    latest = T0 + timedelta(hours=41)
    for merge, rows in refreshes:
        points = [(_hour(h), v) for h, v in rows]
        series = stats.StatisticSeries(
            statistic_id=statistic,
            name="P",
            unit="kWh",
            unit_class="energy",
            points=points,
        )
        if merge:
            await stats.async_merge_series(hass, "test", series)
        else:
            await stats.async_import_series(hass, "test", series)
        await async_wait_recording_done(hass)
        valid = {
            start: value
            for start, value in points
            if math.isfinite(value) and 0 <= value <= 1e9 and start <= latest
        }
        if merge:
            expected.update(valid)
        elif valid:
            # An import rewrites its window and keeps later rows as they were
            # (their sums are not recomputed): the model follows that.
            expected.update(valid)
    stored = [
        (datetime.fromtimestamp(r["start"], UTC), r["state"], r["sum"])
        for r in await async_stored_rows(hass, statistic)
    ]
    starts = [row[0] for row in stored]
    assert starts == sorted(set(starts))
    assert all(math.isfinite(s) and math.isfinite(v) and v >= 0 for _, v, s in stored)
    assert {start: value for start, value, _ in stored} == pytest.approx(expected)
    sums = [row[2] for row in stored]
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(sums))
    # Every sum is the running total of the stored values: nothing lost.
    running = 0.0
    for _, value, total in stored:
        running += value
        assert total == pytest.approx(running, abs=1e-5)


@STATS
@pytest.mark.freeze_time(NOW)
async def test_back_to_back_chunks_continue_the_sum(
    hass: HomeAssistant, stats: ModuleType
) -> None:
    """A backfill's chunks, imported without waiting, form one running sum.

    Each import only queues a recorder task: the next chunk must not read
    the newest row before the previous chunk is committed (the sum would
    restart from an older row: negative bars on the Energy dashboard).
    """
    expected = 0.0
    for chunk in range(6):
        points = [(_hour(chunk * 24 + h), 1.0) for h in range(24)]
        expected += 24.0
        await stats.async_import_series(hass, "test", _series(stats, points))
    stored = await _stored(hass)
    assert len(stored) == 144
    assert [row[2] for row in stored] == [float(n) for n in range(1, 145)]
    assert stored[-1][2] == expected


@STATS
@pytest.mark.freeze_time(NOW)
async def test_queued_rows_are_read_back_without_waiting(
    hass: HomeAssistant, stats: ModuleType
) -> None:
    """Before HA has started the recorder runs no task: nothing may wait for it.

    Writes, then reads of rows still queued (a merge over them, the cursor)
    see those rows from memory; waiting for a commit is skipped while HA is
    starting (it would stall startup until the bootstrap gives up).
    """
    hass.set_state(CoreState.starting)
    try:
        await stats.async_recorder_synced(hass)  # returns at once
    finally:
        hass.set_state(CoreState.running)
    with (
        patch.object(stats, "statistics_during_period", return_value={}),
        patch.object(stats, "get_last_statistics", return_value={}),
        # As before HA has started: the recorder commits nothing, so the
        # queued rows stay remembered (no race with a real commit).
        patch.object(stats._Pending, "committed"),
    ):
        # The database "knows" nothing: only the queued rows can explain
        # the sums below.
        await stats.async_import_series(
            hass, "test", _series(stats, [(_hour(h), 1.0) for h in range(3)])
        )
        assert await stats.async_last_start(hass, STAT) == _hour(2)
        await stats.async_merge_series(hass, "test", _series(stats, [(_hour(1), 4.0)]))
        await stats.async_import_series(hass, "test", _series(stats, [(_hour(3), 1.0)]))
    assert await _stored(hass) == [
        (_hour(0), 1.0, 1.0),
        (_hour(1), 4.0, 5.0),
        (_hour(2), 1.0, 6.0),
        (_hour(3), 1.0, 7.0),
    ]


@STATS
@pytest.mark.freeze_time(NOW)
async def test_moved_rows_are_continued_before_they_are_committed(
    hass: HomeAssistant, stats: ModuleType
) -> None:
    """A migration's copied history: the first refresh continues its sums.

    During startup the recorder commits nothing; rows written with
    ``async_write_rows`` are read back from memory until it has.
    """
    with (
        patch.object(stats, "statistics_during_period", return_value={}),
        patch.object(stats, "get_last_statistics", return_value={}),
        # As before HA has started: the recorder commits nothing, so the
        # queued rows stay remembered (no race with a real commit).
        patch.object(stats._Pending, "committed"),
    ):
        stats.async_write_rows(
            hass,
            "test",
            _series(stats, []),
            [(_hour(0), 5.0, 105.0), (_hour(1), 5.0, 110.0)],
        )
        stats.async_write_rows(hass, "test", _series(stats, []), [])
        assert await stats.async_last_start(hass, STAT) == _hour(1)
        await stats.async_import_series(hass, "test", _series(stats, [(_hour(2), 1.0)]))
    assert [row[2] for row in await _stored(hass)] == [105.0, 110.0, 111.0]
