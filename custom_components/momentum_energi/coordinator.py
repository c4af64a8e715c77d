"""Data update coordinator of the Momentum Energi integration.

One coordinator per config entry (one API user and one structure level).
Momentum's statistics are monthly. The first refresh backfills a period;
later ones ask only for rows updated since the newest ``lastUpdated`` already
imported (kept in a ``Store``, so a restart does not backfill again). Rows
become external statistics (a row per month, at the first hour of the local
month) and the sensors' latest complete month.
"""

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_USERNAME, UnitOfEnergy, UnitOfVolume
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .api import (
    MomentumEnergiAuthenticationError,
    MomentumEnergiClient,
    MomentumEnergiConnectionError,
    MomentumEnergiError,
    MomentumEnergiForbiddenError,
    MomentumEnergiNotFoundError,
    MomentumEnergiRateLimitError,
    StatisticRow,
    StructureItem,
)
from .common.api_helpers import Backoff
from .common.statistics import (
    StatisticSeries,
    async_merge_series,
    hour_floor,
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
    LOGGER,
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


def row_month_start(row: StatisticRow) -> datetime:
    """Return the UTC hour in which a row's local month starts.

    The month is the one holding the middle of [start, stop): that reads the
    same whether the API writes local midnight with its offset or the same
    instant in UTC (the previous evening).
    """
    middle = row.start + (row.stop - row.start) / 2
    return hour_floor(local_month_start(middle))


@dataclass(frozen=True, slots=True)
class MediumSeries:
    """One item's medium: its names, units and recent months."""

    item_key: str
    medium: str
    """Slug of the medium (``fjarrvarme``), stable in ids."""
    name: str
    """The vendor's name of the medium (``Fjärrvärme``)."""
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


@dataclass
class _SyncState:
    """What the last successful import saw, persisted across restarts."""

    level: str
    media: list[str] | None
    since: datetime
    """Start of the oldest month imported; older rows are never imported."""
    last_updated: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON the store keeps."""
        return {
            "level": self.level,
            "media": self.media,
            "since": self.since.isoformat(),
            "last_updated": self.last_updated.isoformat()
            if self.last_updated
            else None,
        }


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
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.data[CONF_USERNAME]}",
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self.account = slug(entry.unique_id or entry.data[CONF_USERNAME])
        self._store = sync_store(hass, entry.entry_id)
        self._state: _SyncState | None = None
        self._state_loaded = False
        self._items: dict[str, StructureItem] = {}
        self._structure_fetched: datetime | None = None
        self._rows: dict[tuple[str, str], dict[datetime, StatisticRow]] = {}
        self._item_updated: dict[str, datetime] = {}
        self._recent_loaded = False
        self._backoff = Backoff(RATE_LIMIT_BACKOFF, UPDATE_INTERVAL)

    @property
    def level(self) -> str:
        """Return the structure level the entry follows (an option)."""
        return str(self.config_entry.options.get(CONF_LEVEL, DEFAULT_LEVEL))

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
        return self._state.last_updated if self._state else None

    def statistic_id(self, item_key: str, medium: str, quantity: str) -> str:
        """Return the id of one item's medium's statistic."""
        return statistic_id(DOMAIN, self.account, slug(item_key), medium, quantity)

    @override
    async def _async_update_data(self) -> MomentumEnergiData:
        data = await self._guarded(self._refresh())
        self._backoff.reset()
        for issue in ("forbidden", "level_not_found"):
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(issue))
        return data

    def _issue_id(self, kind: str) -> str:
        return f"{kind}_{self.config_entry.entry_id}"

    def _raise_issue(self, kind: str, err: Exception) -> UpdateFailed:
        # Only the user (or their Momentum administrator) can fix these, so
        # tell them in Repairs rather than only in the log.
        placeholders = {"level": self.level, "username": self.client_username}
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

    @property
    def client_username(self) -> str:
        """Return the API user's name, for messages."""
        return str(self.config_entry.data[CONF_USERNAME])

    async def _guarded[T](self, awaitable: Awaitable[T]) -> T:
        """Await API calls, mapping their errors to what HA expects."""
        try:
            return await awaitable
        except MomentumEnergiAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except MomentumEnergiRateLimitError as err:
            wait = self._backoff.next(err.retry_after)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": str(round(wait))},
                retry_after=wait,
            ) from err
        except MomentumEnergiForbiddenError as err:
            raise self._raise_issue("forbidden", err) from err
        except MomentumEnergiNotFoundError as err:
            raise self._raise_issue("level_not_found", err) from err
        except MomentumEnergiConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        except MomentumEnergiError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="api_error",
                translation_placeholders={"error": str(err)},
            ) from err

    async def _load_state(self) -> _SyncState | None:
        if not self._state_loaded:
            stored = await self._store.async_load()
            self._state_loaded = True
            if stored and (since := dt_util.parse_datetime(stored.get("since", ""))):
                last = stored.get("last_updated")
                self._state = _SyncState(
                    level=str(stored.get("level")),
                    media=stored.get("media"),
                    since=since,
                    last_updated=dt_util.parse_datetime(last) if last else None,
                )
        return self._state

    async def _refresh(self) -> MomentumEnergiData:
        now = dt_util.utcnow()
        state = await self._load_state()
        tomorrow = (dt_util.as_local(now) + timedelta(days=1)).date()
        if (
            state is None
            or state.level != self.level
            or state.media != self.media_filter
            or state.last_updated is None
            or self.backfill_start < state.since
        ):
            # A new entry, or the options changed what is imported (another
            # level, other media, more history): import the history again.
            LOGGER.debug("Backfilling %s from %s", self.level, self.backfill_start)
            state = _SyncState(
                level=self.level, media=self.media_filter, since=self.backfill_start
            )
            rows = await self.client.statistics_period(
                self.level, dt_util.as_local(self.backfill_start).date(), tomorrow
            )
        else:
            # Ask from the day before the newest lastUpdated: the API's
            # "after {date}" has day granularity and an unstated time zone,
            # so the overlap makes sure no update is missed; re-imported rows
            # overwrite themselves.
            after = (state.last_updated - timedelta(days=1)).date()
            rows = await self.client.statistics_updated_after(self.level, after)
            if not self._recent_loaded:
                # After a restart the sensors need the recent months too.
                recent = local_month_start(now, months_back=_KEPT_MONTHS - 1)
                rows += await self.client.statistics_period(
                    self.level, dt_util.as_local(recent).date(), tomorrow
                )
        if (
            self._structure_fetched is None
            or now - self._structure_fetched >= STRUCTURE_MAX_AGE
        ):
            self._items = {
                item.key: item for item in await self.client.structure(self.level)
            }
            self._structure_fetched = now
            self._remove_stale_items({row.item_key for row in rows})

        rows = [row for row in rows if self._wanted(row, state.since)]
        await self._import(rows)
        newest = max(
            (row.last_updated for row in rows if row.last_updated is not None),
            default=None,
        )
        if newest is not None and (
            state.last_updated is None or newest > state.last_updated
        ):
            state.last_updated = newest
        elif state.last_updated is None:
            # No row carried lastUpdated (or there were none): start from now.
            state.last_updated = now
        # Only now, with everything imported, may the next refresh skip it.
        self._state = state
        await self._store.async_save(state.as_dict())
        self._keep_recent(rows, now)
        for row in rows:
            if row.last_updated is not None and (
                (known := self._item_updated.get(row.item_key)) is None
                or row.last_updated > known
            ):
                self._item_updated[row.item_key] = row.last_updated
        self._recent_loaded = True
        return self._data()

    def _wanted(self, row: StatisticRow, since: datetime) -> bool:
        media = self.media_filter
        return row_month_start(row) >= since and (
            media is None or slug(row.medium) in media
        )

    def _keep_recent(self, rows: Iterable[StatisticRow], now: datetime) -> None:
        oldest = local_month_start(now, months_back=_KEPT_MONTHS - 1)
        for row in rows:
            start = row_month_start(row)
            if start >= oldest:
                self._rows.setdefault((row.item_key, slug(row.medium)), {})[start] = row
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
                consumption_unit=newest.consumption_unit,
                energy_unit=newest.energy_unit,
                rows=ordered,
            )
        return MomentumEnergiData(
            items=dict(self._items),
            series=series,
            updated={
                key: value
                for key, value in self._item_updated.items()
                if any(item_key == key for item_key, _ in series)
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
            if (unit := energy_unit(row.energy_unit)) and row.energy is not None:
                energy.setdefault(key, {})[start] = EnergyConverter.convert(
                    row.energy, unit, UnitOfEnergy.KILO_WATT_HOUR
                )
            elif (
                row.energy is None
                and row.consumption is not None
                and (unit := energy_unit(row.consumption_unit))
            ):
                energy.setdefault(key, {})[start] = EnergyConverter.convert(
                    row.consumption, unit, UnitOfEnergy.KILO_WATT_HOUR
                )
            if row.consumption is not None and (
                volume := volume_unit(row.consumption_unit)
            ):
                volumes.setdefault(key, {})[start] = VolumeConverter.convert(
                    row.consumption, volume, UnitOfVolume.CUBIC_METERS
                )
        quantities: tuple[
            tuple[str, dict[tuple[str, str], dict[datetime, float]], str, str], ...
        ] = (
            ("energy", energy, UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS),
            ("volume", volumes, UnitOfVolume.CUBIC_METERS, VolumeConverter.UNIT_CLASS),
        )
        for quantity, points, stat_unit, unit_class in quantities:
            for (item_key, medium), values in points.items():
                item = self._items.get(item_key)
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

    def _remove_stale_items(self, with_rows: set[str]) -> None:
        """Forget items the structure no longer lists, and remove their devices.

        An item that still has rows in this refresh stays, whatever the
        structure says: the statistics are the truth of what exists.
        """
        keep = self._items.keys() | with_rows
        for key in [key for key, _ in self._rows if key not in keep]:
            self._rows = {k: v for k, v in self._rows.items() if k[0] != key}
            self._item_updated.pop(key, None)
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            keys = {
                self._item_key_of(identifier)
                for domain, identifier in device.identifiers
                if domain == DOMAIN
            }
            if keys and not keys & keep:
                registry.async_remove_device(device.id)

    def device_identifier(self, item_key: str) -> str:
        """Return the device identifier of an item (unique across accounts)."""
        return f"{self.account}_{item_key}"

    def _item_key_of(self, identifier: str) -> str:
        return identifier.removeprefix(f"{self.account}_")
