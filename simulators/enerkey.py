"""Simulator of the EnerKey API, as ``docs/enerkey-api.md`` assumes it.

EnerKey publishes no endpoint path or response shape; the contract page
``docs/enerkey-api.md`` writes the API down in EnerKey's vocabulary and this
module implements it (the groups the integration reads: Facilities, Meters,
Quantities, Values hourly/monthly/monthly normalized; Logs and Provisioning
answer 403 for the profile's keys; Images as PNG bytes generated per
facility; Actions with get and a whole-object update; the two push
endpoints, whose hours then replace the synthetic curve). Not simulated yet:
``ConsumptionChart`` and PDF images.

* Two API keys per profile, each with a validity period; an expired, revoked
  or unknown key gets 401 ``{"message": ...}``. The key is the bare value of
  ``Authorization``.
* Rate limits of the sandbox (``NOTES.md``): a burst of 20 calls per 10 s and
  a daily budget (``max(3000, 7 x facilities)`` by default) in a rolling 24 h
  window, per profile. Over a limit: 429 with ``Retry-After`` and no
  ``X-Rate-Limit``, not counted. Every other answer carries
  ``X-Rate-Limit: <calls left in the 24 h window>``.
* Values come from :mod:`simulators.synthetic` curves in the facility's time
  zone; a monthly value is exactly the sum of its hours, normalized ones are
  that times a per-month weather factor. Only complete hours are served.
  Timestamps answer in the format ``start`` was sent in: ``Z`` in UTC, an
  offset in the facility's local time. ``numeric_strings`` sends every other
  value as a string (tolerance tests).
* Push (contract: Push): ``PushConsumptionsForMeter`` sums a message's values
  per UTC hour and replaces the stored hours; ``PushCumulativeReadingsForMeter``
  stores readings per instant (the latest of an hour in one message wins) and
  derives each hour between two whole-hour readings. What was pushed is what
  ``Values`` then serves for those hours. State for tests: :attr:`pushed`,
  :attr:`readings`, :attr:`push_counts`, :attr:`push_messages`,
  :meth:`derived` (read them; push through HTTP, which keeps what Values
  serves in step); :attr:`push_refusal` answers every push with a status.
"""

from collections import Counter, deque
from collections.abc import Iterator
import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
import re
import struct
from typing import Any, override
import zlib
from zoneinfo import ZoneInfo

from aiohttp import web

from .framework import Simulator, json_error
from .synthetic import COMMERCIAL, DISTRICT_HEATING, WATER, LoadProfile, SyntheticMeter

HOUR = timedelta(hours=1)
BURST_CALLS = 20
BURST_WINDOW = timedelta(seconds=10)
DAY = timedelta(hours=24)
MAX_IDS = 50
MAX_HOURLY_RANGE = timedelta(days=31)
MAX_MONTHS = 24
PUSH_RANGE = timedelta(days=365)
"""The values of one push message span less than this (contract: Push)."""
_NUMERIC = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")

GAS = LoadProfile(
    name="gas",
    annual=25_000.0,
    unit="Nm3",
    weekday=(1.0,) * 24,
    weekend=(1.0,) * 24,
    winter_factor=5.0,
)


@dataclass(frozen=True)
class Quantity:
    """A type of consumption: id, name and unit (``Quantities``)."""

    id: int
    name: str
    unit: str
    profile: LoadProfile
    scale: float = 1.0
    """Factor from the profile's unit to ``unit`` (kWh -> MWh: 0.001)."""


ELECTRICITY_Q = Quantity(1, "Electricity", "kWh", COMMERCIAL)
HEATING_Q = Quantity(2, "District heating", "MWh", DISTRICT_HEATING, 0.001)
WATER_Q = Quantity(3, "Water", "m3", WATER)
GAS_Q = Quantity(4, "Natural gas", "Nm3", GAS)
QUANTITIES = (ELECTRICITY_Q, HEATING_Q, WATER_Q, GAS_Q)


@dataclass
class Facility:
    """A property of the profile."""

    id: int
    name: str
    street: str
    postal_code: str
    city: str
    type: str
    area: float


@dataclass
class Meter:
    """A meter of a facility, measuring one quantity."""

    id: int
    facility_id: int
    name: str
    quantity: Quantity
    size: float = 1.0
    shared_series: int | None = None
    """Meters of a generated profile share a curve (and its cached hours)."""


