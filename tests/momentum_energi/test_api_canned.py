"""The Momentum Energi client against canned replies (``aioresponses``).

Where a test only needs a reply to a request (no transport behaviour such as
timeouts or streaming), ``aioresponses`` from ``aioresponses-ng`` (the
maintained fork, same import name, works with aiohttp 3.14) answers inside
the client session; the loopback ``mocked`` server stays for the rest.
"""

from collections.abc import Iterator
from datetime import date
import re

from aiohttp import ClientSession
from aioresponses import aioresponses
import pytest

from custom_components.momentum_energi.api import (
    MomentumEnergiClient,
    MomentumEnergiRateLimitError,
    MomentumEnergiResponseError,
)

BASE = "https://api.example.com"
TOKEN = re.compile(rf"^{BASE}/identity/connect/token$")
STATS = re.compile(rf"^{BASE}/api/external/v2/statistics/bylevel/E/.*")
ROW = {
    "itemKey": "E-1",
    "mediaClass": "El",
    "mediaType": "Electricity",
    "startDate": "2026-03-01T00:00:00+01:00",
    "stopDate": "2026-04-01T00:00:00+02:00",
    "consumption": 120.5,
    "consumptionUnit": "kWh",
    "energy": 120.5,
    "energyUnit": "kWh",
    "lastUpdated": "2026-04-02T06:00:00+02:00",
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed for client tests."""


@pytest.fixture
def replies() -> Iterator[aioresponses]:
    """Answer every request of the test's sessions from canned replies."""
    with aioresponses() as mocked:
        yield mocked


def _client(session: ClientSession) -> MomentumEnergiClient:
    return MomentumEnergiClient(
        session, "api@solrosen", "pw-secret", "client-secret", url=BASE, page_size=2
    )


async def test_pages_until_total(replies: aioresponses) -> None:
    """Pages are read until ``total``; a token is asked for once."""
    replies.post(TOKEN, payload={"access_token": "tok", "expires_in": 3600})
    replies.get(STATS, payload={"data": [ROW, ROW], "total": 3, "take": 2, "skip": 0})
    replies.get(STATS, payload={"data": [ROW], "total": 3, "take": 2, "skip": 2})
    async with ClientSession() as session:
        rows = await _client(session).statistics_updated_after("E", date(2026, 4, 1))
    assert len(rows) == 3
    assert {row.item_key for row in rows} == {"E-1"}
    requested = [str(url) for (_, url) in replies.requests]
    assert sum("Skip=2" in url for url in requested) == 1
    assert all("updatedAfter/2026-04-01/groupbymedia" in url for url in requested[1:])


async def test_rate_limit_then_gate(replies: aioresponses) -> None:
    """A 429's Retry-After is kept: the next call is answered by the client."""
    replies.post(TOKEN, payload={"access_token": "tok", "expires_in": 3600})
    replies.get(STATS, status=429, headers={"Retry-After": "120"}, payload={})
    async with ClientSession() as session:
        client = _client(session)
        with pytest.raises(MomentumEnergiRateLimitError) as first:
            await client.statistics_updated_after("E", date(2026, 4, 1))
        assert first.value.retry_after == 120
        with pytest.raises(MomentumEnergiRateLimitError) as second:
            await client.statistics_updated_after("E", date(2026, 4, 1))
    assert 0 < (second.value.retry_after or 0) <= 120
    assert sum(len(calls) for calls in replies.requests.values()) == 2


async def test_echoed_secrets_are_redacted(replies: aioresponses) -> None:
    """A vendor echoing the form in an error never shows the password."""
    replies.post(TOKEN, payload={"access_token": "tok", "expires_in": 3600})
    replies.get(
        STATS,
        status=500,
        payload={
            "message": "failed for password=pw-secret&client_secret=client-secret"
        },
    )
    async with ClientSession() as session:
        with pytest.raises(MomentumEnergiResponseError) as err:
            await _client(session).statistics_updated_after("E", date(2026, 4, 1))
    assert "pw-secret" not in str(err.value)
    assert "client-secret" not in str(err.value)
