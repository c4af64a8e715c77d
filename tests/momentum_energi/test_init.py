"""Setup, retry, reauth, repair issues and unload of Momentum Energi."""

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.momentum_energi.const import CONF_LEVEL, DOMAIN
from simulators import Fault
from simulators.momentum_energi import MomentumEnergiSimulator

from .conftest import NOW, SIM

pytestmark = pytest.mark.freeze_time(NOW)


async def test_load_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads against the simulator and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


async def test_devices_named_from_the_structure(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Each estate with data is a device named as in Momentum's structure."""
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert sorted((d.name, d.model, d.serial_number) for d in devices) == [
        ("Kv. Björken", "Fastighet", "1002"),
        ("Kv. Solrosen", "Fastighet", "1001"),
    ]


@pytest.mark.parametrize(
    "fault", [Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.MALFORMED_JSON]
)
async def test_setup_retry_on_vendor_failure(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    fault: Fault,
) -> None:
    """A failing vendor at start-up makes HA retry the setup later."""
    simulator.faults.inject(fault, endpoint="statistics_period")
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
        unique_id="x@y",
        data={
            "username": "x@y",
            "password": "p",
            "client_secret": "s",
            "client_id": "external_access",
            "url": "http://127.0.0.1:9",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.parametrize("refused", ["password", "client_secret"])
async def test_setup_error_starts_reauth(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    refused: str,
) -> None:
    """A refused password or client secret asks the user to re-authenticate."""
    if refused == "password":
        simulator.users[SIM.USERNAME.lower()] = "changed"
    else:
        simulator.client_secret = "rotated"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


@pytest.mark.parametrize(
    ("options", "setup", "issue"),
    [
        ({CONF_LEVEL: "r"}, lambda sim: None, "level_not_found"),
        ({CONF_LEVEL: "e"}, lambda sim: sim.forbidden_levels.add("E"), "forbidden"),
    ],
)
async def test_access_problems_raise_repair_issues(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    setup: object,
    issue: str,
) -> None:
    """A missing level (404) or missing rights (403) become repair issues."""
    setup(simulator)  # type: ignore[operator]
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    issue_id = f"{issue}_{mock_config_entry.entry_id}"
    found = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert found is not None
    assert found.translation_key == issue

    simulator.levels.add("R")
    simulator.forbidden_levels.clear()
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
