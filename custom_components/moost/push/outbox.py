"""The persistent outbox between measuring and sending.

Measuring never waits for MOOST: every event goes into this queue first, which
lives in an HA ``Store`` (saved with a delay, and at once on unload and on
``EVENT_HOMEASSISTANT_FINAL_WRITE``), and is delivered from there:

* exactly once: the key (building, device, type, timestamp) identifies an
  event; one already queued is replaced by the newer value, one already
  delivered (remembered two days, also across restarts) is not sent again;
* recent events (their interval ended less than one slot ago) one by one to
  ``POST /events/v1`` (MOOST's rules run on them); a backlog after an outage
  or a restart in batches to ``POST /events/historical/v1``;
* a 400 is the event's own fault (a poison event): it is logged once and
  dropped; in a batch the batch is halved until the culprit is alone, so the
  rest still arrives;
* 429 and 5xx/network errors back off (exponentially, never before
  Retry-After); a refused token is renewed once by the client itself, and
  credentials MOOST refuses for good are retried every 15 minutes (the
  read-back starts the reauth flow);
* bounded: events older than 14 days (or beyond 200,000) are dropped, which
  raises a repair issue.
"""

import asyncio
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from itertools import islice
import logging
import time
from typing import Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from custom_components.moost.api import (
    InvalidEventError,
    MoostAuthenticationError,
    MoostBadRequestError,
    MoostClient,
    MoostError,
    MoostEvent,
    MoostRateLimitError,
)
from custom_components.moost.common.api_helpers import Backoff
from custom_components.moost.const import DOMAIN

from .aggregator import SLOT_SECONDS

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 30.0
BATCH_SIZE: Final = 500
MAX_AGE: Final = timedelta(days=14)
MAX_EVENTS: Final = 200_000
DELIVERED_MEMORY: Final = timedelta(days=2)
FIRST_BACKOFF: Final = timedelta(seconds=30)
MAX_BACKOFF: Final = timedelta(hours=1)
AUTH_RETRY: Final = 900.0
STOP_WAIT: Final = 10.0

type EventKey = tuple[str, str, str, int]


def outbox_issue_id(entry_id: str) -> str:
    """Return the repair issue id raised when queued data was dropped."""
    return f"outbox_dropped_{entry_id}"


