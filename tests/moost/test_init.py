"""Setup, outages, reauth, unload and removal of the MOOST integration."""

from datetime import timedelta
from types import MappingProxyType
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState, ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.moost.api import MoostAuthenticationError
from custom_components.moost.const import DOMAIN, UPDATE_INTERVAL
from simulators import Fault
from simulators.moost import MoostSimulator
from tests.helpers import async_tick

from .conftest import NOW, setup_entry

pytestmark = pytest.mark.freeze_time(NOW)

LATEST = "sensor.moost_home_latest_recommendation"


async def test_load_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads against the simulator and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(LATEST) is not None
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize(
    "fault", [Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.MALFORMED_JSON]
)
async def test_loaded_while_moost_fails_then_recovers(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    fault: Fault,
) -> None:
    """MOOST failing at start leaves the entry LOADED; the read-back recovers."""
    simulator.faults.inject(fault, times=1, retry_after=60)
    await setup_entry(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(LATEST).state == STATE_UNAVAILABLE
    # The push side's sensors do not depend on MOOST.
    assert (
        hass.states.get("sensor.moost_home_events_waiting_to_be_sent").state
        != STATE_UNAVAILABLE
    )
    await async_tick(hass, freezer, UPDATE_INTERVAL + timedelta(seconds=1))
    assert hass.states.get(LATEST).state != STATE_UNAVAILABLE


async def test_loaded_when_unreachable(
    hass: HomeAssistant, socket_enabled: None, mock_config_entry: MockConfigEntry
) -> None:
    """A MOOST that cannot be reached at all does not fail the setup either."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, "url": "http://127.0.0.1:9"},
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(LATEST).state == STATE_UNAVAILABLE


async def test_refused_credentials_start_reauth(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Refused credentials ask the user to re-authenticate; measuring goes on."""
    simulator.clients[MoostSimulator.CLIENT_ID] = (
        "rotated",
        MoostSimulator.CUSTOMER_ID,
    )
    await setup_entry(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id
    # No polling against refused credentials until the user acts.
    tokens = simulator.counters["token"]
    await async_tick(hass, freezer, UPDATE_INTERVAL * 3)
    assert simulator.counters["token"] == tokens


async def test_remove_entry_deletes_its_repair_issues(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Removing the entry removes its repair issues and stored state."""
    entry_id = init_integration.entry_id
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"statistics_mismatch_{entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="statistics_mismatch",
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        "statistics_mismatch_other",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="statistics_mismatch",
    )
    await hass.config_entries.async_remove(entry_id)
    await hass.async_block_till_done()
    assert (
        issue_registry.async_get_issue(DOMAIN, f"statistics_mismatch_{entry_id}")
        is None
    )
    assert issue_registry.async_get_issue(DOMAIN, "statistics_mismatch_other")


async def test_adding_a_device_reloads_the_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A device added by hand (a subentry) restarts the push side to follow it."""
    forwarder = init_integration.runtime_data.forwarder
    hass.config_entries.async_add_subentry(
        init_integration,
        ConfigSubentry(
            data=MappingProxyType(
                {
                    "name": "Heat pump",
                    "device_type": "HEAT_PUMP",
                    "energy_consumption_entity": "sensor.heat_pump_energy",
                }
            ),
            subentry_type="device",
            title="Heat pump",
            unique_id=None,
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data.forwarder is not forwarder


async def test_option_changes_do_not_reload(
    hass: HomeAssistant, simulator: MoostSimulator, init_integration: MockConfigEntry
) -> None:
    """Options (the tariff) apply in place: measuring is not interrupted."""
    forwarder = init_integration.runtime_data.forwarder
    # Another entry changing is none of this entry's business.
    other = MockConfigEntry(domain=DOMAIN, unique_id="other")
    other.add_to_hass(hass)
    hass.config_entries.async_update_entry(other, options={"tariff": "dual"})
    hass.config_entries.async_update_entry(
        init_integration, options={"tariff": "single", "currency": "EUR"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.runtime_data.forwarder is forwarder
    building = simulator.building()
    assert building is not None
    assert building["settings"]["tariff"] == {"type": "SINGLE", "currency": "EUR"}


@pytest.mark.parametrize(
    "side_task",
    [
        "custom_components.moost.tariff.MoostTariff.async_sync",
        "custom_components.moost.coordinator.MoostCoordinator._async_check_statistics",
    ],
)
async def test_refused_credentials_in_a_side_task_start_reauth(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, side_task: str
) -> None:
    """The tariff write and the statistics check pass a refusal on: reauth."""
    with patch(side_task, side_effect=MoostAuthenticationError("refused")):
        await setup_entry(hass, mock_config_entry)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
