"""HA → EnerKey: pushed meters send HA's hourly statistics, each hour once."""

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import logging
from types import MappingProxyType
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.enerkey.const import DOMAIN
from custom_components.enerkey.coordinator import unit_of
from custom_components.enerkey.diagnostics import async_get_config_entry_diagnostics
from custom_components.enerkey.push import (
    CONF_ENTITY_ID,
    CONF_METER_ID,
    CONF_MODE,
    MODE_CONSUMPTION,
    MODE_CUMULATIVE,
    STOP_WAIT,
    SUBENTRY_PUSHED_METER,
    PushedMeter,
    add_range,
    first_open,
    is_done,
)
from simulators.enerkey import EnerKeySimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

HOUR = timedelta(hours=1)
SENSOR = "sensor.heat_pump_energy"
SINCE = datetime(2026, 10, 27, 10, tzinfo=UTC)  # hour_floor(NOW)


def kwh_sensor(
    hass: HomeAssistant,
    entity_id: str = SENSOR,
    *,
    unit: str = "kWh",
    state_class: str = "total_increasing",
    device_class: str = "energy",
) -> None:
    """Give HA a meter sensor to push."""
    hass.states.async_set(
        entity_id,
        "1000",
        {
            "unit_of_measurement": unit,
            "state_class": state_class,
            "device_class": device_class,
            "friendly_name": "Heat pump energy",
        },
    )


def usage(hour: datetime) -> float:
    """Return an irregular, deterministic use per hour (kWh)."""
    index = int(hour.timestamp() // 3600)
    return round(0.4 + (index * 7919 % 13) * 0.173, 3)


def import_hours(
    hass: HomeAssistant,
    first: datetime,
    last: datetime,
    *,
    statistic_id: str = SENSOR,
    unit: str = "kWh",
    unit_class: str = "energy",
    base: float = 5000.0,
    origin: datetime = SINCE - timedelta(days=30),
    values: dict[datetime, float] | None = None,
) -> None:
    """Store HA's hourly statistics of the sensor for [first, last].

    As the recorder compiles them: sum from ``origin``, state = the reading.
    """
    rows: list[Any] = []
    total = sum(usage(origin + n * HOUR) for n in range(int((first - origin) / HOUR)))
    hour = first
    while hour <= last:
        total += (values or {}).get(hour, usage(hour))
        rows.append({"start": hour, "state": base + total, "sum": total})
        hour += HOUR
    async_import_statistics(
        hass,
        {
            "has_sum": True,
            "mean_type": StatisticMeanType.NONE,
            "name": None,
            "source": "recorder",
            "statistic_id": statistic_id,
            "unit_class": unit_class,
            "unit_of_measurement": unit,
        },
        rows,
    )


async def ha_changes(
    hass: HomeAssistant, start: datetime, end: datetime, unit: str
) -> dict[datetime, float]:
    """Return HA's own hourly changes of the sensor, in ``unit``."""
    await async_wait_recording_done(hass)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        end,
        {SENSOR},
        "hour",
        {"energy": unit},
        {"change"},
    )
    return {
        datetime.fromtimestamp(row["start"], UTC): row["change"]
        for row in stats.get(SENSOR, [])
    }


