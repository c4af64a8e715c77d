"""Sensors of the eSmart Systems integration.

They serve automations and dashboards. The Energy dashboard should use the
external statistics (see coordinator.py): meter values arrive late, so a
sensor's own statistics would put the energy in the hour the poll landed.
Hence no ``state_class`` on the energy and cost sensors.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util

from .api import Contract, Wattmeter
from .common.statistics import hour_floor, local_month_start
from .coordinator import (
    ContractData,
    CustomerData,
    ESmartConfigEntry,
    ESmartCoordinator,
    ESmartData,
    WattmeterCoordinator,
    contract_key,
)
from .entity import ESmartEntity, contract_device, customer_device

# Coordinator-driven: no entity polls the API by itself.
PARALLEL_UPDATES = 0

type Value = float | int | date | datetime | None


def _yesterday(data: ContractData) -> float | None:
    today = dt_util.start_of_local_day()
    return data.energy_between(
        dt_util.as_utc(today - timedelta(days=1)), dt_util.as_utc(today)
    )


def _month_energy(data: ContractData) -> float | None:
    now = dt_util.utcnow()
    return data.energy_between(local_month_start(now), now)


def _month_cost(data: ContractData) -> float | None:
    now = dt_util.utcnow()
    return data.cost_between(local_month_start(now), now)


def _current(prices: Mapping[datetime, float]) -> float | None:
    return prices.get(hour_floor(dt_util.utcnow()))


def price_attributes(prices: Mapping[datetime, float]) -> dict[str, Any]:
    """Return today's and tomorrow's prices as HA price sensors list them."""
    today = dt_util.start_of_local_day()
    days: dict[str, list[dict[str, Any]]] = {"today": [], "tomorrow": []}
    for hour, price in sorted(prices.items()):
        local = dt_util.as_local(hour)
        day = "today" if local < today + timedelta(days=1) else "tomorrow"
        if local >= today:
            days[day].append(
                {
                    "start": local.isoformat(),
                    "end": dt_util.as_local(hour + timedelta(hours=1)).isoformat(),
                    "value": price,
                }
            )
    return days


@dataclass(frozen=True, kw_only=True)
class ContractSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor of one contract."""

    value_fn: Callable[[ContractData], Value]
    unit_kind: str | None = None
    """"meter" (the meter's unit), "money", "price" (money per meter unit)."""
    attributes_fn: Callable[[ContractData], dict[str, Any]] | None = None
    exists_fn: Callable[[ContractData], bool] = lambda data: True


CONTRACT_SENSORS: tuple[ContractSensorEntityDescription, ...] = (
    ContractSensorEntityDescription(
        key="energy_yesterday",
        translation_key="energy_yesterday",
        unit_kind="meter",
        suggested_display_precision=2,
        value_fn=_yesterday,
        exists_fn=lambda data: data.contract.meter_id is not None,
    ),
    ContractSensorEntityDescription(
        key="energy_this_month",
        translation_key="energy_this_month",
        unit_kind="meter",
        suggested_display_precision=1,
        value_fn=_month_energy,
        exists_fn=lambda data: data.contract.meter_id is not None,
    ),
    ContractSensorEntityDescription(
        key="cost_this_month",
        translation_key="cost_this_month",
        device_class=SensorDeviceClass.MONETARY,
        unit_kind="money",
        suggested_display_precision=2,
        value_fn=_month_cost,
        exists_fn=lambda data: data.contract.meter_id is not None,
    ),
    ContractSensorEntityDescription(
        key="current_price",
        translation_key="current_price",
        unit_kind="price",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: _current(data.prices),
        attributes_fn=lambda data: price_attributes(data.prices),
    ),
)


