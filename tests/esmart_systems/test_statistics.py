"""External statistics of the eSmart Systems integration against the simulator's truth."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esmart_systems.api import ESmartClient, ESmartRateLimitError
from custom_components.esmart_systems.const import UPDATE_INTERVAL
from simulators.esmart_systems import Contract, ESmartSystemsSimulator
from tests.helpers import async_stored_rows, async_tick

from .conftest import BACKFILL, NOW

pytestmark = pytest.mark.freeze_time(NOW)

CONTRACTS = {"5001": "1001", "5002": "1001", "5003": "1002"}
START = (datetime.fromisoformat(NOW) - BACKFILL).replace(minute=0, second=0)


def _ids(contract_no: str) -> tuple[str, str]:
    customer = CONTRACTS[contract_no]
    return (
        f"esmart_systems:power_{customer}_{contract_no}_consumption",
        f"esmart_systems:power_{customer}_{contract_no}_cost",
    )


def _truth(
    simulator: ESmartSystemsSimulator,
    value: Callable[[Contract, datetime], float],
    contract_no: str,
    start: datetime = START,
) -> list[tuple[datetime, float]]:
    """Return what the simulator serves now, hour by hour, from ``start``."""
    contract = simulator.contracts[contract_no]
    hours = []
    hour = start
    while hour < simulator.data_end():
        hours.append((hour, value(contract, hour)))
        hour += timedelta(hours=1)
    return hours


def _assert_series(
    rows: list[dict[str, Any]], expected: list[tuple[datetime, float]]
) -> None:
    """Every hour once, in order, with the right value and running sum."""
    assert [datetime.fromtimestamp(row["start"], UTC) for row in rows] == [
        hour for hour, _ in expected
    ]
    running = 0.0
    for row, (_, value) in zip(rows, expected, strict=True):
        running += value
        assert row["state"] == pytest.approx(value, abs=1e-9)
        assert row["sum"] == pytest.approx(running, abs=1e-5)


async def _assert_truth(hass: HomeAssistant, simulator: ESmartSystemsSimulator) -> None:
    for contract_no in CONTRACTS:
        consumption_id, cost_id = _ids(contract_no)
        _assert_series(
            await async_stored_rows(hass, consumption_id),
            _truth(simulator, simulator.consumption, contract_no),
        )
        _assert_series(
            await async_stored_rows(hass, cost_id),
            _truth(simulator, simulator.cost, contract_no),
        )


@pytest.mark.parametrize("reading", [{}, {"bare": True}], ids=["envelope", "bare"])
async def test_backfill_matches_ground_truth_across_dst(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Two weeks over the end of summer time: every UTC hour once, exact sums."""
    await _assert_truth(hass, simulator)
    rows = await async_stored_rows(hass, _ids("5001")[0])
    # 2026-10-25 in Oslo has 25 hours, all of them stored.
    day = [
        row
        for row in rows
        if datetime(2026, 10, 24, 22, tzinfo=UTC)
        <= datetime.fromtimestamp(row["start"], UTC)
        < datetime(2026, 10, 25, 23, tzinfo=UTC)
    ]
    assert len(day) == 25
    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    consumption = metadata[_ids("5001")[0]][1]
    assert consumption["unit_of_measurement"] == "kWh"
    assert consumption["unit_class"] == "energy"
    assert consumption["has_sum"] is True
    assert consumption["source"] == "esmart_systems"
    cost = metadata[_ids("5001")[1]][1]
    assert cost["unit_of_measurement"] == "NOK"
    assert cost["unit_class"] is None
    # Two weeks per series: one request each (31-day chunks).
    assert simulator.counters["consumption"] == 3
    assert simulator.counters["costs"] == 3


