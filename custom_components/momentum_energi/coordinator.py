"""Data update coordinator of the Momentum Energi integration.

One coordinator per config entry (one company's API user and one structure
level). Momentum's statistics are monthly and re-imported by the vendor about
once a day. A refresh is one of three, each a named method:

* :meth:`MomentumEnergiCoordinator._first_import`: no usable sync state (a
  new entry, or options that change what is imported): the whole backfill
  period, one paged request.
* :meth:`MomentumEnergiCoordinator._after_restart`: the incremental request
  plus the recent months the sensors show (read, not imported again).
* :meth:`MomentumEnergiCoordinator._incremental`: rows updated since the
  newest ``lastUpdated`` already imported (the watermark).

What the last successful import saw is one small persisted dataclass,
:class:`SyncState`, loaded in ``_async_setup``. Rows become external
statistics (a row per month, at the first hour of the local month); rows
that did not change since they were imported are not written again.
"""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import math
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_USERNAME, UnitOfEnergy, UnitOfVolume
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .api import (
    MomentumEnergiClient,
    MomentumEnergiError,
    MomentumEnergiForbiddenError,
    MomentumEnergiNotFoundError,
    StatisticRow,
    StructureItem,
)
from .common.api_helpers import Backoff
from .common.ha import vendor_error_to_ha
from .common.statistics import (
    StatisticSeries,
    async_merge_series,
    local_month_start,
    statistic_id,
)
from .const import (
    CONF_BACKFILL_DAYS,
    CONF_LEVEL,
    CONF_MEDIA,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_LEVEL,
    DOMAIN,
    FUTURE_TOLERANCE,
    ISSUE_FORBIDDEN,
    ISSUE_FUTURE_WATERMARK,
    ISSUE_LEVEL_NOT_FOUND,
    LOGGER,
    MIGRATIONS,
    RATE_LIMIT_BACKOFF,
    STRUCTURE_MAX_AGE,
    UPDATE_INTERVAL,
)
from .units import energy_unit, slug, volume_unit

type MomentumEnergiConfigEntry = ConfigEntry[MomentumEnergiCoordinator]

STORAGE_VERSION = 1
# Months of rows kept in memory for the sensors (the latest complete month
# and the running one are all they show).
_KEPT_MONTHS = 3
# A month's start as the API writes it (local midnight in its zone, or the
# same instant in UTC) is within a UTC offset of the local month start.
_MONTH_START_SLACK = timedelta(hours=14)


def company_of(username: str) -> str:
    """Return the company of a Momentum user name (``user@company``), lower case.

    The company is the customer's identity at Momentum: every API user of a
    company sees its estates, and a user can be replaced without the
    estates' history changing hands. Without ``@`` the name is the company.
    """
    return username.strip().rpartition("@")[2].lower()


def row_month_start(row: StatisticRow) -> datetime:
    """Return the UTC hour in which a row's local month starts.

    The month is the one holding the middle of [start, stop): that reads the
    same whether the API writes local midnight with its offset or the same
    instant in UTC (the previous evening).
    """
    middle = row.start + (row.stop - row.start) / 2
    return local_month_start(middle)


def row_problem(row: StatisticRow, now: datetime) -> str | None:
    """Return why a row cannot be placed in a month unambiguously, else None.

    The client already refused periods that end before they start or are
    not a month long; here, in Home Assistant's time zone, a period must
    also start at a month's start, and a month that has not begun is not
    data (a 2099 row would be kept forever).
    """
    try:
        month = row_month_start(row)
    except OverflowError, ValueError:
        return "out-of-range period"
    if month > now:
        return "month in the future"
    if abs(row.start - month) > _MONTH_START_SLACK:
        return "period does not start at a month's start"
    return None


