"""Actions of the eSmart Systems integration: prices, readings, invoice PDFs."""

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esmart_systems.const import DOMAIN
from custom_components.esmart_systems.services import invoice_file_name
from simulators import Fault
from simulators.esmart_systems import ESmartSystemsSimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)


async def _call(
    hass: HomeAssistant, service: str, entry: MockConfigEntry, **data: Any
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_get_prices(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Hourly prices between two local times, as response data."""
    response = await _call(
        hass,
        "get_prices",
        init_integration,
        contract="5002",
        start="2026-10-20 00:00:00",
        end="2026-10-21T00:00:00+02:00",
    )
    prices = response["prices"]
    assert len(prices) == 24
    assert prices[0] == {
        "start": "2026-10-20T00:00:00+02:00",
        "end": "2026-10-20T01:00:00+02:00",
        "value": 0.8712,
    }
    for data, key in (
        ({"contract": "9999"}, "contract_not_found"),
        ({"contract": "5002", "end": "2026-10-19 00:00:00"}, "invalid_range"),
        ({"contract": "5002", "end": "2026-12-19 00:00:00"}, "invalid_range"),
    ):
        with pytest.raises(ServiceValidationError) as caught:
            await _call(
                hass,
                "get_prices",
                init_integration,
                **{
                    "start": "2026-10-20 00:00:00",
                    "end": "2026-10-21 00:00:00",
                    **data,
                },
            )
        assert caught.value.translation_key == key
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="hourprices")
    with pytest.raises(HomeAssistantError) as failed:
        await _call(
            hass,
            "get_prices",
            init_integration,
            contract="5002",
            start="2026-10-20 00:00:00",
            end="2026-10-21 00:00:00",
        )
    assert failed.value.translation_key == "request_failed"


async def test_submit_reading(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A reading is saved; a lower one is refused with the utility's reason."""
    response = await _call(
        hass,
        "submit_reading",
        init_integration,
        delivery_point="7001",
        date="2026-10-26",
        value=12345,
    )
    assert response == {
        "delivery_point": "7001",
        "date": "2026-10-26",
        "value": 12345,
        "error_code": 0,
    }
    saved = simulator.readings[1001, 7001]
    # Local midnight in Oslo, sent as UTC.
    assert saved[0]["ReadingDate"] == "2026-10-25T23:00:00"
    with pytest.raises(HomeAssistantError) as refused:
        await _call(
            hass,
            "submit_reading",
            init_integration,
            delivery_point="7001",
            date="2026-10-27",
            value=100,
        )
    assert refused.value.translation_key == "reading_refused"
    assert refused.value.translation_placeholders == {
        "code": "2",
        "error": "Value is lower than the last reading",
    }
    with pytest.raises(ServiceValidationError) as unknown:
        await _call(
            hass,
            "submit_reading",
            init_integration,
            delivery_point="1",
            date="2026-10-27",
            value=1,
        )
    assert unknown.value.translation_key == "delivery_point_not_found"
    simulator.faults.inject(Fault.RATE_LIMIT, endpoint="reading_post")
    with pytest.raises(HomeAssistantError) as limited:
        await _call(
            hass,
            "submit_reading",
            init_integration,
            delivery_point="7001",
            date="2026-10-27",
            value=20000,
        )
    assert limited.value.translation_key == "request_failed"


async def test_download_invoice(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """The PDF lands under the config folder; no credential goes into a URL."""
    hass.config.config_dir = str(tmp_path)
    number = simulator.invoices(1002)[-1]["InvoiceNo"]
    response = await _call(hass, "download_invoice", init_integration, invoice=number)
    path = Path(response["path"])
    assert (
        path
        == Path(hass.config.path("esmart_systems_invoices")) / f"invoice_{number}.pdf"
    )
    assert path.read_bytes().startswith(b"%PDF")
    assert response["size"] == path.stat().st_size
    assert simulator.counters["invoice_pdf"] == 1
    with pytest.raises(ServiceValidationError) as unknown:
        await _call(hass, "download_invoice", init_integration, invoice="nope")
    assert unknown.value.translation_key == "invoice_not_found"
    simulator.faults.inject(Fault.MALFORMED_JSON, endpoint="invoice_pdf")
    with pytest.raises(HomeAssistantError) as not_pdf:
        await _call(hass, "download_invoice", init_integration, invoice=number)
    assert not_pdf.value.translation_key == "not_a_pdf"
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="invoice_pdf")
    with pytest.raises(HomeAssistantError) as failed:
        await _call(hass, "download_invoice", init_integration, invoice=number)
    assert failed.value.translation_key == "request_failed"
    # A folder where the file should go: the write fails with a clear error.
    path.unlink()
    path.mkdir()
    with pytest.raises(HomeAssistantError) as unwritable:
        await _call(hass, "download_invoice", init_integration, invoice=number)
    assert unwritable.value.translation_key == "invoice_write_failed"


def test_invoice_file_name() -> None:
    """Nothing from the invoice number steers the path."""
    assert invoice_file_name("../../etc/passwd") == "invoice_etc_passwd.pdf"
    assert invoice_file_name("..") == "invoice_invoice.pdf"


async def test_entry_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """An unknown or unloaded entry is a validation error."""
    with pytest.raises(ServiceValidationError) as unknown:
        await hass.services.async_call(
            DOMAIN,
            "download_invoice",
            {"config_entry_id": "nope", "invoice": "1"},
            blocking=True,
            return_response=True,
        )
    assert unknown.value.translation_key == "entry_not_found"
    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as unloaded:
        await _call(hass, "download_invoice", init_integration, invoice="1")
    assert unloaded.value.translation_key == "entry_not_loaded"
