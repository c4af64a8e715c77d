"""Hostile vendor data and the review's items, through HA against the simulator.

Item numbers refer to issue 8 ("8.N") and issue 12 ("12.N").
"""

from datetime import UTC, datetime, timedelta
import itertools
import math
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.omnimetic.const import DOMAIN, UPDATE_INTERVAL
from custom_components.omnimetic.coordinator import statistic_ids
from simulators import Fault
from simulators.omnimetic import HOSTILE_BILL, HOSTILE_INTERVAL, OmnimeticSimulator
from tests.helpers import async_stored_rows, async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

ACCOUNT = OmnimeticSimulator.SERVICE_ACCOUNT_ID
IDS = statistic_ids(ACCOUNT)
CONSUMPTION = IDS["consumption"]
COST = IDS["cost"]
WINDOW_START = (datetime.fromisoformat(NOW) - timedelta(days=14)).replace(
    minute=0, second=0, microsecond=0
)
# Kinds whose bad row replaces a real hour's value: that hour is skipped.
_VALUE_KINDS = {"infinite", "huge", "negative", "null"}


def _truth(
    simulator: OmnimeticSimulator, start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    account = simulator.service_accounts[ACCOUNT]
    return [(hour, value) for hour, value in account.meter.hours(start, end)]


def _assert_healthy(rows: list[dict[str, Any]], now: datetime) -> None:
    """Finite, one row per hour, nothing in the future, sums never decrease."""
    starts = [row["start"] for row in rows]
    assert len(starts) == len(set(starts))
    for row in rows:
        assert math.isfinite(row["state"])
        assert math.isfinite(row["sum"])
        assert row["state"] >= 0
        assert row["start"] <= (now + timedelta(hours=1)).timestamp()
    for before, row in itertools.pairwise(rows):
        assert row["sum"] == pytest.approx(before["sum"] + row["state"], abs=1e-5)


@pytest.mark.parametrize("kind", [*HOSTILE_INTERVAL, *HOSTILE_BILL])
async def test_hostile_rows_never_reach_statistics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
    kind: str,
) -> None:
    """8.1-8.4: one bad row of each kind is skipped; everything else is imported."""
    cost_before = await async_stored_rows(hass, COST)
    simulator.hostile = {kind}
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    coordinator = init_integration.runtime_data
    assert coordinator.last_update_success
    assert init_integration.state is ConfigEntryState.LOADED

    now = datetime.now(UTC)
    expected = _truth(simulator, WINDOW_START, simulator.data_end())
    if kind in _VALUE_KINDS:
        # The spoilt row is the third-newest hour of the answer: a new hour,
        # skipped rather than guessed.
        spoilt = simulator.data_end() - timedelta(hours=3)
        expected = [(hour, value) for hour, value in expected if hour != spoilt]
    rows = await async_stored_rows(hass, CONSUMPTION)
    assert [datetime.fromtimestamp(r["start"], UTC) for r in rows] == [
        hour for hour, _ in expected
    ]
    running = 0.0
    for row, (_, value) in zip(rows, expected, strict=True):
        running += value
        assert row["state"] == pytest.approx(value, abs=1e-9)
        assert row["sum"] == pytest.approx(running, abs=1e-6)
    _assert_healthy(rows, now)

    cost = await async_stored_rows(hass, COST)
    _assert_healthy(cost, now)
    assert cost[-1]["sum"] >= cost_before[-1]["sum"] - 1e-9
    newest = coordinator.data.newest_reading
    assert newest is not None
    assert newest < now
    assert all(month[0] < 2099 for month in coordinator.data.months)

    # Switched off again, the next refresh is as if nothing happened.
    simulator.hostile = set()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert coordinator.last_update_success


async def test_stored_future_row_is_not_the_cursor(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """8.2: a row stored in 2036 (an older version's import) freezes nothing."""
    rows = await async_stored_rows(hass, CONSUMPTION)
    future = datetime(2036, 1, 1, tzinfo=UTC)
    async_add_external_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=None,
            source=DOMAIN,
            statistic_id=CONSUMPTION,
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        [StatisticData(start=future, state=1.0, sum=rows[-1]["sum"] + 1.0)],
    )
    await async_wait_recording_done(hass)
    # At start-up, as after an upgrade.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await async_tick(hass, freezer, UPDATE_INTERVAL)

    issue_id = f"future_statistics_{init_integration.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "future_statistics"
    rows = await async_stored_rows(hass, CONSUMPTION)
    present = [r for r in rows if r["start"] < future.timestamp()]
    expected = _truth(simulator, WINDOW_START, simulator.data_end())
    assert [datetime.fromtimestamp(r["start"], UTC) for r in present] == [
        hour for hour, _ in expected
    ]
    # The future row no longer counts, so the sums run on correctly.
    assert rows[-1]["state"] == 0
    assert rows[-1]["sum"] == pytest.approx(present[-1]["sum"], abs=1e-6)


async def test_keeps_polling_without_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """12.1: with no sensor listening, statistics are still imported."""
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.omnimetic.PLATFORMS", []):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    simulator.reset_counters()
    for _ in range(4):
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert simulator.counters["interval_data"] == 4
    rows = await async_stored_rows(hass, CONSUMPTION)
    assert datetime.fromtimestamp(rows[-1]["start"], UTC) == (
        simulator.data_end() - timedelta(hours=1)
    )


