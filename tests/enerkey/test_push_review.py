"""HA → EnerKey under hostile conditions: reloads, refusals, odd answers.

Each test here failed before the fix it covers (review of the push).
"""

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
import logging
import threading
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.enerkey.api import (
    EnerKeyClient,
    EnerKeyResponseError,
    parse_push_result,
)
from custom_components.enerkey.const import DOMAIN
from simulators.enerkey import EnerKeySimulator

from .conftest import NOW
from .test_push import (
    HOUR,
    SINCE,
    add_pushed_meter,
    at,
    ha_changes,
    import_hours,
    kwh_sensor,
    pushes,
)

pytestmark = pytest.mark.freeze_time(NOW)


async def _settle() -> None:
    """Let ready tasks run (asyncio.sleep with a delay never ends: frozen time)."""
    for _ in range(50):
        await asyncio.sleep(0)


type Values = Sequence[tuple[datetime, float]]


@contextmanager
def answering(
    client: EnerKeyClient, refuse: Callable[[Values], str | None]
) -> Iterator[list[int]]:
    """Refuse (400 with the returned text) the messages ``refuse`` names.

    Yields the sizes of every message sent, refused or not.
    """
    sent = client.push_values
    sizes: list[int] = []

    async def push(meter_id: str, values: Values, *, cumulative: bool = False) -> Any:
        sizes.append(len(values))
        if (reason := refuse(values)) is not None:
            raise EnerKeyResponseError(f"answered 400: {reason}", status=400)
        return await sent(meter_id, values, cumulative=cumulative)

    with patch.object(client, "push_values", push):
        yield sizes


async def test_reload_during_an_action_push_sends_nothing_twice(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A reload waits for an action's message in flight before reading the record.

    Before, the unload returned at once: the reloaded pusher loaded the
    record without the hours the action was still sending, and the same
    action run again sent them a second time.
    """
    kwh_sensor(hass)
    await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - 3 * HOUR, SINCE)
    await async_wait_recording_done(hass)
    client = init_integration.runtime_data.pusher.client
    release = asyncio.Event()
    sent = client.push_values

    async def slow_push(*args: Any, **kwargs: Any) -> Any:
        await release.wait()
        return await sent(*args, **kwargs)

    backfill = {
        "config_entry_id": init_integration.entry_id,
        "pushed_meter": "2001",
        "start": SINCE - 2 * HOUR,
        "end": SINCE,
    }
    with patch.object(client, "push_values", slow_push):
        action = hass.async_create_task(
            hass.services.async_call(
                DOMAIN, "push_history", backfill, blocking=True, return_response=True
            )
        )
        await _settle()
        reload = hass.async_create_task(
            hass.config_entries.async_reload(init_integration.entry_id)
        )
        # Long enough for a reload that does not wait (real time: the clock
        # of the loop is frozen).
        for _ in range(100):
            await hass.async_add_executor_job(threading.Event().wait, 0.01)
            if reload.done():
                break
        assert not reload.done()  # the unload waits for the action's answer
        release.set()
        assert (await action)["hours_accepted"] == 2
        assert await reload
        await hass.async_block_till_done()
    again = await hass.services.async_call(
        DOMAIN, "push_history", backfill, blocking=True, return_response=True
    )
    assert again is not None
    assert again["hours_already_pushed"] == 2
    assert pushes(simulator) == 1
    assert set(simulator.push_counts.values()) == {1}


async def test_a_server_refusing_large_messages_gets_them_smaller(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """400 "too many values": halved until accepted, every hour once, no issue.

    Before, the whole backlog was refused every hour for ever.
    """
    kwh_sensor(hass)
    await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE + 8 * HOUR)
    client = init_integration.runtime_data.pusher.client
    with answering(client, lambda v: "Too many values" if len(v) > 2 else None) as s:
        await at(hass, freezer, "2026-10-27 19:15:00+00:00")  # 9 hours open
        assert s[:3] == [9, 4, 2]
        assert len(s) <= 8  # 9, 4, then 2 a message, not a call an hour
        import_hours(hass, SINCE + 9 * HOUR, SINCE + 9 * HOUR)
        await at(hass, freezer, "2026-10-27 20:15:00+00:00")
    assert not issue_registry.issues
    expected = await ha_changes(hass, SINCE, SINCE + 10 * HOUR, "kWh")
    assert len(expected) == 10
    assert simulator.pushed[2001] == expected
    assert set(simulator.push_counts.values()) == {1}


async def test_a_poison_hour_is_dropped_and_the_rest_pushed(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One hour EnerKey refuses alone: logged and skipped, never blocking the rest."""
    kwh_sensor(hass)
    await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE + 9 * HOUR)
    poison = SINCE + 6 * HOUR
    client = init_integration.runtime_data.pusher.client
    caplog.set_level(logging.WARNING)
    with answering(
        client, lambda v: "Invalid value" if any(m == poison for m, _ in v) else None
    ) as sizes:
        await at(hass, freezer, "2026-10-27 20:15:00+00:00")
        await at(hass, freezer, "2026-10-27 21:15:00+00:00")  # nothing open
    assert f"EnerKey refused the hour {poison.isoformat()}" in caplog.text
    assert not issue_registry.issues
    assert sorted(simulator.pushed[2001]) == [
        SINCE + n * HOUR for n in range(10) if n != 6
    ]
    assert set(simulator.push_counts.values()) == {1}
    assert len(sizes) <= 8  # 10, 5 (ok), 5, 2 (ok), 3, 1 (ok), 2, 1 x2