@dataclass(frozen=True, slots=True)
class MediumSeries:
    """One item's medium: its names, units and recent months."""

    item_key: str
    medium: str
    """Slug of the medium (``fjarrvarme``), stable in ids."""
    name: str
    """The vendor's name of the medium (``Fjärrvärme``)."""
    media_class: str | None
    """The vendor's class of the medium (``Värme``), for icons."""
    consumption_unit: str | None
    energy_unit: str | None
    rows: tuple[StatisticRow, ...]
    """Recent months, oldest first."""

    def latest_complete(self, now: datetime) -> StatisticRow | None:
        """Return the newest month that has ended."""
        done = [row for row in self.rows if row.stop <= now]
        return done[-1] if done else None


@dataclass(frozen=True, slots=True)
class MomentumEnergiData:
    """What the sensors show: items and their media."""

    items: dict[str, StructureItem]
    series: dict[tuple[str, str], MediumSeries]
    updated: dict[str, datetime]
    """Per item, the newest ``lastUpdated`` of any of its rows."""

    def item_name(self, item_key: str) -> str:
        """Return an item's name from the structure, else its key."""
        item = self.items.get(item_key)
        return item.display_name if item else item_key

    def item_keys(self) -> set[str]:
        """Return every item that exists: in the structure or with data."""
        return self.items.keys() | {item_key for item_key, _ in self.series}


