"""The forwarder: HA state changes -> slot aggregation -> persistent outbox.

It listens only to the entities it forwards (never to every
``state_changed``), does O(1) bookkeeping per change and no I/O; the slot
timer (every local quarter hour) closes slots even when nothing changes. It
follows changes of the Energy dashboard's preferences. Its start never
raises because MOOST is down: measuring and queueing begin at once.
"""

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
import logging
import math
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_OFF,
    STATE_ON,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
    async_track_time_change,
)
from homeassistant.helpers.singleton import singleton
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import (
    EnergyConverter,
    PowerConverter,
    TemperatureConverter,
)

from custom_components.moost.api import MoostClient, MoostError, MoostEvent
from custom_components.moost.const import CONF_CUSTOMER_BUILDING_ID

from .aggregator import Aggregator, InputKind, Measurement
from .energy_prefs import GATEWAY_ID, Plan, async_build_plan
from .history import async_send_history
from .outbox import Outbox

if TYPE_CHECKING:
    # coordinator.py imports this package for its own annotations.
    from custom_components.moost.coordinator import MoostConfigEntry

_LOGGER = logging.getLogger(__name__)

SIGNAL_ENERGY_PREFS: Final = "moost_energy_prefs_updated"
DEVICES_RETRY: Final = timedelta(minutes=15)
SENT_DAYS_KEPT: Final = 8
# The household's 15-minute energy types whose delivered sums the read-back
# compares with MOOST's statistics.
CHECKED_TYPES: Final = frozenset(
    {"ENERGY_CONSUMPTION", "ENERGY_GENERATION", "GRID_ENERGY_CONSUMPTION"}
)

_TARGET: Final[dict[InputKind, tuple[Any, str]]] = {
    InputKind.ENERGY: (EnergyConverter, UnitOfEnergy.WATT_HOUR),
    InputKind.POWER: (PowerConverter, UnitOfPower.WATT),
    InputKind.TEMPERATURE: (TemperatureConverter, UnitOfTemperature.CELSIUS),
}


@singleton("moost_energy_prefs_listener")
async def _async_listen_energy_prefs(hass: HomeAssistant) -> bool:
    """Relay Energy dashboard changes to every forwarder (registered once).

    The energy manager's listeners cannot be removed; a dispatcher signal
    can be disconnected by each forwarder when it stops.
    """
    from homeassistant.components.energy.data import async_get_manager

    manager = await async_get_manager(hass)

    async def _updated() -> None:
        async_dispatcher_send(hass, SIGNAL_ENERGY_PREFS)

    manager.async_listen_updates(_updated)
    return True


type Reader = Callable[[State | None], float | None]


def _read_state(state: State | None) -> float | None:
    """Read an on-change value: on = 1, off = 0, else the number."""
    if state is None:
        return None
    raw = state.state
    if raw == STATE_ON:
        return 1.0
    if raw == STATE_OFF:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        return None  # unavailable, unknown, or not a number
    return value if math.isfinite(value) else None


def make_reader(kind: InputKind) -> Reader:
    """Return a reader of one entity's states in the kind's unit (Wh, W, °C).

    The hot path: one float(), one attribute lookup and, for a unit other
    than the target, a converter cached per unit seen.
    """
    if kind is InputKind.STATE:
        return _read_state
    converter, target = _TARGET[kind]
    factors: dict[Any, Callable[[float], float] | None] = {target: None}

    def read(state: State | None) -> float | None:
        if state is None:
            return None
        try:
            value = float(state.state)
        except ValueError:
            return None  # unavailable, unknown, or not a number
        if not math.isfinite(value):
            return None
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        try:
            convert = factors[unit]
        except KeyError:
            try:
                convert = factors[unit] = converter.converter_factory(unit, target)
            except HomeAssistantError:
                return None  # not an energy/power/temperature unit
        return value if convert is None else float(convert(value))

    return read


def read_value(state: State | None, kind: InputKind) -> float | None:
    """Return a state in the kind's unit (Wh, W, °C, number), None if unusable."""
    return make_reader(kind)(state)


