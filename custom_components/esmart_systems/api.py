"""Async client of the eSmart Systems customer web API (one utility's host).

Pure aiohttp: no Home Assistant import, so it can become its own package.

Every request carries HTTP Basic authentication and the ``X-Area`` header
(1 Net, 2 Power). Times go out and come in as ISO 8601 without offset, meaning
UTC. The doc gives no response envelopes, so the client is tolerant of shape:

* a list may come bare or inside an object (``{"Values": [...]}``,
  ``{"Prices": [...]}``, Json.NET's ``{"$values": [...]}``, ...);
* Json.NET object references (``$id``/``$ref``) are resolved anywhere in a
  body, nested and repeated, before anything is read;
* unknown fields are ignored, missing optional ones become ``None``.

It is strict about values: a row whose time or value cannot be read
unambiguously (no time, a non-finite or non-numeric value) is skipped and
logged at debug level, never guessed.

The password never reaches a URL, a log line or an exception message: the
Basic header is built here and any text the server sends back is redacted.
"""

import asyncio
import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
import json
import logging
from typing import Any, Final

import aiohttp

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
    host_of,
    parse_retry_after,
    quote_segment,
    redact,
    validate_base_url,
)

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT: Final = 30.0
HOUR_CHUNK: Final = timedelta(days=31)
"""The doc gives no maximum range; a month per request at Hour resolution is
what the utilities' own web pages ask for. A 400 on a range splits it."""
MESSAGE_PAGE_SIZE: Final = 50


class Area(IntEnum):
    """The two parts of the customer web (the ``X-Area`` header)."""

    NET = 1
    POWER = 2


class Resolution(IntEnum):
    """The API's Resolution enum (NOTES.md)."""

    HOUR = 7
    DAY = 20
    MONTH = 40
    YEAR = 50


class ESmartError(VendorError):
    """Base of every error this client raises."""


class ESmartConnectionError(ESmartError, VendorConnectionError):
    """The API could not be reached, timed out or failed (5xx)."""


class ESmartAuthenticationError(ESmartError, VendorAuthenticationError):
    """HTTP 401: the user name or password was refused."""


class ESmartNotInAreaError(ESmartError, VendorAuthenticationError):
    """HTTP 410 Gone: the user does not exist in the selected area."""


class ESmartRateLimitError(ESmartError, VendorRateLimitError):
    """HTTP 429: the API asked to slow down."""


class ESmartResponseError(ESmartError, VendorResponseError):
    """The API answered with an error status or a body we cannot read."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status (None when the body was the problem)."""
        super().__init__(message)
        self.status = status


class ESmartBadRequestError(ESmartResponseError):
    """HTTP 400: the API refused the request's parameters."""


class ESmartNotFoundError(ESmartResponseError):
    """HTTP 404: the customer, contract, meter or resource does not exist."""


@dataclass(frozen=True, slots=True)
class AuthResult:
    """The answer of ``POST api/Authenticate``."""

    user_auth_id: str
    customer_ids: tuple[str, ...]
    auth_provider: str | None
    registration_status: str | None


@dataclass(frozen=True, slots=True)
class Contract:
    """One contract at a delivery point, with its meter when known."""

    contract_no: str
    customer_id: str
    kind: str
    """"power", "net", "district_heating", "gas", "water", "energy" or "other"."""
    delivery_point_id: str | None
    delivery_point_name: str | None
    address: str | None
    meter_id: str | None
    unit: str
    has_wattmeter: bool
    price_area: str | None
    is_active: bool


@dataclass(frozen=True, slots=True)
class SeriesValue:
    """One interval of a consumption or cost series; ``start`` in UTC."""

    start: datetime
    value: float
    status: str | None


@dataclass(frozen=True, slots=True)
class PowerValue:
    """One wattmeter value in W."""

    time: datetime | None
    watts: float


@dataclass(frozen=True, slots=True)
class Wattmeter:
    """The wattmeter's newest value and maxima."""

    last: PowerValue | None
    this_month_max: PowerValue | None
    max: PowerValue | None


