"""Simulator of the eSmart Systems customer web API (one utility's host).

Follows ``shared/vendor-api/esmart-systems.txt`` (the endpoint list) and the
eSmart section of ``NOTES.md`` (Authenticate, Resolution enum, contract,
wattmeter and reading shapes, ``$id``/``$ref``). Where the docs are silent it
chooses as follows, written down as assumptions; the client must not depend
on them and accepts the plausible alternatives:

* every request carries HTTP Basic authentication; ``X-Area`` selects the
  area (``1`` Net, ``2`` Power; Power when the header is absent, 400 for any
  other value). Wrong credentials: 401; a user without access to the area:
  410 Gone (as Authenticate answers). ``POST api/Authenticate`` checks the
  body's ``UserName``/``Password``/``Area`` (Basic auth is not needed there).
* error bodies are ASP.NET Web API's ``{"Message": "..."}``.
* JSON is serialised by Json.NET with ``PreserveReferencesHandling.Objects``:
  every object carries ``$id`` and an object that appears again is sent as
  ``{"$ref": "<id>"}`` (two contracts at one delivery point share their
  ``DeliveryAddress``; the wattmeter's maxima refer to ``Last``).
* ``contractdeliverypoints``: a bare list of contracts, each with the
  documented contract fields plus ``MeterId``, ``MeterUnit``, ``HasWattMeter``
  (only when ``includeWattMeter=true``) and ``PriceArea``; ``contracts`` the
  same without the meter fields.
* ``consumption``/``costs`` answer ``{"$id", "Unit", "Resolution", "Values":
  [{ValueTime, Value, Status}]}`` (``bare=True``: the bare list). ``FromTime``
  inclusive, ``ToTime`` exclusive, both UTC without offset; ``ValueTime`` is
  the start of the interval in UTC without offset. Hour rows are UTC hours;
  Day, Month and Year rows are the site's local calendar periods. At most 31
  days per request at Hour resolution, 400 days at Day, 20 years above (400
  otherwise). Costs are in NOK (consumption x the contract's hour price,
  rounded to øre).
* data ends ``lag`` (2 h) before now; the newest ``estimated`` (24 h) of it
  have ``Status`` ``"Estimated"`` and 90 % of the final value, older hours are
  ``"Measured"`` (the utility's estimate replaced by the meter's value).
* ``hourprices``: ``{"$id", "Currency": "NOK", "Unit": "kWh", "Prices":
  [{FromTime, ToTime, Price}]}`` in NOK/kWh; ``spotprices``: a bare list of
  ``{PriceArea, ValueTime, Value, IsPreliminary}`` in NOK/kWh. Tomorrow's
  prices exist from 13:00 local time.
* ``wattmeter``: ``{"Last", "ThisMonthMax", "Max"}`` with values in W; ``/v2``
  wraps it as ``{"Config", "DisplayType", "Data": {...}}``; 404 for a contract
  without a wattmeter.
* ``messages``: a bare list (pages from 1; ``pageSize`` at most 100);
  ``messages/count?state=Unread`` a bare integer. ``State`` is ``"Unread"`` or
  ``"Read"``.
* ``readings`` POST: 200 with the Reading; a value below the previous one or
  a future date gives ``ResponseStatus.ErrorCode`` 2/3 with a message.
* ``invoices/{invoiceNo}/pdf`` accepts Basic auth (the documented query
  credentials work too) and answers ``application/pdf``.

What tests read and switch: ``counters`` / ``rows_served`` per route name,
``x_area`` (the ``X-Area`` values seen, ``"absent"`` when missing),
``faults`` (framework faults on every route), ``contracts`` (add, remove or
``meter.correct(hour, value)`` one), ``users`` (passwords, areas),
``add_message``, ``readings``; ground truth through ``consumption``,
``cost``, ``hour_price``, ``spot_price``, ``power_now``, ``invoices`` and
``data_end``. ``bare=True`` answers series as bare lists.
"""

import base64
from collections import Counter
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import json
import math
from typing import Any, override
from zoneinfo import ZoneInfo

from aiohttp import web

from .framework import Simulator, json_error
from .synthetic import HOUR, HOUSEHOLD, LoadProfile, SyntheticMeter

