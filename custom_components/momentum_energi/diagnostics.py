"""Diagnostics of the Momentum Energi integration (secrets and estates redacted)."""

from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_CLIENT_SECRET
from .coordinator import MomentumEnergiConfigEntry

# Keys of entry.data: the credentials, and the user name (a person).
TO_REDACT = {CONF_PASSWORD, CONF_CLIENT_SECRET, CONF_USERNAME}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MomentumEnergiConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging: settings, sync state, items and series.

    Estate names and numbers are often addresses, and item keys often the
    numbers: items appear as ``item 1``, ``item 2``, ... consistently, so the
    shape of the data stays readable without naming a property.
    """
    coordinator = entry.runtime_data
    data = coordinator.data
    now = dt_util.utcnow()
    keys = sorted(data.item_keys())
    alias = {key: f"item {index}" for index, key in enumerate(keys, start=1)}
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "level": coordinator.api_level,
        "last_updated": (
            coordinator.last_updated.isoformat() if coordinator.last_updated else None
        ),
        "items": {
            alias[key]: {
                "name": REDACTED if item.name else None,
                "number": REDACTED if item.number else None,
                "level": item.level,
                "parent": alias.get(item.parent_key or "", REDACTED)
                if item.parent_key
                else None,
            }
            for key, item in sorted(data.items.items())
        },
        "series": [
            {
                "item": alias[series.item_key],
                "medium": series.medium,
                "name": series.name,
                "consumption_unit": series.consumption_unit,
                "energy_unit": series.energy_unit,
                "months": [row.start.isoformat() for row in series.rows],
                "latest_complete": (
                    latest.start.isoformat()
                    if (latest := series.latest_complete(now))
                    else None
                ),
            }
            for _, series in sorted(data.series.items())
        ],
        "token_requests": coordinator.client.token_requests,
        "last_update_success": coordinator.last_update_success,
    }
