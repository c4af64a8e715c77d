"""The shared statistics module, each vendored copy against a real recorder."""

from datetime import UTC, datetime, timedelta
import re
from types import ModuleType

from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from tests.helpers import async_stored_rows

from .conftest import copies, copy_id

STATS = pytest.mark.parametrize("stats", copies("statistics")[1:], ids=copy_id)
STAT = "test:meter_energy"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Start the recorder before hass."""


def _series(stats: ModuleType, points: list[tuple[datetime, float]]) -> object:
    return stats.StatisticSeries(
        statistic_id=STAT, name="Meter", unit="kWh", unit_class="energy", points=points
    )


async def _stored(hass: HomeAssistant) -> list[tuple[datetime, float, float]]:
    return [
        (datetime.fromtimestamp(r["start"], UTC), r["state"], r["sum"])
        for r in await async_stored_rows(hass, STAT)
    ]


@STATS
async def test_import_continues_and_merge_resums(
    hass: HomeAssistant, stats: ModuleType
) -> None:
    """Sums continue across imports, even after a gap; a merged old point resums."""
    assert await stats.async_last_start(hass, STAT) is None
    await stats.async_import_series(hass, "test", _series(stats, []))
    await stats.async_import_series(
        hass, "test", _series(stats, [(T0, 1.0), (T0 + timedelta(hours=1), 2.0)])
    )
    await async_wait_recording_done(hass)
    # 60 days later: longer than the look-back, the sum still continues.
    late = T0 + timedelta(days=60)
    await stats.async_import_series(hass, "test", _series(stats, [(late, 4.0)]))
    assert [row[2] for row in await _stored(hass)] == [1.0, 3.0, 7.0]
    assert await stats.async_last_start(hass, STAT) == late

    await stats.async_merge_series(hass, "test", _series(stats, []))
    await stats.async_merge_series(
        hass, "test", _series(stats, [(T0 + timedelta(hours=1), 5.0)])
    )
    assert await _stored(hass) == [
        (T0, 1.0, 1.0),
        (T0 + timedelta(hours=1), 5.0, 6.0),
        (late, 4.0, 10.0),
    ]
    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    assert metadata[STAT][1]["unit_class"] == "energy"


@STATS
def test_ids_and_hours(stats: ModuleType) -> None:
    """Statistic ids are [a-z0-9_] without doubled underscores; hours floor."""
    assert stats.statistic_id("dom", "ab_12", "energy") == "dom:ab_12_energy"
    ids = {
        stats.statistic_id("dom", part, "c") for part in ("A-b", "a_b", "a-b", "A_B")
    }
    assert len(ids) == 4  # injective: lossy parts carry a hash of the original
    for sid in ids:
        assert re.fullmatch(r"dom:[a-z0-9]+(_[a-z0-9]+)*", sid), sid
    assert re.fullmatch(r"dom:[0-9a-f]{8}_c", stats.statistic_id("dom", "__Ö__", "c"))
    assert stats.hour_floor(datetime(2026, 1, 1, 10, 59, 59, tzinfo=UTC)) == datetime(
        2026, 1, 1, 10, tzinfo=UTC
    )
    # In HA's test time zone (US/Pacific): PST from 2026-11-01, PDT before.
    moment = datetime(2026, 11, 8, 15, 30, tzinfo=UTC)
    assert [stats.local_month_start(moment, back) for back in (0, 1, 11)] == [
        datetime(2026, 11, 1, 7, tzinfo=UTC),
        datetime(2026, 10, 1, 7, tzinfo=UTC),
        datetime(2025, 12, 1, 8, tzinfo=UTC),
    ]
