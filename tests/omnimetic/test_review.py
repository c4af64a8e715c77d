"""Core-style review of the hardened Omnimetic integration: each test failed first.

Migration interrupted or failing half-way, a cost spread whose rounding
remainder lands on an hour without energy, polling after a failed poll.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import logging
from pathlib import Path
from unittest.mock import patch

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.omnimetic import async_migrate_entry
from custom_components.omnimetic.api import MonthlyUsage
from custom_components.omnimetic.const import (
    DOMAIN,
    SERVICE_EXPORT_USAGE,
    UPDATE_INTERVAL,
)
from custom_components.omnimetic.coordinator import month_bounds, statistic_ids
from simulators import Fault
from simulators.omnimetic import OmnimeticSimulator
from tests.helpers import async_stored_rows

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

OLD = "omnimetic:ab_12_energy_consumption"
NEW = statistic_ids("ab-12")["consumption"]
ROWS = [
    StatisticData(start=datetime(2026, 11, 8, 12, tzinfo=UTC), state=2.0, sum=2.0),
    StatisticData(start=datetime(2026, 11, 8, 13, tzinfo=UTC), state=1.0, sum=3.0),
]


def _store(hass: HomeAssistant, statistic: str) -> None:
    async_add_external_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name="old",
            source=DOMAIN,
            statistic_id=statistic,
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        ROWS,
    )


def _v1_entry(
    hass: HomeAssistant, simulator: OmnimeticSimulator, url: str
) -> MockConfigEntry:
    simulator.add_service_account(
        "ab-12",
        profile=simulator.service_accounts[
            OmnimeticSimulator.SERVICE_ACCOUNT_ID
        ].meter.profile,
        tz=simulator.service_accounts[OmnimeticSimulator.SERVICE_ACCOUNT_ID].tz,
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        unique_id="ab-12",
        data={
            "client_id": OmnimeticSimulator.CLIENT_ID,
            "client_secret": OmnimeticSimulator.CLIENT_SECRET,
            "service_account_id": "ab-12",
            "url": url,
        },
        options={"backfill_days": 1},
    )
    entry.add_to_hass(hass)
    return entry


async def test_migration_keeps_old_rows_when_the_copy_did_not_arrive(
    hass: HomeAssistant, simulator: OmnimeticSimulator, simulator_url: str
) -> None:
    """A copy that was not committed never loses the old id's rows."""
    _store(hass, OLD)
    await async_wait_recording_done(hass)
    entry = _v1_entry(hass, simulator, simulator_url)
    with patch(
        "custom_components.omnimetic.common.statistics.async_add_external_statistics"
    ):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.version == 1
    assert len(await async_stored_rows(hass, OLD)) == len(ROWS)
    assert simulator.counters["total"] == 0


async def test_migration_finishes_after_a_stop_between_copy_and_clear(
    hass: HomeAssistant, simulator: OmnimeticSimulator, simulator_url: str
) -> None:
    """Run again after its copy was committed, it clears the old id (no orphan)."""
    _store(hass, OLD)
    _store(hass, NEW)
    await async_wait_recording_done(hass)
    entry = _v1_entry(hass, simulator, simulator_url)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.version == 2
    assert await async_stored_rows(hass, OLD) == []
    rows = await async_stored_rows(hass, NEW)
    # One row per hour: nothing copied twice (the refresh re-read the rows).
    starts = [row["start"] for row in rows]
    assert len(set(starts)) == len(starts)
    assert {r["start"].timestamp() for r in ROWS} <= set(starts)


