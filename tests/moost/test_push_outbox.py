"""The persistent outbox: exactly once, poison events, back-off, bounds."""

from collections.abc import Sequence
from datetime import timedelta
import logging
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    EVENT_HOMEASSISTANT_FINAL_WRITE,
    EVENT_HOMEASSISTANT_STOP,
)
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.moost.api import (
    MoostAuthenticationError,
    MoostBadRequestError,
    MoostClient,
    MoostConnectionError,
    MoostEvent,
    MoostRateLimitError,
)
from custom_components.moost.push import outbox as outbox_module
from custom_components.moost.push.outbox import Outbox, outbox_issue_id

NOW = 1_780_000_200  # 2026-05-28 20:30 UTC, a slot boundary


class FakeClient:
    """Records what MOOST received; fails as told."""

    def __init__(self) -> None:
        self.single: list[MoostEvent] = []
        self.batches: list[list[MoostEvent]] = []
        self.fail: list[Exception] = []
        self.poison: set[tuple[str, str, str, int]] = set()
        self.calls = 0

    def _check(self, events: Sequence[MoostEvent]) -> None:
        self.calls += 1
        if self.fail:
            raise self.fail.pop(0)
        if any(event.key() in self.poison for event in events):
            raise MoostBadRequestError("value is not a number")

    async def async_send_event(self, event: MoostEvent) -> None:
        self._check([event])
        self.single.append(event)

    async def async_send_historical(self, events: Sequence[MoostEvent]) -> None:
        self._check(events)
        self.batches.append(list(events))

    @property
    def received(self) -> list[MoostEvent]:
        return self.single + [e for batch in self.batches for e in batch]


def event(
    ts: int, value: float = 1.0, event_type: str = "ENERGY_CONSUMPTION"
) -> MoostEvent:
    """Return one household event."""
    return MoostEvent(
        customer_building_id="home",
        device_id="ha-gateway",
        device_name="Home",
        type=event_type,
        value=value,
        timestamp=ts,
    )


async def make_outbox(
    hass: HomeAssistant, client: FakeClient
) -> tuple[Outbox, list[int]]:
    """Return a loaded, started outbox and its notification counter."""
    notified: list[int] = []
    box = Outbox(
        hass,
        "entry1",
        client,  # type: ignore[arg-type]
        notify=lambda: notified.append(1),
    )
    await box.async_load()
    box.async_start(lambda: {"aggregator": "state"})
    return box, notified


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze time at NOW."""
    freezer.move_to(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW)))
    return freezer


async def test_recent_single_backlog_in_batches(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh event goes alone; a backlog older than a slot goes in batches."""
    monkeypatch.setattr(outbox_module, "BATCH_SIZE", 4)
    client = FakeClient()
    box, notified = await make_outbox(hass, client)
    for n in range(10):
        box.add(event(NOW - 900 * (20 - n)))
    box.add(event(NOW))
    assert len(box) == 11
    await hass.async_block_till_done()
    assert [len(b) for b in client.batches] == [4, 4, 2]
    assert [e.timestamp for e in client.single] == [NOW]
    assert len(box) == 0
    assert box.sent_batches == 3
    assert box.sent_single == 1
    assert box.last_delivery is not None
    assert notified
    # the same key again is not sent twice
    box.add(event(NOW, value=5.0))
    await hass.async_block_till_done()
    assert len(client.received) == 11
    await box.async_stop()


async def test_queued_key_keeps_newest_value(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory
) -> None:
    """A recomputed event replaces the queued one: one event per key."""
    client = FakeClient()
    client.fail = [MoostConnectionError("down")]
    box, _ = await make_outbox(hass, client)
    box.add(event(NOW, 1.0))
    await hass.async_block_till_done()
    box.add(event(NOW, 2.0))
    assert len(box) == 1
    frozen.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert [(e.timestamp, e.value) for e in client.received] == [(NOW, 2.0)]
    await box.async_stop()