async def test_rerun_adds_nothing_and_estimates_become_measured(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A refresh rewrites the re-read window only; estimated hours get final values."""
    consumption_id, _ = _ids("5001")
    before = await async_stored_rows(hass, consumption_id)
    estimated_hour = datetime(2026, 10, 26, 12, tzinfo=UTC)
    assert simulator.is_estimated(estimated_hour)
    stored = {datetime.fromtimestamp(r["start"], UTC): r["state"] for r in before}
    contract = simulator.contracts["5001"]
    assert stored[estimated_hour] == round(
        contract.meter.value(estimated_hour) * 0.9, 3
    )

    # The same hour again: the refresh writes what is already there.
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert await async_stored_rows(hass, consumption_id) == before

    # A day later the estimates of yesterday are measured values.
    await async_tick(hass, freezer, timedelta(hours=24))
    assert not simulator.is_estimated(estimated_hour)
    await _assert_truth(hass, simulator)
    after = {
        datetime.fromtimestamp(r["start"], UTC): r["state"]
        for r in await async_stored_rows(hass, consumption_id)
    }
    assert after[estimated_hour] == contract.meter.value(estimated_hour)


async def test_correction_lands(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A value the utility corrects two days back is rewritten, sums follow."""
    hour = datetime(2026, 10, 25, 1, tzinfo=UTC)
    simulator.contracts["5002"].meter.correct(hour, 42.0)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    await _assert_truth(hass, simulator)
    rows = await async_stored_rows(hass, _ids("5002")[0])
    assert {datetime.fromtimestamp(r["start"], UTC): r["state"] for r in rows}[
        hour
    ] == 42.0


async def test_calls_per_refresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An hourly refresh reads new hours once per series; prices once a day."""
    simulator.reset_counters()
    simulator.rows_served.clear()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    # 12:30 in Oslo, same six-hour slot as the first refresh: no contracts,
    # invoices or message page; today's prices are known and tomorrow's not
    # published yet, so no price request either.
    expected = {
        "messages_count": 2,
        "consumption": 3,
        "costs": 3,
    }
    counts = {
        k: v
        for k, v in simulator.counters.items()
        if k not in ("total", "wattmeter") and v
    }
    assert counts == expected
    # No history is downloaded again: the re-read window plus new hours only.
    assert simulator.rows_served["consumption"] <= 3 * (4 * 24 + 2)
    # Only the contract with a wattmeter is polled for power.
    assert simulator.counters["wattmeter"] >= 1
    assert simulator.counters["wattmeter_v2"] == 0

    # 13:30: tomorrow's are published and read once per contract and area.
    simulator.reset_counters()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert simulator.counters["hourprices"] == 3
    assert simulator.counters["spotprices"] == 1
    # Both days are known: no price request until midnight.
    simulator.reset_counters()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert simulator.counters["hourprices"] == 0
    assert simulator.counters["spotprices"] == 0
    assert simulator.counters["consumption"] == 3


async def test_interrupted_backfill_resumes(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: ESmartSystemsSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Each 31-day chunk is stored before the next: a 429 mid-way loses nothing."""
    original = ESmartClient.series
    calls = 0

    async def flaky(self: ESmartClient, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:  # the second chunk of the first contract
            raise ESmartRateLimitError("slow down", 60)
        return await original(self, *args, **kwargs)

    start = (datetime.fromisoformat(NOW) - timedelta(days=70)).replace(
        minute=0, second=0
    )
    mock_config_entry.add_to_hass(hass)
    with (
        patch(
            "custom_components.esmart_systems.coordinator.BACKFILL", timedelta(days=70)
        ),
        patch.object(ESmartClient, "series", flaky),
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    first = await async_stored_rows(hass, _ids("5001")[0])
    assert len(first) == 31 * 24
    simulator.reset_counters()
    with patch(
        "custom_components.esmart_systems.coordinator.BACKFILL", timedelta(days=70)
    ):
        await hass.config_entries.async_reload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    _assert_series(
        await async_stored_rows(hass, _ids("5001")[0]),
        _truth(simulator, simulator.consumption, "5001", start),
    )
    _assert_series(
        await async_stored_rows(hass, _ids("5001")[1]),
        _truth(simulator, simulator.cost, "5001", start),
    )
    # Resumed three days before the stored chunk's end: two requests for the
    # remaining 42 days, not three for all 70.
    assert simulator.counters["consumption"] == 2 + 3 + 3


async def test_calls_per_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A day of hourly refreshes: contracts and invoices a few times, prices once.

    Two customer numbers, three metered contracts (one price area): the
    figures the docs' "Data updates and API calls" section gives.
    """
    simulator.reset_counters()
    for _ in range(24):
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    counts = {
        k: v
        for k, v in simulator.counters.items()
        if k not in ("total", "wattmeter") and v
    }
    assert counts == {
        # Every six hours per customer (2 customers).
        "contractdeliverypoints": 2 * 4,
        "invoices": 2 * 4,
        # The unread count hourly; the page with the contracts, and when the
        # count changed (it did not).
        "messages_count": 2 * 24,
        "messages": 2 * 4,
        # New hours of each metered contract (3) every hour.
        "consumption": 3 * 24,
        "costs": 3 * 24,
        # Tomorrow's prices once they are published (13:00 local), per
        # contract and price area; none before.
        "hourprices": 3,
        "spotprices": 1,
    }
    assert sum(counts.values()) == 8 + 8 + 48 + 8 + 144 + 4
