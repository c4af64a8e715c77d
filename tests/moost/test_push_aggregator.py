"""Slot aggregation with exact numbers (no Home Assistant needed)."""

from collections import Counter
from datetime import datetime
import logging
from zoneinfo import ZoneInfo

import pytest

from custom_components.moost.push.aggregator import (
    Aggregator,
    DeviceSpec,
    GatewaySpec,
    InputKind,
    Measurement,
    slot_end_after,
)
from custom_components.moost.push.catalog import EventType as T

ZURICH = ZoneInfo("Europe/Zurich")


def ts(*args: int) -> float:
    """Return the epoch seconds of a Zurich wall-clock time."""
    return datetime(*args, tzinfo=ZURICH).timestamp()  # type: ignore[arg-type,misc]


def values(out: list[Measurement], event_type: T) -> list[tuple[int, float]]:
    """Return (timestamp, value) of one type."""
    return [(m.timestamp, m.value) for m in out if m.type == event_type]


def device_agg(out: list[Measurement], start: float, **spec: object) -> Aggregator:
    """Return a started aggregator of one device 'dev'."""
    agg = Aggregator(ZURICH, out.append, devices=[DeviceSpec(device_id="dev", **spec)])  # type: ignore[arg-type]
    agg.start(start)
    return agg


def test_energy_slot_increase_first_partial_slot_skipped() -> None:
    """The slot's increase in Wh; the slot the forwarder started in is not sent."""
    out: list[Measurement] = []
    agg = device_agg(
        out, ts(2026, 6, 1, 10, 7), energy={T.ENERGY_CONSUMPTION: ("sensor.e",)}
    )
    agg.update("sensor.e", 1000.0, ts(2026, 6, 1, 10, 7))
    agg.update("sensor.e", 1100.0, ts(2026, 6, 1, 10, 14))
    # The 10:15 boundary: a reading exactly at it belongs to the next slot.
    agg.update("sensor.e", 1150.0, ts(2026, 6, 1, 10, 15))
    agg.update("sensor.e", 1400.5, ts(2026, 6, 1, 10, 29, 59))
    agg.advance(ts(2026, 6, 1, 10, 30))
    agg.advance(ts(2026, 6, 1, 10, 45))
    end_1030 = int(ts(2026, 6, 1, 10, 30))
    end_1045 = int(ts(2026, 6, 1, 10, 45))
    assert values(out, T.ENERGY_CONSUMPTION) == [(end_1030, 300.5), (end_1045, 0.0)]
    # Without a power entity, the mean power is the energy over the slot.
    assert values(out, T.POWER_CONSUMPTION) == [(end_1030, 1202.0), (end_1045, 0.0)]
    assert {m.device_id for m in out} == {"dev"}


def test_meter_reset_dip_and_unavailable() -> None:
    """A reset counts from zero, a small dip is noise, an outage is caught up."""
    out: list[Measurement] = []
    start = ts(2026, 6, 1, 0, 0)
    agg = device_agg(out, start, energy={T.ENERGY_CONSUMPTION: ("sensor.e",)})
    agg.update("sensor.e", 5000.0, start)
    agg.update("sensor.e", 5200.0, start + 60)  # +200
    agg.update("sensor.e", 40.0, start + 120)  # reset: +40
    agg.update("sensor.e", 70.0, start + 180)  # +30
    agg.advance(start + 900)
    agg.update("sensor.e", 69.0, start + 960)  # dip of 1.4 %: ignored
    agg.update("sensor.e", 75.0, start + 1000)  # +5 over the high-water mark 70
    agg.update("sensor.e", None, start + 1100)  # unavailable
    agg.advance(start + 1800)
    agg.update("sensor.e", 175.0, start + 2000)  # back: +100 lands here
    agg.advance(start + 2700)
    assert [v for _, v in values(out, T.ENERGY_CONSUMPTION)] == [270.0, 5.0, 100.0]