@dataclass(frozen=True, slots=True)
class Invoice:
    """One invoice of a customer."""

    invoice_no: str
    invoice_date: datetime | None
    due_date: datetime | None
    amount: float | None
    unpaid: float | None
    status: str | None


@dataclass(frozen=True, slots=True)
class Message:
    """One message to a customer."""

    id: str
    subject: str | None
    text: str | None
    sent: datetime | None
    state: str | None
    category: str | None
    severity: str | None


@dataclass(frozen=True, slots=True)
class Reading:
    """A meter reading as the API answers a submitted one."""

    delivery_point_id: str | None
    reading_date: datetime | None
    value: int | None
    error_code: int
    error_message: str | None


def resolve_references(data: Any) -> Any:
    """Return ``data`` with Json.NET's ``$id``/``$ref`` resolved everywhere.

    Every object with ``$id`` is collected first (a ``$ref`` may point
    forward), then each ``{"$ref": id}`` is replaced by a copy of its target.
    ``{"$id", "$values": [...]}`` (a referenced array) becomes the list. A
    reference to an unknown id becomes ``None``; cycles are cut, not followed.
    """
    targets: dict[str, Any] = {}

    def collect(node: Any) -> None:
        if isinstance(node, Mapping):
            if (ref_id := node.get("$id")) is not None:
                targets[str(ref_id)] = node
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def walk(node: Any, active: frozenset[int]) -> Any:
        if isinstance(node, Mapping):
            if "$ref" in node:
                target = targets.get(str(node["$ref"]))
                if target is None or id(target) in active:
                    _LOGGER.debug("Unresolvable reference %s", node["$ref"])
                    return None
                return walk(target, active)
            inner = active | {id(node)}
            if "$values" in node and set(node) <= {"$id", "$values"}:
                return walk(node["$values"], inner)
            return {
                key: walk(value, inner) for key, value in node.items() if key != "$id"
            }
        if isinstance(node, list):
            return [walk(value, active) for value in node]
        return node

    collect(data)
    return walk(data, frozenset())


def find_list(data: Any, keys: Sequence[str] = ()) -> list[Any]:
    """Return the list in a body: bare, under one of ``keys``, or the only one.

    Used after :func:`resolve_references`. An object holding no list (or
    several where none is a known key) gives an empty list.
    """
    if isinstance(data, list):
        return data
    if not isinstance(data, Mapping):
        return []
    for key in (*keys, "Values", "Items", "Data", "Result", "value"):
        if isinstance(data.get(key), list):
            return list(data[key])
    lists = [value for value in data.values() if isinstance(value, list)]
    return list(lists[0]) if len(lists) == 1 else []


def _get(row: Mapping[str, Any], *keys: str) -> Any:
    """Return the first present value of ``keys`` (case-insensitively)."""
    for key in keys:
        if key in row:
            return row[key]
    lowered = {str(k).lower(): v for k, v in row.items()}
    for key in keys:
        if key.lower() in lowered:
            return lowered[key.lower()]
    return None


