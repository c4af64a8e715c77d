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


CONSUMPTIONS = "/api/v1/Values/PushConsumptionsForMeter"
CUMULATIVE = "/api/v1/Values/PushCumulativeReadingsForMeter"


async def _post(
    served: Served, path: str, body: Any, key: str = Sim.PRIMARY_KEY
) -> tuple[int, Any, dict[str, str]]:
    _, url, session, _ = served
    kwargs: dict[str, Any] = (
        {"data": body} if isinstance(body, str | bytes) else {"json": body}
    )
    async with session.post(
        f"{url}{path}", headers={"Authorization": key}, **kwargs
    ) as response:
        answer = await response.json() if response.content_length else None
        return response.status, answer, dict(response.headers)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


async def test_push_consumptions_sums_and_replaces(served: Served) -> None:
    """Same-hour values are summed; a later message replaces the hour."""
    sim = served[0]
    body = {
        "meterId": 2001,
        "values": [
            {"timestamp": "2026-10-26T22:00:00Z", "value": 1.25},
            {"timestamp": "2026-10-26T23:00:00Z", "value": "0.75"},
            {"timestamp": "2026-10-27T01:30:00+02:00", "value": 0.1},
        ],
    }
    status, answer, headers = await _post(served, CONSUMPTIONS, body)
    assert status == 200
    assert answer == {
        "meterId": 2001,
        "received": 3,
        "stored": 2,
        "start": "2026-10-26T22:00:00Z",
        "end": "2026-10-27T00:00:00Z",
    }
    assert headers["X-Rate-Limit"] == "2999"
    assert sim.pushed == {2001: {_at(26, 22): 1.25, _at(26, 23): 0.85}}
    assert sim.push_messages == [{**body, "path": "consumptions"}]
    # A second message replaces 23:00 (not added to it) and adds 00:00.
    status, answer, _ = await _post(
        served,
        CONSUMPTIONS,
        {
            "MeterId": "2001",
            "Values": [
                {"Timestamp": "2026-10-26T23:00:00Z", "Value": 2},
                {"timestamp": "2026-10-27T00:00:00Z", "value": 3},
            ],
        },
    )
    assert (status, answer["received"], answer["stored"]) == (200, 2, 2)
    assert sim.pushed[2001] == {_at(26, 22): 1.25, _at(26, 23): 2.0, _at(27, 0): 3.0}
    assert sim.push_counts == {
        (2001, _at(26, 22)): 1,
        (2001, _at(26, 23)): 2,
        (2001, _at(27, 0)): 1,
    }
    assert sim.counters["push_consumptions"] == 2


async def test_pushed_hours_are_served(served: Served) -> None:
    """Hourly and Monthly serve pushed hours instead of the curve."""
    sim = served[0]
    meter = sim.meters[2003]
    start, end = "2026-10-26T21:00:00Z", "2026-10-27T00:00:00Z"
    before = (
        await _get(
            served, "/api/v1/Values/Hourly", meterId="2003", start=start, end=end
        )
    )[1][0]["values"]
    month = {"meterId": "2003", "start": "2026-10-01T00:00:00+03:00"}
    month["end"] = "2026-11-01T00:00:00+02:00"
    october = (await _get(served, "/api/v1/Values/Monthly", **month))[1][0]["values"]
    values = [{"timestamp": "2026-10-26T22:00:00Z", "value": 100.0}]
    assert (await _post(served, CONSUMPTIONS, {"meterId": 2003, "values": values}))[
        0
    ] == 200
    after = (
        await _get(
            served, "/api/v1/Values/Hourly", meterId="2003", start=start, end=end
        )
    )[1][0]["values"]
    assert [v["value"] for v in after] == [
        before[0]["value"],
        100.0,
        before[2]["value"],
    ]
    synthetic = sim.hour_value(meter, _at(26, 22))
    assert before[1]["value"] == synthetic
    now = (await _get(served, "/api/v1/Values/Monthly", **month))[1][0]["values"]
    assert now[0]["value"] == pytest.approx(
        october[0]["value"] - synthetic + 100.0, abs=1e-6
    )
    # Other meters, and the same meter's other hours, keep the curve.
    other = (
        await _get(
            served, "/api/v1/Values/Hourly", meterId="2001", start=start, end=end
        )
    )[1][0]["values"]
    assert other[1]["value"] == sim.hour_value(sim.meters[2001], _at(26, 22))


