"""Slot aggregation: HA readings in, MOOST measurements at the documented cadence out.

Pure Python (no Home Assistant import) so it can be tested with exact numbers.

* Slots are 15 minutes of local wall-clock time. Every UTC offset in use today
  is a whole multiple of 15 minutes, so local quarter hours are exactly the
  epoch multiples of 900 s; only the 30-minute and day boundaries need the
  time zone (a DST day in Europe/Zurich has 92 or 100 slots).
* Energy (``ENERGY_*``) is a slot's increase of a ``total``/``total_increasing``
  counter in Wh. A drop of more than 10 % is a meter reset (HA's recorder uses
  the same rule), so the new reading counts from zero; a smaller drop is noise
  and ignored (the high-water mark is kept, so the rebound is not counted
  twice). While the sensor is unavailable nothing is counted; when it reports
  again, the increase since its last reading lands in that slot: nothing lost,
  nothing invented, never negative.
* Power, temperatures: the time-weighted mean over the part of the slot the
  sensor was available. Household powers (``GRID_POWER_CONSUMPTION``,
  ``POWER_GENERATION``, ``POWER_EXCESS``, ``POWER_CONSUMPTION``) are the slot's
  energy divided by its duration: the exact mean power, consistent with the
  energy sent.
* ``ENERGY_EXCESS`` every 30 minutes (the guide's cadence), ``_YESTERDAY`` types
  once at local midnight, only for days observed from their start.
* On-change types are sent at most once per debounce window (the newest value
  at the end of the window, if it differs from the last one sent).
* ``timestamp`` = epoch seconds of the END of the interval the value covers.

Each reading costs O(1): a dict lookup and a few float operations. Work per
slot is proportional to the number of forwarded entities.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
import logging
from typing import Any, Final, override

from .catalog import YESTERDAY, EventType

_LOGGER = logging.getLogger(__name__)

SLOT_SECONDS: Final = 900
SLOTS_PER_HOUR: Final = 3600 / SLOT_SECONDS
DEFAULT_DEBOUNCE: Final = 30.0
# A counter falling below 90 % of its last reading was reset (HA's recorder
# uses the same threshold for total_increasing sensors).
RESET_RATIO: Final = 0.9
STATE_VERSION: Final = 1


class InputKind(StrEnum):
    """How an entity's state is read (and which unit it is converted to)."""

    ENERGY = "energy"  # Wh counter
    POWER = "power"  # W, time-weighted mean
    TEMPERATURE = "temperature"  # °C, time-weighted mean
    STATE = "state"  # number, sent on change


@dataclass(frozen=True, slots=True)
class Measurement:
    """One value for MOOST: device, event type, value, end of the interval."""

    device_id: str
    type: EventType
    value: float
    timestamp: int


