"""The EnerKey integration: facilities and meters of an EnerKey profile."""

from typing import Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import CONF_URL, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from .api import EnerKeyClient
from .common.ha import async_remove_issues, keep_alive
from .const import CONF_API_KEY, CONF_SECONDARY_API_KEY, DOMAIN
from .coordinator import EnerKeyConfigEntry, EnerKeyCoordinator
from .push import STORAGE_VERSION, EnerKeyPusher, storage_key
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.IMAGE, Platform.SENSOR, Platform.TODO]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, for every entry)."""
    async_setup_services(hass)
    return True


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

    def meter_unit(meter_id: str) -> tuple[str | None, str | None] | None:
        if (meter := coordinator.data.meters.get(meter_id)) is None:
            return None
        return meter.unit.unit, meter.unit.unit_class

    pusher = EnerKeyPusher(hass, entry.entry_id, client, meter_unit)
    coordinator.pusher = pusher
    entry.runtime_data = coordinator
    await pusher.async_start(entry.subentries.values())
    entry.async_on_unload(pusher.async_stop)

    @callback
    def _entry_changed(change: ConfigEntryChange, changed: ConfigEntry[Any]) -> None:
        """Follow added and removed pushed meters without a reload.

        A dispatcher signal, not an update listener: update listeners cannot
        be combined with the flows' async_update_reload_and_abort.
        """
        if change is ConfigEntryChange.UPDATED and changed.entry_id == entry.entry_id:
            pusher.async_set_subentries(changed.subentries.values())

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EnerKeyConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EnerKeyConfigEntry) -> None:
    """Delete the entry's repair issues and its record of pushed hours."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, storage_key(entry.entry_id)
    ).async_remove()
    async_remove_issues(hass, DOMAIN, entry.entry_id)
    for subentry_id in entry.subentries:
        async_remove_issues(hass, DOMAIN, subentry_id)