AREA_NET = 1
AREA_POWER = 2
RESOLUTION_HOUR = 7
RESOLUTION_DAY = 20
RESOLUTION_MONTH = 40
RESOLUTION_YEAR = 50
MAX_RANGE = {
    RESOLUTION_HOUR: timedelta(days=31),
    RESOLUTION_DAY: timedelta(days=400),
    RESOLUTION_MONTH: timedelta(days=366 * 20),
    RESOLUTION_YEAR: timedelta(days=366 * 20),
}
MAX_PAGE_SIZE = 100

# A household's district heating: strongly seasonal, ~12 MWh a year.
HOUSE_HEATING = LoadProfile(
    name="house_heating",
    annual=12_000.0,
    weekday=(0.9,) * 6 + (1.3,) * 3 + (1.0,) * 9 + (1.2,) * 4 + (0.9,) * 2,
    weekend=(1.0,) * 24,
    winter_factor=6.0,
    noise=0.05,
)


def iso(moment: datetime) -> str:
    """Return a UTC time as the API writes it: ISO 8601 without offset."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def parse_time(value: Any) -> datetime | None:
    """Parse a request time; one without offset is UTC (as the doc says)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _hash01(*parts: object) -> float:
    """Return a deterministic number in [0, 1) of the parts."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8)
    return int.from_bytes(digest.digest()) / 2**64


@dataclass
class Contract:
    """One contract of a customer at a delivery point, with its meter."""

    contract_no: str
    customer_id: int
    area: int
    kind: str
    """"power", "net" or "district_heating"."""
    delivery_point_id: int
    delivery_point_name: str
    address_key: str
    meter_id: int
    meter: SyntheticMeter
    unit: str = "kWh"
    has_wattmeter: bool = False
    price_area: str | None = None
    start_date: datetime = datetime(2019, 3, 1, tzinfo=UTC)


@dataclass
class Message:
    """One message to a customer (outage notices, information)."""

    id: int
    customer_id: int
    subject: str
    text: str
    sent: datetime
    state: str = "Unread"
    category: str = "Outage"
    severity: int = 2
    meter_id: int | None = None


@dataclass
class User:
    """A login of the customer web, with the areas and customers it sees."""

    username: str
    password: str
    user_auth_id: str
    customers: dict[int, list[int]] = field(default_factory=dict)
    """Customer ids by area."""


class ESmartSystemsSimulator(Simulator):
    """The eSmart Systems API of one utility with one household user."""

    name = "esmart_systems"
    prefix = ""
    port_offset = 2

    USERNAME = "kari.nordmann@example.no"
    PASSWORD = "sim-pass-5b2e9d71c4"
    USER_AUTH_ID = "8f1c2d3e-4b5a-4c6d-9e8f-0a1b2c3d4e5f"
    POWER_ONLY_USERNAME = "ola.power@example.no"

    def __init__(
        self,
        *,
        seed: int = 1,
        tz: str = "Europe/Oslo",
        lag: timedelta = timedelta(hours=2),
        estimated: timedelta = timedelta(hours=24),
        bare: bool = False,
        **kwargs: Any,
    ) -> None:
        """Create the utility with one user, two customers and four contracts."""
        super().__init__(seed=seed, **kwargs)
        self.tz = ZoneInfo(tz)
        self.lag = lag
        self.estimated = estimated
        self.bare = bare
        self.x_area: Counter[str] = Counter()
        """``X-Area`` header values seen ("absent" when missing)."""
        self.users = {
            self.USERNAME: User(
                self.USERNAME,
                self.PASSWORD,
                self.USER_AUTH_ID,
                {AREA_POWER: [1001, 1002], AREA_NET: [1001]},
            ),
            self.POWER_ONLY_USERNAME: User(
                self.POWER_ONLY_USERNAME,
                self.PASSWORD,
                "11111111-2222-4333-8444-555555555555",
                {AREA_POWER: [1002]},
            ),
        }
        self.addresses = {
            "home": {
                "StreetName": "Storgata",
                "HouseNumber": "12",
                "PostalCode": "0155",
                "City": "Oslo",
            },
            "cabin": {
                "StreetName": "Fjellveien",
                "HouseNumber": "3",
                "PostalCode": "3580",
                "City": "Geilo",
            },
        }
        electricity = SyntheticMeter(HOUSEHOLD, seed=seed, tz=self.tz)
        self.contracts: dict[str, Contract] = {}
        for contract in (
            Contract(
                "5001", 1001, AREA_POWER, "power", 7001, "Storgata 12",
                "home", 900001, electricity, has_wattmeter=True, price_area="NO1",
            ),
            Contract(
                "5002", 1001, AREA_POWER, "district_heating", 7002, "Storgata 12 fjernvarme",
                "home", 900002, SyntheticMeter(HOUSE_HEATING, seed=seed + 1, tz=self.tz),
            ),
            Contract(
                "5003", 1002, AREA_POWER, "power", 7003, "Hytta",
                "cabin", 900003, SyntheticMeter(HOUSEHOLD, seed=seed + 2, tz=self.tz),
                price_area="NO1",
            ),
            Contract(
                "6001", 1001, AREA_NET, "net", 7001, "Storgata 12",
                "home", 900001, electricity,
            ),
        ):  # fmt: skip
            self.contracts[contract.contract_no] = contract
        self.messages: list[Message] = []
        self.readings: dict[tuple[int, int], list[dict[str, Any]]] = {}
        start = datetime(2026, 9, 1, tzinfo=UTC)
        self.add_message(1001, "Planned outage", "Power off 09-11.", start)
        self.add_message(1001, "New tariff", "Grid tariff changes.", start, read=True)

    def demo_credentials(self) -> dict[str, str]:
        """Return what a config entry needs to log in to this simulator."""
        return {"username": self.USERNAME, "password": self.PASSWORD, "area": "power"}

    # Ground truth for tests -------------------------------------------------

    def add_message(
        self,
        customer_id: int,
        subject: str,
        text: str,
        sent: datetime | None = None,
        *,
        read: bool = False,
    ) -> Message:
        """Send a customer a message (an outage notice)."""
        message = Message(
            id=len(self.messages) + 1,
            customer_id=customer_id,
            subject=subject,
            text=text,
            sent=sent or self.clock(),
            state="Read" if read else "Unread",
        )
        self.messages.append(message)
        return message

    def data_end(self) -> datetime:
        """Return the end of the newest published hour."""
        return (self.clock() - self.lag).replace(minute=0, second=0, microsecond=0)

    def is_estimated(self, hour_start: datetime) -> bool:
        """Tell whether an hour still holds the utility's estimate."""
        return hour_start >= self.data_end() - self.estimated

    def consumption(self, contract: Contract, hour_start: datetime) -> float:
        """Return what the API serves now for one hour of a contract."""
        value = contract.meter.value(hour_start)
        if self.is_estimated(hour_start):
            return round(value * 0.9, 3)
        return value

    def spot_price(self, hour_start: datetime) -> float:
        """Return the NOK/kWh spot price of one hour (daily and yearly swing)."""
        local = hour_start.astimezone(self.tz)
        daily = math.sin(math.pi * (local.hour - 6) / 12)
        season = math.cos(2 * math.pi * (local.timetuple().tm_yday - 15) / 365.25)
        noise = _hash01(self.seed, "spot", int(hour_start.timestamp())) - 0.5
        return round(max(0.6 + 0.25 * daily + 0.3 * season + 0.2 * noise, 0.01), 4)

    def hour_price(self, contract: Contract, hour_start: datetime) -> float:
        """Return the contract's NOK/kWh price of one hour."""
        match contract.kind:
            case "power":
                return round(self.spot_price(hour_start) + 0.049, 4)
            case "net":
                local = hour_start.astimezone(self.tz)
                day = local.weekday() < 5 and 6 <= local.hour < 22
                return 0.4525 if day else 0.3525
            case _:
                return 0.8712

    def cost(self, contract: Contract, hour_start: datetime) -> float:
        """Return what the API serves now as one hour's cost in NOK."""
        value = self.consumption(contract, hour_start)
        return round(value * self.hour_price(contract, hour_start), 2)

    def prices_end(self) -> datetime:
        """Return the end of the last hour with a known price."""
        local = self.clock().astimezone(self.tz)
        days = 2 if local.hour >= 13 else 1
        end = datetime(local.year, local.month, local.day, tzinfo=self.tz)
        return (end + timedelta(days=days)).astimezone(UTC)

    def invoices(self, customer_id: int) -> list[dict[str, Any]]:
        """Return a customer's monthly invoices of the last six months."""
        local = self.clock().astimezone(self.tz)
        rows = []
        for back in range(6, 0, -1):
            index = local.year * 12 + local.month - 1 - back + 1
            invoice_date = datetime(index // 12, index % 12 + 1, 1, tzinfo=self.tz)
            due = invoice_date + timedelta(days=30)
            amount = round(400 + 1600 * _hash01(self.seed, customer_id, index), 2)
            paid = due.astimezone(UTC) < self.clock()
            rows.append(
                {
                    "InvoiceNo": f"{customer_id}{index:06d}",
                    "CustomerId": customer_id,
                    "InvoiceDate": iso(invoice_date),
                    "DueDate": iso(due),
                    "InvoiceSum": amount,
                    "UnpaidSum": 0.0 if paid else amount,
                    "InvoiceStatus": "Paid" if paid else "Unpaid",
                    "PdfUrl": f"api/customers/{customer_id}/invoices/"
                    f"{customer_id}{index:06d}/pdf",
                }
            )
        return rows

    # HTTP -------------------------------------------------------------------

    @override
    def build_app(self) -> web.Application:
        app = super().build_app()
        app.middlewares.append(self._record_area)
        return app

    @web.middleware
    async def _record_area(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        self.x_area[request.headers.get("X-Area", "absent")] += 1
        response: web.StreamResponse = await handler(request)
        return response

    @override
    def routes(self) -> list[web.RouteDef]:
        cust = "/api/customers/{customer_id}"
        contract = f"{cust}/contracts/{{contract_no}}"
        meter = f"{contract}/meters/{{meter_id}}"
        return [
            web.post("/api/Authenticate", self.authenticate, name="authenticate"),
            web.get(
                f"{cust}/contractdeliverypoints",
                self.contract_delivery_points,
                name="contractdeliverypoints",
            ),
            web.get(f"{cust}/contracts", self.contract_list, name="contracts"),
            web.get(contract, self.contract_one, name="contract"),
            web.post(f"{meter}/consumption", self.consumption_series, name="consumption"),
            web.post(f"{meter}/costs", self.cost_series, name="costs"),
            web.get(f"{contract}/hourprices", self.hour_prices, name="hourprices"),
            web.get("/api/spotprices", self.spot_prices, name="spotprices"),
            web.get(f"{meter}/wattmeter", self.wattmeter, name="wattmeter"),
            web.get(f"{meter}/wattmeter/v2", self.wattmeter_v2, name="wattmeter_v2"),
            web.get(f"{cust}/invoices", self.invoice_list, name="invoices"),
            web.get(f"{cust}/invoices/{{invoice_no}}", self.invoice_one, name="invoice"),
            web.get(f"{cust}/invoices/{{invoice_no}}/pdf", self.invoice_pdf, name="invoice_pdf"),
            web.get(f"{cust}/messages", self.message_list, name="messages"),
            web.get(f"{cust}/messages/count", self.message_count, name="messages_count"),
            web.get(
                f"{cust}/deliverypoints/{{delivery_point_id}}/readings",
                self.reading_list,
                name="readings",
            ),
            web.post(
                f"{cust}/deliverypoints/{{delivery_point_id}}/readings",
                self.reading_post,
                name="reading_post",
            ),
        ]  # fmt: skip

    def _json(self, data: Any, status: int = 200) -> web.Response:
        """Serialise like Json.NET with object references."""
        return web.Response(
            text=json.dumps(with_references(data)),
            status=status,
            content_type="application/json",
        )

    async def authenticate(self, request: web.Request) -> web.Response:
        """Check a user name and password in an area; tell the customer ids."""
        try:
            body = await request.json()
            username, password = str(body["UserName"]), str(body["Password"])
            area = int(body.get("Area") or AREA_POWER)
        except ValueError, KeyError, TypeError:
            return json_error(400, "UserName and Password are required")
        user = self.users.get(username)
        if user is None or user.password != password:
            return web.json_response({"Message": "Invalid credentials"}, status=401)
        if area not in user.customers:
            return web.json_response({"Message": "User not found in area"}, status=410)
        return self._json(
            {
                "CustomerIds": user.customers[area],
                "AuthProvider": "CustomerWeb",
                "RegistrationStatus": "Registered",
                "UserAuthId": user.user_auth_id,
            }
        )

    def _user(
        self, request: web.Request, endpoint: str
    ) -> tuple[User, int] | web.Response:
        """Check Basic auth and the area header; return the user and area."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        username = password = None
        if scheme.lower() == "basic":
            with contextlib.suppress(ValueError):
                username, _, password = (
                    base64.b64decode(value.strip()).decode().partition(":")
                )
        if username is None and "userName" in request.query:
            # The PDF endpoint documents credentials in the query string.
            username = request.query.get("userName")
            password = request.query.get("password")
        user = self.users.get(username or "")
        if (
            user is None
            or user.password != password
            or self.rejects_unauthorized(endpoint)
        ):
            return web.json_response(
                {"Message": "Authorization has been denied for this request."},
                status=401,
            )
        raw_area = request.headers.get("X-Area", str(AREA_POWER))
        if raw_area not in (str(AREA_NET), str(AREA_POWER)):
            return web.json_response({"Message": "Unknown X-Area"}, status=400)
        area = int(raw_area)
        if area not in user.customers:
            return web.json_response({"Message": "User not found in area"}, status=410)
        return user, area

    def _customer(
        self, request: web.Request, endpoint: str
    ) -> tuple[int, int] | web.Response:
        """Authorize and resolve the path's customer; return it and the area."""
        checked = self._user(request, endpoint)
        if isinstance(checked, web.Response):
            return checked
        user, area = checked
        try:
            customer_id = int(request.match_info["customer_id"])
        except ValueError:
            return web.json_response({"Message": "Not found"}, status=404)
        if customer_id not in user.customers[area]:
            return web.json_response({"Message": "Customer not found"}, status=404)
        return customer_id, area

    def _contract(self, request: web.Request, endpoint: str) -> Contract | web.Response:
        """Authorize and resolve the path's contract (and meter, if any)."""
        checked = self._customer(request, endpoint)
        if isinstance(checked, web.Response):
            return checked
        customer_id, area = checked
        contract = self.contracts.get(request.match_info["contract_no"])
        if (
            contract is None
            or contract.customer_id != customer_id
            or contract.area != area
        ):
            return web.json_response({"Message": "Contract not found"}, status=404)
        if "meter_id" in request.match_info and request.match_info["meter_id"] != str(
            contract.meter_id
        ):
            return web.json_response({"Message": "Meter not found"}, status=404)
        return contract

    def _contract_json(
        self, contract: Contract, *, meter: bool, wattmeter: bool
    ) -> dict[str, Any]:
        kinds = {"power": "Power", "net": "Net", "district_heating": "DistrictHeating"}
        row: dict[str, Any] = {
            "ContractNo": contract.contract_no,
            "CustomerId": contract.customer_id,
            "DeliveryPointId": contract.delivery_point_id,
            "DeliveryPointName": contract.delivery_point_name,
            "StartDate": iso(contract.start_date),
            "EndDate": None,
            "IsActive": True,
            "LedgerNo": f"L{contract.contract_no}",
            **{
                f"Is{name}Contract": contract.kind == kind
                for kind, name in kinds.items()
            },
            "IsEnergyContract": False,
            "IsGasContract": False,
            "IsTapWaterContract": False,
            "DeliveryAddress": self.addresses[contract.address_key],
            "PriceArea": contract.price_area,
        }
        if meter:
            row["MeterId"] = contract.meter_id
            row["MeterUnit"] = contract.unit
            if wattmeter:
                row["HasWattMeter"] = contract.has_wattmeter
        return row

    async def contract_delivery_points(self, request: web.Request) -> web.Response:
        """Return a customer's contracts with their delivery points and meters."""
        checked = self._customer(request, "contractdeliverypoints")
        if isinstance(checked, web.Response):
            return checked
        customer_id, area = checked
        wattmeter = request.query.get("includeWattMeter", "").lower() == "true"
        return self._json(
            [
                self._contract_json(c, meter=True, wattmeter=wattmeter)
                for c in self.contracts.values()
                if c.customer_id == customer_id and c.area == area
            ]
        )

    async def contract_list(self, request: web.Request) -> web.Response:
        """Return a customer's contracts."""
        checked = self._customer(request, "contracts")
        if isinstance(checked, web.Response):
            return checked
        customer_id, area = checked
        return self._json(
            [
                self._contract_json(c, meter=False, wattmeter=False)
                for c in self.contracts.values()
                if c.customer_id == customer_id and c.area == area
            ]
        )

    async def contract_one(self, request: web.Request) -> web.Response:
        """Return one contract."""
        contract = self._contract(request, "contract")
        if isinstance(contract, web.Response):
            return contract
        return self._json(self._contract_json(contract, meter=False, wattmeter=False))

    async def _series(self, request: web.Request, endpoint: str) -> web.Response:
        contract = self._contract(request, endpoint)
        if isinstance(contract, web.Response):
            return contract
        try:
            body = await request.json()
            start = parse_time(body["FromTime"])
            end = parse_time(body["ToTime"])
            resolution = int(body["Resolution"])
        except ValueError, KeyError, TypeError:
            return web.json_response({"Message": "Invalid request body"}, status=400)
        if (
            start is None
            or end is None
            or end <= start
            or resolution not in MAX_RANGE
            or str(body.get("ContractNo")) != contract.contract_no
            or str(body.get("CustomerId")) != str(contract.customer_id)
        ):
            return web.json_response({"Message": "Invalid request body"}, status=400)
        if end - start > MAX_RANGE[resolution]:
            return web.json_response(
                {"Message": "The requested period is too long"}, status=400
            )
        value = self.cost if endpoint == "costs" else self.consumption
        rows = []
        for bucket_start, hours in self._buckets(
            start, min(end, self.data_end()), resolution
        ):
            values = [value(contract, hour) for hour in hours]
            if not values:
                continue
            estimated = any(self.is_estimated(hour) for hour in hours)
            rows.append(
                {
                    "ValueTime": iso(bucket_start),
                    "Value": round(sum(values), 3),
                    "Status": "Estimated" if estimated else "Measured",
                }
            )
        self.rows_served[endpoint] += len(rows)
        if self.bare:
            return self._json(rows)
        return self._json(
            {
                "Unit": "NOK" if endpoint == "costs" else contract.unit,
                "Resolution": resolution,
                "Values": rows,
            }
        )

    def _buckets(
        self, start: datetime, end: datetime, resolution: int
    ) -> Iterator[tuple[datetime, list[datetime]]]:
        """Yield (interval start, its whole hours in [start, end))."""
        hours = list(_hour_starts(start, end))
        if resolution == RESOLUTION_HOUR:
            for hour in hours:
                yield hour, [hour]
            return
        groups: dict[datetime, list[datetime]] = {}
        for hour in hours:
            local = hour.astimezone(self.tz)
            match resolution:
                case 20:  # RESOLUTION_DAY
                    key = datetime(local.year, local.month, local.day, tzinfo=self.tz)
                case 40:  # RESOLUTION_MONTH
                    key = datetime(local.year, local.month, 1, tzinfo=self.tz)
                case _:
                    key = datetime(local.year, 1, 1, tzinfo=self.tz)
            groups.setdefault(key.astimezone(UTC), []).append(hour)
        yield from groups.items()

    async def consumption_series(self, request: web.Request) -> web.Response:
        """Return a meter's consumption as a time series."""
        return await self._series(request, "consumption")

    async def cost_series(self, request: web.Request) -> web.Response:
        """Return a meter's costs as a time series."""
        return await self._series(request, "costs")

    def _range(self, request: web.Request) -> tuple[datetime, datetime] | None:
        start = parse_time(request.query.get("fromTimeUtc"))
        end = parse_time(request.query.get("toTimeUtc"))
        if (
            start is None
            or end is None
            or end <= start
            or end - start > timedelta(days=62)
        ):
            return None
        return start, end

    async def hour_prices(self, request: web.Request) -> web.Response:
        """Return a contract's hourly prices in a UTC range."""
        contract = self._contract(request, "hourprices")
        if isinstance(contract, web.Response):
            return contract
        if (bounds := self._range(request)) is None:
            return web.json_response({"Message": "Invalid time range"}, status=400)
        start, end = bounds
        rows = [
            {
                "FromTime": iso(hour),
                "ToTime": iso(hour + HOUR),
                "Price": self.hour_price(contract, hour),
            }
            for hour in _hour_starts(start, min(end, self.prices_end()))
        ]
        return self._json({"Currency": "NOK", "Unit": "kWh", "Prices": rows})

    async def spot_prices(self, request: web.Request) -> web.Response:
        """Return a price area's hourly spot prices in a UTC range."""
        checked = self._user(request, "spotprices")
        if isinstance(checked, web.Response):
            return checked
        area = request.query.get("priceArea", "")
        if area not in {"NO1", "NO2", "NO3", "NO4", "NO5"}:
            return web.json_response({"Message": "Unknown price area"}, status=400)
        if (bounds := self._range(request)) is None:
            return web.json_response({"Message": "Invalid time range"}, status=400)
        start, end = bounds
        return self._json(
            [
                {
                    "PriceArea": area,
                    "ValueTime": iso(hour),
                    "Value": self.spot_price(hour),
                    "IsPreliminary": False,
                }
                for hour in _hour_starts(start, min(end, self.prices_end()))
            ]
        )

    def power_now(self, contract: Contract) -> tuple[datetime, float]:
        """Return the wattmeter's newest reading (time, W)."""
        now = self.clock().replace(second=0, microsecond=0)
        hour = now.replace(minute=0)
        kwh = contract.meter.value(hour)
        wobble = 0.8 + 0.4 * _hash01(self.seed, "w", int(now.timestamp()))
        return now, round(kwh * 1000 * wobble)

    def _wattmeter_json(self, contract: Contract) -> dict[str, Any]:
        when, watts = self.power_now(contract)
        local = when.astimezone(self.tz)
        month_start = datetime(local.year, local.month, 1, tzinfo=self.tz)
        peak = max(
            contract.meter.hours(month_start.astimezone(UTC), when.replace(minute=0)),
            key=lambda point: point[1],
            default=None,
        )
        last = {"ValueTime": iso(when), "Value": watts, "TimeSeriesType": "Power"}
        if peak is None or peak[1] * 1000 <= watts:
            month_max: dict[str, Any] = last
        else:
            month_max = {
                "ValueTime": iso(peak[0]),
                "Value": round(peak[1] * 1000),
                "TimeSeriesType": "Power",
            }
        # The same object twice: Json.NET sends the second as a $ref.
        return {"Last": last, "ThisMonthMax": month_max, "Max": month_max}

    async def wattmeter(self, request: web.Request) -> web.Response:
        """Return the newest power reading and the maxima."""
        contract = self._contract(request, "wattmeter")
        if isinstance(contract, web.Response):
            return contract
        if not contract.has_wattmeter:
            return web.json_response({"Message": "No wattmeter"}, status=404)
        return self._json(self._wattmeter_json(contract))

    async def wattmeter_v2(self, request: web.Request) -> web.Response:
        """Return the wattmeter's configuration, display type and data."""
        contract = self._contract(request, "wattmeter_v2")
        if isinstance(contract, web.Response):
            return contract
        if not contract.has_wattmeter:
            return web.json_response({"Message": "No wattmeter"}, status=404)
        return self._json(
            {
                "Config": {"MaxPower": 15000, "Unit": "W"},
                "DisplayType": "Gauge",
                "Data": self._wattmeter_json(contract),
            }
        )

    async def invoice_list(self, request: web.Request) -> web.Response:
        """Return a customer's invoices."""
        checked = self._customer(request, "invoices")
        if isinstance(checked, web.Response):
            return checked
        return self._json(self.invoices(checked[0]))

    def _invoice(
        self, request: web.Request, endpoint: str
    ) -> dict[str, Any] | web.Response:
        checked = self._customer(request, endpoint)
        if isinstance(checked, web.Response):
            return checked
        for invoice in self.invoices(checked[0]):
            if invoice["InvoiceNo"] == request.match_info["invoice_no"]:
                return invoice
        return web.json_response({"Message": "Invoice not found"}, status=404)

    async def invoice_one(self, request: web.Request) -> web.Response:
        """Return one invoice."""
        invoice = self._invoice(request, "invoice")
        if isinstance(invoice, web.Response):
            return invoice
        return self._json(invoice)

    async def invoice_pdf(self, request: web.Request) -> web.Response:
        """Return an invoice as a (tiny) PDF document."""
        invoice = self._invoice(request, "invoice_pdf")
        if isinstance(invoice, web.Response):
            return invoice
        body = f"%PDF-1.4\n% Invoice {invoice['InvoiceNo']}\n%%EOF\n".encode()
        return web.Response(body=body, content_type="application/pdf")

    async def message_list(self, request: web.Request) -> web.Response:
        """Return one page (from 1) of a customer's messages, newest first."""
        checked = self._customer(request, "messages")
        if isinstance(checked, web.Response):
            return checked
        try:
            size = int(request.query.get("pageSize", "10"))
            page = int(request.query.get("page", "1"))
        except ValueError:
            return web.json_response({"Message": "Invalid paging"}, status=400)
        if not 1 <= size <= MAX_PAGE_SIZE or page < 1:
            return web.json_response({"Message": "Invalid paging"}, status=400)
        rows = [
            {
                "Id": m.id,
                "State": m.state,
                "Category": m.category,
                "Priority": 1,
                "SentDateTime": iso(m.sent),
                "Subject": m.subject,
                "Text": m.text,
                "MeterId": m.meter_id,
                "Severity": m.severity,
            }
            for m in sorted(self.messages, key=lambda m: (m.sent, m.id), reverse=True)
            if m.customer_id == checked[0]
        ]
        return self._json(self.page("messages", rows, (page - 1) * size, size))

    async def message_count(self, request: web.Request) -> web.Response:
        """Return how many messages (of a state) a customer has."""
        checked = self._customer(request, "messages_count")
        if isinstance(checked, web.Response):
            return checked
        state = request.query.get("state")
        return self._json(
            sum(
                1
                for m in self.messages
                if m.customer_id == checked[0]
                and (state is None or m.state.lower() == state.lower())
            )
        )

    def _delivery_point(
        self, request: web.Request, endpoint: str
    ) -> tuple[int, int] | web.Response:
        checked = self._customer(request, endpoint)
        if isinstance(checked, web.Response):
            return checked
        customer_id, area = checked
        try:
            point = int(request.match_info["delivery_point_id"])
        except ValueError:
            point = -1
        if not any(
            c.delivery_point_id == point
            and c.customer_id == customer_id
            and c.area == area
            for c in self.contracts.values()
        ):
            return web.json_response(
                {"Message": "Delivery point not found"}, status=404
            )
        return customer_id, point

    async def reading_list(self, request: web.Request) -> web.Response:
        """Return a delivery point's submitted readings, newest first."""
        checked = self._delivery_point(request, "readings")
        if isinstance(checked, web.Response):
            return checked
        rows = list(reversed(self.readings.get(checked, [])))
        return self._json(rows)

    async def reading_post(self, request: web.Request) -> web.Response:
        """Save a meter reading; a refused one says why in ResponseStatus."""
        checked = self._delivery_point(request, "reading_post")
        if isinstance(checked, web.Response):
            return checked
        try:
            body = await request.json()
            value = body["Value"]
            when = parse_time(body["ReadingDate"])
        except ValueError, KeyError, TypeError:
            return web.json_response({"Message": "Invalid request body"}, status=400)
        if not isinstance(value, int) or isinstance(value, bool) or when is None:
            return web.json_response({"Message": "Invalid request body"}, status=400)
        previous = self.readings.get(checked, [])
        status: dict[str, Any] = {"ErrorCode": 0, "Message": None}
        if when > self.clock():
            status = {"ErrorCode": 3, "Message": "Reading date is in the future"}
        elif previous and value < previous[-1]["Value"]:
            status = {"ErrorCode": 2, "Message": "Value is lower than the last reading"}
        reading = {
            "CustomerId": checked[0],
            "DeliveryPointId": checked[1],
            "ReadingDate": iso(when),
            "Value": value,
            "ResponseStatus": status,
        }
        if status["ErrorCode"] == 0:
            self.readings.setdefault(checked, []).append(reading)
        return self._json(reading)


def _hour_starts(start: datetime, end: datetime) -> Iterator[datetime]:
    """Yield the start of each whole UTC hour in [start, end)."""
    current = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if current < start:
        current += HOUR
    while current + HOUR <= end:
        yield current
        current += HOUR


def with_references(data: Any) -> Any:
    """Add Json.NET's ``$id`` to objects and send repeated ones as ``$ref``.

    Identity decides (``is``), as in Json.NET: the same Python dict placed
    twice is sent once in full and then as a reference.
    """
    seen: dict[int, str] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if id(node) in seen:
                return {"$ref": seen[id(node)]}
            ref = str(len(seen) + 1)
            seen[id(node)] = ref
            return {"$id": ref, **{key: walk(value) for key, value in node.items()}}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(data)