def test_reset_flag_from_last_reset() -> None:
    """A 'total' sensor whose last_reset changed restarts from zero."""
    out: list[Measurement] = []
    start = ts(2026, 6, 1, 0, 0)
    agg = device_agg(out, start, energy={T.ENERGY_CONSUMPTION: ("sensor.e",)})
    agg.update("sensor.e", 500.0, start)
    agg.update("sensor.e", 480.0, start + 10, reset=True)
    agg.advance(start + 900)
    assert values(out, T.ENERGY_CONSUMPTION) == [(int(start) + 900, 480.0)]


def test_power_time_weighted_mean_and_unavailable() -> None:
    """Power: time-weighted over the time it was known; no value: no event."""
    out: list[Measurement] = []
    start = ts(2026, 6, 1, 12, 0)
    agg = device_agg(out, start, mean={T.POWER_CONSUMPTION: "sensor.p"})
    agg.update("sensor.p", 1000.0, start)
    agg.update("sensor.p", 2000.0, start + 300)
    agg.update("sensor.p", None, start + 600)  # unknown for the last 5 minutes
    agg.advance(start + 900)
    agg.advance(start + 1800)  # nothing known: no event
    agg.update("sensor.p", 500.0, start + 2000)
    agg.advance(start + 2700)
    assert values(out, T.POWER_CONSUMPTION) == [
        (int(start) + 900, 1500.0),
        (int(start) + 2700, 500.0),
    ]


def test_power_every_two_seconds_gives_96_events() -> None:
    """43,200 readings in a day give 96 power events, their means exact."""
    out: list[Measurement] = []
    start = ts(2026, 6, 1, 0, 0)
    agg = device_agg(out, start, mean={T.POWER_CONSUMPTION: "sensor.p"})
    for i in range(43_200):
        # A saw tooth 0..899 W per slot: each slot's mean is 449.5 W... with
        # 2 s steps the held values are 0, 2, ..., 898: mean 449.
        agg.update("sensor.p", float((2 * i) % 900), start + 2 * i)
    agg.advance(ts(2026, 6, 2, 0, 0))
    power = values(out, T.POWER_CONSUMPTION)
    assert len(power) == 96
    assert {v for _, v in power} == {449.0}
    assert power[-1][0] == int(ts(2026, 6, 2, 0, 0))


@pytest.mark.parametrize(
    ("day", "slots"), [((2026, 3, 29), 92), ((2026, 10, 25), 100), ((2026, 6, 1), 96)]
)
def test_dst_days_and_yesterday(day: tuple[int, int, int], slots: int) -> None:
    """Local days of 92/100 slots; _YESTERDAY at local midnight with the day's sum."""
    out: list[Measurement] = []
    start = ts(*day, 0, 0)
    end = ts(day[0], day[1], day[2] + 1, 0, 0)
    gateway = GatewaySpec(device_id="home", grid_import=("sensor.grid",))
    agg = Aggregator(ZURICH, out.append, gateway=gateway)
    agg.start(start - 1)  # observed from before the day began
    agg.update("sensor.grid", 0.0, start - 1)
    t, meter = start, 0.0
    while t < end:
        meter += 12.5
        agg.update("sensor.grid", meter, t + 60)
        t += 900
    agg.advance(end)
    day_slots = [
        v for s, v in values(out, T.GRID_ENERGY_CONSUMPTION) if start < s <= end
    ]
    assert len(day_slots) == slots
    assert sum(day_slots) == 12.5 * slots
    assert values(out, T.GRID_ENERGY_CONSUMPTION_YESTERDAY) == [
        (int(end), 12.5 * slots)
    ]
    # the day before was not observed from its start: no _YESTERDAY for it
    assert len(values(out, T.ENERGY_CONSUMPTION_YESTERDAY)) == 1


