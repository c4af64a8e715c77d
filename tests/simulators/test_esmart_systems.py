"""The eSmart Systems simulator follows the doc and its written-down assumptions."""

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientSession, encode_basic_auth
from aiohttp.test_utils import TestServer
from freezegun import freeze_time
import pytest

from simulators import Fault, registered
from simulators.esmart_systems import ESmartSystemsSimulator as Sim, with_references

AUTH = {"Authorization": encode_basic_auth(Sim.USERNAME, Sim.PASSWORD)}
NOW = "2026-10-26 12:30:00+00:00"
SERIES = "/api/customers/1001/contracts/5001/meters/900001"


@pytest.fixture
async def served(
    socket_enabled: None,
) -> AsyncGenerator[tuple[Sim, str, ClientSession]]:
    sim = Sim(seed=3)
    server = TestServer(sim.build_app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    async with ClientSession() as session:
        yield sim, f"http://127.0.0.1:{server.port}", session
    await server.close()


def _body(start: str, end: str, resolution: int = 7, **extra: Any) -> dict[str, Any]:
    return {
        "ContractNo": "5001",
        "CustomerId": 1001,
        "FromTime": start,
        "ToTime": end,
        "Resolution": resolution,
        "IncludeLastYear": False,
        "IncludeWeather": False,
        "HasWattMeter": True,
        **extra,
    }


def test_registered() -> None:
    """The runner knows the simulator, on its own port."""
    assert registered()["esmart_systems"] is Sim
    assert Sim.port_offset == 2
    assert Sim().demo_credentials()["username"] == Sim.USERNAME


def test_with_references() -> None:
    """Repeated objects become $ref, nested ones get $id."""
    shared = {"a": 1}
    assert with_references({"x": shared, "y": [shared, {"b": shared}]}) == {
        "$id": "1",
        "x": {"$id": "2", "a": 1},
        "y": [{"$ref": "2"}, {"$id": "3", "b": {"$ref": "2"}}],
    }


@freeze_time(NOW)
async def test_authenticate(served: tuple[Sim, str, ClientSession]) -> None:
    """200 with customer ids, 401 on a wrong password, 410 outside the area."""
    sim, url, session = served
    body = {"UserName": Sim.USERNAME, "Password": Sim.PASSWORD, "Area": 1}
    async with session.post(f"{url}/api/Authenticate", json=body) as response:
        data = await response.json()
    assert data["CustomerIds"] == [1001]
    assert data["UserAuthId"] == Sim.USER_AUTH_ID
    async with session.post(
        f"{url}/api/Authenticate", json={**body, "Password": "x"}
    ) as response:
        assert response.status == 401
    async with session.post(
        f"{url}/api/Authenticate",
        json={**body, "UserName": Sim.POWER_ONLY_USERNAME},
    ) as response:
        assert response.status == 410
    async with session.post(f"{url}/api/Authenticate", data=b"x") as response:
        assert response.status == 400
    assert sim.counters["authenticate"] == 4


@freeze_time(NOW)
async def test_basic_auth_and_area(served: tuple[Sim, str, ClientSession]) -> None:
    """Basic auth on every request; X-Area picks Net or Power (default)."""
    sim, url, session = served
    cdp = f"{url}/api/customers/1001/contractdeliverypoints"
    async with session.get(cdp) as response:
        assert response.status == 401
    async with session.get(
        cdp, headers={"Authorization": encode_basic_auth(Sim.USERNAME, "x")}
    ) as response:
        assert response.status == 401
    async with session.get(
        cdp, headers=AUTH, params={"includeWattMeter": "true"}
    ) as response:
        power = await response.json()
    assert [c["ContractNo"] for c in power] == ["5001", "5002"]
    assert power[0]["HasWattMeter"] is True
    # The shared address is sent once and then referenced.
    assert power[1]["DeliveryAddress"] == {"$ref": power[0]["DeliveryAddress"]["$id"]}
    async with session.get(cdp, headers={**AUTH, "X-Area": "1"}) as response:
        net = await response.json()
    assert [c["ContractNo"] for c in net] == ["6001"]
    assert "HasWattMeter" not in net[0]
    async with session.get(cdp, headers={**AUTH, "X-Area": "7"}) as response:
        assert response.status == 400
    async with session.get(
        f"{url}/api/customers/1002/contracts",
        headers={
            "Authorization": encode_basic_auth(Sim.POWER_ONLY_USERNAME, Sim.PASSWORD),
            "X-Area": "1",
        },
    ) as response:
        assert response.status == 410
    async with session.get(
        f"{url}/api/customers/1002/contracts", headers={**AUTH, "X-Area": "1"}
    ) as response:
        assert response.status == 404
    async with session.get(
        f"{url}/api/customers/abc/contracts", headers=AUTH
    ) as response:
        assert response.status == 404
    async with session.get(
        f"{url}/api/customers/1001/contracts/5001", headers=AUTH
    ) as response:
        assert (await response.json())["IsPowerContract"] is True
    async with session.get(
        f"{url}/api/customers/1001/contracts/6001", headers=AUTH
    ) as response:
        assert response.status == 404
    assert sim.x_area["absent"] >= 5
    assert sim.x_area["1"] == 3


@freeze_time(NOW)
async def test_series(served: tuple[Sim, str, ClientSession]) -> None:
    """Hourly values in UTC, local days, range limit, estimated newest hours."""
    sim, url, session = served
    contract = sim.contracts["5001"]
    async with session.post(
        f"{url}{SERIES}/consumption",
        headers=AUTH,
        json=_body("2026-10-24T00:00:00", "2026-10-26T12:00:00"),
    ) as response:
        data = await response.json()
    rows = data["Values"]
    assert data["Unit"] == "kWh"
    # Data ends two hours before now.
    assert rows[-1]["ValueTime"] == "2026-10-26T09:00:00"
    assert len(rows) == 24 + 24 + 10
    first = datetime(2026, 10, 24, tzinfo=UTC)
    assert rows[0] == {
        "$id": rows[0]["$id"],
        "ValueTime": "2026-10-24T00:00:00",
        "Value": contract.meter.value(first),
        "Status": "Measured",
    }
    last = datetime(2026, 10, 26, 9, tzinfo=UTC)
    assert rows[-1]["Status"] == "Estimated"
    assert rows[-1]["Value"] == round(contract.meter.value(last) * 0.9, 3)
    async with session.post(
        f"{url}{SERIES}/costs",
        headers=AUTH,
        json=_body("2026-10-24T00:00:00", "2026-10-24T01:00:00"),
    ) as response:
        cost = (await response.json())["Values"]
    assert cost[0]["Value"] == round(
        contract.meter.value(first) * sim.hour_price(contract, first), 2
    )
    # Local days: the DST day (2026-10-25 in Oslo) has 25 hours.
    async with session.post(
        f"{url}{SERIES}/consumption",
        headers=AUTH,
        json=_body("2026-10-23T22:00:00", "2026-10-25T23:00:00", 20),
    ) as response:
        days = (await response.json())["Values"]
    assert [d["ValueTime"] for d in days] == [
        "2026-10-23T22:00:00",
        "2026-10-24T22:00:00",
    ]
    dst_hours = [
        datetime(2026, 10, 24, 22, tzinfo=UTC) + timedelta(hours=h) for h in range(25)
    ]
    dst_day = sum(sim.consumption(contract, hour) for hour in dst_hours)
    assert days[1]["Value"] == pytest.approx(dst_day, abs=1e-6)
    assert days[1]["Status"] == "Estimated"
    for resolution in (40, 50):
        async with session.post(
            f"{url}{SERIES}/consumption",
            headers=AUTH,
            json=_body("2026-01-01T00:00:00", "2026-03-01T00:00:00", resolution),
        ) as response:
            assert response.status == 200
    for bad in (
        _body("2026-01-01T00:00:00", "2026-03-01T00:00:00"),
        _body("2026-01-02T00:00:00", "2026-01-01T00:00:00"),
        _body("x", "2026-01-01T00:00:00"),
        _body("2026-01-01T00:00:00", "2026-01-02T00:00:00", 3),
        _body("2026-01-01T00:00:00", "2026-01-02T00:00:00", ContractNo="5002"),
    ):
        async with session.post(
            f"{url}{SERIES}/consumption", headers=AUTH, json=bad
        ) as response:
            assert response.status == 400, bad
            assert "Message" in await response.json()
    async with session.post(
        f"{url}{SERIES}/consumption", headers=AUTH, data=b"{"
    ) as response:
        assert response.status == 400
    async with session.post(
        f"{url}/api/customers/1001/contracts/5001/meters/1/consumption",
        headers=AUTH,
        json=_body("2026-01-01T00:00:00", "2026-01-02T00:00:00"),
    ) as response:
        assert response.status == 404


@freeze_time(NOW)
async def test_bare_series(socket_enabled: None) -> None:
    """``bare=True`` answers the list alone."""
    sim = Sim(bare=True)
    server = TestServer(sim.build_app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    async with (
        ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{server.port}{SERIES}/costs",
            headers=AUTH,
            json=_body("2026-10-24T00:00:00", "2026-10-24T02:00:00"),
        ) as response,
    ):
        assert len(await response.json()) == 2
    await server.close()


@freeze_time(NOW)
async def test_prices(served: tuple[Sim, str, ClientSession]) -> None:
    """Hour prices per contract and spot prices per area, tomorrow after 13:00."""
    sim, url, session = served
    params = {"fromTimeUtc": "2026-10-25T23:00:00", "toTimeUtc": "2026-10-27T23:00:00"}
    async with session.get(
        f"{url}/api/customers/1001/contracts/5001/hourprices",
        headers=AUTH,
        params=params,
    ) as response:
        prices = (await response.json())["Prices"]
    # 12:30 UTC is 13:30 in Oslo: tomorrow's prices are out.
    assert len(prices) == 48
    hour = datetime(2026, 10, 25, 23, tzinfo=UTC)
    assert prices[0]["Price"] == round(sim.spot_price(hour) + 0.049, 4)
    async with session.get(
        f"{url}/api/spotprices", headers=AUTH, params={**params, "priceArea": "NO1"}
    ) as response:
        spot = await response.json()
    assert spot[0]["Value"] == sim.spot_price(hour)
    async with session.get(
        f"{url}/api/spotprices", headers=AUTH, params={**params, "priceArea": "SE3"}
    ) as response:
        assert response.status == 400
    async with session.get(
        f"{url}/api/spotprices", headers=AUTH, params={"priceArea": "NO1"}
    ) as response:
        assert response.status == 400
    async with session.get(f"{url}/api/spotprices") as response:
        assert response.status == 401
    async with session.get(
        f"{url}/api/customers/1001/contracts/5001/hourprices", headers=AUTH
    ) as response:
        assert response.status == 400
    async with session.get(
        f"{url}/api/customers/1001/contracts/5002/hourprices",
        headers=AUTH,
        params=params,
    ) as response:
        assert (await response.json())["Prices"][0]["Price"] == 0.8712
    async with session.get(
        f"{url}/api/customers/1001/contracts/6001/hourprices",
        headers={**AUTH, "X-Area": "1"},
        params=params,
    ) as response:
        assert (await response.json())["Prices"][0]["Price"] == 0.3525
    async with session.get(
        f"{url}/api/customers/1001/contracts/9999/hourprices",
        headers=AUTH,
        params=params,
    ) as response:
        assert response.status == 404


@freeze_time(NOW)
async def test_wattmeter(served: tuple[Sim, str, ClientSession]) -> None:
    """$id/$ref as the server sends them; 404 without a wattmeter; v2 wraps."""
    sim, url, session = served
    async with session.get(f"{url}{SERIES}/wattmeter", headers=AUTH) as response:
        data = await response.json()
    assert data["Last"]["TimeSeriesType"] == "Power"
    assert data["Max"] == {
        "$ref": data["ThisMonthMax"].get("$id") or data["ThisMonthMax"]["$ref"]
    }
    async with session.get(f"{url}{SERIES}/wattmeter/v2", headers=AUTH) as response:
        assert "Last" in (await response.json())["Data"]
    for path in ("wattmeter", "wattmeter/v2"):
        async with session.get(
            f"{url}/api/customers/1001/contracts/5002/meters/900002/{path}",
            headers=AUTH,
        ) as response:
            assert response.status == 404
        async with session.get(
            f"{url}/api/customers/1001/contracts/5002/meters/900001/{path}",
            headers=AUTH,
        ) as response:
            assert response.status == 404
    # A power above this month's hourly peaks is its own maximum.
    sim.contracts["5001"].meter.correct(datetime(2026, 10, 26, 12, tzinfo=UTC), 99.0)
    async with session.get(f"{url}{SERIES}/wattmeter", headers=AUTH) as response:
        data = await response.json()
    assert data["ThisMonthMax"] == {"$ref": data["Last"]["$id"]}


@freeze_time(NOW)
async def test_invoices(served: tuple[Sim, str, ClientSession]) -> None:
    """List, one, PDF (Basic auth or the documented query credentials)."""
    _, url, session = served
    base = f"{url}/api/customers/1001/invoices"
    async with session.get(base, headers=AUTH) as response:
        invoices = await response.json()
    assert len(invoices) == 6
    newest = invoices[-1]
    assert newest["UnpaidSum"] == newest["InvoiceSum"]
    assert invoices[0]["UnpaidSum"] == 0
    async with session.get(f"{base}/{newest['InvoiceNo']}", headers=AUTH) as response:
        assert (await response.json())["InvoiceNo"] == newest["InvoiceNo"]
    async with session.get(
        f"{base}/{newest['InvoiceNo']}/pdf", headers=AUTH
    ) as response:
        assert response.content_type == "application/pdf"
        assert (await response.read()).startswith(b"%PDF")
    async with session.get(
        f"{base}/{newest['InvoiceNo']}/pdf",
        params={"userName": Sim.USERNAME, "password": Sim.PASSWORD, "area": "2"},
    ) as response:
        assert response.status == 200
    async with session.get(f"{base}/nope", headers=AUTH) as response:
        assert response.status == 404
    async with session.get(f"{base}/nope/pdf", headers=AUTH) as response:
        assert response.status == 404


@freeze_time(NOW)
async def test_messages(served: tuple[Sim, str, ClientSession]) -> None:
    """Pages from 1, newest first; counts by state; empty-page fault."""
    sim, url, session = served
    base = f"{url}/api/customers/1001/messages"
    sim.add_message(1001, "Outage", "Now", datetime(2026, 10, 26, tzinfo=UTC))
    async with session.get(base, headers=AUTH, params={"pageSize": 2, "page": 1}) as r:
        page1 = await r.json()
    async with session.get(base, headers=AUTH, params={"pageSize": 2, "page": 2}) as r:
        page2 = await r.json()
    assert [m["Id"] for m in page1 + page2] == [3, 2, 1]
    async with session.get(
        f"{base}/count", headers=AUTH, params={"state": "Unread"}
    ) as r:
        assert await r.json() == 2
    async with session.get(f"{base}/count", headers=AUTH) as r:
        assert await r.json() == 3
    for params in ({"pageSize": 0}, {"page": 0}, {"page": "x"}):
        async with session.get(base, headers=AUTH, params=params) as r:
            assert r.status == 400
    sim.faults.inject(Fault.EMPTY_PAGE, endpoint="messages")
    async with session.get(base, headers=AUTH) as r:
        assert await r.json() == []
    async with session.get(f"{base}/count", headers={**AUTH, "X-Area": "7"}) as r:
        assert r.status == 400
    async with session.get(
        f"{url}/api/customers/1002/messages",
        headers={**AUTH, "X-Area": "1"},
    ) as r:
        assert r.status == 404


@freeze_time(NOW)
async def test_readings(served: tuple[Sim, str, ClientSession]) -> None:
    """A saved reading is listed; lower or future ones say why."""
    _, url, session = served
    base = f"{url}/api/customers/1001/deliverypoints/7001/readings"
    body = {
        "CustomerId": 1001,
        "DeliveryPointId": 7001,
        "ReadingDate": "2026-10-26T00:00:00",
        "Value": 12345,
    }
    async with session.post(base, headers=AUTH, json=body) as r:
        assert (await r.json())["ResponseStatus"]["ErrorCode"] == 0
    async with session.post(base, headers=AUTH, json={**body, "Value": 10}) as r:
        assert (await r.json())["ResponseStatus"]["ErrorCode"] == 2
    async with session.post(
        base, headers=AUTH, json={**body, "ReadingDate": "2026-12-01T00:00:00"}
    ) as r:
        assert (await r.json())["ResponseStatus"]["ErrorCode"] == 3
    for bad in ({**body, "Value": 1.5}, {"Value": 1}):
        async with session.post(base, headers=AUTH, json=bad) as r:
            assert r.status == 400
    async with session.get(base, headers=AUTH) as r:
        assert [row["Value"] for row in await r.json()] == [12345]
    async with session.get(
        f"{url}/api/customers/1001/deliverypoints/x/readings", headers=AUTH
    ) as r:
        assert r.status == 404


@freeze_time(NOW)
async def test_faults(served: tuple[Sim, str, ClientSession]) -> None:
    """Framework faults apply to every route, counted per endpoint."""
    sim, url, session = served
    sim.faults.inject(Fault.UNAUTHORIZED, endpoint="invoices")
    async with session.get(
        f"{url}/api/customers/1001/invoices", headers=AUTH
    ) as response:
        assert response.status == 401
    sim.faults.inject(Fault.RATE_LIMIT)
    async with session.get(f"{url}/api/customers/1001/invoices", headers=AUTH) as r:
        assert (r.status, r.headers["Retry-After"]) == (429, "60")
    assert sim.counters["invoices"] == 2
    assert sim.invoices(1001)[0]["InvoiceDate"] == ("2026-04-30T22:00:00")
