"""Sensors of the EnerKey integration: per meter, and the calls left.

They serve automations and dashboards. The Energy dashboard should use the
external statistics (coordinator.py): EnerKey's values arrive late, so a
sensor's own statistics would put the energy in the hour the poll landed.
Hence no ``state_class`` on the consumption sensors.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .const import DOMAIN
from .coordinator import EnerKeyConfigEntry, EnerKeyCoordinator, MeterData
from .entity import EnerKeyEntity, facility_device, profile_device

# Coordinator-driven: no entity polls the API by itself.
PARALLEL_UPDATES = 0

_DEVICE_CLASSES = {
    EnergyConverter.UNIT_CLASS: SensorDeviceClass.ENERGY,
    VolumeConverter.UNIT_CLASS: SensorDeviceClass.VOLUME,
}


@dataclass(frozen=True, kw_only=True)
class MeterSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor of one meter."""

    value_fn: Callable[[MeterData], float | None]


METER_SENSORS: tuple[MeterSensorEntityDescription, ...] = (
    MeterSensorEntityDescription(
        key="yesterday",
        translation_key="yesterday",
        suggested_display_precision=2,
        value_fn=lambda data: data.yesterday,
    ),
    MeterSensorEntityDescription(
        key="this_month",
        translation_key="this_month",
        suggested_display_precision=1,
        value_fn=lambda data: data.this_month,
    ),
    MeterSensorEntityDescription(
        key="last_month_normalized",
        translation_key="last_month_normalized",
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.last_month_normalized,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnerKeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the calls-left sensor and meter sensors, also for meters added later."""
    coordinator = entry.runtime_data
    async_add_entities([CallsLeftSensor(coordinator)])
    known: set[str] = set()

    @callback
    def sync_meters() -> None:
        """Add sensors of new meters; remove those of meters EnerKey dropped.

        A meter gone from the profile would otherwise leave unavailable
        sensors for ever; one that comes back gets new ones.
        """
        current = set(coordinator.data.meters)
        if gone := known - current:
            registry = er.async_get(hass)
            for meter_id in gone:
                for description in METER_SENSORS:
                    if entity_id := registry.async_get_entity_id(
                        SENSOR_DOMAIN, DOMAIN, f"{meter_id}_{description.key}"
                    ):
                        registry.async_remove(entity_id)
            known.difference_update(gone)
        new = sorted(current - known)
        known.update(new)
        async_add_entities(
            MeterSensor(coordinator, meter_id, description)
            for meter_id in new
            for description in METER_SENSORS
        )

    sync_meters()
    entry.async_on_unload(coordinator.async_add_listener(sync_meters))


class MeterSensor(EnerKeyEntity, SensorEntity):
    """Consumption of one meter over a period, in the meter's unit."""

    entity_description: MeterSensorEntityDescription

    def __init__(
        self,
        coordinator: EnerKeyCoordinator,
        meter_id: str,
        description: MeterSensorEntityDescription,
    ) -> None:
        """Create the sensor; units and device class follow the meter's unit."""
        data = coordinator.data.meters[meter_id]
        facility = coordinator.data.facilities[data.meter.facility_id]
        super().__init__(
            coordinator, f"{meter_id}_{description.key}", facility_device(facility)
        )
        self.entity_description = description
        self._meter_id = meter_id
        self._attr_translation_placeholders = {"meter": data.meter.name}
        self._attr_native_unit_of_measurement = data.unit.unit
        # Unknown units (Nm3, t, ...) keep the sensor without a device class.
        self._attr_device_class = _DEVICE_CLASSES.get(data.unit.unit_class or "")

    @property
    @override
    def available(self) -> bool:
        """Unavailable when the meter is gone or the refresh failed."""
        return super().available and self._meter_id in self.coordinator.data.meters

    @property
    @override
    def native_value(self) -> float | None:
        """Return the period's consumption."""
        data = self.coordinator.data.meters.get(self._meter_id)
        return None if data is None else self.entity_description.value_fn(data)


class CallsLeftSensor(EnerKeyEntity, SensorEntity):
    """Calls left in EnerKey's 24-hour window (``X-Rate-Limit``)."""

    _attr_translation_key = "calls_left"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = "calls"

    def __init__(self, coordinator: EnerKeyCoordinator) -> None:
        """Create the sensor on the profile's service device."""
        super().__init__(
            coordinator,
            f"{coordinator.config_entry.unique_id}_calls_left",
            profile_device(coordinator),
        )

    @property
    @override
    def native_value(self) -> int | None:
        """Return the calls left as EnerKey last reported."""
        return self.coordinator.data.calls_left