@dataclass(frozen=True, kw_only=True, slots=True)
class DeviceSpec:
    """The entities behind one MOOST device's event types."""

    device_id: str
    energy: Mapping[EventType, tuple[str, ...]] = field(default_factory=dict)
    mean: Mapping[EventType, str] = field(default_factory=dict)
    on_change: Mapping[EventType, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class GatewaySpec:
    """The Energy dashboard's counters behind the household (GATEWAY)."""

    device_id: str
    grid_import: tuple[str, ...] = ()
    grid_export: tuple[str, ...] = ()
    solar: tuple[str, ...] = ()
    battery_charge: tuple[str, ...] = ()
    battery_discharge: tuple[str, ...] = ()

    @property
    def entities(self) -> tuple[str, ...]:
        """Return every counter of the household."""
        return (
            *self.grid_import,
            *self.grid_export,
            *self.solar,
            *self.battery_charge,
            *self.battery_discharge,
        )


class _Series:
    """Base of the per-entity accumulators."""

    __slots__ = ()

    def update(self, value: float | None, ts: float, reset: bool) -> bool:
        """Take a reading; return True when a debounce timer must start."""
        raise NotImplementedError

    def take(self, end: float) -> float | None:
        """Return the slot's value (None: not fully observed) and start the next."""
        raise NotImplementedError

    def dump(self, now: float) -> list[Any]:
        """Return the state to persist."""
        raise NotImplementedError

    def load(self, data: list[Any]) -> None:
        """Restore persisted state."""
        raise NotImplementedError


class EnergyCounter(_Series):
    """Slot increase of a cumulative energy counter, in Wh."""

    __slots__ = ("baseline", "complete", "last", "pending")

    def __init__(self) -> None:
        """Start without a baseline: a slot is complete once one was read at its start."""
        self.last: float | None = None
        self.pending = 0.0
        self.complete = False
        self.baseline = float("inf")

    @override
    def update(self, value: float | None, ts: float, reset: bool) -> bool:
        """Add the increase since the last reading."""
        if value is None:
            return False  # unavailable: the increase is counted when it reports again
        last = self.last
        if last is None:
            self.last = value
            self.baseline = ts
        elif reset or value < last * RESET_RATIO:
            # A new meter cycle: everything read since counts from zero.
            self.pending += max(value, 0.0)
            self.last = value
        elif value > last:
            self.pending += value - last
            self.last = value
        # else: a small dip (noise); keep the high-water mark.
        return False

    @override
    def take(self, end: float) -> float | None:
        """Return the slot's increase if the slot was observed from its start."""
        complete = self.complete or self.baseline <= end - SLOT_SECONDS
        value = self.pending if complete else None
        self.pending = 0.0
        self.complete = self.last is not None
        return value

    @override
    def dump(self, now: float) -> list[Any]:
        """Return [last, pending, complete]."""
        return [self.last, self.pending, self.complete]

    @override
    def load(self, data: list[Any]) -> None:
        """Restore [last, pending, complete]."""
        self.last, self.pending, self.complete = data[0], float(data[1]), bool(data[2])


class MeanSeries(_Series):
    """Time-weighted mean over the time the value was known."""

    __slots__ = ("covered", "integral", "since", "value")

    def __init__(self) -> None:
        """Start unknown."""
        self.value: float | None = None
        self.since = 0.0
        self.integral = 0.0
        self.covered = 0.0

    @override
    def update(self, value: float | None, ts: float, reset: bool) -> bool:
        """Close the interval the previous value held, then hold the new one."""
        if self.value is not None and ts > self.since:
            elapsed = ts - self.since
            self.integral += self.value * elapsed
            self.covered += elapsed
        self.value = value
        self.since = max(self.since, ts)
        return False

    @override
    def take(self, end: float) -> float | None:
        """Return the slot's mean (None when the value was never known)."""
        self.update(self.value, end, False)
        mean = self.integral / self.covered if self.covered > 0 else None
        self.integral = self.covered = 0.0
        return mean

    @override
    def dump(self, now: float) -> list[Any]:
        """Return [integral, covered] up to now; the held value is not valid after a restart."""
        self.update(self.value, now, False)
        return [self.integral, self.covered]

    @override
    def load(self, data: list[Any]) -> None:
        """Restore [integral, covered]."""
        self.integral, self.covered = float(data[0]), float(data[1])


class OnChangeSeries(_Series):
    """The newest value, sent once per debounce window when it changed."""

    __slots__ = ("pending", "pending_ts")

    def __init__(self) -> None:
        """Start with nothing pending."""
        self.pending: float | None = None
        self.pending_ts = 0.0

    @override
    def update(self, value: float | None, ts: float, reset: bool) -> bool:
        """Keep the newest value; True when a debounce window starts."""
        if value is None:
            return False
        starts = self.pending is None
        self.pending = value
        self.pending_ts = ts
        return starts

    @override
    def take(self, end: float) -> float | None:
        """Not slot based."""
        return None

    def pop(self) -> tuple[float, int] | None:
        """Return and clear the pending value with its time."""
        if self.pending is None:
            return None
        value, self.pending = self.pending, None
        return value, int(self.pending_ts)

    @override
    def dump(self, now: float) -> list[Any]:
        """Return [pending, pending_ts]."""
        return [self.pending, self.pending_ts]

    @override
    def load(self, data: list[Any]) -> None:
        """Restore [pending, pending_ts]."""
        self.pending, self.pending_ts = data[0], float(data[1])


_SERIES: Final[dict[InputKind, Callable[[], _Series]]] = {
    InputKind.ENERGY: EnergyCounter,
    InputKind.POWER: MeanSeries,
    InputKind.TEMPERATURE: MeanSeries,
    InputKind.STATE: OnChangeSeries,
}

KIND_OF_TYPE: Final[dict[EventType, InputKind]] = {
    EventType.ENERGY_CONSUMPTION: InputKind.ENERGY,
    EventType.ENERGY_IMPORT: InputKind.ENERGY,
    EventType.ENERGY_EXPORT: InputKind.ENERGY,
    EventType.POWER_CONSUMPTION: InputKind.POWER,
    EventType.TEMPERATURE: InputKind.TEMPERATURE,
    EventType.WATER_TEMPERATURE: InputKind.TEMPERATURE,
    EventType.STATE_OF_CHARGE_RATE: InputKind.STATE,
    EventType.CHARGING_MODE: InputKind.STATE,
    EventType.DEVICE_STATUS: InputKind.STATE,
    EventType.SWITCH_STATE: InputKind.STATE,
}


class _Days:
    """Day (and half-hour) sums of one device."""

    __slots__ = ("day", "day_ok", "half", "half_ok")

    def __init__(self) -> None:
        """Start mid-day: neither the day nor the half hour is complete."""
        self.day: dict[str, float] = {}
        self.day_ok = False
        self.half = 0.0
        self.half_ok = False

    def add(self, values: Mapping[str, float]) -> None:
        """Add a slot's values to the day sums."""
        day = self.day
        for key, value in values.items():
            day[key] = day.get(key, 0.0) + value

    def dump(self) -> list[Any]:
        """Return the state to persist."""
        return [self.day, self.day_ok, self.half, self.half_ok]

    def load(self, data: list[Any]) -> None:
        """Restore persisted state."""
        self.day = {str(k): float(v) for k, v in dict(data[0]).items()}
        self.day_ok, self.half, self.half_ok = (
            bool(data[1]),
            float(data[2]),
            bool(data[3]),
        )


def _round(value: float) -> float:
    """Round away float noise (kWh -> Wh conversions): mWh / mW precision."""
    return round(value, 3) + 0.0  # + 0.0 turns -0.0 into 0.0


def _rate(part: float, whole: float) -> float:
    """Return part/whole in percent, clamped to 0..100, two decimals."""
    return round(min(max(part / whole * 100, 0.0), 100.0), 2)


def slot_end_after(ts: float) -> int:
    """Return the end of the slot containing ts (a boundary belongs to the next slot)."""
    return (int(ts) // SLOT_SECONDS + 1) * SLOT_SECONDS


class Aggregator:
    """Turn readings of the forwarded entities into MOOST measurements."""

    def __init__(
        self,
        tz: tzinfo,
        sink: Callable[[Measurement], None],
        *,
        gateway: GatewaySpec | None = None,
        devices: Iterable[DeviceSpec] = (),
        debounce: float = DEFAULT_DEBOUNCE,
    ) -> None:
        """Set up the series of every entity the specs name."""
        self._tz = tz
        self._sink = sink
        self._debounce = debounce
        self.gateway = gateway
        self.devices = tuple(devices)
        self.kinds: dict[str, InputKind] = {}
        self._series: dict[str, _Series] = {}
        self._days: dict[str, _Days] = {}
        # (device, type, entity) of every on-change binding, and what was sent.
        self._on_change: list[tuple[str, EventType, str]] = []
        self._sent: dict[str, float] = {}
        self._due: list[tuple[float, str]] = []
        self.slot_end = 0
        if gateway is not None:
            for entity_id in gateway.entities:
                self._bind(entity_id, InputKind.ENERGY)
            self._days[gateway.device_id] = _Days()
        for device in self.devices:
            for entity_ids in device.energy.values():
                for entity_id in entity_ids:
                    self._bind(entity_id, InputKind.ENERGY)
            for event_type, entity_id in device.mean.items():
                self._bind(entity_id, KIND_OF_TYPE[event_type])
            for event_type, entity_id in device.on_change.items():
                if self._bind(entity_id, InputKind.STATE):
                    self._on_change.append((device.device_id, event_type, entity_id))
            self._days[device.device_id] = _Days()

    def _bind(self, entity_id: str, kind: InputKind) -> bool:
        """Create the entity's series; an entity is read one way only."""
        known = self.kinds.get(entity_id)
        if known is None:
            self.kinds[entity_id] = kind
            self._series[entity_id] = _SERIES[kind]()
            return True
        if known != kind:
            _LOGGER.warning(
                "%s is already forwarded as %s; it is not also read as %s",
                entity_id,
                known,
                kind,
            )
            return False
        return True

    @property
    def entity_ids(self) -> list[str]:
        """Return every entity this aggregator reads."""
        return list(self._series)

    def start(self, now: float, saved: Mapping[str, Any] | None = None) -> None:
        """Begin at now, continuing a persisted state when there is one.

        Slots that ended while HA was not running get no events (nothing was
        measured); the slot in which HA stopped is closed with what was
        measured, and a counter's increase during the downtime lands in the
        first slot after the restart, so day totals stay exact.
        """
        if saved and saved.get("version") == STATE_VERSION:
            for entity_id, data in saved.get("series", {}).items():
                if (series := self._series.get(entity_id)) is not None:
                    series.load(data)
            for device_id, data in saved.get("days", {}).items():
                if (days := self._days.get(device_id)) is not None:
                    days.load(data)
            self._sent = {str(k): float(v) for k, v in saved.get("sent", {}).items()}
            saved_end = int(saved.get("slot_end", 0))
            if saved_end:
                self.slot_end = saved_end
                if saved_end <= now:
                    self._close(saved_end)
                    next_end = saved_end + SLOT_SECONDS
                    if next_end <= now:
                        self._missed(saved_end, slot_end_after(now))
        else:
            # Observed from now: complete days / half hours only if now starts one.
            local = datetime.fromtimestamp(now, self._tz)
            for days in self._days.values():
                days.half_ok = now % SLOT_SECONDS == 0 and local.minute % 30 == 0
                days.day_ok = (
                    local.date() != datetime.fromtimestamp(now - 1, self._tz).date()
                )
        self.slot_end = slot_end_after(now)
        for entity_id, series in self._series.items():
            if isinstance(series, MeanSeries):
                # The value held before a restart is not known to have held since.
                series.value = None
                series.since = now
            elif isinstance(series, OnChangeSeries) and series.pending is not None:
                self._due.append((now, entity_id))

    def _missed(self, last_end: int, next_end: int) -> None:
        """Note slots nobody observed: their days and half hours are incomplete."""
        first_day = datetime.fromtimestamp(last_end, self._tz).date()
        crossed_day = datetime.fromtimestamp(next_end - SLOT_SECONDS, self._tz).date()
        for days in self._days.values():
            days.half = 0.0
            days.half_ok = False
            if crossed_day != first_day:
                days.day = {}
                days.day_ok = False

    def dump(self, now: float) -> dict[str, Any]:
        """Return the state at now to persist across restarts (JSON-serialisable)."""
        return {
            "version": STATE_VERSION,
            "slot_end": self.slot_end,
            "series": {k: s.dump(now) for k, s in self._series.items()},
            "days": {k: d.dump() for k, d in self._days.items()},
            "sent": self._sent,
        }

    def update(
        self, entity_id: str, value: float | None, ts: float, reset: bool = False
    ) -> float | None:
        """Take one reading (already in Wh / W / °C); O(1).

        Returns the time at which :meth:`flush_due` must run when an
        on-change debounce window started, else None.
        """
        if ts >= self.slot_end:
            self.advance(ts)
        series = self._series.get(entity_id)
        if series is None:
            return None
        if series.update(value, ts, reset):
            due = ts + self._debounce
            self._due.append((due, entity_id))
            return due
        return None

    def advance(self, now: float) -> None:
        """Close every slot that ended at or before now."""
        while self.slot_end <= now:
            self._close(self.slot_end)
            self.slot_end += SLOT_SECONDS

    @property
    def next_due(self) -> float | None:
        """Return the earliest end of a running debounce window."""
        return min((due for due, _ in self._due), default=None)

    def flush_due(self, now: float) -> None:
        """Send on-change values whose debounce window is over."""
        keep: list[tuple[float, str]] = []
        for due, entity_id in self._due:
            if due <= now:
                self._flush(entity_id)
            else:
                keep.append((due, entity_id))
        self._due = keep

    def flush_all(self) -> None:
        """Send every pending on-change value now (on stop)."""
        for _, entity_id in self._due:
            self._flush(entity_id)
        self._due = []

    def _flush(self, entity_id: str) -> None:
        """Send an entity's pending on-change value where it changed."""
        series = self._series[entity_id]
        assert isinstance(series, OnChangeSeries)
        popped = series.pop()
        if popped is None:
            return
        value, ts = popped
        for device_id, event_type, bound in self._on_change:
            if bound != entity_id:
                continue
            key = f"{device_id}|{event_type}"
            if self._sent.get(key) == value:
                continue
            self._sent[key] = value
            self._sink(Measurement(device_id, event_type, value, ts))

    def _close(self, end: int) -> None:
        """Emit the measurements of the slot ending at end."""
        taken = {
            entity_id: series.take(end)
            for entity_id, series in self._series.items()
            if not isinstance(series, OnChangeSeries)
        }
        local_end = datetime.fromtimestamp(end, self._tz)
        half_hour = local_end.minute % 30 == 0
        day_end = local_end.date() != datetime.fromtimestamp(end - 1, self._tz).date()
        if self.gateway is not None:
            self._close_gateway(self.gateway, taken, end, half_hour, day_end)
        for device in self.devices:
            self._close_device(device, taken, end, day_end)

    def _emit(
        self, device_id: str, event_type: EventType, value: float, ts: int
    ) -> None:
        """Hand one measurement to the sink."""
        self._sink(Measurement(device_id, event_type, value, ts))

    def _close_device(
        self,
        device: DeviceSpec,
        taken: Mapping[str, float | None],
        end: int,
        day_end: bool,
    ) -> None:
        """Emit one device's slot (and day) values."""
        days = self._days[device.device_id]
        sums: dict[str, float] = {}
        for event_type, entity_ids in device.energy.items():
            parts = [taken[entity_id] for entity_id in entity_ids]
            if any(part is None for part in parts):
                days.day_ok = False
                continue
            value = _round(sum(part for part in parts if part is not None))
            sums[event_type] = value
            self._emit(device.device_id, event_type, value, end)
        if (
            EventType.POWER_CONSUMPTION not in device.mean
            and EventType.ENERGY_CONSUMPTION in sums
        ):
            self._emit(
                device.device_id,
                EventType.POWER_CONSUMPTION,
                _round(sums[EventType.ENERGY_CONSUMPTION] * SLOTS_PER_HOUR),
                end,
            )
        for event_type, entity_id in device.mean.items():
            if (mean := taken[entity_id]) is not None:
                self._emit(device.device_id, event_type, _round(mean), end)
        days.add(sums)
        if day_end:
            if days.day_ok:
                for event_type in device.energy:
                    self._emit(
                        device.device_id,
                        YESTERDAY[event_type],
                        _round(days.day.get(event_type, 0.0)),
                        end,
                    )
            days.day = {}
            days.day_ok = True

    def _close_gateway(
        self,
        gateway: GatewaySpec,
        taken: Mapping[str, float | None],
        end: int,
        half_hour: bool,
        day_end: bool,
    ) -> None:
        """Emit the household's slot (and half-hour, day) values."""
        days = self._days[gateway.device_id]
        totals: dict[str, float] = {}
        complete = True
        for name, entity_ids in (
            ("import", gateway.grid_import),
            ("export", gateway.grid_export),
            ("solar", gateway.solar),
            ("charge", gateway.battery_charge),
            ("discharge", gateway.battery_discharge),
        ):
            parts = [taken[entity_id] for entity_id in entity_ids]
            if any(part is None for part in parts):
                complete = False
            totals[name] = sum(part for part in parts if part is not None)
        if not complete:
            # Not observed from the slot's start (first slot after setup).
            days.day_ok = days.half_ok = False
        else:
            days.add(totals)
            days.half += totals["export"]
            for event_type, value in self._gateway_values(gateway, totals):
                self._emit(gateway.device_id, event_type, value, end)
        if gateway.grid_export and half_hour:
            if days.half_ok:
                self._emit(
                    gateway.device_id, EventType.ENERGY_EXCESS, _round(days.half), end
                )
            days.half = 0.0
            days.half_ok = True
        if day_end:
            if days.day_ok:
                for event_type, value in self._gateway_values(gateway, days.day):
                    if event_type in YESTERDAY:
                        self._emit(gateway.device_id, YESTERDAY[event_type], value, end)
                if gateway.grid_export:
                    self._emit(
                        gateway.device_id,
                        EventType.ENERGY_EXCESS_YESTERDAY,
                        _round(days.day.get("export", 0.0)),
                        end,
                    )
            days.day = {}
            days.day_ok = True

    @staticmethod
    def _gateway_values(
        gateway: GatewaySpec, totals: Mapping[str, float]
    ) -> list[tuple[EventType, float]]:
        """Return the household's event values for summed energies (Wh)."""
        values: list[tuple[EventType, float]] = []
        imported = totals.get("import", 0.0)
        solar = totals.get("solar", 0.0)
        exported = totals.get("export", 0.0)
        # The Energy dashboard's balance. Meters that lag each other can make
        # a slot negative: it is sent as 0. A day is balanced from its sums,
        # so such a lag does not lose energy in the _YESTERDAY value.
        consumption = max(
            imported
            + solar
            - exported
            + totals.get("discharge", 0.0)
            - totals.get("charge", 0.0),
            0.0,
        )
        if gateway.grid_import:
            values.append((EventType.GRID_ENERGY_CONSUMPTION, _round(imported)))
            values.append(
                (EventType.GRID_POWER_CONSUMPTION, _round(imported * SLOTS_PER_HOUR))
            )
        if gateway.solar:
            values.append((EventType.ENERGY_GENERATION, _round(solar)))
            values.append((EventType.POWER_GENERATION, _round(solar * SLOTS_PER_HOUR)))
            if solar > 0:
                values.append(
                    (EventType.SELF_CONSUMPTION_RATE, _rate(solar - exported, solar))
                )
        if gateway.grid_export:
            values.append((EventType.POWER_EXCESS, _round(exported * SLOTS_PER_HOUR)))
        if gateway.grid_import or gateway.solar:
            values.append((EventType.ENERGY_CONSUMPTION, _round(consumption)))
            values.append(
                (EventType.POWER_CONSUMPTION, _round(consumption * SLOTS_PER_HOUR))
            )
            if gateway.grid_import and consumption > 0:
                values.append(
                    (
                        EventType.SELF_SUFFICIENCY_RATE,
                        _rate(consumption - imported, consumption),
                    )
                )
        return values