def test_gateway_balance_rates_and_excess_every_30_minutes() -> None:
    """Consumption = import + solar - export + discharge - charge; rates; excess."""
    out: list[Measurement] = []
    gateway = GatewaySpec(
        device_id="home",
        grid_import=("sensor.imp",),
        grid_export=("sensor.exp",),
        solar=("sensor.pv",),
        battery_charge=("sensor.bin",),
        battery_discharge=("sensor.bout",),
    )
    agg = Aggregator(ZURICH, out.append, gateway=gateway)
    start = ts(2026, 6, 1, 11, 45)
    agg.start(start)
    for entity in gateway.entities:
        agg.update(entity, 0.0, start)
    # 11:45-12:00 and 12:00-12:15 with the same flows
    for n in (1, 2):
        t = start + n * 900 - 1
        agg.update("sensor.imp", 100.0 * n, t)
        agg.update("sensor.pv", 400.0 * n, t)
        agg.update("sensor.exp", 150.0 * n, t)
        agg.update("sensor.bin", 50.0 * n, t)
        agg.update("sensor.bout", 20.0 * n, t)
    agg.advance(start + 1800)
    t1, t2 = int(start) + 900, int(start) + 1800
    # 100 + 400 - 150 + 20 - 50 = 320 Wh
    assert values(out, T.ENERGY_CONSUMPTION) == [(t1, 320.0), (t2, 320.0)]
    assert values(out, T.POWER_CONSUMPTION) == [(t1, 1280.0), (t2, 1280.0)]
    assert values(out, T.GRID_ENERGY_CONSUMPTION) == [(t1, 100.0), (t2, 100.0)]
    assert values(out, T.GRID_POWER_CONSUMPTION) == [(t1, 400.0), (t2, 400.0)]
    assert values(out, T.ENERGY_GENERATION) == [(t1, 400.0), (t2, 400.0)]
    assert values(out, T.POWER_GENERATION) == [(t1, 1600.0), (t2, 1600.0)]
    assert values(out, T.POWER_EXCESS) == [(t1, 600.0), (t2, 600.0)]
    # (400 - 150) / 400 and (320 - 100) / 320
    assert values(out, T.SELF_CONSUMPTION_RATE) == [(t1, 62.5), (t2, 62.5)]
    assert values(out, T.SELF_SUFFICIENCY_RATE) == [(t1, 68.75), (t2, 68.75)]
    # 12:00 closes a half hour, but 11:30-12:00 was not observed from its start;
    # 12:30 is one too far: no excess yet
    assert values(out, T.ENERGY_EXCESS) == []
    for n in (3, 4):
        agg.update("sensor.exp", 150.0 * n, start + n * 900 - 1)
    agg.advance(start + 3600)
    # 12:15-12:30 -> one half hour: 12:00-12:30 = 150 + 150
    assert values(out, T.ENERGY_EXCESS) == [(int(ts(2026, 6, 1, 12, 30)), 300.0)]


def test_no_solar_at_night_no_self_consumption_rate() -> None:
    """0 of 0 is no rate: nothing is sent rather than a made-up number."""
    out: list[Measurement] = []
    gateway = GatewaySpec(
        device_id="home", grid_import=("sensor.imp",), solar=("sensor.pv",)
    )
    agg = Aggregator(ZURICH, out.append, gateway=gateway)
    start = ts(2026, 6, 1, 1, 0)
    agg.start(start)
    agg.update("sensor.imp", 0.0, start)
    agg.update("sensor.pv", 0.0, start)
    agg.update("sensor.imp", 80.0, start + 100)
    agg.advance(start + 900)
    assert values(out, T.SELF_CONSUMPTION_RATE) == []
    assert values(out, T.SELF_SUFFICIENCY_RATE) == [(int(start) + 900, 0.0)]
    assert values(out, T.ENERGY_CONSUMPTION) == [(int(start) + 900, 80.0)]