@dataclass(slots=True)
class SyncState:
    """What the last successful import saw, persisted across restarts."""

    level: str
    """The structure level (lower case, as the options store it)."""
    media: list[str] | None
    """The media slugs imported; None for all."""
    since: datetime
    """Start of the oldest month imported; older rows are never imported."""
    watermark: datetime | None = None
    """The newest ``lastUpdated`` imported; never after the time it was saved."""

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON the store keeps."""
        return {
            "level": self.level,
            "media": self.media,
            "since": self.since.isoformat(),
            "last_updated": self.watermark.isoformat() if self.watermark else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> SyncState | None:
        """Return the state a store kept, or None when it is unusable."""
        if not isinstance(data, dict):
            return None
        since = dt_util.parse_datetime(str(data.get("since") or ""))
        if since is None:
            return None
        last = data.get("last_updated")
        media = data.get("media")
        return cls(
            # Version 1 of the entry stored the API's upper-case letter.
            level=str(data.get("level") or "").lower(),
            media=[str(m) for m in media] if isinstance(media, list) else None,
            since=since,
            watermark=dt_util.parse_datetime(str(last)) if last else None,
        )


def sync_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store of an entry's sync state."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")


class MomentumEnergiCoordinator(DataUpdateCoordinator[MomentumEnergiData]):
    """Fetch a Momentum Energi level's statistics and import them."""

    config_entry: MomentumEnergiConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MomentumEnergiConfigEntry,
        client: MomentumEnergiClient,
    ) -> None:
        """Create the coordinator for one config entry."""
        self.company = company_of(entry.data[CONF_USERNAME])
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            # The company, not the user: this name is in every log line.
            name=f"{DOMAIN} {self.company}",
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self._store = sync_store(hass, entry.entry_id)
        self._state: SyncState | None = None
        self._items: dict[str, StructureItem] = {}
        self._structure_fetched: datetime | None = None
        self._rows: dict[tuple[str, str], dict[datetime, StatisticRow]] = {}
        self._item_updated: dict[str, datetime] = {}
        self._recent_loaded = False
        self._deferred = False
        self._backoff = Backoff(RATE_LIMIT_BACKOFF, UPDATE_INTERVAL)

    @property
    def level(self) -> str:
        """Return the structure level the entry follows (lower case, an option)."""
        return str(self.config_entry.options.get(CONF_LEVEL, DEFAULT_LEVEL)).lower()

    @property
    def api_level(self) -> str:
        """Return the level as the API writes it in paths (upper case)."""
        return self.level.upper()

    @property
    def media_filter(self) -> list[str] | None:
        """Return the media slugs to include; None (or empty) means all."""
        media = self.config_entry.options.get(CONF_MEDIA)
        return sorted(media) if media else None

    @property
    def backfill_start(self) -> datetime:
        """Return the local month start the first import reaches back to."""
        days = self.config_entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)
        return local_month_start(dt_util.utcnow() - timedelta(days=int(days)))

    @property
    def last_updated(self) -> datetime | None:
        """Return the newest ``lastUpdated`` imported (diagnostics)."""
        return self._state.watermark if self._state else None

    def statistic_id(self, item_key: str, medium: str, quantity: str) -> str:
        """Return the id of one item's medium's statistic (company and vendor keys)."""
        return statistic_id(DOMAIN, self.company, item_key, medium, quantity)

    def device_identifier(self, item_key: str) -> str:
        """Return the device identifier of an item (the company and its key)."""
        return f"{self.company}_{item_key}"

    def _issue_id(self, kind: str) -> str:
        return f"{kind}_{self.config_entry.entry_id}"

    @override
    async def _async_setup(self) -> None:
        """Load the sync state; a watermark in the future is not a cursor."""
        self._state = SyncState.from_dict(await self._store.async_load())
        if (migrated := self._migration()) is not None and not migrated.done():
            migrated.add_done_callback(self._migration_written)
        state = self._state
        if state is None or state.watermark is None:
            return
        if state.watermark > dt_util.utcnow() + FUTURE_TOLERANCE:
            # Saved before watermarks were checked, from a vendor row dated
            # in the future: every request would ask for rows updated after
            # it and get none. Import the history again instead (it
            # overwrites itself) and say so.
            LOGGER.warning(
                "Ignoring the stored Momentum Energi watermark %s, which is in "
                "the future; importing the history again",
                state.watermark.isoformat(),
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id(ISSUE_FUTURE_WATERMARK),
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_FUTURE_WATERMARK,
                translation_placeholders={"watermark": state.watermark.isoformat()},
            )
            state.watermark = None

    def _migration(self) -> asyncio.Future[None] | None:
        """Return the write of the statistics a migration moved, if one was queued."""
        return self.hass.data.get(MIGRATIONS, {}).get(self.config_entry.entry_id)

    @callback
    def _migration_written(self, _: asyncio.Future[None]) -> None:
        """Import what was held back, now that the moved statistics exist."""
        self.hass.data.get(MIGRATIONS, {}).pop(self.config_entry.entry_id, None)
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"{DOMAIN} after migration"
        )

    @override
    async def _async_update_data(self) -> MomentumEnergiData:
        try:
            data = await self._refresh()
        except MomentumEnergiForbiddenError as err:
            raise self._raise_issue(ISSUE_FORBIDDEN) from err
        except MomentumEnergiNotFoundError as err:
            raise self._raise_issue(ISSUE_LEVEL_NOT_FOUND) from err
        except MomentumEnergiError as err:
            raise vendor_error_to_ha(err, DOMAIN, backoff=self._backoff) from err
        self._backoff.reset()
        for issue in (ISSUE_FORBIDDEN, ISSUE_LEVEL_NOT_FOUND):
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(issue))
        return data

    def _raise_issue(self, kind: str) -> UpdateFailed:
        # Only the user (or their Momentum administrator) can fix these, so
        # tell them in Repairs rather than only in the log.
        placeholders = {"level": self.api_level, "company": self.company}
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(kind),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=kind,
            translation_placeholders=placeholders,
        )
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=kind,
            translation_placeholders=placeholders,
        )

    def _state_is_current(self, state: SyncState | None) -> bool:
        """Tell whether the saved state covers what the options ask for."""
        return (
            state is not None
            and state.level == self.level
            and state.media == self.media_filter
            and state.watermark is not None
            and state.since <= self.backfill_start
        )

    async def _refresh(self) -> MomentumEnergiData:
        now = dt_util.utcnow()
        migrating = (migrated := self._migration()) is not None and not migrated.done()
        if self._deferred and not migrating:
            # The rows shown while the migration was written were never
            # imported: read them again as after a restart.
            self._deferred = False
            self._rows.clear()
            self._recent_loaded = False
        state = self._state
        shown: list[StatisticRow] = []
        if state is None or not self._state_is_current(state):
            state, rows = await self._first_import(state)
        elif not self._recent_loaded:
            rows, shown = await self._after_restart(state, now)
        else:
            rows = await self._incremental(state)
        await self._read_structure(now, rows)
        rows = self._usable(rows, state.since, now)
        if migrating:
            # The recorder has not yet written the statistics the migration
            # moved (it writes nothing before Home Assistant has started):
            # importing now would continue their sums from an empty
            # statistic. Show the rows; import them once the move is written.
            self._deferred = True
            self._keep_recent([*self._usable(shown, state.since, now), *rows], now)
            return self._data()
        await self._import([row for row in rows if not self._known(row)])
        self._advance_watermark(state, rows, now)
        # Only now, with everything imported, may the next refresh skip it.
        self._state = state
        await self._store.async_save(state.as_dict())
        self._keep_recent([*self._usable(shown, state.since, now), *rows], now)
        self._recent_loaded = True
        return self._data()

    async def _first_import(
        self, previous: SyncState | None
    ) -> tuple[SyncState, list[StatisticRow]]:
        """Read the whole backfill period: a new entry, or the options changed.

        Another level, other media or more history import the history again.
        A state that only lost its watermark keeps its oldest month.
        """
        since = self.backfill_start
        if (
            previous is not None
            and previous.level == self.level
            and previous.media == self.media_filter
        ):
            since = min(since, previous.since)
        LOGGER.debug("Backfilling %s from %s", self.api_level, since)
        rows = await self.client.statistics_period(
            self.api_level, dt_util.as_local(since).date(), self._tomorrow()
        )
        return SyncState(level=self.level, media=self.media_filter, since=since), rows

    async def _after_restart(
        self, state: SyncState, now: datetime
    ) -> tuple[list[StatisticRow], list[StatisticRow]]:
        """Read the updates, and the recent months the sensors show.

        Returns (rows to import, rows only to show). The recent months were
        imported before the restart (everything up to the watermark was):
        they fill the sensors and are not written again.
        """
        rows = await self._incremental(state)
        recent = local_month_start(now, months_back=_KEPT_MONTHS - 1)
        shown = await self.client.statistics_period(
            self.api_level, dt_util.as_local(recent).date(), self._tomorrow()
        )
        # Rows the watermark covers were imported before the restart: known,
        # so the same rows in the updates are not written again.
        watermark = state.watermark
        self._keep_recent(
            [
                row
                for row in self._usable(shown, state.since, now)
                if row.last_updated is not None
                and watermark is not None
                and row.last_updated <= watermark
            ],
            now,
        )
        return rows, shown

    async def _incremental(self, state: SyncState) -> list[StatisticRow]:
        """Read the rows updated since the watermark.

        The API's "after {date}" has day granularity: asking from the
        watermark's own (UTC) day re-reads that day's rows, which are then
        skipped as unchanged; a vendor counting the day in Swedish time
        starts it earlier still, so nothing is missed.
        """
        assert state.watermark is not None
        return await self.client.statistics_updated_after(
            self.api_level, state.watermark.date()
        )

    @staticmethod
    def _tomorrow() -> date:
        return (dt_util.as_local(dt_util.utcnow()) + timedelta(days=1)).date()

    async def _read_structure(self, now: datetime, rows: list[StatisticRow]) -> None:
        """Re-read the item names once a day; forget items that are gone.

        An item that still has rows in this refresh stays, whatever the
        structure says: the statistics are the truth of what exists.
        Devices of forgotten items are removed by
        :meth:`async_remove_stale_devices`, outside the fetch.
        """
        if (
            self._structure_fetched is not None
            and now - self._structure_fetched < STRUCTURE_MAX_AGE
        ):
            return
        items = {item.key: item for item in await self.client.structure(self.api_level)}
        self._structure_fetched = now
        if not items and (self._items or self._rows):
            # Every estate gone at once is a vendor hiccup (or a permission
            # being changed), not the customer's portfolio: believing it
            # would remove every device, and with them the user's names,
            # areas and settings of every entity.
            LOGGER.warning(
                "Momentum Energi listed no items at level %s; keeping the known ones",
                self.api_level,
            )
            return
        self._items = items
        keep = self._items.keys() | {row.item_key for row in rows}
        self._rows = {
            key: months for key, months in self._rows.items() if key[0] in keep
        }
        self._item_updated = {
            key: value for key, value in self._item_updated.items() if key in keep
        }

    def _usable(
        self, rows: Iterable[StatisticRow], since: datetime, now: datetime
    ) -> list[StatisticRow]:
        """Return the rows to use: wanted media, inside the period, readable."""
        media = self.media_filter
        usable = []
        problems: dict[str, int] = {}
        for row in rows:
            if media is not None and slug(row.medium) not in media:
                continue
            if (problem := row_problem(row, now)) is not None:
                problems[problem] = problems.get(problem, 0) + 1
                continue
            if row_month_start(row) >= since:
                usable.append(row)
        if problems:
            LOGGER.warning(
                "Skipped Momentum Energi rows that cannot be placed in a month: %s",
                ", ".join(f"{reason} ({n})" for reason, n in sorted(problems.items())),
            )
        return usable

    def _known(self, row: StatisticRow) -> bool:
        """Tell whether this very row was imported already (no need to write it)."""
        months = self._rows.get((row.item_key, slug(row.medium)))
        return months is not None and months.get(row_month_start(row)) == row

    def _advance_watermark(
        self, state: SyncState, rows: list[StatisticRow], now: datetime
    ) -> None:
        """Move the watermark to the newest lastUpdated, never past now.

        A lastUpdated in the future (the vendor's clock, or a bad row) would
        make every later request ask for rows updated after it: none come.
        """
        latest = now + FUTURE_TOLERANCE
        future = [r for r in rows if r.last_updated and r.last_updated > latest]
        if future:
            LOGGER.warning(
                "Momentum Energi sent %d rows updated in the future (newest %s); "
                "not used as the point to continue from",
                len(future),
                max(r.last_updated for r in future if r.last_updated).isoformat(),
            )
        newest = max(
            (
                row.last_updated
                for row in rows
                if row.last_updated is not None and row.last_updated <= latest
            ),
            default=None,
        )
        if newest is not None:
            newest = min(newest, now)
            if state.watermark is None or newest > state.watermark:
                state.watermark = newest
        if state.watermark is None:
            # No row carried lastUpdated (or there were none): start from now.
            state.watermark = now

    def _keep_recent(self, rows: Iterable[StatisticRow], now: datetime) -> None:
        oldest = local_month_start(now, months_back=_KEPT_MONTHS - 1)
        latest = now + FUTURE_TOLERANCE
        for row in rows:
            start = row_month_start(row)
            if start >= oldest:
                self._rows.setdefault((row.item_key, slug(row.medium)), {})[start] = row
            if (
                row.last_updated is not None
                and row.last_updated <= latest
                and (
                    (known := self._item_updated.get(row.item_key)) is None
                    or row.last_updated > known
                )
            ):
                self._item_updated[row.item_key] = row.last_updated
        for months in self._rows.values():
            for start in [s for s in months if s < oldest]:
                del months[start]

    def _data(self) -> MomentumEnergiData:
        series = {}
        for (item_key, medium), months in self._rows.items():
            if not months:
                continue
            ordered = tuple(months[start] for start in sorted(months))
            newest = ordered[-1]
            series[item_key, medium] = MediumSeries(
                item_key=item_key,
                medium=medium,
                name=newest.medium,
                media_class=newest.media_class,
                consumption_unit=newest.consumption_unit,
                energy_unit=newest.energy_unit,
                rows=ordered,
            )
        # A set, not a scan of every series per item: thousands of estates.
        with_series = {item_key for item_key, _ in series}
        return MomentumEnergiData(
            items=dict(self._items),
            series=series,
            updated={
                key: value
                for key, value in self._item_updated.items()
                if key in with_series
            },
        )

    async def _import(self, rows: list[StatisticRow]) -> None:
        """Import energy (kWh) and volume (m³) statistics per item and medium."""
        energy: dict[tuple[str, str], dict[datetime, float]] = {}
        volumes: dict[tuple[str, str], dict[datetime, float]] = {}
        names: dict[tuple[str, str], str] = {}
        for row in sorted(rows, key=lambda r: r.last_updated or r.start):
            key = (row.item_key, slug(row.medium))
            names[key] = row.medium
            start = row_month_start(row)
            if (value := _energy_kwh(row)) is not None:
                energy.setdefault(key, {})[start] = value
            if (value := _volume_m3(row)) is not None:
                volumes.setdefault(key, {})[start] = value
        quantities: tuple[
            tuple[str, dict[tuple[str, str], dict[datetime, float]], str, str], ...
        ] = (
            ("energy", energy, UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS),
            ("volume", volumes, UnitOfVolume.CUBIC_METERS, VolumeConverter.UNIT_CLASS),
        )
        for quantity, points, stat_unit, unit_class in quantities:
            for (item_key, medium), values in points.items():
                item = self._items.get(item_key)
                # The estate's name, as the user knows it; the id stays.
                name = item.display_name if item else item_key
                await async_merge_series(
                    self.hass,
                    DOMAIN,
                    StatisticSeries(
                        statistic_id=self.statistic_id(item_key, medium, quantity),
                        name=f"{name} {names[item_key, medium]} {quantity}",
                        unit=stat_unit,
                        unit_class=unit_class,
                        points=[
                            (start, round(value, 6))
                            for start, value in sorted(values.items())
                        ],
                    ),
                )

    @callback
    def async_remove_stale_devices(self) -> None:
        """Remove the devices of items that neither the structure nor data list.

        A listener, not part of the fetch: it runs after each update.
        """
        keep = self.data.item_keys()
        prefix = f"{self.company}_"
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            keys = {
                identifier.removeprefix(prefix)
                for domain, identifier in device.identifiers
                if domain == DOMAIN
            }
            if keys and not keys & keep:
                registry.async_remove_device(device.id)


def _finite(value: float) -> float | None:
    """Return a converted value, or None when the conversion overflowed.

    ``1e307`` MWh is ``inf`` kWh: such a value must not reach a sum.
    """
    return value if math.isfinite(value) else None


def _energy_kwh(row: StatisticRow) -> float | None:
    """Return a row's energy in kWh: its energy, else consumption in an energy unit."""
    if (unit := energy_unit(row.energy_unit)) and row.energy is not None:
        return _finite(
            EnergyConverter.convert(row.energy, unit, UnitOfEnergy.KILO_WATT_HOUR)
        )
    if (
        row.energy is None
        and row.consumption is not None
        and (unit := energy_unit(row.consumption_unit))
    ):
        return _finite(
            EnergyConverter.convert(row.consumption, unit, UnitOfEnergy.KILO_WATT_HOUR)
        )
    return None


def _volume_m3(row: StatisticRow) -> float | None:
    """Return a row's consumption in m³ when it is a volume."""
    if row.consumption is not None and (volume := volume_unit(row.consumption_unit)):
        return _finite(
            VolumeConverter.convert(row.consumption, volume, UnitOfVolume.CUBIC_METERS)
        )
    return None