async def add_pushed_meter(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    meter_id: str = "2002",
    mode: str = MODE_CONSUMPTION,
    entity_id: str = SENSOR,
) -> str:
    """Add a pushed meter through the subentry flow; return its subentry id."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_PUSHED_METER), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_ENTITY_ID: entity_id, CONF_METER_ID: meter_id, CONF_MODE: mode},
    )
    assert result["type"] == "create_entry", result
    await hass.async_block_till_done()
    return next(
        sub_id
        for sub_id, sub in entry.subentries.items()
        if sub.data[CONF_METER_ID] == meter_id
    )


async def at(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: str) -> None:
    """Move the clock to ``when`` (UTC) and let the due timers finish.

    The statistics imported before are committed first, as the recorder's
    own rows are when the push runs (a quarter past the hour).
    """
    await async_wait_recording_done(hass)
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)


def pushes(sim: EnerKeySimulator) -> int:
    """Return the push messages the simulator accepted."""
    return len(sim.push_messages)


async def test_pushed_hours_equal_statistics_none_twice(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Hourly pushes across an EnerKey outage and an HA restart, kWh → MWh.

    EnerKey ends up with exactly HA's hourly changes since the pushed meter
    was added, every hour in exactly one accepted message.
    """
    kwh_sensor(hass)
    import_hours(hass, SINCE - timedelta(days=2), SINCE - HOUR)
    await async_wait_recording_done(hass)
    await add_pushed_meter(hass, init_integration)
    assert pushes(simulator) == 0  # nothing before the subentry's hour

    import_hours(hass, SINCE, SINCE)  # the recorder compiled 10:00-11:00
    await at(hass, freezer, "2026-10-27 11:15:00+00:00")
    assert pushes(simulator) == 1
    assert list(simulator.pushed[2002]) == [SINCE]

    # EnerKey fails for two hours: nothing is lost, nothing marked done.
    simulator.push_refusal = 503
    caplog.set_level(logging.WARNING)
    for hour in (11, 12):
        import_hours(hass, SINCE.replace(hour=hour), SINCE.replace(hour=hour))
        await at(hass, freezer, f"2026-10-27 {hour + 1}:15:00+00:00")
    assert pushes(simulator) == 1
    assert caplog.text.count("Could not push to EnerKey") == 1
    simulator.push_refusal = None
    import_hours(hass, SINCE.replace(hour=13), SINCE.replace(hour=13))
    await at(hass, freezer, "2026-10-27 14:15:00+00:00")
    assert pushes(simulator) == 2  # the three missed hours in one message
    assert len(simulator.push_messages[-1]["values"]) == 3

    # HA stops for two hours; the recorder compiles what it measured meanwhile.
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    import_hours(hass, SINCE.replace(hour=14), SINCE.replace(hour=15))
    freezer.move_to("2026-10-27 16:40:00+00:00")
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert pushes(simulator) == 3  # caught up at start, no waiting for :15
    import_hours(hass, SINCE.replace(hour=16), SINCE.replace(hour=16))
    await at(hass, freezer, "2026-10-27 17:15:00+00:00")
    await at(hass, freezer, "2026-10-27 18:15:00+00:00")  # no new row: no call
    assert pushes(simulator) == 4

    end = SINCE.replace(hour=17)
    expected = await ha_changes(hass, SINCE, end, "MWh")
    assert len(expected) == 7
    assert simulator.pushed[2002] == expected  # exactly, value by value
    assert set(simulator.push_counts.values()) == {1}
    assert {hour for _, hour in simulator.push_counts} == set(expected)
    assert all(
        message["meterId"] == 2002 and message["path"] == "consumptions"
        for message in simulator.push_messages
    )
    assert not ir.async_get(hass).issues
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    assert diagnostics["pushed_meters"] == [
        {
            "meter_id": "2002",
            "mode": "consumption",
            "since": "2026-10-27T10:00:00+00:00",
            "pushed_until": "2026-10-27T17:00:00+00:00",
            "done_ranges": 1,
        }
    ]
    assert diagnostics["last_push"] == "2026-10-27T17:15:00+00:00"


async def test_cumulative_readings_from_wh(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Readings at each hour's end, converted Wh → kWh; EnerKey derives the use."""
    kwh_sensor(hass, unit="Wh")
    await add_pushed_meter(hass, init_integration, "2001", MODE_CUMULATIVE)
    import_hours(hass, SINCE - HOUR, SINCE + 2 * HOUR, unit="Wh")
    await at(hass, freezer, "2026-10-27 13:15:00+00:00")
    readings = simulator.readings[2001]
    assert sorted(readings) == [SINCE + HOUR, SINCE + 2 * HOUR, SINCE + 3 * HOUR]
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        SINCE,
        SINCE + 3 * HOUR,
        {SENSOR},
        "hour",
        {"energy": "kWh"},
        {"state"},
    )
    assert [readings[h] for h in sorted(readings)] == [
        row["state"] for row in stats[SENSOR]
    ]
    # What EnerKey derives between readings is HA's change (Wh → kWh).
    changes = await ha_changes(hass, SINCE + HOUR, SINCE + 3 * HOUR, "kWh")
    assert simulator.derived(2001) == pytest.approx(changes, abs=1e-9)
    assert simulator.push_messages[0]["path"] == "cumulative"