def test_negative_balance_is_clamped() -> None:
    """Meters that lag each other never make negative consumption."""
    out: list[Measurement] = []
    gateway = GatewaySpec(device_id="home", grid_import=("i",), grid_export=("e",))
    agg = Aggregator(ZURICH, out.append, gateway=gateway)
    start = ts(2026, 6, 1, 1, 0)
    agg.start(start)
    agg.update("i", 0.0, start)
    agg.update("e", 0.0, start)
    agg.update("e", 30.0, start + 1)
    agg.advance(start + 900)
    assert values(out, T.ENERGY_CONSUMPTION) == [(int(start) + 900, 0.0)]


def test_day_yesterday_values_of_the_household() -> None:
    """All _YESTERDAY types of a fully observed day, at local midnight."""
    out: list[Measurement] = []
    gateway = GatewaySpec(
        device_id="home", grid_import=("i",), grid_export=("e",), solar=("s",)
    )
    agg = Aggregator(ZURICH, out.append, gateway=gateway)
    start = ts(2026, 6, 1, 0, 0)
    agg.start(start - 5)
    for entity in ("i", "e", "s"):
        agg.update(entity, 0.0, start - 5)
    agg.update("i", 1000.0, ts(2026, 6, 1, 6, 0))
    agg.update("s", 8000.0, ts(2026, 6, 1, 14, 0))
    agg.update("e", 3000.0, ts(2026, 6, 1, 15, 0))
    agg.advance(ts(2026, 6, 2, 0, 0))
    midnight = int(ts(2026, 6, 2, 0, 0))
    yesterday = {
        m.type: m.value
        for m in out
        if m.timestamp == midnight and "YESTERDAY" in m.type
    }
    assert yesterday == {
        T.GRID_ENERGY_CONSUMPTION_YESTERDAY: 1000.0,
        T.ENERGY_GENERATION_YESTERDAY: 8000.0,
        T.ENERGY_CONSUMPTION_YESTERDAY: 6000.0,
        T.ENERGY_EXCESS_YESTERDAY: 3000.0,
        T.SELF_CONSUMPTION_RATE_YESTERDAY: 62.5,
        T.SELF_SUFFICIENCY_RATE_YESTERDAY: 83.33,
    }
    counts = Counter(m.type for m in out)
    assert counts[T.ENERGY_EXCESS] == 48
    assert counts[T.GRID_ENERGY_CONSUMPTION] == 96


def test_device_yesterday_and_battery_types() -> None:
    """A device's energy types and their _YESTERDAY companions."""
    out: list[Measurement] = []
    start = ts(2026, 6, 1, 0, 0)
    agg = device_agg(
        out,
        start,
        energy={T.ENERGY_IMPORT: ("in",), T.ENERGY_EXPORT: ("out",)},
    )
    agg.update("in", 0.0, start)
    agg.update("out", 0.0, start)
    agg.update("in", 1234.5, ts(2026, 6, 1, 9, 0))
    agg.update("out", 999.0, ts(2026, 6, 1, 20, 0))
    agg.advance(ts(2026, 6, 2, 0, 0))
    assert values(out, T.ENERGY_IMPORT_YESTERDAY) == [(int(ts(2026, 6, 2)), 1234.5)]
    assert values(out, T.ENERGY_EXPORT_YESTERDAY) == [(int(ts(2026, 6, 2)), 999.0)]
    assert len(values(out, T.ENERGY_IMPORT)) == 96
    # no ENERGY_CONSUMPTION: no derived power either
    assert values(out, T.POWER_CONSUMPTION) == []


