"""Data update coordinator of the Omnimetic integration.

One coordinator per config entry (one utility service account). A refresh
reads new interval data (plus a re-read window), the monthly bills when there
is something new, updates the sensors' data and imports external statistics.
"""

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_CURRENCY, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from .api import (
    IntervalReading,
    MonthlyUsage,
    OmnimeticAuthenticationError,
    OmnimeticClient,
    OmnimeticConnectionError,
    OmnimeticError,
    OmnimeticNotFoundError,
    OmnimeticRateLimitError,
    ServiceAccountInfo,
)
from .common.api_helpers import Backoff
from .common.statistics import (
    StatisticSeries,
    async_import_series,
    async_last_start,
    hour_floor,
    local_month_start,
    statistic_id,
)
from .const import (
    CONF_BACKFILL_DAYS,
    CONF_SERVICE_ACCOUNT_ID,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
    LOGGER,
    RATE_LIMIT_BACKOFF,
    REREAD_WINDOW,
    UPDATE_INTERVAL,
)

type OmnimeticConfigEntry = ConfigEntry[OmnimeticCoordinator]

# Bills are re-read when new interval data arrived, and at least this often.
_MONTHS_MAX_AGE = timedelta(hours=24)


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
        self._backoff = Backoff(RATE_LIMIT_BACKOFF, UPDATE_INTERVAL)
        ids = (DOMAIN, self.service_account_id)
        self.statistic_ids = {
            "consumption": statistic_id(*ids, "energy_consumption"),
            "on_peak": statistic_id(*ids, "energy_on_peak"),
            "off_peak": statistic_id(*ids, "energy_off_peak"),
            "cost": statistic_id(*ids, "cost"),
        }

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

    @override
    async def _async_setup(self) -> None:
        """Read the account's details once; they change only by relinking."""
        self._info = await self._guarded(
            self.client.service_account_info(self.service_account_id)
        )

    @override
    async def _async_update_data(self) -> OmnimeticData:
        data = await self._guarded(self._refresh())
        self._backoff.reset()
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        return data

    @property
    def _issue_id(self) -> str:
        return f"service_account_not_found_{self.config_entry.entry_id}"

    async def _guarded[T](self, awaitable: Awaitable[T]) -> T:
        """Await an API call, mapping its errors to what HA expects."""
        try:
            return await awaitable
        except OmnimeticAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except OmnimeticRateLimitError as err:
            wait = self._backoff.next(err.retry_after)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": str(round(wait))},
                retry_after=wait,
            ) from err
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
        except OmnimeticConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        except OmnimeticError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="api_error",
                translation_placeholders={"error": str(err)},
            ) from err

    async def _refresh(self) -> OmnimeticData:
        assert self._info is not None
        now = dt_util.utcnow()
        keep_from = local_month_start(now, months_back=1)
        last_stored = await async_last_start(
            self.hass, self.statistic_ids["consumption"]
        )
        if last_stored is None:
            window_start = hour_floor(now - self._backfill)
        else:
            window_start = last_stored - REREAD_WINDOW
        # After a restart the sensors need the months before the window too.
        fetch_start = window_start if self._readings else min(window_start, keep_from)
        readings = await self.client.interval_data(
            self.service_account_id, fetch_start.date(), now.date()
        )
        newest_before = max(self._readings, default=None)
        for reading in readings:
            self._readings[reading.start] = reading
        self._readings = {
            start: r for start, r in self._readings.items() if start >= keep_from
        }
        await self._import_hourly([r for r in readings if r.start >= window_start])

        newest = max(self._readings, default=None)
        if (
            self._months_fetched is None
            or newest != newest_before
            or now - self._months_fetched >= _MONTHS_MAX_AGE
        ):
            await self._refresh_months(now)
        return OmnimeticData(
            info=self._info,
            readings=tuple(self._readings[start] for start in sorted(self._readings)),
            months=dict(self._months),
        )

    async def _refresh_months(self, now: datetime) -> None:
        """Read this year's bills (and last year's while it can still change)."""
        local_now = dt_util.as_local(now)
        first_year = local_now.year - 1 if local_now.month == 1 else local_now.year
        backfill_from: datetime | None = None
        if await async_last_start(self.hass, self.statistic_ids["cost"]) is None:
            backfill_from = local_month_start(now - self._backfill)
            first_year = min(first_year, dt_util.as_local(backfill_from).year)
        fetched: list[MonthlyUsage] = []
        for year in range(first_year, local_now.year + 1):
            fetched.extend(
                await self.client.historical_data(self.service_account_id, year)
            )
        for month in fetched:
            self._months[month.year, month.month] = month
        self._months_fetched = now
        oldest_kept = dt_util.as_local(local_month_start(now, months_back=13))
        self._months = {
            key: value
            for key, value in self._months.items()
            if key >= (oldest_kept.year, oldest_kept.month)
        }
        await self._import_cost(fetched, backfill_from)

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
                    name=f"{self.config_entry.title} {label}",
                    unit=UnitOfEnergy.KILO_WATT_HOUR,
                    unit_class=EnergyConverter.UNIT_CLASS,
                    points=[(hour, round(totals[hour][index], 3)) for hour in hours],
                ),
            )

    async def _import_cost(
        self, months: list[MonthlyUsage], backfill_from: datetime | None
    ) -> None:
        """Import each bill at the first hour of its month, local time."""
        points: dict[datetime, float] = {}
        for month in months:
            if month.amount is None:
                continue
            local_start = datetime(
                month.year, month.month, 1, tzinfo=dt_util.get_default_time_zone()
            )
            # Statistics rows start on a UTC hour; zones with a half-hour
            # offset put a month's start mid-hour, so take that hour.
            start = hour_floor(local_start)
            if backfill_from is None or start >= hour_floor(backfill_from):
                points[start] = month.amount
        await async_import_series(
            self.hass,
            DOMAIN,
            StatisticSeries(
                statistic_id=self.statistic_ids["cost"],
                name=f"{self.config_entry.title} cost",
                unit=self.currency,
                unit_class=None,
                points=sorted(points.items()),
            ),
        )
