"""The ``device`` subentry flow: every path, errors and recovery, reconfigure."""

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.moost.config_flow import MoostConfigFlow
from custom_components.moost.subentry_flow import (
    DEVICE_TYPES,
    MoostDeviceSubentryFlow,
    async_get_supported_subentry_types,
)

KWH = {
    "unit_of_measurement": "kWh",
    "state_class": "total_increasing",
    "device_class": "energy",
}


@pytest.fixture(autouse=True)
def hooked() -> Generator[None]:
    """Offer the subentry type as the config flow does (patched until it is hooked in)."""
    entry = MockConfigEntry(domain="moost")
    assert async_get_supported_subentry_types(entry) == {
        "device": MoostDeviceSubentryFlow
    }
    if "device" in MoostConfigFlow.async_get_supported_subentry_types(entry):
        yield
        return
    with patch.object(
        MoostConfigFlow,
        "async_get_supported_subentry_types",
        classmethod(lambda cls, entry: async_get_supported_subentry_types(entry)),
    ):
        yield


@pytest.fixture
def entry(hass: HomeAssistant) -> MockConfigEntry:
    """Return a MOOST entry (not set up: the flow needs no running integration)."""
    entry = MockConfigEntry(
        domain="moost",
        data={"customer_building_id": "home"},
        subentries_data=[
            ConfigSubentryData(
                data={
                    "name": "Boiler",
                    "device_type": "WATER_HEATER",
                    "energy_consumption_entity": "sensor.boiler_energy",
                },
                subentry_type="device",
                title="Boiler",
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture(autouse=True)
def states(hass: HomeAssistant) -> None:
    """Entities to pick from."""
    hass.states.async_set("sensor.box_energy", "12.5", KWH)
    hass.states.async_set(
        "sensor.box_energy_wrong", "12.5", {**KWH, "unit_of_measurement": "m³"}
    )
    hass.states.async_set(
        "sensor.box_energy_measurement", "12.5", {**KWH, "state_class": "measurement"}
    )
    hass.states.async_set("sensor.box_power", "11000", {"unit_of_measurement": "W"})
    hass.states.async_set(
        "sensor.box_power_wrong", "11", {"unit_of_measurement": "kWh"}
    )
    hass.states.async_set("switch.box", "on")
    hass.states.async_set("sensor.car_soc", "55", {"unit_of_measurement": "%"})
    hass.states.async_set("sensor.car_soc_wrong", "55", {"unit_of_measurement": "kWh"})
    hass.states.async_set("sensor.water", "55", {"unit_of_measurement": "°C"})
    hass.states.async_set("sensor.water_wrong", "55", {"unit_of_measurement": "W"})


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Open the add-device dialog."""
    return await hass.config_entries.subentries.async_init(  # type: ignore[return-value]
        (entry.entry_id, "device"), context={"source": "user"}
    )


async def test_add_a_car_charger(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Name and type, then the entities; errors on the way, then recovery."""
    result = await start(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    schema = result["data_schema"].schema
    device_type = next(key for key in schema if key == "device_type")
    options = schema[device_type].config["options"]
    assert [option["value"] for option in options] == DEVICE_TYPES
    assert {"value": "CAR_CHARGER", "label": "Car charger"} in options
    assert "GATEWAY" not in DEVICE_TYPES

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "   ", "device_type": "CAR_CHARGER"}
    )
    assert result["errors"] == {"name": "invalid_name"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": " My\nWallbox ", "device_type": "CAR_CHARGER"}
    )
    assert result["step_id"] == "entities"
    assert result["description_placeholders"] == {
        "name": "My Wallbox",
        "device_type": "CAR_CHARGER",
    }
    fields = [str(key) for key in result["data_schema"].schema]
    assert fields == [
        "energy_consumption_entity",
        "power_consumption_entity",
        "device_status_entity",
        "charging_mode_entity",
        "switch_state_entity",
    ]

    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "no_entities"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "energy_consumption_entity": "sensor.box_energy_wrong",
            "power_consumption_entity": "sensor.box_power_wrong",
        },
    )
    assert result["errors"] == {
        "energy_consumption_entity": "energy_unit",
        "power_consumption_entity": "power_unit",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"energy_consumption_entity": "sensor.box_energy_measurement"},
    )
    assert result["errors"] == {"energy_consumption_entity": "not_a_counter"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "energy_consumption_entity": "sensor.box_energy",
            "power_consumption_entity": "sensor.box_power",
            "switch_state_entity": "switch.box",
            "device_status_entity": "sensor.not_there_yet",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "My Wallbox"
    subentry = next(s for s in entry.subentries.values() if s.title == "My Wallbox")
    assert subentry.subentry_type == "device"
    assert dict(subentry.data) == {
        "name": "My Wallbox",
        "device_type": "CAR_CHARGER",
        "energy_consumption_entity": "sensor.box_energy",
        "power_consumption_entity": "sensor.box_power",
        "switch_state_entity": "switch.box",
        "device_status_entity": "sensor.not_there_yet",
    }


@pytest.mark.parametrize(
    ("device_type", "field", "wrong", "error", "right"),
    [
        (
            "CAR",
            "state_of_charge_rate_entity",
            "sensor.car_soc_wrong",
            "percentage_unit",
            "sensor.car_soc",
        ),
        (
            "WATER_HEATER",
            "water_temperature_entity",
            "sensor.water_wrong",
            "temperature_unit",
            "sensor.water",
        ),
        (
            "THERMOSTAT",
            "temperature_entity",
            "sensor.water_wrong",
            "temperature_unit",
            "sensor.water",
        ),
        (
            "BATTERY",
            "energy_import_entity",
            "sensor.box_energy_wrong",
            "energy_unit",
            "sensor.box_energy",
        ),
    ],
)
async def test_units_per_type(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device_type: str,
    field: str,
    wrong: str,
    error: str,
    right: str,
) -> None:
    """Each type's fields check their unit; a fitting entity is accepted."""
    result = await start(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Thing", "device_type": device_type}
    )
    assert field in [str(key) for key in result["data_schema"].schema]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {field: wrong}
    )
    assert result["errors"] == {field: error}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {field: right}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {"name": "Thing", "device_type": device_type, field: right}


async def test_reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Reconfigure: prefilled, changes type and entities, updates in place."""
    subentry_id = next(iter(entry.subentries))
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["step_id"] == "user"
    schema = result["data_schema"].schema
    defaults = {str(key): key.default() for key in schema}
    assert defaults == {"name": "Boiler", "device_type": "WATER_HEATER"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Heat pump", "device_type": "HEAT_PUMP"}
    )
    assert result["step_id"] == "entities"
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested["energy_consumption_entity"] == "sensor.boiler_energy"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "energy_consumption_entity": "sensor.box_energy",
            "water_temperature_entity": "sensor.water",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Heat pump"
    assert dict(subentry.data) == {
        "name": "Heat pump",
        "device_type": "HEAT_PUMP",
        "energy_consumption_entity": "sensor.box_energy",
        "water_temperature_entity": "sensor.water",
    }
    assert len(entry.subentries) == 1
