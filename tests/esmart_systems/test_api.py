"""The eSmart Systems client on its own, against scripted answers (no HA)."""

import base64
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.esmart_systems.api import (
    Area,
    Contract,
    ESmartAuthenticationError,
    ESmartBadRequestError,
    ESmartClient,
    ESmartConnectionError,
    ESmartNotFoundError,
    ESmartNotInAreaError,
    ESmartRateLimitError,
    ESmartResponseError,
    Resolution,
    find_list,
    parse_contract,
    parse_reading,
    parse_wattmeter,
    resolve_references,
)
from tests.conftest import Replies

PASSWORD = "s3cret:pa ss/ord"
START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 10, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed for client tests."""


def _api(
    client: ClientSession, mocked: Replies, area: Area = Area.POWER
) -> ESmartClient:
    return ESmartClient(client, mocked.base, "kari", PASSWORD, area, request_timeout=2)


def _contract(**overrides: Any) -> Contract:
    values: dict[str, Any] = {
        "contract_no": "5/01",
        "customer_id": "1001",
        "kind": "power",
        "delivery_point_id": "7001",
        "delivery_point_name": "Home",
        "address": None,
        "meter_id": "900001",
        "unit": "kWh",
        "has_wattmeter": False,
        "price_area": "NO1",
        "is_active": True,
    }
    values.update(overrides)
    return Contract(**values)


def test_resolve_references_nested_and_repeated() -> None:
    """Refs resolve forward and backward, nested, repeated; $values become lists."""
    data = {
        "$id": "1",
        "A": {"$ref": "3"},
        "B": [{"$id": "3", "X": 1, "Inner": {"$id": "4", "Y": 2}}, {"$ref": "4"}],
        "C": {"$ref": "4"},
        "D": {"$id": "5", "$values": [{"$ref": "3"}]},
        "E": {"$ref": "99"},
        "F": {"$id": "6", "Self": {"$ref": "6"}},
    }
    resolved = resolve_references(data)
    inner = {"Y": 2}
    assert resolved["A"] == {"X": 1, "Inner": inner}
    assert resolved["B"] == [{"X": 1, "Inner": inner}, inner]
    assert resolved["C"] == inner
    assert resolved["D"] == [{"X": 1, "Inner": inner}]
    assert resolved["E"] is None
    assert resolved["F"] == {"Self": None}


def test_find_list() -> None:
    """Bare lists, known keys, a single list, or nothing."""
    assert find_list([1]) == [1]
    assert find_list({"Values": [1]}) == [1]
    assert find_list({"Other": [2], "Unit": "kWh"}) == [2]
    assert find_list({"A": [1], "B": [2]}) == []
    assert find_list("x") == []


def test_parsers_are_strict_about_values() -> None:
    """Rows without what they need are skipped; odd shapes raise."""
    assert parse_contract({"IsActive": True}, "1") is None
    assert parse_contract("x", "1") is None
    water = parse_contract(
        {"ContractNo": 7.0, "IsTapWaterContract": "true", "IsActive": "false",
         "DeliveryAddress": "Main street 1"},
        "1",
    )  # fmt: skip
    assert water is not None
    assert (water.contract_no, water.kind, water.unit, water.is_active) == (
        "7", "water", "m³", False,
    )  # fmt: skip
    assert water.address == "Main street 1"
    with pytest.raises(ESmartResponseError):
        parse_wattmeter([1])
    with pytest.raises(ESmartResponseError):
        parse_reading([1])
    empty = parse_wattmeter({"Last": {"Value": "x"}})
    assert empty.last is None


async def test_authenticate(client: ClientSession, mocked: Replies) -> None:
    """Body and headers as documented; Basic auth and X-Area on the request."""
    mocked.post(
        payload={
            "$id": "1",
            "CustomerIds": [1001, 1001.0, "1002", None],
            "AuthProvider": "CustomerWeb",
            "RegistrationStatus": "Registered",
            "UserAuthId": "abc",
        }
    )
    result = await _api(client, mocked, Area.NET).authenticate()
    assert result.customer_ids == ("1001", "1002")
    assert result.user_auth_id == "abc"
    request = mocked.requests[0]
    assert request.path == "/api/Authenticate"
    assert request.headers["X-Area"] == "1"
    expected = base64.b64encode(f"kari:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert b'"Area": 1' in mocked.bodies[0]
    for payload in ([1], {"CustomerIds": [1]}):
        mocked.post(payload=payload)
        with pytest.raises(ESmartResponseError):
            await _api(client, mocked).authenticate()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, ESmartAuthenticationError),
        (410, ESmartNotInAreaError),
        (400, ESmartBadRequestError),
        (404, ESmartNotFoundError),
        (418, ESmartResponseError),
        (503, ESmartConnectionError),
    ],
)
async def test_errors_are_typed_and_redacted(
    client: ClientSession, mocked: Replies, status: int, error: type[Exception]
) -> None:
    """Each status has its error; an echoed password never reaches the message."""
    mocked.get(payload={"Message": f"bad password {PASSWORD}"}, status=status)
    with pytest.raises(error) as caught:
        await _api(client, mocked).invoices("1001")
    assert PASSWORD not in str(caught.value)


async def test_rate_limit_holds_requests(
    client: ClientSession, mocked: Replies
) -> None:
    """A 429 closes the gate: the next call is answered without a request."""
    api = _api(client, mocked)
    mocked.get(body="slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(ESmartRateLimitError) as caught:
        await api.invoices("1001")
    assert caught.value.retry_after == 120
    with pytest.raises(ESmartRateLimitError):
        await api.invoices("1001")
    assert len(mocked.requests) == 1


async def test_bad_bodies_and_transport(client: ClientSession, mocked: Replies) -> None:
    """Invalid JSON, a timeout and a refused connection are typed errors."""
    mocked.get(body="{", content_type="application/json")
    with pytest.raises(ESmartResponseError):
        await _api(client, mocked).invoices("1001")
    mocked.get(payload=[], delay=5)
    with pytest.raises(ESmartConnectionError):
        await _api(client, mocked).invoices("1001")
    api = ESmartClient(client, "http://127.0.0.1:9/api", "kari", PASSWORD, Area.POWER)
    with pytest.raises(ESmartConnectionError) as caught:
        await api.invoices("1001")
    assert PASSWORD not in str(caught.value)


async def test_paths_are_quoted(client: ClientSession, mocked: Replies) -> None:
    """Ids cannot leave their path segment; a base ending in /api works."""
    api = ESmartClient(client, f"{mocked.base}/api/", "kari", PASSWORD, Area.POWER)
    mocked.get(
        payload={
            "Invoices": [{"InvoiceNo": 1, "DueDate": "2026-10-31T00:00:00"}, {"x": 1}]
        }
    )
    invoices = await api.invoices("10/../01")
    assert mocked.requests[0].raw_path == "/api/customers/10%2F..%2F01/invoices"
    assert invoices[0].due_date == datetime(2026, 10, 31, tzinfo=UTC)


async def test_contracts_shapes(client: ClientSession, mocked: Replies) -> None:
    """Flat contracts and delivery points holding contracts, with $ref addresses."""
    mocked.get(
        payload=[
            {
                "$id": "1",
                "ContractNo": "5001",
                "IsPowerContract": True,
                "MeterId": 900001,
                "HasWattMeter": True,
                "DeliveryAddress": {"$id": "2", "StreetName": "Storgata",
                                    "HouseNumber": "12", "PostalCode": "0155", "City": "Oslo"},
            },
            {
                "$id": "3",
                "DeliveryPointName": "Hytta",
                "MeterId": 900003,
                "DeliveryAddress": {"$ref": "2"},
                "Contracts": [{"$id": "4", "ContractNo": 5003, "IsNetContract": True}, "x"],
            },
            {"$id": "5", "IsGasContract": True},
        ]
    )  # fmt: skip
    contracts = await _api(client, mocked).contracts("1001")
    assert (
        mocked.paths[0]
        == "/api/customers/1001/contractdeliverypoints?includeWattMeter=true"
    )
    assert [(c.contract_no, c.kind, c.meter_id) for c in contracts] == [
        ("5001", "power", "900001"),
        ("5003", "net", "900003"),
    ]
    assert contracts[0].address == "Storgata 12, 0155 Oslo"
    assert contracts[1].address == contracts[0].address
    assert contracts[0].has_wattmeter is True
    assert contracts[1].delivery_point_name == "Hytta"


async def test_series_chunks_and_splits(client: ClientSession, mocked: Replies) -> None:
    """Hourly ranges go a month at a time; a refused range is split in two."""
    api = _api(client, mocked)
    contract = _contract()
    mocked.post(status=400, payload={"Message": "The requested period is too long"})
    mocked.post(
        payload={"Values": [
            {"ValueTime": "2026-10-01T00:00:00", "Value": 1.5, "Status": "Measured"},
            {"ValueTime": "2026-10-01T01:00:00", "Value": "nan"},
            {"ValueTime": None, "Value": 1},
            "x",
        ]}
    )  # fmt: skip
    mocked.post(payload=[{"ValueTime": "2026-10-01T12:00:00", "Value": 2, "Status": 1}])
    values = await api.series(
        "consumption", contract, START, datetime(2026, 10, 3, tzinfo=UTC)
    )
    assert [(v.start.hour, v.value, v.status) for v in values] == [
        (0, 1.5, "Measured"),
        (12, 2.0, "1"),
    ]
    assert mocked.requests[0].raw_path == (
        "/api/customers/1001/contracts/5%2F01/meters/900001/consumption"
    )
    assert b'"FromTime": "2026-10-01T00:00:00"' in mocked.bodies[0]
    assert b'"Resolution": 7' in mocked.bodies[0]
    assert b'"CustomerId": 1001' in mocked.bodies[0]
    # A day that is still refused is an error.
    mocked.post(status=400, payload={"Message": "no"})
    with pytest.raises(ESmartBadRequestError):
        await api.series("costs", contract, START, START.replace(hour=5))
    # Long ranges: one request per 31 days (Hour) or per year (Day).
    mocked.queue.clear()
    for _ in range(3):
        mocked.post(payload=[])
    await api.series("costs", contract, START, datetime(2026, 12, 15, tzinfo=UTC))
    mocked.post(payload=[])
    await api.series(
        "costs", contract, START, datetime(2026, 12, 15, tzinfo=UTC), Resolution.DAY
    )
    assert len(mocked.requests) == 4 + 3 + 1
    with pytest.raises(ESmartResponseError):
        await api.series("costs", _contract(meter_id=None), START, END)
    with pytest.raises(ESmartResponseError):
        await api.wattmeter(_contract(meter_id=None))


async def test_prices_wattmeter_messages_readings(
    client: ClientSession, mocked: Replies
) -> None:
    """The other resources, in their documented or assumed shapes."""
    api = _api(client, mocked)
    contract = _contract(contract_no="5001")
    mocked.get(payload={"Prices": [
        {"FromTime": "2026-10-01T00:00:00", "Price": 0.5},
        {"FromTime": "2026-10-01T01:00:00", "Price": None},
    ]})  # fmt: skip
    assert await api.hour_prices(contract, START, END) == [(START, 0.5)]
    assert "fromTimeUtc=2026-10-01T00:00:00" in mocked.paths[-1]
    mocked.get(payload=[{"ValueTime": "2026-10-01T00:00:00", "Value": 0.4}, 1])
    assert await api.spot_prices("NO1", START, END) == [(START, 0.4)]
    assert "priceArea=NO1" in mocked.paths[-1]
    mocked.get(
        payload={"$id": "1", "Config": {"$id": "2"}, "Data": {
            "$id": "3",
            "Last": {"$id": "4", "ValueTime": "2026-10-01T00:00:00", "Value": 1500},
            "ThisMonthMax": {"$ref": "4"},
            "Max": {"$ref": "4"},
        }}
    )  # fmt: skip
    meter = await api.wattmeter(contract)
    assert meter.last is not None
    assert meter.max == meter.this_month_max == meter.last
    assert meter.last.watts == 1500
    mocked.get(
        payload=[
            {"Id": 3, "Subject": "Outage", "SentDateTime": "2026-10-01T00:00:00"},
            {},
        ]
    )
    messages = await api.messages("1001")
    assert [m.id for m in messages] == ["3"]
    assert "page=1" in mocked.paths[-1]
    for payload, count in ((4, 4), ({"Count": 2}, 2)):
        mocked.get(payload=payload)
        assert await api.unread_count("1001") == count
    for payload in ("x", -1):
        mocked.get(payload=payload)
        with pytest.raises(ESmartResponseError):
            await api.unread_count("1001")
    mocked.post(
        payload={"DeliveryPointId": 7001, "ReadingDate": "2026-10-01T00:00:00", "Value": 10,
                 "ResponseStatus": {"ErrorCode": 2, "Message": "lower"}}
    )  # fmt: skip
    reading = await api.submit_reading("1001", "7001", START, 10)
    assert (reading.error_code, reading.error_message, reading.value) == (
        2,
        "lower",
        10,
    )
    assert b'"Value": 10' in mocked.bodies[-1]
    mocked.get(body="%PDF-1.4", content_type="application/pdf")
    assert await api.invoice_pdf("1001", "42") == b"%PDF-1.4"
    assert PASSWORD not in mocked.paths[-1]
    assert api.area is Area.POWER
    assert api.requests == 10