async def test_push_cumulative_derives_hours(served: Served) -> None:
    """Readings per instant; the latest of an hour wins; hours derived and served."""
    sim = served[0]
    body = {
        "meterId": 2002,
        "values": [
            {"timestamp": "2026-10-27T00:00:00Z", "value": 100.0},
            {"timestamp": "2026-10-27T01:00:00Z", "value": 101.5},
            {"timestamp": "2026-10-27T02:00:00Z", "value": 102.0},
            {"timestamp": "2026-10-27T02:00:00Z", "value": 103.0},
            {"timestamp": "2026-10-27T04:00:00+02:00", "value": 104.0},
            {"timestamp": "2026-10-27T05:20:00Z", "value": 110.0},
            {"timestamp": "2026-10-27T05:10:00Z", "value": 109.0},
        ],
    }
    status, answer, _ = await _post(served, CUMULATIVE, body)
    assert status == 200
    assert answer == {
        "meterId": 2002,
        "received": 7,
        "stored": 4,
        "start": "2026-10-27T00:00:00Z",
        "end": "2026-10-27T06:00:00Z",
    }
    assert sim.readings[2002] == {
        _at(27, 0): 100.0,
        _at(27, 1): 101.5,
        _at(27, 2): 104.0,
        _at(27, 5, 20): 110.0,
    }
    # 02:00 appeared twice in the message: the later value counts; the
    # 04:00+02:00 reading is 02:00Z too and latest in the message order.
    assert sim.derived(2002) == {_at(27, 0): 1.5, _at(27, 1): 2.5}
    assert sim.pushed == {}
    assert sim.push_counts[2002, _at(27, 5)] == 1
    assert sim.push_messages[0]["path"] == "cumulative"
    _, rows, _ = await _get(
        served,
        "/api/v1/Values/Hourly",
        meterId="2002",
        start="2026-10-27T00:00:00Z",
        end="2026-10-27T03:00:00Z",
    )
    served_values = [v["value"] for v in rows[0]["values"]]
    assert served_values[:2] == [1.5, 2.5]
    assert served_values[2] == sim.hour_value(sim.meters[2002], _at(27, 2))
    # A new reading at 03:00 in another message derives 02:00.
    await _post(
        served,
        CUMULATIVE,
        {
            "meterId": 2002,
            "values": [{"timestamp": "2026-10-27T03:00:00Z", "value": 105}],
        },
    )
    assert sim.derived(2002)[_at(27, 2)] == 1.0
    assert sim.derived(2001) == {}


async def test_push_validation(served: Served) -> None:
    """Every malformed message is 400 ProblemDetails; an unknown meter is 404."""
    sim = served[0]
    sim.burst_limit = 1000
    good = [{"timestamp": "2026-10-27T00:00:00Z", "value": 1}]
    refused: list[Any] = [
        "not json",
        [],
        {"values": good},
        {"meterId": "x", "values": good},
        {"meterId": True, "values": good},
        {"meterId": 1.5, "values": good},
        {"meterId": [2001], "values": good},
        {"meterId": 2001, "meterIds": [2001, 2002], "values": good},
        {"meterId": 2001},
        {"meterId": 2001, "values": []},
        {"meterId": 2001, "values": {"timestamp": "2026-10-27T00:00:00Z"}},
        {"meterId": 2001, "values": [1]},
        {"meterId": 2001, "values": [{"value": 1}]},
        {"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00", "value": 1}]},
        {"meterId": 2001, "values": [{"timestamp": "yesterday", "value": 1}]},
        {"meterId": 2001, "values": [{"timestamp": 1761523200, "value": 1}]},
        {"meterId": 2001, "values": [{"timestamp": "0001-01-01T00:00:00+01:00", "value": 1}]},
        {"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00Z"}]},
        {"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00Z", "value": None}]},
        {"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00Z", "value": "NaN"}]},
        {"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00Z", "value": "1_0"}]},
        {"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00Z", "value": True}]},
        {"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00Z", "value": [1]}]},
        '{"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00Z", "value": 1e999}]}',
        '{"meterId": 2001, "values": [{"timestamp": "2026-10-27T00:00:00Z", "value": 1'
        + "0" * 400
        + "}]}",
    ]  # fmt: skip
    for body in refused:
        for path in (CONSUMPTIONS, CUMULATIVE):
            status, answer, headers = await _post(served, path, body)
            assert status == 400, body
            assert answer["status"] == 400
            assert "X-Rate-Limit" in headers
    status, answer, _ = await _post(
        served, CONSUMPTIONS, {"meterId": 9, "values": good}
    )
    assert (status, answer["status"]) == (404, 404)
    assert (await _post(served, CUMULATIVE, {"meterId": "9", "values": good}))[0] == 404
    assert sim.pushed == sim.readings == {}
    assert not sim.push_messages
    assert not sim.push_counts


