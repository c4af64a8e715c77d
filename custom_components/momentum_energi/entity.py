"""Base entity of the Momentum Energi integration."""

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
        identifier = coordinator.device_identifier(item_key)
        self._attr_unique_id = f"{identifier}_{key}"
        item = coordinator.data.items.get(item_key)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, identifier)},
            manufacturer="Momentum Energi",
            model=(item.level_name if item else None) or coordinator.level,
            name=coordinator.data.item_name(item_key),
            serial_number=item.number if item else item_key,
        )
