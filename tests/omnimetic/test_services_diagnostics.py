"""The export_usage action and the diagnostics of the Omnimetic integration."""

from pathlib import Path
from typing import Any
import zipfile

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.omnimetic.const import DOMAIN, SERVICE_EXPORT_USAGE
from custom_components.omnimetic.services import export_file_name
from simulators import Fault
from simulators.omnimetic import OmnimeticSimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)


async def _export(hass: HomeAssistant, entry_id: str) -> dict[str, Any] | None:
    """Call export_usage for an entry and return its response."""
    return await hass.services.async_call(
        DOMAIN,
        SERVICE_EXPORT_USAGE,
        {"config_entry_id": entry_id},
        blocking=True,
        return_response=True,
    )


async def test_export_usage_writes_workbook(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The export lands under the config folder and the path is returned."""
    response = await _export(hass, init_integration.entry_id)
    assert response is not None
    path = Path(str(response["path"]))
    assert path.parent == Path(hass.config.path("omnimetic_exports"))
    assert (
        path.name
        == f"omnimetic_{OmnimeticSimulator.SERVICE_ACCOUNT_ID}_2026-11-08.xlsx"
    )
    assert path.stat().st_size == response["size"]
    with zipfile.ZipFile(path) as workbook:
        assert "xl/worksheets/sheet1.xml" in workbook.namelist()


def test_export_file_name_is_sanitized() -> None:
    """Nothing from the id can steer the path."""
    name = export_file_name("../../etc/passwd\x00", dt_util.utcnow())
    assert name == "omnimetic_etc_passwd_2026-11-08.xlsx"
    assert (
        export_file_name("///", dt_util.utcnow()) == "omnimetic_account_2026-11-08.xlsx"
    )


async def test_export_usage_errors(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Bad entries and vendor failures raise translated errors."""
    with pytest.raises(ServiceValidationError) as err:
        await _export(hass, "nope")
    assert err.value.translation_key == "entry_not_found"

    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="download_data")
    with pytest.raises(HomeAssistantError) as err:
        await _export(hass, init_integration.entry_id)
    assert err.value.translation_key == "export_failed"

    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _export(hass, init_integration.entry_id)
    assert err.value.translation_key == "entry_not_loaded"


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics show coverage and bills, with secrets and personal data redacted."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    text = str(diagnostics)
    assert OmnimeticSimulator.CLIENT_SECRET not in text
    assert OmnimeticSimulator.CLIENT_ID not in text
    assert "Elm Street" not in text
    assert "Jordan Doe" not in text
    assert diagnostics["readings"]["has_peak_split"] is True
    # The simulator port changes from run to run.
    assert diagnostics == snapshot(exclude=props("url"))
