"""12.19: what a day costs, polling to the data's publication rhythm.

Counted on the simulator at default settings after a day of learning:
vendor calls per endpoint, and rows written to the recorder.
"""

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.omnimetic.common import statistics as common_statistics
from simulators.omnimetic import OmnimeticSimulator
from tests.helpers import async_stored_rows, async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

CONSUMPTION = f"omnimetic:{OmnimeticSimulator.SERVICE_ACCOUNT_ID}_energy_consumption"
HOUR = timedelta(hours=1)


@pytest.fixture
def written_rows() -> Generator[list[int]]:
    """Count the rows handed to the recorder."""
    counts: list[int] = []
    original = common_statistics.async_add_external_statistics

    def count(hass: HomeAssistant, metadata: Any, rows: Any) -> None:
        counts.append(len(rows))
        original(hass, metadata, rows)

    with patch.object(common_statistics, "async_add_external_statistics", count):
        yield counts


async def _day(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> list[datetime]:
    """Tick through 24 hours; return the newest stored hour after each tick."""
    newest = []
    for _ in range(24):
        await async_tick(hass, freezer, HOUR)
        rows = await async_stored_rows(hass, CONSUMPTION)
        newest.append(datetime.fromtimestamp(rows[-1]["start"], UTC))
    return newest


@pytest.mark.parametrize("reading", [{"publish_hour": 6}])
@pytest.mark.parametrize("backfill_days", [3])
async def test_daily_publisher_is_polled_around_its_publication(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
    written_rows: list[int],
) -> None:
    """A utility publishing at 06:00 UTC is asked ~3 times a day, and seen within 1 h."""
    # The first day learns the rhythm, the second narrows the window.
    await _day(hass, freezer)
    await _day(hass, freezer)
    simulator.reset_counters()
    written_rows.clear()
    newest = await _day(hass, freezer)
    calls = {k: v for k, v in simulator.counters.items() if k != "total"}
    assert calls == {"access_token": 3, "interval_data": 3, "historical_data": 1}
    # About 59 kB: mostly the daily re-read of three days of hours.
    assert simulator.bytes_served["total"] < 80_000
    assert sum(written_rows) <= 24 * 3 + 744
    # Published at 06:00 UTC; the clock started at 15:30, so ticks land at
    # hh:30: the day appears at the first poll after publication.
    published = datetime(2026, 11, 11, 6, 30, tzinfo=UTC)
    start = datetime(2026, 11, 10, 15, 30, tzinfo=UTC)
    seen_at = start + HOUR * (1 + newest.index(datetime(2026, 11, 10, 23, tzinfo=UTC)))
    assert seen_at <= published + HOUR


@pytest.mark.parametrize("backfill_days", [3])
async def test_hourly_publisher_costs_per_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
    written_rows: list[int],
) -> None:
    """Data appearing every hour is polled every 3 hours; few rows rewritten."""
    await _day(hass, freezer)
    simulator.reset_counters()
    written_rows.clear()
    await _day(hass, freezer)
    calls = {k: v for k, v in simulator.counters.items() if k != "total"}
    assert calls == {"access_token": 8, "interval_data": 8, "historical_data": 8}
    # About 100 kB: every poll re-reads the running month's bills.
    assert simulator.bytes_served["total"] < 130_000
    # New hours of three series plus the running month's cost: no re-read
    # window rewritten, the month's cost re-spread once.
    assert sum(written_rows) < 1912
