"""Hostile vendor data never reaches the statistics (issue 8), through HA.

Each class of bad row is served by the simulator next to the real data; the
real series must stay exactly the ground truth, the bad row must not appear
anywhere, and refreshes must go on (no traceback, no frozen cursor).
"""

from datetime import UTC, date, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.momentum_energi.api import StatisticRow
from custom_components.momentum_energi.const import DOMAIN, UPDATE_INTERVAL
from simulators.momentum_energi import MomentumEnergiSimulator
from tests.helpers import async_stored_rows, async_tick

from .conftest import NOW, SIM
from .test_statistics import FIRST, _assert_all_series, _id

pytestmark = pytest.mark.freeze_time(NOW)

# Björken (1002) has no district heating: a bad heating row of it must not
# create a statistic at all, and cannot hide behind a real row.
BAD_SERIES = (_id("1002", "fjarrvarme", "energy"), _id("1002", "fjarrvarme", "volume"))

DROPPED = {
    # 8.3: 1e307 MWh is inf kWh; 1e308 kWh twice sums to inf; negative and
    # null / NaN / inf values.
    "huge": "not finite",
    "overflow": "implausibly large",
    "negative": "negative",
    "null": "skipped by the client",
    "nan": "skipped by the client",
    # 8.5: periods that would land in the wrong month or in the future.
    "stop_before_start": "stopDate not after startDate",
    "not_a_month": "period is not one month",
    "future_month": "month in the future",
    # 8.4: dates with no UTC form, or no next month.
    "year_9999": "unreadable or out-of-range period",
    "year_0001": "unreadable startDate",
}


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _metadata(hass: HomeAssistant) -> dict[str, Any]:
    return await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_source=DOMAIN)
    )


@pytest.mark.parametrize("kind", sorted(DROPPED))
async def test_bad_rows_never_reach_statistics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    kind: str,
) -> None:
    """One bad row (twice, for sums): the rest imports, the bad row nowhere."""
    simulator.extra_rows += [
        simulator.hostile_row(kind, "1002", date(2026, 8, 1)),
        simulator.hostile_row(kind, "1002", date(2026, 9, 1)),
    ]
    await _setup(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    coordinator = mock_config_entry.runtime_data
    # Also through an incremental refresh and a vendor's nightly import.
    await async_tick(hass, freezer, timedelta(hours=24))
    assert coordinator.last_update_success
    await _assert_all_series(hass, simulator, FIRST)
    metadata = await _metadata(hass)
    assert not set(BAD_SERIES) & set(metadata)
    for statistic_id in metadata:
        for row in await async_stored_rows(hass, statistic_id):
            assert row["sum"] < 1e12


async def test_future_last_updated_never_becomes_the_cursor(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """8.2: a lastUpdated of 2099 is not the watermark; later updates still land."""
    simulator.extra_rows.append(simulator.hostile_row("future_updated", "1002"))
    await _setup(hass, mock_config_entry)
    coordinator = mock_config_entry.runtime_data
    assert coordinator.last_updated is not None
    assert coordinator.last_updated <= dt_util.utcnow()
    assert "updated in the future" in caplog.text
    # Two nightly imports later the running month is still followed.
    await async_tick(hass, freezer, timedelta(hours=24))
    await async_tick(hass, freezer, timedelta(hours=24))
    assert simulator.asked_after
    assert max(simulator.asked_after) <= dt_util.utcnow().date()
    await _assert_all_series(hass, simulator, FIRST)
    # The diagnostic timestamp does not show 2099 either.
    assert all(value <= dt_util.utcnow() for value in coordinator.data.updated.values())


async def test_stored_future_watermark_is_ignored_and_reported(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """8.2: a 2099 watermark saved by an older version: re-import and a repair issue."""
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}",
        "data": {
            "level": "E",
            "media": None,
            "since": FIRST.isoformat(),
            "last_updated": "2099-01-01T05:00:00+00:00",
        },
    }
    await _setup(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    # The whole period again, not "updated after 2098-12-31" (which is nothing).
    assert simulator.counters["statistics_period"] == 1
    assert simulator.counters["statistics_updated_after"] == 0
    issue = issue_registry.async_get_issue(
        DOMAIN, f"future_watermark_{mock_config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {"watermark": "2099-01-01T05:00:00+00:00"}
    saved = hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"]["data"]
    assert datetime.fromisoformat(saved["last_updated"]) <= dt_util.utcnow()
    await _assert_all_series(hass, simulator, FIRST)


async def test_one_warning_per_response_names_the_reasons(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Skipped rows are logged once per response, with why, never as a traceback."""
    simulator.extra_rows += [
        simulator.hostile_row(kind, "1002")
        for kind in ("stop_before_start", "year_9999", "year_0001", "not_a_month")
    ]
    with caplog.at_level(logging.WARNING):
        await _setup(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    lines = [
        r.getMessage()
        for r in caplog.records
        if "cannot be read unambiguously" in r.getMessage()
    ]
    assert len(lines) == 1
    for reason in (
        "stopDate not after startDate",
        "period is not one month",
        "unreadable startDate",
        "unreadable or out-of-range period",
    ):
        assert reason in lines[0]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("kind", sorted(DROPPED))
def test_parser_never_raises(kind: str) -> None:
    """8.4: every class parses to a row, a reason or nothing, never an exception."""
    simulator = MomentumEnergiSimulator(seed=1, tz="Europe/Stockholm")
    parsed = StatisticRow.parse(simulator.hostile_row(kind))
    if isinstance(parsed, str):
        assert parsed == DROPPED[kind]
    elif parsed is not None:
        # Values and far-future months are judged later (coordinator, importer).
        assert kind in ("huge", "overflow", "negative", "future_month", "nan")


def test_missing_stop_date_in_an_east_zone() -> None:
    """The next month is counted in the API's own offset (1 April is 31 March UTC)."""
    row = StatisticRow.parse(
        {
            "itemKey": "1",
            "startDate": "2026-04-01T00:00:00+02:00",
            "stopDate": None,
            "consumption": 1.0,
        }
    )
    assert isinstance(row, StatisticRow)
    assert row.stop == datetime(2026, 4, 30, 22, tzinfo=UTC)


async def test_vendor_echo_of_the_password_is_redacted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """8.10: a 500 that echoes the token request keeps no secret in the log."""
    simulator.echo_request_in_errors = True
    simulator.tokens.expire_all()
    with caplog.at_level(logging.DEBUG):
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    coordinator = init_integration.runtime_data
    assert not coordinator.last_update_success
    assert "Could not process the request" in caplog.text
    for secret in (SIM.PASSWORD, SIM.CLIENT_SECRET):
        assert secret not in caplog.text
        assert secret not in str(coordinator.last_exception)
