"""The MOOST API client on its own (no Home Assistant).

Scripted answers come from the ``mocked`` loopback server of
``tests/conftest.py``; the round trip runs against the MOOST simulator.
"""

import asyncio
import base64
from datetime import UTC, date, datetime, timedelta
import json
import logging
import math
from typing import Any

from aiohttp import ClientSession
from freezegun import freeze_time
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.moost.api import (
    GATEWAY,
    InvalidEventError,
    MoostAuthenticationError,
    MoostBadRequestError,
    MoostBuilding,
    MoostClient,
    MoostConflictError,
    MoostConnectionError,
    MoostDevice,
    MoostError,
    MoostEvent,
    MoostForecast,
    MoostForecastValue,
    MoostNotFoundError,
    MoostRateLimitError,
    MoostResponseError,
    _forecast_value as _parse_forecast_value,
    _notification as _parse_notification,
    _statistic as _parse_statistic,
    jwt_customer_id,
)
from custom_components.moost.common.api_helpers import (
    VendorAuthenticationError,
    VendorConnectionError,
    VendorRateLimitError,
    VendorResponseError,
)
from simulators import Fault
from simulators.moost import MoostSimulator
from tests.conftest import Replies, StartSimulator

CUSTOMER = "6565f0c1a2b3c4d5e6f70812"
SECRET = "top-secret_value42"
RULE_A = "65a0c1e2f3a4b5c6d7e8f901"
RULE_B = "65a0c1e2f3a4b5c6d7e8f902"
NOTE = "6600aa11bb22cc33dd44ee55"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass (and no recorder) needed for client tests."""


@pytest.fixture(autouse=True)
def swiss_home() -> None:
    """Override the package's hass-based autouse fixture: no hass here."""


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(customer_id: Any = CUSTOMER, **claims: Any) -> str:
    """Return an (unsigned-looking) RS256 JWT with a customerId claim."""
    payload = {"customerId": customer_id, **claims} if customer_id else claims
    return f"{_b64({'alg': 'RS256'})}.{_b64(payload)}.c2lnbmF0dXJl"


def _token(mocked: Replies, expires_in: int | None = 86400, **claims: Any) -> None:
    payload: dict[str, Any] = {
        "access_token": jwt(**claims),
        "token_type": "Bearer",
        "scope": "x",
    }
    if expires_in is not None:
        payload["expires_in"] = expires_in
    mocked.get(payload=payload)


def _client(session: ClientSession, mocked: Replies, **kwargs: Any) -> MoostClient:
    return MoostClient(
        session, "clientid1", SECRET, mocked.base, request_timeout=0.5, **kwargs
    )


def _event(**changes: Any) -> MoostEvent:
    fields: dict[str, Any] = {
        "customer_building_id": "home",
        "device_id": "gateway",
        "device_name": "Home",
        "type": "ENERGY_CONSUMPTION",
        "value": 125.0,
        "timestamp": 1_764_320_400,
    }
    return MoostEvent(**(fields | changes))


# Token and customer id ------------------------------------------------------


async def test_login_reads_customer_id_and_caches_token(
    client: ClientSession, mocked: Replies
) -> None:
    """The token request carries the credentials; customerId from the JWT payload."""
    api = _client(client, mocked)
    _token(mocked)
    before = api.customer_id
    assert await api.async_login() == CUSTOMER
    assert (before, api.customer_id) == (None, CUSTOMER)
    request = mocked.requests[0]
    assert request.method == "GET"
    assert request.path == "/auth/token/v1"
    assert dict(request.query) == {"clientId": "clientid1", "clientSecret": SECRET}
    # Two data calls reuse the token; each carries it as a bearer header.
    mocked.get(status=200, payload=[])
    mocked.get(status=200, payload=[])
    await api.async_get_buildings()
    await api.async_get_buildings()
    assert api.token_requests == 1
    assert mocked.requests[1].headers["Authorization"] == f"Bearer {jwt()}"
    assert mocked.requests[2].query["activeOnly"] == "false"


async def test_token_renewed_after_its_lifetime(
    client: ClientSession, mocked: Replies
) -> None:
    """A token lives expires_in (24 h) minus a margin; then one new token."""
    api = _client(client, mocked)
    with freeze_time("2026-11-27 00:00:00") as frozen:
        _token(mocked)
        mocked.get(payload=[])
        await api.async_get_buildings()
        frozen.tick(timedelta(hours=23))
        mocked.get(payload=[])
        await api.async_get_buildings()
        assert api.token_requests == 1
        frozen.tick(timedelta(minutes=59))
        _token(mocked)
        mocked.get(payload=[])
        await api.async_get_buildings()
        assert api.token_requests == 2


async def test_token_without_expires_in_uses_jwt_exp(
    client: ClientSession, mocked: Replies
) -> None:
    """Without expires_in the JWT's exp (if shorter than 24 h) decides."""
    api = _client(client, mocked)
    with freeze_time("2026-11-27 00:00:00") as frozen:
        exp = int(datetime(2026, 11, 27, 1, tzinfo=UTC).timestamp())
        _token(mocked, expires_in=None, exp=exp)
        await api.async_login()
        frozen.tick(timedelta(minutes=56))
        _token(mocked, expires_in=None)
        mocked.get(payload=[])
        await api.async_get_buildings()
        assert api.token_requests == 2


