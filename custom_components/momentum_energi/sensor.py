"""Sensors of the Momentum Energi integration: the latest complete month.

Per item and medium: energy and consumption of the newest month that has
ended, plus their weather-normalised variants (disabled by default). The
Energy dashboard should use the external statistics instead (see
coordinator.py), which place each month where it belongs; hence no
``state_class``: a sensor's own statistics would book a month's energy at the
moment a poll saw it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import StatisticRow
from .const import LOGGER
from .coordinator import (
    MediumSeries,
    MomentumEnergiConfigEntry,
    MomentumEnergiCoordinator,
)
from .entity import MomentumEnergiEntity
from .units import (
    device_class,
    display_precision,
    energy_unit,
    medium_kind,
    native_unit,
)

# Coordinator-driven: no entity polls the API by itself.
PARALLEL_UPDATES = 0

_unknown_units_logged: set[str] = set()


@dataclass(frozen=True, kw_only=True)
class MomentumEnergiSensorEntityDescription(SensorEntityDescription):
    """Describes a Momentum Energi sensor of one item's medium."""

    value_fn: Callable[[StatisticRow], float | None]
    unit_fn: Callable[[MediumSeries], str | None]
    exists_fn: Callable[[MediumSeries], bool]
    translation_key_fn: Callable[[MediumSeries], str] | None = None
    """The translation key (and so the icon) by medium; else ``translation_key``."""


def _energy_key(series: MediumSeries) -> str:
    # The energy device class shows a lightning bolt: right for electricity,
    # wrong for heat, cooling and gas, which get icons of their own.
    kind = medium_kind(series.media_class, series.name)
    return f"energy_{kind}" if kind in ("heating", "cooling", "gas") else "energy"


def _has_energy(series: MediumSeries) -> bool:
    return series.energy_unit is not None


def _consumption_is_not_energy(series: MediumSeries) -> bool:
    # Where consumption is itself energy (electricity in kWh) it repeats the
    # energy sensor; only media measured otherwise (m³) get their own.
    return not _has_energy(series) or energy_unit(series.consumption_unit) is None


SENSORS: tuple[MomentumEnergiSensorEntityDescription, ...] = (
    MomentumEnergiSensorEntityDescription(
        key="energy",
        translation_key="energy",
        translation_key_fn=_energy_key,
        value_fn=lambda row: row.energy,
        unit_fn=lambda series: series.energy_unit,
        exists_fn=_has_energy,
    ),
    MomentumEnergiSensorEntityDescription(
        key="energy_normalized",
        translation_key="energy_normalized",
        entity_registry_enabled_default=False,
        value_fn=lambda row: row.energy_normalized,
        unit_fn=lambda series: series.energy_unit,
        exists_fn=_has_energy,
    ),
    MomentumEnergiSensorEntityDescription(
        key="consumption",
        translation_key="consumption",
        value_fn=lambda row: row.consumption,
        unit_fn=lambda series: series.consumption_unit,
        exists_fn=_consumption_is_not_energy,
    ),
    MomentumEnergiSensorEntityDescription(
        key="consumption_normalized",
        translation_key="consumption_normalized",
        entity_registry_enabled_default=False,
        value_fn=lambda row: row.consumption_normalized,
        unit_fn=lambda series: series.consumption_unit,
        exists_fn=_consumption_is_not_energy,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MomentumEnergiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every item's media, and for new ones as they appear."""
    coordinator = entry.runtime_data
    # Unique ids of the entities that exist. An entity leaves this set when it
    # is removed (its device was removed as stale, or the user deleted it),
    # so an item that returns gets its sensors back.
    known: set[str] = set()

    @callback
    def add_new() -> None:
        new: list[MomentumEnergiEntity] = []

        def claim(key: str, item_key: str) -> bool:
            """Tell whether the entity is missing, and count it as existing."""
            unique_id = f"{coordinator.device_identifier(item_key)}_{key}"
            if unique_id in known:
                return False
            known.add(unique_id)
            return True

        for series in coordinator.data.series.values():
            new.extend(
                MomentumEnergiSensor(coordinator, series, description)
                for description in SENSORS
                if description.exists_fn(series)
                and claim(f"{series.medium}_{description.key}", series.item_key)
            )
            if claim("data_updated", series.item_key):
                new.append(MomentumEnergiUpdatedSensor(coordinator, series.item_key))
        for entity in new:
            # Not async_on_remove: that also runs when a disabled entity is
            # not added, and it would then be created again every update.
            entity.forget = partial(known.discard, str(entity.unique_id))
        async_add_entities(new)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))


class MomentumEnergiSensor(MomentumEnergiEntity, SensorEntity):
    """A value of the latest complete month of one item's medium."""

    entity_description: MomentumEnergiSensorEntityDescription

    def __init__(
        self,
        coordinator: MomentumEnergiCoordinator,
        series: MediumSeries,
        description: MomentumEnergiSensorEntityDescription,
    ) -> None:
        """Create the sensor of ``description`` for one series."""
        super().__init__(
            coordinator, series.item_key, f"{series.medium}_{description.key}"
        )
        self.entity_description = description
        if description.translation_key_fn is not None:
            self._attr_translation_key = description.translation_key_fn(series)
        self._series_key = (series.item_key, series.medium)
        self._attr_translation_placeholders = {"medium": series.name}
        unit = description.unit_fn(series)
        self._attr_native_unit_of_measurement = native_unit(unit)
        self._attr_device_class = device_class(unit, series.name)
        self._attr_suggested_display_precision = display_precision(unit)
        if (
            unit
            and self._attr_device_class is None
            and unit not in _unknown_units_logged
        ):
            _unknown_units_logged.add(unit)
            LOGGER.warning(
                "Unknown unit %r of %s: its sensors have no device class",
                unit,
                series.name,
            )

    @property
    def available(self) -> bool:
        """Return whether the coordinator has data of this series."""
        return super().available and self._series_key in self.coordinator.data.series

    @property
    def native_value(self) -> float | None:
        """Return the value of the newest month that has ended."""
        series = self.coordinator.data.series.get(self._series_key)
        if series is None or (row := series.latest_complete(dt_util.utcnow())) is None:
            return None
        return self.entity_description.value_fn(row)


class MomentumEnergiUpdatedSensor(MomentumEnergiEntity, SensorEntity):
    """When Momentum last changed any of an item's data (a diagnostic)."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    # A diagnostic most users never look at.
    _attr_entity_registry_enabled_default = False
    _attr_translation_key = "data_updated"

    def __init__(self, coordinator: MomentumEnergiCoordinator, item_key: str) -> None:
        """Create the sensor of one item."""
        super().__init__(coordinator, item_key, "data_updated")

    @property
    def available(self) -> bool:
        """Return whether the coordinator has data of this item."""
        return super().available and self.item_key in self.coordinator.data.updated

    @property
    def native_value(self) -> datetime | None:
        """Return the newest lastUpdated of the item's rows."""
        return self.coordinator.data.updated.get(self.item_key)
