"""The ``pushed_meter`` subentry flow: an HA sensor pushed into an EnerKey meter.

One step: the HA sensor (energy, gas or water; its state class and unit are
checked on submit), the EnerKey meter (a list of the profile's meters whose
unit HA can convert to) and the mode (consumption or cumulative readings).
The subentry's unique id is the meter id: two HA sensors pushing into one
EnerKey meter would overwrite each other's hours.
"""

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, Platform
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    EntityWithDeviceFilterSelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter
import probatio

from .common.statistics import hour_floor
from .coordinator import EnerKeyConfigEntry
from .push import (
    CONF_ENTITY_ID,
    CONF_METER_ID,
    CONF_MODE,
    CONF_SINCE,
    MODE_CONSUMPTION,
    MODE_CUMULATIVE,
    MODES,
    SUBENTRY_PUSHED_METER,
)

_UNITS = {
    EnergyConverter.UNIT_CLASS: EnergyConverter.VALID_UNITS,
    VolumeConverter.UNIT_CLASS: VolumeConverter.VALID_UNITS,
}
_DEVICE_CLASSES: list[str] = [
    SensorDeviceClass.ENERGY,
    SensorDeviceClass.GAS,
    SensorDeviceClass.WATER,
    SensorDeviceClass.VOLUME,
]


def _unit_class(unit: Any) -> str | None:
    """Return the unit class HA converts ``unit`` in (energy, volume)."""
    for unit_class, units in _UNITS.items():
        if unit in units:
            return unit_class
    return None


class PushedMeterSubentryFlow(ConfigSubentryFlow):
    """Add an HA sensor whose hours are pushed into an EnerKey meter."""

    def _meters(self) -> dict[str, tuple[str, str | None, str | None]]:
        """Return the profile's meters: id -> (label, unit, unit class)."""
        entry: EnerKeyConfigEntry = self._get_entry()
        data = entry.runtime_data.data
        meters = {}
        for meter_id, meter_data in sorted(data.meters.items()):
            meter = meter_data.meter
            facility = data.facilities.get(meter.facility_id)
            place = facility.name if facility else meter.facility_id
            unit = meter_data.unit.unit
            meters[meter_id] = (
                f"{place} · {meter.name} ({unit or '?'}, {meter_id})",
                unit,
                meter_data.unit.unit_class,
            )
        return meters

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the sensor, the EnerKey meter and the mode."""
        entry: EnerKeyConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        meters = self._meters()
        taken = {
            str(sub.data.get(CONF_METER_ID))
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_PUSHED_METER
        }
        errors: dict[str, str] = {}
        placeholders = {"unit": "", "meter_unit": ""}
        if user_input is not None:
            entity_id = user_input[CONF_ENTITY_ID]
            meter_id = str(user_input[CONF_METER_ID])
            mode = user_input[CONF_MODE]
            state = self.hass.states.get(entity_id)
            if meter_id not in meters:
                errors[CONF_METER_ID] = "unknown_meter"
            elif meter_id in taken:
                errors[CONF_METER_ID] = "meter_taken"
            elif state is None:
                errors[CONF_ENTITY_ID] = "entity_missing"
            else:
                unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
                state_class = state.attributes.get("state_class")
                label, meter_unit, meter_class = meters[meter_id]
                placeholders = {"unit": str(unit), "meter_unit": str(meter_unit)}
                if state_class not in (
                    SensorStateClass.TOTAL,
                    SensorStateClass.TOTAL_INCREASING,
                ):
                    errors[CONF_ENTITY_ID] = "not_a_meter"
                elif meter_class is None or _unit_class(unit) != meter_class:
                    errors["base"] = "unit_mismatch"
                elif (
                    mode == MODE_CUMULATIVE
                    and state_class != SensorStateClass.TOTAL_INCREASING
                ):
                    errors[CONF_MODE] = "cumulative_needs_increasing"
                else:
                    registry = er.async_get(self.hass)
                    # The registry id, not the entity id: a renamed entity
                    # keeps being pushed (its statistics follow the rename).
                    registered = registry.async_get(entity_id)
                    stored = registered.id if registered else entity_id
                    name = state.name or entity_id
                    return self.async_create_entry(
                        title=f"{name} → {label}",
                        data={
                            CONF_ENTITY_ID: stored,
                            CONF_METER_ID: meter_id,
                            CONF_MODE: mode,
                            CONF_SINCE: hour_floor(dt_util.utcnow()).isoformat(),
                        },
                        unique_id=meter_id,
                    )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_ENTITY_ID): EntitySelector(
                    EntitySelectorConfig(
                        filter=EntityWithDeviceFilterSelectorConfig(
                            domain=Platform.SENSOR, device_class=_DEVICE_CLASSES
                        )
                    )
                ),
                probatio.Required(CONF_METER_ID): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=meter_id, label=label)
                            for meter_id, (label, _, unit_class) in meters.items()
                            # A taken meter is not offered: the frontend
                            # preselects a required list's first option.
                            if unit_class is not None and meter_id not in taken
                        ],
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                probatio.Required(CONF_MODE, default=MODE_CONSUMPTION): SelectSelector(
                    SelectSelectorConfig(
                        options=list(MODES),
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_MODE,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )


def async_get_supported_subentry_types(
    config_entry: ConfigEntry,
) -> dict[str, type[ConfigSubentryFlow]]:
    """Return the subentry types of an entry (the config flow delegates here)."""
    return {SUBENTRY_PUSHED_METER: PushedMeterSubentryFlow}
