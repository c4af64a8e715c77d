"""Data update coordinators of the eSmart Systems integration.

One :class:`ESmartCoordinator` per config entry (one user in one area of one
utility): it reads the customers' contracts, imports hourly consumption and
cost of every metered contract as external statistics, and keeps what the
sensors show (recent hours, prices, invoices, messages). A separate
:class:`WattmeterCoordinator` polls the real-time power of the contracts
that have a wattmeter, on its own faster cadence, and only those.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfEnergy, UnitOfVolume
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .api import (
    HOUR_CHUNK,
    Contract,
    ESmartClient,
    ESmartError,
    Invoice,
    Message,
    SeriesValue,
    Wattmeter,
)
from .common.api_helpers import Backoff
from .common.ha import vendor_error_to_ha
from .common.statistics import (
    StatisticSeries,
    async_import_series,
    async_last_start,
    hour_floor,
    local_month_start,
    statistic_id,
)
from .const import (
    BACKFILL,
    CATALOG_SLOT_HOURS,
    CONF_AREA,
    DOMAIN,
    ESTIMATED,
    LOGGER,
    PRICES_PUBLISHED_HOUR,
    RATE_LIMIT_BACKOFF,
    REREAD_WINDOW,
    UPDATE_INTERVAL,
    WATTMETER_INTERVAL,
)


@dataclass(kw_only=True, slots=True)
class ESmartRuntime:
    """What a loaded entry holds: the client and both coordinators."""

    client: ESmartClient
    coordinator: ESmartCoordinator
    wattmeter: WattmeterCoordinator | None


type ESmartConfigEntry = ConfigEntry[ESmartRuntime]

_UNIT_CLASSES: dict[str, str] = {
    UnitOfEnergy.WATT_HOUR: EnergyConverter.UNIT_CLASS,
    UnitOfEnergy.KILO_WATT_HOUR: EnergyConverter.UNIT_CLASS,
    UnitOfEnergy.MEGA_WATT_HOUR: EnergyConverter.UNIT_CLASS,
    UnitOfVolume.CUBIC_METERS: VolumeConverter.UNIT_CLASS,
    UnitOfVolume.LITERS: VolumeConverter.UNIT_CLASS,
}


def unit_class(unit: str) -> str | None:
    """Return the recorder's unit class of a meter unit (None when unknown)."""
    return _UNIT_CLASSES.get(unit)


@dataclass(slots=True)
class ContractData:
    """What the sensors of one contract show."""

    contract: Contract
    hourly: dict[datetime, float] = field(default_factory=dict)
    """Consumption per UTC hour since the start of yesterday's local month."""
    costs: dict[datetime, float] = field(default_factory=dict)
    prices: dict[datetime, float] = field(default_factory=dict)
    """The contract's hourly price today and (from ~13:00) tomorrow."""

    def energy_between(self, start: datetime, end: datetime) -> float | None:
        """Return the consumption in [start, end), None without any hour."""
        values = [v for hour, v in self.hourly.items() if start <= hour < end]
        return round(sum(values), 3) if values else None

    def cost_between(self, start: datetime, end: datetime) -> float | None:
        """Return the cost in [start, end), None without any hour."""
        values = [v for hour, v in self.costs.items() if start <= hour < end]
        return round(sum(values), 2) if values else None


@dataclass(slots=True)
class CustomerData:
    """What the sensors of one customer show."""

    customer_id: str
    invoices: list[Invoice] = field(default_factory=list)
    unread: int | None = None
    messages: list[Message] = field(default_factory=list)


@dataclass(slots=True)
class ESmartData:
    """The coordinator's data: contracts and customers, by their ids."""

    contracts: dict[str, ContractData]
    """By ``<customer id>_<contract no>``."""
    customers: dict[str, CustomerData]
    spot: dict[str, dict[datetime, float]]
    """Spot prices of today and tomorrow by price area."""