async def test_push_history_backfills_in_365_day_messages(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 400-day backfill: two messages, then never an hour again."""
    kwh_sensor(hass)
    origin = SINCE - timedelta(days=400)
    import_hours(hass, origin, SINCE + HOUR, origin=origin)
    await async_wait_recording_done(hass)
    sub_id = await add_pushed_meter(hass, init_integration, "2001")
    response = await hass.services.async_call(
        DOMAIN,
        "push_history",
        {
            "config_entry_id": init_integration.entry_id,
            "pushed_meter": "2001",
            "start": origin - timedelta(days=3),
            "end": SINCE + timedelta(days=3),
        },
        blocking=True,
        return_response=True,
    )
    hours = 400 * 24  # every complete hour until 10:00 (10:00-11:00 runs)
    assert response == {
        "meter_id": "2001",
        "hours_sent": hours,
        "hours_accepted": hours,
        "hours_already_pushed": 0,
        "hours_skipped": 0,
        "messages": 2,
    }
    first, second = simulator.push_messages
    assert len(first["values"]) == 365 * 24
    assert len(second["values"]) == hours - 365 * 24

    # Again, by subentry id this time: nothing is sent twice.
    response = await hass.services.async_call(
        DOMAIN,
        "push_history",
        {
            "config_entry_id": init_integration.entry_id,
            "pushed_meter": sub_id,
            "start": origin,
            "end": SINCE,
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["hours_sent"] == 0
    assert response["hours_already_pushed"] == hours
    assert pushes(simulator) == 2

    # The hourly push takes over at the next complete hour.
    import_hours(hass, SINCE + HOUR, SINCE + HOUR, origin=origin)
    await at(hass, freezer, "2026-10-27 12:15:00+00:00")
    assert pushes(simulator) == 3
    assert [v["timestamp"] for v in simulator.push_messages[-1]["values"]] == [
        "2026-10-27T10:00:00Z",
        "2026-10-27T11:00:00Z",
    ]
    assert set(simulator.push_counts.values()) == {1}
    expected = await ha_changes(hass, origin, SINCE + 2 * HOUR, "kWh")
    assert len(expected) == hours + 2
    assert simulator.pushed[2001] == expected


async def test_unusable_rows_and_gaps_are_never_sent(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sum that went down is skipped (logged), a gap sends nothing, once."""
    kwh_sensor(hass)
    await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE + HOUR, values={SINCE + HOUR: -2.0})
    # No row for 12:00 (HA was down); 13:00 has one again.
    import_hours(hass, SINCE + 3 * HOUR, SINCE + 3 * HOUR)
    await at(hass, freezer, "2026-10-27 14:15:00+00:00")
    message = simulator.push_messages[0]
    assert [v["timestamp"] for v in message["values"]] == [
        "2026-10-27T10:00:00Z",
        "2026-10-27T13:00:00Z",
    ]
    assert "Skipped 1 hours of sensor.heat_pump_energy" in caplog.text
    await at(hass, freezer, "2026-10-27 15:15:00+00:00")
    assert pushes(simulator) == 1  # the skipped hour is not retried
    pusher = init_integration.runtime_data.pusher
    assert len(pusher.meters) == 1
    assert pusher.done_ranges("2001") == [
        (int(SINCE.timestamp()), int((SINCE + 4 * HOUR).timestamp()))
    ]


