"""DST days in Europe/Zurich through HA: 92 and 100 slots, a meter reset, MWh."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.moost.push.energy_prefs import GATEWAY_ID
from simulators.moost import MoostSimulator

from .test_push_forwarder import IMP, grid_source

ZURICH = ZoneInfo("Europe/Zurich")


@pytest.mark.parametrize(("day", "slots"), [(29, 92), (25, 100)])
async def test_dst_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
    day: int,
    slots: int,
) -> None:
    """Local quarter hours of a DST day; the day's total at local midnight."""
    month = 3 if day == 29 else 10
    begin = datetime(2026, month, day, tzinfo=ZURICH)
    end = datetime(2026, month, day + 1, tzinfo=ZURICH)
    assert (end - begin) == timedelta(hours=24)  # wall clock; real length differs
    first = int(begin.timestamp())
    last = int(end.timestamp())
    assert (last - first) // 900 == slots
    freezer.move_to(datetime.fromtimestamp(first - 60, UTC))
    manager = await async_get_manager(hass)
    await manager.async_update(
        {"energy_sources": [grid_source() | {"stat_energy_to": None}]}
    )
    attrs = {"unit_of_measurement": "MWh", "state_class": "total_increasing"}
    meter = 2.0  # MWh
    hass.states.async_set(IMP, f"{meter:.7f}", attrs)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    expected: dict[int, float] = {}
    for n in range(slots):
        slot_start = first + 900 * n
        freezer.move_to(datetime.fromtimestamp(slot_start + 60, UTC))
        if n == 40:
            meter = 0.0000300  # the meter was replaced: it starts again at 30 Wh
            increase = 30.0
        else:
            meter += 0.0000125  # 12.5 Wh
            increase = 12.5
        hass.states.async_set(IMP, f"{meter:.7f}", attrs)
        expected[slot_start + 900] = increase
        freezer.move_to(datetime.fromtimestamp(slot_start + 900, UTC))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    got = {
        ts: value
        for ts, value in simulator.values(
            "GRID_ENERGY_CONSUMPTION", device=GATEWAY_ID
        ).items()
        if first < ts <= last
    }
    assert got == expected
    assert len(got) == slots
    assert simulator.values("GRID_ENERGY_CONSUMPTION_YESTERDAY") == {
        last: 12.5 * (slots - 1) + 30.0
    }
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