class MoostForwarder:
    """Forward one building's measurements to MOOST."""

    def __init__(
        self, hass: HomeAssistant, entry: MoostConfigEntry, client: MoostClient
    ) -> None:
        """Prepare; nothing runs before :meth:`async_start`."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._building_id: str = entry.data[CONF_CUSTOMER_BUILDING_ID]
        self._listeners: list[CALLBACK_TYPE] = []
        self._outbox = Outbox(
            hass,
            entry.entry_id,
            client,
            notify=self._notify,
            delivered=self._delivered,
        )
        self._plan = Plan()
        self._aggregator: Aggregator | None = None
        self._kinds: dict[str, InputKind] = {}
        self._readers: dict[str, Reader] = {}
        self._counters: set[str] = set()
        self._unsub_states: CALLBACK_TYPE | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        self._flush_timer: CALLBACK_TYPE | None = None
        self._devices_pending = False
        self._sent_days: dict[str, dict[str, float]] = {}
        self._saved_aggregator: dict[str, Any] | None = None

    # Interface for the HA side --------------------------------------------

    @property
    def outbox_length(self) -> int:
        """Return the number of events waiting to be delivered."""
        return len(self._outbox)

    @property
    def last_delivery(self) -> datetime | None:
        """Return when MOOST last accepted events."""
        return self._outbox.last_delivery

    @property
    def dropped(self) -> int:
        """Return how many events were dropped (poison or beyond the bound)."""
        return self._outbox.dropped

    @property
    def plan(self) -> Plan:
        """Return what is forwarded now."""
        return self._plan

    @property
    def aggregator(self) -> Aggregator | None:
        """Return the running aggregator (tests, benchmark)."""
        return self._aggregator

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update_callback`` when the outbox changes; return the remover."""
        self._listeners.append(update_callback)

        @callback
        def remove() -> None:
            self._listeners.remove(update_callback)

        return remove

    def sent_day_totals(self, day: date) -> dict[str, float] | None:
        """Return the household Wh per 15-minute type delivered for a local day."""
        return self._sent_days.get(day.isoformat())

    async def async_start(self) -> None:
        """Load the outbox, start measuring and sending; never raises for MOOST."""
        saved = await self._outbox.async_load()
        self._sent_days = {
            str(day): {str(k): float(v) for k, v in totals.items()}
            for day, totals in saved.get("sent_days", {}).items()
        }
        self._plan = await async_build_plan(self._hass, self._entry)
        self._setup(saved.get("aggregator"))
        self._outbox.async_start(self._state)
        self._unsubs.append(
            async_track_time_change(
                self._hass, self._on_slot, minute=(0, 15, 30, 45), second=0
            )
        )
        await _async_listen_energy_prefs(self._hass)
        self._unsubs.append(
            async_dispatcher_connect(
                self._hass, SIGNAL_ENERGY_PREFS, self._async_prefs_changed
            )
        )
        self._devices_pending = True
        self._put_devices()

    async def async_send_history(
        self, start: datetime, end: datetime
    ) -> dict[str, int]:
        """Send the mapped statistics' energy of [start, end) (raises MoostError)."""
        plan = await async_build_plan(self._hass, self._entry, statistics=True)
        return await async_send_history(
            self._hass, self._client, self._building_id, plan, start=start, end=end
        )

    async def async_stop(self) -> None:
        """Stop listening and timers, save the state and the outbox."""
        self._teardown()
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        await self._outbox.async_stop()

    # Wiring -----------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        """Return the state saved with the outbox."""
        now = dt_util.utcnow().timestamp()
        state: dict[str, Any] = {"sent_days": self._sent_days}
        if self._aggregator is not None:
            state["aggregator"] = self._aggregator.dump(now)
        elif self._saved_aggregator is not None:
            state["aggregator"] = self._saved_aggregator
        return state

    def _setup(self, saved: dict[str, Any] | None) -> None:
        """Build the aggregator of the plan and listen to its entities."""
        now = dt_util.utcnow().timestamp()
        aggregator = Aggregator(
            dt_util.get_default_time_zone(),
            self._emit,
            gateway=self._plan.gateway,
            devices=self._plan.devices,
        )
        aggregator.start(now, saved)
        self._aggregator = aggregator
        self._kinds = aggregator.kinds
        self._readers = {eid: make_reader(kind) for eid, kind in self._kinds.items()}
        self._counters = {
            eid for eid, k in self._kinds.items() if k is InputKind.ENERGY
        }
        for entity_id, reader in self._readers.items():
            aggregator.update(entity_id, reader(self._hass.states.get(entity_id)), now)
        self._schedule_flush()
        if self._kinds:
            self._unsub_states = async_track_state_change_event(
                self._hass, list(self._kinds), self._on_state
            )
        _LOGGER.debug(
            "Forwarding %d entities of %d devices to MOOST",
            len(self._kinds),
            len(self._plan.moost_devices),
        )

    def _teardown(self) -> None:
        """Stop listening; keep the aggregator's state for a restart."""
        if self._unsub_states is not None:
            self._unsub_states()
            self._unsub_states = None
        if self._flush_timer is not None:
            self._flush_timer()
            self._flush_timer = None
        if self._aggregator is not None:
            self._saved_aggregator = self._aggregator.dump(dt_util.utcnow().timestamp())
            self._aggregator = None

    async def _async_prefs_changed(self) -> None:
        """Follow the Energy dashboard: rebuild what is forwarded."""
        plan = await async_build_plan(self._hass, self._entry)
        if plan == self._plan:
            return
        self._teardown()
        self._plan = plan
        self._setup(self._saved_aggregator)
        self._devices_pending = True
        self._put_devices()

    # Hot path ---------------------------------------------------------------

    @callback
    def _on_state(self, event: Event[EventStateChangedData]) -> None:
        """Take one state change: O(1), no I/O."""
        data = event.data
        entity_id = data["entity_id"]
        new = data["new_state"]
        aggregator = self._aggregator
        if aggregator is None:
            return
        value = self._readers[entity_id](new)
        reset = False
        if (
            entity_id in self._counters
            and new is not None
            and (old := data["old_state"])
        ):
            last_reset = new.attributes.get("last_reset")
            reset = last_reset is not None and last_reset != old.attributes.get(
                "last_reset"
            )
        ts = (
            new.last_updated_timestamp
            if new is not None
            else event.time_fired_timestamp
        )
        if aggregator.update(entity_id, value, ts, reset) is not None:
            self._schedule_flush()

    @callback
    def _on_slot(self, now: datetime) -> None:
        """Close the slot that just ended (also when nothing changed)."""
        if self._aggregator is not None:
            self._aggregator.advance(now.timestamp())
        if self._devices_pending:
            self._put_devices()

    @callback
    def _schedule_flush(self) -> None:
        """Run the debounce flush at the earliest pending on-change deadline."""
        aggregator = self._aggregator
        if aggregator is None or self._flush_timer is not None:
            return
        due = aggregator.next_due
        if due is None:
            return
        self._flush_timer = async_track_point_in_utc_time(
            self._hass, self._on_flush, dt_util.utc_from_timestamp(due)
        )

    @callback
    def _on_flush(self, now: datetime) -> None:
        """Send the on-change values whose window ended."""
        self._flush_timer = None
        if self._aggregator is not None:
            self._aggregator.flush_due(now.timestamp())
            self._schedule_flush()

    @callback
    def _emit(self, measurement: Measurement) -> None:
        """Turn a measurement into a MOOST event in the outbox."""
        device = self._plan.moost_devices[measurement.device_id]
        self._outbox.add(
            MoostEvent(
                customer_building_id=self._building_id,
                device_id=device.id,
                device_name=device.name,
                type=measurement.type,
                value=measurement.value,
                timestamp=measurement.timestamp,
                source=device.type,
            )
        )

    # Side tasks -------------------------------------------------------------

    @callback
    def _put_devices(self) -> None:
        """Tell MOOST the building's devices (again, until it worked)."""
        if not self._plan.moost_devices:
            self._devices_pending = False
            return
        self._devices_pending = False
        self._entry.async_create_task(
            self._hass, self._async_put_devices(), "moost devices"
        )

    async def _async_put_devices(self) -> None:
        """PUT the device set; on failure retry at a later slot."""
        try:
            await self._client.async_put_devices(
                self._building_id, list(self._plan.moost_devices.values())
            )
        except MoostError as err:
            _LOGGER.debug("MOOST devices not updated yet: %s", err)
            self._devices_pending = True

    @callback
    def _notify(self) -> None:
        """Tell the diagnostic sensor."""
        for listener in list(self._listeners):
            listener()

    @callback
    def _delivered(self, events: Sequence[MoostEvent]) -> None:
        """Keep the household's delivered day sums for the statistics check."""
        changed = False
        for event in events:
            if event.device_id != GATEWAY_ID or event.type not in CHECKED_TYPES:
                continue
            day = dt_util.as_local(
                dt_util.utc_from_timestamp(event.timestamp - 1)
            ).date()
            totals = self._sent_days.setdefault(day.isoformat(), {})
            totals[event.type] = round(totals.get(event.type, 0.0) + event.value, 3)
            changed = True
        if changed and len(self._sent_days) > SENT_DAYS_KEPT:
            for day_key in sorted(self._sent_days)[:-SENT_DAYS_KEPT]:
                del self._sent_days[day_key]
