"""Cost statistics of EnerKey's energy meters from the price-per-kWh option.

Each hour's cost must be that hour's stored energy in kWh times the price,
made from the rows the refresh imports (no call to EnerKey for it), or from
the recorder's rows for hours stored before a price was set.
"""

from datetime import UTC, datetime, timedelta
import logging
import math
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enerkey.const import CONF_PRICE_PER_KWH, UPDATE_INTERVAL
from custom_components.enerkey.coordinator import (
    meter_cost_statistic_id,
    meter_statistic_id,
)
from custom_components.enerkey.diagnostics import async_get_config_entry_diagnostics
from simulators.enerkey import EnerKeySimulator
from tests.helpers import async_stored_rows, async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

# Energy meters of the simulator and their unit's factor to kWh.
ENERGY = {"2001": 1.0, "2002": 1000.0, "2011": 1.0, "2021": 1.0, "2022": 1000.0}
# Water (m³) and gas (Nm3): a price per kWh does not apply.
NOT_ENERGY = ("2003", "2004", "2012")
NAMES = {
    "2001": "Toimisto Ruoholahti Main electricity cost",
    "2002": "Toimisto Ruoholahti District heating cost",
}
REREAD = timedelta(hours=48)
HOUR = timedelta(hours=1)


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _set_price(
    hass: HomeAssistant, entry: MockConfigEntry, price: float | None
) -> None:
    """Go through the options flow; it reloads the entry."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {} if price is None else {CONF_PRICE_PER_KWH: price}
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)


async def _hours(hass: HomeAssistant, statistic: str) -> dict[datetime, float]:
    return {
        datetime.fromtimestamp(row["start"], UTC): row["state"]
        for row in await async_stored_rows(hass, statistic)
    }


async def _assert_running_sum(hass: HomeAssistant, statistic: str) -> None:
    """The stored sum is the running total of the stored states."""
    total = 0.0
    for row in await async_stored_rows(hass, statistic):
        total += row["state"]
        assert row["sum"] == pytest.approx(total, abs=1e-5)


async def _metadata(hass: HomeAssistant) -> dict[str, dict[str, Any]]:
    found = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    return {sid: dict(meta) for sid, (_, meta) in found.items()}


@pytest.mark.parametrize("price", [None, 0.15])
async def test_cost_is_energy_times_price(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    price: float | None,
) -> None:
    """Hour by hour energy in kWh x price; energy meters only; no extra call."""
    if price is not None:
        mock_config_entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(
            mock_config_entry, options={CONF_PRICE_PER_KWH: price}
        )
    await _setup(hass, mock_config_entry)
    # The same calls with and without a price: the cost is computed here.
    assert dict(simulator.counters) == {
        "facilities": 1,
        "meters": 1,
        "actions": 1,
        "hourly": 1,
        "monthly": 1,
        "monthly_normalized": 1,
        "total": 6,
    }
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert simulator.counters["total"] == 8
    metadata = await _metadata(hass)
    diagnostics = await async_get_config_entry_diagnostics(hass, mock_config_entry)
    assert diagnostics["price_per_kwh_set"] is (price is not None)
    if price is None:
        assert not [sid for sid in metadata if sid.endswith("_cost")]
        return
    assert hass.config.currency == "EUR"
    for meter_id, factor in ENERGY.items():
        energy = await _hours(hass, meter_statistic_id(meter_id))
        cost = await _hours(hass, meter_cost_statistic_id(meter_id))
        assert len(energy) == 5 * 24 + 3
        assert cost.keys() == energy.keys()
        for hour, value in energy.items():
            assert cost[hour] == pytest.approx(value * factor * price, rel=1e-9)
        await _assert_running_sum(hass, meter_cost_statistic_id(meter_id))
        meta = metadata[meter_cost_statistic_id(meter_id)]
        assert meta["unit_of_measurement"] == "EUR"
        assert meta["unit_class"] is None
        assert meta["has_sum"] is True
        assert meta["source"] == "enerkey"
    for meter_id, name in NAMES.items():
        assert metadata[meter_cost_statistic_id(meter_id)]["name"] == name
    assert meter_cost_statistic_id("2001") == "enerkey:meter_2001_cost"
    for meter_id in NOT_ENERGY:
        assert meter_statistic_id(meter_id) in metadata
        assert meter_cost_statistic_id(meter_id) not in metadata


async def test_price_set_later_costs_the_stored_history(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The history already stored gets its cost from the recorder, not EnerKey."""
    await _setup(hass, mock_config_entry)
    stored = await _hours(hass, meter_statistic_id("2001"))
    # EnerKey changes an old hour (outside the re-read window): the stored
    # row, which the cost is made from, keeps its value.
    old = min(stored) + timedelta(hours=5)
    simulator.correct(2001, old, 999.0)
    freezer.tick(timedelta(minutes=10))
    simulator.reset_counters()
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    plain_reload = dict(simulator.counters)
    assert meter_cost_statistic_id("2001") not in await _metadata(hass)

    freezer.tick(timedelta(minutes=10))
    simulator.reset_counters()
    await _set_price(hass, mock_config_entry, 0.2)
    assert mock_config_entry.options == {CONF_PRICE_PER_KWH: 0.2}
    # The catch-up read the recorder: the reload cost what a plain one does.
    assert dict(simulator.counters) == plain_reload
    for meter_id, factor in ENERGY.items():
        energy = await _hours(hass, meter_statistic_id(meter_id))
        cost = await _hours(hass, meter_cost_statistic_id(meter_id))
        assert len(energy) == 5 * 24
        assert cost.keys() == energy.keys()
        for hour, value in energy.items():
            assert cost[hour] == pytest.approx(value * factor * 0.2, rel=1e-9)
        await _assert_running_sum(hass, meter_cost_statistic_id(meter_id))
    cost = await _hours(hass, meter_cost_statistic_id("2001"))
    assert stored[old] != 999.0
    assert cost[old] == pytest.approx(stored[old] * 0.2, rel=1e-9)
    for meter_id in NOT_ENERGY:
        assert meter_cost_statistic_id(meter_id) not in await _metadata(hass)