@dataclass(frozen=True, kw_only=True)
class CustomerSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor of one customer."""

    value_fn: Callable[[CustomerData], Value]
    monetary: bool = False


def _latest_amount(data: CustomerData) -> float | None:
    return data.invoices[-1].amount if data.invoices else None


def _latest_due(data: CustomerData) -> date | None:
    if not data.invoices or (due := data.invoices[-1].due_date) is None:
        return None
    return dt_util.as_local(due).date()


def _unpaid(data: CustomerData) -> float | None:
    if not data.invoices:
        return None
    return round(sum(i.unpaid or 0.0 for i in data.invoices), 2)


CUSTOMER_SENSORS: tuple[CustomerSensorEntityDescription, ...] = (
    CustomerSensorEntityDescription(
        key="invoice_amount",
        translation_key="invoice_amount",
        device_class=SensorDeviceClass.MONETARY,
        monetary=True,
        suggested_display_precision=2,
        value_fn=_latest_amount,
    ),
    CustomerSensorEntityDescription(
        key="invoice_due_date",
        translation_key="invoice_due_date",
        device_class=SensorDeviceClass.DATE,
        value_fn=_latest_due,
    ),
    CustomerSensorEntityDescription(
        key="unpaid",
        translation_key="unpaid",
        device_class=SensorDeviceClass.MONETARY,
        monetary=True,
        suggested_display_precision=2,
        value_fn=_unpaid,
    ),
    CustomerSensorEntityDescription(
        key="unread_messages",
        translation_key="unread_messages",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.unread,
    ),
)


@dataclass(frozen=True, kw_only=True)
class WattmeterSensorEntityDescription(SensorEntityDescription):
    """Describes a wattmeter sensor of one contract."""

    value_fn: Callable[[Wattmeter], float | None]


WATTMETER_SENSORS: tuple[WattmeterSensorEntityDescription, ...] = (
    WattmeterSensorEntityDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=lambda w: w.last.watts if w.last else None,
    ),
    WattmeterSensorEntityDescription(
        key="power_max_this_month",
        translation_key="power_max_this_month",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=lambda w: w.this_month_max.watts if w.this_month_max else None,
    ),
    WattmeterSensorEntityDescription(
        key="power_max",
        translation_key="power_max",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=lambda w: w.max.watts if w.max else None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ESmartConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every contract and customer the user has."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    known: set[str] = set()

    @callback
    def add_contracts() -> None:
        """Add the sensors of contracts not seen before (dynamic devices)."""
        contracts = coordinator.data.contracts
        new = [key for key in contracts if key not in known]
        known.update(new)
        entities: list[SensorEntity] = [
            ContractSensor(coordinator, key, description)
            for key in new
            for description in CONTRACT_SENSORS
            if description.exists_fn(contracts[key])
        ]
        entities.extend(
            SpotPriceSensor(coordinator, key)
            for key in new
            if contracts[key].contract.price_area is not None
        )
        if entities:
            async_add_entities(entities)

    add_contracts()
    entry.async_on_unload(coordinator.async_add_listener(add_contracts))
    # Customers come from the login, once per setup.
    entities: list[SensorEntity] = [
        CustomerSensor(coordinator, customer_id, description)
        for customer_id in coordinator.data.customers
        for description in CUSTOMER_SENSORS
    ]
    if runtime.wattmeter is not None:
        entities.extend(
            WattmeterSensor(runtime.wattmeter, coordinator, contract, description)
            for contract in runtime.wattmeter.contracts
            for description in WATTMETER_SENSORS
        )
    async_add_entities(entities)


class HourlySensor(ESmartEntity[ESmartCoordinator], SensorEntity):
    """A sensor whose value depends on the hour: its state is written on the hour.

    The coordinator refreshes an hour after the previous refresh, not on the
    hour: without this the current price would show the past hour's price
    for up to an hour (and "yesterday" yesterday's yesterday after midnight).
    """

    @override
    async def async_added_to_hass(self) -> None:
        """Write the state at the start of every hour (timer removed with it)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_track_time_change(self.hass, self._on_hour, minute=0, second=0)
        )

    @callback
    def _on_hour(self, now: datetime) -> None:
        """Show the new hour's value from the data already held."""
        self.async_write_ha_state()


