"""The building's tariff: from the entry's options to MOOST's ``settings.tariff``.

Shapes follow the OpenAPI spec's ``TariffSettings``: ``type`` SINGLE / DUAL /
DYNAMIC, optional ``currency`` (ISO 4217), ``minPrice``/``maxPrice`` (per
kWh), ``dual.lowTariff.<weekday>StartTime``/``EndTime`` as ``HH:MM`` and
``dynamic.tariffs`` as ``[{from, to, price}]`` with epoch seconds.

MOOST is written only when what it should hold differs from what it holds:
the first sync reads the building once, later ones compare with what was
written last. A price entity that updates its attributes every few minutes
with the same prices costs no call; new prices (typically once a day, when
tomorrow's are published) cost one.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
import math
from typing import Any

from homeassistant.const import CONF_CURRENCY
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util

from .api import MoostBadRequestError, MoostClient, MoostError
from .const import (
    CONF_PRICE_ENTITY,
    CONF_TARIFF,
    LOGGER,
    TARIFF_DUAL,
    TARIFF_DYNAMIC,
    TARIFF_SINGLE,
    WEEKDAYS,
)

# Price entities publish per kWh in most cases; some (ENTSO-e style) per MWh.
_UNIT_FACTORS = {"mwh": 1 / 1000, "kwh": 1.0, "wh": 1000.0}
# A price entity updating its attributes several times in a row costs one
# sync, at most one every this many seconds.
_DEBOUNCE_SECONDS = 30.0


def _as_time(value: Any) -> str | None:
    """Return ``HH:MM`` of a time option (``HH:MM`` or ``HH:MM:SS``)."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    if int(parts[0]) > 23 or int(parts[1]) > 59:
        return None
    return f"{parts[0]}:{parts[1]}"


def _as_epoch(value: Any) -> int | None:
    """Return epoch seconds of an ISO string, a datetime or epoch seconds."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        parsed = dt_util.parse_datetime(value.strip())
        if parsed is None:
            return None
        moment = parsed
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        # Epoch seconds; a value this large can only be milliseconds.
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(number / 1000 if number > 1e11 else number)
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_util.get_default_time_zone())
    return int(moment.timestamp())


def _as_price(value: Any) -> float | None:
    """Return a finite price of a number or numeric string."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except TypeError, ValueError:
        return None
    return number if math.isfinite(number) else None


