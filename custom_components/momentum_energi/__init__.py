"""The Momentum Energi integration: facility energy statistics in Home Assistant."""

from homeassistant.const import (
    CONF_CLIENT_ID,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import DEFAULT_CLIENT_ID, DEFAULT_URL, MomentumEnergiClient
from .common.ha import async_remove_issues, keep_alive
from .const import CONF_CLIENT_SECRET, CONFIG_VERSION, DOMAIN
from .coordinator import (
    MomentumEnergiConfigEntry,
    MomentumEnergiCoordinator,
    sync_store,
)
from .migration import async_migrate_v1

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(
    hass: HomeAssistant, entry: MomentumEnergiConfigEntry
) -> bool:
    """Set up one Momentum Energi API user from a config entry."""
    client = MomentumEnergiClient(
        async_get_clientsession(hass),
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
        entry.data[CONF_CLIENT_SECRET],
        url=entry.data.get(CONF_URL, DEFAULT_URL),
        client_id=entry.data.get(CONF_CLIENT_ID, DEFAULT_CLIENT_ID),
    )
    coordinator = MomentumEnergiCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    # Statistics are imported by the refresh itself: it must go on when
    # every sensor is disabled. Stale devices go after each update.
    entry.async_on_unload(keep_alive(coordinator))
    entry.async_on_unload(
        coordinator.async_add_listener(coordinator.async_remove_stale_devices)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: MomentumEnergiConfigEntry
) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_migrate_entry(
    hass: HomeAssistant, entry: MomentumEnergiConfigEntry
) -> bool:
    """Move an entry from an older version; refuse one from a newer release."""
    if entry.version > CONFIG_VERSION:
        return False
    if entry.version == 1:
        return await async_migrate_v1(hass, entry)
    return True


async def async_remove_entry(
    hass: HomeAssistant, entry: MomentumEnergiConfigEntry
) -> None:
    """Forget the sync state and repair issues of a removed entry.

    Its statistics stay: they are the user's history.
    """
    await sync_store(hass, entry.entry_id).async_remove()
    async_remove_issues(hass, DOMAIN, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: MomentumEnergiConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device whose item no longer has data."""
    coordinator = entry.runtime_data
    current = {
        (DOMAIN, coordinator.device_identifier(item_key))
        for item_key, _ in coordinator.data.series
    }
    return not device.identifiers & current
