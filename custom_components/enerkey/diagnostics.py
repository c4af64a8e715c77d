"""Diagnostics of the EnerKey integration (keys and addresses redacted)."""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_API_KEY, CONF_SECONDARY_API_KEY
from .coordinator import EnerKeyConfigEntry

TO_REDACT = {CONF_API_KEY, CONF_SECONDARY_API_KEY}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EnerKeyConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging: keys in use, budget, meters and units."""
    coordinator = entry.runtime_data
    client = coordinator.client
    data = coordinator.data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "title": entry.title,
        },
        "active_key": client.active_key,
        "failed_keys": sorted(client.failed_keys),
        "calls_left": client.calls_left,
        "calls_sent_24h": client.budget.spent_today(),
        "requests": client.requests,
        "last_refresh_calls": coordinator.last_refresh_calls,
        # Whether cost statistics are made; the price itself is the user's
        # business, not needed to debug.
        "price_per_kwh_set": coordinator.price_per_kwh is not None,
        "facilities": len(data.facilities),
        "actions": len(data.actions),
        "meters": [
            {
                "id": meter_id,
                "facility_id": meter.meter.facility_id,
                "unit": meter.unit.unit,
                "unit_class": meter.unit.unit_class,
                "has_yesterday": meter.yesterday is not None,
                "has_this_month": meter.this_month is not None,
            }
            for meter_id, meter in sorted(data.meters.items())
        ],
        "last_update_success": coordinator.last_update_success,
        # HA sensors pushed into EnerKey meters and how far each got.
        "pushed_meters": coordinator.pusher.diagnostics(),
        "last_push": (
            coordinator.pusher.last_push.isoformat()
            if coordinator.pusher.last_push
            else None
        ),
    }
