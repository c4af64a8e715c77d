"""Base entity of the Omnimetic integration."""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import OmnimeticCoordinator


class OmnimeticEntity(CoordinatorEntity[OmnimeticCoordinator]):
    """An entity of one utility service account (the device)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: OmnimeticCoordinator, key: str) -> None:
        """Create the entity; ``key`` makes its unique id within the account."""
        super().__init__(coordinator)
        account = coordinator.service_account_id
        self._attr_unique_id = f"{account}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, account)},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Omnimetic",
            model="Utility service account",
            name=coordinator.config_entry.title,
            serial_number=account,
        )