async def test_poison_single_and_in_batch(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A 400 drops the one event, logged once; the rest of the queue arrives."""
    caplog.set_level(logging.WARNING)
    client = FakeClient()
    bad_old = event(NOW - 9000, event_type="SWITCH_STATE")
    bad_new = event(NOW, event_type="DEVICE_STATUS")
    client.poison = {bad_old.key(), bad_new.key()}
    box, _ = await make_outbox(hass, client)
    olds = [event(NOW - 900 * n) for n in range(12, 2, -1)]
    for item in olds[:5]:
        box.add(item)
    box.add(bad_old)
    for item in olds[5:]:
        box.add(item)
    box.add(bad_new)
    box.add(event(NOW, event_type="POWER_CONSUMPTION"))
    await hass.async_block_till_done()
    received = client.received
    assert sorted(e.key() for e in received) == sorted(
        e.key() for e in [*olds, event(NOW, event_type="POWER_CONSUMPTION")]
    )
    assert len(received) == len({e.key() for e in received})
    assert box.dropped == 2
    assert len(box) == 0
    assert box._limit == 500
    assert caplog.text.count("refused the SWITCH_STATE event") == 1
    assert caplog.text.count("refused the DEVICE_STATUS event") == 1
    await box.async_stop()


async def test_rate_limit_honours_retry_after(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory
) -> None:
    """After a 429 nothing is sent before Retry-After has passed."""
    client = FakeClient()
    client.fail = [MoostRateLimitError(120)]
    box, _ = await make_outbox(hass, client)
    box.add(event(NOW))
    await hass.async_block_till_done()
    assert client.calls == 1
    box.add(event(NOW, event_type="POWER_CONSUMPTION"))  # waits too
    frozen.tick(timedelta(seconds=100))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert client.calls == 1
    frozen.tick(timedelta(seconds=21))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert client.calls == 3
    # 121 s after their slot: still recent, one by one
    assert len(client.single) == 2
    await box.async_stop()


async def test_connection_errors_back_off_exponentially(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory
) -> None:
    """5xx / network: 30 s, then 60 s; success resets the back-off."""
    client = FakeClient()
    client.fail = [MoostConnectionError("500"), MoostConnectionError("500")]
    box, _ = await make_outbox(hass, client)
    box.add(event(NOW))
    await hass.async_block_till_done()
    frozen.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert client.calls == 2
    frozen.tick(timedelta(seconds=50))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert client.calls == 2
    frozen.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert client.calls == 3
    assert len(client.received) == 1
    await box.async_stop()


async def test_refused_credentials_wait_15_minutes(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Credentials refused for good: logged once, retried every 15 minutes."""
    caplog.set_level(logging.WARNING)
    client = FakeClient()
    client.fail = [MoostAuthenticationError("no"), MoostAuthenticationError("no")]
    box, _ = await make_outbox(hass, client)
    box.add(event(NOW))
    await hass.async_block_till_done()
    for _ in range(2):
        frozen.tick(timedelta(seconds=901))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert client.calls == 3
    assert caplog.text.count("refuses the credentials") == 1
    # by now the event is older than one slot: it went as history
    assert len(client.batches) == 1
    await box.async_stop()


async def test_persisted_across_restart_exactly_once(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """Queued events survive a restart; delivered keys are not sent again."""
    client = FakeClient()
    box, _ = await make_outbox(hass, client)
    box.add(event(NOW - 900))
    await hass.async_block_till_done()
    client.fail = [MoostConnectionError("down")]
    box.add(event(NOW))
    await hass.async_block_till_done()
    await box.async_stop()
    stored = hass_storage["moost.outbox.entry1"]["data"]
    assert [row["timestamp"] for row in stored["events"]] == [NOW]
    assert stored["delivered"] == [
        ["home", "ha-gateway", "ENERGY_CONSUMPTION", NOW - 900]
    ]
    assert stored["state"] == {"aggregator": "state"}
    stored["events"].append({"deviceId": "broken"})

    again = Outbox(hass, "entry1", client, notify=lambda: None)  # type: ignore[arg-type]
    assert await again.async_load() == {"aggregator": "state"}
    assert len(again) == 1
    again.async_start(dict)
    again.add(event(NOW - 900))  # recomputed after the restart: already delivered
    await hass.async_block_till_done()
    assert sorted(e.timestamp for e in client.received) == [NOW - 900, NOW]
    await again.async_stop()


async def test_final_write_saves(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """HA stopping stores the queue before the delayed save, without errors.

    The Store's own final-write listener writes it (a listener of ours that
    saved too raced the Store's and made HA log an error at every stop).
    """
    client = FakeClient()
    client.fail = [MoostConnectionError("down")]
    box, _ = await make_outbox(hass, client)
    box.add(event(NOW))
    await hass.async_block_till_done()
    assert "moost.outbox.entry1" not in hass_storage
    hass.set_state(CoreState.stopping)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    hass.set_state(CoreState.final_write)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    hass.set_state(CoreState.running)
    assert len(hass_storage["moost.outbox.entry1"]["data"]["events"]) == 1
    assert "Unable to remove" not in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    await box.async_stop()


async def test_bounded_with_repair_issue(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Older than 14 days or beyond the count bound: dropped, with a repair issue."""
    monkeypatch.setattr(outbox_module, "MAX_EVENTS", 3)
    client = FakeClient()
    client.fail = [MoostConnectionError("down")]
    box, _ = await make_outbox(hass, client)
    box.add(event(NOW - 15 * 86400))
    box.add(event(NOW - 13 * 86400))
    await hass.async_block_till_done()
    # the first attempt pruned the 15-day-old event
    assert box.dropped == 1
    issue = issue_registry.async_get_issue("moost", outbox_issue_id("entry1"))
    assert issue is not None
    assert issue.translation_key == "outbox_dropped"
    assert issue.translation_placeholders == {"count": "1", "days": "14"}
    for n in range(3):
        box.add(event(NOW - 900 * n))
    assert box.dropped == 2
    assert len(box) == 3
    await box.async_stop()


async def test_stop_saves_and_sends_nothing_after(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """Stopping: the queue is saved; nothing is sent or queued afterwards."""
    client = FakeClient()
    box, _ = await make_outbox(hass, client)
    box.add(event(NOW))
    await box.async_stop()
    box.add(event(NOW, event_type="POWER_CONSUMPTION"))
    await hass.async_block_till_done()
    assert client.received == []
    stored = hass_storage["moost.outbox.entry1"]["data"]["events"]
    assert [row["type"] for row in stored] == ["ENERGY_CONSUMPTION"]


def test_the_fake_is_a_client() -> None:
    """The fake offers the client methods the outbox uses."""
    for name in ("async_send_event", "async_send_historical"):
        assert hasattr(MoostClient, name)
        assert hasattr(FakeClient, name)
