"""Diagnostics of the eSmart Systems integration (credentials and personal data redacted)."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import ESmartConfigEntry

TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    "customer_id",
    "customer_ids",
    "address",
    "delivery_point_name",
    "delivery_point_id",
    "meter_id",
    "unique_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ESmartConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging: settings, contracts, data coverage."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    contracts = []
    for contract_data in data.contracts.values():
        hours = sorted(contract_data.hourly)
        contracts.append(
            {
                "contract": async_redact_data(
                    asdict(contract_data.contract), TO_REDACT
                ),
                "hours": len(hours),
                "oldest_hour": hours[0].isoformat() if hours else None,
                "newest_hour": hours[-1].isoformat() if hours else None,
                "prices": len(contract_data.prices),
            }
        )
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "title": entry.title,
        },
        "customers": len(data.customers),
        "contracts": contracts,
        "invoices": sum(len(c.invoices) for c in data.customers.values()),
        "spot_price_areas": sorted(data.spot),
        "wattmeter_contracts": (
            len(runtime.wattmeter.contracts) if runtime.wattmeter else 0
        ),
        "requests": runtime.client.requests,
        "last_update_success": coordinator.last_update_success,
    }