@dataclass
class ApiKey:
    """One of the profile's two keys and its validity."""

    key: str
    valid_from: datetime
    valid_until: datetime
    revoked: bool = False


@dataclass
class _Limits:
    burst: deque[datetime] = field(default_factory=deque)
    day: deque[datetime] = field(default_factory=deque)


def _facilities() -> list[Facility]:
    return [
        Facility(1001, "Toimisto Ruoholahti", "Porkkalankatu 20", "00180",
                 "Helsinki", "Office", 5200.0),
        Facility(1002, "Kauppakeskus Itis", "Itäkatu 1-7", "00930",
                 "Helsinki", "Shopping centre", 103000.0),
        Facility(1003, "As Oy Tapiola", "Tapionraitti 5", "02100",
                 "Espoo", "Apartment building", 2400.0),
    ]  # fmt: skip


def _meters() -> list[Meter]:
    return [
        Meter(2001, 1001, "Main electricity", ELECTRICITY_Q),
        Meter(2002, 1001, "District heating", HEATING_Q),
        Meter(2003, 1001, "Cold water", WATER_Q),
        Meter(2004, 1001, "Boiler gas", GAS_Q),
        Meter(2011, 1002, "Main electricity", ELECTRICITY_Q, 4.0),
        Meter(2012, 1002, "Water", WATER_Q, 3.0),
        Meter(2021, 1003, "Property electricity", ELECTRICITY_Q, 0.1),
        Meter(2022, 1003, "District heating", HEATING_Q, 0.5),
    ]


ACTION_STATUSES = ("Open", "InProgress", "Completed")
ACTION_FIELDS = (
    "id", "facilityId", "meterIds", "title", "description", "category",
    "status", "createdAt", "dueDate", "completedAt", "investment",
    "estimatedSavings",
)  # fmt: skip
"""Every property of an Action: a PUT must send them all back (contract: Action)."""


def _actions() -> dict[int, dict[str, Any]]:
    def action(
        action_id: int, facility_id: int, title: str, status: str = "Open"
    ) -> dict[str, Any]:
        return {
            "id": action_id,
            "facilityId": facility_id,
            "meterIds": [],
            "title": title,
            "description": f"{title} (energy-management action {action_id}).",
            "category": "Energy",
            "status": status,
            "createdAt": "2026-10-01T08:00:00Z",
            "dueDate": "2026-12-31T00:00:00Z",
            "completedAt": ("2026-10-15T09:00:00Z" if status == "Completed" else None),
            "investment": 0,
            "estimatedSavings": {"energy": 1000 * (action_id % 7 + 1), "unit": "kWh"},
        }

    rows = [
        action(501, 1001, "Adjust heating curve"),
        action(502, 1001, "Replace corridor lighting with LEDs"),
        action(503, 1001, "Check ventilation schedules", "Completed"),
        action(511, 1002, "Fix dripping taps", "InProgress"),
        action(512, 1002, "Tune chiller set points"),
        action(521, 1003, "Insulate attic"),
    ]
    return {row["id"]: row for row in rows}