async def test_problems_raise_issues_and_recover(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Refused message, unknown meter: a repair issue, hours kept, then pushed."""
    kwh_sensor(hass)
    sub_id = await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE)
    simulator.push_refusal = 400
    await at(hass, freezer, "2026-10-27 11:15:00+00:00")
    issue = issue_registry.async_get_issue(DOMAIN, f"push_refused_{sub_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "Push refused" in issue.translation_placeholders["error"]

    simulator.push_refusal = 404
    import_hours(hass, SINCE + HOUR, SINCE + HOUR)
    await at(hass, freezer, "2026-10-27 12:15:00+00:00")
    assert issue_registry.async_get_issue(DOMAIN, f"push_refused_{sub_id}") is None
    assert issue_registry.async_get_issue(DOMAIN, f"pushed_meter_missing_{sub_id}")

    simulator.push_refusal = None
    await at(hass, freezer, "2026-10-27 13:15:00+00:00")
    assert not issue_registry.issues
    assert sorted(simulator.pushed[2001]) == [SINCE, SINCE + HOUR]
    assert set(simulator.push_counts.values()) == {1}


async def test_meter_and_sensor_problems_send_nothing(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A meter gone, a renamed or removed sensor, a unit HA cannot convert.

    Each problem is a repair issue and costs no call to EnerKey.
    """
    registered = entity_registry.async_get_or_create(
        "sensor", "demo", "heat_pump", suggested_object_id="heat_pump_energy"
    )
    assert registered.entity_id == SENSOR
    kwh_sensor(hass)
    sub_id = await add_pushed_meter(hass, init_integration, "2001")
    subentry = init_integration.subentries[sub_id]
    assert subentry.data[CONF_ENTITY_ID] == registered.id  # follows renames
    import_hours(hass, SINCE - HOUR, SINCE, statistic_id=SENSOR)
    coordinator = init_integration.runtime_data

    meter = coordinator.data.meters.pop("2001")
    before = simulator.counters.copy()
    await at(hass, freezer, "2026-10-27 11:15:00+00:00")
    assert issue_registry.async_get_issue(DOMAIN, f"pushed_meter_missing_{sub_id}")
    assert simulator.counters == before
    coordinator.data.meters["2001"] = meter

    # Renamed: the statistics follow the entity, and so does the push.
    entity_registry.async_update_entity(SENSOR, new_entity_id="sensor.heat_pump")
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    await at(hass, freezer, "2026-10-27 12:15:00+00:00")
    assert not issue_registry.issues
    assert list(simulator.pushed[2001]) == [SINCE]

    entity_registry.async_remove("sensor.heat_pump")
    await at(hass, freezer, "2026-10-27 13:15:00+00:00")
    assert issue_registry.async_get_issue(DOMAIN, f"pushed_entity_missing_{sub_id}")

    # EnerKey changed the meter's unit to one HA cannot convert to.
    coordinator.data.meters["2001"] = replace(meter, unit=unit_of("Nm3"))
    await at(hass, freezer, "2026-10-27 14:15:00+00:00")
    assert issue_registry.async_get_issue(DOMAIN, f"pushed_meter_unit_{sub_id}")
    assert set(issue_registry.issues) == {(DOMAIN, f"pushed_meter_unit_{sub_id}")}
    assert list(simulator.pushed[2001]) == [SINCE]

    # Removing the entry removes its pushed meters' issues too.
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert not issue_registry.issues


async def test_unit_class_mismatch_is_an_issue(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Statistics in m³ for an energy meter are not converted: an issue, no call."""
    kwh_sensor(hass)
    sub_id = await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE, unit="m³", unit_class="volume")
    await at(hass, freezer, "2026-10-27 11:15:00+00:00")
    issue = issue_registry.async_get_issue(DOMAIN, f"pushed_meter_unit_{sub_id}")
    assert issue is not None
    assert pushes(simulator) == 0


async def test_removed_subentry_stops_but_never_resends(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    hass_storage: dict[str, Any],
) -> None:
    """Removing a pushed meter stops its pushes and issues, not its record.

    Added again (here with another sensor), the EnerKey meter never gets an
    hour it already has; removing the entry removes the record.
    """
    kwh_sensor(hass)
    sub_id = await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE)
    await at(hass, freezer, "2026-10-27 11:15:00+00:00")
    key = f"{DOMAIN}.pushed.{init_integration.entry_id}"
    assert "2001" in hass_storage[key]["data"]
    simulator.push_refusal = 400
    import_hours(hass, SINCE + HOUR, SINCE + HOUR)
    await at(hass, freezer, "2026-10-27 12:15:00+00:00")
    assert issue_registry.async_get_issue(DOMAIN, f"push_refused_{sub_id}")

    assert hass.config_entries.async_remove_subentry(init_integration, sub_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.LOADED  # no reload
    assert not issue_registry.issues
    simulator.push_refusal = None
    await at(hass, freezer, "2026-10-27 13:15:00+00:00")
    assert pushes(simulator) == 1

    kwh_sensor(hass, "sensor.other_meter")
    await add_pushed_meter(hass, init_integration, "2001", entity_id=SENSOR)
    response = await hass.services.async_call(
        DOMAIN,
        "push_history",
        {
            "config_entry_id": init_integration.entry_id,
            "pushed_meter": "2001",
            "start": SINCE - HOUR,
            "end": SINCE + 2 * HOUR,
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["hours_already_pushed"] == 1  # 10:00, sent before
    assert set(simulator.push_counts.values()) == {1}

    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


@pytest.mark.parametrize(
    ("ranges", "add", "merged"),
    [
        ([], (10, 20), [(10, 20)]),
        ([(10, 20)], (20, 30), [(10, 30)]),
        ([(10, 20), (40, 50)], (15, 45), [(10, 50)]),
        ([(10, 20)], (30, 30), [(10, 20)]),
        ([(30, 40)], (10, 20), [(10, 20), (30, 40)]),
    ],
)
def test_done_ranges(
    ranges: list[tuple[int, int]],
    add: tuple[int, int],
    merged: Sequence[tuple[int, int]],
) -> None:
    """Ranges merge, and the first open hour skips every done one."""
    result = add_range(ranges, *add)
    assert result == list(merged)
    assert all(is_done(result, low) for low, _ in result)
    assert not any(is_done(result, high) for _, high in result)
    assert first_open(result, result[0][0]) == result[0][1]
    assert first_open(result, 0) == 0


async def test_sensor_without_statistics_sends_nothing(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A sensor the recorder keeps no statistics of: nothing to push, no issue."""
    kwh_sensor(hass)
    await add_pushed_meter(hass, init_integration, "2001")
    await at(hass, freezer, "2026-10-27 12:15:00+00:00")
    assert pushes(simulator) == 0
    assert not issue_registry.issues
    assert init_integration.runtime_data.pusher.done_ranges("2001") == []


async def test_unload_waits_for_a_push_in_flight(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """An accepted message is recorded even when HA stops while it is sent.

    A push that never answers is cancelled, its hours left for later.
    """
    kwh_sensor(hass)
    await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE + HOUR)
    pusher = init_integration.runtime_data.pusher
    client = pusher.client
    release = asyncio.Event()
    sent = client.push_values

    async def slow_push(*args: Any, **kwargs: Any) -> Any:
        await release.wait()
        return await sent(*args, **kwargs)

    with patch.object(client, "push_values", slow_push):
        await async_wait_recording_done(hass)
        freezer.move_to("2026-10-27 11:15:00+00:00")
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        async_fire_time_changed(hass)  # a second tick while one runs: ignored
        unload = hass.async_create_task(
            hass.config_entries.async_unload(init_integration.entry_id)
        )
        await asyncio.sleep(0)
        release.set()
        assert await unload
        await hass.async_block_till_done()
    assert pushes(simulator) == 1
    key = f"{DOMAIN}.pushed.{init_integration.entry_id}"
    assert hass_storage[key]["data"]["2001"] == [
        [int(SINCE.timestamp()), int((SINCE + HOUR).timestamp())]
    ]

    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert pushes(simulator) == 1  # 11:00 is not complete before 12:00
    pusher = init_integration.runtime_data.pusher
    client = pusher.client

    async def never(*args: Any, **kwargs: Any) -> Any:
        await asyncio.Event().wait()

    with patch.object(client, "push_values", never):
        await async_wait_recording_done(hass)
        freezer.move_to("2026-10-27 12:15:00+00:00")
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        unload = hass.async_create_task(
            hass.config_entries.async_unload(init_integration.entry_id)
        )
        await asyncio.sleep(0)
        assert not unload.done()  # waiting for the answer ...
        freezer.tick(STOP_WAIT + 1)
        async_fire_time_changed(hass)
        assert await unload  # ... but not for ever
        await hass.async_block_till_done()
    assert hass_storage[key]["data"]["2001"] == [
        [int(SINCE.timestamp()), int((SINCE + HOUR).timestamp())]
    ]


def test_other_subentry_types_are_not_pushed() -> None:
    """Only ``pushed_meter`` subentries become pushed meters."""
    other = ConfigSubentry(
        data=MappingProxyType({}), subentry_type="other", title="x", unique_id=None
    )
    assert PushedMeter.of(other) is None
