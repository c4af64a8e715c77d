"""Sensors of the MOOST integration.

Read-back: the latest recommendation's title and, where the subscription has
them, the next hour's consumption and generation forecasts. Push side
(diagnostic): the outbox length and the time of the last delivery.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import FORECASTS, MoostConfigEntry, MoostCoordinator, MoostReadBack
from .entity import MoostEntity, MoostPushEntity
from .push import MoostForwarder

# Coordinator- and forwarder-driven: no entity polls MOOST by itself.
PARALLEL_UPDATES = 0

# HA keeps states up to 255 characters; a longer title is cut.
_MAX_STATE = 255


def _latest_title(data: MoostReadBack) -> str | None:
    latest = data.latest
    if latest is None:
        return None
    title = latest.title or latest.text
    return title[:_MAX_STATE] if title else None


def _latest_attributes(data: MoostReadBack) -> dict[str, Any] | None:
    latest = data.latest
    if latest is None:
        return None
    return {
        "notification_id": latest.id,
        "message": latest.text,
        "rule_id": latest.rule_id,
        "created": latest.created.isoformat(),
        "actions": [action.qualifier for action in latest.actions if action.qualifier],
    }


def _forecast_value(key: str) -> Callable[[MoostReadBack], float | None]:
    def value(data: MoostReadBack) -> float | None:
        forecast = data.forecasts.get(key)
        upcoming = forecast.next_value(dt_util.utcnow()) if forecast else None
        return upcoming.value if upcoming else None

    return value


def _forecast_attributes(key: str) -> Callable[[MoostReadBack], dict[str, Any] | None]:
    def attributes(data: MoostReadBack) -> dict[str, Any] | None:
        forecast = data.forecasts.get(key)
        upcoming = forecast.upcoming(dt_util.utcnow()) if forecast else []
        return {
            "forecast": [
                {"time": item.time.isoformat(), "value": item.value}
                for item in upcoming
            ]
        }

    return attributes


def _has_forecast(key: str) -> Callable[[MoostReadBack], bool]:
    return lambda data: key in data.forecasts


@dataclass(frozen=True, kw_only=True)
class MoostSensorEntityDescription(SensorEntityDescription):
    """Describes a read-back sensor."""

    value_fn: Callable[[MoostReadBack], str | float | None]
    attributes_fn: Callable[[MoostReadBack], Mapping[str, Any] | None] = lambda _: None
    exists_fn: Callable[[MoostReadBack], bool] = lambda _: True


LATEST_RECOMMENDATION = MoostSensorEntityDescription(
    key="latest_recommendation",
    translation_key="latest_recommendation",
    value_fn=_latest_title,
    attributes_fn=_latest_attributes,
)

FORECAST_SENSORS: tuple[MoostSensorEntityDescription, ...] = tuple(
    MoostSensorEntityDescription(
        key=f"{key}_forecast_next_hour",
        translation_key=f"{key}_forecast_next_hour",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_forecast_value(key),
        attributes_fn=_forecast_attributes(key),
        exists_fn=_has_forecast(key),
    )
    for key in FORECASTS
)


@dataclass(frozen=True, kw_only=True)
class MoostPushSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor of the push side."""

    value_fn: Callable[[MoostForwarder], int | datetime | None]


PUSH_SENSORS: tuple[MoostPushSensorEntityDescription, ...] = (
    MoostPushSensorEntityDescription(
        key="outbox_length",
        translation_key="outbox_length",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda forwarder: forwarder.outbox_length,
    ),
    MoostPushSensorEntityDescription(
        key="last_delivery",
        translation_key="last_delivery",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda forwarder: forwarder.last_delivery,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MoostConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors; forecast sensors once MOOST has the forecast."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        [
            MoostSensor(coordinator, LATEST_RECOMMENDATION),
            *(MoostPushSensor(entry, description) for description in PUSH_SENSORS),
        ]
    )
    added: set[str] = set()

    @callback
    def _add_forecasts() -> None:
        """Add a forecast sensor when its forecast first appears."""
        if not coordinator.has_data:
            return
        new = [
            description
            for description in FORECAST_SENSORS
            if description.key not in added and description.exists_fn(coordinator.data)
        ]
        added.update(description.key for description in new)
        if new:
            async_add_entities(MoostSensor(coordinator, desc) for desc in new)

    _add_forecasts()
    entry.async_on_unload(coordinator.async_add_listener(_add_forecasts))


class MoostSensor(MoostEntity, SensorEntity):
    """A read-back sensor."""

    entity_description: MoostSensorEntityDescription

    def __init__(
        self,
        coordinator: MoostCoordinator,
        description: MoostSensorEntityDescription,
    ) -> None:
        """Create the sensor."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    @override
    def available(self) -> bool:
        """A forecast sensor is unavailable while MOOST has no forecast."""
        return super().available and self.entity_description.exists_fn(
            self.coordinator.data
        )

    @property
    @override
    def native_value(self) -> str | float | None:
        """Return the value of the newest data."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the details (the message, upcoming forecast values)."""
        return self.entity_description.attributes_fn(self.coordinator.data)


class MoostPushSensor(MoostPushEntity, SensorEntity):
    """A diagnostic sensor of the forwarder."""

    entity_description: MoostPushSensorEntityDescription

    def __init__(
        self, entry: MoostConfigEntry, description: MoostPushSensorEntityDescription
    ) -> None:
        """Create the sensor."""
        super().__init__(entry, description.key)
        self.entity_description = description

    @property
    @override
    def native_value(self) -> int | datetime | None:
        """Return the forwarder's current figure."""
        return self.entity_description.value_fn(self.forwarder)
