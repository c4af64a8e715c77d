"""Meters EnerKey drops lose their sensors; meters that return get them back."""

from datetime import timedelta
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enerkey.api import CallBudget
from simulators.enerkey import EnerKeySimulator
from tests.helpers import async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

WATER = "sensor.toimisto_ruoholahti_cold_water_yesterday"


async def test_dropped_meter_loses_its_sensors(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """The daily structure read removes a dropped meter's registry entries."""
    # The budget's default clock is the real one, which a frozen test does
    # not move: more than a burst of calls in one real window would wait on
    # a frozen loop. Let it follow the frozen clock (time.time is frozen here).
    init_integration.runtime_data.client.budget = CallBudget(clock=time.time)
    assert entity_registry.async_get(WATER) is not None
    meter = simulator.meters.pop(2003)
    await async_tick(hass, freezer, timedelta(hours=24))
    assert entity_registry.async_get(WATER) is None
    assert hass.states.get(WATER) is None
    # Other meters of the facility keep theirs.
    assert hass.states.get("sensor.toimisto_ruoholahti_main_electricity_yesterday")

    simulator.meters[2003] = meter
    await async_tick(hass, freezer, timedelta(hours=24))
    assert entity_registry.async_get(WATER) is not None
    assert hass.states.get(WATER) is not None