async def test_cost_spread_has_no_negative_hour(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A month ending on hours without energy: every hour's cost >= 0, sum = bill.

    Spread in time order, the rounding remainder landed on the last hour:
    ``-1.8e-15`` for a 12.34 bill over 0.7, 0.1 and 0 kWh, which the importer
    drops as negative (that hour then lacks its cost).
    """
    coordinator = init_integration.runtime_data
    ids = coordinator.statistic_ids
    start, _ = month_bounds(2025, 3)
    hours = [start + timedelta(hours=i) for i in range(3)]
    async_add_external_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name="energy",
            source=DOMAIN,
            statistic_id=ids["consumption"],
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        [
            StatisticData(start=hour, state=value, sum=value)
            for hour, value in zip(hours, [0.7, 0.1, 0.0], strict=True)
        ],
    )
    await async_wait_recording_done(hass)
    coordinator._months[(2025, 3)] = MonthlyUsage(2025, 3, 0.8, None, None, 1234)
    with caplog.at_level(logging.WARNING):
        await coordinator._spread_costs({(2025, 3)}, datetime.now(UTC))
    assert "negative" not in caplog.text
    cost = [
        row
        for row in await async_stored_rows(hass, ids["cost"])
        if row["start"] < hours[-1].timestamp() + 1
    ]
    assert [row["start"] for row in cost] == [hour.timestamp() for hour in hours]
    assert all(row["state"] >= 0 for row in cost)
    assert sum(row["state"] for row in cost) == pytest.approx(12.34, abs=1e-9)


async def test_failed_poll_does_not_keep_the_long_rhythm_wait(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A poll that fails where the rhythm had planned a 12 h wait retries in 3 h."""
    coordinator = init_integration.runtime_data
    coordinator.update_interval = timedelta(hours=12)
    simulator.faults.inject(Fault.SERVER_ERROR, times=None)
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert coordinator.update_interval == UPDATE_INTERVAL


async def test_cancelled_export_leaves_no_partial_file(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An export cancelled mid-stream (HA stopping) closes and removes its .part."""
    client = init_integration.runtime_data.client

    async def download(_: str, write: Callable[[bytes], Awaitable[None]]) -> int:
        await write(b"PK\x03\x04")
        raise asyncio.CancelledError

    with (
        patch.object(client, "download_data", download),
        pytest.raises(asyncio.CancelledError),
    ):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_EXPORT_USAGE,
            {"config_entry_id": init_integration.entry_id},
            blocking=True,
            return_response=True,
        )
    # The clean-up runs in the executor, not awaited by the cancelled call.
    await hass.async_block_till_done(wait_background_tasks=True)
    folder = Path(hass.config.path("omnimetic_exports"))
    assert list(folder.glob("*.part")) == []


async def test_migration_leaves_a_taken_id_and_its_rows_alone(
    hass: HomeAssistant, simulator: OmnimeticSimulator, simulator_url: str
) -> None:
    """New id already holding other rows: neither id is touched; a newer entry is refused."""
    _store(hass, OLD)
    async_add_external_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name="other",
            source=DOMAIN,
            statistic_id=NEW,
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        [StatisticData(start=ROWS[0]["start"], state=5.0, sum=5.0)],
    )
    await async_wait_recording_done(hass)
    entry = _v1_entry(hass, simulator, simulator_url)
    assert await async_migrate_entry(hass, entry)
    assert entry.version == 2
    assert len(await async_stored_rows(hass, OLD)) == len(ROWS)
    assert [row["state"] for row in await async_stored_rows(hass, NEW)] == [5.0]
    # Nothing stored under the account's old ids: nothing to move.
    fresh = MockConfigEntry(
        domain=DOMAIN, version=1, data={"service_account_id": "x-1"}, unique_id="x"
    )
    fresh.add_to_hass(hass)
    assert await async_migrate_entry(hass, fresh)
    assert fresh.version == 2
    newer = MockConfigEntry(domain=DOMAIN, version=3, data={}, unique_id="y")
    assert not await async_migrate_entry(hass, newer)
    assert simulator.counters["total"] == 0


async def test_migration_during_startup_does_not_wait_for_the_recorder(
    hass: HomeAssistant, simulator: OmnimeticSimulator, simulator_url: str
) -> None:
    """Before HA has started the recorder runs no task: copy, then clear, queued."""
    _store(hass, OLD)
    await async_wait_recording_done(hass)
    entry = _v1_entry(hass, simulator, simulator_url)
    hass.set_state(CoreState.starting)
    assert await async_migrate_entry(hass, entry)
    hass.set_state(CoreState.running)
    assert entry.version == 2
    assert await async_stored_rows(hass, OLD) == []
    rows = await async_stored_rows(hass, NEW)
    assert [(row["state"], row["sum"]) for row in rows] == [
        (r["state"], r["sum"]) for r in ROWS
    ]
