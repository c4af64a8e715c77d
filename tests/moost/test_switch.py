"""Rule switches: on = the rule is active for the building."""

from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import (
    DOMAIN as SWITCH_DOMAIN,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.moost.const import RULES_INTERVAL
from simulators import Fault
from simulators.moost import MoostSimulator, SimRule
from tests.helpers import async_tick

from .conftest import NOW, setup_entry

pytestmark = pytest.mark.freeze_time(NOW)

SWITCH = "switch.moost_home_solar_surplus"
SOLAR_SURPLUS = "65a0c1e2f3a4b5c6d7e8f902"


async def test_a_switch_per_rule(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Every rule of the customer is a switch, on while active for the building."""
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    switches = sorted(e.entity_id for e in entries if e.domain == "switch")
    assert switches == [
        "switch.moost_home_battery_low",
        "switch.moost_home_high_consumption",
        "switch.moost_home_solar_surplus",
    ]
    entry = entity_registry.async_get(SWITCH)
    assert entry.unique_id == f"{MoostSimulator.CUSTOMER_ID}_home_rule_{SOLAR_SURPLUS}"
    state = hass.states.get(SWITCH)
    assert state.state == STATE_ON
    assert state.attributes["rule_id"] == SOLAR_SURPLUS
    assert state.attributes["description"] == (
        "The solar system feeds energy into the grid."
    )


async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Registry entries and states of the rule switches."""
    with patch("custom_components.moost.PLATFORMS", [Platform.SWITCH]):
        await setup_entry(hass, mock_config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_turn_off_and_on(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Switching writes the rule's activity to MOOST and shows it at once."""
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    building = simulator.building()
    assert building is not None
    assert SOLAR_SURPLUS in building["inactiveRules"]
    assert hass.states.get(SWITCH).state == STATE_OFF
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert SOLAR_SURPLUS in building["activeRules"]
    assert SOLAR_SURPLUS not in building["inactiveRules"]
    assert hass.states.get(SWITCH).state == STATE_ON
    assert simulator.counters["set_rule"] == 2


async def test_switch_shows_the_change_when_the_reread_fails(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The PUT went through; a failing re-read does not hide the new state."""
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="building_rules")
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert hass.states.get(SWITCH).state == STATE_OFF


async def test_switch_error(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A failed PUT raises a translated error and leaves the switch as it was."""
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="set_rule")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    assert err.value.translation_key == "rule_failed"
    assert err.value.translation_placeholders["name"] == "Solar surplus"
    assert hass.states.get(SWITCH).state == STATE_ON


async def test_rules_appear_and_vanish(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A rule added at MOOST becomes a switch; a removed one is unavailable."""
    customer = simulator.customer
    customer.rules["65a0c1e2f3a4b5c6d7e8f9ff"] = SimRule(
        id="65a0c1e2f3a4b5c6d7e8f9ff",
        name="Night heating",
        description="Heating at night.",
        event_type="TEMPERATURE",
        threshold=30.0,
        title={"en": "Heating at night"},
    )
    del customer.rules[SOLAR_SURPLUS]
    await async_tick(hass, freezer, RULES_INTERVAL)
    assert hass.states.get("switch.moost_home_night_heating").state == STATE_OFF
    assert hass.states.get(SWITCH).state == STATE_UNAVAILABLE
