"""The ``pushed_meter`` subentry flow: every error, then recovery."""

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enerkey.push import (
    CONF_ENTITY_ID,
    CONF_METER_ID,
    CONF_MODE,
    CONF_SINCE,
    MODE_CONSUMPTION,
    MODE_CUMULATIVE,
    SUBENTRY_PUSHED_METER,
)

from .conftest import NOW
from .test_push import SENSOR, kwh_sensor

pytestmark = pytest.mark.freeze_time(NOW)


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PUSHED_METER), context={"source": "user"}
    )
    return dict(result)


async def _submit(
    hass: HomeAssistant,
    flow_id: str,
    meter_id: str = "2001",
    mode: str = MODE_CONSUMPTION,
    entity_id: str = SENSOR,
) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_ENTITY_ID: entity_id, CONF_METER_ID: meter_id, CONF_MODE: mode}
    )
    return dict(result)


async def test_add_a_pushed_meter(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Meters HA can convert to are offered; the registry id is stored."""
    registered = entity_registry.async_get_or_create(
        "sensor", "demo", "heat_pump", suggested_object_id="heat_pump_energy"
    )
    kwh_sensor(hass)
    result = await _start(hass, init_integration)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"].schema
    options = next(
        selector.config["options"]
        for key, selector in schema.items()
        if key == CONF_METER_ID
    )
    offered = {option["value"] for option in options}
    assert offered == {"2001", "2002", "2003", "2011", "2012", "2021", "2022"}
    assert "2004" not in offered  # Nm3: no unit HA converts to
    with pytest.raises(InvalidData):
        await _submit(hass, result["flow_id"], "2004")

    result = await _submit(hass, result["flow_id"], "2002", MODE_CUMULATIVE)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == (
        "Heat pump energy → Toimisto Ruoholahti · District heating (MWh, 2002)"
    )
    assert result["data"] == {
        CONF_ENTITY_ID: registered.id,
        CONF_METER_ID: "2002",
        CONF_MODE: MODE_CUMULATIVE,
        CONF_SINCE: "2026-10-27T10:00:00+00:00",
    }
    await hass.async_block_till_done()
    (subentry,) = init_integration.subentries.values()
    assert subentry.unique_id == "2002"
    assert init_integration.runtime_data.pusher.meters[subentry.subentry_id]


async def test_errors_and_recovery(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each refusal keeps the form open; a good answer then goes through."""
    kwh_sensor(hass, "sensor.measurement", state_class="measurement")
    kwh_sensor(hass, "sensor.resetting", state_class="total")
    kwh_sensor(hass)
    flow_id = (await _start(hass, init_integration))["flow_id"]

    result = await _submit(hass, flow_id, entity_id="sensor.measurement")
    assert result["errors"] == {CONF_ENTITY_ID: "not_a_meter"}
    result = await _submit(hass, flow_id, entity_id="sensor.nowhere")
    assert result["errors"] == {CONF_ENTITY_ID: "entity_missing"}
    kwh_sensor(hass, "sensor.power_total", unit="W", state_class="total")
    result = await _submit(hass, flow_id, entity_id="sensor.power_total")
    assert result["errors"] == {"base": "unit_mismatch"}
    result = await _submit(hass, flow_id, "2003")  # kWh into a water meter
    assert result["errors"] == {"base": "unit_mismatch"}
    assert result["description_placeholders"] == {"unit": "kWh", "meter_unit": "m³"}
    result = await _submit(hass, flow_id, "2001", MODE_CUMULATIVE, "sensor.resetting")
    assert result["errors"] == {CONF_MODE: "cumulative_needs_increasing"}

    # The meter vanished from the profile while the form was open.
    meters = init_integration.runtime_data.data.meters
    meter = meters.pop("2011")
    result = await _submit(hass, flow_id, "2011")
    assert result["errors"] == {CONF_METER_ID: "unknown_meter"}
    meters["2011"] = meter

    other_flow = (await _start(hass, init_integration))["flow_id"]
    result = await _submit(hass, flow_id, "2001", entity_id="sensor.resetting")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ENTITY_ID] == "sensor.resetting"  # not registered

    # One sensor per EnerKey meter: a second one would overwrite its hours.
    # A form opened before 2001 was taken still lists it: refused on submit.
    result = await _submit(hass, other_flow, "2001")
    assert result["errors"] == {CONF_METER_ID: "meter_taken"}
    result = await _submit(hass, other_flow, "2011")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # A new form no longer offers the taken meters (the frontend would
    # preselect the first one).
    result = await _start(hass, init_integration)
    options = next(
        selector.config["options"]
        for key, selector in result["data_schema"].schema.items()
        if key == CONF_METER_ID
    )
    assert {option["value"] for option in options} == {
        "2002",
        "2003",
        "2012",
        "2021",
        "2022",
    }
    with pytest.raises(InvalidData):
        await _submit(hass, result["flow_id"], "2001")


async def test_entry_not_loaded_aborts(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without a loaded entry there is no meter list to choose from."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    result = await _start(hass, init_integration)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"
