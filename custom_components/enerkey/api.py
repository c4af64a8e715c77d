"""Async client of the EnerKey API (``docs/enerkey-api.md``, the assumed contract).

Pure aiohttp: no Home Assistant import, so it can become its own package.
EnerKey publishes no paths or shapes; every path and field read here is the
contract page's assumption, cited by its section names. When EnerKey's real
reference is available, that page and the parsing here change, nothing else.

* Authentication (contract: Authentication): the API key is the bare value
  of ``Authorization``. A profile has two keys; the client uses one and, on a
  401, switches to the other at once and repeats the request, remembering
  which key failed (:attr:`EnerKeyClient.failed_keys`) so the integration can
  ask the user to renew it. Only when both are refused is it an
  authentication error.
* Rate limits (contract: Rate limits): :class:`CallBudget` sends at most
  ``burst`` calls per ``window`` and ``daily`` per rolling 24 h, whatever
  triggers the call (a short burst waits, a long one is refused locally);
  ``RetryGate`` answers every call itself until a 429's ``Retry-After`` has
  passed; ``X-Rate-Limit`` (calls left) is kept in :attr:`calls_left`, and a
  0 there holds the gate for an hour.
* Push (contract: Push): :meth:`EnerKeyClient.push_values` sends one
  meter's values of less than 365 days in one message; the caller chunks,
  the client refuses (``ValueError``) what the contract does not accept.
* Shapes (contract: Shapes and values): lists bare or in an envelope
  (``data``/``items``/``value``), keys case-insensitive, unknown fields
  ignored, both timestamp formats, values as numbers or numeric strings.
  A row whose time or value cannot be read unambiguously is skipped and
  logged at debug level, never guessed; ``null`` means no value.

The keys never reach a log line or an exception message: server text is
redacted with both keys before it is raised.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import logging
import math
import time
from typing import Any, Final
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from .common.api_helpers import (
    RetryGate,
    VendorAuthenticationError,
    VendorConnectionError,
    VendorError,
    VendorRateLimitError,
    VendorResponseError,
    as_datetime,
    as_number,
    as_str,
    error_message,
    host_of,
    parse_retry_after,
    quote_segment,
    redact,
    validate_base_url,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL: Final = "https://api.enerkey.com"
REQUEST_TIMEOUT: Final = 30.0
MAX_IDS: Final = 50
"""Ids per request (contract: Every path)."""
HOURLY_RANGE: Final = timedelta(days=31)
"""Longest hourly range per request (contract: MeterValues)."""
PUSH_RANGE: Final = timedelta(days=365)
"""The values of one push message span less than this (contract: Push)."""
PUSH_CONSUMPTIONS: Final = "/api/v1/Values/PushConsumptionsForMeter"
PUSH_CUMULATIVE: Final = "/api/v1/Values/PushCumulativeReadingsForMeter"
BURST_CALLS: Final = 18
"""Calls per ``BURST_WINDOW``: the sandbox allows 20; two spare for clock skew."""
BURST_WINDOW: Final = 10.0
DAILY_CALLS: Final = 3000
"""The sandbox's smallest daily limit (production allows 40,000)."""
MAX_WAIT: Final = 15.0
"""A call waits for the burst window at most this long; a longer wait is refused."""
EMPTY_HOLD: Final = 3600.0
"""Seconds to send nothing after ``X-Rate-Limit: 0``."""

ACTION_OPEN: Final = "Open"
ACTION_COMPLETED: Final = "Completed"

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

PRIMARY: Final = "primary"
SECONDARY: Final = "secondary"


class EnerKeyError(VendorError):
    """Base of the EnerKey client's errors."""


class EnerKeyConnectionError(EnerKeyError, VendorConnectionError):
    """EnerKey could not be reached, timed out or failed (5xx)."""


class EnerKeyAuthenticationError(EnerKeyError, VendorAuthenticationError):
    """Every configured key was refused (401)."""


class EnerKeyRateLimitError(EnerKeyError, VendorRateLimitError):
    """Over a rate limit: EnerKey's 429, or the client's own budget."""


