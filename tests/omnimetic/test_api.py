"""The Omnimetic API client on its own, against scripted answers (no simulator, no HA).

Answers come from the ``mocked`` loopback server of ``tests/conftest.py``.
"""

from datetime import UTC, date, datetime

from aiohttp import ClientSession
import pytest

from custom_components.omnimetic.api import (
    OmnimeticAuthenticationError,
    OmnimeticClient,
    OmnimeticConnectionError,
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


async def test_range_split_on_400_and_chunking(
    client: ClientSession, mocked: Replies
) -> None:
    """Long ranges go a month at a time; a refused range is split in two."""
    api = OmnimeticClient(
        client, "id", "secret", url=f"{mocked.base}/api", request_timeout=0.2
    )
    _token(mocked)
    mocked.get(status=400, payload={"message": "range too long"})
    mocked.get(
        payload=[{"date": "2026-01-01T00:00:00Z", "hour": "00:00", "totalUsage": 1}]
    )
    mocked.get(
        payload=[{"date": "2026-01-20T00:00:00Z", "hour": "00:00", "totalUsage": 2}]
    )
    mocked.get(
        payload=[{"date": "2026-02-05T00:00:00Z", "hour": "00:00", "totalUsage": 3}]
    )
    readings = await api.interval_data(USA, date(2026, 1, 1), date(2026, 2, 10))
    assert [r.total_kwh for r in readings] == [1.0, 2.0, 3.0]


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
    with pytest.raises(OmnimeticAuthenticationError):
        await api.service_account_info(USA)
    assert api.token_requests == 3
    mocked.get(status=429, headers={"Retry-After": "17"})
    with pytest.raises(OmnimeticRateLimitError) as err:
        await api.service_account_info(USA)
    assert err.value.retry_after == 17
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
