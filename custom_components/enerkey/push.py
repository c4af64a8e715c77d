"""Home Assistant's own meters pushed into EnerKey (``pushed_meter`` subentries).

Each ``pushed_meter`` subentry links an HA energy/volume sensor (state class
``total``/``total_increasing``) to an EnerKey meter. Every hour, a quarter
past (when the recorder has compiled the hour before), the complete hours
that were not pushed yet are read from HA's **long-term statistics** and
sent with ``PushConsumptionsForMeter`` (the hour's ``change``, exactly what
the Energy dashboard shows) or ``PushCumulativeReadingsForMeter`` (the
reading at the hour's end: the hour's ``state``, stamped with the hour's
end), in the meter's unit (``statistics_during_period`` converts).

* **Never the same hour twice.** Which hours are done is kept per EnerKey
  meter (also after its subentry is removed: added again, it goes on) as merged ``[start, end)`` ranges in a ``Store``, written at once after
  every message EnerKey accepted (before the next one is sent). Hours
  without a statistics row and rows whose value cannot be pushed (missing,
  infinite, negative) inside a pushed range count as done: they are never
  sent later on their own. Whether EnerKey adds or replaces a second value
  for an hour is not documented; sending none avoids the question.
* **Catching up.** Nothing is marked done before EnerKey accepted it. After
  an EnerKey outage, a refused message or an HA restart, the next push
  sends every hour since the last accepted one, 365 days per message at
  most (one meter per message, as the API requires).
* **Backfill.** ``enerkey.push_history`` pushes a chosen period (older than
  the subentry, or missed) through the same path, so it never repeats an
  hour either.
* A refused message (400), an unknown meter (404) or units that do not
  match raise a repair issue for that subentry and keep its hours for the
  next try; the issue goes away when a push succeeds.
"""

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import logging
import math
from typing import Any, Final

from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import (
    PUSH_RANGE,
    EnerKeyClient,
    EnerKeyConnectionError,
    EnerKeyError,
    EnerKeyResponseError,
    PushResult,
)
from .common.statistics import hour_floor
from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

SUBENTRY_PUSHED_METER: Final = "pushed_meter"
CONF_ENTITY_ID: Final = "entity_id"
CONF_METER_ID: Final = "meter_id"
CONF_MODE: Final = "mode"
CONF_SINCE: Final = "since"
MODE_CONSUMPTION: Final = "consumption"
MODE_CUMULATIVE: Final = "cumulative"
MODES: Final = (MODE_CONSUMPTION, MODE_CUMULATIVE)

STORAGE_VERSION: Final = 1
PUSH_MINUTE: Final = 15
"""Minute of each hour the push runs: HA compiles an hour's statistics just
after it ends; a quarter of an hour later they are in the database."""
HOUR: Final = timedelta(hours=1)
STOP_WAIT: Final = 45.0
"""Seconds an unload waits for a message in flight, so its answer is saved."""

type Ranges = list[tuple[int, int]]
"""Merged, sorted ``[start, end)`` ranges of done hours, epoch seconds."""


def storage_key(entry_id: str) -> str:
    """Return the ``Store`` key of an entry's pushed hours."""
    return f"{DOMAIN}.pushed.{entry_id}"


def issue_id(kind: str, subentry_id: str) -> str:
    """Return the repair issue id of one subentry's push problem."""
    return f"{kind}_{subentry_id}"


def add_range(ranges: Ranges, start: int, end: int) -> Ranges:
    """Return ``ranges`` with ``[start, end)`` added, merged and sorted."""
    if end <= start:
        return ranges
    merged: Ranges = []
    for low, high in sorted([*ranges, (start, end)]):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def is_done(ranges: Ranges, moment: int) -> bool:
    """Return whether the hour starting at ``moment`` is in a done range."""
    return any(low <= moment < high for low, high in ranges)


def first_open(ranges: Ranges, since: int) -> int:
    """Return the first hour at or after ``since`` that is not done."""
    moment = since
    for low, high in ranges:
        if low <= moment < high:
            moment = high
    return moment


