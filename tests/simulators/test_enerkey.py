"""The EnerKey simulator implements docs/enerkey-api.md where clients rely on it."""

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
import math
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
import pytest

from simulators import Fault
from simulators.enerkey import EnerKeySimulator as Sim

# Two days after the end of summer time in Finland (2026-10-25).
NOW = datetime(2026, 10, 27, 10, 30, tzinfo=UTC)


class Clock:
    """A settable clock for the simulator."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


type Served = tuple[Sim, str, ClientSession, Clock]


@pytest.fixture
async def served(socket_enabled: None) -> AsyncGenerator[Served]:
    clock = Clock()
    sim = Sim(seed=3, clock=clock)
    server = TestServer(sim.build_app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    async with ClientSession() as session:
        yield sim, f"http://127.0.0.1:{server.port}", session, clock
    await server.close()


async def _get(
    served: Served, path: str, key: str = Sim.PRIMARY_KEY, **params: Any
) -> tuple[int, Any, dict[str, str]]:
    _, url, session, _ = served
    async with session.get(
        f"{url}{path}", headers={"Authorization": key}, params=params
    ) as response:
        body = await response.json() if response.content_length else None
        return response.status, body, dict(response.headers)


async def test_registration_and_demo_credentials() -> None:
    """Registered under its own port; both keys are the demo credentials."""
    from simulators import registered

    assert registered()["enerkey"] is Sim
    assert Sim().demo_credentials() == {
        "api_key": Sim.PRIMARY_KEY,
        "secondary_api_key": Sim.SECONDARY_KEY,
    }
    assert Sim().daily_limit == 3000
    assert Sim(daily_limit=10).daily_limit == 10


async def test_facilities_meters_quantities(served: Served) -> None:
    """Lists as documented, with X-Rate-Limit counting down."""
    status, body, headers = await _get(served, "/api/v1/Facilities")
    assert status == 200
    assert [f["id"] for f in body] == [1001, 1002, 1003]
    assert body[0]["address"]["city"] == "Helsinki"
    assert body[0]["properties"]["grossArea"] == 5200.0
    assert headers["X-Rate-Limit"] == "2999"
    status, body, headers = await _get(served, "/api/v1/Facilities", facilityId="1002")
    assert [f["id"] for f in body] == [1002]
    assert headers["X-Rate-Limit"] == "2998"
    assert (await _get(served, "/api/v1/Facilities", facilityId="x"))[0] == 400
    status, body, _ = await _get(served, "/api/v1/Facilities/1003")
    assert body["name"] == "As Oy Tapiola"
    assert (await _get(served, "/api/v1/Facilities/9"))[0] == 404
    assert (await _get(served, "/api/v1/Facilities/x"))[0] == 404
    status, body, _ = await _get(served, "/api/v1/Meters", facilityId="1001")
    assert {m["unit"] for m in body} == {"kWh", "MWh", "m3", "Nm3"}
    assert (await _get(served, "/api/v1/Meters"))[0] == 400
    status, body, _ = await _get(served, "/api/v1/Quantities")
    assert [q["unit"] for q in body] == ["kWh", "MWh", "m3", "Nm3"]
    assert (await _get(served, "/api/v1/Logs/5"))[0] == 403
    assert (await _get(served, "/api/v2/Provisioning/ProvisioningStatus"))[0] == 403


async def test_keys_validity(served: Served) -> None:
    """Unknown, revoked and expired keys get 401; a renewed key works again."""
    sim = served[0]
    status, body, headers = await _get(served, "/api/v1/Quantities", key="nope")
    assert (status, body["message"]) == (401, "Invalid API key")
    assert "X-Rate-Limit" not in headers
    sim.revoke(Sim.PRIMARY_KEY)
    status, body, _ = await _get(served, "/api/v1/Quantities")
    assert (status, body["message"]) == (401, "API key revoked")
    assert (await _get(served, "/api/v1/Quantities", key=Sim.SECONDARY_KEY))[0] == 200
    sim.expire(Sim.SECONDARY_KEY)
    status, body, _ = await _get(served, "/api/v1/Quantities", key=Sim.SECONDARY_KEY)
    assert (status, body["message"]) == (401, "API key expired")
    sim.renew(Sim.PRIMARY_KEY)
    assert (await _get(served, "/api/v1/Quantities"))[0] == 200
    assert sim.keys_used == [Sim.SECONDARY_KEY, Sim.PRIMARY_KEY]


async def test_burst_and_daily_limits(served: Served) -> None:
    """21st call in 10 s is 429 with Retry-After, not counted; so is the daily one."""
    sim, _, _, clock = served
    for _ in range(20):
        assert (await _get(served, "/api/v1/Quantities"))[0] == 200
    status, _, headers = await _get(served, "/api/v1/Quantities")
    assert status == 429
    assert headers["Retry-After"] == "10"
    assert "X-Rate-Limit" not in headers
    clock.now += timedelta(seconds=10)
    status, _, headers = await _get(served, "/api/v1/Quantities")
    assert (status, headers["X-Rate-Limit"]) == (200, "2979")
    sim._daily_limit = 21
    clock.now += timedelta(seconds=10)
    status, _, headers = await _get(served, "/api/v1/Quantities")
    assert status == 429
    assert int(headers["Retry-After"]) == 24 * 3600 - 20
    assert sim.rate_limited == 2
    clock.now += timedelta(hours=24)
    assert (await _get(served, "/api/v1/Quantities"))[0] == 200


async def test_hourly_values_and_formats(served: Served) -> None:
    """Complete hours only; timestamps in the format start was sent in; DST."""
    sim, _, _, _ = served
    start = "2026-10-25T00:00:00+03:00"
    end = "2026-10-26T00:00:00+02:00"
    status, body, _ = await _get(
        served, "/api/v1/Values/Hourly", meterId="2001", start=start, end=end
    )
    assert status == 200
    values = body[0]["values"]
    assert len(values) == 25  # the day summer time ends
    assert values[0]["timestamp"] == "2026-10-25T00:00:00+03:00"
    assert values[4]["timestamp"] == "2026-10-25T03:00:00+02:00"
    meter = sim.meters[2001]
    hour = datetime(2026, 10, 24, 21, tzinfo=UTC)
    assert values[0]["value"] == sim.hour_value(meter, hour)
    status, body, _ = await _get(
        served,
        "/api/v1/Values/Hourly",
        meterId=["2002", "9999"],
        start="2026-10-27T00:00:00Z",
        end="2026-10-28T00:00:00Z",
    )
    assert [row["meterId"] for row in body] == [2002]
    assert body[0]["unit"] == "MWh"
    assert len(body[0]["values"]) == 10  # until 10:00, the newest complete hour
    assert body[0]["values"][0]["timestamp"] == "2026-10-27T00:00:00Z"
    for params in (
        {"meterId": "2001", "start": "x", "end": end},
        {"meterId": "2001", "start": end, "end": start},
        {"meterId": "2001", "start": "2026-01-01T00:00:00Z", "end": end},
        {"meterId": "x", "start": start, "end": end},
        {"meterId": "2001", "start": "2026-10-25T00:00:00", "end": end},
    ):
        assert (await _get(served, "/api/v1/Values/Hourly", **params))[0] == 400


async def test_monthly_is_sum_of_hourly(served: Served) -> None:
    """Monthly equals the sum of the month's hours; normalized scales it."""
    sim = served[0]
    sim.numeric_strings = True
    status, body, _ = await _get(
        served,
        "/api/v1/Values/Monthly",
        meterId="2003",
        start="2026-09-01T00:00:00+03:00",
        end="2026-11-01T00:00:00+02:00",
    )
    assert status == 200
    values = body[0]["values"]
    assert [v["timestamp"] for v in values] == [
        "2026-09-01T00:00:00+03:00",
        "2026-10-01T00:00:00+03:00",
    ]
    assert isinstance(values[1]["value"], str)
    meter = sim.meters[2003]
    october = math.fsum(
        v
        for _, v in sim.hours(
            meter,
            datetime(2026, 9, 30, 21, tzinfo=UTC),
            datetime(2026, 11, 1, tzinfo=UTC),
        )
    )
    assert float(values[1]["value"]) == pytest.approx(october, abs=1e-6)
    status, body, _ = await _get(
        served,
        "/api/v1/Values/MonthlyNormalized",
        meterId="2003",
        start="2026-09-15T00:00:00Z",
        end="2026-11-01T00:00:00Z",
    )
    normalized = body[0]["values"]
    assert [v["timestamp"] for v in normalized] == ["2026-09-30T21:00:00Z"]
    month = datetime(2026, 10, 1, tzinfo=sim.tz)
    assert float(normalized[0]["value"]) == pytest.approx(
        october * sim.normal_factor(month), abs=1e-5
    )
    assert (
        await _get(
            served,
            "/api/v1/Values/Monthly",
            meterId="2003",
            start="2020-01-01T00:00:00Z",
            end="2026-11-01T00:00:00Z",
        )
    )[0] == 400


async def test_faults_and_large_profile(served: Served) -> None:
    """Framework faults reach every route; a large profile can be generated."""
    sim = served[0]
    sim.faults.inject(Fault.SERVER_ERROR, endpoint="facilities")
    assert (await _get(served, "/api/v1/Facilities"))[0] == 500
    sim.add_large_profile(200, 5)
    assert len(sim.facilities) == 200
    assert len(sim.meters) == 1000
    assert sim.daily_limit == 3000
    sim.add_large_profile(500, 1)
    assert sim.daily_limit == 3500