async def test_401_renews_the_token_once(
    client: ClientSession, mocked: Replies
) -> None:
    """A refused token is renewed once; refused again it is MOOST's problem."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(status=401, payload={"message": "expired"})
    _token(mocked)
    mocked.get(payload=[])
    assert await api.async_get_buildings() == []
    assert api.token_requests == 2
    # Refused twice in a row: no endless loop, no reauth (the credentials
    # were just accepted).
    mocked.get(status=401)
    _token(mocked)
    mocked.get(status=401)
    with pytest.raises(MoostResponseError) as err:
        await api.async_get_buildings()
    assert not isinstance(err.value, MoostAuthenticationError)
    assert api.token_requests == 3


@pytest.mark.parametrize("status", [400, 401])
async def test_refused_credentials(
    client: ClientSession, mocked: Replies, status: int
) -> None:
    """401 (and 400 for credentials breaking the spec's pattern) is auth."""
    api = _client(client, mocked)
    mocked.get(status=status, payload={"message": f"bad {SECRET}"})
    with pytest.raises(MoostAuthenticationError) as err:
        await api.async_login()
    assert isinstance(err.value, VendorAuthenticationError)
    assert SECRET not in str(err.value)
    assert SECRET not in repr(err.value.__cause__)


@pytest.mark.parametrize(
    "payload",
    [
        {"token_type": "Bearer"},
        {"access_token": "not-a-jwt", "token_type": "Bearer"},
        {"access_token": jwt(customer_id=None), "token_type": "Bearer"},
        {"access_token": jwt(customer_id="short"), "token_type": "Bearer"},
        {"access_token": "a.!!!.b", "token_type": "Bearer"},
        ["not", "an", "object"],
    ],
)
async def test_unusable_token_answers(
    client: ClientSession, mocked: Replies, payload: Any
) -> None:
    """A token without a readable 24-character customerId is a response error."""
    api = _client(client, mocked)
    mocked.get(payload=payload)
    with pytest.raises(MoostResponseError):
        await api.async_login()
    assert api.customer_id is None


def test_jwt_customer_id() -> None:
    """Only the payload is decoded; the signature is not checked."""
    assert jwt_customer_id(jwt()) == CUSTOMER
    assert jwt_customer_id(jwt(customer_id=12345)) is None
    assert jwt_customer_id("x." + _b64({"a": 1}) + ".y") is None
    assert jwt_customer_id("x.WyJsaXN0Il0.y") is None  # a list payload
    assert jwt_customer_id("nodots") is None


# Error mapping ----------------------------------------------------------------


async def test_rate_limit_is_honoured_for_every_call(
    client: ClientSession, mocked: Replies
) -> None:
    """429 -> MoostRateLimitError(retry_after); no request until it has passed."""
    api = _client(client, mocked)
    with freeze_time("2026-11-27 00:00:00") as frozen:
        _token(mocked)
        mocked.get(status=429, headers={"Retry-After": "17"})
        with pytest.raises(MoostRateLimitError) as err:
            await api.async_get_buildings()
        assert err.value.retry_after == 17
        assert isinstance(err.value, VendorRateLimitError)
        sent = len(mocked.requests)
        frozen.tick(timedelta(seconds=10))
        with pytest.raises(MoostRateLimitError) as err:
            await api.async_send_event(_event())
        assert err.value.retry_after == pytest.approx(7)
        assert len(mocked.requests) == sent
        frozen.tick(timedelta(seconds=8))
        mocked.post(status=201)
        await api.async_send_event(_event())
        assert len(mocked.requests) == sent + 1


async def test_rate_limit_without_retry_after(
    client: ClientSession, mocked: Replies
) -> None:
    """A 429 without Retry-After says nothing about the wait."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(status=429)
    with pytest.raises(MoostRateLimitError) as err:
        await api.async_get_buildings()
    assert err.value.retry_after is None
    mocked.get(payload=[])
    assert await api.async_get_buildings() == []


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_connection_errors(
    client: ClientSession, mocked: Replies, status: int
) -> None:
    """5xx is MOOST being down: a connection error, retried later."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.post(status=status, body="oops")
    with pytest.raises(MoostConnectionError) as err:
        await api.async_send_event(_event())
    assert isinstance(err.value, VendorConnectionError)


async def test_timeout_and_unreachable(client: ClientSession, mocked: Replies) -> None:
    """A slow answer and a closed port are connection errors without secrets."""
    api = _client(client, mocked)
    mocked.get(delay=2, payload={})
    with pytest.raises(MoostConnectionError, match="Timeout"):
        await api.async_login()
    closed = MoostClient(client, "clientid1", SECRET, "http://127.0.0.1:9")
    with pytest.raises(MoostConnectionError) as err:
        await closed.async_login()
    assert SECRET not in str(err.value)
    assert "127.0.0.1" in str(err.value)


async def test_bad_request_is_redacted_and_truncated(
    client: ClientSession, mocked: Replies
) -> None:
    """400 carries MOOST's message without secrets or the token, cut short."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.post(
        status=400,
        payload={"message": f"bad event; secret {SECRET} token {jwt()} " + "x" * 500},
    )
    with pytest.raises(MoostBadRequestError) as err:
        await api.async_send_event(_event())
    assert err.value.status == 400
    assert err.value.message.startswith("bad event; secret **REDACTED** token **")
    assert SECRET not in str(err.value)
    assert jwt() not in str(err.value)
    assert len(err.value.message) <= 200


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, MoostNotFoundError),
        (409, MoostConflictError),
        (403, MoostResponseError),
        (418, MoostResponseError),
        (302, MoostResponseError),
    ],
)
async def test_status_mapping(
    client: ClientSession, mocked: Replies, status: int, error: type[MoostError]
) -> None:
    """Each status maps to its exception, keeping the status."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.post(status=status, payload={"message": "nope"})
    building = MoostBuilding(
        customer_building_id="home",
        zip="8005",
        city="Zürich",
        country_code="CH",
        time_zone_id=None,
    )
    with pytest.raises(error) as err:
        await api.async_create_building(building)
    assert type(err.value) is error
    assert isinstance(err.value, VendorResponseError)
    assert getattr(err.value, "status", None) == status


async def test_malformed_json(client: ClientSession, mocked: Replies) -> None:
    """A truncated body is a response error, not a crash."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(body='[{"truncated', content_type="application/json")
    with pytest.raises(MoostResponseError, match="Malformed"):
        await api.async_get_buildings()
    mocked.get(payload={"not": "a list"})
    with pytest.raises(MoostResponseError, match="list"):
        await api.async_get_buildings()


def test_base_url_must_be_https(client: ClientSession) -> None:
    """Plain HTTP only on loopback (the simulator)."""
    with pytest.raises(ValueError):
        MoostClient(client, "a", "b", "http://api.moost.io")
    assert MoostClient(client, "a", "b").customer_id is None


# Paths and bodies --------------------------------------------------------------


async def test_path_segments_are_quoted(client: ClientSession, mocked: Replies) -> None:
    """Building, rule and notification ids cannot reach another path."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(status=404, payload={"message": "no"})
    with pytest.raises(MoostNotFoundError):
        await api.async_get_building("a/b?c#d %")
    mocked.get(status=200)  # PUT rule
    await api.async_set_rule("my home", "rule/../x", True)
    mocked.post(status=200)
    await api.async_post_interaction("n/1", "DISMISS")
    raw = [request.raw_path for request in mocked.requests[1:]]
    assert raw == [
        "/buildings/a%2Fb%3Fc%23d%20%25/v1",
        "/buildings/my%20home/rules/rule%2F..%2Fx/v1?status=active",
        "/pushnotifications/n%2F1/interactions/v1",
    ]
    for unusable in ("", ".", ".."):
        with pytest.raises(ValueError):
            await api.async_get_building(unusable)
    assert len(mocked.requests) == 4


async def test_events_carry_the_token_customer(
    client: ClientSession, mocked: Replies
) -> None:
    """One event per POST /events/v1; a list for historical; none when empty."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.post(status=201)
    await api.async_send_event(_event(source="BATTERY", type="ENERGY_IMPORT"))
    mocked.post(status=200)
    await api.async_send_historical([_event(), _event(timestamp=1_764_321_300)])
    await api.async_send_historical([])
    assert [r.path for r in mocked.requests] == [
        "/auth/token/v1",
        "/events/v1",
        "/events/historical/v1",
    ]
    assert json.loads(mocked.bodies[1]) == {
        "customerId": CUSTOMER,
        "customerBuildingId": "home",
        "deviceId": "gateway",
        "deviceName": "Home",
        "type": "ENERGY_IMPORT",
        "source": "BATTERY",
        "value": 125.0,
        "timestamp": 1_764_320_400,
    }
    batch = json.loads(mocked.bodies[2])
    assert [event["timestamp"] for event in batch] == [1_764_320_400, 1_764_321_300]
    assert {event["customerId"] for event in batch} == {CUSTOMER}


def test_event_round_trip_and_key() -> None:
    """as_json/from_json round-trip (the outbox Store); the dedupe key."""
    event = _event()
    assert event.source == GATEWAY
    assert event.key() == ("home", "gateway", "ENERGY_CONSUMPTION", 1_764_320_400)
    assert MoostEvent.from_json(event.as_json(CUSTOMER)) == event
    stored = event.as_json(CUSTOMER)
    del stored["source"]
    stored["value"] = "125"
    assert MoostEvent.from_json(stored) == event
    cases: list[Any] = [
        [],
        {**event.as_json(CUSTOMER), "deviceId": ""},
        {**event.as_json(CUSTOMER), "value": "n/a"},
        {**event.as_json(CUSTOMER), "value": float("nan")},
        {**event.as_json(CUSTOMER), "timestamp": "1764320400"},
        {**event.as_json(CUSTOMER), "timestamp": True},
    ]
    for broken in cases:
        with pytest.raises(InvalidEventError):
            MoostEvent.from_json(broken)
    with pytest.raises(ValueError):
        MoostEvent.from_json(None)


# Buildings ---------------------------------------------------------------------


BUILDING_JSON: dict[str, Any] = {
    "id": "abc",
    "customerId": CUSTOMER,
    "customerBuildingId": "home",
    "zip": "8005",
    "city": "Zürich",
    "countryCode": "CH",
    "timeZoneId": "Europe/Zurich",
    "activeRules": [RULE_A],
    "inactiveRules": [RULE_B, 7, None],
    "userIds": ["u1"],
    "profile": {"consumptionCategory": "LOW"},
    "settings": {
        "tariff": {"type": "DUAL", "minPrice": "0.10", "maxPrice": "n/a"},
        "other": 1,
    },
    "devices": [
        {
            "id": "dev-1",
            "type": "BATTERY",
            "name": "Battery",
            "product_name": "B1",
            "vendor_name": "V",
        },
        {"id": "dev-2", "type": "CAR"},
        {"name": "no id"},
        "garbage",
    ],
    "unknown": {"ignored": True},
}


async def test_building_parsing(client: ClientSession, mocked: Replies) -> None:
    """Unknown fields ignored, unreadable devices skipped, string prices numbers."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(payload=BUILDING_JSON)
    building = await api.async_get_building("home")
    assert building.customer_building_id == "home"
    assert building.id == "abc"
    assert building.time_zone_id == "Europe/Zurich"
    assert building.tariff == {"type": "DUAL", "minPrice": 0.1}
    assert [d.id for d in building.devices] == ["dev-1", "dev-2"]
    assert building.devices[1] == MoostDevice(
        id="dev-2", name="dev-2", type="CAR", product_name="dev-2", vendor_name=""
    )
    assert building.active_rules == (RULE_A,)
    assert building.inactive_rules == (RULE_B, "7")
    assert not building.deactivated
    mocked.get(
        payload=[
            BUILDING_JSON,
            {"zip": "1"},
            "x",
            {**BUILDING_JSON, "deactivatedTimestamp": 5},
        ]
    )
    buildings = await api.async_get_buildings()
    assert [b.deactivated for b in buildings] == [False, True]
    mocked.get(payload=["not an object"])
    with pytest.raises(MoostResponseError):
        await api.async_get_building("home")


async def test_create_building_body(client: ClientSession, mocked: Replies) -> None:
    """POST /buildings/v1 with the spec's field names; None fields left out."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.post(status=201, payload={})
    device = MoostDevice(
        id="ha-gateway",
        name="Home",
        type="GATEWAY",
        product_name="HA",
        vendor_name="HA",
    )
    await api.async_create_building(
        MoostBuilding(
            customer_building_id="home",
            zip="8005",
            city="Zürich",
            country_code="CH",
            time_zone_id=None,
            devices=(device,),
            tariff={"type": "SINGLE"},
        )
    )
    assert json.loads(mocked.bodies[1]) == {
        "customerId": CUSTOMER,
        "customerBuildingId": "home",
        "zip": "8005",
        "city": "Zürich",
        "countryCode": "CH",
        "devices": [
            {
                "id": "ha-gateway",
                "name": "Home",
                "type": "GATEWAY",
                "product_name": "HA",
                "vendor_name": "HA",
            }
        ],
        "settings": {"tariff": {"type": "SINGLE"}},
    }


async def test_update_building_keeps_what_moost_holds(
    client: ClientSession, mocked: Replies
) -> None:
    """PUT replaces location (and tariff, devices when given), keeps rules and users."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(payload=BUILDING_JSON)
    mocked.get(status=200, payload={})
    await api.async_update_building(
        MoostBuilding(
            customer_building_id="home",
            zip="8001",
            city="Bern",
            country_code="CH",
            time_zone_id="Europe/Zurich",
        )
    )
    sent = json.loads(mocked.bodies[2])
    assert mocked.requests[2].method == "PUT"
    assert mocked.requests[2].path == "/buildings/v1"
    assert (sent["zip"], sent["city"]) == ("8001", "Bern")
    assert sent["activeRules"] == [RULE_A]
    assert sent["userIds"] == ["u1"]
    assert "profile" not in sent
    assert len(sent["devices"]) == 4  # as MOOST holds them: not ours to drop
    assert sent["settings"] == {"tariff": {"type": "DUAL", "minPrice": 0.1}, "other": 1}
    # With a tariff: only settings.tariff changes.
    mocked.get(payload={**BUILDING_JSON, "settings": None})
    mocked.get(status=200)
    await api.async_update_building(
        MoostBuilding(
            customer_building_id="home",
            zip="8001",
            city="Bern",
            country_code="CH",
            time_zone_id=None,
            tariff={"type": "SINGLE"},
        )
    )
    assert json.loads(mocked.bodies[4])["settings"] == {"tariff": {"type": "SINGLE"}}
    mocked.get(status=404, payload={"message": "no"})
    with pytest.raises(MoostNotFoundError):
        await api.async_update_building(
            MoostBuilding(
                customer_building_id="gone",
                zip=None,
                city=None,
                country_code=None,
                time_zone_id=None,
            )
        )
    mocked.get(payload=[1])
    with pytest.raises(MoostResponseError):
        await api.async_set_tariff("home", {"type": "SINGLE"})
    mocked.get(payload="building")
    with pytest.raises(MoostResponseError):
        await api.async_update_building(
            MoostBuilding(
                customer_building_id="home",
                zip=None,
                city=None,
                country_code=None,
                time_zone_id=None,
            )
        )
    # A building with the bare minimum: no lists, no settings.
    mocked.get(payload={"customerBuildingId": "home", "activeRules": "all"})
    bare = await api.async_get_building("home")
    assert (bare.active_rules, bare.devices, bare.tariff, bare.zip) == (
        (),
        (),
        None,
        None,
    )


async def test_set_tariff(client: ClientSession, mocked: Replies) -> None:
    """settings.tariff is replaced; everything else is written back as read."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(payload=BUILDING_JSON)
    mocked.get(status=200)
    tariff = {"type": "DYNAMIC", "currency": "CHF", "dynamic": {"tariffs": []}}
    await api.async_set_tariff("home", tariff)
    sent = json.loads(mocked.bodies[2])
    assert sent["settings"] == {"tariff": tariff, "other": 1}
    assert sent["customerId"] == CUSTOMER
    assert sent["activeRules"] == [RULE_A]
    mocked.get(status=200)
    await api.async_put_devices("home", [])
    assert mocked.requests[-1].method == "PUT"
    assert mocked.requests[-1].path == "/buildings/home/devices/v1"
    assert json.loads(mocked.bodies[-1]) == []
    mocked.get(status=200)
    await api.async_delete_building("home")
    assert mocked.requests[-1].method == "DELETE"


# Rules and notifications ---------------------------------------------------------


def _rule(
    rule_id: str | None, name: str | None = "Rule", **extra: Any
) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": name,
        "customerId": CUSTOMER,
        "condition": "x",
        **extra,
    }


async def test_rules_combine_customer_and_building(
    client: ClientSession, mocked: Replies
) -> None:
    """Every customer rule; active when the building has it; rows without id skipped."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(payload=[_rule(RULE_A, "High use")])
    mocked.get(
        payload=[
            _rule(RULE_A, "High use", description="d"),
            _rule(RULE_B, None, ruleState="PAUSE"),
            _rule(None),
            "garbage",
        ]
    )
    rules = await api.async_get_rules("home")
    assert [(r.id, r.name, r.active, r.paused) for r in rules] == [
        (RULE_A, "High use", True, False),
        (RULE_B, RULE_B, False, True),
    ]
    assert rules[0].description == "d"
    assert [r.path for r in mocked.requests[1:]] == [
        "/buildings/home/rules/v2",
        "/rules/v1",
    ]
    # Without GET /rules/v1 the building's active rules are all there is.
    mocked.get(payload=[_rule(RULE_A)])
    mocked.get(status=404, payload={"error": "no"})
    assert [r.id for r in await api.async_get_rules("home")] == [RULE_A]
    mocked.get(status=200)
    await api.async_set_rule("home", RULE_A, False)
    assert mocked.requests[-1].query["status"] == "inactive"


def _notification(**changes: Any) -> dict[str, Any]:
    return {
        "id": NOTE,
        "customerId": CUSTOMER,
        "customerBuildingId": "home",
        "ruleId": RULE_A,
        "priority": "high",
        "createdAtTimeMillis": 1_764_320_400_000,
        "notification": {
            "actionQualifier": {"ok": "DISMISS", "web": "OPENWEB", "odd": "LAUGH"},
            "texts": {
                "de": {
                    "title": "Hoher Verbrauch",
                    "message": "Viel",
                    "actions": {"ok": {"text": "OK"}},
                },
                "en": {
                    "title": "High use",
                    "message": "A lot",
                    "actions": {
                        "ok": {"text": "Got it"},
                        "web": {"text": "More", "parameter": "https://x"},
                    },
                },
            },
        },
        "delivery_status": {"status": "DELIVERED", "reason": ""},
        "interaction": {"actionQualifier": "DISMISS"},
        "unknown": 1,
    } | changes


async def test_notifications_parsing(
    client: ClientSession, mocked: Replies, caplog: pytest.LogCaptureFixture
) -> None:
    """Language choice, actions, oldest first; unreadable rows skipped and logged."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(
        payload=[
            _notification(id="b" * 24, createdAtTimeMillis="1764324000000"),
            _notification(),
            _notification(id=None),
            _notification(id="c" * 24, createdAtTimeMillis=None),
            _notification(id="e" * 24, createdAtTimeMillis=-5),
            _notification(id="f" * 24, createdAtTimeMillis=1e20),
            "garbage",
            _notification(
                id="d" * 24, notification=None, delivery_status=None, interaction=None
            ),
        ]
    )
    with caplog.at_level(logging.DEBUG, "custom_components.moost.api"):
        notes = await api.async_get_notifications("home")
    assert "Skipping a notification" in caplog.text
    assert [n.id for n in notes] == [NOTE, "d" * 24, "b" * 24]
    first = notes[0]
    assert first.created == datetime(2025, 11, 28, 9, 0, tzinfo=UTC)
    assert (first.title, first.text, first.language) == ("High use", "A lot", "en")
    assert first.rule_id == RULE_A
    assert (first.priority, first.delivery_status, first.interaction) == (
        "high",
        "DELIVERED",
        "DISMISS",
    )
    assert [(a.key, a.qualifier, a.text, a.parameter) for a in first.actions] == [
        ("ok", "DISMISS", "Got it", None),
        ("web", "OPENWEB", "More", "https://x"),
        ("odd", None, None, None),
    ]
    bare = notes[1]
    assert (bare.title, bare.text, bare.actions, bare.language) == (
        None,
        None,
        (),
        None,
    )
    mocked.get(payload=[_notification()])
    (german,) = await api.async_get_notifications("home", language="de")
    assert (german.title, german.language) == ("Hoher Verbrauch", "de")
    only_de = _notification()
    del only_de["notification"]["texts"]["en"]
    mocked.get(payload=[only_de])
    (fallback,) = await api.async_get_notifications("home", language="fr")
    assert fallback.language == "de"
    mocked.get(payload=[_notification()])
    (swiss,) = await api.async_get_notifications("home", language="de-CH")
    assert swiss.language == "de"
    mocked.get(payload=[_notification()])
    (same,) = await api.async_get_notifications("home", language="de")
    assert same.language == "de"


async def test_interaction(client: ClientSession, mocked: Replies) -> None:
    """The interaction body is the spec's; an unknown action is refused locally."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.post(status=200)
    await api.async_post_interaction(NOTE, "STOPDELIVERY")
    assert json.loads(mocked.bodies[1]) == {"actionQualifier": "STOPDELIVERY"}
    with pytest.raises(ValueError):
        await api.async_post_interaction(NOTE, "LIKE")
    assert len(mocked.requests) == 2


# Statistics and forecasts ---------------------------------------------------------


async def test_energy_statistics_variants(
    client: ClientSession, mocked: Replies
) -> None:
    """Numbers or numeric strings; periods parsed per resolution; bad rows skipped."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(
        payload=[
            {"startTimestamp": 1_764_324_000, "energyConsumption": "250.5", "x": 1},
            {"startTimestamp": 1_764_320_400_000, "energyGeneration": 10},
            {"energyConsumption": 5},
            {"startTimestamp": "soon"},
            7,
        ]
    )
    start = datetime(2025, 11, 28, tzinfo=UTC)
    rows = await api.async_get_energy_statistics(
        "home", "hourly", start, start + timedelta(days=1)
    )
    assert [(r.start, r.energy_consumption, r.energy_generation) for r in rows] == [
        (datetime(2025, 11, 28, 9, tzinfo=UTC), None, 10.0),
        (datetime(2025, 11, 28, 10, tzinfo=UTC), 250.5, None),
    ]
    query = mocked.requests[-1].query
    assert (
        query["eventTypes"]
        == "ENERGY_GENERATION,ENERGY_CONSUMPTION,GRID_ENERGY_CONSUMPTION"
    )
    assert (query["from"], query["to"]) == ("2025-11-28", "2025-11-28")
    mocked.get(
        payload=[
            {
                "day": "2026-11-27",
                "gridEnergyConsumption": 3000,
                "energyBaseConsumption": "1",
            },
            {"day": "2026-11-26T00:00:00", "gridEnergyBaseConsumption": 2},
            {"day": "26.11.2026"},
            {"day": None},
        ]
    )
    rows = await api.async_get_energy_statistics(
        "home",
        "daily",
        datetime(2026, 11, 26),  # noqa: DTZ001 - naive is the caller's choice
        datetime(2026, 11, 28),  # noqa: DTZ001
        event_types=["GRID_ENERGY_CONSUMPTION_YESTERDAY"],
    )
    assert [
        (
            r.day,
            r.grid_energy_consumption,
            r.energy_base_consumption,
            r.grid_energy_base_consumption,
        )
        for r in rows
    ] == [
        (date(2026, 11, 26), None, None, 2.0),
        (date(2026, 11, 27), 3000.0, 1.0, None),
    ]
    query = mocked.requests[-1].query
    assert query["eventTypes"] == "GRID_ENERGY_CONSUMPTION_YESTERDAY"
    assert (query["from"], query["to"]) == ("2026-11-26", "2026-11-27")
    mocked.get(
        payload=[
            {"month": "2026-10", "energyConsumption": 1},
            {"month": "2026-13"},
            {"month": 5},
        ]
    )
    rows = await api.async_get_energy_statistics(
        "home",
        "monthly",
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert [(r.resolution, r.day) for r in rows] == [("monthly", date(2026, 10, 1))]
    query = mocked.requests[-1].query
    assert (query["from"], query["to"]) == ("2026-10", "2026-10")
    assert "ENERGY_CONSUMPTION_YESTERDAY" in query["eventTypes"].split(",")


async def test_forecast(client: ClientSession, mocked: Replies) -> None:
    """Values sorted by their time; absent or empty forecasts are None."""
    api = _client(client, mocked)
    _token(mocked)
    start = datetime(2025, 11, 28, 10, tzinfo=UTC)
    mocked.get(
        payload=[
            {
                "timestamp": 1_764_320_000,
                "forecastTimestamp": 1_764_331_200,
                "value": "300",
            },
            {
                "timestamp": 1_764_320_000,
                "forecastTimestamp": 1_764_327_600,
                "value": 200,
            },
            {"timestamp": 1_764_324_000, "value": 100},
            {"forecastTimestamp": 1_764_331_200, "value": None},
            {"value": 5},
            [],
        ]
    )
    forecast = await api.async_get_forecast(
        "home", "ENERGY_GENERATION_FORECAST_1H", start
    )
    assert isinstance(forecast, MoostForecast)
    assert forecast.event_type == "ENERGY_GENERATION_FORECAST_1H"
    assert [(v.time.hour, v.value) for v in forecast.values] == [
        (10, 100.0),
        (11, 200.0),
        (12, 300.0),
    ]
    assert forecast.values[1].issued == datetime.fromtimestamp(1_764_320_000, UTC)
    query = mocked.requests[-1].query
    assert query["eventType"] == "ENERGY_GENERATION_FORECAST_1H"
    assert int(query["to"]) - int(query["from"]) == 86400
    later = datetime(2025, 11, 28, 10, 30, tzinfo=UTC)
    assert [v.value for v in forecast.upcoming(later)] == [200.0, 300.0]
    assert forecast.next_value(later) == forecast.values[1]
    assert forecast.next_value(later + timedelta(hours=3)) is None
    mocked.get(payload=[])
    assert await api.async_get_forecast("home") is None
    mocked.get(status=404)
    assert await api.async_get_forecast("home") is None
    mocked.get(status=403)
    assert await api.async_get_forecast("home") is None
    mocked.get(status=400, payload={"message": "bad eventType"})
    with pytest.raises(MoostBadRequestError):
        await api.async_get_forecast("home", "NOPE")
    assert MoostForecastValue(time=start, value=1.0).issued is None


# Round trip with the simulator ------------------------------------------------------


async def test_round_trip_with_simulator(
    client: ClientSession, start_simulator: StartSimulator
) -> None:
    """Every client call against the simulator: what was sent is what MOOST holds."""
    sim = MoostSimulator()
    url = await start_simulator(sim)
    api = MoostClient(client, sim.CLIENT_ID, sim.CLIENT_SECRET, url)
    assert await api.async_login() == sim.CUSTOMER_ID
    building = MoostBuilding(
        customer_building_id="home",
        zip="8005",
        city="Zürich",
        country_code="CH",
        time_zone_id="Europe/Zurich",
    )
    await api.async_create_building(building)
    with pytest.raises(MoostConflictError):
        await api.async_create_building(building)
    await api.async_update_building(building)
    await api.async_set_tariff(
        "home", {"type": "SINGLE", "currency": "CHF", "minPrice": 0.2}
    )
    gateway = MoostDevice(
        id="ha-gateway",
        name="Home",
        type="GATEWAY",
        product_name="HA",
        vendor_name="HA",
    )
    await api.async_put_devices("home", [gateway])
    stored = await api.async_get_building("home")
    assert stored.devices == (gateway,)
    assert stored.tariff == {"type": "SINGLE", "currency": "CHF", "minPrice": 0.2}
    sim.generate_notifications = True
    sim.generate_forecasts = True
    end = int(datetime(2026, 11, 27, 10, 15, tzinfo=UTC).timestamp())
    await api.async_send_event(_event(device_id="ha-gateway", value=800, timestamp=end))
    history = [
        _event(device_id="ha-gateway", value=100, timestamp=end - 900 * i)
        for i in range(1, 8)
    ]
    await api.async_send_historical(history)
    with pytest.raises(MoostBadRequestError):
        await api.async_send_event(_event(device_id="x"))
    assert sim.values("ENERGY_CONSUMPTION", "ha-gateway") == {
        event.timestamp: event.value
        for event in [*history, _event(value=800, timestamp=end)]
    }
    (note,) = await api.async_get_notifications("home")
    assert note.rule_id == RULE_A
    await api.async_post_interaction(note.id, "DISMISS")
    rules = await api.async_get_rules("home")
    assert all(rule.active for rule in rules)
    await api.async_set_rule("home", RULE_A, False)
    assert {r.id: r.active for r in await api.async_get_rules("home")}[RULE_A] is False
    day = datetime(2026, 11, 27, tzinfo=UTC)
    (daily,) = await api.async_get_energy_statistics(
        "home", "daily", day, day + timedelta(days=1)
    )
    assert daily.energy_consumption == 800 + 700
    forecast = await api.async_get_forecast(
        "home", start=datetime(2026, 11, 28, 9, tzinfo=UTC)
    )
    assert forecast is not None
    # The local 10:00 hour (09:00 UTC) of the 27th held four 100 Wh slots.
    assert (forecast.values[0].time, forecast.values[0].value) == (
        datetime(2026, 11, 28, 9, tzinfo=UTC),
        400,
    )
    sim.forecast_available = False
    assert await api.async_get_forecast("home") is None
    await api.async_delete_building("home")
    with pytest.raises(MoostNotFoundError):
        await api.async_get_building("home")
    assert api.token_requests == 1


# Properties: any JSON MOOST might answer --------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["1764320400", "1764320400000", "0.1", "nan", "2026-11-27", "2026-11"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id", "createdAtTimeMillis", "notification", "texts", "en", "title",
                    "message", "actions", "actionQualifier", "startTimestamp", "day",
                    "month", "energyConsumption", "timestamp", "forecastTimestamp",
                    "value", "customerBuildingId", "devices", "settings", "tariff",
                    "minPrice", "type", "deviceId", "deviceName", "activeRules",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)  # fmt: skip


def _finite(*values: float | None) -> bool:
    return all(value is None or math.isfinite(value) for value in values)


@settings(max_examples=300, deadline=None)
@given(row=_json)
def test_any_row_parses_or_is_skipped(row: Any) -> None:
    """No answer row crashes the parsers; numbers that come out are finite."""
    note = _parse_notification(row, "de")
    assert note is None or (note.id and note.created.tzinfo is UTC)
    for resolution in ("hourly", "daily", "monthly"):
        stat = _parse_statistic(row, resolution)
        if stat is not None:
            assert _finite(
                stat.energy_consumption,
                stat.energy_generation,
                stat.grid_energy_consumption,
                stat.energy_base_consumption,
                stat.grid_energy_base_consumption,
            )
            assert (stat.start is None) != (stat.day is None)
    value = _parse_forecast_value(row)
    assert value is None or math.isfinite(value.value)
    try:
        building = MoostBuilding.from_json(row)
    except MoostResponseError:
        pass
    else:
        assert building.customer_building_id
    try:
        event = MoostEvent.from_json(row)
    except InvalidEventError:
        pass
    else:
        assert math.isfinite(event.value)


@settings(max_examples=200, deadline=None)
@given(
    building_id=st.from_regex(r"[a-zA-Z0-9:._-]{1,100}", fullmatch=True),
    device_id=st.from_regex(r"[a-zA-Z0-9:._-]{3,64}", fullmatch=True),
    name=st.text(min_size=1, max_size=100),
    value=st.floats(allow_nan=False, allow_infinity=False),
    timestamp=st.integers(min_value=0, max_value=2**40),
    source=st.sampled_from(["GATEWAY", "BATTERY", "CAR"]),
)
def test_event_store_round_trip(
    building_id: str,
    device_id: str,
    name: str,
    value: float,
    timestamp: int,
    source: str,
) -> None:
    """Whatever the outbox stores comes back as the same event (and key)."""
    event = MoostEvent(
        customer_building_id=building_id,
        device_id=device_id,
        device_name=name,
        type="POWER_CONSUMPTION",
        value=value,
        timestamp=timestamp,
        source=source,
    )
    restored = MoostEvent.from_json(json.loads(json.dumps(event.as_json(CUSTOMER))))
    assert restored == event
    assert restored.key() == event.key()


async def test_revoked_credentials_during_renewal(
    client: ClientSession, mocked: Replies
) -> None:
    """Token refused, then the credentials too: that is for the user (reauth)."""
    api = _client(client, mocked)
    _token(mocked)
    mocked.get(status=401)
    mocked.get(status=401, payload={"message": "client disabled"})
    with pytest.raises(MoostAuthenticationError):
        await api.async_get_buildings()
    assert api.token_requests == 2
    mocked.get(status=503)
    with pytest.raises(MoostConnectionError):
        await api.async_login()


async def test_with_simulator_token_life(
    client: ClientSession, start_simulator: StartSimulator
) -> None:
    """Against the simulator: one token a day, renewed once after a revocation.

    Concurrent callers share one token request; a 429 holds every call.
    """
    sim = MoostSimulator()
    url = await start_simulator(sim)
    api = MoostClient(client, sim.CLIENT_ID, sim.CLIENT_SECRET, url)
    with freeze_time("2026-11-27 00:00:00") as frozen:
        await asyncio.gather(*(api.async_get_buildings() for _ in range(5)))
        assert sim.counters["token"] == 1
        for _ in range(23):
            frozen.tick(timedelta(hours=1))
            await api.async_get_buildings()
        assert sim.counters["token"] == 1
        frozen.tick(timedelta(hours=1))
        await api.async_get_buildings()
        assert sim.counters["token"] == 2
        assert sim.counters["get_buildings"] == 29  # never refused: renewed in time
        sim.tokens.expire_all()
        await api.async_get_buildings()
        assert (sim.counters["token"], sim.counters["get_buildings"]) == (3, 31)
        sim.faults.inject(Fault.RATE_LIMIT, endpoint="events", retry_after=30)
        await api.async_create_building(
            MoostBuilding(
                customer_building_id="home",
                zip="8005",
                city="Zürich",
                country_code="CH",
                time_zone_id=None,
            )
        )
        with pytest.raises(MoostRateLimitError):
            await api.async_send_event(_event())
        with pytest.raises(MoostRateLimitError):  # answered by the client itself
            await api.async_send_event(_event())
        assert sim.counters["events"] == 1
        frozen.tick(timedelta(seconds=31))
        await api.async_send_event(_event())
        assert len(sim.events) == 1


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"customer_building_id": "my home"}, "customerBuildingId"),
        ({"device_id": "ab"}, "deviceId"),
        ({"device_id": "a/b/c"}, "deviceId"),
        ({"device_name": ""}, "deviceName"),
        ({"device_name": "x" * 101}, "deviceName"),
        ({"device_name": "two\nlines"}, "deviceName"),
        ({"type": "ENERGY"}, "type"),
        ({"source": "HOUSE"}, "source"),
        ({"value": float("nan")}, "value"),
        ({"value": float("inf")}, "value"),
        ({"value": True}, "value"),
        ({"timestamp": -1}, "timestamp"),
        ({"timestamp": 1_764_320_400_000}, "timestamp"),
    ],
)
async def test_events_moost_would_refuse_stay_home(
    client: ClientSession, mocked: Replies, changes: dict[str, Any], problem: str
) -> None:
    """An event breaking the spec is refused like a 400, without a request."""
    api = _client(client, mocked)
    bad = _event(**changes)
    assert problem in (bad.problem() or "")
    with pytest.raises(MoostBadRequestError, match=problem):
        await api.async_send_event(bad)
    with pytest.raises(MoostBadRequestError, match=problem):
        await api.async_send_historical([_event(), bad])
    assert mocked.requests == []
    assert _event().problem() is None
