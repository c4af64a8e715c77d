"""Past energy from HA's long-term statistics to MOOST (``moost.send_history``).

For the energy statistics the forwarder maps (the Energy dashboard's, external
ones included, and the hand-added devices' meters), the recorder's ``change``
per period is read in Wh, in the recorder's executor:

* where HA still holds 5-minute statistics (about the last 10 days), three of
  them make one 15-minute slot, as the live forwarder sends;
* before that, hourly statistics: one event per hour, with the hour's energy,
  at the hour's end (MOOST's hourly and daily sums come out right; splitting
  an hour into quarters would invent a profile).

Only energy types are sent (``GRID_ENERGY_CONSUMPTION``, ``ENERGY_GENERATION``,
``ENERGY_CONSUMPTION`` balanced as the dashboard does, battery
``ENERGY_IMPORT``/``ENERGY_EXPORT``, devices' ``ENERGY_CONSUMPTION``), all to
``POST /events/historical/v1`` in batches; they bypass the outbox, so a day
can be sent again on purpose (MOOST keeps one event per key).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
import math
from typing import Final, Literal

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from custom_components.moost.api import MoostClient, MoostEvent

from .aggregator import SLOT_SECONDS
from .catalog import EventType
from .energy_prefs import Plan

BATCH: Final = 500
HOUR: Final = 3600

type Changes = dict[str, dict[int, float]]
"""statistic id -> {period end (epoch s): Wh}."""


async def _async_changes(
    hass: HomeAssistant,
    start: datetime,
    end: datetime,
    ids: set[str],
    period: Literal["5minute", "hour"],
) -> Changes:
    """Return each statistic's change per period, in Wh, keyed by period end.

    Changes are the differences of consecutive ``sum`` values (a row's sum is
    the running total at its end; the recorder has already folded meter
    resets into it). The row before ``start`` is read as the base; without
    one, the first period is left out rather than guessed.
    """
    step = 300 if period == "5minute" else HOUR
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start - timedelta(seconds=step),
        end,
        ids,
        period,
        {"energy": UnitOfEnergy.WATT_HOUR},
        {"sum"},
    )
    changes: Changes = {}
    for statistic_id, series in rows.items():
        values: dict[int, float] = {}
        previous: float | None = None
        for row in series:
            total = row.get("sum")
            if total is None or not math.isfinite(total):
                continue
            if previous is not None:
                # MOOST gets no negative energy (a sum corrected downwards).
                values[int(row["start"]) + step] = max(total - previous, 0.0)
            previous = total
        changes[statistic_id] = values
    return changes


def _to_slots(changes: Changes) -> Changes:
    """Sum 5-minute changes into 15-minute slots (keyed by slot end)."""
    slots: Changes = {}
    for statistic_id, values in changes.items():
        summed: dict[int, float] = defaultdict(float)
        for period_end, value in values.items():
            summed[-(-period_end // SLOT_SECONDS) * SLOT_SECONDS] += value
        slots[statistic_id] = dict(summed)
    return slots


def _events(plan: Plan, building_id: str, changes: Changes) -> Iterable[MoostEvent]:
    """Yield the energy events of each period the statistics cover."""

    def total(ids: Iterable[str], period_end: int) -> float | None:
        found = [
            changes[i][period_end] for i in ids if period_end in changes.get(i, {})
        ]
        return sum(found) if found else None

    def event(
        device_id: str, event_type: EventType, value: float, ts: int
    ) -> MoostEvent:
        device = plan.moost_devices[device_id]
        return MoostEvent(
            customer_building_id=building_id,
            device_id=device.id,
            device_name=device.name,
            type=event_type,
            value=round(value, 3) + 0.0,
            timestamp=ts,
            source=device.type,
        )

    ends = sorted({ts for values in changes.values() for ts in values})
    gateway = plan.gateway
    for ts in ends:
        if gateway is not None:
            parts = {
                name: total(ids, ts)
                for name, ids in (
                    ("import", gateway.grid_import),
                    ("export", gateway.grid_export),
                    ("solar", gateway.solar),
                    ("charge", gateway.battery_charge),
                    ("discharge", gateway.battery_discharge),
                )
            }
            if gateway.grid_import and parts["import"] is not None:
                yield event(
                    gateway.device_id,
                    EventType.GRID_ENERGY_CONSUMPTION,
                    parts["import"],
                    ts,
                )
            if gateway.solar and parts["solar"] is not None:
                yield event(
                    gateway.device_id, EventType.ENERGY_GENERATION, parts["solar"], ts
                )
            if (gateway.grid_import or gateway.solar) and parts["import"] is not None:
                known = {k: v or 0.0 for k, v in parts.items()}
                balance = (
                    known["import"]
                    + known["solar"]
                    - known["export"]
                    + known["discharge"]
                    - known["charge"]
                )
                yield event(
                    gateway.device_id,
                    EventType.ENERGY_CONSUMPTION,
                    max(balance, 0.0),
                    ts,
                )
        for device in plan.devices:
            for event_type, ids in device.energy.items():
                if (value := total(ids, ts)) is not None:
                    yield event(device.device_id, event_type, value, ts)


def energy_statistics(plan: Plan) -> set[str]:
    """Return every energy statistic the plan maps."""
    ids = set(plan.gateway.entities) if plan.gateway else set()
    for device in plan.devices:
        for entity_ids in device.energy.values():
            ids.update(entity_ids)
    return ids


async def async_send_history(
    hass: HomeAssistant,
    client: MoostClient,
    building_id: str,
    plan: Plan,
    *,
    start: datetime,
    end: datetime,
) -> dict[str, int]:
    """Send the plan's energy of [start, end) to MOOST; return the counts."""
    ids = energy_statistics(plan)
    counts = {
        "statistics": len(ids),
        "slots": 0,
        "hours": 0,
        "events": 0,
        "requests": 0,
    }
    if not ids:
        return counts
    fine = await _async_changes(hass, start, end, ids, "5minute")
    firsts = [min(values) - 300 for values in fine.values() if values]
    # Hourly up to the first whole hour with 5-minute statistics.
    split = end.timestamp()
    if firsts:
        split = -(-min(firsts) // HOUR) * HOUR
    events: list[MoostEvent] = []
    if split > start.timestamp():
        hourly = await _async_changes(
            hass,
            start,
            datetime.fromtimestamp(min(split, end.timestamp()), start.tzinfo),
            ids,
            "hour",
        )
        hourly = {
            statistic_id: {ts: v for ts, v in values.items() if ts <= split}
            for statistic_id, values in hourly.items()
        }
        counts["hours"] = len({ts for values in hourly.values() for ts in values})
        events.extend(_events(plan, building_id, hourly))
    if firsts:
        slots = _to_slots(
            {
                statistic_id: {ts: v for ts, v in values.items() if ts > split}
                for statistic_id, values in fine.items()
            }
        )
        counts["slots"] = len({ts for values in slots.values() for ts in values})
        events.extend(_events(plan, building_id, slots))
    for first in range(0, len(events), BATCH):
        await client.async_send_historical(events[first : first + BATCH])
        counts["requests"] += 1
    counts["events"] = len(events)
    return counts
