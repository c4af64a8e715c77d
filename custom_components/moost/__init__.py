"""The MOOST integration: HA's energy data to MOOST, its recommendations back.

Two independent halves per entry (one building):

* the push side (``push/``): measures HA's energy sensors and sends them to
  MOOST through a persistent outbox. It starts first and never depends on
  MOOST being reachable: an entry set up while MOOST is down still measures
  and queues from the first second;
* the read-back (``coordinator.py``): polls recommendations, rules and
  forecasts. Its first refresh runs in the background, so a MOOST outage at
  start leaves the entry LOADED with the read-back entities unavailable until
  MOOST answers; refused credentials start a reauth flow.
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from .api import DEFAULT_URL, MoostClient
from .common.ha import async_remove_issues, keep_alive
from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CUSTOMER_BUILDING_ID,
    CONF_URL,
    DOMAIN,
)
from .coordinator import MoostConfigEntry, MoostCoordinator, MoostData, readback_store
from .push import MoostForwarder
from .push.outbox import STORAGE_VERSION as OUTBOX_STORAGE_VERSION
from .services import async_setup_services
from .tariff import MoostTariff

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.SENSOR, Platform.SWITCH]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, for every entry)."""
    async_setup_services(hass)
    return True


def _subentries(entry: ConfigEntry) -> dict[str, Mapping[str, Any]]:
    return {key: sub.data for key, sub in entry.subentries.items()}


async def async_setup_entry(hass: HomeAssistant, entry: MoostConfigEntry) -> bool:
    """Set up one MOOST building: push first, then the read-back."""
    client = MoostClient(
        async_get_clientsession(hass),
        entry.data[CONF_CLIENT_ID],
        entry.data[CONF_CLIENT_SECRET],
        entry.data.get(CONF_URL, DEFAULT_URL),
    )
    coordinator = MoostCoordinator(hass, entry, client)
    forwarder = MoostForwarder(hass, entry, client)
    tariff = MoostTariff(
        hass, client, entry.data[CONF_CUSTOMER_BUILDING_ID], entry.options
    )
    coordinator.tariff = tariff
    coordinator.sent_totals = forwarder
    entry.runtime_data = MoostData(
        client=client, coordinator=coordinator, forwarder=forwarder, tariff=tariff
    )

    # Measuring never waits for MOOST: the forwarder starts before anything
    # talks to it, and its start never raises because MOOST is down.
    await forwarder.async_start()
    entry.async_on_unload(forwarder.async_stop)
    tariff.async_start()
    entry.async_on_unload(tariff.async_stop)

    await coordinator.async_load_seen()
    entry.async_on_unload(coordinator.async_save_seen)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Keep polling even when every read-back entity is disabled: new
    # recommendations still fire moost_notification, and the tariff and
    # statistics check ride on the refresh (as core's opower does).
    entry.async_on_unload(keep_alive(coordinator))
    # Not async_config_entry_first_refresh: a MOOST outage must not fail or
    # retry the setup (that would stop the measuring); entities stay
    # unavailable until a refresh succeeds, and refused credentials start a
    # reauth flow from inside the refresh.
    entry.async_create_background_task(
        hass, coordinator.async_refresh(), "moost first refresh"
    )

    subentries = _subentries(entry)

    @callback
    def _entry_changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        """Apply option changes in place; reload when devices were edited.

        A dispatcher signal, not an update listener: update listeners cannot
        be combined with the flows' async_update_reload_and_abort.
        """
        if (
            change is not ConfigEntryChange.UPDATED
            or changed.entry_id != entry.entry_id
        ):
            return
        if _subentries(changed) != subentries:
            hass.config_entries.async_schedule_reload(entry.entry_id)
        elif changed.options != tariff.options:
            tariff.async_options_changed(changed.options)

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: MoostConfigEntry) -> bool:
    """Unload a config entry (the forwarder flushes its outbox on the way)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: MoostConfigEntry) -> None:
    """Forget the entry's stored state and repair issues (MOOST's data stays)."""
    await readback_store(hass, entry.entry_id).async_remove()
    # The outbox's Store (push/outbox.py names it so): queued events of a
    # removed entry must not linger in .storage.
    await Store[dict[str, Any]](
        hass, OUTBOX_STORAGE_VERSION, f"{DOMAIN}.outbox.{entry.entry_id}"
    ).async_remove()
    async_remove_issues(hass, DOMAIN, entry.entry_id)
