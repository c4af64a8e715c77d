"""Coordinator of the EnerKey integration: structure, values, statistics, keys.

Cost: with a price per kWh in the options, every energy meter gets a second
external statistic, its cost in Home Assistant's currency, hour by hour the
meter's energy in kWh times the price. It is computed here ("do the
calculation at your end", as EnerKey's documentation says), from the very
rows the refresh imports, so it costs no call to EnerKey. Hours stored
before a price was set (or while none was set) get their cost once from the
recorder. A price change applies to the hours imported or re-read after it
(the re-read window of 48 hours and every new hour); older hours keep the
price they were costed at, as a bill would.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
from typing import TYPE_CHECKING, override

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfEnergy, UnitOfVolume
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .api import (
    MAX_IDS,
    PRIMARY,
    SECONDARY,
    Action,
    EnerKeyClient,
    EnerKeyError,
    EnerKeyResponseError,
    Facility,
    Meter,
    MeterValues,
    batches,
)
from .common.ha import vendor_error_to_ha
from .common.statistics import (
    StatisticSeries,
    async_import_series,
    async_last_start,
    async_recorder_synced,
    hour_floor,
    local_month_start,
    sanitize_points,
    statistic_id,
)
from .const import (
    BACKFILL,
    CONF_PRICE_PER_KWH,
    DOMAIN,
    LOGGER,
    MAX_VALUE_CALLS,
    MIN_FETCH_SPACING,
    REREAD_WINDOW,
    STRUCTURE_INTERVAL,
    UPDATE_INTERVAL,
)

if TYPE_CHECKING:
    from .push import EnerKeyPusher

type EnerKeyConfigEntry = ConfigEntry[EnerKeyCoordinator]

HOUR = timedelta(hours=1)
HOURLY_CHUNK = timedelta(days=31)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Stored hours costed from the recorder per refresh at most: as many as the
# largest hourly backfill of one refresh writes (40 calls x 50 meters x 31
# days), so setting a price on a large profile's two years of history is
# spread over refreshes like the backfill was, not written at once.
_CATCH_UP_ROWS = MAX_VALUE_CALLS * MAX_IDS * 31 * 24

_ENERGY_UNITS = {
    "wh": UnitOfEnergy.WATT_HOUR,
    "kwh": UnitOfEnergy.KILO_WATT_HOUR,
    "mwh": UnitOfEnergy.MEGA_WATT_HOUR,
    "gwh": UnitOfEnergy.GIGA_WATT_HOUR,
    "mj": UnitOfEnergy.MEGA_JOULE,
    "gj": UnitOfEnergy.GIGA_JOULE,
}
_VOLUME_UNITS = {
    "m3": UnitOfVolume.CUBIC_METERS,
    "m³": UnitOfVolume.CUBIC_METERS,
    "l": UnitOfVolume.LITERS,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Unit:
    """A meter's unit as Home Assistant knows it, or the vendor's text."""

    unit: str | None
    unit_class: str | None
    """``energy``, ``volume`` or None for units HA does not convert."""


def unit_of(text: str | None) -> Unit:
    """Return the HA unit of an EnerKey unit (kWh, MWh, m3, ...).

    Unknown units (``Nm3``, ``t``) stay as EnerKey writes them, without a
    unit class: the sensor keeps no device class, the statistic no
    conversion.
    """
    key = (text or "").strip().lower()
    if key in _ENERGY_UNITS:
        return Unit(unit=_ENERGY_UNITS[key], unit_class=EnergyConverter.UNIT_CLASS)
    if key in _VOLUME_UNITS:
        return Unit(unit=_VOLUME_UNITS[key], unit_class=VolumeConverter.UNIT_CLASS)
    return Unit(unit=(text or "").strip() or None, unit_class=None)


@dataclass(kw_only=True, slots=True)
class MeterData:
    """One meter and its readings."""

    meter: Meter
    unit: Unit
    yesterday: float | None = None
    this_month: float | None = None
    last_month_normalized: float | None = None


@dataclass(kw_only=True, slots=True)
class EnerKeyData:
    """What the sensors show."""

    facilities: dict[str, Facility] = field(default_factory=dict)
    meters: dict[str, MeterData] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    """Energy-management actions by id (read with the daily structure)."""
    calls_left: int | None = None


def meter_statistic_id(meter_id: str) -> str:
    """Return the external statistic of a meter (``enerkey:meter_2001``)."""
    return statistic_id(DOMAIN, "meter", meter_id)


def meter_cost_statistic_id(meter_id: str) -> str:
    """Return the external cost statistic of a meter (``enerkey:meter_2001_cost``).

    EnerKey's meter ids are integers (docs/enerkey-api.md, Meter), so a
    meter's own statistic (``meter_<digits>``) never ends in ``_cost``; the
    client also accepts text ids, and only a text id ending in ``_cost``
    (never seen) could share a cost statistic's id.
    """
    return statistic_id(DOMAIN, "meter", meter_id, "cost")


def facility_identifier(facility_id: str) -> tuple[str, str]:
    """Return the device identifier of a facility."""
    return (DOMAIN, f"facility_{facility_id}")


class EnerKeyCoordinator(DataUpdateCoordinator[EnerKeyData]):
    """Reads a profile's facilities and meters and imports their hours."""

    config_entry: EnerKeyConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: EnerKeyConfigEntry, client: EnerKeyClient
    ) -> None:
        """Create the coordinator of one profile."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self._structure_at: datetime | None = None
        self._fetched_at: datetime | None = None
        self._cursor: dict[str, datetime] = {}
        """Per meter: the hour after the newest imported one."""
        self._recent: dict[str, dict[datetime, float]] = {}
        """Per meter: the hours of the last few days (for "yesterday")."""
        self.last_refresh_calls = 0
        """Requests the last refresh sent (diagnostics, tests)."""
        self.pusher: EnerKeyPusher
        """HA meters pushed into EnerKey (``push.py``), set by the entry's setup."""
        self._costed: set[str] = set()
        """Meters whose stored energy hours have had their cost caught up."""

    @property
    def price_per_kwh(self) -> float | None:
        """Return the price per kWh of the options, None without one."""
        price = self.config_entry.options.get(CONF_PRICE_PER_KWH)
        # The options flow stores only finite prices >= 0; anything else
        # (an edited storage file) means no cost rather than wrong cost.
        if (
            isinstance(price, (int, float))
            and not isinstance(price, bool)
            and math.isfinite(price)
            and price >= 0
        ):
            return float(price)
        return None

    @override
    async def _async_update_data(self) -> EnerKeyData:
        now = dt_util.utcnow()
        if (
            self.data is not None
            and self._fetched_at is not None
            and now - self._fetched_at < MIN_FETCH_SPACING
        ):
            return self.data
        before = self.client.requests
        try:
            data = await self._fetch(now)
        except EnerKeyError as err:
            raise vendor_error_to_ha(err, DOMAIN) from err
        finally:
            self.last_refresh_calls = self.client.requests - before
            self._update_key_issues()
        self._fetched_at = now
        return data

    async def _fetch(self, now: datetime) -> EnerKeyData:
        data = self.data or EnerKeyData()
        data = EnerKeyData(
            facilities=dict(data.facilities),
            meters=dict(data.meters),
            actions=dict(data.actions),
            calls_left=data.calls_left,
        )
        daily = self._structure_at is None or now - self._structure_at >= (
            STRUCTURE_INTERVAL
        )
        if daily:
            await self._read_structure(data)
        if (price := self.price_per_kwh) is not None:
            await self._catch_up_costs(data, price)
        await self._import_hours(data, now)
        await self._read_months(data, now, normalized=daily)
        if daily:
            self._structure_at = now
        data.calls_left = self.client.calls_left
        return data

    async def _read_structure(self, data: EnerKeyData) -> None:
        facilities = {f.id: f for f in await self.client.facilities()}
        meters = await self.client.meters(sorted(facilities))
        units: dict[str, str | None] = {}
        if any(meter.unit is None for meter in meters):
            units = {q.id: q.unit for q in await self.client.quantities()}
        old = data.meters
        data.facilities = facilities
        data.meters = {}
        for meter in meters:
            if meter.facility_id not in facilities:
                continue
            unit = unit_of(meter.unit or units.get(meter.quantity_id or ""))
            previous = old.get(meter.id)
            data.meters[meter.id] = MeterData(
                meter=meter,
                unit=unit,
                yesterday=previous.yesterday if previous else None,
                this_month=previous.this_month if previous else None,
                last_month_normalized=(
                    previous.last_month_normalized if previous else None
                ),
            )
        await self._read_actions(data)
        self._remove_stale_devices(facilities)

    async def _read_actions(self, data: EnerKeyData) -> None:
        """Read the facilities' actions: one call per 50 facilities a day.

        A profile whose key does not cover Actions (4xx) keeps its sensors:
        the to-do lists stay as they were and the refresh goes on.
        """
        try:
            actions = await self.client.actions(sorted(data.facilities))
        except EnerKeyResponseError as err:
            LOGGER.warning("Could not read EnerKey's actions: %s", err)
            return
        data.actions = {a.id: a for a in actions if a.facility_id in data.facilities}

    def store_action(self, action: Action) -> None:
        """Show an action EnerKey just stored (after an update), without a read."""
        self.data.actions[action.id] = action
        self.async_update_listeners()

    def _remove_stale_devices(self, facilities: dict[str, Facility]) -> None:
        registry = dr.async_get(self.hass)
        keep = {facility_identifier(fid) for fid in facilities}
        for device in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            if device.identifiers & keep or not any(
                ident[1].startswith("facility_") for ident in device.identifiers
            ):
                continue
            registry.async_update_device(
                device.id, remove_config_entry_id=self.config_entry.entry_id
            )

    async def _import_hours(self, data: EnerKeyData, now: datetime) -> None:
        """Import new hours (and a re-read window) of every meter.

        A meter without statistics starts ``BACKFILL`` ago; the backfill is
        fetched 31 days and 50 meters per call, at most ``MAX_VALUE_CALLS``
        per refresh, and goes on at the next refresh.
        """
        until = hour_floor(now)
        earliest = hour_floor(now - BACKFILL)
        pending: dict[str, datetime] = {}
        for meter_id in data.meters:
            if meter_id not in self._cursor:
                last = await async_last_start(self.hass, meter_statistic_id(meter_id))
                if last is not None:
                    self._cursor[meter_id] = last + HOUR
            cursor = self._cursor.get(meter_id)
            start = (
                earliest if cursor is None else max(cursor - REREAD_WINDOW, earliest)
            )
            pending[meter_id] = min(start, until - HOUR)
        calls = 0
        while pending and calls < MAX_VALUE_CALLS:
            start = min(pending.values())
            group = sorted(m for m, s in pending.items() if s == start)
            end = min(start + HOURLY_CHUNK, until)
            for batch in list(batches(group))[: MAX_VALUE_CALLS - calls]:
                calls += 1
                found = await self.client.values("Hourly", batch, start, end)
                for meter_id in batch:
                    values = found.get(meter_id)
                    if values is not None:
                        await self._import_meter(
                            data, data.meters[meter_id], values, until
                        )
                    if end >= until:
                        del pending[meter_id]
                        self._yesterday(data.meters[meter_id], now)
                    else:
                        pending[meter_id] = end
                        self._cursor[meter_id] = max(
                            self._cursor.get(meter_id, end), end
                        )

    async def _import_meter(
        self,
        data: EnerKeyData,
        meter_data: MeterData,
        values: MeterValues,
        until: datetime,
    ) -> None:
        meter = meter_data.meter
        # The unit of values is the meter's (contract: MeterValues); a value
        # in another unit than the meter's is not guessed into it.
        if values.unit is not None and unit_of(values.unit) != meter_data.unit:
            LOGGER.warning(
                "EnerKey meter %s sent values in %s instead of %s; skipped",
                meter.id,
                values.unit,
                meter_data.unit.unit,
            )
            return
        points = [(moment, value) for moment, value in values.values]
        if not points:
            return
        name = f"{data.facilities[meter.facility_id].name} {meter.name}"
        series = StatisticSeries(
            statistic_id=meter_statistic_id(meter.id),
            name=name,
            unit=meter_data.unit.unit,
            unit_class=meter_data.unit.unit_class,
            points=points,
        )
        # The rows the import keeps (checked once here, logged once): the
        # cost is computed from exactly these.
        kept = sanitize_points(series)
        await async_import_series(
            self.hass,
            DOMAIN,
            StatisticSeries(
                statistic_id=series.statistic_id,
                name=name,
                unit=series.unit,
                unit_class=series.unit_class,
                points=kept,
            ),
        )
        price = self.price_per_kwh
        # A meter whose stored history is not costed yet gets no cost rows
        # either: its catch-up starts after the newest cost row.
        if price is not None and meter.id in self._costed and kept:
            unit = meter_data.unit.unit
            await self._import_cost(
                meter_data,
                name,
                [
                    (moment, EnergyConverter.convert(value, unit, _KWH))
                    for moment, value in kept
                ],
                price,
            )
        # Never past the refresh's hour: a future row (dropped by the import)
        # must not move the cursor beyond hours still to come, and meters
        # that share a cursor share their calls at the next refresh.
        newest = min(max(m for m, _ in points) + HOUR, until)
        self._cursor[meter.id] = max(self._cursor.get(meter.id, newest), newest)
        recent = self._recent.setdefault(meter.id, {})
        horizon = dt_util.utcnow() - timedelta(days=3)
        recent.update((m, v) for m, v in points if m >= horizon)
        for moment in [m for m in recent if m < horizon]:
            del recent[moment]

    async def _catch_up_costs(self, data: EnerKeyData, price: float) -> None:
        """Cost the stored energy hours after each meter's newest cost row.

        Once per meter and coordinator (a changed price reloads the entry):
        when the price was just set, the whole stored history; after a time
        without a price, the hours of that time; otherwise nothing. Read from
        the recorder's committed rows, so no call to EnerKey is needed. At
        most about ``_CATCH_UP_ROWS`` rows a refresh; the other meters wait
        for the next refresh, without cost rows until then.
        """
        todo = [
            meter_data
            for meter_id, meter_data in sorted(data.meters.items())
            if _is_energy(meter_data) and meter_id not in self._costed
        ]
        if not todo:
            return
        # Rows queued by an earlier refresh are committed first: the read
        # below is the recorder's, which does not see queued rows.
        await async_recorder_synced(self.hass)
        written = 0
        for meter_data in todo:
            if written >= _CATCH_UP_ROWS:
                return
            meter = meter_data.meter
            last = await async_last_start(self.hass, meter_cost_statistic_id(meter.id))
            hours = await get_instance(self.hass).async_add_executor_job(
                _stored_kwh,
                self.hass,
                meter_statistic_id(meter.id),
                _EPOCH if last is None else last + HOUR,
            )
            self._costed.add(meter.id)
            if hours:
                name = f"{data.facilities[meter.facility_id].name} {meter.name}"
                await self._import_cost(meter_data, name, hours, price)
                written += len(hours)

    async def _import_cost(
        self,
        meter_data: MeterData,
        name: str,
        kwh: list[tuple[datetime, float]],
        price: float,
    ) -> None:
        """Import a meter's cost: each hour's kWh times the price."""
        await async_import_series(
            self.hass,
            DOMAIN,
            StatisticSeries(
                statistic_id=meter_cost_statistic_id(meter_data.meter.id),
                name=f"{name} cost",
                unit=self.hass.config.currency,
                unit_class=None,
                points=[(moment, value * price) for moment, value in kwh],
            ),
        )

    def _yesterday(self, meter_data: MeterData, now: datetime) -> None:
        """Sum yesterday's local hours, when every one of them is known."""
        today = dt_util.start_of_local_day(dt_util.as_local(now))
        start = dt_util.start_of_local_day(today - timedelta(hours=12))
        first, last = start.astimezone(UTC), today.astimezone(UTC)
        recent = self._recent.get(meter_data.meter.id, {})
        hours = [value for moment, value in recent.items() if first <= moment < last]
        expected = round((last - first) / HOUR)
        meter_data.yesterday = round(sum(hours), 6) if len(hours) == expected else None

    async def _read_months(
        self, data: EnerKeyData, now: datetime, *, normalized: bool
    ) -> None:
        """Read this month (every refresh) and last month normalized (daily)."""
        this_month = local_month_start(now)
        last_month = local_month_start(now, 1)
        ids = sorted(data.meters)
        # A facility's month starts at its own midnight, which may come hours
        # before HA's (Helsinki's October starts 22:00 UTC, Oslo's 23:00):
        # ask from early enough that every zone's month row is in the answer.
        slack = timedelta(hours=14)
        for batch in batches(ids):
            found = await self.client.values(
                "Monthly", batch, this_month - slack, this_month + timedelta(days=32)
            )
            for meter_id in batch:
                data.meters[meter_id].this_month = _month_value(
                    found.get(meter_id), this_month
                )
            if not normalized:
                continue
            found = await self.client.values(
                "MonthlyNormalized", batch, last_month - slack, this_month - slack
            )
            for meter_id in batch:
                data.meters[meter_id].last_month_normalized = _month_value(
                    found.get(meter_id), last_month
                )

    def _update_key_issues(self) -> None:
        """Tell the user which key to renew after a failover; clear when fixed."""
        entry_id = self.config_entry.entry_id
        failed = self.client.failed_keys
        # Both refused is reauthentication's job, not a renewal hint.
        both = {PRIMARY, SECONDARY} <= failed
        for key in (PRIMARY, SECONDARY):
            issue_id = f"renew_{key}_key_{entry_id}"
            if key in failed and not both:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key=f"renew_{key}_key",
                    translation_placeholders={"title": self.config_entry.title},
                )
            else:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)


