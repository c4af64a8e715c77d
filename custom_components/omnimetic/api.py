"""Async client of the Omnimetic utility-data API.

Pure aiohttp: no Home Assistant import, so it can become its own package.

Units and shapes, in one place (the API reference's examples are loose, e.g.
its interval sample has ``totalUsage`` 1 beside ``offPeakUsage`` 4.72, and its
``*InWatts`` fields hold energy, not power):

* interval ``onPeakUsage`` / ``offPeakUsage`` / ``totalUsage``: kWh per hour;
  the total is ``totalUsage`` when given, else on-peak + off-peak;
* historical ``energyConsumptionInWatts`` / ``onPeakUsageInWatts`` /
  ``offPeakUsageInWatts``: Wh per month, converted to kWh here;
* historical ``amountInCents``: the month's bill in cents of the account's
  currency (the API does not name the currency; the integration asks the user);
* interval ``date`` + ``hour``: see :func:`_interval_starts` for both readings
  of the reference that are accepted.

Unknown fields are ignored and missing optional ones become ``None``; a row
without the fields it cannot do without is skipped rather than failing the
whole response.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import json
import logging
from typing import Any, Final, Literal, overload

import aiohttp

from .common.api_helpers import (
    BearerToken,
    as_datetime as _datetime,
    as_number as _number,
    as_str as _str,
    error_message as _message,
    host_of,
    parse_retry_after as _retry_after,
    validate_base_url,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL: Final = "https://app.omnimetic.com/api"
"""The API reference's base URL (the newer SDK uses https://api.omnimetic.com)."""

TOKEN_LIFETIME: Final = timedelta(hours=1)
"""The reference: a token "has a one-hour active life"."""
TOKEN_RENEW_MARGIN: Final = timedelta(minutes=5)
REQUEST_TIMEOUT: Final = 30.0
DOWNLOAD_TIMEOUT: Final = 120.0
INTERVAL_CHUNK_DAYS: Final = 31
"""The reference gives no maximum range for interval-data; a month per request
keeps responses small, and a 400 on a range splits it further."""

MONTH_NAMES: Final = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip


class OmnimeticError(Exception):
    """Base of every error this client raises."""


class OmnimeticConnectionError(OmnimeticError):
    """The API could not be reached or did not answer in time."""


class OmnimeticAuthenticationError(OmnimeticError):
    """The client id or secret was refused."""


class OmnimeticRateLimitError(OmnimeticError):
    """The API asked us to slow down (HTTP 429)."""

    def __init__(self, retry_after: float | None) -> None:
        """Keep the server's Retry-After, in seconds, when it gave one."""
        super().__init__(f"Rate limited; retry after {retry_after} s")
        self.retry_after = retry_after


class OmnimeticResponseError(OmnimeticError):
    """The API answered with an error status or a body we cannot read."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status (None when the body was the problem)."""
        super().__init__(message)
        self.status = status


class OmnimeticBadRequestError(OmnimeticResponseError):
    """HTTP 400: the API refused the request's parameters."""


class OmnimeticNotFoundError(OmnimeticResponseError):
    """HTTP 404: the account or service account does not exist (any more)."""


@dataclass(frozen=True, slots=True)
class Address:
    """Postal address of a service account."""

    street: str | None
    city: str | None
    state: str | None
    postal_code: str | None


@dataclass(frozen=True, slots=True)
class ServiceAccountInfo:
    """The ``info`` resource of a utility service account."""

    id: str
    external_id: str | None
    address: Address
    linked_date: datetime | None
    legal_names: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Any, service_account_id: str) -> ServiceAccountInfo:
        """Parse the ``info`` body; only its being an object is required."""
        if not isinstance(data, Mapping):
            raise OmnimeticResponseError("info is not a JSON object")
        address = data.get("address")
        address = address if isinstance(address, Mapping) else {}
        names = data.get("legalNames")
        return cls(
            id=_str(data.get("id")) or service_account_id,
            external_id=_str(data.get("externalServiceAccountId")),
            address=Address(
                street=_str(address.get("street")),
                city=_str(address.get("city")),
                state=_str(address.get("state")),
                postal_code=_str(address.get("postalCode")),
            ),
            linked_date=_datetime(data.get("linkedDate")),
            legal_names=tuple(str(n) for n in names) if isinstance(names, list) else (),
        )


@dataclass(frozen=True, slots=True)
class IntervalReading:
    """One hour of consumption; ``start`` is timezone-aware UTC."""

    start: datetime
    total_kwh: float
    on_peak_kwh: float | None
    off_peak_kwh: float | None


@dataclass(frozen=True, slots=True)
class MonthlyUsage:
    """One month of the ``historical-data`` resource (a bill)."""

    year: int
    month: int
    energy_kwh: float | None
    on_peak_kwh: float | None
    off_peak_kwh: float | None
    amount_cents: int | None

    @property
    def amount(self) -> float | None:
        """Return the bill in currency units."""
        return None if self.amount_cents is None else self.amount_cents / 100