def _first(item: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in item:
            return item[key]
    return None


def parse_price_slices(attributes: Mapping[str, Any]) -> list[tuple[int, int, float]]:
    """Return ``(from, to, price)`` slices from a price entity's attributes.

    Accepted: ``raw_today``/``raw_tomorrow`` lists of ``{start, end, value}``
    (Nord Pool style) and, under any attribute, lists of
    ``{start|from, end|till|to, price|value}``. A slice that cannot be read
    unambiguously (no or unparsable time, end not after start, no finite
    price) is skipped, never guessed; overlapping duplicates from several
    attributes are kept once.
    """
    slices: dict[tuple[int, int], float] = {}
    for value in attributes.values():
        if not isinstance(value, list):
            continue
        for item in value:
            if not isinstance(item, Mapping):
                continue
            start = _as_epoch(_first(item, "start", "from"))
            end = _as_epoch(_first(item, "end", "till", "to"))
            price = _as_price(_first(item, "value", "price"))
            if start is None or end is None or end <= start or price is None:
                continue
            slices.setdefault((start, end), price)
    return [(start, end, price) for (start, end), price in sorted(slices.items())]


def _unit_factor(unit: Any) -> float:
    """Return the factor turning a price per ``unit`` into a price per kWh."""
    if not isinstance(unit, str) or "/" not in unit:
        return 1.0
    per = unit.rsplit("/", 1)[1].strip().lower()
    return _UNIT_FACTORS.get(per, 1.0)


def build_tariff(
    options: Mapping[str, Any], price_state: State | None, currency: str
) -> dict[str, Any] | None:
    """Return the ``settings.tariff`` the options describe.

    None when there is nothing to write: no tariff chosen in the options
    yet, or a dynamic tariff whose price entity is missing or carries no
    readable prices.
    """
    if CONF_TARIFF not in options:
        # Never configured: MOOST keeps whatever it holds.
        return None
    kind = options[CONF_TARIFF]
    tariff: dict[str, Any] = {"type": kind.upper(), "currency": currency}
    if kind == TARIFF_DUAL:
        low: dict[str, str] = {}
        for day in WEEKDAYS:
            start = _as_time(options.get(f"{day}_start"))
            end = _as_time(options.get(f"{day}_end"))
            if start is None or end is None:
                return None
            low[f"{day}StartTime"] = start
            low[f"{day}EndTime"] = end
        tariff["dual"] = {"lowTariff": low}
    elif kind == TARIFF_DYNAMIC:
        if price_state is None:
            return None
        factor = _unit_factor(price_state.attributes.get("unit_of_measurement"))
        slices = parse_price_slices(price_state.attributes)
        if not slices:
            return None
        prices = [round(price * factor, 6) for _, _, price in slices]
        tariff["minPrice"] = min(prices)
        tariff["maxPrice"] = max(prices)
        tariff["dynamic"] = {
            "tariffs": [
                {"from": start, "to": end, "price": price}
                for (start, end, _), price in zip(slices, prices, strict=True)
            ]
        }
    elif kind != TARIFF_SINGLE:
        return None
    return tariff


def _normalise(tariff: Mapping[str, Any] | None) -> Any:
    """Return what matters of a tariff for comparing ours with MOOST's.

    MOOST may add fields or spell prices as strings (an example in its
    guide does): only type, currency, low-tariff windows and price slices
    count; min/max prices follow from the slices.
    """
    if not tariff:
        return None
    low = (tariff.get("dual") or {}).get("lowTariff") or {}
    slices: Iterable[Mapping[str, Any]] = (tariff.get("dynamic") or {}).get(
        "tariffs"
    ) or []
    return (
        str(tariff.get("type", "")).upper(),
        tariff.get("currency"),
        tuple(sorted((str(k), str(v)) for k, v in low.items())),
        tuple(
            (
                _as_epoch(item.get("from")),
                _as_epoch(item.get("to")),
                round(_as_price(item.get("price")) or 0.0, 6),
            )
            for item in slices
            if isinstance(item, Mapping)
        ),
    )


class MoostTariff:
    """Keeps the building's tariff at MOOST in line with the entry's options."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: MoostClient,
        building_id: str,
        options: Mapping[str, Any],
    ) -> None:
        """Prepare; nothing is read or written before the first sync."""
        self.hass = hass
        self.client = client
        self.building_id = building_id
        self.options: Mapping[str, Any] = options
        self.writes = 0
        """Tariff writes since start (diagnostics, tests)."""
        self._held: Any = None
        self._held_known = False
        self._rejected: Any = None
        self._unsub_price: CALLBACK_TYPE | None = None
        self._debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=_DEBOUNCE_SECONDS,
            immediate=False,
            function=self._async_sync_logged,
            background=True,
        )

    @property
    def currency(self) -> str:
        """Return the tariff's currency (an option; HA's by default)."""
        return str(self.options.get(CONF_CURRENCY) or self.hass.config.currency)

    def desired(self) -> dict[str, Any] | None:
        """Return the tariff MOOST should hold now, None when unknown yet."""
        entity_id = self.options.get(CONF_PRICE_ENTITY)
        state = self.hass.states.get(entity_id) if entity_id else None
        return build_tariff(self.options, state, self.currency)

    @callback
    def async_start(self) -> None:
        """Follow the price entity of a dynamic tariff."""
        self.async_stop()
        entity_id = self.options.get(CONF_PRICE_ENTITY)
        if self.options.get(CONF_TARIFF) == TARIFF_DYNAMIC and entity_id:
            self._unsub_price = async_track_state_change_event(
                self.hass, [entity_id], self._async_price_changed
            )

    @callback
    def async_stop(self) -> None:
        """Stop following the price entity."""
        if self._unsub_price is not None:
            self._unsub_price()
            self._unsub_price = None
        self._debouncer.async_cancel()

    @callback
    def async_options_changed(self, options: Mapping[str, Any]) -> None:
        """Take new options: follow another entity, sync soon."""
        self.options = options
        self.async_start()
        self.hass.async_create_background_task(
            self._async_sync_logged(), "moost tariff sync"
        )

    @callback
    def _async_price_changed(self, event: Event[EventStateChangedData]) -> None:
        self.hass.async_create_task(self._debouncer.async_call())

    async def _async_sync_logged(self) -> None:
        """Sync, only logging a failure: the next coordinator refresh retries."""
        try:
            await self.async_sync()
        except MoostError as err:
            LOGGER.debug("Tariff not written yet: %s", err)

    async def async_sync(self) -> bool:
        """Write the tariff if MOOST holds another one; return whether it wrote.

        A tariff MOOST refused as invalid (400) is logged once and not sent
        again until it changes.
        """
        desired = self.desired()
        if desired is None:
            return False
        wanted = _normalise(desired)
        if not self._held_known:
            building = await self.client.async_get_building(self.building_id)
            self._held = _normalise(building.tariff)
            self._held_known = True
        if wanted in (self._held, self._rejected):
            return False
        try:
            await self.client.async_set_tariff(self.building_id, desired)
        except MoostBadRequestError as err:
            self._rejected = wanted
            LOGGER.warning("MOOST refused the tariff: %s", err.message)
            return False
        self._held = wanted
        self.writes += 1
        return True
