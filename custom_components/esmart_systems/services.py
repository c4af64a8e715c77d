"""Actions of the eSmart Systems integration: prices, meter readings, invoice PDFs."""

from datetime import date, datetime, time, timedelta
from pathlib import Path
import re
from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .api import Contract, ESmartError
from .common.ha import assume_local, loaded_entry
from .const import DOMAIN
from .coordinator import ESmartConfigEntry

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_CONTRACT = "contract"
ATTR_START = "start"
ATTR_END = "end"
ATTR_DELIVERY_POINT = "delivery_point"
ATTR_DATE = "date"
ATTR_VALUE = "value"
ATTR_INVOICE = "invoice"

SERVICE_GET_PRICES = "get_prices"
SERVICE_SUBMIT_READING = "submit_reading"
SERVICE_DOWNLOAD_INVOICE = "download_invoice"
INVOICE_FOLDER = "esmart_systems_invoices"
MAX_PRICE_RANGE = timedelta(days=31)

GET_PRICES_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_CONTRACT): cv.string,
        probatio.Required(ATTR_START): cv.datetime,
        probatio.Required(ATTR_END): cv.datetime,
    }
)
SUBMIT_READING_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_DELIVERY_POINT): cv.string,
        probatio.Required(ATTR_DATE): cv.date,
        probatio.Required(ATTR_VALUE): probatio.All(
            probatio.Coerce(int), probatio.Range(min=0)
        ),
    }
)
DOWNLOAD_INVOICE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_INVOICE): cv.string,
    }
)


def _entry(call: ServiceCall) -> ESmartConfigEntry:
    """Return the loaded entry the call names, or raise a translated error."""
    return loaded_entry(call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID])


def _contracts(entry: ESmartConfigEntry) -> list[Contract]:
    return [d.contract for d in entry.runtime_data.coordinator.data.contracts.values()]


def _failed(err: ESmartError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="request_failed",
        translation_placeholders={"error": str(err)},
    )


async def _async_get_prices(call: ServiceCall) -> ServiceResponse:
    """Return a contract's hourly prices between two times."""
    entry = _entry(call)
    number: str = call.data[ATTR_CONTRACT]
    contract = next((c for c in _contracts(entry) if c.contract_no == number), None)
    if contract is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="contract_not_found",
            translation_placeholders={"contract": number},
        )
    start = dt_util.as_utc(assume_local(call.data[ATTR_START]))
    end = dt_util.as_utc(assume_local(call.data[ATTR_END]))
    if not start < end <= start + MAX_PRICE_RANGE:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_range",
            translation_placeholders={"days": str(MAX_PRICE_RANGE.days)},
        )
    try:
        prices = await entry.runtime_data.client.hour_prices(contract, start, end)
    except ESmartError as err:
        raise _failed(err) from err
    return {
        "prices": [
            {
                "start": dt_util.as_local(hour).isoformat(),
                "end": dt_util.as_local(hour + timedelta(hours=1)).isoformat(),
                "value": price,
            }
            for hour, price in prices
        ]
    }


async def _async_submit_reading(call: ServiceCall) -> ServiceResponse:
    """Send a meter reading of a delivery point; return the saved reading."""
    entry = _entry(call)
    point: str = call.data[ATTR_DELIVERY_POINT]
    contract = next(
        (c for c in _contracts(entry) if c.delivery_point_id == point), None
    )
    if contract is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="delivery_point_not_found",
            translation_placeholders={"delivery_point": point},
        )
    day: date = call.data[ATTR_DATE]
    when = dt_util.as_utc(
        datetime.combine(day, time(), tzinfo=dt_util.get_default_time_zone())
    )
    try:
        reading = await entry.runtime_data.client.submit_reading(
            contract.customer_id, point, when, call.data[ATTR_VALUE]
        )
    except ESmartError as err:
        raise _failed(err) from err
    if reading.error_code != 0:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="reading_refused",
            translation_placeholders={
                "code": str(reading.error_code),
                "error": reading.error_message or "",
            },
        )
    return {
        "delivery_point": reading.delivery_point_id or point,
        "date": day.isoformat(),
        "value": reading.value,
        "error_code": reading.error_code,
    }


def invoice_file_name(invoice_no: str) -> str:
    """Return the PDF's file name; nothing from the number may steer the path."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", invoice_no).strip("_-")[:64] or "invoice"
    return f"invoice_{safe}.pdf"


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(body)
    tmp.replace(path)


async def _async_download_invoice(call: ServiceCall) -> ServiceResponse:
    """Save an invoice's PDF under the configuration folder; return its path.

    The PDF is fetched with Basic authentication, never with the documented
    ``?userName=&password=`` query, so no credential is part of a URL.
    """
    entry = _entry(call)
    number: str = call.data[ATTR_INVOICE]
    customers = entry.runtime_data.coordinator.data.customers.values()
    customer = next(
        (c for c in customers if any(i.invoice_no == number for i in c.invoices)),
        None,
    )
    if customer is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invoice_not_found",
            translation_placeholders={"invoice": number},
        )
    try:
        body = await entry.runtime_data.client.invoice_pdf(customer.customer_id, number)
    except ESmartError as err:
        raise _failed(err) from err
    if not body.startswith(b"%PDF"):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="not_a_pdf",
            translation_placeholders={"invoice": number},
        )
    path = Path(call.hass.config.path(INVOICE_FOLDER)) / invoice_file_name(number)
    try:
        await call.hass.async_add_executor_job(_write, path, body)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="invoice_write_failed",
            translation_placeholders={"path": str(path), "error": str(err)},
        ) from err
    return {"path": str(path), "size": len(body)}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    actions: tuple[tuple[str, Any, probatio.Schema, SupportsResponse], ...] = (
        (
            SERVICE_GET_PRICES,
            _async_get_prices,
            GET_PRICES_SCHEMA,
            SupportsResponse.ONLY,
        ),
        (
            SERVICE_SUBMIT_READING,
            _async_submit_reading,
            SUBMIT_READING_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_DOWNLOAD_INVOICE,
            _async_download_invoice,
            DOWNLOAD_INVOICE_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
    )
    for name, handler, schema, response in actions:
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=response
        )
