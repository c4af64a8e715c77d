"""Simulator of the Omnimetic (Omniconnect) utility-data API.

Follows ``shared/vendor-api/omnimetic.txt`` literally where it is precise and
fills its gaps as follows (the client must not depend on these choices):

* served under ``/api`` like the reference's ``https://app.omnimetic.com/api``,
  so clients are tested with a base URL that has a path;
* ``POST /access-token`` takes JSON (the doc's curl) or a form body (the doc's
  introduction says form-encoded); the token is an HS256 JWT that expires one
  hour after issue;
* interval rows are one per UTC hour: ``date`` is the hour's start in UTC and
  ``hour`` its ``HH:MM``; values are kWh; ``totalUsage = on + off``;
  ``startDate``/``endDate`` are inclusive UTC days, at most 92 days apart;
* data lags real time by ``lag`` (default 24 h), like a utility's meter data;
* historical rows are calendar months in the service account's time zone,
  ``*InWatts`` fields are energy in Wh, ``amountInCents`` the bill in cents;
  the running month appears with what is known so far;
* ``download-data`` answers a small .xlsx of the last 31 days of intervals.

Switches for hostile data (``hostile``, a set of the names below) put one
bad row of each kind into every interval or historical answer, as a broken
vendor would: see :data:`HOSTILE_INTERVAL` and :data:`HOSTILE_BILL`.
``publish_hour`` makes the utility publish a day at a time (at that UTC hour,
the previous UTC day appears), as many do; by default every hour appears
``lag`` after it ended.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import io
import secrets
from typing import Any, override
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile
from zoneinfo import ZoneInfo

from aiohttp import web

from .framework import Simulator, TokenStore, json_error
from .synthetic import HOUSEHOLD, LoadProfile, SyntheticMeter

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip

MAX_INTERVAL_DAYS = 92

HOSTILE_INTERVAL = (
    "duplicate",  # the newest hour's row twice
    "future",  # a row dated 2036
    "infinite",  # the third-newest hour's usage is Infinity
    "huge",  # ... is 1e307 kWh
    "negative",  # ... is -500 kWh
    "null",  # ... has null usage everywhere
    "out_of_range_date",  # rows dated 9999-12-31T23:00-05:00 and 0001-01-01T00:00+05:00
)
"""Kinds of bad interval rows the simulator can serve."""
HOSTILE_BILL = (
    "null_amount",  # the newest month's amountInCents is null
    "nan_amount",  # ... is NaN
    "bad_year",  # extra rows with years 99999, -1 and 1e308
    "future_bill",  # an extra row for December 2099
)
"""Kinds of bad historical rows the simulator can serve."""
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _mongo_id() -> str:
    """Return a 24-hex-digit id like the vendor's MongoDB ObjectIds."""
    return secrets.token_hex(12)


@dataclass
class ServiceAccount:
    """One utility service account linked to the client's account."""

    id: str
    meter: SyntheticMeter
    tz: ZoneInfo
    on_peak_hours: range = range(7, 21)
    """Local hours (weekdays) billed at the on-peak rate."""
    on_peak_cents_per_kwh: float = 24.0
    off_peak_cents_per_kwh: float = 11.0
    linked: datetime = datetime(2023, 8, 10, 8, 50, 2, tzinfo=UTC)
    external_id: str = field(default_factory=_mongo_id)

    def is_on_peak(self, hour_start: datetime) -> bool:
        """Tell whether an hour is billed on-peak (weekday daytime, local)."""
        local = hour_start.astimezone(self.tz)
        return local.weekday() < 5 and local.hour in self.on_peak_hours

    def split(self, hour_start: datetime) -> tuple[float, float, float]:
        """Return (on-peak, off-peak, total) kWh of one hour."""
        total = self.meter.value(hour_start)
        return (
            (total, 0.0, total) if self.is_on_peak(hour_start) else (0.0, total, total)
        )