class ContractSensor(HourlySensor):
    """A sensor of one contract, computed from the coordinator's data."""

    entity_description: ContractSensorEntityDescription

    def __init__(
        self,
        coordinator: ESmartCoordinator,
        key: str,
        description: ContractSensorEntityDescription,
    ) -> None:
        """Create the sensor of the contract ``key``."""
        contract = coordinator.data.contracts[key].contract
        super().__init__(
            coordinator,
            f"{coordinator.area}_{key}_{description.key}",
            contract_device(coordinator.area, contract),
        )
        self.entity_description = description
        self._key = key
        match description.unit_kind:
            case "meter":
                self._attr_native_unit_of_measurement = contract.unit
                if contract.unit.endswith("Wh"):
                    self._attr_device_class = SensorDeviceClass.ENERGY
            case "money":
                self._attr_native_unit_of_measurement = coordinator.currency
            case "price":
                self._attr_native_unit_of_measurement = (
                    f"{coordinator.currency}/{contract.unit}"
                )

    @property
    def _data(self) -> ContractData | None:
        return self.coordinator.data.contracts.get(self._key)

    @property
    @override
    def available(self) -> bool:
        """Tell whether the contract is still there and the data fresh."""
        return super().available and self._data is not None

    @property
    @override
    def native_value(self) -> Value:
        """Return the value computed from the newest data."""
        data = self._data
        return None if data is None else self.entity_description.value_fn(data)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the price lists of the price sensor."""
        data = self._data
        if data is None or self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(data)


class SpotPriceSensor(HourlySensor):
    """The spot price of the contract's price area."""

    _attr_translation_key = "spot_price"
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 4

    def __init__(self, coordinator: ESmartCoordinator, key: str) -> None:
        """Create the sensor for the contract ``key``."""
        contract = coordinator.data.contracts[key].contract
        super().__init__(
            coordinator,
            f"{coordinator.area}_{key}_spot_price",
            contract_device(coordinator.area, contract),
        )
        assert contract.price_area is not None
        self._price_area = contract.price_area
        self._attr_native_unit_of_measurement = f"{coordinator.currency}/kWh"
        self._attr_translation_placeholders = {"price_area": contract.price_area}

    @property
    def _prices(self) -> dict[datetime, float]:
        data: ESmartData = self.coordinator.data
        return data.spot.get(self._price_area, {})

    @property
    @override
    def native_value(self) -> float | None:
        """Return the spot price of the current hour."""
        return _current(self._prices)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return today's and tomorrow's spot prices."""
        return {"price_area": self._price_area, **price_attributes(self._prices)}


class CustomerSensor(ESmartEntity[ESmartCoordinator], SensorEntity):
    """A sensor of one customer (invoices, messages)."""

    entity_description: CustomerSensorEntityDescription

    def __init__(
        self,
        coordinator: ESmartCoordinator,
        customer_id: str,
        description: CustomerSensorEntityDescription,
    ) -> None:
        """Create the sensor of one customer."""
        super().__init__(
            coordinator,
            f"{coordinator.area}_customer_{customer_id}_{description.key}",
            customer_device(coordinator.area, customer_id),
        )
        self.entity_description = description
        self._customer_id = customer_id
        if description.monetary:
            self._attr_native_unit_of_measurement = coordinator.currency

    @property
    @override
    def available(self) -> bool:
        """Tell whether the customer is still there and the data fresh."""
        return (
            super().available and self._customer_id in self.coordinator.data.customers
        )

    @property
    @override
    def native_value(self) -> Value:
        """Return the value computed from the newest data."""
        data = self.coordinator.data.customers.get(self._customer_id)
        return None if data is None else self.entity_description.value_fn(data)


class WattmeterSensor(ESmartEntity[WattmeterCoordinator], SensorEntity):
    """Real-time power or a maximum from a contract's wattmeter."""

    entity_description: WattmeterSensorEntityDescription

    def __init__(
        self,
        wattmeter: WattmeterCoordinator,
        coordinator: ESmartCoordinator,
        contract: Contract,
        description: WattmeterSensorEntityDescription,
    ) -> None:
        """Create the sensor of one contract's wattmeter."""
        self._key = contract_key(contract)
        super().__init__(
            wattmeter,
            f"{coordinator.area}_{self._key}_{description.key}",
            contract_device(coordinator.area, contract),
        )
        self.entity_description = description

    @property
    @override
    def native_value(self) -> float | None:
        """Return the wattmeter value."""
        meter = self.coordinator.data.get(self._key)
        return None if meter is None else self.entity_description.value_fn(meter)