@dataclass(frozen=True, kw_only=True, slots=True)
class PushedMeter:
    """One ``pushed_meter`` subentry, read."""

    subentry_id: str
    title: str
    entity: str
    """Entity registry id (or entity id): the statistic follows renames."""
    meter_id: str
    mode: str
    since: datetime

    @classmethod
    def of(cls, subentry: ConfigSubentry) -> PushedMeter | None:
        """Return the pushed meter of a subentry, or None for another type."""
        if subentry.subentry_type != SUBENTRY_PUSHED_METER:
            return None
        since = dt_util.parse_datetime(str(subentry.data.get(CONF_SINCE, "")))
        return cls(
            subentry_id=subentry.subentry_id,
            title=subentry.title,
            entity=str(subentry.data[CONF_ENTITY_ID]),
            meter_id=str(subentry.data[CONF_METER_ID]),
            mode=str(subentry.data.get(CONF_MODE, MODE_CONSUMPTION)),
            since=hour_floor(since or dt_util.utcnow()),
        )

    @property
    def cumulative(self) -> bool:
        """Return whether meter readings are pushed instead of consumptions."""
        return self.mode == MODE_CUMULATIVE


@dataclass(kw_only=True, slots=True)
class PushCounts:
    """What one push of one meter did (the action's response data)."""

    hours_sent: int = 0
    hours_accepted: int = 0
    hours_already_pushed: int = 0
    hours_skipped: int = 0
    messages: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts as the action answers them."""
        return {
            "hours_sent": self.hours_sent,
            "hours_accepted": self.hours_accepted,
            "hours_already_pushed": self.hours_already_pushed,
            "hours_skipped": self.hours_skipped,
            "messages": self.messages,
        }


class PushProblemError(Exception):
    """A pushed meter cannot be pushed until the user acts (a repair issue)."""

    def __init__(self, kind: str, **placeholders: str) -> None:
        """Keep the issue's translation key and placeholders."""
        super().__init__(kind)
        self.kind = kind
        self.placeholders = placeholders


PROBLEMS: Final = (
    "pushed_meter_missing",
    "pushed_meter_unit",
    "pushed_entity_missing",
    "push_refused",
)

type Row = tuple[datetime, float | None, float | None]
"""(hour start, change, state) of one hourly statistics row, in the meter's unit."""


def _read_rows(
    hass: HomeAssistant,
    statistic_id: str,
    period: tuple[datetime, datetime],
    unit_class: str,
    unit: str,
) -> tuple[str | None, list[Row]]:
    """Return the statistic's unit class and its hourly rows (recorder executor).

    ``change`` is the difference to the previous row's ``sum``, as the
    Energy dashboard computes it; both are converted to ``unit``.
    """
    metadata = get_metadata(hass, statistic_ids={statistic_id})
    if statistic_id not in metadata:
        return None, []
    found_class = metadata[statistic_id][1].get("unit_class")
    if found_class != unit_class:
        return found_class, []
    stats = statistics_during_period(
        hass,
        *period,
        {statistic_id},
        "hour",
        {unit_class: unit},
        {"change", "state", "sum"},
    )
    return found_class, [
        (dt_util.utc_from_timestamp(row["start"]), row.get("change"), row.get("state"))
        for row in stats.get(statistic_id, [])
    ]


def _pushable(value: float | None) -> bool:
    """Return whether a value can go to EnerKey (strict about values)."""
    return value is not None and math.isfinite(value) and value >= 0


def _first_message(
    values: Sequence[tuple[datetime, float]], size: int
) -> list[tuple[datetime, float]]:
    """Return the first ``size`` values at most, spanning < 365 days (Push)."""
    message: list[tuple[datetime, float]] = []
    for moment, value in values[: max(size, 1)]:
        if message and moment - message[0][0] >= PUSH_RANGE:
            break
        message.append((moment, value))
    return message