def _id(value: Any) -> str | None:
    """Return an id as text; a whole float (1001.0) reads as 1001."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return as_str(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) if isinstance(value, (bool, int)) else False


_KINDS: Final = (
    ("IsPowerContract", "power"),
    ("IsNetContract", "net"),
    ("IsDistrictHeatingContract", "district_heating"),
    ("IsGasContract", "gas"),
    ("IsTapWaterContract", "water"),
    ("IsWaterContract", "water"),
    ("IsEnergyContract", "energy"),
)
_DEFAULT_UNITS: Final = {"water": "m³", "gas": "m³"}


def _address(value: Any) -> str | None:
    """Return a postal address object (or text) as one line."""
    if isinstance(value, str):
        return as_str(value)
    if not isinstance(value, Mapping):
        return None
    street = " ".join(
        part
        for part in (
            as_str(_get(value, "StreetName", "Street", "AddressLine1", "Address")),
            as_str(_get(value, "HouseNumber", "StreetNo")),
            as_str(_get(value, "HouseLetter")),
        )
        if part
    )
    city = " ".join(
        part
        for part in (
            as_str(_get(value, "PostalCode", "ZipCode", "PostCode")),
            as_str(_get(value, "City", "PostalPlace", "Place")),
        )
        if part
    )
    return ", ".join(part for part in (street, city) if part) or None


def parse_contract(row: Any, customer_id: str) -> Contract | None:
    """Parse a contract; one without a contract number is skipped."""
    if not isinstance(row, Mapping):
        return None
    contract_no = _id(_get(row, "ContractNo", "ContractNumber"))
    if contract_no is None:
        _LOGGER.debug("Skipping a contract without ContractNo")
        return None
    kind = next((name for key, name in _KINDS if _bool(_get(row, key))), "other")
    unit = as_str(_get(row, "MeterUnit", "Unit")) or _DEFAULT_UNITS.get(kind, "kWh")
    active = _get(row, "IsActive")
    return Contract(
        contract_no=contract_no,
        customer_id=_id(_get(row, "CustomerId")) or customer_id,
        kind=kind,
        delivery_point_id=_id(_get(row, "DeliveryPointId")),
        delivery_point_name=as_str(_get(row, "DeliveryPointName")),
        address=_address(_get(row, "DeliveryAddress", "Address")),
        meter_id=_id(_get(row, "MeterId")),
        unit=unit,
        has_wattmeter=_bool(_get(row, "HasWattMeter", "HasWattmeter")),
        price_area=as_str(_get(row, "PriceArea")),
        is_active=True if active is None else _bool(active),
    )


def parse_series(data: Any) -> list[SeriesValue]:
    """Parse ``{ValueTime, Value, Status}`` rows, oldest first, one per start."""
    values: dict[datetime, SeriesValue] = {}
    for row in find_list(data, ("Values", "Consumption", "Costs", "TimeSeries")):
        if not isinstance(row, Mapping):
            continue
        start = as_datetime(_get(row, "ValueTime", "Time", "FromTime"))
        value = as_number(_get(row, "Value"))
        if start is None or value is None:
            _LOGGER.debug("Skipping a series row without a time or a finite value")
            continue
        status = _get(row, "Status")
        values[start] = SeriesValue(
            start, value, None if status is None else str(status)
        )
    return [values[start] for start in sorted(values)]


def parse_prices(data: Any) -> list[tuple[datetime, float]]:
    """Parse hourly prices (``FromTime``/``ValueTime`` with ``Price``/``Value``)."""
    prices: dict[datetime, float] = {}
    for row in find_list(data, ("Prices", "HourPrices", "SpotPrices")):
        if not isinstance(row, Mapping):
            continue
        start = as_datetime(_get(row, "FromTime", "ValueTime", "StartTime", "Time"))
        price = as_number(_get(row, "Price", "Value"))
        if start is None or price is None:
            _LOGGER.debug("Skipping a price row without a time or a finite price")
            continue
        prices[start] = price
    return sorted(prices.items())


def _power(value: Any) -> PowerValue | None:
    if (
        not isinstance(value, Mapping)
        or (watts := as_number(_get(value, "Value"))) is None
    ):
        return None
    return PowerValue(as_datetime(_get(value, "ValueTime")), watts)


def parse_wattmeter(data: Any) -> Wattmeter:
    """Parse a wattmeter body (v1, or v2 with its ``Data`` wrapper)."""
    if isinstance(data, Mapping) and isinstance(_get(data, "Data"), Mapping):
        data = _get(data, "Data")
    if not isinstance(data, Mapping):
        raise ESmartResponseError("wattmeter answer is not an object")
    return Wattmeter(
        last=_power(_get(data, "Last")),
        this_month_max=_power(_get(data, "ThisMonthMax")),
        max=_power(_get(data, "Max")),
    )


def parse_invoice(row: Any) -> Invoice | None:
    """Parse an invoice; one without a number is skipped."""
    if not isinstance(row, Mapping) or (number := _id(_get(row, "InvoiceNo"))) is None:
        return None
    return Invoice(
        invoice_no=number,
        invoice_date=as_datetime(_get(row, "InvoiceDate")),
        due_date=as_datetime(_get(row, "DueDate")),
        amount=as_number(_get(row, "InvoiceSum", "Amount")),
        unpaid=as_number(_get(row, "UnpaidSum")),
        status=as_str(_get(row, "InvoiceStatus", "Status")),
    )


def parse_message(row: Any) -> Message | None:
    """Parse a message; one without an id is skipped."""
    if not isinstance(row, Mapping) or (message_id := _id(_get(row, "Id"))) is None:
        return None
    return Message(
        id=message_id,
        subject=as_str(_get(row, "Subject")),
        text=as_str(_get(row, "Text")),
        sent=as_datetime(_get(row, "SentDateTime")),
        state=as_str(_get(row, "State")),
        category=as_str(_get(row, "Category")),
        severity=as_str(_get(row, "Severity")),
    )


def parse_reading(row: Any) -> Reading:
    """Parse a Reading with its ``ResponseStatus``."""
    if not isinstance(row, Mapping):
        raise ESmartResponseError("reading answer is not an object")
    status = _get(row, "ResponseStatus")
    status = status if isinstance(status, Mapping) else {}
    code = as_number(_get(status, "ErrorCode"))
    value = as_number(_get(row, "Value"))
    return Reading(
        delivery_point_id=_id(_get(row, "DeliveryPointId")),
        reading_date=as_datetime(_get(row, "ReadingDate")),
        value=None if value is None else int(value),
        error_code=0 if code is None else int(code),
        error_message=as_str(_get(status, "Message")),
    )


def _iso(moment: datetime) -> str:
    """Return a time as the API wants it: UTC, ISO 8601 without offset."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


