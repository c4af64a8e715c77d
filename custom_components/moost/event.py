"""Event entity of the MOOST integration: one per building, a recommendation each.

Each new push notification also fires the HA event ``moost_notification``
(see coordinator.py), which works even with this entity disabled.
"""

from typing import override

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import NOTIFICATION_EVENT_TYPE
from .coordinator import MoostConfigEntry, MoostCoordinator
from .entity import MoostEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MoostConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the building's recommendation event entity."""
    async_add_entities([MoostNotificationEvent(entry.runtime_data.coordinator)])


class MoostNotificationEvent(MoostEntity, EventEntity):
    """Fires when MOOST makes a new recommendation for the building."""

    _attr_translation_key = "recommendation"

    def __init__(self, coordinator: MoostCoordinator) -> None:
        """Create the event entity."""
        super().__init__(coordinator, "recommendation")
        self._attr_event_types = [NOTIFICATION_EVENT_TYPE]

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Trigger once per notification the last refresh saw first.

        Each one is written as its own state, so an automation on the entity
        sees every recommendation, also when one refresh brings several.
        """
        if not self.coordinator.new_notifications:
            super()._handle_coordinator_update()
            return
        for notification in self.coordinator.new_notifications:
            data = self.coordinator.event_data(notification)
            del data["config_entry_id"]
            self._trigger_event(NOTIFICATION_EVENT_TYPE, data)
            self.async_write_ha_state()
