"""Base entity of the MOOST integration."""

from typing import override

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import MoostConfigEntry, MoostCoordinator


def building_device(entry: MoostConfigEntry) -> tuple[str, DeviceInfo]:
    """Return the unique-id prefix and the device of an entry's building.

    Both come from MOOST's ids (customer and building), never from a name.
    """
    building_id = entry.runtime_data.coordinator.building_id
    prefix = f"{entry.unique_id}_{building_id}"
    return prefix, DeviceInfo(
        identifiers={(DOMAIN, prefix)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="MOOST",
        model="Building",
        name=entry.title,
        serial_number=building_id,
    )


class MoostEntity(CoordinatorEntity[MoostCoordinator]):
    """An entity of MOOST's read-back for one building (the device)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: MoostCoordinator, key: str) -> None:
        """Create the entity; ``key`` makes its unique id within the building."""
        super().__init__(coordinator)
        prefix, self._attr_device_info = building_device(coordinator.config_entry)
        self._attr_unique_id = f"{prefix}_{key}"

    @property
    @override
    def available(self) -> bool:
        """Unavailable until MOOST answered once, and after a failed refresh."""
        return super().available and self.coordinator.has_data


class MoostPushEntity(Entity):
    """An entity of the push side (the forwarder), available without MOOST."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: MoostConfigEntry, key: str) -> None:
        """Create the entity; ``key`` makes its unique id within the building."""
        self.forwarder = entry.runtime_data.forwarder
        prefix, self._attr_device_info = building_device(entry)
        self._attr_unique_id = f"{prefix}_{key}"

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the forwarder's outbox and deliveries."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.forwarder.async_add_listener(self.async_write_ha_state)
        )
