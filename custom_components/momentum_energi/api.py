"""Async client of the Momentum Energi External API.

Pure aiohttp: no Home Assistant import, so it can become its own package.

What the docs leave open, and how this client reads it (tolerant on purpose:
it must work against the vendor, whatever their server does of the gaps):

* the token: the ``.txt`` says the JWT arrives in a response *header* (name
  not given), OAuth servers answer it in the JSON body. Both are accepted: the
  body's ``access_token``, else a header named ``access_token`` /
  ``Access-Token`` / ``X-Access-Token`` / ``Authorization`` / ``token``, else
  any header whose value is a JWT. Its lifetime comes from ``expires_in``
  (body or header), else the JWT's ``exp``, else the documented hour.
* paths follow the vendor's reference (``NOTES.md``), which wins over the
  ``.txt``'s abbreviated example: ``/api/external/v2/statistics/bylevel/
  {level}/updatedAfter/{YYYY-MM-DD}/groupbymedia`` and the
  ``{periodStart}/{periodEnd}`` variant; the deprecated v1 only where v2
  answers 404 (tried once, then kept).
* collections are ``{"data", "total", "take", "skip"}``; a bare list (an
  endpoint without paging, which the doc allows) is taken as the whole set.
  Pages are read with ``Take``/``Skip`` until ``total`` rows arrived; a page
  that ends early raises, so a caller never mistakes half a set for all.
* rows: unknown fields are ignored, nulls stay ``None``; a row without item
  key, start or any value is skipped, not fatal; a missing ``stopDate`` is
  the next month's start (statistics are monthly). Times are ISO 8601 with or
  without offset (none means UTC, "timestamps are in UTC"), with up to seven
  fractional digits (.NET).
* strict about values: a row that cannot be read unambiguously is skipped
  (one warning per response says how many and why), never guessed: a time
  that has no UTC form (year 1 with a positive offset, 9999 with a negative
  one), a period that ends before it starts, or one that is not a month long
  (statistics are monthly; a "month" of a day or a year would land in the
  wrong month). The rest of the response is used.
* secrets: the vendor may echo the request (the form with the password and
  the client secret) in an error body; every error text is redacted.
* Retry-After is a promise: until it has passed the client answers every
  call itself with :class:`MomentumEnergiRateLimitError` and sends nothing.
"""

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import json
import logging
import re
from typing import Any, Final

import aiohttp

