"""Importing statistics through ``common/statistics.py`` vs the raw recorder call.

Goal (issue 12.19): the shared importer, with its checks of every vendor
row and its sum lookup, costs at most 1.2x a single raw
``async_add_external_statistics`` of the same rows, measured in the same
HA test instance and run. Printed as ratios; wall-clock figures only mean
something next to their baseline from the same run.
"""

from datetime import UTC, datetime, timedelta
import os
import time

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from common import statistics

# The size: a year of hours for 10 meters. BENCH_METERS/BENCH_DAYS
# make a quick run (the ratio is what counts, not the seconds).
METERS = int(os.environ.get("BENCH_METERS", "10"))
HOURS = int(os.environ.get("BENCH_DAYS", "365")) * 24
WINDOW = 72
START = datetime(2025, 1, 1, tzinfo=UTC)


def _points(meter: int) -> list[tuple[datetime, float]]:
    return [
        (START + timedelta(hours=h), round(0.2 + ((h * 7 + meter) % 13) / 10, 3))
        for h in range(HOURS)
    ]


def _metadata(statistic_id: str) -> StatisticMetaData:
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=statistic_id,
        source="bench",
        statistic_id=statistic_id,
        unit_class="energy",
        unit_of_measurement="kWh",
    )


def _raw_rows(points: list[tuple[datetime, float]], base: float) -> list[StatisticData]:
    rows: list[StatisticData] = []
    running = base
    for start, value in points:
        running += value
        rows.append(StatisticData(start=start, state=value, sum=round(running, 6)))
    return rows


def _corrected(points: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """The window as a utility's correction: every hour of it changed."""
    return [
        *points[:-WINDOW],
        *((start, value + 0.1) for start, value in points[-WINDOW:]),
    ]


async def _raw(
    hass: HomeAssistant, tag: str, window: bool, changed: bool = False
) -> float:
    began = time.perf_counter()
    for meter in range(METERS):
        points = _corrected(_points(meter)) if changed else _points(meter)
        if window:
            base = sum(v for _, v in points[:-WINDOW])
            rows = _raw_rows(points[-WINDOW:], base)
        else:
            rows = _raw_rows(points, 0.0)
        async_add_external_statistics(hass, _metadata(f"bench:raw_{tag}_{meter}"), rows)
    await async_wait_recording_done(hass)
    return time.perf_counter() - began


async def _ours(
    hass: HomeAssistant, tag: str, window: bool, changed: bool = False
) -> float:
    began = time.perf_counter()
    for meter in range(METERS):
        points = _corrected(_points(meter)) if changed else _points(meter)
        series = statistics.StatisticSeries(
            statistic_id=f"bench:ours_{tag}_{meter}",
            name="bench",
            unit="kWh",
            unit_class="energy",
            points=points[-WINDOW:] if window else points,
        )
        await statistics.async_import_series(hass, "bench", series)
    await async_wait_recording_done(hass)
    return time.perf_counter() - began


async def test_bench_import(recorder_mock: object, hass: HomeAssistant) -> None:
    """Print the importer's cost as a ratio of the raw recorder call."""
    await hass.config.async_set_time_zone("UTC")
    year_raw = year_ours = win_raw = win_ours = fix_raw = fix_ours = float("inf")
    for attempt in range(int(os.environ.get("BENCH_ROUNDS", "2"))):
        tag = f"a{attempt}"
        year_raw = min(year_raw, await _raw(hass, tag, window=False))
        year_ours = min(year_ours, await _ours(hass, tag, window=False))
        # The daily re-read window over data that is already stored: as it
        # mostly is (nothing changed), then with every hour corrected.
        win_raw = min(win_raw, await _raw(hass, tag, window=True))
        win_ours = min(win_ours, await _ours(hass, tag, window=True))
        fix_raw = min(fix_raw, await _raw(hass, tag, window=True, changed=True))
        fix_ours = min(fix_ours, await _ours(hass, tag, window=True, changed=True))
    print(
        f"\nstatistics import, {METERS} meters:"
        f"\n  {HOURS // 24} days of hours: common/statistics {year_ours:.2f} s,"
        f" raw {year_raw:.2f} s, ratio {year_ours / year_raw:.2f}x (goal <= 1.2x)"
        f"\n  {WINDOW} h re-read window, unchanged: common/statistics"
        f" {win_ours:.3f} s, raw {win_raw:.3f} s, ratio {win_ours / win_raw:.2f}x"
        f"\n  {WINDOW} h re-read window, every hour corrected: common/statistics"
        f" {fix_ours:.3f} s, raw {fix_raw:.3f} s, ratio {fix_ours / fix_raw:.2f}x"
        " (goal <= 1.2x)"
    )
