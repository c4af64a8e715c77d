"""Event entity of the eSmart Systems integration: new messages (outage notices)."""

from typing import override

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ESmartConfigEntry, ESmartCoordinator
from .entity import ESmartEntity, customer_device

PARALLEL_UPDATES = 0

EVENT_MESSAGE = "message"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ESmartConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one message event entity per customer."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        MessageEvent(coordinator, customer_id)
        for customer_id in coordinator.data.customers
    )


class MessageEvent(ESmartEntity[ESmartCoordinator], EventEntity):
    """Fires once for each message the utility sends the customer."""

    _attr_translation_key = "message"

    def __init__(self, coordinator: ESmartCoordinator, customer_id: str) -> None:
        """Create the event entity of one customer."""
        super().__init__(
            coordinator,
            f"{coordinator.area}_customer_{customer_id}_message",
            customer_device(coordinator.area, customer_id),
        )
        self._customer_id = customer_id
        self._fired: set[str] = set()
        self._attr_event_types = [EVENT_MESSAGE]

    @override
    async def async_added_to_hass(self) -> None:
        """Fire for messages the first refresh found (they came while stopped)."""
        await super().async_added_to_hass()
        self._fire_new()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Fire for every message the latest refresh saw first."""
        self._fire_new()
        super()._handle_coordinator_update()

    @callback
    def _fire_new(self) -> None:
        """Trigger one event per new message of this customer.

        The state is written after each one: an automation sees every
        message, not only the last of several that came in one refresh.
        """
        for customer_id, message in self.coordinator.new_messages:
            if customer_id != self._customer_id or message.id in self._fired:
                continue
            self._fired.add(message.id)
            self._trigger_event(
                EVENT_MESSAGE,
                {
                    "message_id": message.id,
                    "subject": message.subject,
                    "text": message.text,
                    "category": message.category,
                    "severity": message.severity,
                    "sent": message.sent.isoformat() if message.sent else None,
                },
            )
            self.async_write_ha_state()