class EnerKeyPusher:
    """Pushes the hours of an entry's ``pushed_meter`` subentries to EnerKey."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: EnerKeyClient,
        meter_units: Callable[[str], tuple[str | None, str | None] | None],
    ) -> None:
        """Create the pusher of one entry.

        ``meter_units`` maps an EnerKey meter id to its ``(unit, unit_class)``
        as the coordinator last read it (a callable, so it stays current).
        """
        self.hass = hass
        self.entry_id = entry_id
        self.client = client
        self._meter_units = meter_units
        self._store: Store[dict[str, list[list[int]]]] = Store(
            hass, STORAGE_VERSION, storage_key(entry_id)
        )
        self._done: dict[str, Ranges] = {}
        self._meters: dict[str, PushedMeter] = {}
        self._lock = asyncio.Lock()
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self._stopped = False
        self._sizes: dict[str, int] = {}
        """Largest message per subentry after EnerKey refused a larger one."""
        self.last_push: datetime | None = None
        """When a push last reached EnerKey (diagnostics)."""

    @property
    def meters(self) -> dict[str, PushedMeter]:
        """Return the pushed meters by subentry id."""
        return self._meters

    def done_ranges(self, meter_id: str) -> Ranges:
        """Return the hours done for an EnerKey meter (diagnostics, tests)."""
        return list(self._done.get(meter_id, []))

    async def async_start(self, subentries: Iterable[ConfigSubentry]) -> None:
        """Load what was pushed, then push every hour and once HA has started."""
        stored = await self._store.async_load() or {}
        self._done = {
            key: [(int(low), int(high)) for low, high in value]
            for key, value in stored.items()
            if isinstance(value, list)
        }
        self.async_set_subentries(subentries)
        self._unsubscribe.append(
            async_track_time_change(
                self.hass, self._async_tick, minute=PUSH_MINUTE, second=0
            )
        )
        self._unsubscribe.append(async_at_started(self.hass, self._async_tick))

    @callback
    def async_set_subentries(self, subentries: Iterable[ConfigSubentry]) -> None:
        """Follow added and removed subentries without a reload."""
        meters = {}
        for subentry in subentries:
            if (meter := PushedMeter.of(subentry)) is not None:
                meters[meter.subentry_id] = meter
        # The record of done hours is kept by EnerKey meter, also when its
        # subentry goes: a pushed meter removed and added again (or another
        # sensor pushed into the same meter) never sends those hours again.
        for gone in set(self._meters) - set(meters):
            for kind in PROBLEMS:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id(kind, gone))
        self._meters = meters

    async def async_stop(self) -> None:
        """Stop the timers; let a message in flight be answered and saved.

        An action's push holds the lock, not the task: waiting for the lock
        too keeps a reload from loading the record before that push saved
        it (the new pusher would send the same hours again).
        """
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        try:
            async with asyncio.timeout(STOP_WAIT):
                if self._task is not None and not self._task.done():
                    await asyncio.shield(self._task)
                async with self._lock:
                    self._stopped = True
        except TimeoutError:
            if self._task is not None:
                self._task.cancel()
        self._stopped = True

    def _data(self) -> dict[str, list[list[int]]]:
        return {key: [list(r) for r in value] for key, value in self._done.items()}

    @callback
    def _async_tick(self, *_: Any) -> None:
        if self._task is not None and not self._task.done():
            return
        self._task = self.hass.async_create_background_task(
            self.async_push_new(), "enerkey push", eager_start=True
        )

    async def async_push_new(self) -> None:
        """Push every meter's complete hours since its last accepted one."""
        until = hour_floor(dt_util.utcnow())
        for meter in list(self._meters.values()):
            start = dt_util.utc_from_timestamp(
                first_open(
                    self._done.get(meter.meter_id, []),
                    int(meter.since.timestamp()),
                )
            )
            if start >= until:
                continue
            try:
                await self.async_push(meter, start, until)
            except PushProblemError:
                continue
            except EnerKeyError as err:
                # An outage or a rate limit: the hours wait for the next
                # push. One log line when it starts and one when it ends.
                if not self._failing:
                    _LOGGER.warning(
                        "Could not push to EnerKey, retrying next hour: %s", err
                    )
                self._failing = True
                return
        if self._failing:
            _LOGGER.info("Pushing to EnerKey works again")
        self._failing = False

    async def async_push(
        self, meter: PushedMeter, start: datetime, end: datetime
    ) -> PushCounts:
        """Push the hours in ``[start, end)`` of one meter not pushed before.

        Raises :class:`PushProblemError` (after creating its repair issue) when
        the meter cannot be pushed, and the client's errors when EnerKey
        could not take a message; hours accepted before stay done.
        """
        async with self._lock:
            if self._stopped:
                # Unloaded while this call waited: the next pusher sends it.
                raise EnerKeyConnectionError("The EnerKey entry is unloading")
            try:
                counts = await self._push(meter, start, end)
            except PushProblemError as problem:
                self._raise_issue(meter, problem)
                raise
            for kind in PROBLEMS:
                ir.async_delete_issue(
                    self.hass, DOMAIN, issue_id(kind, meter.subentry_id)
                )
            return counts

    def _raise_issue(self, meter: PushedMeter, problem: PushProblemError) -> None:
        for kind in PROBLEMS:
            if kind != problem.kind:
                ir.async_delete_issue(
                    self.hass, DOMAIN, issue_id(kind, meter.subentry_id)
                )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(problem.kind, meter.subentry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=problem.kind,
            translation_placeholders={
                "title": meter.title,
                "meter_id": meter.meter_id,
                **problem.placeholders,
            },
        )

    def _statistic_id(self, meter: PushedMeter) -> str:
        registry = er.async_get(self.hass)
        entity_id = er.async_resolve_entity_id(registry, meter.entity)
        if entity_id is None:
            raise PushProblemError("pushed_entity_missing", entity=meter.entity)
        return entity_id

    async def _push(
        self, meter: PushedMeter, start: datetime, end: datetime
    ) -> PushCounts:
        unit_info = self._meter_units(meter.meter_id)
        if unit_info is None:
            raise PushProblemError("pushed_meter_missing")
        unit, unit_class = unit_info
        if unit_class is None:
            entity = er.async_resolve_entity_id(er.async_get(self.hass), meter.entity)
            raise PushProblemError(
                "pushed_meter_unit", unit=str(unit), entity=entity or meter.entity
            )
        statistic_id = self._statistic_id(meter)
        found_class, rows = await get_instance(self.hass).async_add_executor_job(
            _read_rows, self.hass, statistic_id, (start, end), unit_class, unit
        )
        if found_class is not None and found_class != unit_class:
            raise PushProblemError(
                "pushed_meter_unit", unit=str(unit), entity=statistic_id
            )
        done = self._done.get(meter.meter_id, [])
        counts = PushCounts()
        values: list[tuple[datetime, float]] = []
        hours: dict[datetime, datetime] = {}
        """Value timestamp -> the statistics hour it came from."""
        newest: datetime | None = None
        for hour, change, state in rows:
            newest = hour
            if is_done(done, int(hour.timestamp())):
                counts.hours_already_pushed += 1
                continue
            value = state if meter.cumulative else change
            if not _pushable(value):
                counts.hours_skipped += 1
                continue
            assert value is not None
            moment = hour + HOUR if meter.cumulative else hour
            values.append((moment, value))
            hours[moment] = hour
        if counts.hours_skipped:
            _LOGGER.warning(
                "Skipped %d hours of %s that had no usable value (missing, "
                "infinite or negative); they are not pushed to EnerKey meter %s",
                counts.hours_skipped,
                statistic_id,
                meter.meter_id,
            )
        settled_from = start
        index = 0
        ceiling = len(values)
        suspect: datetime | None = None
        """An hour EnerKey refused alone, until a later hour alone tells whether
        the hour or the meter is refused."""
        while index < len(values):
            message = _first_message(
                values[index:], self._sizes.get(meter.subentry_id, len(values))
            )
            try:
                result = await self._send(meter, message)
            except EnerKeyResponseError as err:
                if err.status == 404:
                    raise PushProblemError("pushed_meter_missing") from err
                if err.status in (400, 413) and len(message) > 1:
                    # The vendor text limits a message to 365 days, not to a
                    # number of values: a server may refuse a large one. Halve
                    # it (remembered; doubled after each accepted message, but
                    # in this push never back to a refused size), so a refusal
                    # costs log2(hours) calls, not a refused message an hour.
                    ceiling = len(message) - 1
                    self._sizes[meter.subentry_id] = len(message) // 2
                    continue
                if err.status == 400 and suspect is None and index + 1 < len(values):
                    # One hour refused alone: try the next hour alone. If that
                    # is accepted, the refused hour is a poison value (dropped
                    # with a log line, never blocking the rest); if not, the
                    # meter refuses everything and every hour is kept.
                    suspect = hours[message[0][0]]
                    index += 1
                    continue
                raise PushProblemError("push_refused", error=str(err)) from err
            if suspect is not None:
                _LOGGER.warning(
                    "EnerKey refused the hour %s of %s alone; it is not pushed "
                    "to EnerKey meter %s",
                    suspect.isoformat(),
                    statistic_id,
                    meter.meter_id,
                )
                counts.hours_skipped += 1
                suspect = None
                # The refusals were the poison's: full messages again.
                ceiling = len(values)
                self._sizes.pop(meter.subentry_id, None)
            if result.stored is not None and result.stored < len(message):
                # Not documented which hours were dropped: resending could
                # double the others, so the message counts as done.
                _LOGGER.warning(
                    "EnerKey stored %d of %d hours pushed to meter %s",
                    result.stored,
                    len(message),
                    meter.meter_id,
                )
            counts.messages += 1
            counts.hours_sent += len(message)
            counts.hours_accepted += (
                result.stored if result.stored is not None else len(message)
            )
            index += len(message)
            if (size := self._sizes.get(meter.subentry_id)) is not None:
                self._sizes[meter.subentry_id] = max(min(size * 2, ceiling), 1)
            # Everything before this message's last hour is done: skipped
            # rows and hours without statistics in between included.
            until = hours[message[-1][0]] + HOUR
            await self._mark(meter, settled_from, until)
            settled_from = until
            self.last_push = dt_util.utcnow()
        if newest is not None and newest + HOUR > settled_from:
            # The rest of the range had nothing to send (skipped rows, hours
            # without statistics, hours pushed before): done as well.
            await self._mark(meter, settled_from, newest + HOUR)
        return counts

    async def _send(
        self, meter: PushedMeter, message: list[tuple[datetime, float]]
    ) -> PushResult:
        """Send one message; a 200 that states an error is a refusal."""
        result = await self.client.push_values(
            meter.meter_id, message, cumulative=meter.cumulative
        )
        if result.error is not None:
            raise EnerKeyResponseError(result.error, status=200)
        return result

    async def _mark(self, meter: PushedMeter, start: datetime, end: datetime) -> None:
        """Record ``[start, end)`` as done and save before anything else is sent.

        Awaited, not delayed: an accepted hour must be on disk as done before
        the next message, or a crash in between would send it again.
        """
        low = int(start.timestamp())
        high = int(end.timestamp())
        ranges = self._done.get(meter.meter_id, [])
        self._done[meter.meter_id] = add_range(ranges, low, high)
        await self._store.async_save(self._data())

    def diagnostics(self) -> list[dict[str, Any]]:
        """Return the pushed meters and their progress (no secrets in them)."""
        result = []
        for meter in self._meters.values():
            ranges = self._done.get(meter.meter_id, [])
            result.append(
                {
                    "meter_id": meter.meter_id,
                    "mode": meter.mode,
                    "since": meter.since.isoformat(),
                    "pushed_until": (
                        datetime.fromtimestamp(ranges[-1][1], UTC).isoformat()
                        if ranges
                        else None
                    ),
                    "done_ranges": len(ranges),
                }
            )
        return result
