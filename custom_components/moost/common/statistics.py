"""Import of hourly external statistics for the Energy dashboard.

Vendor-neutral: it turns a series of (hour start, value) points into recorder
rows whose running ``sum`` continues from what is already stored. Re-importing
a window overwrites its rows (the recorder keys them by statistic and start),
so corrections land and no hour is ever duplicated.

Vendor data is untrusted. Long-term statistics are years of a user's history
that no later refresh repairs, so every point is checked here, once, for
every integration (:func:`sanitize_points`): a point that is not a finite
number, is negative, is implausibly large for its unit (:data:`MAX_PER_ROW`),
starts in the future or not on a whole hour is dropped with one warning per
series and refresh; two points of one hour keep the last one (the vendor's
newest word). The running sum therefore never decreases.

Canonical copy: ``common/statistics.py`` at the repository root; each
integration carries a byte-identical copy (``scripts/sync-common``,
checked by ``tests/test_common.py``). Edit the canonical file.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import logging
import math
import re

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
from homeassistant.components.recorder.tasks import SynchronizeTask
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

_LOGGER = logging.getLogger(__name__)

# How far back to look for the row before a window when it is not the newest
# stored row nor the hour just before; a longer gap falls back to reading the
# whole history (rare, and only once).
_LOOKBACK = timedelta(days=35)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

FUTURE_TOLERANCE = timedelta(hours=1)
"""A row may start this far after now (clock skew); later ones are dropped."""

MAX_PER_ROW: dict[str | None, float] = {
    # One row is an hour or, for monthly vendors, a month of a whole estate
    # portfolio: the bounds are far above any real meter and far below what
    # overflows a running sum of decades of rows.
    EnergyConverter.UNIT_CLASS: 1e9,  # kWh: 1 TWh in one row
    VolumeConverter.UNIT_CLASS: 1e8,  # m³
    None: 1e10,  # money and units without a class
}
"""The largest plausible value of one row, per unit class, in its base unit."""

_PENDING: HassKey[_Pending] = HassKey(f"{__name__}.pending")

_BASE_UNIT = {
    EnergyConverter.UNIT_CLASS: "kWh",
    VolumeConverter.UNIT_CLASS: "m³",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class StatisticSeries:
    """Points of one external statistic, oldest first, hour-aligned UTC."""

    statistic_id: str
    name: str
    unit: str | None
    unit_class: str | None
    points: Sequence[tuple[datetime, float]]
    allow_negative: bool = field(default=False)
    """A net series (export minus import) may go down; consumption never."""


def hour_floor(moment: datetime) -> datetime:
    """Return the start of the UTC hour containing ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_month_start(moment: datetime, months_back: int = 0) -> datetime:
    """Return the first whole UTC hour inside a local calendar month.

    In HA's time zone; in UTC. In half-hour zones (Asia/Kolkata,
    Australia/Adelaide, America/St_Johns) the local midnight is not a whole
    UTC hour: flooring it would put the month's row into the previous month,
    so the start is rounded up to the next whole hour instead.
    """
    local = dt_util.as_local(moment)
    index = local.year * 12 + local.month - 1 - months_back
    start = datetime(index // 12, index % 12 + 1, 1, tzinfo=local.tzinfo)
    utc = start.astimezone(UTC)
    floored = utc.replace(minute=0, second=0, microsecond=0)
    return floored if floored == utc else floored + timedelta(hours=1)


def spread_by_weight(total: float, weights: Sequence[float]) -> list[float]:
    """Split ``total`` over slots in proportion to ``weights``, summing exactly.

    A monthly bill spread over the month's hours by their energy: daily and
    hourly cost become meaningful, the month's sum stays the bill. Without
    any positive weight the total is spread evenly. Non-finite or negative
    weights count as zero.
    """
    if not weights:
        return []
    clean = [w if math.isfinite(w) and w > 0 else 0.0 for w in weights]
    whole = math.fsum(clean)
    if whole <= 0:
        clean = [1.0] * len(weights)
        whole = float(len(weights))
    parts = [total * w / whole for w in clean]
    # The slot with the largest weight takes the rounding remainder, so the
    # parts add up exactly and a slot of weight 0 never gets a tiny negative
    # remainder (which the importer would drop as negative).
    largest = max(range(len(parts)), key=clean.__getitem__)
    parts[largest] = total - math.fsum(
        part for index, part in enumerate(parts) if index != largest
    )
    return parts


def _plausible_limit(unit: str | None, unit_class: str | None) -> float:
    """Return the largest plausible row value in ``unit``."""
    limit = MAX_PER_ROW.get(unit_class, MAX_PER_ROW[None])
    base = _BASE_UNIT.get(unit_class or "")
    if base is None or unit is None or unit == base:
        return limit
    converter = (
        EnergyConverter if unit_class == EnergyConverter.UNIT_CLASS else VolumeConverter
    )
    try:
        return converter.convert(limit, base, unit)
    except KeyError, ValueError, TypeError:  # a unit the converter does not know
        return limit


def sanitize_points(
    series: StatisticSeries, now: datetime | None = None
) -> list[tuple[datetime, float]]:
    """Return the series' usable points: sorted, one per hour, plausible.

    Dropped points are logged once per series (the reason and how many):
    the vendor's data is wrong, not ours, and the rest of it is still used.
    """
    latest = (now or dt_util.utcnow()) + FUTURE_TOLERANCE
    limit = _plausible_limit(series.unit, series.unit_class)
    kept: dict[datetime, float] = {}
    dropped: dict[str, int] = {}
    duplicates = 0
    for start, value in series.points:
        reason = None
        if not isinstance(start, datetime) or start.tzinfo is None:
            reason = "no time zone"
        elif start.minute or start.second or start.microsecond:
            reason = "not on a whole hour"
        elif start > latest:
            reason = "in the future"
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            reason = "not a number"
        elif not math.isfinite(value):
            reason = "not finite"
        elif value < 0 and not series.allow_negative:
            reason = "negative"
        elif abs(value) > limit:
            reason = "implausibly large"
        if reason is not None:
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        key = start.astimezone(UTC)
        if key in kept:
            duplicates += 1
        kept[key] = float(value)
    if dropped:
        _LOGGER.warning(
            "Skipped vendor rows of %s: %s",
            series.statistic_id,
            ", ".join(f"{count} {reason}" for reason, count in sorted(dropped.items())),
        )
    if duplicates:
        _LOGGER.warning(
            "%s: %d hours came more than once; the last value of each is kept",
            series.statistic_id,
            duplicates,
        )
    return sorted(kept.items())


async def async_recorder_synced(hass: HomeAssistant) -> None:
    """Wait until the recorder has committed every task queued so far.

    The recorder's own ``async_block_till_done`` returns at once while it is
    still running the task it took off its (then empty) queue; a synchronize
    task queued behind ours is reached only after it (tasks run in order).
    Before Home Assistant has started, the recorder runs no task (it waits
    for the start, which waits for the integrations' setup): waiting then
    would stall startup, so this returns at once. The readers of this module
    see queued rows anyway (:class:`_Pending`).
    """
    if hass.state is not CoreState.running:
        return
    future: asyncio.Future[None] = hass.loop.create_future()
    get_instance(hass).queue_task(SynchronizeTask(future))
    await future


type _Rows = dict[datetime, tuple[float, float]]
"""Rows by start: (state, sum)."""


@dataclass(slots=True)
class _Pending:
    """Rows queued to the recorder and maybe not yet committed, per statistic.

    ``async_add_external_statistics`` only queues a task, and before Home
    Assistant has started the recorder runs none. Reading a statistic back
    right after writing it (the next chunk of a backfill, a merge) would see
    the rows before the write and restart the running sum from there. So
    every write is also kept here until a synchronize task queued behind it
    has run, and every read of this module lays these rows over what the
    database answers: correct at once, without waiting for the recorder.
    """

    rows: dict[str, dict[datetime, tuple[int, float, float]]] = field(
        default_factory=dict
    )
    generation: int = 0

    def write(self, statistic_id: str, rows: list[StatisticData]) -> int:
        """Remember rows being written; return the write's generation."""
        self.generation += 1
        mine = self.rows.setdefault(statistic_id, {})
        for row in rows:
            mine[row["start"]] = (
                self.generation,
                row["state"] or 0.0,
                row["sum"] or 0.0,
            )
        return self.generation

    def committed(self, statistic_id: str, generation: int) -> None:
        """Forget the rows of a write (and older ones) the recorder committed."""
        mine = self.rows.get(statistic_id, {})
        for start in [s for s, row in mine.items() if row[0] <= generation]:
            del mine[start]
        if not mine:
            self.rows.pop(statistic_id, None)

    def of(self, statistic_id: str) -> _Rows:
        """Return a copy of a statistic's queued rows (for an executor job)."""
        return {
            start: (state, total)
            for start, (_, state, total) in self.rows.get(statistic_id, {}).items()
        }


def _pending(hass: HomeAssistant) -> _Pending:
    return hass.data.setdefault(_PENDING, _Pending())


def _write(
    hass: HomeAssistant,
    source: str,
    series: StatisticSeries,
    rows: list[StatisticData],
) -> None:
    pending = _pending(hass)
    generation = pending.write(series.statistic_id, rows)
    async_add_external_statistics(hass, _metadata(source, series), rows)
    synced: asyncio.Future[None] = hass.loop.create_future()
    synced.add_done_callback(
        lambda _: pending.committed(series.statistic_id, generation)
    )
    get_instance(hass).queue_task(SynchronizeTask(synced))


def async_write_rows(
    hass: HomeAssistant,
    source: str,
    series: StatisticSeries,
    rows: Sequence[tuple[datetime, float, float]],
) -> None:
    """Write stored rows exactly as given, ``(start, state, sum)``.

    For a migration that moves a statistic's history to a new id: no checks
    and no re-summing (the rows were stored before), and the readers of this
    module see them at once. A migration runs before Home Assistant has
    started, when the recorder commits nothing yet: the first refresh must
    still continue from the moved sums, not start again at 0.
    """
    if rows:
        _write(
            hass,
            source,
            series,
            [
                StatisticData(start=start, state=state, sum=total)
                for start, state, total in rows
            ],
        )


async def async_last_start(hass: HomeAssistant, statistic_id: str) -> datetime | None:
    """Return the start of the newest stored row that is not in the future.

    A row a vendor once dated years ahead must not become the cursor of the
    next refresh (no new hour would ever be imported again):
    :func:`async_future_row` tells the integration so it can say so in a
    repair issue, and the next merge over it sets its value to 0. Rows still
    queued to the recorder count as stored.
    """
    return await get_instance(hass).async_add_executor_job(
        _last_start, hass, statistic_id, _pending(hass).of(statistic_id)
    )


async def async_future_row(hass: HomeAssistant, statistic_id: str) -> datetime | None:
    """Return the start of the newest stored row if it lies in the future."""
    newest = await get_instance(hass).async_add_executor_job(
        _newest, hass, statistic_id, _pending(hass).of(statistic_id)
    )
    if newest is None or newest[0] <= dt_util.utcnow() + FUTURE_TOLERANCE:
        return None
    return newest[0]


def _newest(
    hass: HomeAssistant, statistic_id: str, queued: _Rows
) -> tuple[datetime, float | None] | None:
    """Return the start and sum of the newest row, queued rows included."""
    last = get_last_statistics(hass, 1, statistic_id, True, {"sum"})
    found: tuple[datetime, float | None] | None = None
    if rows := last.get(statistic_id):
        found = datetime.fromtimestamp(rows[0]["start"], UTC), rows[0].get("sum")
    if queued and (found is None or max(queued) >= found[0]):
        newest = max(queued)
        found = newest, queued[newest][1]
    return found


def _last_start(
    hass: HomeAssistant, statistic_id: str, queued: _Rows
) -> datetime | None:
    latest = dt_util.utcnow() + FUTURE_TOLERANCE
    candidates = [start for start in queued if start <= latest]
    newest = _newest(hass, statistic_id, {})
    if newest is not None and newest[0] <= latest:
        candidates.append(newest[0])
    elif newest is not None:
        for start in (latest - _LOOKBACK, _EPOCH):
            stats = statistics_during_period(
                hass, start, latest, {statistic_id}, "hour", None, set()
            )
            if rows := stats.get(statistic_id):
                candidates.append(datetime.fromtimestamp(rows[-1]["start"], UTC))
                break
    return max(candidates, default=None)


def _sum_before(
    hass: HomeAssistant, statistic_id: str, first: datetime
) -> float | None:
    """Return the running sum of the newest stored row before a gap at ``first``.

    Called only when the window read found no row in the hour before
    ``first`` (and no queued one): a look-back window, else the whole
    history. None when that sum is unusable (not finite): the caller then
    re-sums the history.
    """
    for start in (first - _LOOKBACK, _EPOCH):
        stats = statistics_during_period(
            hass, start, first, {statistic_id}, "hour", None, {"sum"}
        )
        if rows := stats.get(statistic_id):
            return _usable_sum(rows[-1].get("sum"))
    return 0.0


def _usable_sum(value: float | None) -> float | None:
    if value is None:
        return 0.0
    return float(value) if math.isfinite(value) else None


def _rows(points: Sequence[tuple[datetime, float]], base: float) -> list[StatisticData]:
    rows: list[StatisticData] = []
    running = base
    for start, value in points:
        running += value
        rows.append(StatisticData(start=start, state=value, sum=round(running, 6)))
    return rows


def _metadata(source: str, series: StatisticSeries) -> StatisticMetaData:
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=series.name,
        source=source,
        statistic_id=series.statistic_id,
        unit_class=series.unit_class,
        unit_of_measurement=series.unit,
    )


