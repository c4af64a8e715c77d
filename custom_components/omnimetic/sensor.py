"""Sensors of the Omnimetic integration.

They serve automations and dashboards. The Energy dashboard should use the
external statistics instead (see coordinator.py): meter data arrives a day
late, so a sensor's long-term statistics would put the energy in the hour the
poll landed. Hence no ``state_class`` on the energy and cost sensors.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .common.statistics import local_month_start
from .coordinator import OmnimeticConfigEntry, OmnimeticCoordinator, OmnimeticData
from .entity import OmnimeticEntity

# Coordinator-driven: no entity polls the API by itself.
PARALLEL_UPDATES = 0


def _yesterday(data: OmnimeticData) -> float | None:
    today = dt_util.start_of_local_day()
    return data.energy_between(
        dt_util.as_utc(today - timedelta(days=1)), dt_util.as_utc(today)
    )


def _this_month(data: OmnimeticData) -> float | None:
    now = dt_util.utcnow()
    return data.energy_between(local_month_start(now), now)


def _on_peak_share(data: OmnimeticData) -> float | None:
    now = dt_util.utcnow()
    return data.on_peak_share(local_month_start(now), now)


def _bill_energy(months_back: int) -> Callable[[OmnimeticData], float | None]:
    def value(data: OmnimeticData) -> float | None:
        month = data.month(dt_util.utcnow(), months_back)
        return (
            None
            if month is None or month.energy_kwh is None
            else round(month.energy_kwh, 3)
        )

    return value


def _bill_amount(months_back: int) -> Callable[[OmnimeticData], float | None]:
    def value(data: OmnimeticData) -> float | None:
        month = data.month(dt_util.utcnow(), months_back)
        return None if month is None else month.amount

    return value


@dataclass(frozen=True, kw_only=True)
class OmnimeticSensorEntityDescription(SensorEntityDescription):
    """Describes an Omnimetic sensor."""

    value_fn: Callable[[OmnimeticData], float | datetime | None]
    monetary: bool = False


SENSORS: tuple[OmnimeticSensorEntityDescription, ...] = (
    OmnimeticSensorEntityDescription(
        key="energy_yesterday",
        translation_key="energy_yesterday",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_yesterday,
    ),
    OmnimeticSensorEntityDescription(
        key="energy_this_month",
        translation_key="energy_this_month",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_this_month,
    ),
    OmnimeticSensorEntityDescription(
        key="cost_this_month",
        translation_key="cost_this_month",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        monetary=True,
        value_fn=_bill_amount(0),
    ),
    OmnimeticSensorEntityDescription(
        key="energy_last_month",
        translation_key="energy_last_month",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_bill_energy(1),
    ),
    OmnimeticSensorEntityDescription(
        key="cost_last_month",
        translation_key="cost_last_month",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        monetary=True,
        value_fn=_bill_amount(1),
    ),
    OmnimeticSensorEntityDescription(
        key="on_peak_share",
        translation_key="on_peak_share",
        # Derived; few users need it, so it starts disabled.
        entity_registry_enabled_default=False,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_on_peak_share,
    ),
    OmnimeticSensorEntityDescription(
        key="newest_data",
        translation_key="newest_data",
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.newest_reading,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OmnimeticConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of one service account."""
    coordinator = entry.runtime_data
    async_add_entities(
        OmnimeticSensor(coordinator, description) for description in SENSORS
    )


class OmnimeticSensor(OmnimeticEntity, SensorEntity):
    """A sensor computed from the coordinator's data."""

    entity_description: OmnimeticSensorEntityDescription

    def __init__(
        self,
        coordinator: OmnimeticCoordinator,
        description: OmnimeticSensorEntityDescription,
    ) -> None:
        """Create the sensor."""
        super().__init__(coordinator, description.key)
        self.entity_description = description
        if description.monetary:
            self._attr_native_unit_of_measurement = coordinator.currency

    @property
    def native_value(self) -> float | datetime | None:
        """Return the value computed from the newest data."""
        return self.entity_description.value_fn(self.coordinator.data)
