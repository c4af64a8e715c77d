"""The Omnimetic API client on its own, against scripted answers (no simulator, no HA).

Answers come from the ``mocked`` loopback server of ``tests/conftest.py``.
"""

from datetime import UTC, date, datetime

from aiohttp import ClientSession
import pytest

from custom_components.omnimetic.api import (
    OmnimeticAuthenticationError,
    OmnimeticBadRequestError,
    OmnimeticClient,
    OmnimeticConnectionError,
    OmnimeticNotFoundError,
    OmnimeticRateLimitError,
    OmnimeticResponseError,
)
from tests.conftest import Replies

USA = "usa1"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed for client tests."""


def _token(mocked: Replies, times: int = 1) -> None:
    for _ in range(times):
        mocked.post(payload={"id": "acc", "token": "not-a-jwt"})


async def test_interval_both_date_readings(
    client: ClientSession, mocked: Replies
) -> None:
    """`date` as the hour's start, and `date` as a day start with `hour` as offset."""
    api = OmnimeticClient(
        client, "id", "secret", url=f"{mocked.base}/api", request_timeout=0.2
    )
    _token(mocked)
    mocked.get(
        payload=[
            {
                "date": "2023-10-07T23:00:00.000Z",
                "hour": "23:00",
                "onPeakUsage": 0,
                "offPeakUsage": 4.72,
                "totalUsage": 1,
            },
            {
                "date": "2023-10-08T00:00:00.000Z",
                "hour": "00:00",
                "onPeakUsage": 1,
                "offPeakUsage": 2,
                "extra": "x",
            },
            {"hour": "01:00", "totalUsage": 3},
            "garbage",
        ],
    )
    mocked.get(
        payload={
            "data": [
                {"date": "2023-10-09T00:00:00Z", "hour": "05:00", "totalUsage": "0.5"},
                {"date": "2023-10-09T00:00:00Z", "hour": "06:00", "totalUsage": 0.25},
            ]
        },
    )
    first = await api.interval_data(USA, date(2023, 10, 7), date(2023, 10, 8))
    second = await api.interval_data(USA, date(2023, 10, 9), date(2023, 10, 9))
    assert [(r.start, r.total_kwh) for r in first] == [
        (datetime(2023, 10, 7, 23, tzinfo=UTC), 1.0),
        (datetime(2023, 10, 8, 0, tzinfo=UTC), 3.0),
    ]
    assert [(r.start, r.total_kwh) for r in second] == [
        (datetime(2023, 10, 9, 5, tzinfo=UTC), 0.5),
        (datetime(2023, 10, 9, 6, tzinfo=UTC), 0.25),
    ]


async def test_range_limit_found_once_and_remembered(
    client: ClientSession, mocked: Replies
) -> None:
    """12.3: a refused range is told from other 400s by one day, then halved and remembered."""
    api = OmnimeticClient(
        client, "id", "secret", url=f"{mocked.base}/api", request_timeout=0.2
    )
    _token(mocked)
    mocked.get(status=400, payload={"message": "range too long"})  # 15 days
    mocked.get(payload=[_row("2026-01-01T00:00:00Z", 1)])  # 1 day: a range limit
    mocked.get(status=400, payload={"message": "range too long"})  # 7 days
    mocked.get(payload=[_row("2026-01-02T00:00:00Z", 2)])  # 3 days
    for day in (5, 8, 11, 14):
        mocked.get(payload=[_row(f"2026-01-{day:02}T00:00:00Z", day)])
    readings = await api.interval_data(USA, date(2026, 1, 1), date(2026, 1, 15))
    assert [r.total_kwh for r in readings] == [1.0, 2.0, 5.0, 8.0, 11.0, 14.0]
    assert api.range_days == 3
    ranges = [p.split("startDate=")[1] for p in mocked.paths if "startDate" in p]
    assert ranges == [
        "2026-01-01&endDate=2026-01-15",
        "2026-01-01&endDate=2026-01-01",
        "2026-01-02&endDate=2026-01-08",
        "2026-01-02&endDate=2026-01-04",
        "2026-01-05&endDate=2026-01-07",
        "2026-01-08&endDate=2026-01-10",
        "2026-01-11&endDate=2026-01-13",
        "2026-01-14&endDate=2026-01-15",
    ]
    # The next call asks for the accepted range straight away.
    mocked.paths.clear()
    mocked.get(payload=[])
    mocked.get(payload=[])
    await api.interval_data(USA, date(2026, 2, 1), date(2026, 2, 6))
    assert [p.split("startDate=")[1] for p in mocked.paths] == [
        "2026-02-01&endDate=2026-02-03",
        "2026-02-04&endDate=2026-02-06",
    ]


