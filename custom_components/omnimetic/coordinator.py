"""Data update coordinator of the Omnimetic integration.

One coordinator per config entry (one utility service account). A refresh
reads new interval data chunk by chunk and imports each chunk as external
statistics before asking for the next (a first import of years that fails
half-way resumes from the stored statistics' last hour), spreads each month's
bill over that month's hours in proportion to their energy (a cost statistic
whose monthly sums are the bills), and updates the sensors' data.

Polling follows the data's own rhythm (see :meth:`_next_interval`): a
utility that publishes a day at a time is asked around the time of day its
data appeared before and rarely otherwise. The correction window is re-read
once a day; only rows that changed are rewritten; bills are read when a
month's data changed (and at least daily).
"""

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math
from typing import override

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_CURRENCY, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from .api import (
    IntervalReading,
    MonthlyUsage,
    OmnimeticClient,
    OmnimeticError,
    OmnimeticNotFoundError,
    ServiceAccountInfo,
)
from .common.api_helpers import Backoff
from .common.ha import vendor_error_to_ha
from .common.statistics import (
    FUTURE_TOLERANCE,
    StatisticSeries,
    async_future_row,
    async_import_series,
    async_last_start,
    async_merge_series,
    async_recorder_synced,
    hour_floor,
    local_month_start,
    spread_by_weight,
    statistic_id,
)
from .const import (
    BILLS_MAX_AGE,
    CONF_BACKFILL_DAYS,
    CONF_SERVICE_ACCOUNT_ID,
    DAILY_PUBLISHER_STEP,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
    LOGGER,
    OVERDUE_AFTER,
    POLL_AROUND_PUBLICATION,
    POLL_MAX,
    RATE_LIMIT_BACKOFF,
    REREAD_EVERY,
    REREAD_WINDOW,
    UPDATE_INTERVAL,
)

type OmnimeticConfigEntry = ConfigEntry[OmnimeticCoordinator]

_HOUR = timedelta(hours=1)


def statistic_ids(service_account_id: str) -> dict[str, str]:
    """Return the external statistic ids of a service account, by quantity."""
    ids = (DOMAIN, service_account_id)
    return {
        "consumption": statistic_id(*ids, "energy_consumption"),
        "on_peak": statistic_id(*ids, "energy_on_peak"),
        "off_peak": statistic_id(*ids, "energy_off_peak"),
        "cost": statistic_id(*ids, "cost"),
    }


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """Return a local month's statistics hours as UTC [start, end).

    Both ends are the first whole UTC hour inside their month, as
    ``local_month_start`` places them (half-hour time zones included).
    """
    middle = datetime(year, month, 15, 12, tzinfo=dt_util.get_default_time_zone())
    return local_month_start(middle), local_month_start(middle, months_back=-1)


def month_of(moment: datetime) -> tuple[int, int]:
    """Return the (year, month) of the local month a statistics hour belongs to."""
    local = dt_util.as_local(moment)
    key = (local.year, local.month)
    # In half-hour zones a month's first whole hour starts 30 minutes into
    # it; the hour before belongs to the previous month's rows.
    start, _ = month_bounds(*key)
    if moment < start:
        index = key[0] * 12 + key[1] - 2
        return index // 12, index % 12 + 1
    return key


@dataclass(frozen=True, slots=True)
class OmnimeticData:
    """What the sensors show: the account, recent hours and recent bills."""

    info: ServiceAccountInfo
    readings: tuple[IntervalReading, ...]
    """Hourly readings since the start of the previous local month."""
    months: dict[tuple[int, int], MonthlyUsage]

    def energy_between(self, start: datetime, end: datetime) -> float | None:
        """Return the kWh of the readings in [start, end), None without any."""
        values = [r.total_kwh for r in self.readings if start <= r.start < end]
        return round(sum(values), 3) if values else None

    def on_peak_share(self, start: datetime, end: datetime) -> float | None:
        """Return the on-peak percentage of [start, end), if the API splits it."""
        rows = [
            r
            for r in self.readings
            if start <= r.start < end and r.on_peak_kwh is not None
        ]
        total = sum(r.total_kwh for r in rows)
        if not rows or total <= 0:
            return None
        return round(100 * sum(r.on_peak_kwh or 0.0 for r in rows) / total, 1)

    @property
    def newest_reading(self) -> datetime | None:
        """Return the start of the newest hour of data."""
        return self.readings[-1].start if self.readings else None

    def month(self, moment: datetime, months_back: int = 0) -> MonthlyUsage | None:
        """Return the bill of the local month ``months_back`` before ``moment``."""
        local = dt_util.as_local(local_month_start(moment, months_back))
        return self.months.get((local.year, local.month))