from .common.api_helpers import (
    BearerToken,
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

DEFAULT_URL: Final = "https://api-rc.momentum.se"
DEFAULT_CLIENT_ID: Final = "external_access"
"""Preregistered by Momentum for every customer (the doc's table)."""
SCOPE: Final = "external_access"
TOKEN_LIFETIME: Final = timedelta(hours=1)
TOKEN_RENEW_MARGIN: Final = timedelta(minutes=5)
REQUEST_TIMEOUT: Final = 60.0
PAGE_SIZE: Final = 3000
"""The documented default page; the maximum is 10,000, but smaller pages
keep each answer well inside the timeout on a slow link."""
TOKEN_PATH: Final = "/identity/connect/token"
API_VERSIONS: Final = ("v2", "v1")
"""Newest first; v1 is deprecated but documented (NOTES.md)."""
MAX_PAGES: Final = 1000
"""A guard against a server whose ``total`` never comes within reach."""
MIN_PERIOD: Final = timedelta(days=27)
MAX_PERIOD: Final = timedelta(days=32)
"""A monthly row spans 28 to 31 days; a day of slack for offsets and DST."""

_TOKEN_HEADERS: Final = (
    "access_token",
    "access-token",
    "x-access-token",
    "authorization",
    "token",
)
_JWT: Final = re.compile(r"(?:Bearer\s+)?(eyJ[\w-]*\.[\w-]+\.[\w-]*)$", re.IGNORECASE)


class MomentumEnergiError(VendorError):
    """Base of every error this client raises."""


class MomentumEnergiConnectionError(MomentumEnergiError, VendorConnectionError):
    """The API could not be reached or did not answer in time."""


class MomentumEnergiAuthenticationError(MomentumEnergiError, VendorAuthenticationError):
    """The user name or password was refused (``invalid_grant``, or 401)."""


class MomentumEnergiClientAuthError(MomentumEnergiAuthenticationError):
    """The client id or client secret was refused (``invalid_client``)."""


class MomentumEnergiRateLimitError(MomentumEnergiError, VendorRateLimitError):
    """HTTP 429; the doc recommends exponential backoff."""

    def __init__(self, retry_after: float | None) -> None:
        """Keep the server's Retry-After, in seconds, when it gave one."""
        super().__init__(f"Rate limited; retry after {retry_after} s", retry_after)


class MomentumEnergiResponseError(MomentumEnergiError, VendorResponseError):
    """The API answered with an error status or a body we cannot read."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status (None when the body was the problem)."""
        super().__init__(message)
        self.status = status


class MomentumEnergiForbiddenError(MomentumEnergiResponseError):
    """HTTP 403: the API user's rights do not cover the request."""


class MomentumEnergiNotFoundError(MomentumEnergiResponseError):
    """HTTP 404: e.g. a structure level the customer does not use."""


@dataclass(frozen=True, slots=True)
class StructureItem:
    """A node of the customer's structure (division, estate, building, tenant)."""

    key: str
    parent_key: str | None
    name: str | None
    number: str | None
    level: str | None
    level_name: str | None

    @property
    def display_name(self) -> str:
        """Return the item's name, else its number, else its key."""
        return self.name or self.number or self.key


@dataclass(frozen=True, slots=True)
class StatisticRow:
    """One period (a month) of one item and medium; times are aware UTC."""

    item_key: str
    usage_type: str | None
    media_class: str | None
    media_type: str | None
    start: datetime
    stop: datetime
    consumption_unit: str | None
    consumption: float | None
    consumption_normalized: float | None
    energy_unit: str | None
    energy: float | None
    energy_normalized: float | None
    last_updated: datetime | None

    @property
    def medium(self) -> str:
        """Return the name of the row's medium (or usage, when so grouped)."""
        return self.media_type or self.media_class or self.usage_type or "unknown"

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> StatisticRow | None:
        """Parse one row; None when it lacks what cannot be done without."""
        parsed = cls.parse(row)
        return parsed if isinstance(parsed, StatisticRow) else None

    @classmethod
    def parse(cls, row: Mapping[str, Any]) -> StatisticRow | str | None:
        """Parse one row; the reason it is unreadable, or None when it is empty.

        None (a row without key, start or any value) is not an error: the
        API writes unset fields as null. A reason is: the row says something
        that cannot be read unambiguously, so it is skipped, never guessed.
        """
        key = as_str(row.get("itemKey"))
        start_text = row.get("startDate")
        start = as_datetime(start_text)
        consumption = as_number(row.get("consumption"))
        energy = as_number(row.get("energy"))
        if key is None or (consumption is None and energy is None):
            return None
        if start is None:
            return "unreadable startDate" if start_text is not None else None
        stop_text = row.get("stopDate")
        if stop_text is None:
            # Statistics are monthly (the vendor's reference): a missing
            # stopDate is the start of the next month.
            stop = _next_month(str(start_text))
        else:
            stop = as_datetime(stop_text)
        if stop is None:
            return "unreadable or out-of-range period"
        if stop <= start:
            return "stopDate not after startDate"
        if not MIN_PERIOD <= stop - start <= MAX_PERIOD:
            return "period is not one month"
        return cls(
            item_key=key,
            usage_type=as_str(row.get("usageType")),
            media_class=as_str(row.get("mediaClass")),
            media_type=as_str(row.get("mediaType")),
            start=start,
            stop=stop,
            consumption_unit=as_str(row.get("consumptionUnit")),
            consumption=consumption,
            consumption_normalized=as_number(row.get("consumptionNormalized")),
            energy_unit=as_str(row.get("energyUnit")),
            energy=energy,
            energy_normalized=as_number(row.get("energyNormalized")),
            last_updated=as_datetime(row.get("lastUpdated")),
        )


class MomentumEnergiClient:
    """Client for one Momentum Energi API user."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        username: str,
        password: str,
        client_secret: str,
        *,
        url: str = DEFAULT_URL,
        client_id: str = DEFAULT_CLIENT_ID,
        request_timeout: float = REQUEST_TIMEOUT,
        page_size: int | None = None,
    ) -> None:
        """Create a client; ``session`` is owned by the caller."""
        self._session = session
        self._username = username
        self._password = password
        self._client_secret = client_secret
        self._client_id = client_id
        self._url = validate_base_url(url)
        self._timeout = request_timeout
        self._page_size = page_size or PAGE_SIZE
        self._version: str | None = None
        self._gate = RetryGate()
        self._token = BearerToken(
            self._fetch_token, lifetime=TOKEN_LIFETIME, margin=TOKEN_RENEW_MARGIN
        )

    @property
    def _secrets(self) -> tuple[str, ...]:
        """Return what must never appear in a log line or an error message."""
        return (self._password, self._client_secret)

    @property
    def token_requests(self) -> int:
        """Return how many tokens this client has asked for (diagnostics, tests)."""
        return self._token.requests

    async def authenticate(self) -> None:
        """Get a fresh token; raises when the credentials are refused."""
        await self._token.renew()

    async def structure(self, level: str) -> list[StructureItem]:
        """Return the items of one structure level (``R``, ``E``, ``B``, ``A``)."""
        items = []
        path = f"/api/external/{{v}}/structure/{quote_segment(level)}"
        for row in await self._versioned(path):
            if (key := as_str(row.get("key"))) is None:
                continue
            items.append(
                StructureItem(
                    key=key,
                    parent_key=as_str(row.get("parentKey")),
                    name=as_str(row.get("name")),
                    number=as_str(row.get("number")),
                    level=as_str(row.get("level")),
                    level_name=as_str(row.get("levelName")),
                )
            )
        return items

    async def statistics_updated_after(
        self, level: str, after: date
    ) -> list[StatisticRow]:
        """Return the rows of a level updated after the day ``after``."""
        return await self._statistics(
            f"/api/external/{{v}}/statistics/bylevel/{quote_segment(level)}/updatedAfter/"
            f"{after.isoformat()}/groupbymedia"
        )

    async def statistics_period(
        self, level: str, start: date, end: date
    ) -> list[StatisticRow]:
        """Return the rows of a level for the periods from ``start`` to ``end``."""
        return await self._statistics(
            f"/api/external/{{v}}/statistics/bylevel/{quote_segment(level)}/"
            f"{start.isoformat()}/{end.isoformat()}/groupbymedia"
        )

    async def _statistics(self, template: str) -> list[StatisticRow]:
        rows: list[StatisticRow] = []
        skipped: Counter[str] = Counter()
        received = await self._versioned(template)
        for row in received:
            parsed = StatisticRow.parse(row)
            if isinstance(parsed, StatisticRow):
                rows.append(parsed)
            elif parsed is None:
                _LOGGER.debug("Skipping a statistics row without key, start or value")
            else:
                skipped[parsed] += 1
        if skipped:
            _LOGGER.warning(
                "Skipped %d of %d Momentum Energi statistics rows that cannot be "
                "read unambiguously: %s",
                skipped.total(),
                len(received),
                ", ".join(f"{reason} ({n})" for reason, n in sorted(skipped.items())),
            )
        return rows

    async def _versioned(self, template: str) -> list[Mapping[str, Any]]:
        """Read a collection from v2, or from the deprecated v1 where v2 is missing.

        Both are documented; a server that has dropped neither answers v2. The
        version that answered is kept, so the fallback costs one call once.
        """
        versions = (self._version,) if self._version else API_VERSIONS
        for version in versions[:-1]:
            try:
                rows = await self._paged(template.format(v=version))
            except MomentumEnergiNotFoundError:
                _LOGGER.debug("API %s answered 404; trying %s", version, versions[-1])
                continue
            self._version = version
            return rows
        rows = await self._paged(template.format(v=versions[-1]))
        self._version = versions[-1]
        return rows

    async def _paged(self, path: str) -> list[Mapping[str, Any]]:
        """Read every page of a collection."""
        rows: list[Mapping[str, Any]] = []
        for _ in range(MAX_PAGES):
            data = await self._get(
                path, params={"Take": str(self._page_size), "Skip": str(len(rows))}
            )
            if isinstance(data, list):
                return [row for row in data if isinstance(row, Mapping)]
            if not isinstance(data, Mapping) or not isinstance(
                page := data.get("data"), list
            ):
                raise MomentumEnergiResponseError("expected a {data: [...]} envelope")
            rows.extend(row for row in page if isinstance(row, Mapping))
            total = as_number(data.get("total"))
            if total is None:
                # Without a total, a short page is the last one.
                if len(page) < self._page_size:
                    return rows
            elif len(rows) >= total:
                return rows
            if not page:
                raise MomentumEnergiResponseError(
                    f"page at {len(rows)} of {total} rows came back empty"
                )
        raise MomentumEnergiResponseError("too many pages")

    async def _get(self, path: str, *, params: dict[str, str]) -> Any:
        """GET a resource, renewing the token once on a 401."""

        async def request(token: str) -> Any:
            body, status, _ = await self._request(
                "GET",
                path,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            return _json(body, status)

        return await self._token.call(
            request,
            MomentumEnergiAuthenticationError,
            denied=lambda err: MomentumEnergiResponseError(
                "Momentum Energi refused a token it had just issued "
                "(the API user's rights or the vendor)",
                401,
            ),
        )

    async def _fetch_token(self) -> tuple[str, float | None]:
        """Ask for a token (resource-owner password grant)."""
        try:
            body, status, headers = await self._request(
                "POST",
                TOKEN_PATH,
                form={
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "grant_type": "password",
                    "username": self._username,
                    "password": self._password,
                    "scope": SCOPE,
                },
            )
        except (MomentumEnergiForbiddenError, MomentumEnergiNotFoundError) as err:
            # 403/404 from the token endpoint say nothing about levels or
            # rights: the base URL points at something that is not Momentum.
            raise MomentumEnergiResponseError(
                f"No token endpoint at {host_of(self._url)}: {err}", err.status
            ) from err
        data: Any = None
        if body.strip():
            data = _json(body, status)
        token, expires_in = _token_from(data, headers)
        if token is None:
            raise MomentumEnergiResponseError("token answer carries no access token")
        return token, expires_in

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        url = f"{self._url}{path}"
        self._gate.check(MomentumEnergiRateLimitError)
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    method, url, params=params, headers=headers, data=form
                ) as response:
                    body = await response.read()
                    status = response.status
                    response_headers = dict(response.headers)
        except TimeoutError as err:
            raise MomentumEnergiConnectionError(
                f"Timeout talking to {host_of(self._url)}"
            ) from err
        except aiohttp.ClientError as err:
            raise MomentumEnergiConnectionError(
                f"Error talking to {host_of(self._url)}: "
                f"{redact(str(err), self._secrets)}"
            ) from err
        if status < 300:
            return body, status, response_headers
        message = error_message(body, self._secrets)
        code = _oauth_error(body)
        if status == 400 and (
            code == "invalid_grant" or (code is None and path == TOKEN_PATH)
        ):
            # OAuth says invalid_grant; a server that answers the token request
            # with a bare 400 {"message"} means the same (the form is complete).
            raise MomentumEnergiAuthenticationError("User name or password refused")
        if code == "invalid_client":
            raise MomentumEnergiClientAuthError("Client id or secret refused")
        if status == 401:
            raise MomentumEnergiAuthenticationError("Unauthorized")
        if status == 403:
            raise MomentumEnergiForbiddenError(f"Forbidden: {message}", status)
        if status == 404:
            raise MomentumEnergiNotFoundError(f"Not found: {message}", status)
        if status == 429:
            retry_after = parse_retry_after(response_headers.get("Retry-After"))
            self._gate.hold(retry_after)
            raise MomentumEnergiRateLimitError(retry_after)
        raise MomentumEnergiResponseError(f"HTTP {status}: {message}", status)


def _next_month(start: str) -> datetime | None:
    """Return the next month's start of an ISO time, in UTC; None if out of range.

    Counted in the offset the API wrote (its local midnight): in UTC the
    first of April is the 31st of March, which has no "next month" day.
    """
    try:
        moment = datetime.fromisoformat(start.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        index = moment.year * 12 + moment.month
        return moment.replace(year=index // 12, month=index % 12 + 1).astimezone(UTC)
    except ValueError, OverflowError:
        return None


def _json(body: bytes, status: int) -> Any:
    try:
        return json.loads(body)
    except ValueError as err:
        raise MomentumEnergiResponseError(
            "Malformed JSON in the response", status
        ) from err


def _oauth_error(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return as_str(data.get("error")) if isinstance(data, Mapping) else None


def _token_from(
    data: Any, headers: Mapping[str, str]
) -> tuple[str | None, float | None]:
    """Return (token, expires_in seconds) from a body or the headers."""
    lowered = {key.lower(): value for key, value in headers.items()}
    body = data if isinstance(data, Mapping) else {}
    expires_in = as_number(body.get("expires_in"))
    if expires_in is None:
        expires_in = as_number(lowered.get("expires_in") or lowered.get("expires-in"))
    if expires_in is not None and expires_in <= 0:
        expires_in = None
    for key in ("access_token", "accessToken", "token"):
        if token := as_str(body.get(key)):
            return token, expires_in
    for name in _TOKEN_HEADERS:
        if (value := lowered.get(name)) and (match := _JWT.match(value.strip())):
            return match.group(1), expires_in
        if name == "access_token" and value:
            return value.strip(), expires_in
    for value in lowered.values():
        if match := _JWT.match(value.strip()):
            return match.group(1), expires_in
    return None, expires_in
