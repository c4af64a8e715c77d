"""Recommendations: the moost_notification event and the event entity."""

from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.moost.const import EVENT_NOTIFICATION, UPDATE_INTERVAL
from simulators.moost import MoostSimulator
from tests.helpers import async_tick

from .conftest import NOW, setup_entry

pytestmark = pytest.mark.freeze_time(NOW)

EVENT_ENTITY = "event.moost_home_recommendation"
LATEST = "sensor.moost_home_latest_recommendation"
HIGH_CONSUMPTION = "65a0c1e2f3a4b5c6d7e8f901"
SOLAR_SURPLUS = "65a0c1e2f3a4b5c6d7e8f902"
STEP = UPDATE_INTERVAL + timedelta(seconds=1)


async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Registry entry and state of the recommendation event entity."""
    with patch("custom_components.moost.PLATFORMS", [Platform.EVENT]):
        await setup_entry(hass, mock_config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_old_notifications_do_not_fire(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """What MOOST held before the entry existed is old news: no event."""
    simulator.fire(rule_id=HIGH_CONSUMPTION)
    events = async_capture_events(hass, EVENT_NOTIFICATION)
    await setup_entry(hass, mock_config_entry)
    assert events == []
    assert hass.states.get(EVENT_ENTITY).state == STATE_UNKNOWN
    # ... but the sensor shows it, in HA's language.
    assert hass.states.get(LATEST).state == "High consumption"


async def test_new_notification_fires_event_and_entity(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each new notification fires once: HA event, event entity, sensor."""
    events = async_capture_events(hass, EVENT_NOTIFICATION)
    notification = simulator.fire(rule_id=SOLAR_SURPLUS)
    await async_tick(hass, freezer, STEP)
    assert len(events) == 1
    data = events[0].data
    assert data["config_entry_id"] == init_integration.entry_id
    assert data["building_id"] == "home"
    assert data["notification_id"] == notification["id"]
    assert data["title"] == "Use your solar surplus"
    assert data["message"] == "Now is a good time to run the dishwasher."
    assert data["rule_id"] == SOLAR_SURPLUS
    assert data["rule_name"] == "Solar surplus"
    assert {"key": "dismiss", "action": "DISMISS", "text": "Dismiss"} in data["actions"]
    state = hass.states.get(EVENT_ENTITY)
    assert state.state != STATE_UNKNOWN
    assert state.attributes["event_type"] == "recommendation"
    assert state.attributes["notification_id"] == notification["id"]
    assert "config_entry_id" not in state.attributes
    latest = hass.states.get(LATEST)
    assert latest.state == "Use your solar surplus"
    assert latest.attributes["notification_id"] == notification["id"]
    assert latest.attributes["actions"] == ["DISMISS", "OPENAPP"]

    # Polling again finds nothing new: nothing fires twice.
    fired_at = state.state
    await async_tick(hass, freezer, STEP)
    assert len(events) == 1
    assert hass.states.get(EVENT_ENTITY).state == fired_at


async def test_no_refire_after_restart_and_none_lost(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Seen ids survive a reload; one made while unloaded fires after it."""
    events = async_capture_events(hass, EVENT_NOTIFICATION)
    first = simulator.fire(rule_id=HIGH_CONSUMPTION)
    await async_tick(hass, freezer, STEP)
    assert [event.data["notification_id"] for event in events] == [first["id"]]

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    second = simulator.fire(rule_id=SOLAR_SURPLUS)
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["notification_id"] for event in events] == [
        first["id"],
        second["id"],
    ]


async def test_events_fire_with_entities_disabled(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polling goes on with every entity disabled (automations need the event).

    keep_alive and the platforms' own listeners (new rules, new forecasts)
    both keep the coordinator scheduled.
    """
    for entry in er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    ):
        entity_registry.async_update_entity(
            entry.entity_id, disabled_by=er.RegistryEntryDisabler.USER
        )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.async_entity_ids("sensor") == []
    before = simulator.counters["notifications"]
    events = async_capture_events(hass, EVENT_NOTIFICATION)
    simulator.fire()
    await async_tick(hass, freezer, STEP)
    assert simulator.counters["notifications"] == before + 1
    assert len(events) == 1


async def test_first_notification_ever_fires(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A building without notifications at setup: the first one is new."""
    events = async_capture_events(hass, EVENT_NOTIFICATION)
    await async_tick(hass, freezer, STEP)
    simulator.fire()
    await async_tick(hass, freezer, STEP)
    assert len(events) == 1


async def test_forgotten_ids_never_fire_again(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Only recent ids are kept; an old notification MOOST still lists stays old."""
    events = async_capture_events(hass, EVENT_NOTIFICATION)
    first = simulator.fire()
    await async_tick(hass, freezer, STEP)
    freezer.tick(timedelta(days=3))
    second = simulator.fire()
    await async_tick(hass, freezer, STEP)
    await async_tick(hass, freezer, STEP)
    assert [event.data["notification_id"] for event in events] == [
        first["id"],
        second["id"],
    ]
    coordinator = init_integration.runtime_data.coordinator
    assert list(coordinator._stored()["seen"]) == [second["id"]]


async def test_each_notification_is_its_own_state(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Two recommendations in one refresh: two states of the event entity."""
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    first = simulator.fire(rule_id=HIGH_CONSUMPTION)
    freezer.tick(timedelta(seconds=1))
    second = simulator.fire(rule_id=SOLAR_SURPLUS)
    await async_tick(hass, freezer, STEP)
    ids = [
        change.data["new_state"].attributes["notification_id"]
        for change in changes
        if change.data["entity_id"] == EVENT_ENTITY
    ]
    assert ids == [first["id"], second["id"]]