async def test_price_change_reprices_the_reread_window_only(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """New price: the re-read window and new hours; older hours keep theirs."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_PRICE_PER_KWH: 0.1}
    )
    await _setup(hass, mock_config_entry)
    newest = max(await _hours(hass, meter_statistic_id("2002")))
    freezer.tick(timedelta(minutes=30))
    await _set_price(hass, mock_config_entry, 0.3)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    # The reload re-read 48 hours before the hour after the newest stored.
    boundary = newest + HOUR - REREAD
    for meter_id, factor in ENERGY.items():
        energy = await _hours(hass, meter_statistic_id(meter_id))
        cost = await _hours(hass, meter_cost_statistic_id(meter_id))
        assert len(energy) == 5 * 24 + 4
        assert cost.keys() == energy.keys()
        for hour, value in energy.items():
            price = 0.3 if hour >= boundary else 0.1
            assert cost[hour] == pytest.approx(value * factor * price, rel=1e-9)
        await _assert_running_sum(hass, meter_cost_statistic_id(meter_id))
    old = [hour for hour in cost if hour < boundary]
    new = [hour for hour in cost if hour >= boundary]
    assert len(old) == 5 * 24 - 48
    assert len(new) == 48 + 4


async def test_price_removed_keeps_the_cost_history(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Cleared: no new cost rows, stored ones stay; set again: the gap is costed."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_PRICE_PER_KWH: 0.1}
    )
    await _setup(hass, mock_config_entry)
    before = await _hours(hass, meter_cost_statistic_id("2001"))
    assert len(before) == 5 * 24
    freezer.tick(timedelta(minutes=30))
    await _set_price(hass, mock_config_entry, None)
    assert mock_config_entry.options == {}
    assert mock_config_entry.runtime_data.price_per_kwh is None
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    # The reload's hour and two refreshes of three.
    assert len(await _hours(hass, meter_statistic_id("2001"))) == 5 * 24 + 7
    assert await _hours(hass, meter_cost_statistic_id("2001")) == before
    # A price again: the hours stored without one get the new price from the
    # recorder, the earlier ones keep theirs (outside the re-read window).
    freezer.tick(timedelta(minutes=30))
    simulator.reset_counters()
    await _set_price(hass, mock_config_entry, 0.5)
    assert simulator.counters["hourly"] == 1
    energy = await _hours(hass, meter_statistic_id("2001"))
    cost = await _hours(hass, meter_cost_statistic_id("2001"))
    assert cost.keys() == energy.keys()
    assert len(energy) == 5 * 24 + 7
    # The gap (7 hours) from the recorder, the re-read window from EnerKey.
    boundary = max(energy) + HOUR - REREAD
    assert boundary < max(before)
    for hour, value in energy.items():
        price = 0.5 if hour >= boundary else 0.1
        assert cost[hour] == pytest.approx(value * price, rel=1e-9)
    assert cost[max(before)] == pytest.approx(energy[max(before)] * 0.5, rel=1e-9)
    assert cost[min(before)] == before[min(before)]
    await _assert_running_sum(hass, meter_cost_statistic_id("2001"))
    assert math.isclose(
        (await async_stored_rows(hass, meter_cost_statistic_id("2001")))[-1]["sum"],
        math.fsum(cost.values()),
        abs_tol=1e-5,
    )


@pytest.mark.parametrize("stored", [math.nan, -1.0, "0.2", True])
async def test_unusable_stored_price_makes_no_cost(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    stored: object,
) -> None:
    """A price the flow would never store (an edited file) means no cost."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_PRICE_PER_KWH: stored}
    )
    await _setup(hass, mock_config_entry)
    assert mock_config_entry.runtime_data.price_per_kwh is None
    assert meter_cost_statistic_id("2001") not in await _metadata(hass)