async def async_import_series(
    hass: HomeAssistant, source: str, series: StatisticSeries
) -> None:
    """Write a series, continuing the running sum stored before its first point.

    Points are sanitised first (:func:`sanitize_points`). Stored rows from the
    first point on are read back in the same query as the row before it and
    merged with the points, so a re-read window, a gap filled or a late
    correction re-sums every later row; rows whose value and sum did not
    change are not written again. Appending after the newest row costs one
    small read and one write.
    """
    await async_merge_series(hass, source, series)


async def async_merge_series(
    hass: HomeAssistant, source: str, series: StatisticSeries, *, repair: bool = False
) -> None:
    """Write points that may land before, between or after stored rows.

    A late correction of an old row changes the running sum of every row after
    it, so the stored rows from the earliest new point on are read back,
    merged with the new points and re-written with one continuous sum.
    ``repair`` re-sums the whole stored history (a stored sum was unusable).
    Stored rows that are unusable today (not finite, negative, in the
    future) are rewritten with 0.
    """
    points = sanitize_points(series)
    if not points:
        return
    first = _EPOCH if repair else points[0][0]
    window = await get_instance(hass).async_add_executor_job(
        _read_window,
        hass,
        series.statistic_id,
        first,
        _pending(hass).of(series.statistic_id),
    )
    base = 0.0 if repair else window.base
    if base is None:
        await async_merge_series(hass, source, series, repair=True)
        return
    merged = {start: state for start, (state, _) in window.stored.items()}
    merged.update(points)
    rows = _rows(sorted(merged.items()), base)
    # Rows before the first change are as stored: writing them again would
    # cost the recorder for nothing (the daily re-read window mostly finds
    # nothing new). Every row from the first change on is written, since its
    # sum follows the change.
    unchanged = 0
    for row in rows:
        old = window.stored.get(row["start"])
        if (
            old is None
            or old[0] != (row["state"] or 0.0)
            or not abs(old[1] - (row["sum"] or 0.0)) <= 1e-6
        ):
            break
        unchanged += 1
    if rows[unchanged:]:
        _write(hass, source, series, rows[unchanged:])


