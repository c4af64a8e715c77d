"""Import of hourly external statistics for the Energy dashboard.

Vendor-neutral: it turns a series of (hour start, value) points into recorder
rows whose running ``sum`` continues from what is already stored. Re-importing
a window overwrites its rows (the recorder keys them by statistic and start),
so corrections land and no hour is ever duplicated.

Canonical copy: ``common/statistics.py`` at the repository root; each
integration carries a byte-identical copy (``scripts/sync-common``,
checked by ``tests/test_common.py``). Edit the canonical file.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

# How far back to look for the row before a window; a longer gap in the data
# falls back to reading the whole history (rare, and only once).
_LOOKBACK = timedelta(days=35)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class StatisticSeries:
    """Points of one external statistic, oldest first, hour-aligned UTC."""

    statistic_id: str
    name: str
    unit: str | None
    unit_class: str | None
    points: Sequence[tuple[datetime, float]]


def hour_floor(moment: datetime) -> datetime:
    """Return the start of the UTC hour containing ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_month_start(moment: datetime, months_back: int = 0) -> datetime:
    """Return the start of a local calendar month (HA's time zone), in UTC."""
    local = dt_util.as_local(moment)
    index = local.year * 12 + local.month - 1 - months_back
    start = datetime(index // 12, index % 12 + 1, 1, tzinfo=local.tzinfo)
    return start.astimezone(UTC)


async def async_last_start(hass: HomeAssistant, statistic_id: str) -> datetime | None:
    """Return the start of the newest stored row of a statistic, if any."""
    last = await get_instance(hass).async_add_executor_job(
        get_last_statistics, hass, 1, statistic_id, True, set()
    )
    if not (rows := last.get(statistic_id)):
        return None
    return datetime.fromtimestamp(rows[0]["start"], UTC)


def _sum_before(hass: HomeAssistant, statistic_id: str, when: datetime) -> float:
    """Return the running sum of the newest row that starts before ``when``."""
    for start in (when - _LOOKBACK, _EPOCH):
        stats = statistics_during_period(
            hass, start, when, {statistic_id}, "hour", None, {"sum"}
        )
        if rows := stats.get(statistic_id):
            return float(rows[-1].get("sum") or 0.0)
    return 0.0


async def async_import_series(
    hass: HomeAssistant, source: str, series: StatisticSeries
) -> None:
    """Write a series, continuing the running sum stored before its first point."""
    if not series.points:
        return
    base = await get_instance(hass).async_add_executor_job(
        _sum_before, hass, series.statistic_id, series.points[0][0]
    )
    rows: list[StatisticData] = []
    running = base
    for start, value in series.points:
        running += value
        rows.append(StatisticData(start=start, state=value, sum=round(running, 6)))
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=series.name,
        source=source,
        statistic_id=series.statistic_id,
        unit_class=series.unit_class,
        unit_of_measurement=series.unit,
    )
    async_add_external_statistics(hass, metadata, rows)


def _states_from(
    hass: HomeAssistant, statistic_id: str, start: datetime
) -> dict[datetime, float]:
    """Return the stored value (``state``) of every row from ``start`` on."""
    stats = statistics_during_period(
        hass, start, None, {statistic_id}, "hour", None, {"state"}
    )
    return {
        datetime.fromtimestamp(row["start"], UTC): float(row.get("state") or 0.0)
        for row in stats.get(statistic_id, [])
    }


async def async_merge_series(
    hass: HomeAssistant, source: str, series: StatisticSeries
) -> None:
    """Write points that may land before or between stored rows.

    A late correction of an old row changes the running sum of every row after
    it, so the stored rows from the earliest new point on are read back,
    merged with the new points and re-written with one continuous sum.
    """
    if not series.points:
        return
    points = sorted(series.points)
    stored = await get_instance(hass).async_add_executor_job(
        _states_from, hass, series.statistic_id, points[0][0]
    )
    merged = {**stored, **dict(points)}
    await async_import_series(
        hass, source, replace(series, points=sorted(merged.items()))
    )


def statistic_id(domain: str, *parts: str) -> str:
    """Return ``domain:part_part`` made of ``[a-z0-9_]`` without double ``_``."""
    cleaned = "_".join(parts).lower()
    cleaned = "".join(c if c.isascii() and c.isalnum() else "_" for c in cleaned)
    while "__" in cleaned:
        cleaned = cleaned.replace("__", "_")
    return f"{domain}:{cleaned.strip('_')}"
