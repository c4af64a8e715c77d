"""Diagnostics of the Omnimetic integration (secrets and personal data redacted)."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_CLIENT_ID
from homeassistant.core import HomeAssistant

from .const import CONF_CLIENT_SECRET, CONF_SERVICE_ACCOUNT_ID
from .coordinator import OmnimeticConfigEntry

# What identifies a household or a person: the credentials, the service
# account (it names one meter at one address), the address and names.
TO_REDACT = {
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_SERVICE_ACCOUNT_ID,
    "id",
    "address",
    "legal_names",
    "external_id",
    "token",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OmnimeticConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging: settings, account, data coverage, last bills."""
    coordinator = entry.runtime_data
    data = coordinator.data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "account": async_redact_data(asdict(data.info), TO_REDACT),
        "readings": {
            "count": len(data.readings),
            "oldest": data.readings[0].start.isoformat() if data.readings else None,
            "newest": data.readings[-1].start.isoformat() if data.readings else None,
            "has_peak_split": any(r.on_peak_kwh is not None for r in data.readings),
        },
        "months": [asdict(month) for _, month in sorted(data.months.items())],
        # The ids carry the service account id: show only which exist.
        "statistic_ids": dict.fromkeys(coordinator.statistic_ids, REDACTED),
        "interval_range_days": coordinator.client.range_days,
        "update_interval": str(coordinator.update_interval),
        "token_requests": coordinator.client.token_requests,
        "last_update_success": coordinator.last_update_success,
    }