async def test_other_bad_request_is_not_split(
    client: ClientSession, mocked: Replies
) -> None:
    """12.3: a 400 that a single day gets too is an error, not a range to split."""
    api = OmnimeticClient(
        client, "id", "secret", url=f"{mocked.base}/api", request_timeout=0.2
    )
    _token(mocked)
    mocked.get(status=400, payload={"message": "unknown parameter"})
    mocked.get(status=400, payload={"message": "unknown parameter"})
    with pytest.raises(OmnimeticBadRequestError, match="unknown parameter"):
        await api.interval_data(USA, date(2026, 1, 1), date(2026, 3, 1))
    assert len(mocked.paths) == 3  # token, the range, one day
    assert api.range_days == 31


def _row(when: str, total: float, hour: str | None = None) -> dict[str, object]:
    return {"date": when, "hour": hour or when[11:16], "totalUsage": total}


async def test_historical_months_tolerant(
    client: ClientSession, mocked: Replies
) -> None:
    """Month names, numbers and abbreviations; Wh to kWh; cents kept."""
    api = OmnimeticClient(
        client, "id", "secret", url=f"{mocked.base}/api", request_timeout=0.2
    )
    _token(mocked)
    mocked.get(
        payload=[
            {
                "month": "August",
                "year": 2023,
                "energyConsumptionInWatts": 677270.4,
                "amountInCents": 1128,
            },
            {"month": 9, "energyConsumptionInWatts": None},
            {"month": "Oct"},
            {"month": "13"},
            {"month": True},
        ],
    )
    months = await api.historical_data(USA, 2023)
    assert [(m.month, m.energy_kwh, m.amount) for m in months] == [
        (8, pytest.approx(677.2704), 11.28),
        (9, None, None),
        (10, None, None),
    ]