async def test_a_meter_refusing_everything_keeps_its_hours(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Every message refused: an issue, nothing dropped, two calls an hour at most."""
    kwh_sensor(hass)
    sub_id = await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE + 12 * HOUR)
    client = init_integration.runtime_data.pusher.client
    with answering(client, lambda v: "Push not enabled") as sizes:
        await at(hass, freezer, "2026-10-27 22:15:00+00:00")
        assert sizes == [12, 6, 3, 1, 1]
        await at(hass, freezer, "2026-10-27 23:15:00+00:00")
        assert sizes[5:] == [1, 1]
    assert issue_registry.async_get_issue(DOMAIN, f"push_refused_{sub_id}")
    assert init_integration.runtime_data.pusher.done_ranges("2001") == []
    await at(hass, freezer, "2026-10-28 00:15:00+00:00")
    assert not issue_registry.issues
    assert len(simulator.pushed[2001]) == 13
    assert pushes(simulator) <= 5  # 1, 2, 4, ... hours a message again


@pytest.mark.parametrize(
    "answer",
    [
        {"success": False, "error": "Meter is locked"},
        {"isSuccess": "false"},
        {"errors": ["Meter is locked"], "received": 1},
    ],
)
async def test_a_200_stating_an_error_is_a_refusal(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    answer: dict[str, Any],
) -> None:
    """A 200 whose body says it failed: hours kept, a repair issue.

    Before, any 200 marked the hours done: they were lost.
    """
    kwh_sensor(hass)
    sub_id = await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE)
    client = init_integration.runtime_data.pusher.client

    async def failing(*args: Any, **kwargs: Any) -> Any:
        return parse_push_result("2001", answer)

    with patch.object(client, "push_values", failing):
        await at(hass, freezer, "2026-10-27 11:15:00+00:00")
    issue = issue_registry.async_get_issue(DOMAIN, f"push_refused_{sub_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "200" in issue.translation_placeholders["error"]
    assert init_integration.runtime_data.pusher.done_ranges("2001") == []
    import_hours(hass, SINCE + HOUR, SINCE + HOUR)
    await at(hass, freezer, "2026-10-27 12:15:00+00:00")
    assert sorted(simulator.pushed[2001]) == [SINCE, SINCE + HOUR]
    assert not issue_registry.issues


async def test_fewer_hours_stored_than_sent_is_logged_not_resent(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """EnerKey stores 1 of 2 hours: a warning; the message still counts as done."""
    kwh_sensor(hass)
    await add_pushed_meter(hass, init_integration, "2001")
    import_hours(hass, SINCE - HOUR, SINCE + HOUR)
    client = init_integration.runtime_data.pusher.client
    sent = client.push_values

    async def partly(*args: Any, **kwargs: Any) -> Any:
        result = await sent(*args, **kwargs)
        return replace(result, stored=1)

    caplog.set_level(logging.WARNING)
    with patch.object(client, "push_values", partly):
        await at(hass, freezer, "2026-10-27 12:15:00+00:00")
        await at(hass, freezer, "2026-10-27 13:15:00+00:00")
    assert "EnerKey stored 1 of 2 hours pushed to meter 2001" in caplog.text
    assert pushes(simulator) == 1
    assert init_integration.runtime_data.pusher.done_ranges("2001") == [
        (int(SINCE.timestamp()), int((SINCE + 2 * HOUR).timestamp()))
    ]
