"""Diagnostics and device removal of the Momentum Energi integration."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.momentum_energi.const import DOMAIN

from .conftest import NOW, SIM

pytestmark = pytest.mark.freeze_time(NOW)


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics show the sync state and series, with every secret redacted."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    text = str(diagnostics)
    for secret in (SIM.PASSWORD, SIM.CLIENT_SECRET, SIM.USERNAME):
        assert secret not in text
    assert diagnostics["level"] == "E"
    assert len(diagnostics["series"]) == 6
    # The simulator port changes from run to run.
    assert diagnostics == snapshot(exclude=props("url"))


async def test_only_devices_without_data_can_be_deleted(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device with current data stays; one whose item is gone may be deleted."""
    assert await async_setup_component(hass, "config", {})
    coordinator = init_integration.runtime_data
    live = device_registry.async_get_device_by_identifier(
        (DOMAIN, coordinator.device_identifier("1001")), init_integration.entry_id
    )
    stale = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={(DOMAIN, coordinator.device_identifier("0999"))},
        name="Sold estate",
    )
    client = await hass_ws_client(hass)
    for device, allowed in ((live, False), (stale, True)):
        assert device is not None
        response = await client.remove_device(device.id)
        assert response["success"] is allowed
