"""Setup, retry, reauth and unload of the Omnimetic integration."""

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.omnimetic.const import DOMAIN
from simulators import Fault
from simulators.omnimetic import OmnimeticSimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)


async def test_load_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads against the simulator and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize(
    "fault",
    [Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.MALFORMED_JSON],
)
async def test_setup_retry_on_vendor_failure(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: OmnimeticSimulator,
    mock_config_entry: MockConfigEntry,
    fault: Fault,
) -> None:
    """A failing vendor at start-up makes HA retry the setup later."""
    simulator.faults.inject(fault, endpoint="info")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_retry_when_unreachable(
    hass: HomeAssistant, recorder_mock: object, socket_enabled: None
) -> None:
    """A vendor that cannot be reached at all also means a retry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="x",
        data={
            "client_id": "id",
            "client_secret": "secret",
            "service_account_id": "x",
            "url": "http://127.0.0.1:9/api",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_error_starts_reauth(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: OmnimeticSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Refused credentials stop the setup and ask the user to re-authenticate."""
    simulator.credentials[OmnimeticSimulator.CLIENT_ID] = "rotated"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


async def test_unknown_service_account_raises_repair_issue(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: OmnimeticSimulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An unlinked service account becomes a repair issue, gone once it works."""
    account = simulator.service_accounts.pop(OmnimeticSimulator.SERVICE_ACCOUNT_ID)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    issue_id = f"service_account_not_found_{mock_config_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "service_account_not_found"

    simulator.service_accounts[account.id] = account
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