class OmnimeticSimulator(Simulator):
    """The Omnimetic API with one client account and its service accounts."""

    name = "omnimetic"
    prefix = "/api"

    CLIENT_ID = "e4de5af2-37ab-45a9-88fd-8949b045bf92"
    CLIENT_SECRET = "sim-secret-7f3c9a1e52b04d8e"
    SERVICE_ACCOUNT_ID = "64d4a4ba8061ed001f6159cf"

    def __init__(
        self,
        *,
        seed: int = 1,
        tz: str = "America/New_York",
        lag: timedelta = timedelta(hours=24),
        token_lifetime: timedelta = timedelta(hours=1),
        profile: LoadProfile = HOUSEHOLD,
        max_interval_days: int = MAX_INTERVAL_DAYS,
        day_rows: bool = False,
        wrapped: bool = False,
        publish_hour: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Create the simulator with one household service account."""
        super().__init__(seed=seed, **kwargs)
        # Other readings of the reference's gaps, for robustness tests:
        # a shorter maximum range, ``date`` as the day's start with ``hour``
        # as the offset, and lists wrapped in {"data": [...]}.
        self.max_interval_days = max_interval_days
        self.day_rows = day_rows
        self.wrapped = wrapped
        self.publish_hour = publish_hour
        self.hostile: set[str] = set()
        self.interval_ranges: list[tuple[date, date]] = []
        """Every (startDate, endDate) asked of interval-data, for tests."""
        """Names of HOSTILE_INTERVAL / HOSTILE_BILL switched on."""
        self.account_id = "61717f9aa817d400165cc85a"
        self.credentials = {self.CLIENT_ID: self.CLIENT_SECRET}
        self.tokens = TokenStore(token_lifetime, self.clock)
        self.lag = lag
        zone = ZoneInfo(tz)
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.add_service_account(self.SERVICE_ACCOUNT_ID, profile=profile, tz=zone)

    def add_service_account(
        self, service_account_id: str, *, profile: LoadProfile, tz: ZoneInfo
    ) -> ServiceAccount:
        """Link another service account (a second meter) to the account."""
        meter = SyntheticMeter(
            profile, seed=self.seed + len(self.service_accounts), tz=tz
        )
        account = ServiceAccount(service_account_id, meter, tz)
        self.service_accounts[service_account_id] = account
        return account

    def demo_credentials(self) -> dict[str, str]:
        """Return what a config entry needs to log in to this simulator."""
        return {
            "client_id": self.CLIENT_ID,
            "client_secret": self.CLIENT_SECRET,
            "service_account_id": self.SERVICE_ACCOUNT_ID,
        }

    # Ground truth for tests -------------------------------------------------

    def data_end(self) -> datetime:
        """Return the end of the newest published hour.

        Now minus the lag; with ``publish_hour``, the last UTC midnight before
        the day's publication time (a day at a time).
        """
        if self.publish_hour is not None:
            published = self.clock() - timedelta(hours=self.publish_hour)
            return published.replace(hour=0, minute=0, second=0, microsecond=0)
        return (self.clock() - self.lag).replace(minute=0, second=0, microsecond=0)

    def month_bounds(
        self, account: ServiceAccount, year: int, month: int
    ) -> tuple[datetime, datetime]:
        """Return a local calendar month as UTC [start, end)."""
        start = datetime(year, month, 1, tzinfo=account.tz)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=account.tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def month_summary(
        self, account: ServiceAccount, year: int, month: int
    ) -> dict[str, float]:
        """Return a month's on/off/total kWh and cents, as far as published."""
        start, end = self.month_bounds(account, year, month)
        on = off = 0.0
        for hour_start, _ in account.meter.hours(start, min(end, self.data_end())):
            hour_on, hour_off, _total = account.split(hour_start)
            on += hour_on
            off += hour_off
        cents = (
            on * account.on_peak_cents_per_kwh + off * account.off_peak_cents_per_kwh
        )
        return {
            "on_kwh": round(on, 3),
            "off_kwh": round(off, 3),
            "total_kwh": round(on + off, 3),
            "cents": round(cents),
        }

    # HTTP -------------------------------------------------------------------

    @override
    def routes(self) -> list[web.RouteDef]:
        base = (
            f"{self.prefix}/accounts/{{account_id}}/utility-service-accounts/{{usa_id}}"
        )
        return [
            web.post(
                f"{self.prefix}/access-token", self.access_token, name="access_token"
            ),
            web.get(f"{base}/info", self.info, name="info"),
            web.get(
                f"{base}/historical-data", self.historical_data, name="historical_data"
            ),
            web.get(f"{base}/interval-data", self.interval_data, name="interval_data"),
            web.get(f"{base}/download-data", self.download_data, name="download_data"),
        ]

    async def access_token(self, request: web.Request) -> web.Response:
        """Exchange client id and secret for a bearer token."""
        body: dict[str, Any]
        try:
            if request.content_type == "application/json":
                body = await request.json()
            else:
                body = dict(await request.post())
        except ValueError:
            return json_error(400, "Body must be JSON or form-encoded")
        if (
            not isinstance(body, dict)
            or not body.get("clientId")
            or not body.get("secret")
        ):
            return json_error(400, "clientId and secret are required")
        if self.credentials.get(str(body["clientId"])) != body["secret"]:
            return json_error(401, "Invalid client id or secret")
        issued = self.tokens.issue(self.account_id, accountId=self.account_id)
        return web.json_response({"id": self.account_id, "token": issued.token})

    def _authorize(
        self, request: web.Request, endpoint: str
    ) -> ServiceAccount | web.Response:
        """Check the bearer token and resolve the path's service account."""
        issued = self.tokens.validate(TokenStore.bearer(request))
        if issued is None or self.rejects_unauthorized(endpoint):
            return json_error(401, "Unauthorized access or invalid token")
        account_id = request.match_info["account_id"]
        account = self.service_accounts.get(request.match_info["usa_id"])
        if account_id != issued.subject or account is None:
            return json_error(404, "The requested resource doesn't exist")
        return account

    async def info(self, request: web.Request) -> web.Response:
        """Return the service account's details."""
        account = self._authorize(request, "info")
        if isinstance(account, web.Response):
            return account
        return web.json_response(
            {
                "id": account.id,
                "externalServiceAccountId": account.external_id,
                "address": {
                    "street": "12 Elm Street",
                    "city": "Springfield",
                    "state": "MA",
                    "postalCode": "01105",
                },
                "linkedDate": account.linked.isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z"
                ),
                "legalNames": ["Jordan Doe"],
            }
        )

    async def historical_data(self, request: web.Request) -> web.Response:
        """Return one row per (started) month of ``year``."""
        account = self._authorize(request, "historical_data")
        if isinstance(account, web.Response):
            return account
        try:
            year = int(request.query["year"])
        except KeyError, ValueError:
            return json_error(400, "year is required (YYYY)")
        if not 1970 <= year <= 9999:
            return json_error(400, "year out of range")
        if self.empty_page("historical_data"):
            return web.json_response([])
        rows = []
        newest = self.data_end()
        for month in range(1, 13):
            start, _ = self.month_bounds(account, year, month)
            if start >= newest:
                break
            summary = self.month_summary(account, year, month)
            rows.append(
                {
                    "id": _mongo_id(),
                    "utilityUserAccount": {"_id": self.account_id},
                    "serviceAccount": {"_id": account.id},
                    "utilityCompany": {"_id": "64a4167b4945ba8fb83f2b33"},
                    "month": MONTHS[month - 1],
                    "year": year,
                    "energyConsumptionInWatts": round(summary["total_kwh"] * 1000, 1),
                    "onPeakUsageInWatts": round(summary["on_kwh"] * 1000, 1),
                    "offPeakUsageInWatts": round(summary["off_kwh"] * 1000, 1),
                    "amountInCents": summary["cents"],
                }
            )
        self._spoil_bills(rows)
        return web.json_response({"data": rows} if self.wrapped else rows)

    def _spoil_bills(self, rows: list[dict[str, Any]]) -> None:
        """Apply the switched-on HOSTILE_BILL kinds to a historical answer."""
        if rows and "null_amount" in self.hostile:
            rows[-1]["amountInCents"] = None
        if rows and "nan_amount" in self.hostile:
            rows[-1]["amountInCents"] = float("nan")
        if "bad_year" in self.hostile:
            rows.extend(
                {"month": "March", "year": year, "amountInCents": 100}
                for year in (99999, -1, 1e308)
            )
        if "future_bill" in self.hostile:
            rows.append({"month": "December", "year": 2099, "amountInCents": 10**6})

    async def interval_data(self, request: web.Request) -> web.Response:
        """Return one row per published hour of the inclusive UTC day range."""
        account = self._authorize(request, "interval_data")
        if isinstance(account, web.Response):
            return account
        try:
            first = date.fromisoformat(request.query["startDate"])
            last = date.fromisoformat(request.query["endDate"])
        except KeyError, ValueError:
            return json_error(400, "startDate and endDate are required (YYYY-MM-DD)")
        self.interval_ranges.append((first, last))
        if last < first or (last - first).days >= self.max_interval_days:
            return json_error(
                400,
                "endDate must be on or after startDate, "
                f"at most {self.max_interval_days} days",
            )
        if self.empty_page("interval_data"):
            return web.json_response([])
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = min(
            datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1),
            self.data_end(),
        )
        rows = [
            self._interval_row(account, hour_start)
            for hour_start, _ in account.meter.hours(start, end)
        ]
        self._spoil_intervals(rows)
        return web.json_response({"data": rows} if self.wrapped else rows)

    def _spoil_intervals(self, rows: list[dict[str, Any]]) -> None:
        """Apply the switched-on HOSTILE_INTERVAL kinds to an interval answer."""
        if len(rows) >= 3:
            spoilt = rows[-3]
            if "infinite" in self.hostile:
                spoilt["totalUsage"] = float("inf")
            if "huge" in self.hostile:
                spoilt["totalUsage"] = 1e307
            if "negative" in self.hostile:
                spoilt["totalUsage"] = -500.0
            if "null" in self.hostile:
                spoilt.update(totalUsage=None, onPeakUsage=None, offPeakUsage=None)
        if rows and "duplicate" in self.hostile:
            rows.append(dict(rows[-1]))
        if "future" in self.hostile:
            rows.append(
                {"date": "2036-01-01T00:00:00.000Z", "hour": "00:00", "totalUsage": 1}
            )
        if "out_of_range_date" in self.hostile:
            rows.extend(
                {"date": date_text, "hour": hour, "totalUsage": 1}
                for date_text, hour in (
                    ("9999-12-31T23:00:00-05:00", "23:00"),
                    ("0001-01-01T00:00:00+05:00", "00:00"),
                )
            )

    def _interval_row(
        self, account: ServiceAccount, hour_start: datetime
    ) -> dict[str, Any]:
        on, off, total = account.split(hour_start)
        return {
            "id": _mongo_id(),
            "utilityUserAccount": {"_id": self.account_id},
            "serviceAccount": {"_id": account.id},
            "utilityCompany": {"_id": "64a4167b4945ba8fb83f2b33"},
            "date": (
                hour_start.strftime("%Y-%m-%dT00:00:00.000Z")
                if self.day_rows
                else hour_start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            ),
            "hour": hour_start.strftime("%H:%M"),
            "onPeakUsage": on,
            "offPeakUsage": off,
            "totalUsage": total,
        }

    async def download_data(self, request: web.Request) -> web.Response:
        """Return the last 31 days of intervals as an .xlsx workbook."""
        account = self._authorize(request, "download_data")
        if isinstance(account, web.Response):
            return account
        end = self.data_end()
        rows: list[tuple[str, str, float, float, float]] = [
            (
                hour_start.strftime("%Y-%m-%d"),
                hour_start.strftime("%H:%M"),
                *account.split(hour_start),
            )
            for hour_start, _ in account.meter.hours(end - timedelta(days=31), end)
        ]
        body = build_xlsx(
            ("Date", "Hour", "On peak (kWh)", "Off peak (kWh)", "Total (kWh)"), rows
        )
        return web.Response(
            body=body,
            content_type=XLSX_CONTENT_TYPE,
            headers={"Content-Disposition": 'attachment; filename="output.xlsx"'},
        )


def build_xlsx(
    header: tuple[str, ...], rows: list[tuple[str, str, float, float, float]]
) -> bytes:
    """Return a minimal one-sheet .xlsx (Office Open XML) workbook."""

    def cell(ref: str, value: str | float) -> str:
        if isinstance(value, str):
            return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        return f'<c r="{ref}"><v>{value}</v></c>'

    def row_xml(index: int, values: tuple[str | float, ...]) -> str:
        cells = "".join(
            cell(f"{chr(65 + col)}{index}", value) for col, value in enumerate(values)
        )
        return f'<row r="{index}">{cells}</row>'

    sheet_rows = [row_xml(1, header)] + [
        row_xml(i + 2, row) for i, row in enumerate(rows)
    ]
    ns = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            f"</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            f"</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            f'<sheet name="Usage" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            f"</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}/spreadsheetml/2006/main">'
            f"<sheetData>{''.join(sheet_rows)}</sheetData></worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with ZipFile(buffer, "w", ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
