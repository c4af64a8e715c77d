"""The EnerKey client on its own: scripted answers and the simulator (no HA)."""

from datetime import UTC, datetime, timedelta
import logging

from aiohttp import ClientSession
import pytest

from custom_components.enerkey.api import (
    PRIMARY,
    SECONDARY,
    CallBudget,
    EnerKeyAuthenticationError,
    EnerKeyClient,
    EnerKeyConnectionError,
    EnerKeyRateLimitError,
    EnerKeyResponseError,
    Facility,
    parse_facility,
    parse_meter,
    parse_values,
)
from simulators.enerkey import EnerKeySimulator
from tests.conftest import Replies, StartSimulator

KEY1 = "key-one+/secret"
KEY2 = "key-two-secret"
START = datetime(2026, 10, 25, tzinfo=UTC)
END = datetime(2026, 10, 26, tzinfo=UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed for client tests."""


class FakeTime:
    """A clock whose sleep moves it."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _api(client: ClientSession, mocked: Replies, **kwargs: object) -> EnerKeyClient:
    return EnerKeyClient(client, KEY1, KEY2, url=mocked.base, timeout=2, **kwargs)  # type: ignore[arg-type]


async def test_bare_key_header_and_encoded_times(
    client: ClientSession, mocked: Replies
) -> None:
    """The key is the bare Authorization value; times are URL-encoded UTC."""
    api = _api(client, mocked)
    mocked.get(payload=[], headers={"X-Rate-Limit": "39999"})
    assert await api.values("Hourly", ["1", "2"], START, END) == {}
    request = mocked.requests[0]
    assert request.headers["Authorization"] == KEY1
    assert mocked.paths[0] == (
        "/api/v1/Values/Hourly?meterId=1&meterId=2"
        "&start=2026-10-25T00%3A00%3A00Z&end=2026-10-26T00%3A00%3A00Z"
    )
    assert api.calls_left == 39999
    with pytest.raises(ValueError):
        await api.values("Daily", ["1"], START, END)
    with pytest.raises(ValueError):
        await api.values("Hourly", [], START, END)


async def test_failover_to_the_other_key_and_back(
    client: ClientSession, mocked: Replies
) -> None:
    """A 401 switches keys at once; the refused key is reported; both -> auth."""
    api = _api(client, mocked)
    mocked.get(payload={"message": f"bad key {KEY1}"}, status=401)
    mocked.get(payload=[{"id": 1, "name": "A"}])
    assert [f.id for f in await api.facilities()] == ["1"]
    assert mocked.requests[1].headers["Authorization"] == KEY2
    assert (api.active_key, api.failed_keys) == (SECONDARY, {PRIMARY})
    # The secondary fails later: back to the primary (renewed meanwhile).
    mocked.get(status=401)
    mocked.get(payload=[])
    assert await api.facilities() == []
    assert (api.active_key, api.failed_keys) == (PRIMARY, {SECONDARY})
    mocked.get(status=401)
    mocked.get(status=401)
    with pytest.raises(EnerKeyAuthenticationError) as err:
        await api.facilities()
    assert "primary and the secondary" in str(err.value)
    assert api.failed_keys == {PRIMARY, SECONDARY}


async def test_single_key_refused(client: ClientSession, mocked: Replies) -> None:
    """Without a secondary key one 401 is an authentication error."""
    api = EnerKeyClient(client, KEY1, url=mocked.base)
    mocked.get(status=401)
    with pytest.raises(EnerKeyAuthenticationError):
        await api.quantities()
    assert len(mocked.requests) == 1


async def test_errors_are_typed_and_redacted(
    client: ClientSession, mocked: Replies
) -> None:
    """5xx, 4xx, invalid JSON, timeouts and connection errors; keys redacted."""
    api = _api(client, mocked)
    mocked.get(payload={"detail": f"echo {KEY1}"}, status=500)
    with pytest.raises(EnerKeyConnectionError) as err:
        await api.quantities()
    assert KEY1 not in str(err.value)
    mocked.get(payload={"detail": "range"}, status=400)
    with pytest.raises(EnerKeyResponseError, match="range"):
        await api.quantities()
    mocked.get(body="{", content_type="application/json")
    with pytest.raises(EnerKeyResponseError, match="invalid JSON"):
        await api.quantities()
    mocked.get(body="")
    assert await api.quantities() == []
    mocked.get(payload=[], delay=3)
    with pytest.raises(EnerKeyConnectionError, match="Timeout"):
        await api.quantities()
    dead = EnerKeyClient(client, KEY1, url="http://127.0.0.1:9")
    with pytest.raises(EnerKeyConnectionError):
        await dead.facilities()


async def test_retry_after_and_empty_budget_hold_the_gate(
    client: ClientSession, mocked: Replies
) -> None:
    """A 429 holds every call for Retry-After; X-Rate-Limit 0 for an hour."""
    api = _api(client, mocked)
    mocked.get(status=429, headers={"Retry-After": "120"})
    with pytest.raises(EnerKeyRateLimitError) as err:
        await api.quantities()
    assert err.value.retry_after == 120
    with pytest.raises(EnerKeyRateLimitError):
        await api.quantities()
    assert len(mocked.requests) == 1
    other = _api(client, mocked)
    mocked.get(payload=[], headers={"X-Rate-Limit": "0"})
    await other.quantities()
    with pytest.raises(EnerKeyRateLimitError) as err:
        await other.quantities()
    assert err.value.retry_after is not None and err.value.retry_after > 3500
    third = _api(client, mocked)
    mocked.get(status=429)
    with pytest.raises(EnerKeyRateLimitError):
        await third.quantities()
    assert len(mocked.requests) == 3


async def test_budget_waits_bursts_and_refuses_the_day() -> None:
    """The burst waits its window; the daily budget and long waits are refused."""
    fake = FakeTime()
    budget = CallBudget(burst=3, window=10, daily=5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        await budget.acquire()
    assert budget.available() == 0
    await budget.acquire()
    assert fake.slept == [10]
    await budget.acquire()
    assert budget.spent_today() == 5
    with pytest.raises(EnerKeyRateLimitError) as err:
        await budget.acquire()
    assert err.value.retry_after == pytest.approx(86400 - 10)
    slow = CallBudget(burst=1, window=100, clock=fake.clock, sleep=fake.sleep)
    await slow.acquire()
    with pytest.raises(EnerKeyRateLimitError, match="Burst"):
        await slow.acquire()


def test_tolerant_parsing(caplog: pytest.LogCaptureFixture) -> None:
    """Case-insensitive keys, envelopes, both time formats, numeric strings."""
    assert parse_facility({"ID": "7", "Address": {"City": "Oulu"}}) == Facility(
        id="7", name="Facility 7", city="Oulu"
    )
    assert parse_facility({"id": 1.5}) is None
    facility = parse_facility(
        {
            "id": 1,
            "name": "X",
            "address": {"streetAddress": "Katu 1", "postalCode": "00100"},
            "properties": {"area": -1},
        }
    )
    assert facility is not None
    assert facility.address == "Katu 1, 00100"
    assert facility.area is None
    assert Facility(id="1", name="x").address is None
    assert parse_meter({"id": 1}) is None
    meter = parse_meter({"Id": 2, "FacilityId": 1, "Unit": "MWh", "quantityId": 2})
    assert meter is not None
    assert (meter.name, meter.unit, meter.quantity_id) == ("Meter 2", "MWh", "2")
    assert parse_values({"values": []}) is None
    with caplog.at_level(logging.DEBUG):
        parsed = parse_values(
            {
                "MeterId": 5,
                "values": [
                    {"timestamp": "2026-10-25T04:00:00+02:00", "value": "1.5"},
                    {"timestamp": "2026-10-25T01:00:00Z", "value": 2},
                    {"timestamp": "2026-10-25T05:00:00Z", "value": None},
                    {"timestamp": "nope", "value": 1},
                    {"timestamp": "2026-10-25T06:00:00Z", "value": "NaN"},
                    {"timestamp": "2026-10-25T07:00:00Z", "value": True},
                ],
            }
        )
    assert parsed is not None
    assert parsed.values == [
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 2.0),
        (datetime(2026, 10, 25, 2, tzinfo=UTC), 1.5),
    ]
    assert "Skipped 3 unreadable values of meter 5" in caplog.text


async def test_envelopes_and_quantities(client: ClientSession, mocked: Replies) -> None:
    """Lists in an envelope; a single object; rows without ids skipped."""
    api = _api(client, mocked)
    mocked.get(payload={"Data": [{"id": 1, "name": "kWh", "unit": "kWh"}, {"x": 1}]})
    assert [q.unit for q in await api.quantities()] == ["kWh"]
    mocked.get(payload={"id": 3, "name": "Alone"})
    assert [f.name for f in await api.facilities()] == ["Alone"]
    mocked.get(payload="text")
    assert await api.facilities() == []
    mocked.get(payload=[{"id": 9, "facilityId": 1}, {"id": 10}])
    assert [m.id for m in await api.meters(["1"])] == ["9"]


async def test_against_the_simulator(
    client: ClientSession, start_simulator: StartSimulator
) -> None:
    """Every read of the simulator parses; monthly equals the sum of hourly."""
    sim = EnerKeySimulator(seed=2, numeric_strings=True)
    url = await start_simulator(sim)
    api = EnerKeyClient(
        client, EnerKeySimulator.PRIMARY_KEY, EnerKeySimulator.SECONDARY_KEY, url=url
    )
    facilities = await api.facilities()
    assert [f.id for f in facilities] == ["1001", "1002", "1003"]
    meters = await api.meters([f.id for f in facilities])
    assert len(meters) == len(sim.meters)
    assert {q.unit for q in await api.quantities()} == {"kWh", "MWh", "m3", "Nm3"}
    now = sim.complete_until()
    month_start = datetime(now.year, now.month, 1, tzinfo=sim.tz).astimezone(UTC)
    hourly = await api.values("Hourly", ["2001"], month_start, now)
    monthly = await api.values(
        "Monthly", ["2001"], month_start, month_start + timedelta(days=40)
    )
    total = sum(v for _, v in hourly["2001"].values)
    moment, value = monthly["2001"].values[0]
    assert moment == month_start
    assert value == pytest.approx(total, abs=1e-4)
    assert api.calls_left == sim.calls_left()
    assert api.requests == 5
