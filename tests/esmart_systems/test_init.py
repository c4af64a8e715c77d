"""Setup, unload and failure states of the eSmart Systems integration."""

import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulators import Fault
from simulators.esmart_systems import ESmartSystemsSimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)


async def test_setup_and_unload(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The entry loads, every request carries Basic auth and X-Area, it unloads."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert simulator.counters["total"] > 0
    assert simulator.x_area == {"2": simulator.counters["total"]}
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize("area", ["net"])
async def test_net_area(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A Net entry sends X-Area 1 everywhere and sees the grid contract only."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert simulator.x_area == {"1": simulator.counters["total"]}
    runtime = init_integration.runtime_data
    assert list(runtime.coordinator.data.contracts) == ["1001_6001"]
    assert runtime.wattmeter is None
    assert simulator.counters["wattmeter"] == 0


@pytest.mark.parametrize(
    ("fault", "state"),
    [
        (Fault.SERVER_ERROR, ConfigEntryState.SETUP_RETRY),
        (Fault.RATE_LIMIT, ConfigEntryState.SETUP_RETRY),
        (Fault.UNAUTHORIZED, ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_setup_failures(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: ESmartSystemsSimulator,
    mock_config_entry: MockConfigEntry,
    fault: Fault,
    state: ConfigEntryState,
) -> None:
    """5xx and 429 retry later; a refused login starts reauthentication."""
    simulator.faults.inject(fault, endpoint="contractdeliverypoints")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is state
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == (
        ["reauth"] if fault is Fault.UNAUTHORIZED else []
    )


async def test_wattmeter_failure_retries(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: ESmartSystemsSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A wattmeter that fails at setup makes the entry retry."""
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="wattmeter")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_password_never_logged(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: ESmartSystemsSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Debug logs of a setup with failures hold neither password nor Basic header."""
    caplog.set_level(logging.DEBUG)
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="invoices")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "500" in caplog.text
    assert ESmartSystemsSimulator.PASSWORD not in caplog.text
    assert "Basic " not in caplog.text