def test_on_change_debounced() -> None:
    """Changes within the window send the newest value once; repeats are not sent."""
    out: list[Measurement] = []
    start = ts(2026, 6, 1, 8, 0)
    agg = device_agg(
        out,
        start,
        on_change={T.SWITCH_STATE: "switch.s", T.STATE_OF_CHARGE_RATE: "sensor.soc"},
    )
    assert agg.update("switch.s", 1.0, start) == start + 30
    assert agg.update("switch.s", 0.0, start + 5) is None
    assert agg.update("switch.s", 1.0, start + 10) is None
    agg.update("sensor.soc", None, start + 10)
    agg.flush_due(start + 29)
    assert out == []
    agg.flush_due(start + 30)
    assert out == [Measurement("dev", T.SWITCH_STATE, 1.0, int(start) + 10)]
    # the same value again: nothing
    agg.update("switch.s", 1.0, start + 100)
    agg.flush_due(start + 130)
    assert len(out) == 1
    agg.update("switch.s", 0.0, start + 200)
    agg.update("sensor.soc", 55.0, start + 201)
    agg.flush_all()
    assert out[1:] == [
        Measurement("dev", T.SWITCH_STATE, 0.0, int(start) + 200),
        Measurement("dev", T.STATE_OF_CHARGE_RATE, 55.0, int(start) + 201),
    ]
    agg.flush_all()
    assert len(out) == 3


def test_restart_keeps_counting_exactly() -> None:
    """State persisted at stop: a restart loses and duplicates nothing."""
    out: list[Measurement] = []
    spec = DeviceSpec(
        device_id="dev",
        energy={T.ENERGY_CONSUMPTION: ("e",)},
        mean={T.TEMPERATURE: "t"},
        on_change={T.DEVICE_STATUS: "st"},
    )
    start = ts(2026, 6, 1, 0, 0)
    agg = Aggregator(ZURICH, out.append, devices=[spec])
    agg.start(start - 1)
    agg.update("e", 0.0, start - 1)
    agg.update("t", 20.0, start - 1)
    agg.update("st", 2.0, start)
    agg.flush_all()
    agg.update("e", 100.0, ts(2026, 6, 1, 10, 5))
    agg.update("t", 22.0, ts(2026, 6, 1, 10, 5))
    agg.update("st", 3.0, ts(2026, 6, 1, 10, 6))  # pending when HA stops
    saved = agg.dump(ts(2026, 6, 1, 10, 6))

    # HA is down from 10:06 to 10:40; the counter went on to 160 meanwhile
    again = Aggregator(ZURICH, out.append, devices=[spec])
    now = ts(2026, 6, 1, 10, 40)
    again.start(now, saved)
    again.flush_due(now)
    again.update("e", 160.0, now + 1)
    again.update("st", 3.0, now + 2)
    again.flush_all()
    again.advance(ts(2026, 6, 2, 0, 0))
    energy = values(out, T.ENERGY_CONSUMPTION)
    stamps = [s for s, _ in energy]
    assert len(stamps) == len(set(stamps))
    # 10:15 (slot HA stopped in) has 100, 10:30 was missed, 10:45 has the rest
    assert (int(ts(2026, 6, 1, 10, 15)), 100.0) in energy
    assert int(ts(2026, 6, 1, 10, 30)) not in stamps
    assert (int(ts(2026, 6, 1, 10, 45)), 60.0) in energy
    assert values(out, T.ENERGY_CONSUMPTION_YESTERDAY) == [(int(ts(2026, 6, 2)), 160.0)]
    # the temperature slot 10:00-10:15 mean: 5 min at 20, 1 min at 22 -> 20.333
    assert (int(ts(2026, 6, 1, 10, 15)), 20.333) in values(out, T.TEMPERATURE)
    assert values(out, T.DEVICE_STATUS) == [
        (int(start), 2.0),
        (int(ts(2026, 6, 1, 10, 6)), 3.0),
    ]


