"""A large profile stays under 1 % of EnerKey's daily limit, without a 429."""

from datetime import timedelta
import time
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enerkey.api import CallBudget
from custom_components.enerkey.const import UPDATE_INTERVAL
from simulators.enerkey import EnerKeySimulator
from tests.helpers import async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)


@pytest.fixture
async def simulator(hass: HomeAssistant) -> EnerKeySimulator:
    """Return a profile of 200 facilities and 1,000 meters."""
    await hass.config.async_set_time_zone("Europe/Helsinki")
    sim = EnerKeySimulator(seed=5, daily_limit=40_000)
    sim.add_large_profile(200, 5)
    return sim


async def test_large_profile_calls_per_day(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """8 refreshes a day: 349 calls (< 400), never over the burst limit."""

    async def sleep(seconds: float) -> None:
        # The client waits out its burst window; time is frozen, so move it.
        freezer.tick(timedelta(seconds=seconds))

    mock_config_entry.add_to_hass(hass)
    with (
        patch(
            "custom_components.enerkey.api.CallBudget",
            lambda: CallBudget(clock=time.time, sleep=sleep),
        ),
        # Entities and statistics are tested elsewhere; here only calls count
        # (3,000 sensors would take a minute to register).
        patch("custom_components.enerkey.PLATFORMS", []),
        patch("custom_components.enerkey.coordinator.async_import_series", AsyncMock()),
        patch(
            "custom_components.enerkey.coordinator.async_last_start",
            AsyncMock(return_value=None),
        ),
        patch("custom_components.enerkey.coordinator.BACKFILL", timedelta(hours=6)),
        patch(
            "custom_components.enerkey.coordinator.REREAD_WINDOW", timedelta(hours=3)
        ),
    ):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        coordinator = mock_config_entry.runtime_data
        assert len(coordinator.data.meters) == 1000
        simulator.reset_counters()
        for _ in range(8):
            await async_tick(hass, freezer, UPDATE_INTERVAL)
            assert coordinator.last_update_success
    counters = simulator.counters
    assert counters["total"] == 349 < 40_000 // 100
    assert counters["hourly"] == counters["monthly"] == 8 * 20
    assert counters["monthly_normalized"] == 20
    assert (counters["facilities"], counters["meters"]) == (1, 4)
    assert counters["actions"] == 4  # the to-do lists: daily, 50 facilities a call
    assert counters["consumption_image"] == 0  # images only when looked at
    assert simulator.rate_limited == 0
