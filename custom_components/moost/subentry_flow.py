"""The ``device`` subentry flow: a device added by hand, with its entities.

Step ``user``: the device's name and MOOST type (the spec's values). Step
``entities``: one entity selector per event type that type supports, named
``<event type in lower case>_entity``, filtered by domain and device class;
units and state classes are checked on submit (energy must be a
total/total_increasing counter in an energy unit, power in a power unit, ...).
``reconfigure`` edits the same fields.
"""

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import PERCENTAGE, Platform
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    EntityWithDeviceFilterSelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.util.unit_conversion import (
    EnergyConverter,
    PowerConverter,
    TemperatureConverter,
)
import probatio

from .push.catalog import DEVICE_EVENT_TYPES, DeviceType, EventType, entity_field
from .push.energy_prefs import CONF_DEVICE_TYPE, CONF_NAME, SUBENTRY_TYPE

# Hand-added devices are anything but the household itself. The values are
# the spec's (upper case); hassfest allows only lower-case keys for
# translated selector options, so the labels are plain English names.
DEVICE_TYPES: Final = [t.value for t in DeviceType if t is not DeviceType.GATEWAY]
_TYPE_OPTIONS: Final = [
    SelectOptionDict(value=value, label=value.replace("_", " ").capitalize())
    for value in DEVICE_TYPES
]

_ENERGY: Final = (
    EventType.ENERGY_CONSUMPTION,
    EventType.ENERGY_IMPORT,
    EventType.ENERGY_EXPORT,
)
_TEMPERATURE: Final = (EventType.TEMPERATURE, EventType.WATER_TEMPERATURE)
_NUMERIC_DOMAINS: Final = [
    Platform.SENSOR,
    Platform.NUMBER,
    "input_number",
    Platform.SELECT,
]
_SWITCH_DOMAINS: Final = [
    Platform.SWITCH,
    Platform.BINARY_SENSOR,
    Platform.LIGHT,
    "input_boolean",
]


def _filter(event_type: EventType) -> EntityWithDeviceFilterSelectorConfig:
    """Return which entities can feed an event type."""
    if event_type in _ENERGY:
        return {"domain": Platform.SENSOR, "device_class": SensorDeviceClass.ENERGY}
    if event_type is EventType.POWER_CONSUMPTION:
        return {"domain": Platform.SENSOR, "device_class": SensorDeviceClass.POWER}
    if event_type in _TEMPERATURE:
        return {
            "domain": Platform.SENSOR,
            "device_class": SensorDeviceClass.TEMPERATURE,
        }
    if event_type is EventType.STATE_OF_CHARGE_RATE:
        return {"domain": Platform.SENSOR, "device_class": SensorDeviceClass.BATTERY}
    if event_type is EventType.SWITCH_STATE:
        return {"domain": _SWITCH_DOMAINS}
    return {"domain": _NUMERIC_DOMAINS}


def _unit_error(event_type: EventType, attributes: Mapping[str, Any]) -> str | None:
    """Return the error key when an entity's unit or state class does not fit."""
    unit = attributes.get("unit_of_measurement")
    if event_type in _ENERGY:
        if unit not in EnergyConverter.VALID_UNITS:
            return "energy_unit"
        if attributes.get("state_class") not in (
            SensorStateClass.TOTAL,
            SensorStateClass.TOTAL_INCREASING,
        ):
            return "not_a_counter"
    elif event_type is EventType.POWER_CONSUMPTION:
        if unit not in PowerConverter.VALID_UNITS:
            return "power_unit"
    elif event_type in _TEMPERATURE:
        if unit not in TemperatureConverter.VALID_UNITS:
            return "temperature_unit"
    elif event_type is EventType.STATE_OF_CHARGE_RATE and unit != PERCENTAGE:
        return "percentage_unit"
    return None


class MoostDeviceSubentryFlow(ConfigSubentryFlow):
    """Add or edit a hand-made MOOST device."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._name = ""
        self._device_type = DeviceType.APPLIANCE
        self._current: dict[str, Any] = {}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the device's name and MOOST type."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = " ".join(str(user_input[CONF_NAME]).split())
            if not name or len(name) > 100:
                errors[CONF_NAME] = "invalid_name"
            else:
                self._name = name
                self._device_type = DeviceType(user_input[CONF_DEVICE_TYPE])
                return await self.async_step_entities()
        defaults = user_input or self._current
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_NAME, default=defaults.get(CONF_NAME, probatio.UNDEFINED)
                ): TextSelector(),
                probatio.Required(
                    CONF_DEVICE_TYPE,
                    default=defaults.get(CONF_DEVICE_TYPE, DeviceType.APPLIANCE.value),
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=_TYPE_OPTIONS, mode=SelectSelectorMode.DROPDOWN
                    )
                ),
            }
        )
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit a device: the same two steps, prefilled."""
        self._current = dict(self._get_reconfigure_subentry().data)
        return await self.async_step_user()

    async def async_step_entities(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for one entity per event type the device type supports."""
        event_types = DEVICE_EVENT_TYPES[self._device_type]
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = {
                entity_field(t): user_input[entity_field(t)]
                for t in event_types
                if user_input.get(entity_field(t))
            }
            for event_type in event_types:
                key = entity_field(event_type)
                if key in chosen and (state := self.hass.states.get(chosen[key])):
                    if error := _unit_error(event_type, state.attributes):
                        errors[key] = error
            if not chosen:
                errors["base"] = "no_entities"
            if not errors:
                data = {
                    CONF_NAME: self._name,
                    CONF_DEVICE_TYPE: self._device_type.value,
                }
                data |= chosen
                if self.source == "reconfigure":
                    return self.async_update_and_abort(
                        self._get_entry(),
                        self._get_reconfigure_subentry(),
                        title=self._name,
                        data=data,
                    )
                return self.async_create_entry(title=self._name, data=data)
        defaults = user_input or self._current
        schema = probatio.Schema(
            {
                probatio.Optional(
                    entity_field(event_type),
                    description={
                        "suggested_value": defaults.get(entity_field(event_type))
                    },
                ): EntitySelector(EntitySelectorConfig(filter=_filter(event_type)))
                for event_type in event_types
            }
        )
        return self.async_show_form(
            step_id="entities",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "name": self._name,
                "device_type": self._device_type,
            },
        )


def async_get_supported_subentry_types(
    config_entry: ConfigEntry,
) -> dict[str, type[ConfigSubentryFlow]]:
    """Return the subentry types of a MOOST entry (the config flow delegates here)."""
    return {SUBENTRY_TYPE: MoostDeviceSubentryFlow}