class OmnimeticCoordinator(DataUpdateCoordinator[OmnimeticData]):
    """Fetch an Omnimetic service account's data and import its statistics."""

    config_entry: OmnimeticConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: OmnimeticConfigEntry, client: OmnimeticClient
    ) -> None:
        """Create the coordinator for one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.data[CONF_SERVICE_ACCOUNT_ID]}",
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self.service_account_id: str = entry.data[CONF_SERVICE_ACCOUNT_ID]
        self._info: ServiceAccountInfo | None = None
        self._readings: dict[datetime, IntervalReading] = {}
        self._months: dict[tuple[int, int], MonthlyUsage] = {}
        self._months_fetched: datetime | None = None
        self._reread_at: datetime | None = None
        self._backoff = Backoff(RATE_LIMIT_BACKOFF, UPDATE_INTERVAL)
        # The publication rhythm, learned from when new hours appeared.
        self._last_poll: datetime | None = None
        self._published: tuple[datetime, datetime] | None = None
        """(latest poll that found nothing new, first poll that found it)."""
        self._daily_publisher = False
        self._spread_at: dict[tuple[int, int], datetime] = {}
        """When each month's bill was last spread over all its hours."""
        self.statistic_ids = statistic_ids(self.service_account_id)

    @property
    def currency(self) -> str:
        """Return the currency of the bills (an option; HA's by default)."""
        return str(
            self.config_entry.options.get(CONF_CURRENCY) or self.hass.config.currency
        )

    @property
    def _backfill(self) -> timedelta:
        """Return how much history the first run imports (an option)."""
        days = self.config_entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)
        return timedelta(days=int(days))

    @property
    def _label(self) -> str:
        """Return what the user knows the account by: its address, else the title."""
        if self._info is not None and (label := self._info.address.label):
            return label
        return self.config_entry.title

    @override
    async def _async_setup(self) -> None:
        """Read the account's details once; they change only by relinking."""
        self._info = await self._guarded(
            self.client.service_account_info(self.service_account_id)
        )

    @override
    async def _async_update_data(self) -> OmnimeticData:
        try:
            data = await self._guarded(self._refresh())
        except UpdateFailed:
            # A long wait the rhythm chose assumed this poll would succeed;
            # after a failure, retry at the normal interval at the latest
            # (a failed poll at the publication window would otherwise skip
            # the window and the day's data until the next rhythm wait ended).
            self.update_interval = min(
                self.update_interval or UPDATE_INTERVAL, UPDATE_INTERVAL
            )
            raise
        self._backoff.reset()
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        return data

    @property
    def _issue_id(self) -> str:
        return f"service_account_not_found_{self.config_entry.entry_id}"

    @property
    def _future_issue_id(self) -> str:
        return f"future_statistics_{self.config_entry.entry_id}"

    async def _guarded[T](self, awaitable: Awaitable[T]) -> T:
        """Await an API call, mapping its errors to what HA expects."""
        try:
            return await awaitable
        except OmnimeticNotFoundError as err:
            # Unlinked in Omnimetic: only the user can fix it, so tell them
            # in Repairs rather than only in the log.
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="service_account_not_found",
                translation_placeholders={
                    "service_account_id": self.service_account_id
                },
            )
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_account_not_found",
                translation_placeholders={
                    "service_account_id": self.service_account_id
                },
            ) from err
        except OmnimeticError as err:
            raise vendor_error_to_ha(err, DOMAIN, backoff=self._backoff) from err

    async def _cursor(self, now: datetime) -> datetime | None:
        """Return the newest stored hour that is not in the future.

        A row stored in the future (by an older version, from a vendor row
        dated years ahead) would stop every later import if it were the
        cursor: it is ignored, and the user told in a repair issue.
        """
        consumption = self.statistic_ids["consumption"]
        if (future := await async_future_row(self.hass, consumption)) is not None:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._future_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="future_statistics",
                translation_placeholders={
                    "statistic_id": consumption,
                    "start": future.isoformat(),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self._future_issue_id)
        return await async_last_start(self.hass, consumption)

    async def _refresh(self) -> OmnimeticData:
        assert self._info is not None
        now = dt_util.utcnow()
        keep_from = local_month_start(now, months_back=1)
        cursor = await self._cursor(now)
        if cursor is None:
            window_start = hour_floor(now - self._backfill)
        elif self._reread_at is None or now - self._reread_at >= REREAD_EVERY:
            window_start = cursor - REREAD_WINDOW
            self._reread_at = now
        else:
            window_start = cursor
        # After a restart the sensors need the months before the window too.
        fetch_start = window_start if self._readings else min(window_start, keep_from)
        stored = await self._stored_states(fetch_start) if not self._readings else {}
        bills_read = False
        if self._months_fetched is None:
            # Known before the chunks, so each month's cost is spread as soon
            # as its hours are stored (a first import that fails half-way
            # keeps both).
            await self._refresh_months(now, fetch_start)
            bills_read = True
        newest_before = max(self._readings, default=None)
        touched: set[tuple[int, int]] = set()
        spread: set[tuple[int, int]] = set()
        async for chunk in self.client.interval_chunks(
            self.service_account_id, fetch_start.date(), now.date()
        ):
            readings = sorted(
                (r for r in chunk if r.start <= now + FUTURE_TOLERANCE),
                key=lambda r: r.start,
            )
            if len(readings) < len(chunk):
                LOGGER.warning(
                    "Omnimetic sent %d hours dated in the future; they were ignored",
                    len(chunk) - len(readings),
                )
            changed = [
                r
                for r in readings
                if self._changed(r, stored) and r.start >= window_start
            ]
            for reading in readings:
                if reading.start >= keep_from:
                    self._readings[reading.start] = reading
            if changed:
                first = changed[0].start
                await self._import_hourly([r for r in readings if r.start >= first])
                touched.update(month_of(r.start) for r in changed)
                await self._recorder_synced()
            if readings:
                # Months that ended inside this chunk are complete: spread now.
                done = {m for m in touched if month_bounds(*m)[1] <= readings[-1].start}
                await self._spread_costs(done - spread, now)
                spread |= done
        self._readings = {
            start: r for start, r in self._readings.items() if start >= keep_from
        }
        newest = max(self._readings, default=None)
        self._learn_rhythm(now, newest_before, newest)
        if not bills_read and (
            touched
            or self._months_fetched is None
            or now - self._months_fetched >= BILLS_MAX_AGE
        ):
            touched |= await self._refresh_months(now, fetch_start)
        await self._spread_costs(touched - spread, now)
        self._last_poll = now
        self.update_interval = self._next_interval(now)
        return OmnimeticData(
            info=self._info,
            readings=tuple(self._readings[start] for start in sorted(self._readings)),
            months={
                key: month
                for key, month in self._months.items()
                if month_bounds(*key)[0] <= now
            },
        )

    def _changed(self, reading: IntervalReading, stored: dict[datetime, float]) -> bool:
        """Tell whether an hour differs from what is stored (so it is rewritten)."""
        if reading.start in self._readings:
            return self._readings[reading.start] != reading
        known = stored.get(reading.start)
        return known is None or not math.isclose(
            known, round(reading.total_kwh, 3), abs_tol=1e-9
        )

    async def _stored_states(self, start: datetime) -> dict[datetime, float]:
        """Return the stored consumption from ``start`` on (after a restart)."""
        return await get_instance(self.hass).async_add_executor_job(
            _states, self.hass, self.statistic_ids["consumption"], start, None
        )

    async def _recorder_synced(self) -> None:
        """Wait until the recorder has written what was queued.

        The next chunk's sums continue from this chunk's rows, and the cost
        spread reads the hours back: both must see them.
        """
        await async_recorder_synced(self.hass)

    def _learn_rhythm(
        self, now: datetime, newest_before: datetime | None, newest: datetime | None
    ) -> None:
        """Note when new hours appeared and whether they come a day at a time."""
        if newest is None or newest == newest_before:
            return
        if newest_before is not None:
            # The data's own timestamps tell the publication step: a
            # utility that publishes daily moves its newest hour by a day.
            self._daily_publisher = newest - newest_before >= DAILY_PUBLISHER_STEP
            self._published = (self._last_poll or now, now)
        else:
            self._published = None

    def _next_interval(self, now: datetime) -> timedelta:
        """Return when to poll next, by the publication rhythm seen so far.

        A daily publisher's next day is expected a day after the last one
        appeared (between the poll that missed it and the one that saw it):
        poll hourly from the start of that window until the data is there
        (every three hours once it is hours overdue), and at most twice in
        the long gap between. Without a known daily rhythm, every 3 hours.
        """
        if not self._daily_publisher or self._published is None:
            return UPDATE_INTERVAL
        missed, seen = self._published
        window_start = missed + timedelta(days=1)
        window_end = seen + timedelta(days=1)
        if now < window_start - POLL_AROUND_PUBLICATION:
            wait = window_start - now
            if wait > POLL_MAX:
                wait = min(POLL_MAX, wait / 2)
            return max(wait, POLL_AROUND_PUBLICATION)
        if now <= window_end + OVERDUE_AFTER:
            return POLL_AROUND_PUBLICATION
        return UPDATE_INTERVAL

    async def _refresh_months(
        self, now: datetime, oldest: datetime
    ) -> set[tuple[int, int]]:
        """Read the bills back to ``oldest``'s year; return the months that changed.

        Normally this year's (and last year's in January, while December can
        still change); a first import reads every year it covers.
        """
        local_now = dt_util.as_local(now)
        first_year = local_now.year - 1 if local_now.month == 1 else local_now.year
        first_year = min(first_year, dt_util.as_local(oldest).year)
        fetched: list[MonthlyUsage] = []
        for year in range(first_year, local_now.year + 1):
            fetched.extend(
                await self.client.historical_data(self.service_account_id, year)
            )
        changed = set()
        for month in fetched:
            key = (month.year, month.month)
            if month_bounds(*key)[0] > now:
                LOGGER.warning("Omnimetic sent a bill for %s-%02d; ignored", *key)
                continue
            if self._months.get(key) != month:
                changed.add(key)
            self._months[key] = month
        self._months_fetched = now
        oldest_kept = dt_util.as_local(local_month_start(now, months_back=13))
        self._months = {
            key: value
            for key, value in self._months.items()
            if key >= (oldest_kept.year, oldest_kept.month)
        }
        return changed

    async def _import_hourly(self, readings: Iterable[IntervalReading]) -> None:
        """Import consumption, on-peak and off-peak hours as statistics."""
        totals: dict[datetime, list[float]] = {}
        has_split = False
        for reading in readings:
            # Sum into UTC hours, so sub-hourly data would still land right.
            bucket = totals.setdefault(hour_floor(reading.start), [0.0, 0.0, 0.0])
            bucket[0] += reading.total_kwh
            bucket[1] += reading.on_peak_kwh or 0.0
            bucket[2] += reading.off_peak_kwh or 0.0
            has_split |= (
                reading.on_peak_kwh is not None or reading.off_peak_kwh is not None
            )
        hours = sorted(totals)
        quantities = [("consumption", 0, "consumption")]
        if has_split:
            quantities += [("on_peak", 1, "on-peak"), ("off_peak", 2, "off-peak")]
        for key, index, label in quantities:
            await async_import_series(
                self.hass,
                DOMAIN,
                StatisticSeries(
                    statistic_id=self.statistic_ids[key],
                    name=f"{self._label} {label}",
                    unit=UnitOfEnergy.KILO_WATT_HOUR,
                    unit_class=EnergyConverter.UNIT_CLASS,
                    points=[(hour, round(totals[hour][index], 3)) for hour in hours],
                ),
            )

    async def _spread_costs(
        self, months: Iterable[tuple[int, int]], now: datetime
    ) -> None:
        """Spread each month's bill over its stored hours, by their energy.

        The monthly sum stays the bill; daily and hourly cost follow the
        energy (the month's effective price). A month whose hours start late
        (the first month of the backfill) is priced at the bill's effective
        price where the bill states its energy. A bill without a usable
        amount leaves the stored month as it was.

        The running month is re-spread over its hours once a day as its bill
        grows; in between, its new hours are appended at the month's current
        effective price, so a poll rewrites a few rows, not the whole month
        (its sum is the bill again at the next daily re-spread).
        """
        running = month_of(now)
        for key in sorted(months):
            bill = self._months.get(key)
            if bill is None or bill.amount is None:
                continue
            start, end = month_bounds(*key)
            energy, cost = await get_instance(self.hass).async_add_executor_job(
                _month_states, self.hass, self.statistic_ids, start, end
            )
            hours = sorted(energy)
            if not hours:
                continue
            weights = [energy[hour] for hour in hours]
            spread_at = self._spread_at.get(key)
            if key == running and spread_at and now - spread_at < REREAD_EVERY:
                await self._append_costs(bill.amount, energy, cost)
                continue
            self._spread_at[key] = now
            if hours[0] - start >= timedelta(days=1) and bill.energy_kwh:
                price = bill.amount / bill.energy_kwh
                values = [weight * price for weight in weights]
            else:
                # spread_by_weight puts the rounding remainder on its last
                # slot: in time order that may be an hour without energy,
                # whose 0 became -1e-15 (dropped as negative). Give it to
                # the hour with the most energy instead.
                order = sorted(range(len(hours)), key=weights.__getitem__)
                parts = spread_by_weight(bill.amount, [weights[i] for i in order])
                values = [0.0] * len(hours)
                for index, part in zip(order, parts, strict=True):
                    values[index] = part
            # Not rounded: the parts add up to the bill exactly.
            points = dict(zip(hours, values, strict=True))
            # Rows of this month that no longer carry cost (the lump an
            # older version put on the month's first hour) become 0.
            for hour in cost:
                points.setdefault(hour, 0.0)
            points.setdefault(start, 0.0)
            if all(
                hour in cost and math.isclose(cost[hour], value, abs_tol=1e-6)
                for hour, value in points.items()
            ):
                continue
            await async_merge_series(
                self.hass,
                DOMAIN,
                StatisticSeries(
                    statistic_id=self.statistic_ids["cost"],
                    name=f"{self._label} cost",
                    unit=self.currency,
                    unit_class=None,
                    points=sorted(points.items()),
                ),
            )
            await self._recorder_synced()

    async def _append_costs(
        self,
        amount: float,
        energy: dict[datetime, float],
        cost: dict[datetime, float],
    ) -> None:
        """Give the running month's new hours cost at its effective price."""
        missing = sorted(hour for hour in energy if hour not in cost)
        total = math.fsum(energy.values())
        if not missing or total <= 0:
            return
        price = amount / total
        await async_import_series(
            self.hass,
            DOMAIN,
            StatisticSeries(
                statistic_id=self.statistic_ids["cost"],
                name=f"{self._label} cost",
                unit=self.currency,
                unit_class=None,
                points=[(hour, energy[hour] * price) for hour in missing],
            ),
        )
        await self._recorder_synced()


def _states(
    hass: HomeAssistant, statistic: str, start: datetime, end: datetime | None
) -> dict[datetime, float]:
    """Return the stored value of each hour of a statistic in [start, end)."""
    stats = statistics_during_period(
        hass, start, end, {statistic}, "hour", None, {"state"}
    )
    return {
        datetime.fromtimestamp(row["start"], UTC): float(row.get("state") or 0.0)
        for row in stats.get(statistic, [])
    }


def _month_states(
    hass: HomeAssistant, ids: dict[str, str], start: datetime, end: datetime
) -> tuple[dict[datetime, float], dict[datetime, float]]:
    """Return a month's stored consumption and cost, by hour."""
    return (
        _states(hass, ids["consumption"], start, end),
        _states(hass, ids["cost"], start, end),
    )