async def test_rows_the_import_drops_get_no_cost(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Hours the energy import skips get no cost; the skip is logged once.

    The infinite value never leaves the client (not a readable row); the
    negative one is dropped by the import's checks, for energy and cost alike.
    """
    bad = {
        datetime(2026, 10, 26, 3, tzinfo=UTC): -5.0,
        datetime(2026, 10, 26, 4, tzinfo=UTC): math.inf,
    }
    for hour, value in bad.items():
        simulator.correct(2001, hour, value)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_PRICE_PER_KWH: 0.2}
    )
    with caplog.at_level(logging.WARNING):
        await _setup(hass, mock_config_entry)
    energy = await _hours(hass, meter_statistic_id("2001"))
    cost = await _hours(hass, meter_cost_statistic_id("2001"))
    assert len(energy) == 5 * 24 - 2
    assert not bad.keys() & energy.keys()
    assert cost.keys() == energy.keys()
    for hour, value in energy.items():
        assert cost[hour] == pytest.approx(value * 0.2, rel=1e-9)
    await _assert_running_sum(hass, meter_cost_statistic_id("2001"))
    skipped = [r.getMessage() for r in caplog.records if "Skipped" in r.getMessage()]
    assert skipped == ["Skipped vendor rows of enerkey:meter_2001: 1 negative"]


async def test_catch_up_spread_over_refreshes(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A large history is costed a few meters a refresh; none is left half done."""
    await _setup(hass, mock_config_entry)
    freezer.tick(timedelta(minutes=30))
    with patch("custom_components.enerkey.coordinator._CATCH_UP_ROWS", 200):
        await _set_price(hass, mock_config_entry, 0.2)
        metadata = await _metadata(hass)
        # 120 stored hours a meter: the second meter reaches the limit.
        done = {m for m in ENERGY if meter_cost_statistic_id(m) in metadata}
        assert done == {"2001", "2002"}
        await async_tick(hass, freezer, UPDATE_INTERVAL)
        metadata = await _metadata(hass)
        done = {m for m in ENERGY if meter_cost_statistic_id(m) in metadata}
        assert done == {"2001", "2002", "2011", "2021"}
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    for meter_id, factor in ENERGY.items():
        energy = await _hours(hass, meter_statistic_id(meter_id))
        cost = await _hours(hass, meter_cost_statistic_id(meter_id))
        assert len(energy) == 5 * 24 + 7
        assert cost.keys() == energy.keys()
        for hour, value in energy.items():
            assert cost[hour] == pytest.approx(value * factor * 0.2, rel=1e-9)
        await _assert_running_sum(hass, meter_cost_statistic_id(meter_id))