class ESmartClient:
    """Client for one user of one utility's eSmart API, in one area."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        username: str,
        password: str,
        area: Area,
        *,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        """Create a client; ``session`` is owned by the caller."""
        url = validate_base_url(url)
        self._session = session
        # Users paste the help page's base (".../api"); the paths add it.
        self._url = url.removesuffix("/api")
        self._host = host_of(url)
        self._username = username
        self._password = password
        self._area = area
        self._timeout = request_timeout
        # Built by hand: aiohttp's helper refuses a ":" in the user name,
        # which is the server's business to judge.
        credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._auth = f"Basic {credentials}"
        self._gate = RetryGate()
        self.requests = 0
        """Requests sent (diagnostics, tests)."""

    @property
    def area(self) -> Area:
        """Return the area this client works in."""
        return self._area

    async def authenticate(self) -> AuthResult:
        """Check the credentials in the area; return the user and customers."""
        data = await self._request(
            "POST",
            ("Authenticate",),
            json_body={
                "UserName": self._username,
                "Password": self._password,
                "Area": int(self._area),
            },
        )
        if not isinstance(data, Mapping):
            raise ESmartResponseError("Authenticate answer is not an object")
        user_auth_id = as_str(_get(data, "UserAuthId"))
        ids = _get(data, "CustomerIds")
        if user_auth_id is None or not isinstance(ids, list):
            raise ESmartResponseError("Authenticate answer has no UserAuthId")
        customer_ids = tuple(dict.fromkeys(i for i in map(_id, ids) if i is not None))
        return AuthResult(
            user_auth_id=user_auth_id,
            customer_ids=customer_ids,
            auth_provider=as_str(_get(data, "AuthProvider")),
            registration_status=as_str(_get(data, "RegistrationStatus")),
        )

    async def contracts(self, customer_id: str) -> list[Contract]:
        """Return a customer's contracts with delivery points and meters."""
        data = await self._request(
            "GET",
            ("customers", customer_id, "contractdeliverypoints"),
            params={"includeWattMeter": "true"},
        )
        contracts: dict[str, Contract] = {}
        for row in find_list(data, ("ContractDeliveryPoints", "Contracts")):
            # A delivery point may hold its contracts in a nested list; they
            # inherit its fields (meter, address) unless they carry their own.
            nested = _get(row, "Contracts") if isinstance(row, Mapping) else None
            items = (
                [{**row, **item} for item in nested if isinstance(item, Mapping)]
                if isinstance(nested, list)
                else [row]
            )
            for item in items:
                if (contract := parse_contract(item, customer_id)) is not None:
                    contracts[contract.contract_no] = contract
        return list(contracts.values())

    async def series(
        self,
        kind: str,
        contract: Contract,
        start: datetime,
        end: datetime,
        resolution: Resolution = Resolution.HOUR,
    ) -> list[SeriesValue]:
        """Return ``consumption`` or ``costs`` of [start, end), oldest first.

        Hourly ranges go out a month at a time; a range the API refuses with
        400 is split in two down to one day, since its limit is undocumented.
        """
        if contract.meter_id is None:
            raise ESmartResponseError(f"contract {contract.contract_no} has no meter")
        values: dict[datetime, SeriesValue] = {}
        chunk_start = start
        step = HOUR_CHUNK if resolution is Resolution.HOUR else timedelta(days=366)
        while chunk_start < end:
            chunk_end = min(chunk_start + step, end)
            for value in await self._series_range(
                kind, contract, chunk_start, chunk_end, resolution
            ):
                values[value.start] = value
            chunk_start = chunk_end
        return [values[key] for key in sorted(values)]

    async def _series_range(
        self,
        kind: str,
        contract: Contract,
        start: datetime,
        end: datetime,
        resolution: Resolution,
    ) -> list[SeriesValue]:
        assert contract.meter_id is not None
        body = {
            "ContractNo": contract.contract_no,
            "CustomerId": _number_or_text(contract.customer_id),
            "FromTime": _iso(start),
            "ToTime": _iso(end),
            "Resolution": int(resolution),
            "IncludeLastYear": False,
            "IncludeWeather": False,
            "HasWattMeter": contract.has_wattmeter,
        }
        path = (
            "customers",
            contract.customer_id,
            "contracts",
            contract.contract_no,
            "meters",
            contract.meter_id,
            kind,
        )
        try:
            data = await self._request("POST", path, json_body=body)
        except ESmartBadRequestError:
            if end - start <= timedelta(days=1):
                raise
            middle = start + (end - start) / 2
            middle = middle.replace(minute=0, second=0, microsecond=0)
            _LOGGER.debug("Range %s..%s refused, splitting it", start, end)
            return [
                *await self._series_range(kind, contract, start, middle, resolution),
                *await self._series_range(kind, contract, middle, end, resolution),
            ]
        return parse_series(data)

    async def hour_prices(
        self, contract: Contract, start: datetime, end: datetime
    ) -> list[tuple[datetime, float]]:
        """Return the contract's hourly prices (per kWh) in [start, end)."""
        data = await self._request(
            "GET",
            (
                "customers",
                contract.customer_id,
                "contracts",
                contract.contract_no,
                "hourprices",
            ),
            params={"fromTimeUtc": _iso(start), "toTimeUtc": _iso(end)},
        )
        return parse_prices(data)

    async def spot_prices(
        self, price_area: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, float]]:
        """Return a price area's hourly spot prices (per kWh) in [start, end)."""
        data = await self._request(
            "GET",
            ("spotprices",),
            params={
                "priceArea": price_area,
                "fromTimeUtc": _iso(start),
                "toTimeUtc": _iso(end),
                "includePreliminary": "true",
            },
        )
        return parse_prices(data)

    async def wattmeter(self, contract: Contract) -> Wattmeter:
        """Return the wattmeter of a contract that has one."""
        if contract.meter_id is None:
            raise ESmartResponseError(f"contract {contract.contract_no} has no meter")
        data = await self._request(
            "GET",
            (
                "customers",
                contract.customer_id,
                "contracts",
                contract.contract_no,
                "meters",
                contract.meter_id,
                "wattmeter",
            ),
        )
        return parse_wattmeter(data)

    async def invoices(self, customer_id: str) -> list[Invoice]:
        """Return a customer's invoices, oldest first by invoice date."""
        data = await self._request("GET", ("customers", customer_id, "invoices"))
        invoices = [i for i in map(parse_invoice, find_list(data, ("Invoices",))) if i]
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(invoices, key=lambda i: (i.invoice_date or epoch, i.invoice_no))

    async def invoice_pdf(self, customer_id: str, invoice_no: str) -> bytes:
        """Return an invoice's PDF (Basic auth: no credentials in the URL)."""
        data: bytes = await self._request(
            "GET", ("customers", customer_id, "invoices", invoice_no, "pdf"), raw=True
        )
        return data

    async def messages(self, customer_id: str, page: int = 1) -> list[Message]:
        """Return one page (from 1) of a customer's messages."""
        data = await self._request(
            "GET",
            ("customers", customer_id, "messages"),
            params={"pageSize": str(MESSAGE_PAGE_SIZE), "page": str(page)},
        )
        return [m for m in map(parse_message, find_list(data, ("Messages",))) if m]

    async def unread_count(self, customer_id: str) -> int:
        """Return how many unread messages a customer has."""
        data = await self._request(
            "GET",
            ("customers", customer_id, "messages", "count"),
            params={"state": "Unread"},
        )
        if isinstance(data, Mapping):
            data = _get(data, "Count", "count", "Value")
        count = as_number(data)
        if count is None or count < 0:
            raise ESmartResponseError("message count is not a number")
        return int(count)

    async def submit_reading(
        self, customer_id: str, delivery_point_id: str, when: datetime, value: int
    ) -> Reading:
        """Save a meter reading; the answer's ``error_code`` tells if it was refused."""
        data = await self._request(
            "POST",
            ("customers", customer_id, "deliverypoints", delivery_point_id, "readings"),
            json_body={
                "CustomerId": _number_or_text(customer_id),
                "DeliveryPointId": _number_or_text(delivery_point_id),
                "ReadingDate": _iso(when),
                "Value": value,
            },
        )
        return parse_reading(data)

    async def _request(
        self,
        method: str,
        path: tuple[str, ...],
        *,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        raw: bool = False,
    ) -> Any:
        """Send one request; return the JSON body with references resolved."""
        self._gate.check(
            lambda left: ESmartRateLimitError("Waiting for Retry-After", left)
        )
        url = f"{self._url}/api/" + "/".join(quote_segment(part) for part in path)
        headers = {
            "Authorization": self._auth,
            "X-Area": str(int(self._area)),
            "Accept": "application/json",
        }
        self.requests += 1
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    method, url, params=params, headers=headers, json=json_body
                ) as response:
                    body = await response.read()
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
        except TimeoutError as err:
            raise ESmartConnectionError(f"Timeout talking to {self._host}") from err
        except aiohttp.ClientError as err:
            raise ESmartConnectionError(
                f"Error talking to {self._host}: {self._redact(str(err))}"
            ) from err
        if status >= 400:
            self._raise_for_status(status, body, retry_after)
        if raw:
            return body
        try:
            data = json.loads(body) if body.strip() else None
        except ValueError as err:
            raise ESmartResponseError(f"{self._host} sent invalid JSON") from err
        return resolve_references(data)

    def _raise_for_status(
        self, status: int, body: bytes, retry_after: str | None
    ) -> None:
        message = self._message(body)
        if status == 401:
            raise ESmartAuthenticationError("Unauthorized")
        if status == 410:
            raise ESmartNotInAreaError(f"User not found in area {self._area.name}")
        if status == 429:
            wait = parse_retry_after(retry_after)
            self._gate.hold(wait)
            raise ESmartRateLimitError(f"Rate limited: {message}", wait)
        if status >= 500:
            raise ESmartConnectionError(f"{self._host} answered {status}: {message}")
        if status == 400:
            raise ESmartBadRequestError(f"Bad request: {message}", status)
        if status == 404:
            raise ESmartNotFoundError(f"Not found: {message}", status)
        raise ESmartResponseError(f"{self._host} answered {status}: {message}", status)

    def _message(self, body: bytes) -> str:
        """Return the error text of a body (ASP.NET's ``Message``), redacted."""
        try:
            data = json.loads(body)
        except ValueError:
            text = body[:500].decode(errors="replace")
        else:
            found = (
                _get(data, "Message", "error_description", "error", "detail")
                if isinstance(data, Mapping)
                else None
            )
            text = str(found if found is not None else data)
        return self._redact(text)[:200]

    def _redact(self, text: str) -> str:
        return redact(text, (self._password, self._auth.removeprefix("Basic ")))


def _number_or_text(value: str) -> int | str:
    """Send numeric ids as numbers, as the API's own clients do."""
    return int(value) if value.isdigit() else value