class OmnimeticClient:
    """Client for one Omnimetic API client account (client id and secret)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        *,
        url: str = DEFAULT_URL,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        """Create a client; ``session`` is owned by the caller."""
        self._session = session
        self._client_id = client_id
        self._client_secret = client_secret
        self._url = validate_base_url(url)
        self._timeout = request_timeout
        self._account_id: str | None = None
        self._token = BearerToken(
            self._fetch_token, lifetime=TOKEN_LIFETIME, margin=TOKEN_RENEW_MARGIN
        )

    @property
    def token_requests(self) -> int:
        """Return how many tokens this client has asked for (diagnostics, tests)."""
        return self._token.requests

    @property
    def account_id(self) -> str | None:
        """Return the client's account id, known after the first token."""
        return self._account_id

    async def authenticate(self) -> str:
        """Get a fresh token and return the client's account id."""
        await self._token.renew()
        assert self._account_id is not None
        return self._account_id

    async def service_account_info(self, service_account_id: str) -> ServiceAccountInfo:
        """Return the details of a utility service account."""
        data = await self._get(service_account_id, "info")
        return ServiceAccountInfo.from_json(data, service_account_id)

    async def historical_data(
        self, service_account_id: str, year: int
    ) -> list[MonthlyUsage]:
        """Return the monthly rows of one calendar year, oldest first."""
        data = await self._get(
            service_account_id, "historical-data", params={"year": str(year)}
        )
        rows = {}
        for row in _rows(data):
            if (parsed := _monthly(row, year)) is not None:
                rows[parsed.year, parsed.month] = parsed
        return [rows[key] for key in sorted(rows)]

    async def interval_data(
        self, service_account_id: str, first: date, last: date
    ) -> list[IntervalReading]:
        """Return hourly readings of the UTC days ``first`` to ``last`` inclusive.

        Long ranges are fetched a month at a time; a range the API refuses with
        400 is split in two until single days, since its limit is undocumented.
        Readings are de-duplicated by hour and sorted.
        """
        readings: dict[datetime, IntervalReading] = {}
        chunk_start = first
        while chunk_start <= last:
            chunk_end = min(chunk_start + timedelta(days=INTERVAL_CHUNK_DAYS - 1), last)
            for reading in await self._interval_range(
                service_account_id, chunk_start, chunk_end
            ):
                readings[reading.start] = reading
            chunk_start = chunk_end + timedelta(days=1)
        return [readings[start] for start in sorted(readings)]

    async def download_data(self, service_account_id: str) -> bytes:
        """Return the account's data export (an .xlsx workbook) as bytes."""
        return await self._get(
            service_account_id, "download-data", kind="bytes", timeout=DOWNLOAD_TIMEOUT
        )

    async def _interval_range(
        self, service_account_id: str, first: date, last: date
    ) -> list[IntervalReading]:
        params = {"startDate": first.isoformat(), "endDate": last.isoformat()}
        try:
            data = await self._get(service_account_id, "interval-data", params=params)
        except OmnimeticBadRequestError:
            if first >= last:
                raise
            middle = first + (last - first) // 2
            _LOGGER.debug("Interval range %s..%s refused, splitting it", first, last)
            return [
                *await self._interval_range(service_account_id, first, middle),
                *await self._interval_range(
                    service_account_id, middle + timedelta(days=1), last
                ),
            ]
        return _interval_readings(_rows(data))

    @overload
    async def _get(
        self,
        service_account_id: str,
        resource: str,
        *,
        params: dict[str, str] | None = None,
        kind: Literal["json"] = "json",
        timeout: float | None = None,
    ) -> Any: ...

    @overload
    async def _get(
        self,
        service_account_id: str,
        resource: str,
        *,
        params: dict[str, str] | None = None,
        kind: Literal["bytes"],
        timeout: float | None = None,
    ) -> bytes: ...

    async def _get(
        self,
        service_account_id: str,
        resource: str,
        *,
        params: dict[str, str] | None = None,
        kind: Literal["json", "bytes"] = "json",
        timeout: float | None = None,
    ) -> Any:
        """GET a service-account resource, renewing the token once on a 401."""

        async def request(token: str) -> Any:
            path = (
                f"/accounts/{self._account_id}/utility-service-accounts/"
                f"{service_account_id}/{resource}"
            )
            return await self._request(
                "GET",
                path,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                kind=kind,
                timeout=timeout,
            )

        return await self._token.call(request, OmnimeticAuthenticationError)

    async def _fetch_token(self) -> tuple[str, float | None]:
        """Ask for a token; it also tells the client's account id."""
        data = await self._request(
            "POST",
            "/access-token",
            json_body={
                "clientId": self._client_id,
                "name": "Home Assistant",
                "secret": self._client_secret,
            },
        )
        if (
            not isinstance(data, Mapping)
            or not _str(data.get("token"))
            or not _str(data.get("id"))
        ):
            raise OmnimeticResponseError("access-token answer has no id and token")
        self._account_id = str(data["id"])
        # The reference says one hour and gives no expires_in.
        return str(data["token"]), None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        kind: Literal["json", "bytes"] = "json",
        timeout: float | None = None,
    ) -> Any:
        url = f"{self._url}{path}"
        try:
            async with asyncio.timeout(timeout or self._timeout):
                async with self._session.request(
                    method, url, params=params, headers=headers, json=json_body
                ) as response:
                    body = await response.read()
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
        except TimeoutError as err:
            raise OmnimeticConnectionError(f"Timeout talking to {self._host}") from err
        except aiohttp.ClientError as err:
            raise OmnimeticConnectionError(
                f"Error talking to {self._host}: {err}"
            ) from err
        if status == 401:
            raise OmnimeticAuthenticationError("Unauthorized")
        if status == 429:
            raise OmnimeticRateLimitError(_retry_after(retry_after))
        if status == 400:
            raise OmnimeticBadRequestError(f"Bad request: {_message(body)}", status)
        if status == 404:
            raise OmnimeticNotFoundError(f"Not found: {_message(body)}", status)
        if status >= 300:
            raise OmnimeticResponseError(f"HTTP {status}: {_message(body)}", status)
        if kind == "bytes":
            return body
        try:
            return json.loads(body)
        except ValueError as err:
            raise OmnimeticResponseError(
                "Malformed JSON in the response", status
            ) from err

    @property
    def _host(self) -> str:
        return host_of(self._url)