class EnerKeyResponseError(EnerKeyError, VendorResponseError):
    """EnerKey answered something unusable (4xx, invalid JSON).

    ``status`` is the HTTP status of a 4xx answer (None otherwise): a push
    caller tells 400 (this message is refused as it is) from 404 (no such
    meter) by it.
    """

    def __init__(self, message: str = "", *, status: int | None = None) -> None:
        """Keep the message and, for a 4xx answer, its status."""
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, kw_only=True, slots=True)
class Facility:
    """A facility (contract: Facility)."""

    id: str
    name: str
    street_address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    type: str | None = None
    area: float | None = None

    @property
    def address(self) -> str | None:
        """Return the address on one line, when known."""
        town = " ".join(p for p in (self.postal_code, self.city) if p)
        parts = [p for p in (self.street_address, town) if p]
        return ", ".join(parts) or None


@dataclass(frozen=True, kw_only=True, slots=True)
class Meter:
    """A meter of a facility (contract: Meter)."""

    id: str
    facility_id: str
    name: str
    quantity_id: str | None = None
    unit: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Quantity:
    """A type of consumption (contract: Quantity)."""

    id: str
    name: str
    unit: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Action:
    """An energy-management action (contract: Action).

    ``raw`` is the object exactly as EnerKey sent it: an update sends it back
    whole with only the status changed ("saved as they are").
    """

    id: str
    facility_id: str
    title: str
    status: str
    description: str | None = None
    due: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """Return whether the action is completed."""
        return self.status.lower() == ACTION_COMPLETED.lower()


@dataclass(frozen=True, kw_only=True, slots=True)
class PushResult:
    """EnerKey's answer to a push (contract: Push)."""

    meter_id: str
    received: int | None
    """Values EnerKey says it received; None when it did not say."""
    stored: int | None
    """Hours (readings) EnerKey says it stored; None when it did not say."""
    error: str | None = None
    """An error a 200 answer states (``success: false``, ``error(s)``): the
    message was not taken."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MeterValues:
    """One meter's values: (period start in UTC, value in ``unit``), oldest first."""

    meter_id: str
    unit: str | None = None
    values: list[tuple[datetime, float]] = field(default_factory=list)


