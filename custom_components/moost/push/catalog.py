"""MOOST event and device types as the official OpenAPI spec spells them.

Every name here was checked against the ``type``/``source`` enums of
``moost-openapi.json`` (2026-06); the cadences and units follow the vendor's
guide (``moost.txt``, table "Customer Provided Types").
"""

from enum import StrEnum
from typing import Final


class EventType(StrEnum):
    """Event types HA provides to MOOST (the spec's ``Event.type`` enum)."""

    ENERGY_CONSUMPTION = "ENERGY_CONSUMPTION"
    ENERGY_CONSUMPTION_YESTERDAY = "ENERGY_CONSUMPTION_YESTERDAY"
    ENERGY_GENERATION = "ENERGY_GENERATION"
    ENERGY_GENERATION_YESTERDAY = "ENERGY_GENERATION_YESTERDAY"
    GRID_ENERGY_CONSUMPTION = "GRID_ENERGY_CONSUMPTION"
    GRID_ENERGY_CONSUMPTION_YESTERDAY = "GRID_ENERGY_CONSUMPTION_YESTERDAY"
    POWER_CONSUMPTION = "POWER_CONSUMPTION"
    POWER_GENERATION = "POWER_GENERATION"
    POWER_EXCESS = "POWER_EXCESS"
    GRID_POWER_CONSUMPTION = "GRID_POWER_CONSUMPTION"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    ENERGY_IMPORT_YESTERDAY = "ENERGY_IMPORT_YESTERDAY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_EXPORT_YESTERDAY = "ENERGY_EXPORT_YESTERDAY"
    ENERGY_EXCESS = "ENERGY_EXCESS"
    ENERGY_EXCESS_YESTERDAY = "ENERGY_EXCESS_YESTERDAY"
    SELF_CONSUMPTION_RATE = "SELF_CONSUMPTION_RATE"
    SELF_CONSUMPTION_RATE_YESTERDAY = "SELF_CONSUMPTION_RATE_YESTERDAY"
    SELF_SUFFICIENCY_RATE = "SELF_SUFFICIENCY_RATE"
    SELF_SUFFICIENCY_RATE_YESTERDAY = "SELF_SUFFICIENCY_RATE_YESTERDAY"
    STATE_OF_CHARGE_RATE = "STATE_OF_CHARGE_RATE"
    CHARGING_MODE = "CHARGING_MODE"
    DEVICE_STATUS = "DEVICE_STATUS"
    SWITCH_STATE = "SWITCH_STATE"
    TEMPERATURE = "TEMPERATURE"
    WATER_TEMPERATURE = "WATER_TEMPERATURE"


# The "_YESTERDAY" companion of each daily-summed energy type.
YESTERDAY: Final[dict[EventType, EventType]] = {
    EventType.ENERGY_CONSUMPTION: EventType.ENERGY_CONSUMPTION_YESTERDAY,
    EventType.ENERGY_GENERATION: EventType.ENERGY_GENERATION_YESTERDAY,
    EventType.GRID_ENERGY_CONSUMPTION: EventType.GRID_ENERGY_CONSUMPTION_YESTERDAY,
    EventType.ENERGY_IMPORT: EventType.ENERGY_IMPORT_YESTERDAY,
    EventType.ENERGY_EXPORT: EventType.ENERGY_EXPORT_YESTERDAY,
    EventType.ENERGY_EXCESS: EventType.ENERGY_EXCESS_YESTERDAY,
    EventType.SELF_CONSUMPTION_RATE: EventType.SELF_CONSUMPTION_RATE_YESTERDAY,
    EventType.SELF_SUFFICIENCY_RATE: EventType.SELF_SUFFICIENCY_RATE_YESTERDAY,
}