_KWH = UnitOfEnergy.KILO_WATT_HOUR


def _is_energy(meter_data: MeterData) -> bool:
    """Tell whether a price per kWh applies to a meter (volumes: no)."""
    return meter_data.unit.unit_class == EnergyConverter.UNIT_CLASS


def _stored_kwh(
    hass: HomeAssistant, statistic: str, start: datetime
) -> list[tuple[datetime, float]]:
    """Return a meter's stored hours from ``start`` on, in kWh (recorder executor).

    The recorder converts from the statistic's unit (MWh, GJ, ...), so a
    stored row is costed in the unit it was stored in.
    """
    stats = statistics_during_period(
        hass,
        start,
        None,
        {statistic},
        "hour",
        {EnergyConverter.UNIT_CLASS: _KWH},
        {"state"},
    )
    return [
        (datetime.fromtimestamp(row["start"], UTC), float(value))
        for row in stats.get(statistic, [])
        if (value := row.get("state")) is not None
    ]


def _month_value(values: MeterValues | None, month: datetime) -> float | None:
    """Return the value of the month starting at ``month``, if EnerKey sent it."""
    if values is None:
        return None
    for moment, value in values.values:
        # The month's start in the facility's zone; HA's may differ by hours.
        if abs(moment - month) <= timedelta(hours=14) and value >= 0:
            return value
    return None
