"""The eSmart Systems integration: a Nordic utility's customer web in Home Assistant."""

from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import Area, ESmartClient
from .common.ha import keep_alive
from .const import AREA_NET, CONF_AREA, DOMAIN
from .coordinator import (
    ESmartConfigEntry,
    ESmartCoordinator,
    ESmartRuntime,
    WattmeterCoordinator,
    message_store,
)
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.CALENDAR, Platform.EVENT, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, for every entry)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ESmartConfigEntry) -> bool:
    """Set up one user in one area of one utility from a config entry."""
    client = ESmartClient(
        async_get_clientsession(hass),
        entry.data[CONF_URL],
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
        Area.NET if entry.data[CONF_AREA] == AREA_NET else Area.POWER,
    )
    coordinator = ESmartCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    # Statistics are imported by the refresh: keep polling without entities.
    entry.async_on_unload(keep_alive(coordinator))
    wattmeter_contracts = [
        data.contract
        for data in coordinator.data.contracts.values()
        if data.contract.has_wattmeter and data.contract.meter_id is not None
    ]
    wattmeter = None
    if wattmeter_contracts:
        wattmeter = WattmeterCoordinator(hass, entry, client, wattmeter_contracts)
        await wattmeter.async_config_entry_first_refresh()
    entry.runtime_data = ESmartRuntime(
        client=client, coordinator=coordinator, wattmeter=wattmeter
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ESmartConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ESmartConfigEntry) -> None:
    """Forget the entry's seen message ids when it is deleted."""
    await message_store(hass, entry.entry_id).async_remove()
