"""Diagnostics of the Momentum Energi integration (secrets redacted)."""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_CLIENT_SECRET
from .coordinator import MomentumEnergiConfigEntry

TO_REDACT = {CONF_PASSWORD, CONF_CLIENT_SECRET, CONF_USERNAME, "unique_id", "title"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MomentumEnergiConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging: settings, sync state, items and series."""
    coordinator = entry.runtime_data
    data = coordinator.data
    now = dt_util.utcnow()
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "level": coordinator.level,
        "last_updated": (
            coordinator.last_updated.isoformat() if coordinator.last_updated else None
        ),
        "items": {
            key: {"name": item.name, "number": item.number, "level": item.level}
            for key, item in sorted(data.items.items())
        },
        "series": [
            {
                "item_key": series.item_key,
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
