"""Base entity of the Momentum Energi integration."""

from collections.abc import Callable
from typing import override

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import MomentumEnergiCoordinator


class MomentumEnergiEntity(CoordinatorEntity[MomentumEnergiCoordinator]):
    """An entity of one structure item (an estate, building, ...: the device)."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: MomentumEnergiCoordinator, item_key: str, key: str
    ) -> None:
        """Create the entity; ``key`` makes its unique id within the item."""
        super().__init__(coordinator)
        self.item_key = item_key
        self.forget: Callable[[], None] | None = None
        """Called when the entity leaves Home Assistant (its platform re-adds it)."""
        identifier = coordinator.device_identifier(item_key)
        self._attr_unique_id = f"{identifier}_{key}"
        item = coordinator.data.items.get(item_key)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, identifier)},
            manufacturer="Momentum Energi",
            model=(item.level_name if item else None) or coordinator.api_level,
            name=coordinator.data.item_name(item_key),
            serial_number=item.number if item else item_key,
        )

    @override
    async def async_will_remove_from_hass(self) -> None:
        """Let the platform know the entity is gone (a returning item gets it back)."""
        await super().async_will_remove_from_hass()
        if self.forget is not None:
            self.forget()