@dataclass(slots=True)
class _Window:
    """What a write needs to know of the stored rows."""

    base: float | None
    """Running sum of the row before the window (None: not usable)."""
    stored: dict[datetime, tuple[float, float]]
    """Rows from the window's start on: (usable state, stored sum)."""


def _read_window(
    hass: HomeAssistant, statistic_id: str, first: datetime, queued: _Rows
) -> _Window:
    """Read the row before ``first`` and every row from ``first`` on, at once.

    A stored value that would not pass :func:`sanitize_points` today (written
    before rows were checked, or dated in the future) counts as 0, so
    re-summing repairs the series. Rows still queued to the recorder are laid
    over the database's.
    """
    stats = statistics_during_period(
        hass,
        max(first - timedelta(hours=1), _EPOCH),
        None,
        {statistic_id},
        "hour",
        None,
        {"state", "sum"},
    )
    latest = dt_util.utcnow() + FUTURE_TOLERANCE
    stored: dict[datetime, tuple[float, float]] = {}
    before: tuple[datetime, float | None] | None = None
    for row in stats.get(statistic_id, []):
        begins = datetime.fromtimestamp(row["start"], UTC)
        total = row.get("sum")
        if begins < first:
            before = begins, total
            continue
        value = row.get("state")
        if (
            value is None
            or not math.isfinite(value)
            or not 0 <= value <= 1e12
            or begins > latest
        ):
            value = 0.0
        stored[begins] = (float(value), math.nan if total is None else float(total))
    stored.update({begins: row for begins, row in queued.items() if begins >= first})
    queued_before = max((start for start in queued if start < first), default=None)
    if queued_before is not None and (before is None or queued_before >= before[0]):
        before = queued_before, queued[queued_before][1]
    if before is not None:
        return _Window(base=_usable_sum(before[1]), stored=stored)
    return _Window(base=_sum_before(hass, statistic_id, first), stored=stored)


_CLEAN = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


def statistic_id(domain: str, *parts: str) -> str:
    """Return ``domain:part_part`` made of ``[a-z0-9_]`` without double ``_``.

    Injective: a part that is already clean stays as it is; any other part
    becomes its slug plus a short hash of the original, so ``ab-12``,
    ``AB_12`` and ``ab_12`` never share a statistic (they would overwrite
    each other's history).
    """
    cleaned: list[str] = []
    for part in parts:
        if _CLEAN.fullmatch(part):
            cleaned.append(part)
            continue
        slug = "".join(c if c.isascii() and c.isalnum() else "_" for c in part.lower())
        slug = "_".join(piece for piece in slug.split("_") if piece)
        digest = hashlib.sha256(part.encode()).hexdigest()[:8]
        cleaned.append(f"{slug}_{digest}" if slug else digest)
    return f"{domain}:{'_'.join(cleaned)}"
