"""The EnerKey integration: facilities and meters of an EnerKey profile."""

from homeassistant.const import CONF_URL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import EnerKeyClient
from .common.ha import async_remove_issues, keep_alive
from .const import CONF_API_KEY, CONF_SECONDARY_API_KEY, DOMAIN
from .coordinator import EnerKeyConfigEntry, EnerKeyCoordinator

PLATFORMS: list[Platform] = [Platform.IMAGE, Platform.SENSOR, Platform.TODO]


async def async_setup_entry(hass: HomeAssistant, entry: EnerKeyConfigEntry) -> bool:
    """Set up one EnerKey profile from a config entry."""
    client = EnerKeyClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_KEY],
        entry.data.get(CONF_SECONDARY_API_KEY),
        url=entry.data[CONF_URL],
    )
    coordinator = EnerKeyCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    # Statistics are imported by the refresh: keep polling without entities.
    entry.async_on_unload(keep_alive(coordinator))
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EnerKeyConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EnerKeyConfigEntry) -> None:
    """Delete the entry's repair issues with it."""
    async_remove_issues(hass, DOMAIN, entry.entry_id)