def png_bytes(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Return a valid PNG of one colour (a stand-in for EnerKey's image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class EnerKeySimulator(Simulator):
    """One EnerKey profile: facilities, meters, quantities and their values."""

    name = "enerkey"
    prefix = ""
    port_offset = 11

    PRIMARY_KEY = "ek-sim-primary-6c1f0a9e"
    SECONDARY_KEY = "ek-sim-secondary-b27d4e11"

    def __init__(
        self,
        *,
        seed: int = 1,
        tz: str = "Europe/Helsinki",
        daily_limit: int | None = None,
        burst_limit: int = BURST_CALLS,
        numeric_strings: bool = False,
        **kwargs: Any,
    ) -> None:
        """Create the profile; ``daily_limit`` defaults to the sandbox's."""
        super().__init__(seed=seed, **kwargs)
        self.tz = ZoneInfo(tz)
        self.facilities = {f.id: f for f in _facilities()}
        self.meters = {m.id: m for m in _meters()}
        self.numeric_strings = numeric_strings
        self.burst_limit = burst_limit
        self._daily_limit = daily_limit
        now = self.clock()
        self.keys = {
            key: ApiKey(key, now - timedelta(days=300), now + timedelta(days=400))
            for key in (self.PRIMARY_KEY, self.SECONDARY_KEY)
        }
        self._limits = _Limits()
        self._series: dict[int, SyntheticMeter] = {}
        self._day_totals: dict[tuple[int, datetime], float] = {}
        self._shared_hours: dict[tuple[int, datetime], float] = {}
        self.meter_units = True
        """False: meters come without ``unit`` (clients use the quantity's)."""
        self.rate_limited = 0
        """429 answers given (the client must provoke none)."""
        self.keys_used: list[str] = []
        """The key of every authorised call, in order."""
        self.actions = _actions()
        """Energy-management actions by id, as EnerKey stores them."""
        self.image_version = 0
        """Bumped by tests: the next image's colour changes (a new day's image)."""
        self.pushed: dict[int, dict[datetime, float]] = {}
        """Pushed consumptions: meter id -> {hour start (UTC): consumption}."""
        self.readings: dict[int, dict[datetime, float]] = {}
        """Pushed cumulative readings: meter id -> {instant (UTC): reading}."""
        self.push_counts: Counter[tuple[int, datetime]] = Counter()
        """Accepted messages that carried each (meter id, UTC hour)."""
        self.push_messages: list[dict[str, Any]] = []
        """Every accepted push body as received, with ``path`` added."""
        self.push_refusal: int | None = None
        """When set, every push message is answered with this status, not stored."""
        self._served: dict[int, dict[datetime, float]] = {}
        """Hours Values serves instead of the curve (pushed or derived), per meter."""

    @override
    def demo_credentials(self) -> dict[str, str]:
        """Return what a config entry needs: both keys."""
        return {"api_key": self.PRIMARY_KEY, "secondary_api_key": self.SECONDARY_KEY}

    @property
    def daily_limit(self) -> int:
        """Return the calls allowed in 24 h (sandbox: 3,000 or 7 per facility)."""
        if self._daily_limit is not None:
            return self._daily_limit
        return max(3000, 7 * len(self.facilities))

    def add_large_profile(self, facilities: int, meters_per_facility: int) -> None:
        """Replace the profile by a generated one (budget tests)."""
        self.facilities = {}
        self.meters = {}
        for index in range(facilities):
            fid = 10_000 + index
            self.facilities[fid] = Facility(
                fid, f"Kiinteistö {index}", f"Katu {index}", "00100", "Helsinki",
                "Office", 1000.0,
            )  # fmt: skip
            for number in range(meters_per_facility):
                quantity = QUANTITIES[number % len(QUANTITIES)]
                mid = 100_000 + index * 100 + number
                self.meters[mid] = Meter(
                    mid, fid, f"Meter {number}", quantity, 1 + index % 7 / 10,
                    shared_series=quantity.id,
                )  # fmt: skip

    def revoke(self, key: str) -> None:
        """Revoke a key: it gets 401 from now on."""
        self.keys[key].revoked = True

    def renew(self, key: str) -> None:
        """Make a key valid again for another year."""
        now = self.clock()
        self.keys[key] = ApiKey(key, now - HOUR, now + timedelta(days=365))

    def expire(self, key: str) -> None:
        """Let a key's validity end now."""
        self.keys[key].valid_until = self.clock()

    # -- the data ---------------------------------------------------------

    def series(self, meter: Meter) -> SyntheticMeter:
        """Return the synthetic curve of a meter."""
        key = -meter.shared_series if meter.shared_series is not None else meter.id
        if key not in self._series:
            self._series[key] = SyntheticMeter(
                meter.quantity.profile, seed=self.seed * 10_000 + key, tz=self.tz
            )
        return self._series[key]

    def hour_value(self, meter: Meter, start: datetime) -> float:
        """Return the synthetic consumption of one hour in the meter's unit.

        Pushed hours are not here: :meth:`hours` serves them instead.
        """
        if meter.shared_series is None:
            raw = self.series(meter).value(start)
        else:
            key = (meter.shared_series, start)
            if (cached := self._shared_hours.get(key)) is None:
                cached = self._shared_hours[key] = self.series(meter).value(start)
            raw = cached
        return round(raw * meter.size * meter.quantity.scale, 6)

    def complete_until(self) -> datetime:
        """Return the end of the newest complete hour."""
        return self.clock().astimezone(UTC).replace(minute=0, second=0, microsecond=0)

    def hours(
        self, meter: Meter, start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, float]]:
        """Yield (hour start, value) of the complete hours in [start, end).

        A pushed (or derived) hour is served instead of the curve's; a meter
        nothing was pushed for takes no per-hour lookup (large profiles).
        """
        current = start.astimezone(UTC)
        if current.minute or current.second or current.microsecond:
            current = current.replace(minute=0, second=0, microsecond=0) + HOUR
        end = min(end.astimezone(UTC), self.complete_until())
        served = self._served.get(meter.id)
        while current + HOUR <= end:
            if served is not None and (value := served.get(current)) is not None:
                yield current, value
            else:
                yield current, self.hour_value(meter, current)
            current += HOUR

    def derived(self, meter_id: int) -> dict[datetime, float]:
        """Return the hourly consumption derived from a meter's readings.

        The hour [t - 1 h, t) is reading(t) - reading(t - 1 h), for whole
        hours t whose both readings are stored (contract: Push) [assumed].
        """
        readings = self.readings.get(meter_id, {})
        return {
            moment - HOUR: value - readings[moment - HOUR]
            for moment, value in sorted(readings.items())
            if moment.minute == moment.second == moment.microsecond == 0
            and moment - HOUR in readings
        }

    def _refresh_served(self, meter_id: int) -> None:
        """Recompute what Values serves for a meter after a push."""
        # A consumption pushed for an hour wins over one derived from readings
        # (a meter gets one kind of push in practice) [assumed].
        self._served[meter_id] = {
            **self.derived(meter_id),
            **self.pushed.get(meter_id, {}),
        }
        self._day_totals.clear()

    def correct(self, meter_id: int, hour: datetime, value: float) -> None:
        """Change one hour's value now, as a late reading correction does."""
        self.series(self.meters[meter_id]).correct(hour, value)
        self._day_totals.clear()
        self._shared_hours.clear()

    def _day_total(self, meter: Meter, day: datetime) -> float:
        """Return the sum of a complete local day (cached: months are big)."""
        key = (meter.id, day)
        if key not in self._day_totals:
            end = (day + timedelta(days=1)).replace(tzinfo=self.tz)
            self._day_totals[key] = math.fsum(v for _, v in self.hours(meter, day, end))
        return self._day_totals[key]

    def month_total(self, meter: Meter, month_start: datetime) -> float:
        """Return the sum of a local month's complete hours."""
        local = month_start.astimezone(self.tz)
        index = local.year * 12 + local.month
        end = datetime(index // 12, index % 12 + 1, 1, tzinfo=self.tz)
        until = self.complete_until()
        parts: list[float] = []
        day = datetime(local.year, local.month, 1, tzinfo=self.tz)
        while day < end:
            next_day = (day + timedelta(days=1)).replace(tzinfo=self.tz)
            if next_day <= until:
                parts.append(self._day_total(meter, day))
            else:
                parts.extend(v for _, v in self.hours(meter, day, min(next_day, end)))
            day = next_day
        return round(math.fsum(parts), 6)

    @staticmethod
    def normal_factor(month_start: datetime) -> float:
        """Return the weather-normalisation factor of a month."""
        return round(1 + 0.05 * math.sin(month_start.month), 4)

    # -- HTTP helpers --------------------------------------------------------

    def _authorize(self, request: web.Request) -> web.Response | None:
        """Return a 401 or 429 answer, or None and count the call."""
        key = request.headers.get("Authorization", "").strip()
        now = self.clock()
        record = self.keys.get(key)
        if record is None:
            return json_error(401, "Invalid API key")
        if record.revoked:
            return json_error(401, "API key revoked")
        if not record.valid_from <= now < record.valid_until:
            return json_error(401, "API key expired")
        limits = self._limits
        while limits.burst and limits.burst[0] <= now - BURST_WINDOW:
            limits.burst.popleft()
        while limits.day and limits.day[0] <= now - DAY:
            limits.day.popleft()
        wait: timedelta | None = None
        if len(limits.day) >= self.daily_limit:
            wait = limits.day[0] + DAY - now
        elif len(limits.burst) >= self.burst_limit:
            wait = limits.burst[0] + BURST_WINDOW - now
        if wait is not None:
            self.rate_limited += 1
            limited = web.json_response(
                {"status": 429, "title": "Too Many Requests",
                 "detail": "Rate limit exceeded"},
                status=429,
            )  # fmt: skip
            limited.headers["Retry-After"] = str(
                max(1, math.ceil(wait.total_seconds()))
            )
            return limited
        limits.burst.append(now)
        limits.day.append(now)
        self.keys_used.append(key)
        return None

    def calls_left(self) -> int:
        """Return the calls left in the rolling 24 h window."""
        return max(self.daily_limit - len(self._limits.day), 0)

    def _answer(self, payload: Any, status: int = 200) -> web.Response:
        response = web.json_response(payload, status=status)
        response.headers["X-Rate-Limit"] = str(self.calls_left())
        return response

    def _problem(self, status: int, detail: str) -> web.Response:
        titles = {
            400: "Bad Request",
            403: "Forbidden",
            404: "Not Found",
            500: "Internal Server Error",
            503: "Service Unavailable",
        }
        return self._answer(
            {"title": titles.get(status, "Error"), "status": status, "detail": detail},
            status,
        )

    @staticmethod
    def _ids(request: web.Request, name: str) -> list[int] | None:
        """Return the repeated integer query parameter ``name`` (None: invalid)."""
        try:
            return [int(value) for value in request.query.getall(name, [])]
        except ValueError:
            return None

    @staticmethod
    def _time(value: str | None) -> datetime | None:
        if not value:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None

    def _format(self, moment: datetime, utc: bool) -> str:
        if utc:
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return moment.astimezone(self.tz).isoformat()

    def _value(self, value: float, index: int) -> float | str:
        if self.numeric_strings and index % 2:
            return str(value)
        return value

    def _facility_json(self, facility: Facility) -> dict[str, Any]:
        return {
            "id": facility.id,
            "name": facility.name,
            "address": {
                "streetAddress": facility.street,
                "postalCode": facility.postal_code,
                "city": facility.city,
                "country": "FI",
            },
            "properties": {"type": facility.type, "grossArea": facility.area},
            "timeZone": str(self.tz),
        }

    def _meter_json(self, meter: Meter) -> dict[str, Any]:
        row = {
            "id": meter.id,
            "facilityId": meter.facility_id,
            "name": meter.name,
            "quantityId": meter.quantity.id,
            "unit": meter.quantity.unit,
            "meteringType": "Consumption",
        }
        if not self.meter_units:
            del row["unit"]
        return row

    # -- handlers --------------------------------------------------------------

    async def facilities_list(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Facilities`` (all, or ``facilityId`` repeated)."""
        if (denied := self._authorize(request)) is not None:
            return denied
        ids = self._ids(request, "facilityId")
        if ids is None or len(ids) > MAX_IDS:
            return self._problem(400, "facilityId: at most 50 integer ids")
        rows = [
            self._facility_json(f)
            for f in self.facilities.values()
            if not ids or f.id in ids
        ]
        return self._answer(rows)

    async def facility(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Facilities/{facilityId}``."""
        if (denied := self._authorize(request)) is not None:
            return denied
        try:
            found = self.facilities.get(int(request.match_info["facility_id"]))
        except ValueError:
            found = None
        if found is None:
            return self._problem(404, "No such facility")
        return self._answer(self._facility_json(found))

    async def meters_list(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Meters?facilityId=…``."""
        if (denied := self._authorize(request)) is not None:
            return denied
        ids = self._ids(request, "facilityId")
        if ids is None or not ids or len(ids) > MAX_IDS:
            return self._problem(400, "facilityId: 1 to 50 integer ids")
        return self._answer(
            [self._meter_json(m) for m in self.meters.values() if m.facility_id in ids]
        )

    async def quantities(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Quantities``."""
        if (denied := self._authorize(request)) is not None:
            return denied
        return self._answer(
            [{"id": q.id, "name": q.name, "unit": q.unit} for q in QUANTITIES]
        )

    def _values_request(
        self, request: web.Request, max_range: timedelta
    ) -> tuple[list[Meter], datetime, datetime, bool] | web.Response:
        ids = self._ids(request, "meterId")
        if ids is None or not ids or len(ids) > MAX_IDS:
            return self._problem(400, "meterId: 1 to 50 integer ids")
        raw_start = request.query.get("start")
        start = self._time(raw_start)
        end = self._time(request.query.get("end"))
        if start is None or end is None or raw_start is None:
            return self._problem(400, "start and end must be ISO 8601 with an offset")
        if end <= start or end - start > max_range:
            return self._problem(400, "The range is empty or too long.")
        utc = raw_start.endswith("Z")
        meters = [self.meters[i] for i in ids if i in self.meters]
        return meters, start, end, utc

    async def hourly(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Values/Hourly``: one value per complete hour."""
        if (denied := self._authorize(request)) is not None:
            return denied
        parsed = self._values_request(request, MAX_HOURLY_RANGE)
        if isinstance(parsed, web.Response):
            return parsed
        meters, start, end, utc = parsed
        rows = []
        for meter in meters:
            values = [
                {"timestamp": self._format(hour, utc), "value": self._value(v, i)}
                for i, (hour, v) in enumerate(self.hours(meter, start, end))
            ]
            self.rows_served["hourly"] += len(values)
            rows.append(
                {
                    "meterId": meter.id,
                    "quantityId": meter.quantity.id,
                    "unit": meter.quantity.unit,
                    "values": values,
                }
            )
        return self._answer(rows)

    def _months(self, start: datetime, end: datetime) -> Iterator[datetime]:
        local = start.astimezone(self.tz)
        month = datetime(local.year, local.month, 1, tzinfo=self.tz)
        if month < start:
            index = month.year * 12 + month.month
            month = datetime(index // 12, index % 12 + 1, 1, tzinfo=self.tz)
        while month < end and month < self.clock():
            yield month
            index = month.year * 12 + month.month
            month = datetime(index // 12, index % 12 + 1, 1, tzinfo=self.tz)

    async def _monthly(self, request: web.Request, normalized: bool) -> web.Response:
        if (denied := self._authorize(request)) is not None:
            return denied
        parsed = self._values_request(request, timedelta(days=31 * MAX_MONTHS))
        if isinstance(parsed, web.Response):
            return parsed
        meters, start, end, utc = parsed
        rows = []
        for meter in meters:
            values = []
            for i, month in enumerate(self._months(start, end)):
                total = self.month_total(meter, month)
                if normalized:
                    total = round(total * self.normal_factor(month), 6)
                values.append(
                    {
                        "timestamp": self._format(month, utc),
                        "value": self._value(total, i),
                    }
                )
            rows.append(
                {
                    "meterId": meter.id,
                    "quantityId": meter.quantity.id,
                    "unit": meter.quantity.unit,
                    "values": values,
                }
            )
        return self._answer(rows)

    async def monthly(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Values/Monthly``: the sum of each month's hours."""
        return await self._monthly(request, normalized=False)

    async def monthly_normalized(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Values/MonthlyNormalized``: weather-corrected months."""
        return await self._monthly(request, normalized=True)

    def image(self, facility_id: int, width: int = 120, height: int = 80) -> bytes:
        """Return the PNG of a facility (its colour depends on id and version)."""
        shade = (facility_id * 37 + self.image_version * 91) % 256
        return png_bytes(width, height, (shade, 94, 184))

    async def consumption_image(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Images/ConsumptionImage/{facilityId}`` (png only)."""
        if (denied := self._authorize(request)) is not None:
            return denied
        try:
            facility_id = int(request.match_info["facility_id"])
            width = int(request.query.get("width", "120"))
            height = int(request.query.get("height", "80"))
        except ValueError:
            return self._problem(400, "facilityId, width and height are integers")
        if request.query.get("format", "png") != "png":
            return self._problem(400, "The simulator serves format=png only.")
        if not (1 <= width <= 2000 and 1 <= height <= 2000):
            return self._problem(400, "width and height: 1 to 2000")
        if facility_id not in self.facilities:
            return self._problem(404, "No such facility")
        response = web.Response(
            body=self.image(facility_id, width, height), content_type="image/png"
        )
        response.headers["X-Rate-Limit"] = str(self.calls_left())
        return response

    async def actions_list(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Actions?facilityId=…``."""
        if (denied := self._authorize(request)) is not None:
            return denied
        ids = self._ids(request, "facilityId")
        if ids is None or not ids or len(ids) > MAX_IDS:
            return self._problem(400, "facilityId: 1 to 50 integer ids")
        return self._answer(
            [a for a in self.actions.values() if a["facilityId"] in ids]
        )

    def _action_of(self, request: web.Request) -> dict[str, Any] | None:
        try:
            return self.actions.get(int(request.match_info["action_id"]))
        except ValueError:
            return None

    async def action(self, request: web.Request) -> web.Response:
        """``GET /api/v1/Actions/{actionId}``."""
        if (denied := self._authorize(request)) is not None:
            return denied
        if (found := self._action_of(request)) is None:
            return self._problem(404, "No such action")
        return self._answer(found)

    async def update_action(self, request: web.Request) -> web.Response:
        """``PUT /api/v1/Actions/{actionId}`` with the whole object.

        "Values are saved as they are, replacing any previous value": a body
        that is not the whole object (every property, the same id and
        facility) is refused with 400 here, so a client that does not get
        before it updates is caught.
        """
        if (denied := self._authorize(request)) is not None:
            return denied
        if (found := self._action_of(request)) is None:
            return self._problem(404, "No such action")
        try:
            body = await request.json()
        except ValueError:
            return self._problem(400, "The body is not JSON.")
        if not isinstance(body, dict) or set(ACTION_FIELDS) - set(body):
            return self._problem(400, "Send the whole action back, as fetched.")
        if body["id"] != found["id"] or body["facilityId"] != found["facilityId"]:
            return self._problem(400, "id and facilityId cannot change.")
        if body["status"] not in ACTION_STATUSES:
            return self._problem(400, "status: Open, InProgress or Completed")
        self.actions[found["id"]] = copy.deepcopy(body)
        return self._answer(body)

    @staticmethod
    def _push_number(value: Any) -> float | None:
        """Return a finite number or numeric string of a push, else None."""
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            if not _NUMERIC.fullmatch(value):
                return None
            value = float(value)
        if not isinstance(value, int | float):
            return None
        try:
            number = float(value)
        except OverflowError:  # an integer literal too large for a float
            return None
        return number if math.isfinite(number) else None

    def _push_body(self, body: Any) -> tuple[int, list[tuple[datetime, float]]] | str:
        """Return (meter id, [(UTC instant, value)]) of a push body, or why not.

        Property names are read case-insensitively, as ASP.NET binds them.
        """
        if not isinstance(body, dict):
            return "The body must be a JSON object."
        data = {str(key).lower(): value for key, value in body.items()}
        if "meterids" in data or isinstance(data.get("meterid"), list):
            return "Data for one meter can be sent in one message."
        raw_id = data.get("meterid")
        if isinstance(raw_id, str) and raw_id.isascii() and raw_id.isdigit():
            raw_id = int(raw_id)
        if not isinstance(raw_id, int) or isinstance(raw_id, bool):
            return "meterId: an integer id is required."
        raw_values = data.get("values")
        if not isinstance(raw_values, list) or not raw_values:
            return "values: a non-empty list is required."
        values: list[tuple[datetime, float]] = []
        for index, item in enumerate(raw_values):
            entry = (
                {str(k).lower(): v for k, v in item.items()}
                if isinstance(item, dict)
                else {}
            )
            raw_time = entry.get("timestamp")
            moment = self._time(raw_time) if isinstance(raw_time, str) else None
            number = self._push_number(entry.get("value"))
            try:
                utc = moment.astimezone(UTC) if moment is not None else None
            except OverflowError:
                utc = None
            if utc is None or number is None:
                return (
                    f"values[{index}]: a timestamp with an offset and a finite "
                    "number are required."
                )
            values.append((utc, number))
        instants = [moment for moment, _ in values]
        if max(instants) - min(instants) >= PUSH_RANGE:
            return "The API accepts data for 365 days at a time."
        return raw_id, values

    async def _push(self, request: web.Request, cumulative: bool) -> web.Response:
        """Validate, store and acknowledge one push message (contract: Push)."""
        if (denied := self._authorize(request)) is not None:
            return denied
        if self.push_refusal is not None:
            return self._problem(self.push_refusal, "Push refused (simulated).")
        try:
            body = await request.json()
        except ValueError:
            return self._problem(400, "The body is not JSON.")
        parsed = self._push_body(body)
        if isinstance(parsed, str):
            return self._problem(400, parsed)
        meter_id, values = parsed
        if meter_id not in self.meters:
            return self._problem(404, "No such meter")
        if cumulative:
            # One reading per hour of a message: the latest counts [assumed].
            latest: dict[datetime, tuple[datetime, float]] = {}
            for moment, value in values:
                hour = moment.replace(minute=0, second=0, microsecond=0)
                if hour not in latest or moment >= latest[hour][0]:
                    latest[hour] = (moment, value)
            stored = self.readings.setdefault(meter_id, {})
            for moment, value in latest.values():
                stored[moment] = value
            hours = sorted(latest)
        else:
            # Values of the same hour are summed [doc]; the hour replaces what
            # was stored for it before [assumed].
            sums: dict[datetime, list[float]] = {}
            for moment, value in values:
                hour = moment.replace(minute=0, second=0, microsecond=0)
                sums.setdefault(hour, []).append(value)
            pushed = self.pushed.setdefault(meter_id, {})
            for hour, parts in sums.items():
                pushed[hour] = math.fsum(parts)
            hours = sorted(sums)
        for hour in hours:
            self.push_counts[meter_id, hour] += 1
        self._refresh_served(meter_id)
        self.push_messages.append(
            {**body, "path": "cumulative" if cumulative else "consumptions"}
        )
        return self._answer(
            {
                "meterId": meter_id,
                "received": len(values),
                "stored": len(hours),
                "start": self._format(hours[0], utc=True),
                "end": self._format(hours[-1] + HOUR, utc=True),
            }
        )

    async def push_consumptions(self, request: web.Request) -> web.Response:
        """``POST /api/v1/Values/PushConsumptionsForMeter``."""
        return await self._push(request, cumulative=False)

    async def push_cumulative(self, request: web.Request) -> web.Response:
        """``POST /api/v1/Values/PushCumulativeReadingsForMeter``."""
        return await self._push(request, cumulative=True)

    async def forbidden(self, request: web.Request) -> web.Response:
        """Logs and Provisioning: partner and tenant keys only (403)."""
        if (denied := self._authorize(request)) is not None:
            return denied
        return self._problem(403, "This key does not cover this group.")

    @override
    def routes(self) -> list[web.RouteDef]:
        """Return the routes of ``docs/enerkey-api.md`` the simulator serves."""
        return [
            web.get("/api/v1/Facilities", self.facilities_list, name="facilities"),
            web.get("/api/v1/Facilities/{facility_id}", self.facility, name="facility"),
            web.get("/api/v1/Meters", self.meters_list, name="meters"),
            web.get("/api/v1/Quantities", self.quantities, name="quantities"),
            web.get("/api/v1/Values/Hourly", self.hourly, name="hourly"),
            web.get("/api/v1/Values/Monthly", self.monthly, name="monthly"),
            web.get(
                "/api/v1/Values/MonthlyNormalized",
                self.monthly_normalized,
                name="monthly_normalized",
            ),
            web.post(
                "/api/v1/Values/PushConsumptionsForMeter",
                self.push_consumptions,
                name="push_consumptions",
            ),
            web.post(
                "/api/v1/Values/PushCumulativeReadingsForMeter",
                self.push_cumulative,
                name="push_cumulative",
            ),
            web.get(
                "/api/v1/Images/ConsumptionImage/{facility_id}",
                self.consumption_image,
                name="consumption_image",
            ),
            web.get("/api/v1/Actions", self.actions_list, name="actions"),
            web.get("/api/v1/Actions/{action_id}", self.action, name="action"),
            web.put(
                "/api/v1/Actions/{action_id}", self.update_action, name="update_action"
            ),
            web.get("/api/v1/Logs/{tail:.*}", self.forbidden, name="logs"),
            web.route(
                "*",
                "/api/v2/Provisioning/{tail:.*}",
                self.forbidden,
                name="provisioning",
            ),
        ]