class CallBudget:
    """At most ``burst`` calls per ``window`` seconds and ``daily`` per 24 h.

    Every request passes :meth:`acquire` before it is sent. A burst over the
    limit waits for the window (at most ``max_wait``); anything longer, and
    the daily budget, is refused with :class:`EnerKeyRateLimitError` without
    sending: the server never sees a call that would be limited.
    """

    def __init__(
        self,
        *,
        burst: int = BURST_CALLS,
        window: float = BURST_WINDOW,
        daily: int = DAILY_CALLS,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Start with nothing spent."""
        self.burst = burst
        self.window = window
        self.daily = daily
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._recent: deque[float] = deque()
        self._day: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _prune(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - self.window:
            self._recent.popleft()
        while self._day and self._day[0] <= now - 86400:
            self._day.popleft()

    def available(self) -> int:
        """Return the calls that can go out now without waiting."""
        self._prune(self._clock())
        return max(min(self.burst - len(self._recent), self.daily - len(self._day)), 0)

    def spent_today(self) -> int:
        """Return the calls sent in the last 24 hours."""
        self._prune(self._clock())
        return len(self._day)

    async def acquire(self) -> None:
        """Take one call from the budget, waiting out a short burst."""
        async with self._lock:
            while True:
                now = self._clock()
                self._prune(now)
                if len(self._day) >= self.daily:
                    raise EnerKeyRateLimitError(
                        "Daily call budget spent", self._day[0] + 86400 - now
                    )
                if len(self._recent) < self.burst:
                    break
                wait = self._recent[0] + self.window - now
                if wait > self.max_wait:
                    raise EnerKeyRateLimitError("Burst budget spent", wait)
                await self._sleep(wait)
            self._recent.append(now)
            self._day.append(now)


def _lower(obj: Any) -> dict[str, Any]:
    """Return a JSON object with lower-case keys (keys are case-insensitive)."""
    if not isinstance(obj, Mapping):
        return {}
    return {str(key).lower(): value for key, value in obj.items()}


def _rows(data: Any) -> list[dict[str, Any]]:
    """Return the objects of a list, bare or inside a common envelope."""
    if isinstance(data, Mapping):
        lowered = _lower(data)
        for key in ("data", "items", "value", "values", "results"):
            if isinstance(lowered.get(key), list):
                data = lowered[key]
                break
        else:
            data = [data]
    if not isinstance(data, list):
        return []
    return [_lower(row) for row in data if isinstance(row, Mapping)]


def _id(value: Any) -> str | None:
    """Return an id as text: integers or strings, never floats or booleans."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    return as_str(value) if isinstance(value, str) else None


def parse_facility(row: Mapping[str, Any]) -> Facility | None:
    """Return a facility of one row, or None without an id (contract: Facility)."""
    data = _lower(row)
    if (facility_id := _id(data.get("id"))) is None:
        _LOGGER.debug("Skipped a facility without a usable id")
        return None
    address = _lower(data.get("address"))
    properties = _lower(data.get("properties"))
    area = as_number(properties.get("grossarea", properties.get("area")))
    return Facility(
        id=facility_id,
        name=as_str(data.get("name")) or f"Facility {facility_id}",
        street_address=as_str(address.get("streetaddress")),
        postal_code=as_str(address.get("postalcode")),
        city=as_str(address.get("city")),
        type=as_str(properties.get("type")),
        area=area if area is not None and area >= 0 else None,
    )


def parse_meter(row: Mapping[str, Any]) -> Meter | None:
    """Return a meter of one row, or None without its ids (contract: Meter)."""
    data = _lower(row)
    meter_id = _id(data.get("id"))
    facility_id = _id(data.get("facilityid"))
    if meter_id is None or facility_id is None:
        _LOGGER.debug("Skipped a meter without a usable id or facility id")
        return None
    return Meter(
        id=meter_id,
        facility_id=facility_id,
        name=as_str(data.get("name")) or f"Meter {meter_id}",
        quantity_id=_id(data.get("quantityid")),
        unit=as_str(data.get("unit")),
    )


def parse_values(row: Mapping[str, Any]) -> MeterValues | None:
    """Return one meter's values (contract: MeterValues).

    A value without a readable time or number is skipped, never guessed;
    ``null`` is "no value" and skipped silently.
    """
    data = _lower(row)
    if (meter_id := _id(data.get("meterid"))) is None:
        _LOGGER.debug("Skipped values without a usable meter id")
        return None
    values: list[tuple[datetime, float]] = []
    skipped = 0
    raw = data.get("values")
    for item in raw if isinstance(raw, list) else []:
        entry = _lower(item)
        if entry.get("value") is None and "value" in entry:
            continue
        moment = as_datetime(entry.get("timestamp"))
        number = as_number(entry.get("value"))
        if moment is None or number is None:
            skipped += 1
            continue
        values.append((moment, number))
    if skipped:
        _LOGGER.debug("Skipped %d unreadable values of meter %s", skipped, meter_id)
    values.sort(key=lambda pair: pair[0])
    return MeterValues(meter_id=meter_id, unit=as_str(data.get("unit")), values=values)


def parse_action(row: Mapping[str, Any]) -> Action | None:
    """Return an action of one object, or None without ids or status.

    An action whose id, facility or status cannot be read is skipped, never
    guessed: completing it would need the exact object anyway.
    """
    data = _lower(row)
    action_id = _id(data.get("id"))
    facility_id = _id(data.get("facilityid"))
    status = as_str(data.get("status"))
    if action_id is None or facility_id is None or status is None:
        _LOGGER.debug("Skipped an action without a usable id, facility or status")
        return None
    return Action(
        id=action_id,
        facility_id=facility_id,
        title=as_str(data.get("title")) or f"Action {action_id}",
        status=status,
        description=as_str(data.get("description")),
        due=as_datetime(data.get("duedate")),
        raw=dict(row),
    )


def _count(value: Any) -> int | None:
    """Return a count of a push answer: a whole number >= 0, else None."""
    number = as_number(value)
    if number is None or number < 0 or not number.is_integer():
        return None
    return int(number)


def parse_push_result(meter_id: str, data: Any) -> PushResult:
    """Return EnerKey's answer to a push (contract: Push).

    Tolerant: keys case-insensitive, counts as numbers or numeric strings; a
    count that is not a whole number >= 0 is unknown (None), never guessed.
    Any other body of a 200 means accepted with unknown counts.
    """
    data = _lower(data)
    return PushResult(
        meter_id=meter_id,
        received=_count(data.get("received")),
        stored=_count(data.get("stored")),
        error=_stated_error(data),
    )


def _stated_error(data: Mapping[str, Any]) -> str | None:
    """Return the error a 200 push answer states, else None.

    The vendor text documents no answer; servers that answer 200 with an
    error say so with ``success``/``isSuccess``/``succeeded`` false or a
    non-empty ``error``/``errors``. Only such an explicit statement counts:
    anything else in a 200 is an acceptance.
    """
    for key in ("success", "issuccess", "succeeded"):
        if data.get(key) is False or str(data.get(key)).lower() == "false":
            break
    else:
        if not any(data.get(key) for key in ("error", "errors")):
            return None
    detail = data.get("error") or data.get("errors") or data.get("message")
    text = str(detail)[:200] if detail else "no reason given"
    return f"EnerKey answered 200 with an error: {text}"


def push_body(
    meter_id: str, values: Sequence[tuple[datetime, float]]
) -> dict[str, Any]:
    """Return the body of one push message (contract: Push).

    Raise ``ValueError`` when ``values`` is empty, has a naive timestamp or a
    value that is not a finite number, or spans 365 days or more.
    """
    # Refused, not split: the caller decides what one message is and records
    # each acknowledged one. A client splitting silently could fail after the
    # first part was stored, and the caller could not tell which part EnerKey
    # holds. A ValueError is the caller's mistake, so nothing is sent.
    if not values:
        raise ValueError("nothing to push")
    for moment, value in values:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("push timestamps must be timezone-aware")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError("push values must be finite numbers")
    instants = [moment for moment, _ in values]
    if max(instants) - min(instants) >= PUSH_RANGE:
        raise ValueError("one push message spans less than 365 days")
    # Ids are integers in EnerKey (contract: Shapes and values); the client
    # keeps them as text, so an all-digit id goes back as a number.
    return {
        "meterId": int(meter_id)
        if meter_id.isascii() and meter_id.isdigit()
        else meter_id,
        "values": [
            {"timestamp": format_time(moment), "value": value}
            for moment, value in values
        ],
    }


def format_time(moment: datetime) -> str:
    """Return a request timestamp in UTC format (contract: Timestamps)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def batches[T](items: Sequence[T], size: int = MAX_IDS) -> Iterator[list[T]]:
    """Yield ``items`` in lists of at most ``size``."""
    for index in range(0, len(items), size):
        yield list(items[index : index + size])


class EnerKeyClient:
    """The EnerKey API with two keys, a call budget and tolerant parsing."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        secondary_api_key: str | None = None,
        *,
        url: str = DEFAULT_URL,
        budget: CallBudget | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        """Create the client; ``url`` is validated (HTTPS, or loopback HTTP)."""
        self._session = session
        self._url = validate_base_url(url)
        self._host = host_of(self._url)
        self._keys: dict[str, str] = {PRIMARY: api_key}
        if secondary_api_key:
            self._keys[SECONDARY] = secondary_api_key
        self.active_key = PRIMARY
        """Which key the next request uses."""
        self.failed_keys: set[str] = set()
        """Keys EnerKey refused since they last worked (``primary``, ``secondary``)."""
        self.budget = budget or CallBudget()
        self._gate = RetryGate()
        self._timeout = timeout
        self.calls_left: int | None = None
        """EnerKey's ``X-Rate-Limit`` of the last answer: calls left in 24 h."""
        self.requests = 0
        """Requests sent (diagnostics, tests)."""

    def _redact(self, text: str) -> str:
        return redact(text, self._keys.values())

    async def _get(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        """Send one GET and return its JSON."""
        return self._json(await self._request("GET", path, params))

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body) if body.strip() else None
        except ValueError as err:
            raise EnerKeyResponseError(f"{self._host} sent invalid JSON") from err

    async def _request(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        payload: Any = None,
        accept: str = "application/json",
    ) -> bytes:
        """Send one request with the active key; fail over to the other on 401.

        Every method goes through here, so the call budget, ``Retry-After``
        and the key failover hold for reads, images and updates alike.
        """
        tried: set[str] = set()
        while True:
            key_name = self.active_key
            tried.add(key_name)
            status, body, headers = await self._send(
                method, path, params, key_name, payload=payload, accept=accept
            )
            if status != 401:
                self.failed_keys.discard(key_name)
                break
            self.failed_keys.add(key_name)
            others = [name for name in self._keys if name not in tried]
            if not others:
                raise EnerKeyAuthenticationError(
                    f"EnerKey refused the {' and the '.join(sorted(tried))} API key"
                )
            _LOGGER.warning(
                "EnerKey refused the %s API key; using the %s key", key_name, others[0]
            )
            self.active_key = others[0]
        if status == 429:
            wait = parse_retry_after(headers.get("Retry-After"))
            self._gate.hold(wait if wait is not None else 60.0)
            raise EnerKeyRateLimitError("EnerKey rate limit reached", wait)
        if status >= 500:
            raise EnerKeyConnectionError(
                f"{self._host} answered {status}: "
                f"{error_message(body, self._keys.values())}"
            )
        if status >= 400:
            raise EnerKeyResponseError(
                f"{self._host} answered {status}: "
                f"{error_message(body, self._keys.values())}",
                status=status,
            )
        return body

    async def _send(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]],
        key_name: str,
        *,
        payload: Any = None,
        accept: str = "application/json",
    ) -> tuple[int, bytes, Mapping[str, str]]:
        self._gate.check(
            lambda left: EnerKeyRateLimitError("Waiting for Retry-After", left)
        )
        await self.budget.acquire()
        # Timestamps are URL-encoded (contract: Timestamps): a raw "+" of an
        # offset would arrive as a space, so the query is encoded here.
        query = urlencode(list(params), quote_via=quote)
        url = URL(f"{self._url}{path}{'?' + query if query else ''}", encoded=True)
        self.requests += 1
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    method,
                    url,
                    headers={"Authorization": self._keys[key_name], "Accept": accept},
                    json=payload,
                ) as response:
                    body = await response.read()
                    status = response.status
                    headers = dict(response.headers)
        except TimeoutError as err:
            raise EnerKeyConnectionError(f"Timeout talking to {self._host}") from err
        except aiohttp.ClientError as err:
            raise EnerKeyConnectionError(
                f"Error talking to {self._host}: {self._redact(str(err))}"
            ) from err
        left = as_number(headers.get("X-Rate-Limit"))
        if left is not None and status != 429:
            self.calls_left = int(left)
            if left <= 0:
                self._gate.hold(EMPTY_HOLD)
        return status, body, headers

    async def facilities(self) -> list[Facility]:
        """Return every facility of the profile (``GET /api/v1/Facilities``)."""
        rows = _rows(await self._get("/api/v1/Facilities"))
        return [f for row in rows if (f := parse_facility(row)) is not None]

    async def meters(self, facility_ids: Sequence[str]) -> list[Meter]:
        """Return the meters of facilities (``GET /api/v1/Meters``), 50 per call."""
        meters: list[Meter] = []
        for batch in batches(facility_ids):
            data = await self._get(
                "/api/v1/Meters", [("facilityId", fid) for fid in batch]
            )
            meters.extend(m for row in _rows(data) if (m := parse_meter(row)))
        return meters

    async def quantities(self) -> list[Quantity]:
        """Return the quantities (``GET /api/v1/Quantities``)."""
        quantities: list[Quantity] = []
        for row in _rows(await self._get("/api/v1/Quantities")):
            if (quantity_id := _id(row.get("id"))) is None:
                continue
            quantities.append(
                Quantity(
                    id=quantity_id,
                    name=as_str(row.get("name")) or quantity_id,
                    unit=as_str(row.get("unit")),
                )
            )
        return quantities

    async def values(
        self,
        kind: str,
        meter_ids: Sequence[str],
        start: datetime,
        end: datetime,
    ) -> dict[str, MeterValues]:
        """Return values of at most 50 meters in one call (contract: MeterValues).

        ``kind`` is ``Hourly``, ``Monthly`` or ``MonthlyNormalized``; the
        caller keeps hourly ranges within 31 days.
        """
        if kind not in ("Hourly", "Monthly", "MonthlyNormalized"):
            raise ValueError(f"unknown kind of values: {kind}")
        if not 0 < len(meter_ids) <= MAX_IDS:
            raise ValueError("1 to 50 meters per call")
        params = [("meterId", mid) for mid in meter_ids]
        params += [("start", format_time(start)), ("end", format_time(end))]
        data = await self._get(f"/api/v1/Values/{quote_segment(kind)}", params)
        found: dict[str, MeterValues] = {}
        for row in _rows(data):
            if (parsed := parse_values(row)) is not None:
                found[parsed.meter_id] = parsed
        return found

    async def consumption_image(self, facility_id: str) -> bytes:
        """Return a facility's consumption image as PNG (contract: Images)."""
        body = await self._request(
            "GET",
            f"/api/v1/Images/ConsumptionImage/{quote_segment(facility_id)}",
            [("format", "png")],
            accept="image/png",
        )
        # Strict about values: bytes that are not a PNG are not shown.
        if not body.startswith(PNG_SIGNATURE):
            raise EnerKeyResponseError(f"{self._host} sent an image that is not PNG")
        return body

    async def actions(self, facility_ids: Sequence[str]) -> list[Action]:
        """Return the actions of facilities (``GET /api/v1/Actions``), 50 per call."""
        actions: list[Action] = []
        for batch in batches(facility_ids):
            data = await self._get(
                "/api/v1/Actions", [("facilityId", fid) for fid in batch]
            )
            actions.extend(a for row in _rows(data) if (a := parse_action(row)))
        return actions

    async def action(self, action_id: str) -> Action:
        """Return one action as EnerKey stores it now (``GET /api/v1/Actions/{id}``)."""
        data = await self._get(f"/api/v1/Actions/{quote_segment(action_id)}")
        if not isinstance(data, Mapping) or (action := parse_action(data)) is None:
            raise EnerKeyResponseError(f"{self._host} sent an unreadable action")
        return action

    async def set_action_status(
        self, action_id: str, status: str, *, now: datetime | None = None
    ) -> Action:
        """Change an action's status the way EnerKey prescribes (contract: Action).

        Get the current object, modify only ``status`` and ``completedAt``,
        and send the whole object back with ``PUT``: values are saved as they
        are, so a partial body would erase the rest.
        """
        current = await self.action(action_id)
        body = dict(current.raw)
        keys = {str(key).lower(): key for key in body}
        completed = status.lower() == ACTION_COMPLETED.lower()
        body[keys.get("status", "status")] = status
        body[keys.get("completedat", "completedAt")] = (
            format_time(now or datetime.now(UTC)) if completed else None
        )
        data = self._json(
            await self._request(
                "PUT", f"/api/v1/Actions/{quote_segment(action_id)}", payload=body
            )
        )
        stored = parse_action(data) if isinstance(data, Mapping) else None
        return stored or parse_action(body) or current

    async def push_values(
        self,
        meter_id: str,
        values: Sequence[tuple[datetime, float]],
        *,
        cumulative: bool = False,
    ) -> PushResult:
        """Push one meter's hourly values (contract: Push).

        ``POST /api/v1/Values/PushConsumptionsForMeter``, or
        ``PushCumulativeReadingsForMeter`` when ``cumulative`` (values are
        meter readings then). In the meter's default unit, less than 365
        days per message; see :func:`push_body` for what raises
        ``ValueError`` before anything is sent. A 400 (message refused) or
        404 (unknown meter) raises :class:`EnerKeyResponseError` with
        ``status``.
        """
        body = push_body(meter_id, values)
        answer = await self._request(
            "POST", PUSH_CUMULATIVE if cumulative else PUSH_CONSUMPTIONS, payload=body
        )
        try:
            data = json.loads(answer) if answer.strip() else None
        except ValueError:
            # The 200 says EnerKey accepted the message: an unreadable body
            # only leaves the counts unknown (raising would resend it).
            _LOGGER.debug("EnerKey accepted a push with a body that is not JSON")
            data = None
        return parse_push_result(meter_id, data)