class Outbox:
    """A Store-backed queue of MOOST events with a sender."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: MoostClient,
        *,
        notify: Callable[[], None],
        delivered: Callable[[Sequence[MoostEvent]], None] | None = None,
    ) -> None:
        """Set up an empty, not yet loaded outbox."""
        self._hass = hass
        self._entry_id = entry_id
        self._client = client
        self._notify = notify
        self._on_delivered = delivered
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.outbox.{entry_id}"
        )
        self._queue: dict[EventKey, MoostEvent] = {}
        self._delivered: dict[EventKey, None] = {}
        self._extra: Callable[[], dict[str, Any]] = dict
        self._backoff = Backoff(FIRST_BACKOFF, MAX_BACKOFF)
        self._limit = BATCH_SIZE
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._retry: CALLBACK_TYPE | None = None
        self._unsub_final: CALLBACK_TYPE | None = None
        self._stopped = False
        self._auth_logged = False
        self.last_delivery: datetime | None = None
        self.dropped = 0
        self.sent_single = 0
        self.sent_batches = 0

    def __len__(self) -> int:
        """Return the number of events waiting."""
        return len(self._queue)

    async def async_load(self) -> dict[str, Any]:
        """Load the queue; return the extra state stored with it (or {})."""
        data = await self._store.async_load() or {}
        for row in data.get("events", []):
            try:
                event = MoostEvent.from_json(row)
            except InvalidEventError as err:
                _LOGGER.warning("Dropping a damaged stored event: %s", err)
                continue
            self._queue[event.key()] = event
        for key in data.get("delivered", []):
            if isinstance(key, list) and len(key) == 4:
                self._delivered[
                    (str(key[0]), str(key[1]), str(key[2]), int(key[3]))
                ] = None
        if last := data.get("last_delivery"):
            self.last_delivery = dt_util.parse_datetime(last)
        self.dropped = int(data.get("dropped", 0))
        extra = data.get("state")
        return extra if isinstance(extra, dict) else {}

    @callback
    def async_start(self, extra: Callable[[], dict[str, Any]]) -> None:
        """Start sending; ``extra`` gives the state saved along with the queue."""
        self._extra = extra
        self._unsub_final = self._hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_stopping
        )
        self._schedule()

    @callback
    def _async_stopping(self, _: Event) -> None:
        """Have the Store write the queue at HA's final write.

        A delayed save asked for while HA stops is written by the Store's own
        final-write listener, with the data as it is then (the aggregator's
        state changes without a save being asked for). Saving from a
        final-write listener of our own raced the Store's and made HA log
        "Unable to remove unknown job listener".
        """
        self._unsub_final = None
        self._store.async_delay_save(self._data, 0)

    async def async_stop(self) -> None:
        """Stop sending (letting a request in flight finish) and save the queue."""
        self._stopped = True
        if self._retry is not None:
            self._retry()
            self._retry = None
        if self._unsub_final is not None:
            self._unsub_final()
            self._unsub_final = None
        if self._task is not None and not self._task.done():
            # A request cancelled mid-flight may have arrived: waiting for it
            # keeps the "delivered" record true.
            await asyncio.wait({self._task}, timeout=STOP_WAIT)
            self._task.cancel()
        await self._store.async_save(self._data())

    @callback
    def add(self, event: MoostEvent) -> None:
        """Queue one event (O(1)); sending starts on the next loop iteration."""
        if self._stopped:
            # After the final save: a reloaded entry's new outbox owns the Store.
            return
        key = event.key()
        if key in self._delivered:
            _LOGGER.debug("Not sending %s again: already delivered", key)
            return
        self._queue[key] = event
        if len(self._queue) > MAX_EVENTS:
            self._drop_oldest(len(self._queue) - MAX_EVENTS)
        self._changed()
        self._schedule()

    def _data(self) -> dict[str, Any]:
        """Return what the Store holds."""
        horizon = time.time() - DELIVERED_MEMORY.total_seconds()
        self._delivered = {k: None for k in self._delivered if k[3] >= horizon}
        return {
            "events": [event.as_json("") for event in self._queue.values()],
            "delivered": [list(key) for key in self._delivered],
            "last_delivery": self.last_delivery.isoformat()
            if self.last_delivery
            else None,
            "dropped": self.dropped,
            "state": self._extra(),
        }

    @callback
    def _changed(self) -> None:
        """Save later and tell the listeners."""
        self._store.async_delay_save(self._data, SAVE_DELAY)
        self._notify()

    @callback
    def _schedule(self) -> None:
        """Run the sender unless it runs, waits for a retry, or was stopped."""
        if self._stopped or self._retry is not None:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        # Not eager: the events of one slot close are queued together first.
        # A tracked task (not a background one): it ends when the queue is
        # empty or MOOST asks to wait, and tests can wait for it.
        self._task = self._hass.async_create_task(
            self._async_send(), f"moost outbox {self._entry_id}", eager_start=False
        )

    @callback
    def _wake(self, _: datetime) -> None:
        """End a back-off."""
        self._retry = None
        self._schedule()

    @callback
    def _back_off(self, seconds: float) -> None:
        """Try again in ``seconds``."""
        _LOGGER.debug("MOOST outbox: %d events wait %.0f s", len(self._queue), seconds)
        self._retry = async_call_later(self._hass, seconds, self._wake)

    def _prune(self, now: float) -> None:
        """Drop events older than the bound (the queue is oldest first)."""
        horizon = now - MAX_AGE.total_seconds()
        old = 0
        for event in self._queue.values():
            if event.timestamp >= horizon:
                break
            old += 1
        if old:
            self._drop_oldest(old)

    def _drop_oldest(self, count: int) -> None:
        """Drop the oldest events and raise the repair issue."""
        for key in list(islice(self._queue, count)):
            del self._queue[key]
        self.dropped += count
        _LOGGER.warning(
            "MOOST was unreachable too long: %d queued events were dropped", count
        )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            outbox_issue_id(self._entry_id),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="outbox_dropped",
            translation_placeholders={
                "count": str(self.dropped),
                "days": str(MAX_AGE.days),
            },
        )

    def _batch(self, now: float) -> tuple[list[MoostEvent], bool]:
        """Return the next events to send and whether they are historical."""
        head = next(iter(self._queue.values()))
        if now - head.timestamp <= SLOT_SECONDS:
            return [head], False
        batch: list[MoostEvent] = []
        for event in self._queue.values():
            if len(batch) >= self._limit or now - event.timestamp <= SLOT_SECONDS:
                break
            batch.append(event)
        return batch, True

    async def _async_send(self) -> None:
        """Deliver until the queue is empty or MOOST asks to wait."""
        self._again = True
        while self._again and not self._stopped:
            self._again = False
            while self._queue and not self._stopped:
                now = time.time()
                self._prune(now)
                if not self._queue:
                    break
                batch, historical = self._batch(now)
                if not await self._async_deliver(batch, historical):
                    return

    async def _async_deliver(self, batch: list[MoostEvent], historical: bool) -> bool:
        """Send one request; False when the sender must pause."""
        try:
            if historical:
                await self._client.async_send_historical(batch)
            else:
                await self._client.async_send_event(batch[0])
        except MoostBadRequestError as err:
            if len(batch) > 1:
                # One event spoils the batch: halve until it is alone.
                self._limit = max(1, len(batch) // 2)
                return True
            self._poison(batch[0], err)
            self._limit = BATCH_SIZE
            return True
        except MoostRateLimitError as err:
            self._back_off(self._backoff.next(err.retry_after))
            return False
        except MoostAuthenticationError:
            if not self._auth_logged:
                _LOGGER.warning("MOOST refuses the credentials; events stay queued")
                self._auth_logged = True
            self._back_off(AUTH_RETRY)
            return False
        except MoostError as err:
            _LOGGER.debug("MOOST unreachable (%s); events stay queued", err)
            self._back_off(self._backoff.next(None))
            return False
        self._backoff.reset()
        self._auth_logged = False
        if historical:
            # Grow back after halving, in case the 400 was not one event's.
            self._limit = min(BATCH_SIZE, self._limit * 2)
        self._delivered_now(batch, historical)
        return True

    def _poison(self, event: MoostEvent, err: MoostBadRequestError) -> None:
        """Drop an event MOOST refuses, with one log line."""
        _LOGGER.warning(
            "MOOST refused the %s event of %s at %s (%s); it is dropped",
            event.type,
            event.device_id,
            event.timestamp,
            err.message,
        )
        del self._queue[event.key()]
        self.dropped += 1
        self._changed()

    def _delivered_now(self, batch: Iterable[MoostEvent], historical: bool) -> None:
        """Forget delivered events, remembering their keys."""
        events = list(batch)
        for event in events:
            key = event.key()
            self._queue.pop(key, None)
            self._delivered[key] = None
        if historical:
            self.sent_batches += 1
        else:
            self.sent_single += 1
        self.last_delivery = dt_util.utcnow()
        if self._on_delivered is not None:
            self._on_delivered(events)
        self._changed()
