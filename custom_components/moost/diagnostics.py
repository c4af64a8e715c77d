"""Diagnostics of the MOOST integration (secrets and personal data redacted)."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_CITY, CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_ZIP
from .coordinator import MoostConfigEntry

TO_REDACT = {
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_ZIP,
    CONF_CITY,
    "customer_id",
    "customerId",
    "geolocation",
    "lat",
    "lon",
    "latitude",
    "longitude",
    "unique_id",
    "access_token",
    "token",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MoostConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging: settings, push state, read-back summary."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    forwarder = runtime.forwarder
    data = coordinator.data
    return {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
                "subentries": [
                    {"type": sub.subentry_type, "data": dict(sub.data)}
                    for sub in entry.subentries.values()
                ],
            },
            # The entry's title may carry the building's (place) name.
            TO_REDACT | {"title"},
        ),
        "push": {
            "outbox_length": forwarder.outbox_length,
            "last_delivery": (
                forwarder.last_delivery.isoformat() if forwarder.last_delivery else None
            ),
            "dropped": forwarder.dropped,
        },
        "read_back": {
            "last_update_success": coordinator.last_update_success,
            "notifications": len(data.notifications) if data else None,
            "latest_notification": (
                async_redact_data(asdict(data.latest), TO_REDACT)
                if data and data.latest
                else None
            ),
            "rules": ([asdict(rule) for rule in data.rules.values()] if data else None),
            "forecasts": sorted(data.forecasts) if data else None,
            "statistics_check": coordinator.statistics_check,
        },
        "tariff": {
            "desired": runtime.tariff.desired(),
            "writes": runtime.tariff.writes,
        },
        "token_requests": runtime.client.token_requests,
    }
