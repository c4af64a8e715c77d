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
* interval ``date`` + ``hour``: see :func:`_interval_start` for both readings
  of the reference that are accepted, decided row by row.

Tolerant of shapes, strict about values: unknown fields are ignored and
missing optional ones become ``None``, but a row that cannot be read
unambiguously (no usable date, a time that fits neither reading, a date out of
range, a negative, non-finite or implausibly large value) is skipped and
counted, never guessed; each response logs one warning for what it skipped.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import json
import logging
from typing import Any, Final, Literal, overload

import aiohttp
from yarl import URL

from .common.api_helpers import (
    BearerToken,
    RetryGate,
    VendorAuthenticationError,
    VendorConnectionError,
    VendorError,
    VendorRateLimitError,
    VendorResponseError,
    as_number as _number,
    as_str as _str,
    error_message as _message,
    host_of,
    parse_retry_after as _retry_after,
    quote_segment,
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
keeps responses small. A server that refuses it is asked for less, and the
range it accepts is remembered (see :meth:`OmnimeticClient.interval_chunks`)."""

MAX_HOURLY_KWH: Final = 100_000.0
"""An hour above 100 MWh (a 100 MW average load) is not a utility service
account's meter reading but a broken row."""
MAX_MONTHLY_KWH: Final = MAX_HOURLY_KWH * 24 * 31
MAX_BILL_CENTS: Final = 10**11
"""A billion currency units a month: anything above is a broken row."""
MIN_YEAR: Final = 1970
MAX_YEAR: Final = 9998
"""Years a bill may carry; outside them a row is unreadable, not a date."""

MAX_EXPORT_BYTES: Final = 50 * 1024 * 1024
"""The export of years of hourly data is a few MB; more is not a workbook."""
XLSX_MAGIC: Final = b"PK\x03\x04"
"""An .xlsx workbook is a zip archive: it starts with a local file header."""

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


class OmnimeticError(VendorError):
    """Base of every error this client raises."""


class OmnimeticConnectionError(OmnimeticError, VendorConnectionError):
    """The API could not be reached or did not answer in time."""


class OmnimeticAuthenticationError(OmnimeticError, VendorAuthenticationError):
    """The client id or secret was refused."""


class OmnimeticRateLimitError(OmnimeticError, VendorRateLimitError):
    """The API asked us to slow down (HTTP 429), or we still wait for it."""

    def __init__(self, retry_after: float | None) -> None:
        """Keep the server's Retry-After (or what is left of it), in seconds."""
        super().__init__(f"Rate limited; retry after {retry_after} s", retry_after)


class OmnimeticResponseError(OmnimeticError, VendorResponseError):
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

    @property
    def label(self) -> str | None:
        """Return "street, city" as a user knows the place, if given."""
        parts = [part for part in (self.street, self.city) if part]
        return ", ".join(parts) or None


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
        linked = _parse_time(data.get("linkedDate"))
        return cls(
            id=_str(data.get("id")) or service_account_id,
            external_id=_str(data.get("externalServiceAccountId")),
            address=Address(
                street=_str(address.get("street")),
                city=_str(address.get("city")),
                state=_str(address.get("state")),
                postal_code=_str(address.get("postalCode")),
            ),
            linked_date=None if linked is None else _to_utc(linked),
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


class _Skipped:
    """What one response's parser skipped, logged as one warning at the end."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.reasons: Counter[str] = Counter()

    def add(self, reason: str) -> None:
        self.reasons[reason] += 1

    def log(self) -> None:
        if self.reasons:
            _LOGGER.warning(
                "Omnimetic %s: %s",
                self.what,
                ", ".join(
                    f"{count} {reason}" for reason, count in self.reasons.items()
                ),
            )


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
        self._base = str(URL(self._url))
        self._timeout = request_timeout
        self._account_id: str | None = None
        self._token = BearerToken(
            self._fetch_token, lifetime=TOKEN_LIFETIME, margin=TOKEN_RENEW_MARGIN
        )
        self._gate = RetryGate()
        self._last_token: str | None = None
        self.range_days = INTERVAL_CHUNK_DAYS
        """The longest interval-data range (days) the server is known to accept."""

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
        """Return the monthly rows of one calendar year, oldest first.

        A month given twice keeps its last row (the reference says nothing
        about duplicates; the later row is taken as the newer statement).
        """
        data = await self._get(
            service_account_id, "historical-data", params={"year": str(year)}
        )
        skipped = _Skipped(f"historical-data {year}")
        rows: dict[tuple[int, int], MonthlyUsage] = {}
        for row in _rows(data):
            if (parsed := _monthly(row, year, skipped)) is not None:
                if (parsed.year, parsed.month) in rows:
                    skipped.add("repeated months (the last row of each was used)")
                rows[parsed.year, parsed.month] = parsed
        skipped.log()
        return [rows[key] for key in sorted(rows)]

    async def interval_data(
        self, service_account_id: str, first: date, last: date
    ) -> list[IntervalReading]:
        """Return hourly readings of the UTC days ``first`` to ``last`` inclusive.

        One list, de-duplicated by hour (the last row of an hour wins) and
        sorted; see :meth:`interval_chunks` for how the range is fetched.
        """
        readings: dict[datetime, IntervalReading] = {}
        async for chunk in self.interval_chunks(service_account_id, first, last):
            readings.update((reading.start, reading) for reading in chunk)
        return [readings[start] for start in sorted(readings)]

    async def interval_chunks(
        self, service_account_id: str, first: date, last: date
    ) -> AsyncIterator[list[IntervalReading]]:
        """Yield the readings of ``first`` to ``last`` one request at a time.

        Each request asks for at most :attr:`range_days` days, so a caller can
        store each chunk before the next is asked for. The reference documents
        no maximum range: when the server refuses a range with 400, one day
        is asked for to tell a range limit from any other refusal. If the day
        is refused too, the request itself is wrong and the error is raised;
        otherwise the range is halved until accepted, and the accepted length
        is remembered for every later request of this client.
        """
        start = first
        probed = False
        while start <= last:
            end = min(start + timedelta(days=self.range_days - 1), last)
            try:
                chunk = await self._interval_range(service_account_id, start, end)
            except OmnimeticBadRequestError:
                if end == start:
                    raise
                _LOGGER.debug("Interval range %s..%s refused", start, end)
                if not probed:
                    # Raises when a single day is refused: not a range limit.
                    chunk = await self._interval_range(service_account_id, start, start)
                    probed = True
                    yield chunk
                    start += timedelta(days=1)
                self.range_days = max(1, ((end - start).days + 1) // 2)
                continue
            yield chunk
            start = end + timedelta(days=1)

    async def download_data(
        self,
        service_account_id: str,
        write: Callable[[bytes], Awaitable[None]],
        *,
        max_bytes: int = MAX_EXPORT_BYTES,
    ) -> int:
        """Stream the account's data export (an .xlsx workbook) to ``write``.

        The body is checked to start like a zip archive (what an .xlsx is), so
        an HTML error page served with 200 is refused, and it is never held
        in memory as a whole: each chunk goes to ``write`` as it arrives, and
        a body past ``max_bytes`` is refused. Returns the number of bytes.
        """

        async def request(token: str) -> int:
            url = self._resource_url(service_account_id, "download-data")
            self._gate.check(OmnimeticRateLimitError)
            try:
                async with asyncio.timeout(DOWNLOAD_TIMEOUT):
                    async with self._session.get(
                        url, headers={"Authorization": f"Bearer {token}"}
                    ) as response:
                        if response.status >= 300:
                            self._raise_for_status(
                                response.status,
                                await response.content.read(4096),
                                response.headers.get("Retry-After"),
                            )
                        return await self._stream(response, write, max_bytes)
            except TimeoutError as err:
                raise OmnimeticConnectionError(
                    f"Timeout talking to {self._host}"
                ) from err
            except aiohttp.ClientError as err:
                raise OmnimeticConnectionError(
                    f"Error talking to {self._host}: {type(err).__name__}"
                ) from err

        return await self._call(request)

    async def _call[T](self, request: Callable[[str], Awaitable[T]]) -> T:
        """Run a data request with a token; a 401 renews the token once.

        When the renewed token is refused too, the token endpoint has just
        accepted the credentials: a permission or vendor problem, not a wrong
        secret, so no reauthentication (a response error instead).
        """
        return await self._token.call(
            request,
            OmnimeticAuthenticationError,
            denied=lambda _: OmnimeticResponseError(
                "Omnimetic refused a token it had just issued", 401
            ),
        )

    @staticmethod
    async def _stream(
        response: aiohttp.ClientResponse,
        write: Callable[[bytes], Awaitable[None]],
        max_bytes: int,
    ) -> int:
        head = b""
        size = 0
        async for received in response.content.iter_chunked(64 * 1024):
            size += len(received)
            if size > max_bytes:
                raise OmnimeticResponseError(
                    f"The export is larger than {max_bytes} bytes", response.status
                )
            chunk = received
            if len(head) < len(XLSX_MAGIC):
                # Nothing is written before the body proved to be a zip.
                head += received
                if len(head) < len(XLSX_MAGIC):
                    continue
                if not head.startswith(XLSX_MAGIC):
                    raise OmnimeticResponseError(
                        "The export is not an .xlsx workbook", response.status
                    )
                chunk = head
            await write(chunk)
        if not head.startswith(XLSX_MAGIC):
            raise OmnimeticResponseError(
                "The export is not an .xlsx workbook", response.status
            )
        return size

    async def _interval_range(
        self, service_account_id: str, first: date, last: date
    ) -> list[IntervalReading]:
        params = {"startDate": first.isoformat(), "endDate": last.isoformat()}
        data = await self._get(service_account_id, "interval-data", params=params)
        return _interval_readings(_rows(data), f"interval-data {first}..{last}")

    def _resource_url(self, service_account_id: str, resource: str) -> URL:
        """Return a service-account resource's URL, every id quoted.

        Both ids come from outside (the user, the token endpoint): quoted,
        ``..``, ``/``, ``?`` or ``#`` in them stay inside their segment.
        """
        try:
            account = quote_segment(self._account_id or "")
            service_account = quote_segment(service_account_id)
        except ValueError as err:
            raise OmnimeticResponseError(
                "An account id is not usable in a URL"
            ) from err
        return URL(
            f"{self._base}/accounts/{account}"
            f"/utility-service-accounts/{service_account}/{resource}",
            encoded=True,
        )

    @overload
    async def _get(
        self,
        service_account_id: str,
        resource: str,
        *,
        params: dict[str, str] | None = None,
        kind: Literal["json"] = "json",
    ) -> Any: ...

    @overload
    async def _get(
        self,
        service_account_id: str,
        resource: str,
        *,
        params: dict[str, str] | None = None,
        kind: Literal["bytes"],
    ) -> bytes: ...

    async def _get(
        self,
        service_account_id: str,
        resource: str,
        *,
        params: dict[str, str] | None = None,
        kind: Literal["json", "bytes"] = "json",
    ) -> Any:
        """GET a service-account resource, renewing the token once on a 401."""

        async def request(token: str) -> Any:
            return await self._request(
                "GET",
                self._resource_url(service_account_id, resource),
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                kind=kind,
            )

        return await self._call(request)

    async def _fetch_token(self) -> tuple[str, float | None]:
        """Ask for a token; it also tells the client's account id."""
        data = await self._request(
            "POST",
            URL(f"{self._base}/access-token", encoded=True),
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
        self._last_token = str(data["token"])
        # The reference says one hour and gives no expires_in.
        return str(data["token"]), None

    def _raise_for_status(
        self, status: int, body: bytes, retry_after: str | None
    ) -> None:
        if status == 401:
            raise OmnimeticAuthenticationError("Unauthorized")
        if status == 429:
            wait = _retry_after(retry_after)
            # A Retry-After is a promise: nothing goes out before it passed.
            self._gate.hold(wait)
            raise OmnimeticRateLimitError(wait)
        # A vendor that echoes the request in its error body would put the
        # secret into a log line or an error message: redact, then cut short.
        message = _message(
            body, secrets=(self._client_secret, self._client_id, self._last_token)
        )
        if status == 400:
            raise OmnimeticBadRequestError(f"Bad request: {message}", status)
        if status == 404:
            raise OmnimeticNotFoundError(f"Not found: {message}", status)
        raise OmnimeticResponseError(f"HTTP {status}: {message}", status)

    async def _request(
        self,
        method: str,
        url: URL,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        kind: Literal["json", "bytes"] = "json",
    ) -> Any:
        self._gate.check(OmnimeticRateLimitError)
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    method, url, params=params, headers=headers, json=json_body
                ) as response:
                    body = await response.read()
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
        except TimeoutError as err:
            raise OmnimeticConnectionError(f"Timeout talking to {self._host}") from err
        except aiohttp.ClientError as err:
            # The exception text can carry the request URL; the type is enough.
            raise OmnimeticConnectionError(
                f"Error talking to {self._host}: {type(err).__name__}"
            ) from err
        if status >= 300:
            self._raise_for_status(status, body, retry_after)
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


def _parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 time keeping its own offset (UTC when it has none).

    Never raises: a text that is no time, or a year outside what Python can
    hold, is None.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _to_utc(moment: datetime) -> datetime | None:
    """Return ``moment`` in UTC, None when that leaves the years Python holds."""
    try:
        return moment.astimezone(UTC)
    except OverflowError, ValueError:
        return None


def _energy(value: Any, limit: float) -> float | Literal[False] | None:
    """Read an energy value: None when absent, False when unusable.

    Unusable means not a number, not finite, negative or above ``limit``: a
    consumption meter reading is none of these, so the row is not guessed at.
    """
    if value is None:
        return None
    number = _number(value)
    if number is None or not 0 <= number <= limit:
        return False
    return number


def _monthly(
    row: Mapping[str, Any], default_year: int, skipped: _Skipped
) -> MonthlyUsage | None:
    month_value = row.get("month")
    month: int | None = None
    if isinstance(month_value, str):
        key = month_value.strip().lower()
        month = MONTH_NAMES.get(key)
        if month is None and key.isdigit() and len(key) <= 2:
            month = int(key)
    elif isinstance(month_value, int) and not isinstance(month_value, bool):
        month = month_value
    if month is None or not 1 <= month <= 12:
        skipped.add("rows without a month")
        return None
    year = default_year
    if (year_value := row.get("year")) is not None:
        number = _number(year_value)
        if (
            number is None
            or not number.is_integer()
            or not MIN_YEAR <= number <= MAX_YEAR
        ):
            skipped.add("rows with a year out of range")
            return None
        year = int(number)

    values = {}
    for field_name in (
        "energyConsumptionInWatts",
        "onPeakUsageInWatts",
        "offPeakUsageInWatts",
    ):
        wh = _energy(row.get(field_name), MAX_MONTHLY_KWH * 1000)
        if wh is False:
            skipped.add("rows with an unusable energy value")
            return None
        values[field_name] = None if wh is None else wh / 1000
    cents: float | None = None
    if row.get("amountInCents") is not None:
        cents = _number(row.get("amountInCents"))
        if cents is None or not 0 <= cents <= MAX_BILL_CENTS:
            # NaN, infinite, negative or absurd: the month is kept, its
            # amount is unknown (a credit cannot be told from a broken row).
            skipped.add("bills with an unusable amount (kept without amount)")
            cents = None
    return MonthlyUsage(
        year=year,
        month=month,
        energy_kwh=values["energyConsumptionInWatts"],
        on_peak_kwh=values["onPeakUsageInWatts"],
        off_peak_kwh=values["offPeakUsageInWatts"],
        amount_cents=None if cents is None else round(cents),
    )


def _interval_start(row: Mapping[str, Any]) -> datetime | Literal[False] | None:
    """Return a row's hour start in UTC; None without a date, False if ambiguous.

    The reference's sample has ``"date": "2023-10-07T23:00:00.000Z", "hour":
    "23:00"``: either ``date`` is the hour's start (and ``hour`` repeats its
    time), or ``date`` is the start of a day and ``hour`` the offset into it.
    Each row is read on its own evidence, never by what other rows look like:

    * ``hour`` equals the time of ``date`` (in ``date``'s own offset), or
      ``hour`` is missing: ``date`` is the start;
    * ``date`` is a midnight and ``hour`` another time: day plus offset;
    * anything else fits neither reading and is skipped (False).
    """
    day = _parse_time(row.get("date"))
    if day is None:
        return None
    if row.get("hour") is None:
        return _to_utc(day)
    offset = _hour_offset(row.get("hour"))
    if offset is None:
        return False
    time_of_day = timedelta(hours=day.hour, minutes=day.minute)
    if time_of_day == offset and not day.second and not day.microsecond:
        return _to_utc(day)
    if time_of_day == timedelta(0) and not day.second and not day.microsecond:
        try:
            return _to_utc(day + offset)
        except OverflowError:
            return None
    return False


def _hour_offset(value: Any) -> timedelta | None:
    if not isinstance(value, str):
        return None
    hours, _, minutes = value.strip().partition(":")
    if not hours.isdigit() or not (minutes or "0").isdigit():
        return None
    offset = timedelta(hours=int(hours[:4]), minutes=int((minutes or "0")[:4]))
    return offset if timedelta(0) <= offset < timedelta(days=1) else None


def _interval_readings(
    rows: list[Mapping[str, Any]], what: str
) -> list[IntervalReading]:
    """Return a response's readings, one per hour (the last row of an hour wins).

    The reference does not say what a repeated hour means; the later row is
    taken as the newer statement (never summed, never shifting other rows).
    """
    skipped = _Skipped(what)
    readings: dict[datetime, IntervalReading] = {}
    for row in rows:
        start = _interval_start(row)
        if start is None:
            skipped.add("rows without a usable date")
            continue
        if start is False:
            skipped.add("rows whose date and hour fit neither reading")
            continue
        usage = [
            _energy(row.get(name), MAX_HOURLY_KWH)
            for name in ("onPeakUsage", "offPeakUsage", "totalUsage")
        ]
        if any(value is False for value in usage):
            skipped.add("rows with an unusable usage value")
            continue
        on_peak, off_peak, total = (
            value if isinstance(value, float) else None for value in usage
        )
        if total is None and on_peak is not None and off_peak is not None:
            total = on_peak + off_peak
        if total is None:
            skipped.add("rows without usage")
            continue
        if start in readings:
            skipped.add("repeated hours (the last row of each was used)")
        readings[start] = IntervalReading(start, total, on_peak, off_peak)
    skipped.log()
    return list(readings.values())