def _rows(data: Any) -> list[Mapping[str, Any]]:
    """Return the list of row objects of a body: a bare list or {"data": [...]}."""
    if isinstance(data, Mapping):
        data = data.get("data", data.get("items"))
    if not isinstance(data, list):
        raise OmnimeticResponseError("expected a JSON list of rows")
    return [row for row in data if isinstance(row, Mapping)]


def _monthly(row: Mapping[str, Any], default_year: int) -> MonthlyUsage | None:
    month_value = row.get("month")
    month: int | None = None
    if isinstance(month_value, str):
        key = month_value.strip().lower()
        month = MONTH_NAMES.get(key)
        if month is None and key.isdigit():
            month = int(key)
    elif isinstance(month_value, int) and not isinstance(month_value, bool):
        month = month_value
    if month is None or not 1 <= month <= 12:
        _LOGGER.debug("Skipping a historical row without a month: %s", month_value)
        return None
    year_value = _number(row.get("year"))
    year = int(year_value) if year_value is not None else default_year

    def kwh(field: str) -> float | None:
        wh = _number(row.get(field))
        return None if wh is None else wh / 1000

    cents = _number(row.get("amountInCents"))
    return MonthlyUsage(
        year=year,
        month=month,
        energy_kwh=kwh("energyConsumptionInWatts"),
        on_peak_kwh=kwh("onPeakUsageInWatts"),
        off_peak_kwh=kwh("offPeakUsageInWatts"),
        amount_cents=None if cents is None else round(cents),
    )


def _interval_starts(rows: list[Mapping[str, Any]]) -> list[datetime | None]:
    """Return each row's hour start, accepting both readings of the reference.

    The reference's sample has ``"date": "2023-10-07T23:00:00.000Z", "hour":
    "23:00"``: either ``date`` is the hour's start (and ``hour`` repeats its
    time), or ``date`` is the start of a day and ``hour`` the offset into it.
    When several rows share a ``date``, or ``date``'s time differs from
    ``hour``, it is the second reading; otherwise the first.
    """
    dates = [_datetime(row.get("date")) for row in rows]
    known = [d for d in dates if d is not None]
    day_based = len(set(known)) < len(known)
    starts: list[datetime | None] = []
    for row, day in zip(rows, dates, strict=True):
        offset = _hour_offset(row.get("hour"))
        if day is None:
            starts.append(None)
        elif offset is None:
            starts.append(day)
        elif day_based or (day.hour, day.minute) != (
            offset.seconds // 3600,
            offset.seconds // 60 % 60,
        ):
            starts.append(day + offset)
        else:
            starts.append(day)
    return starts


def _hour_offset(value: Any) -> timedelta | None:
    if not isinstance(value, str):
        return None
    hours, _, minutes = value.strip().partition(":")
    try:
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    except ValueError:
        return None
    return offset if timedelta(0) <= offset < timedelta(days=1) else None


def _interval_readings(rows: list[Mapping[str, Any]]) -> list[IntervalReading]:
    readings = []
    for row, start in zip(rows, _interval_starts(rows), strict=True):
        on_peak = _number(row.get("onPeakUsage"))
        off_peak = _number(row.get("offPeakUsage"))
        total = _number(row.get("totalUsage"))
        if total is None and on_peak is not None and off_peak is not None:
            total = on_peak + off_peak
        if start is None or total is None:
            _LOGGER.debug("Skipping an interval row without date or usage")
            continue
        readings.append(IntervalReading(start, total, on_peak, off_peak))
    return readings