async def test_removal_deletes_repair_issues(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """12.12: the entry's repair issues go with the entry."""
    simulator.service_accounts.pop(ACCOUNT)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"service_account_not_found_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_migration_keeps_history_under_injective_ids(
    hass: HomeAssistant, simulator: OmnimeticSimulator, simulator_url: str
) -> None:
    """8.7: version 1's lossy ids are renamed; ``ab-12`` and ``AB_12`` part ways."""
    assert statistic_ids("ab-12") != statistic_ids("AB_12")
    old = "omnimetic:ab_12_energy_consumption"
    new = statistic_ids("ab-12")["consumption"]
    assert new != old
    hour = datetime(2026, 9, 1, tzinfo=UTC)
    newest = datetime(2026, 11, 7, 10, tzinfo=UTC)
    async_add_external_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name="old",
            source=DOMAIN,
            statistic_id=old,
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        [
            StatisticData(start=hour, state=2.0, sum=2.0),
            StatisticData(start=newest, state=1.0, sum=3.0),
        ],
    )
    await async_wait_recording_done(hass)
    simulator.add_service_account(
        "ab-12",
        profile=simulator.service_accounts[ACCOUNT].meter.profile,
        tz=simulator.service_accounts[ACCOUNT].tz,
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        unique_id="ab-12",
        data={
            "client_id": OmnimeticSimulator.CLIENT_ID,
            "client_secret": OmnimeticSimulator.CLIENT_SECRET,
            "service_account_id": "ab-12",
            "url": simulator_url,
        },
        options={"backfill_days": 3},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    assert entry.version == 2
    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    assert old not in metadata
    assert new in metadata
    rows = await async_stored_rows(hass, new)
    assert rows[0]["start"] == hour.timestamp()
    assert rows[0]["state"] == 2.0
    assert rows[0]["sum"] == 2.0
    # The refresh after the migration continued the moved history.
    assert rows[1]["sum"] == pytest.approx(2.0 + rows[1]["state"])
    assert rows[-1]["start"] > newest.timestamp()
    assert await async_stored_rows(hass, old) == []


async def test_entry_from_a_newer_version_is_refused(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A downgrade does not run on statistics it does not know."""
    entry = MockConfigEntry(
        domain=DOMAIN, version=3, data=dict(mock_config_entry.data), unique_id="z"
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


# Long enough that the first refresh and, after two stored chunks, the
# resumed one start before the previous month (Oct 1; before it, every
# refresh starts there). The chunk size is irrelevant to what is checked:
# 5 days keep the test quick.
_CHUNK_DAYS = 5
_BACKFILL_DAYS = 50


@pytest.mark.parametrize("backfill_days", [_BACKFILL_DAYS])
@patch("custom_components.omnimetic.api.INTERVAL_CHUNK_DAYS", _CHUNK_DAYS)
async def test_first_import_resumes_where_it_stopped(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """12.3: chunks are stored as they come; a failure half-way loses none of them."""
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="interval_data", times=None)
    # Let the first two chunks through, then fail.
    calls = 0
    original = simulator.faults.take

    def take(endpoint: str, kinds: Any) -> Any:
        nonlocal calls
        if endpoint == "interval_data" and Fault.SERVER_ERROR in kinds:
            calls += 1
            if calls <= 2:
                return None
        return original(endpoint, kinds)

    simulator.faults.take = take  # type: ignore[method-assign]
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    rows = await async_stored_rows(hass, CONSUMPTION)
    first_start = (
        datetime.fromisoformat(NOW) - timedelta(days=_BACKFILL_DAYS)
    ).replace(minute=0, second=0, microsecond=0)
    assert datetime.fromtimestamp(rows[0]["start"], UTC) == first_start
    # Two chunks are stored (the first starts mid-day), no more.
    assert 24 * _CHUNK_DAYS * 2 - 24 <= len(rows) <= 24 * _CHUNK_DAYS * 2
    stored_before = len(rows)

    assert len(simulator.interval_ranges) == 2
    simulator.faults.take = original  # type: ignore[method-assign]
    simulator.faults.clear()
    simulator.interval_ranges.clear()
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    # Only the rest is asked for: from the stored hours (less the re-read
    # window) on, not the 120 days again.
    cursor = datetime.fromtimestamp(rows[-1]["start"], UTC)
    assert simulator.interval_ranges[0][0] == (cursor - timedelta(days=3)).date()
    rows = await async_stored_rows(hass, CONSUMPTION)
    assert len(rows) > stored_before
    expected = _truth(simulator, first_start, simulator.data_end())
    assert [r["start"] for r in rows] == [h.timestamp() for h, _ in expected]
    _assert_healthy(rows, datetime.now(UTC))


async def test_statistic_names_use_the_service_address(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """12.7: the Energy dashboard shows the address, not the id."""
    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    assert metadata[CONSUMPTION][1]["name"] == "12 Elm Street, Springfield consumption"
    assert metadata[COST][1]["name"] == "12 Elm Street, Springfield cost"