def message_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, list[str]]]:
    """Return the store of an entry's seen message ids."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.messages")


def contract_key(contract: Contract) -> str:
    """Return the key of a contract within one entry."""
    return f"{contract.customer_id}_{contract.contract_no}"


def contract_device_id(area: str, contract: Contract) -> str:
    """Return the device identifier of a contract (area: contract numbers are per area)."""
    return f"{area}_{contract.customer_id}_{contract.contract_no}"


def customer_device_id(area: str, customer_id: str) -> str:
    """Return the device identifier of a customer in one area."""
    return f"{area}_customer_{customer_id}"


class ESmartCoordinator(DataUpdateCoordinator[ESmartData]):
    """Fetch an eSmart user's data and import its statistics."""

    config_entry: ESmartConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: ESmartConfigEntry, client: ESmartClient
    ) -> None:
        """Create the coordinator for one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self.area: str = entry.data[CONF_AREA]
        self.customer_ids: tuple[str, ...] = ()
        self._contracts: dict[str, ContractData] = {}
        self._customers: dict[str, CustomerData] = {}
        self._spot: dict[str, dict[datetime, float]] = {}
        self._estimated_from: dict[str, datetime] = {}
        self._backoff = Backoff(RATE_LIMIT_BACKOFF, UPDATE_INTERVAL)
        self.new_messages: list[tuple[str, Message]] = []
        """Messages first seen by the latest refresh (for the event entity)."""
        self._seen_messages: set[str] | None = None
        self._catalog_slot: tuple[date, int] | None = None
        """The six-hour UTC slot contracts and invoices were last read in."""
        # Seen message ids outlive a restart: a message that arrived while
        # Home Assistant was stopped still fires, none fires twice.
        self._store: Store[dict[str, list[str]]] = message_store(hass, entry.entry_id)

    def statistic_ids(self, contract: Contract) -> tuple[str, str]:
        """Return the consumption and cost statistic ids of a contract."""
        parts = (self.area, contract.customer_id, contract.contract_no)
        return (
            statistic_id(DOMAIN, *parts, "consumption"),
            statistic_id(DOMAIN, *parts, "cost"),
        )

    @property
    def currency(self) -> str:
        """Return the currency costs and prices are shown in (HA's)."""
        return str(self.hass.config.currency)

    async def _guarded[T](self, awaitable: Awaitable[T]) -> T:
        """Await an API call, mapping its errors to what HA expects."""
        try:
            return await awaitable
        except ESmartError as err:
            raise vendor_error_to_ha(err, DOMAIN, backoff=self._backoff) from err

    @override
    async def _async_setup(self) -> None:
        """Learn the user's customer ids once (they change only by contract)."""
        result = await self._guarded(self.client.authenticate())
        self.customer_ids = result.customer_ids
        stored = await self._store.async_load()
        if stored is not None and isinstance(stored.get("seen"), list):
            self._seen_messages = {str(value) for value in stored["seen"]}

    @override
    async def _async_update_data(self) -> ESmartData:
        try:
            data = await self._guarded(self._refresh())
        except Exception:
            # A failure may come from a contract that is gone (404 on its
            # series): the next refresh reads the contracts again.
            self._catalog_slot = None
            raise
        self._backoff.reset()
        self._remove_stale_devices(data)
        return data

    def _remove_stale_devices(self, data: ESmartData) -> None:
        """Detach devices of contracts and customers the API no longer lists."""
        current = {
            contract_device_id(self.area, d.contract) for d in data.contracts.values()
        } | {customer_device_id(self.area, c) for c in data.customers}
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            ids = {value for domain, value in device.identifiers if domain == DOMAIN}
            if ids and not ids & current:
                LOGGER.debug("Removing device %s: no longer in the API", device.name)
                registry.async_update_device(device.id, remove_config_entry_id=entry_id)

    async def _refresh(self) -> ESmartData:
        now = dt_util.utcnow()
        contracts: dict[str, ContractData] = {}
        customers: dict[str, CustomerData] = {}
        new_messages: list[tuple[str, Message]] = []
        seen: set[str] = set()
        # Contracts and invoices change rarely: read them once per six-hour
        # slot. Messages: the unread count every refresh, the page with the
        # contracts or when the count changed (a message read and a new one
        # in the same hour are seen with the next slot's read).
        slot = (now.date(), now.hour // CATALOG_SLOT_HOURS)
        catalog = slot != self._catalog_slot
        if not catalog:
            contracts = dict(self._contracts)
        for customer_id in self.customer_ids:
            known = self._customers.get(customer_id)
            if catalog:
                for contract in await self.client.contracts(customer_id):
                    key = contract_key(contract)
                    data = self._contracts.get(key) or ContractData(contract)
                    data.contract = contract
                    contracts[key] = data
            customer = known or CustomerData(customer_id)
            if catalog or known is None:
                customer.invoices = await self.client.invoices(customer_id)
            unread = await self.client.unread_count(customer_id)
            if catalog or known is None or unread != customer.unread:
                customer.messages = await self.client.messages(customer_id)
            customer.unread = unread
            for message in customer.messages:
                seen.add(message.id)
                if (
                    self._seen_messages is not None
                    and message.id not in self._seen_messages
                ):
                    new_messages.append((customer_id, message))
            customers[customer_id] = customer
        for data in contracts.values():
            if data.contract.meter_id is not None and data.contract.is_active:
                await self._refresh_series(data, now)
            data.prices = await self._prices_for(
                data.prices, partial(self.client.hour_prices, data.contract)
            )
        for area in {d.contract.price_area for d in contracts.values()} - {None}:
            assert area is not None
            self._spot[area] = await self._prices_for(
                self._spot.get(area, {}),
                partial(self.client.spot_prices, area),
            )
        self._contracts = contracts
        self._customers = customers
        self._catalog_slot = slot
        # Old ids are kept: a message on page 2 that comes back is not new.
        before = self._seen_messages
        self._seen_messages = (self._seen_messages or set()) | seen
        self.new_messages = new_messages
        if self._seen_messages != before:
            await self._store.async_save({"seen": sorted(self._seen_messages)})
        return ESmartData(
            contracts=dict(contracts),
            customers=dict(customers),
            spot={area: dict(prices) for area, prices in self._spot.items()},
        )

    async def _refresh_series(self, data: ContractData, now: datetime) -> None:
        """Read new hours (plus the re-read window) and import them."""
        contract = data.contract
        key = contract_key(contract)
        consumption_id, _ = self.statistic_ids(contract)
        last = await async_last_start(self.hass, consumption_id)
        if last is None:
            window_start = hour_floor(now - BACKFILL)
        else:
            window_start = last - REREAD_WINDOW
        if (oldest := self._estimated_from.get(key)) is not None:
            window_start = min(window_start, oldest)
        # The sensors need yesterday and this month, also right after a start.
        keep_from = min(
            local_month_start(now),
            dt_util.as_utc(dt_util.start_of_local_day() - timedelta(days=1)),
        )
        fetch_start = window_start if data.hourly else min(window_start, keep_from)
        end = hour_floor(now)
        estimated: datetime | None = None
        chunk_start = fetch_start
        # Chunk by chunk, each stored before the next is read: a backfill that
        # is interrupted (a restart, a 429) resumes from the newest stored hour.
        while chunk_start < end:
            chunk_end = min(chunk_start + HOUR_CHUNK, end)
            consumption = await self.client.series(
                "consumption", contract, chunk_start, chunk_end
            )
            costs = await self.client.series("costs", contract, chunk_start, chunk_end)
            for value in consumption:
                if (value.status or "").lower() == ESTIMATED:
                    hour = hour_floor(value.start)
                    estimated = hour if estimated is None else min(estimated, hour)
            data.hourly = {
                **{h: v for h, v in data.hourly.items() if h >= keep_from},
                **_hours(consumption, keep_from),
            }
            data.costs = {
                **{h: v for h, v in data.costs.items() if h >= keep_from},
                **_hours(costs, keep_from),
            }
            await self._import(contract, _hours(consumption, window_start), unit=True)
            # The next chunk's sums continue from this chunk's rows: the shared
            # importer reads rows still queued to the recorder from memory
            # (waiting for the recorder here stalled a startup backfill).
            await self._import(contract, _hours(costs, window_start), unit=False)
            chunk_start = chunk_end
        if estimated is None:
            self._estimated_from.pop(key, None)
        else:
            self._estimated_from[key] = estimated

    async def _import(
        self, contract: Contract, points: dict[datetime, float], *, unit: bool
    ) -> None:
        """Import consumption (``unit``) or cost points of one contract."""
        consumption_id, cost_id = self.statistic_ids(contract)
        name = self._series_name(contract)
        await async_import_series(
            self.hass,
            DOMAIN,
            StatisticSeries(
                statistic_id=consumption_id if unit else cost_id,
                name=f"{name} {'consumption' if unit else 'cost'}",
                unit=contract.unit if unit else self.currency,
                unit_class=unit_class(contract.unit) if unit else None,
                points=sorted(points.items()),
            ),
        )

    def _series_name(self, contract: Contract) -> str:
        return " ".join(
            part
            for part in (
                contract.delivery_point_name or contract.contract_no,
                contract.kind.replace("_", " "),
            )
            if part
        )

    async def _prices_for(
        self,
        known: dict[datetime, float],
        fetch: Callable[[datetime, datetime], Awaitable[list[tuple[datetime, float]]]],
    ) -> dict[datetime, float]:
        """Return today's and tomorrow's prices, asking only for missing ones.

        Tomorrow's prices are published at about 13:00: before that nothing
        is asked while today's are known; from then every refresh asks until
        they are in, afterwards nothing until midnight.
        """
        today = dt_util.start_of_local_day()
        start = dt_util.as_utc(today)
        end = dt_util.as_utc(today + timedelta(days=2))
        kept = {hour: price for hour, price in known.items() if start <= hour < end}
        if end - timedelta(hours=1) in kept:
            return kept
        today_known = dt_util.as_utc(today + timedelta(days=1)) - timedelta(hours=1)
        if today_known in kept and dt_util.now().hour < PRICES_PUBLISHED_HOUR:
            return kept
        fetched = await fetch(start, end)
        return {**kept, **{h: p for h, p in fetched if start <= h < end}}


def _hours(values: list[SeriesValue], start: datetime) -> dict[datetime, float]:
    """Return hourly values from ``start`` on, summed into UTC hours."""
    hours: dict[datetime, float] = {}
    for value in values:
        if value.start >= start:
            hour = hour_floor(value.start)
            hours[hour] = round(hours.get(hour, 0.0) + value.value, 6)
    return hours


class WattmeterCoordinator(DataUpdateCoordinator[dict[str, Wattmeter]]):
    """Poll the wattmeters of the contracts that have one."""

    config_entry: ESmartConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ESmartConfigEntry,
        client: ESmartClient,
        contracts: list[Contract],
    ) -> None:
        """Create the coordinator for the given wattmeter contracts."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title} wattmeter",
            update_interval=WATTMETER_INTERVAL,
        )
        self.client = client
        self.contracts = contracts
        self._backoff = Backoff(RATE_LIMIT_BACKOFF, WATTMETER_INTERVAL * 10)

    @override
    async def _async_update_data(self) -> dict[str, Wattmeter]:
        result: dict[str, Wattmeter] = {}
        try:
            for contract in self.contracts:
                result[contract_key(contract)] = await self.client.wattmeter(contract)
        except ESmartError as err:
            raise vendor_error_to_ha(err, DOMAIN, backoff=self._backoff) from err
        self._backoff.reset()
        return result
