"""Base entities of the eSmart Systems integration: contracts and customers."""

from typing import Any

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)

from .api import Contract
from .const import DOMAIN
from .coordinator import contract_device_id, customer_device_id

_KIND_NAMES = {
    "power": "Power",
    "net": "Grid",
    "district_heating": "District heating",
    "gas": "Gas",
    "water": "Water",
    "energy": "Energy",
}


def contract_device(area: str, contract: Contract) -> DeviceInfo:
    """Return the device of one contract (delivery point and its meter)."""
    kind = _KIND_NAMES.get(contract.kind, "Contract")
    place = contract.delivery_point_name or contract.address or contract.contract_no
    return DeviceInfo(
        identifiers={(DOMAIN, contract_device_id(area, contract))},
        manufacturer="eSmart Systems",
        model=f"{kind} contract",
        name=f"{place} {kind.lower()}",
        serial_number=contract.meter_id,
    )


def customer_device(area: str, customer_id: str) -> DeviceInfo:
    """Return the device of one customer account (invoices, messages)."""
    return DeviceInfo(
        identifiers={(DOMAIN, customer_device_id(area, customer_id))},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="eSmart Systems",
        model="Power customer" if area == "power" else "Grid customer",
        name=f"Customer {customer_id} ({'power' if area == 'power' else 'grid'})",
    )


class ESmartEntity[CoordinatorT: DataUpdateCoordinator[Any]](
    CoordinatorEntity[CoordinatorT]
):
    """An entity of one contract or customer."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: CoordinatorT, unique_id: str, device: DeviceInfo
    ) -> None:
        """Create the entity with its unique id and device."""
        super().__init__(coordinator)
        self._attr_unique_id = unique_id
        self._attr_device_info = device