# How a type is measured from an HA entity.
ENERGY_TYPES: Final = frozenset(
    {EventType.ENERGY_CONSUMPTION, EventType.ENERGY_IMPORT, EventType.ENERGY_EXPORT}
)
"""Slot increase of a total/total_increasing sensor, in Wh, every 15 minutes."""
MEAN_TYPES: Final = frozenset(
    {EventType.POWER_CONSUMPTION, EventType.TEMPERATURE, EventType.WATER_TEMPERATURE}
)
"""Time-weighted slot mean (W, °C), every 15 minutes."""
ON_CHANGE_TYPES: Final = frozenset(
    {
        EventType.STATE_OF_CHARGE_RATE,
        EventType.CHARGING_MODE,
        EventType.DEVICE_STATUS,
        EventType.SWITCH_STATE,
    }
)
"""Sent when the value changes (debounced)."""


class DeviceType(StrEnum):
    """MOOST device types (the spec's ``Device.type`` / ``Event.source`` enum).

    ``INPUT_DEVICE`` and ``MOOST`` are in the enum but are not devices a
    household has; they are left out of what a user can pick.
    """

    GATEWAY = "GATEWAY"
    SMART_METER = "SMART_METER"
    INVERTER = "INVERTER"
    BATTERY = "BATTERY"
    CAR = "CAR"
    CAR_CHARGER = "CAR_CHARGER"
    HEAT_PUMP = "HEAT_PUMP"
    SMART_PLUG = "SMART_PLUG"
    SOLAR_PANEL = "SOLAR_PANEL"
    WATER_HEATER = "WATER_HEATER"
    THERMOSTAT = "THERMOSTAT"
    SWITCH = "SWITCH"
    ENERGY_MEASUREMENT = "ENERGY_MEASUREMENT"
    APPLIANCE = "APPLIANCE"
    WALL_TABLET = "WALL_TABLET"
    THERMAL_ZONE = "THERMAL_ZONE"
    THERMAL_STORAGE = "THERMAL_STORAGE"
    DISHWASHER = "DISHWASHER"
    DRYER = "DRYER"
    WASHING_MACHINE = "WASHING_MACHINE"
    OVEN = "OVEN"
    REFRIGERATION = "REFRIGERATION"
    LIGHTING = "LIGHTING"
    ENTERTAINMENT = "ENTERTAINMENT"


# Types the guide allows for "ALL" device types.
_ALL: Final = (
    EventType.ENERGY_CONSUMPTION,
    EventType.POWER_CONSUMPTION,
    EventType.DEVICE_STATUS,
)

# Per device type, the event types a hand-added device can carry (guide's
# "Device Type" column). GATEWAY is the household built from the Energy
# dashboard, so it is not offered for hand-added devices.
DEVICE_EVENT_TYPES: Final[dict[DeviceType, tuple[EventType, ...]]] = {
    device_type: _ALL for device_type in DeviceType if device_type != DeviceType.GATEWAY
}
DEVICE_EVENT_TYPES[DeviceType.BATTERY] = (
    *_ALL,
    EventType.ENERGY_IMPORT,
    EventType.ENERGY_EXPORT,
    EventType.CHARGING_MODE,
)
DEVICE_EVENT_TYPES[DeviceType.CAR] = (*_ALL, EventType.STATE_OF_CHARGE_RATE)
DEVICE_EVENT_TYPES[DeviceType.CAR_CHARGER] = (
    *_ALL,
    EventType.CHARGING_MODE,
    EventType.SWITCH_STATE,
)
DEVICE_EVENT_TYPES[DeviceType.HEAT_PUMP] = (
    *_ALL,
    EventType.CHARGING_MODE,
    EventType.WATER_TEMPERATURE,
)
DEVICE_EVENT_TYPES[DeviceType.SMART_PLUG] = (
    *_ALL,
    EventType.CHARGING_MODE,
    EventType.SWITCH_STATE,
)
DEVICE_EVENT_TYPES[DeviceType.SWITCH] = (*_ALL, EventType.SWITCH_STATE)
DEVICE_EVENT_TYPES[DeviceType.THERMOSTAT] = (*_ALL, EventType.TEMPERATURE)
DEVICE_EVENT_TYPES[DeviceType.WATER_HEATER] = (*_ALL, EventType.WATER_TEMPERATURE)


def entity_field(event_type: EventType) -> str:
    """Return the subentry data key of an event type's entity."""
    return f"{event_type.lower()}_entity"