async def test_errors_are_typed(client: ClientSession, mocked: Replies) -> None:
    """Each failure maps to its exception; 401 on data renews the token once."""
    api = OmnimeticClient(
        client, "id", "secret", url=f"{mocked.base}/api", request_timeout=0.2
    )
    mocked.post(status=401, payload={"message": "no"})
    with pytest.raises(OmnimeticAuthenticationError):
        await api.authenticate()
    for _ in range(2):  # token, refused call, renewed token, refused again
        _token(mocked)
        mocked.get(status=401)
    # 8.9: the token endpoint accepted the credentials, so a data 401 is
    # a permission or vendor problem, not a wrong secret (no reauth).
    with pytest.raises(OmnimeticResponseError, match="just issued") as refused:
        await api.service_account_info(USA)
    assert not isinstance(refused.value, OmnimeticAuthenticationError)
    assert api.token_requests == 3
    mocked.get(status=429, headers={"Retry-After": "0"})
    with pytest.raises(OmnimeticRateLimitError) as err:
        await api.service_account_info(USA)
    assert err.value.retry_after == 0
    mocked.get(status=429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    with pytest.raises(OmnimeticRateLimitError) as err:
        await api.service_account_info(USA)
    assert err.value.retry_after == 0
    mocked.get(status=503, body="down")
    with pytest.raises(OmnimeticResponseError, match="HTTP 503: down"):
        await api.service_account_info(USA)
    mocked.get(body="{not json", content_type="application/json")
    with pytest.raises(OmnimeticResponseError, match="Malformed"):
        await api.service_account_info(USA)
    mocked.get(payload=[1, 2])
    with pytest.raises(OmnimeticResponseError):
        await api.service_account_info(USA)
    mocked.get(delay=1.0, payload={})
    with pytest.raises(OmnimeticConnectionError, match="Timeout"):
        await api.service_account_info(USA)
    mocked.post(payload={"token": "x"})
    with pytest.raises(OmnimeticResponseError, match="no id and token"):
        await api.authenticate()


async def test_duplicate_row_shifts_nothing(
    client: ClientSession, mocked: Replies, caplog: pytest.LogCaptureFixture
) -> None:
    """8.1: each row is read on its own; a repeated hour keeps its last row, logged once."""
    api = OmnimeticClient(client, "id", "secret", url=f"{mocked.base}/api")
    _token(mocked)
    mocked.get(
        payload=[
            _row("2026-01-01T05:00:00.000Z", 1.0),
            _row("2026-01-01T06:00:00.000Z", 2.0),
            _row("2026-01-01T06:00:00.000Z", 2.5),
            _row("2026-01-01T06:00:00.000Z", 3.0),
            # The other reading, in the same response: a day plus an hour.
            _row("2026-01-02T00:00:00.000Z", 4.0, hour="07:00"),
            # Fits neither reading: skipped, never guessed.
            _row("2026-01-02T05:00:00.000Z", 9.0, hour="07:00"),
            # A midnight in its own offset plus an hour.
            _row("2026-01-03T00:00:00-05:00", 5.0, hour="02:00"),
            _row("2026-01-03T00:00:00.000Z", 6.0, hour="bogus"),
        ]
    )
    readings = await api.interval_data(USA, date(2026, 1, 1), date(2026, 1, 3))
    assert [(r.start, r.total_kwh) for r in readings] == [
        (datetime(2026, 1, 1, 5, tzinfo=UTC), 1.0),
        (datetime(2026, 1, 1, 6, tzinfo=UTC), 3.0),
        (datetime(2026, 1, 2, 7, tzinfo=UTC), 4.0),
        (datetime(2026, 1, 3, 7, tzinfo=UTC), 5.0),
    ]
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "2 repeated hours" in warnings[0].getMessage()
    assert "2 rows whose date and hour fit neither reading" in warnings[0].getMessage()


async def test_unreadable_values_and_dates_are_skipped(
    client: ClientSession, mocked: Replies
) -> None:
    """8.3/8.4: no out-of-range date, year or value raises or gets through."""
    api = OmnimeticClient(client, "id", "secret", url=f"{mocked.base}/api")
    _token(mocked)
    mocked.get(
        payload=[
            _row("9999-12-31T23:00:00-05:00", 1.0),
            _row("0001-01-01T00:00:00+05:00", 1.0),
            _row("9999-12-31T00:00:00+00:00", 1.0, hour="23:00"),
            _row("2026-01-01T00:00:00Z", 1e307),
            _row("2026-01-01T01:00:00Z", -500.0),
            {"date": "2026-01-01T02:00:00Z", "hour": "02:00", "totalUsage": None},
            {"date": "2026-01-01T03:00:00Z", "hour": "03:00", "onPeakUsage": -1},
            _row("2026-01-01T04:00:00Z", 0.5),
        ]
    )
    readings = await api.interval_data(USA, date(2026, 1, 1), date(2026, 1, 1))
    assert [(r.start, r.total_kwh) for r in readings] == [
        (datetime(2026, 1, 1, 4, tzinfo=UTC), 0.5),
        # A far-future hour is readable; the coordinator drops it.
        (datetime(9999, 12, 31, 23, tzinfo=UTC), 1.0),
    ]
    mocked.get(
        payload=[
            {"month": "May", "year": 99999, "amountInCents": 1},
            {"month": "May", "year": -1, "amountInCents": 1},
            {"month": "May", "year": 1e308, "amountInCents": 1},
            {"month": "May", "year": 2026.5, "amountInCents": 1},
            {"month": "June", "energyConsumptionInWatts": 1e307},
            {"month": "July", "amountInCents": -5},
            {"month": "August", "amountInCents": 1e300},
            {"month": "1000000000000000000000"},
            {"month": "September", "amountInCents": 1234},
        ]
    )
    months = await api.historical_data(USA, 2026)
    assert [(m.year, m.month, m.amount_cents) for m in months] == [
        (2026, 7, None),
        (2026, 8, None),
        (2026, 9, 1234),
    ]


@pytest.mark.parametrize(
    "service_account_id",
    ["..", ".", "../../../access-token", "x/../y", "a?b", "a#b", "%2F", "ab cd"],
)
async def test_ids_stay_in_their_path_segment(
    client: ClientSession, mocked: Replies, service_account_id: str
) -> None:
    """8.6: a hostile id never reaches another path; a dots-only one is refused."""
    api = OmnimeticClient(client, "id", "secret", url=f"{mocked.base}/api")
    mocked.post(payload={"id": "acc/../..", "token": "t"})
    mocked.get(payload={"id": "x"})
    if set(service_account_id) == {"."}:
        with pytest.raises(OmnimeticResponseError, match="not usable"):
            await api.service_account_info(service_account_id)
        return
    await api.service_account_info(service_account_id)
    request = mocked.requests[-1]
    assert request.raw_path.startswith("/api/accounts/acc%2F..%2F../")
    assert request.raw_path.endswith("/info")
    segments = request.raw_path.split("/")
    assert len(segments) == 7  # "", api, accounts, acc, usa, id, info
    assert segments[3:5] == ["acc%2F..%2F..", "utility-service-accounts"]


async def test_vendor_text_is_redacted(client: ClientSession, mocked: Replies) -> None:
    """8.10: an error body echoing the request never carries the secret on."""
    secret = "s3cret-value-123"
    api = OmnimeticClient(client, "client-id-42", secret, url=f"{mocked.base}/api")
    mocked.post(status=500, body=f"clientId=client-id-42&secret={secret} failed")
    with pytest.raises(OmnimeticResponseError) as err:
        await api.authenticate()
    assert secret not in str(err.value)
    assert "client-id-42" not in str(err.value)
    assert "REDACTED" in str(err.value)


async def test_retry_after_is_kept_by_the_client(
    client: ClientSession, mocked: Replies
) -> None:
    """12.9: during a 429's Retry-After nothing reaches the server."""
    api = OmnimeticClient(client, "id", "secret", url=f"{mocked.base}/api")
    _token(mocked)
    mocked.get(status=429, headers={"Retry-After": "20"})
    with pytest.raises(OmnimeticRateLimitError):
        await api.service_account_info(USA)
    sent = len(mocked.paths)
    with pytest.raises(OmnimeticRateLimitError) as err:
        await api.service_account_info(USA)
    assert err.value.retry_after is not None
    assert 0 < err.value.retry_after <= 20
    assert len(mocked.paths) == sent


async def test_export_streams_only_workbooks(
    client: ClientSession, mocked: Replies
) -> None:
    """8.12: the export is streamed, checked to be a zip, and capped."""
    api = OmnimeticClient(client, "id", "secret", url=f"{mocked.base}/api")
    _token(mocked)
    chunks: list[bytes] = []

    async def write(chunk: bytes) -> None:
        chunks.append(chunk)

    mocked.get(body="<html>Error</html>", content_type="text/html")
    with pytest.raises(OmnimeticResponseError, match=r"not an \.xlsx"):
        await api.download_data(USA, write)
    mocked.get(body="PK")
    with pytest.raises(OmnimeticResponseError, match=r"not an \.xlsx"):
        await api.download_data(USA, write)
    assert chunks == []
    mocked.get(body="PK\x03\x04" + "x" * 2000)
    with pytest.raises(OmnimeticResponseError, match="larger than 1000"):
        await api.download_data(USA, write, max_bytes=1000)
    chunks.clear()
    mocked.get(body="PK\x03\x04rest")
    assert await api.download_data(USA, write) == 8
    assert b"".join(chunks) == b"PK\x03\x04rest"
    mocked.get(status=404, body="gone")
    with pytest.raises(OmnimeticNotFoundError):
        await api.download_data(USA, write)
