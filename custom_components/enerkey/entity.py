"""Base entity of the EnerKey integration: one device per facility."""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Facility
from .const import DOMAIN
from .coordinator import EnerKeyCoordinator, facility_identifier


def facility_device(facility: Facility) -> DeviceInfo:
    """Return the device of a facility (name, address, type, area)."""
    # DeviceInfo has no address field: the model line carries it, so the
    # device page shows what, how big and where.
    parts = [facility.type or "Facility"]
    if facility.area is not None:
        parts.append(f"{facility.area:g} m²")
    if facility.address:
        parts.append(facility.address)
    model = " · ".join(parts)
    return DeviceInfo(
        identifiers={facility_identifier(facility.id)},
        manufacturer="EnerKey",
        model=model,
        name=facility.name,
        serial_number=facility.id,
    )


def profile_device(coordinator: EnerKeyCoordinator) -> DeviceInfo:
    """Return the device of the profile's API access (calls left)."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"profile_{coordinator.config_entry.entry_id}")},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="EnerKey",
        model="API",
        name=f"EnerKey {coordinator.config_entry.title}",
    )


class EnerKeyEntity(CoordinatorEntity[EnerKeyCoordinator]):
    """An entity of one facility or of the profile."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: EnerKeyCoordinator, unique_id: str, device: DeviceInfo
    ) -> None:
        """Create the entity with its unique id and device."""
        super().__init__(coordinator)
        self._attr_unique_id = unique_id
        self._attr_device_info = device