async def test_push_span_limit(served: Served) -> None:
    """Exactly 365 days is refused; 364 days 23 hours is accepted."""
    sim = served[0]
    first = datetime(2025, 10, 27, tzinfo=UTC)

    def body(last: datetime) -> dict[str, Any]:
        return {
            "meterId": 2001,
            "values": [
                {"timestamp": last.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": 2},
                {"timestamp": "2025-10-27T02:00:00+02:00", "value": 1},
            ],
        }

    assert (await _post(served, CONSUMPTIONS, body(first + timedelta(days=365))))[
        0
    ] == 400
    status, answer, _ = await _post(
        served, CONSUMPTIONS, body(first + timedelta(days=364, hours=23))
    )
    assert (status, answer["start"], answer["end"]) == (
        200,
        "2025-10-27T00:00:00Z",
        "2026-10-27T00:00:00Z",
    )
    assert len(sim.pushed[2001]) == 2


async def test_push_auth_limits_and_faults(served: Served) -> None:
    """Push routes check keys, count against the limits, honour faults."""
    sim, _, _, clock = served
    body = {
        "meterId": 2001,
        "values": [{"timestamp": "2026-10-27T00:00:00Z", "value": 1}],
    }
    status, answer, headers = await _post(served, CONSUMPTIONS, body, key="nope")
    assert (status, answer["message"]) == (401, "Invalid API key")
    assert "X-Rate-Limit" not in headers
    sim.faults.inject(Fault.SERVER_ERROR, endpoint="push_cumulative")
    assert (await _post(served, CUMULATIVE, body))[0] == 500
    sim.faults.inject(Fault.RATE_LIMIT, endpoint="push_consumptions")
    assert (await _post(served, CONSUMPTIONS, body))[0] == 429
    sim.push_refusal = 503
    status, answer, _ = await _post(served, CONSUMPTIONS, body)
    assert (status, answer["status"]) == (503, 503)
    sim.push_refusal = 400
    assert (await _post(served, CUMULATIVE, body))[0] == 400
    assert (await _post(served, CONSUMPTIONS, body))[0] == 400
    assert not sim.push_messages
    sim.push_refusal = None
    assert (await _post(served, CONSUMPTIONS, body))[0] == 200
    assert len(sim.push_messages) == 1
    sim.burst_limit = len(sim.keys_used)
    status, _, headers = await _post(served, CONSUMPTIONS, body)
    assert status == 429
    assert "Retry-After" in headers
    assert len(sim.push_messages) == 1
    clock.now += timedelta(seconds=10)
    assert (await _post(served, CUMULATIVE, body))[0] == 200


async def test_push_to_a_meter_of_a_large_profile(served: Served) -> None:
    """A pushed hour replaces one meter's curve, not its siblings' shared one."""
    sim = served[0]
    sim.add_large_profile(2, 4)
    pushed_id, sibling_id = 100_000, 100_100  # both electricity, one shared curve
    assert sim.meters[pushed_id].shared_series == sim.meters[sibling_id].shared_series
    values = [{"timestamp": "2026-10-27T05:00:00Z", "value": -1.5}]
    assert (
        await _post(served, CONSUMPTIONS, {"meterId": pushed_id, "values": values})
    )[0] == 200
    _, rows, _ = await _get(
        served,
        "/api/v1/Values/Hourly",
        meterId=[str(pushed_id), str(sibling_id)],
        start="2026-10-27T05:00:00Z",
        end="2026-10-27T06:00:00Z",
    )
    by_meter = {row["meterId"]: row["values"][0]["value"] for row in rows}
    assert by_meter[pushed_id] == -1.5
    assert by_meter[sibling_id] == sim.hour_value(sim.meters[sibling_id], _at(27, 5))
    assert by_meter[sibling_id] != -1.5