def test_restart_across_midnight_loses_the_days() -> None:
    """A day not observed completely gets no _YESTERDAY; half hours restart."""
    out: list[Measurement] = []
    gateway = GatewaySpec(device_id="home", grid_import=("i",), grid_export=("e",))
    agg = Aggregator(ZURICH, out.append, gateway=gateway)
    agg.start(ts(2026, 5, 31, 23, 59))
    agg.update("i", 0.0, ts(2026, 5, 31, 23, 59))
    agg.update("e", 0.0, ts(2026, 5, 31, 23, 59))
    agg.advance(ts(2026, 6, 1, 23, 50))
    agg.update("i", 500.0, ts(2026, 6, 1, 23, 50))
    saved = agg.dump(ts(2026, 6, 1, 23, 50))
    again = Aggregator(ZURICH, out.append, gateway=gateway)
    # down from 23:50 to 00:20; meanwhile the meter went on to 530
    again.start(ts(2026, 6, 2, 0, 20), saved)
    again.update("i", 530.0, ts(2026, 6, 2, 0, 21))
    again.advance(ts(2026, 6, 3, 0, 0))
    # the day HA stopped in has what was measured until the stop; the
    # downtime's energy lands in the first slot after the restart
    assert values(out, T.GRID_ENERGY_CONSUMPTION_YESTERDAY) == [
        (int(ts(2026, 6, 2)), 500.0),
        (int(ts(2026, 6, 3)), 30.0),
    ]
    assert (int(ts(2026, 6, 2, 0, 30)), 30.0) in values(out, T.GRID_ENERGY_CONSUMPTION)
    # the half hour 00:00-00:30 was not observed from its start
    assert int(ts(2026, 6, 2, 0, 30)) not in dict(values(out, T.ENERGY_EXCESS))
    assert int(ts(2026, 6, 2, 1, 0)) in dict(values(out, T.ENERGY_EXCESS))

    # down across a whole midnight: neither day is complete
    out.clear()
    fourth = Aggregator(ZURICH, out.append, gateway=gateway)
    fourth.start(ts(2026, 6, 5, 23, 59))
    fourth.update("i", 0.0, ts(2026, 6, 5, 23, 59))
    fourth.update("e", 0.0, ts(2026, 6, 5, 23, 59))
    fourth.advance(ts(2026, 6, 6, 23, 0))
    saved = fourth.dump(ts(2026, 6, 6, 23, 5))
    third = Aggregator(ZURICH, out.append, gateway=gateway)
    third.start(ts(2026, 6, 7, 1, 0), saved)
    third.advance(ts(2026, 6, 8, 0, 0))
    assert values(out, T.GRID_ENERGY_CONSUMPTION_YESTERDAY) == []


def test_unversioned_state_is_ignored_and_unknown_keys_skipped() -> None:
    """A state of another version starts fresh; entities no longer used are skipped."""
    out: list[Measurement] = []
    agg = device_agg(out, ts(2026, 6, 1, 0, 0), energy={T.ENERGY_CONSUMPTION: ("e",)})
    again = Aggregator(ZURICH, out.append, devices=agg.devices)
    again.start(ts(2026, 6, 1, 0, 0), {"version": 99, "slot_end": 5})
    assert again.slot_end == int(ts(2026, 6, 1, 0, 15))
    saved = agg.dump(0) | {"series": {"gone": [1, 2, True]}, "days": {"gone": []}}
    again.start(ts(2026, 6, 1, 0, 0), saved)
    assert again.entity_ids == ["e"]


def test_entity_read_one_way_only(caplog: pytest.LogCaptureFixture) -> None:
    """An entity bound as energy and as power is read as energy, with a warning."""
    caplog.set_level(logging.WARNING)
    agg = Aggregator(
        ZURICH,
        lambda _: None,
        devices=[
            DeviceSpec(device_id="a", energy={T.ENERGY_CONSUMPTION: ("x",)}),
            DeviceSpec(
                device_id="b",
                mean={T.POWER_CONSUMPTION: "x"},
                on_change={T.DEVICE_STATUS: "x"},
            ),
        ],
    )
    assert agg.kinds == {"x": InputKind.ENERGY}
    assert "already forwarded as energy" in caplog.text
    assert agg.update("unknown", 1.0, 0.0) is None


def test_slot_end_after() -> None:
    """A boundary belongs to the next slot."""
    assert slot_end_after(900) == 1800
    assert slot_end_after(899.9) == 900
