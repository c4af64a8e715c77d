"""The MOOST simulator follows the spec where clients rely on it."""

import asyncio
import base64
from collections.abc import AsyncGenerator
import contextlib
from datetime import UTC, datetime, timedelta
import json
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from freezegun import freeze_time
from hypothesis import given, settings, strategies as st
import pytest

from simulators import Fault, registered
from simulators.moost import (
    BadRequestError,
    MoostSimulator as Sim,
    _building,
    _device,
    _tariff,
)

RULE_HIGH = "65a0c1e2f3a4b5c6d7e8f901"
RULE_SOLAR = "65a0c1e2f3a4b5c6d7e8f902"
RULE_CAR = "65a0c1e2f3a4b5c6d7e8f903"
NOW = "2026-11-10 08:07:00+00:00"
NOW_TS = int(datetime.fromisoformat(NOW).timestamp())

type Served = tuple[Sim, str, ClientSession]


@pytest.fixture
async def served(socket_enabled: None) -> AsyncGenerator[Served]:
    sim = Sim()
    server = TestServer(sim.build_app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    async with ClientSession() as session:
        yield sim, f"http://127.0.0.1:{server.port}", session
    await server.close()


async def call(
    served: Served,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Send a request; return the status and the JSON body (None when empty)."""
    _, url, session = served
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.request(
        method, f"{url}{path}", json=body, params=params, headers=headers
    ) as response:
        raw = await response.read()
        if response.content_type != "application/json":
            return response.status, raw.decode() or None
        return response.status, json.loads(raw)


async def login(served: Served) -> str:
    status, body = await call(
        served,
        "GET",
        "/auth/token/v1",
        params={"clientId": Sim.CLIENT_ID, "clientSecret": Sim.CLIENT_SECRET},
    )
    assert status == 200
    return str(body["access_token"])


def building(**changes: Any) -> dict[str, Any]:
    return {
        "customerId": Sim.CUSTOMER_ID,
        "customerBuildingId": "home",
        "zip": "8005",
        "city": "Zürich",
        "countryCode": "CH",
    } | changes


def event(**changes: Any) -> dict[str, Any]:
    return {
        "customerId": Sim.CUSTOMER_ID,
        "customerBuildingId": "home",
        "deviceId": "ha-gateway",
        "deviceName": "Home",
        "type": "ENERGY_CONSUMPTION",
        "source": "GATEWAY",
        "value": 100,
        "timestamp": int(datetime(2026, 11, 10, 8, 0, tzinfo=UTC).timestamp()),
    } | changes


async def with_building(served: Served, **changes: Any) -> str:
    token = await login(served)
    status, _ = await call(
        served, "POST", "/buildings/v1", token=token, body=building(**changes)
    )
    assert status == 201
    return token


def test_registered_and_demo_credentials() -> None:
    """Registered under its name, on its own port; demo credentials log in."""
    assert registered()["moost"] is Sim
    assert (Sim.name, Sim.prefix, Sim.port_offset) == ("moost", "", 4)
    assert Sim().demo_credentials()["client_id"] == Sim.CLIENT_ID
    assert not Sim().generate_notifications
    demo = Sim(generate=True)
    assert demo.generate_notifications and demo.generate_forecasts


@freeze_time(NOW)
async def test_token(served: Served) -> None:
    """400 without (or with malformed) credentials, 401 wrong, a JWT with customerId."""
    for params in (
        {},
        {"clientId": Sim.CLIENT_ID},
        {"clientId": "with space", "clientSecret": "x"},
        {"clientId": Sim.CLIENT_ID, "clientSecret": "bad secret!"},
    ):
        status, body = await call(served, "GET", "/auth/token/v1", params=params)
        assert status == 400
        assert body["message"]
    status, _ = await call(
        served,
        "GET",
        "/auth/token/v1",
        params={"clientId": Sim.CLIENT_ID, "clientSecret": "wrong"},
    )
    assert status == 401
    status, body = await call(
        served,
        "GET",
        "/auth/token/v1",
        params={"clientId": Sim.CLIENT_ID, "clientSecret": Sim.CLIENT_SECRET},
    )
    assert status == 200
    assert (body["expires_in"], body["token_type"]) == (86400, "Bearer")
    payload = body["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["customerId"] == Sim.CUSTOMER_ID
    assert claims["exp"] == int(datetime.fromisoformat(NOW).timestamp()) + 86400


async def test_token_expiry_and_foreign_tokens(served: Served) -> None:
    """Every data route needs a current token of this simulator."""
    sim = served[0]
    with freeze_time(NOW) as frozen:
        token = await login(served)
        assert (await call(served, "GET", "/buildings/v1", token=token))[0] == 200
        assert (await call(served, "GET", "/buildings/v1"))[0] == 401
        foreign = Sim().tokens.issue(Sim.CLIENT_ID, customerId=Sim.CUSTOMER_ID)
        assert (await call(served, "GET", "/buildings/v1", token=foreign.token))[
            0
        ] == 401
        frozen.tick(timedelta(hours=23, minutes=59))
        assert (await call(served, "GET", "/buildings/v1", token=token))[0] == 200
        frozen.tick(timedelta(minutes=1))
        assert (await call(served, "GET", "/buildings/v1", token=token))[0] == 401
        token = await login(served)
        sim.tokens.expire_all()
        assert (await call(served, "POST", "/events/v1", token=token, body=event()))[
            0
        ] == 401


async def test_buildings(served: Served) -> None:
    """POST 201 / 409, PUT 200 / 404, GET one and all, core data, DELETE 200 / 404."""
    sim = served[0]
    token = await login(served)
    status, created = await call(
        served, "POST", "/buildings/v1", token=token, body=building()
    )
    assert status == 201
    # MOOST adds the id, time zone and geolocation; EXCLUDE mode without
    # activeRules activates every rule of the customer.
    assert created["timeZoneId"] == "Europe/Zurich"
    assert created["activeRules"] == [RULE_HIGH, RULE_SOLAR, RULE_CAR]
    assert len(created["id"]) == 24
    assert sim.building() == created
    status, _ = await call(
        served, "POST", "/buildings/v1", token=token, body=building()
    )
    assert status == 409
    status, updated = await call(
        served,
        "PUT",
        "/buildings/v1",
        token=token,
        body=building(city="Bern", settings={"tariff": {"type": "SINGLE"}}),
    )
    assert status == 200
    assert (updated["city"], updated["id"]) == ("Bern", created["id"])
    assert updated["activeRules"] == created["activeRules"]  # kept when not sent
    status, _ = await call(
        served,
        "PUT",
        "/buildings/v1",
        token=token,
        body=building(customerBuildingId="other"),
    )
    assert status == 404
    status, one = await call(served, "GET", "/buildings/home/v1", token=token)
    assert (status, one["settings"]) == (200, {"tariff": {"type": "SINGLE"}})
    await call(
        served,
        "POST",
        "/buildings/v1",
        token=token,
        body=building(customerBuildingId="old", deactivatedTimestamp=5),
    )
    status, every = await call(served, "GET", "/buildings/v1", token=token)
    assert [b["customerBuildingId"] for b in every] == ["home", "old"]
    status, active = await call(
        served, "GET", "/buildings/v1", token=token, params={"activeOnly": "true"}
    )
    assert [b["customerBuildingId"] for b in active] == ["home"]
    status, core = await call(served, "GET", "/buildings/core-data/v1", token=token)
    assert status == 200
    assert "settings" not in core[0] and "devices" not in core[0]
    assert core[0]["city"] == "Bern"
    status, core = await call(
        served,
        "GET",
        "/buildings/core-data/v1",
        token=token,
        params={"activeOnly": "true"},
    )
    assert len(core) == 1
    assert (await call(served, "GET", "/buildings/nope/v1", token=token))[0] == 404
    assert (await call(served, "GET", "/buildings/bad%20id/v1", token=token))[0] == 400
    assert (await call(served, "DELETE", "/buildings/old/v1", token=token))[0] == 200
    assert (await call(served, "DELETE", "/buildings/old/v1", token=token))[0] == 404
    assert sim.building("old") is None


@pytest.mark.parametrize(
    "body",
    [
        [],
        building(zip=None),
        building(customerBuildingId="with space"),
        building(customerId="short"),
        building(customerId="a" * 24),  # not the token's customer
        building(countryCode="che"),
        building(zip="80 05!"),
        building(city=""),
        building(timeZoneId="Mars/Olympus"),
        building(timeZoneId="Europe/Zurich?"),
        building(devices={"id": "x"}),
        building(
            devices=[
                {
                    "id": "d1",
                    "name": "n",
                    "type": "TOASTER",
                    "product_name": "p",
                    "vendor_name": "v",
                }
            ]
        ),
        building(
            devices=[{"id": "d1", "name": "n", "type": "CAR", "product_name": "p"}]
        ),
        building(rulesOperator="SOMETIMES"),
        building(activeRules="all"),
        building(settings=[]),
        building(settings={"tariff": []}),
        building(settings={"tariff": {"type": "FLAT"}}),
        building(settings={"tariff": {"type": "SINGLE", "currency": "chf"}}),
        building(settings={"tariff": {"type": "SINGLE", "minPrice": "0.10"}}),
        building(
            settings={
                "tariff": {
                    "type": "DUAL",
                    "dual": {"lowTariff": {"mondayStartTime": "22:00"}},
                }
            }
        ),
        building(settings={"tariff": {"type": "DUAL", "dual": []}}),
        building(settings={"tariff": {"type": "DYNAMIC", "dynamic": {"tariffs": {}}}}),
        building(
            settings={"tariff": {"type": "DYNAMIC", "dynamic": {"tariffs": ["x"]}}}
        ),
        building(
            settings={
                "tariff": {
                    "type": "DYNAMIC",
                    "dynamic": {"tariffs": [{"price": 0.2, "from": 1, "to": "2"}]},
                }
            }
        ),
        building(
            settings={
                "tariff": {
                    "type": "DYNAMIC",
                    "dynamic": {"tariffs": [{"price": None, "from": 1, "to": 2}]},
                }
            }
        ),
    ],
)
async def test_building_validation(served: Served, body: Any) -> None:
    """A building breaking the spec is 400 with a JSON message; nothing stored."""
    token = await login(served)
    status, answer = await call(served, "POST", "/buildings/v1", token=token, body=body)
    assert status == 400
    assert isinstance(answer["message"], str)
    assert served[0].customer.buildings == {}


async def test_valid_tariffs(served: Served) -> None:
    """The spec's three tariff models are accepted as documented."""
    low = {
        f"{day}{edge}": time
        for day in (
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        )
        for edge, time in (("StartTime", "22:00"), ("EndTime", "06:00"))
    }
    token = await login(served)
    for number, tariff in enumerate(
        (
            {"type": "SINGLE", "currency": "CHF", "minPrice": 0.2, "maxPrice": 0.3},
            {"type": "DUAL", "dual": {"lowTariff": low}},
            {
                "type": "DYNAMIC",
                "dynamic": {"tariffs": [{"price": 0.1, "from": 1, "to": 2}]},
            },
        )
    ):
        status, _ = await call(
            served,
            "POST",
            "/buildings/v1",
            token=token,
            body=building(customerBuildingId=f"b{number}", settings={"tariff": tariff}),
        )
        assert status == 201


async def test_devices(served: Served) -> None:
    """PUT devices replaces the set: 200, 400 for a bad device, 404 without building."""
    sim = served[0]
    token = await with_building(served)
    device = {
        "id": "ha-gateway",
        "name": "Home",
        "type": "GATEWAY",
        "product_name": "HA",
        "vendor_name": "HA",
    }
    path = "/buildings/home/devices/v1"
    assert (await call(served, "PUT", path, token=token, body=[device]))[0] == 200
    assert sim.building()["devices"] == [device]  # type: ignore[index]
    bad_bodies: list[Any] = [
        {"devices": []},
        [{**device, "id": "x"}],
        [{**device, "name": ""}],
        ["x"],
    ]
    for bad in bad_bodies:
        assert (await call(served, "PUT", path, token=token, body=bad))[0] == 400
    assert sim.building()["devices"] == [device]  # type: ignore[index]
    assert (
        await call(served, "PUT", "/buildings/nope/devices/v1", token=token, body=[])
    )[0] == 404


async def test_events_are_kept_per_key(served: Served) -> None:
    """201 without body; every event kept by (building, device, type, timestamp)."""
    sim = served[0]
    token = await with_building(served)
    status, body = await call(served, "POST", "/events/v1", token=token, body=event())
    assert (status, body) == (201, None)
    first = event()
    key = ("home", "ha-gateway", "ENERGY_CONSUMPTION", first["timestamp"])
    assert sim.events[key]["value"] == 100.0
    assert sim.events[key]["historical"] is False
    # The same key again: counted as a duplicate, the last value held.
    await call(served, "POST", "/events/v1", token=token, body=event(value=90))
    assert (sim.duplicates, sim.duplicate_keys[key]) == (1, 1)
    assert sim.events[key]["value"] == 90.0
    assert len(sim.event_log) == 2
    # Without source the event is the household's; without timestamp it is now.
    no_source = event(deviceId="plug-1", type="POWER_CONSUMPTION")
    del no_source["source"]
    del no_source["timestamp"]
    with freeze_time(NOW):
        assert (await call(served, "POST", "/events/v1", token=token, body=no_source))[
            0
        ] == 201
    (stored,) = sim.received(device="plug-1")
    assert (stored["source"], stored["timestamp"]) == ("GATEWAY", NOW_TS)
    status, body = await call(
        served,
        "POST",
        "/events/historical/v1",
        token=token,
        body=[
            event(timestamp=first["timestamp"] - 900 * i, value=i) for i in range(1, 4)
        ],
    )
    assert (status, body) == (200, None)
    assert sim.values("ENERGY_CONSUMPTION", "ha-gateway") == {
        first["timestamp"] - 2700: 3.0,
        first["timestamp"] - 1800: 2.0,
        first["timestamp"] - 900: 1.0,
        first["timestamp"]: 90.0,
    }
    assert len(sim.received(historical=True)) == 3
    assert (
        len(sim.received(building="home", type="ENERGY_CONSUMPTION", historical=False))
        == 1
    )


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {k: v for k, v in event().items() if k != "value"},
        {k: v for k, v in event().items() if k != "deviceName"},
        event(customerId="short"),
        event(customerId="b" * 24),  # another customer than the token's
        event(customerBuildingId="a/b"),
        event(customerBuildingId="unknown"),
        event(deviceId="ab"),
        event(deviceId="a b c"),
        event(deviceName=""),
        event(deviceName="x" * 101),
        event(type="ENERGY_USED"),
        event(source="HOUSE"),
        event(value="100"),
        event(value=True),
        event(timestamp="1762761600"),
        event(timestamp=1_762_761_600_000),  # milliseconds
        event(timestamp=-1),
        event(forecastTimestamp="soon"),
    ],
)
async def test_event_validation(served: Served, body: Any) -> None:
    """An event breaking the spec is 400 with a JSON message; nothing stored."""
    sim = served[0]
    token = await with_building(served)
    status, answer = await call(served, "POST", "/events/v1", token=token, body=body)
    assert status == 400
    assert isinstance(answer["message"], str)
    assert sim.events == {}


async def test_historical_is_all_or_nothing(served: Served) -> None:
    """One bad event in a batch refuses the batch; a non-list is 400."""
    sim = served[0]
    token = await with_building(served)
    path = "/events/historical/v1"
    status, answer = await call(
        served, "POST", path, token=token, body=[event(), event(deviceId="x")]
    )
    assert status == 400
    assert "event 1" in answer["message"]
    assert sim.events == {}
    assert (await call(served, "POST", path, token=token, body=event()))[0] == 400
    assert (await call(served, "POST", path, token=token, body=None))[0] == 400
    # A test can make one valid event poison.
    poison = event(timestamp=event()["timestamp"] + 900)
    sim.rejected_keys.add(
        ("home", "ha-gateway", "ENERGY_CONSUMPTION", poison["timestamp"])
    )
    assert (await call(served, "POST", "/events/v1", token=token, body=poison))[
        0
    ] == 400
    assert (await call(served, "POST", "/events/v1", token=token, body=event()))[
        0
    ] == 201
    # The spec's 500 on historical: part of the batch may be written.
    sim.partial_write = 1
    batch = [event(timestamp=event()["timestamp"] - 900 * i) for i in (1, 2)]
    assert (await call(served, "POST", path, token=token, body=batch))[0] == 500
    assert (await call(served, "POST", path, token=token, body=batch))[0] == 200
    assert (sim.duplicates, len(sim.events)) == (1, 3)
    assert vars(sim)["partial_write"] is None  # one shot
    for sent in batch:
        del sim.events["home", "ha-gateway", "ENERGY_CONSUMPTION", sent["timestamp"]]
    assert list(sim.events) == [
        ("home", "ha-gateway", "ENERGY_CONSUMPTION", event()["timestamp"])
    ]


async def test_rules(served: Served) -> None:
    """Customer rules, the building's active ones, switching with status."""
    token = await with_building(served)
    status, rules = await call(served, "GET", "/rules/v1", token=token)
    assert status == 200
    assert [r["id"] for r in rules] == [RULE_HIGH, RULE_SOLAR, RULE_CAR]
    assert {r["customerId"] for r in rules} == {Sim.CUSTOMER_ID}
    path = f"/buildings/home/rules/{RULE_SOLAR}/v1"
    assert (
        await call(served, "PUT", path, token=token, params={"status": "inactive"})
    )[0] == 200
    _, active = await call(served, "GET", "/buildings/home/rules/v2", token=token)
    assert [r["id"] for r in active] == [RULE_HIGH, RULE_CAR]
    assert served[0].building()["inactiveRules"] == [RULE_SOLAR]  # type: ignore[index]
    assert (await call(served, "PUT", path, token=token, params={"status": "active"}))[
        0
    ] == 200
    _, active = await call(served, "GET", "/buildings/home/rules/v2", token=token)
    assert [r["id"] for r in active] == [RULE_HIGH, RULE_CAR, RULE_SOLAR]
    assert (await call(served, "PUT", path, token=token, params={"status": "on"}))[
        0
    ] == 400
    assert (await call(served, "PUT", path, token=token))[0] == 400
    bad_id = "/buildings/home/rules/short/v1"
    assert (
        await call(served, "PUT", bad_id, token=token, params={"status": "active"})
    )[0] == 400
    unknown = f"/buildings/home/rules/{'a' * 24}/v1"
    assert (
        await call(served, "PUT", unknown, token=token, params={"status": "active"})
    )[0] == 404
    other = f"/buildings/nope/rules/{RULE_SOLAR}/v1"
    assert (await call(served, "PUT", other, token=token, params={"status": "active"}))[
        0
    ] == 404
    assert (await call(served, "GET", "/buildings/nope/rules/v2", token=token))[
        0
    ] == 404


async def test_notifications_switch(served: Served) -> None:
    """Off: no notifications. On: active rules fire on /events/v1, once per cooldown."""
    sim = served[0]
    token = await with_building(served)
    path = "/pushnotifications/buildings/home/v1"
    high = event(value=800)
    await call(served, "POST", "/events/v1", token=token, body=high)
    assert (await call(served, "GET", path, token=token))[1] == []
    sim.generate_notifications = True
    with freeze_time(NOW):
        await call(served, "POST", "/events/v1", token=token, body=high)
    # Within the hour of event time: no second notification.
    later = high["timestamp"] + 1800
    await call(
        served,
        "POST",
        "/events/v1",
        token=token,
        body=event(value=900, timestamp=later),
    )
    # Below the threshold, or historical: no notification.
    await call(
        served,
        "POST",
        "/events/v1",
        token=token,
        body=event(value=10, timestamp=later + 7200),
    )
    await call(
        served, "POST", "/events/historical/v1", token=token,
        body=[event(value=999, timestamp=later + 9000)],
    )  # fmt: skip
    status, notes = await call(served, "GET", path, token=token)
    assert status == 200
    (note,) = notes
    assert note["ruleId"] == RULE_HIGH
    assert note["createdAtTimeMillis"] == NOW_TS * 1000
    assert note["notification"]["texts"]["de"]["title"] == "Hoher Verbrauch"
    assert note["notification"]["actionQualifier"] == {
        "dismiss": "DISMISS",
        "open": "OPENAPP",
    }
    # An hour later it fires again; an inactive rule never fires.
    await call(
        served,
        "POST",
        "/events/v1",
        token=token,
        body=event(value=900, timestamp=later + 3600),
    )
    await call(
        served, "PUT", f"/buildings/home/rules/{RULE_SOLAR}/v1", token=token,
        params={"status": "inactive"},
    )  # fmt: skip
    await call(
        served,
        "POST",
        "/events/v1",
        token=token,
        body=event(type="ENERGY_EXCESS", value=500),
    )
    # The car rule: a CAR's state of charge below 20 %.
    await call(
        served, "POST", "/events/v1", token=token,
        body=event(deviceId="car-1", type="STATE_OF_CHARGE_RATE", source="CAR", value=15),
    )  # fmt: skip
    await call(
        served,
        "POST",
        "/events/v1",
        token=token,
        body=event(type="STATE_OF_CHARGE_RATE", value=15),
    )
    _, notes = await call(served, "GET", path, token=token)
    assert [n["ruleId"] for n in notes] == [RULE_HIGH, RULE_HIGH, RULE_CAR]
    # A paused rule does not fire either.
    sim.customer.rules[RULE_CAR].paused = True
    await call(
        served, "POST", "/events/v1", token=token,
        body=event(deviceId="car-1", type="STATE_OF_CHARGE_RATE", source="CAR", value=5, timestamp=later + 99999),
    )  # fmt: skip
    _, notes = await call(served, "GET", path, token=token)
    assert len(notes) == 3
    _, rules = await call(served, "GET", "/rules/v1", token=token)
    assert rules[2]["ruleState"] == "PAUSE"
    # fire() makes one directly; the filter and another building.
    sim.fire()
    _, delivered = await call(
        served, "GET", path, token=token, params={"deliveryStatus": "DELIVERED"}
    )
    _, dropped = await call(
        served, "GET", path, token=token, params={"deliveryStatus": "DROPPED"}
    )
    assert (len(delivered), dropped) == (4, [])
    assert (
        await call(served, "GET", path, token=token, params={"deliveryStatus": "LOST"})
    )[0] == 400
    assert (
        await call(served, "GET", "/pushnotifications/buildings/other/v1", token=token)
    )[1] == []
    assert (
        await call(served, "GET", "/pushnotifications/buildings/a%20b/v1", token=token)
    )[0] == 400


async def test_interactions(served: Served) -> None:
    """200 and recorded; 400 for a bad id or action; 404 for an unknown one."""
    sim = served[0]
    token = await with_building(served)
    note = sim.fire(rule_id=RULE_SOLAR)
    path = f"/pushnotifications/{note['id']}/interactions/v1"
    with freeze_time(NOW):
        status, _ = await call(
            served,
            "POST",
            path,
            token=token,
            body={"actionQualifier": "OPENWEB", "userId": "me@home"},
        )
    assert status == 200
    assert note["interaction"] == {
        "actionQualifier": "OPENWEB",
        "timestamp": NOW_TS,
        "userId": "me@home",
    }
    bad_interactions: list[Any] = [
        {"actionQualifier": "LIKE"},
        {},
        [],
        {"actionQualifier": "DISMISS", "userId": "a b"},
    ]
    for bad in bad_interactions:
        assert (await call(served, "POST", path, token=token, body=bad))[0] == 400
    unknown = f"/pushnotifications/{'a' * 24}/interactions/v1"
    assert (
        await call(
            served, "POST", unknown, token=token, body={"actionQualifier": "DISMISS"}
        )
    )[0] == 404
    assert (
        await call(
            served,
            "POST",
            "/pushnotifications/x/interactions/v1",
            token=token,
            body={"actionQualifier": "DISMISS"},
        )
    )[0] == 400


def _ts(local: str) -> int:
    """Epoch seconds of a Zurich wall-clock time."""
    from zoneinfo import ZoneInfo

    return int(
        datetime.fromisoformat(local)
        .replace(tzinfo=ZoneInfo("Europe/Zurich"))
        .timestamp()
    )


async def test_statistics_from_events(served: Served) -> None:
    """Hourly, daily, monthly sums of the GATEWAY events, in the building's zone."""
    token = await with_building(served)
    history = [
        # 15-minute events END at their timestamp: 01:00 local belongs to 00:xx.
        event(timestamp=_ts("2026-11-09T00:15"), value=100),
        event(timestamp=_ts("2026-11-09T00:30"), value=100),
        event(timestamp=_ts("2026-11-09T01:00"), value=50),
        event(timestamp=_ts("2026-11-09T01:15"), value=25),
        event(timestamp=_ts("2026-11-09T00:15"), type="ENERGY_GENERATION", value=7),
        event(
            timestamp=_ts("2026-11-09T00:15"), type="GRID_ENERGY_CONSUMPTION", value=93
        ),
        # A device's own consumption is not the household's.
        event(
            timestamp=_ts("2026-11-09T00:15"),
            deviceId="plug-1",
            source="SMART_PLUG",
            value=40,
        ),
        # The next day: a 15-minute event and the daily value, which wins.
        event(timestamp=_ts("2026-11-10T10:00"), value=400),
        event(
            timestamp=_ts("2026-11-11T00:00"),
            type="ENERGY_CONSUMPTION_YESTERDAY",
            value=9000,
        ),
        event(
            timestamp=_ts("2026-11-11T00:00"),
            type="ENERGY_BASE_CONSUMPTION",
            value=1200,
        ),
        # October, for the monthly view.
        event(timestamp=_ts("2026-10-31T23:45"), value=10),
    ]
    assert (
        await call(served, "POST", "/events/historical/v1", token=token, body=history)
    )[0] == 200
    base = "/buildings/home/energy-statistics"
    status, hourly = await call(
        served, "GET", f"{base}/hourly/v1", token=token,
        params={"eventTypes": "ENERGY_CONSUMPTION,ENERGY_GENERATION,GRID_ENERGY_CONSUMPTION", "from": "2026-11-09", "to": "2026-11-09"},
    )  # fmt: skip
    assert status == 200
    assert hourly == [
        {"startTimestamp": _ts("2026-11-09T00:00"), "energyConsumption": 250.0, "energyGeneration": 7.0, "gridEnergyConsumption": 93.0},
        {"startTimestamp": _ts("2026-11-09T01:00"), "energyConsumption": 25.0},
    ]  # fmt: skip
    _, daily = await call(
        served, "GET", f"{base}/daily/v1", token=token,
        params={"eventTypes": "ENERGY_CONSUMPTION,ENERGY_CONSUMPTION_YESTERDAY,ENERGY_BASE_CONSUMPTION", "from": "2026-11-09", "to": "2026-11-10"},
    )  # fmt: skip
    assert daily == [
        {"day": "2026-11-09", "energyConsumption": 275.0},
        {
            "day": "2026-11-10",
            "energyConsumption": 9000.0,
            "energyBaseConsumption": 1200.0,
        },
    ]
    # Asked for 15-minute values only, the daily event is not used.
    _, fine = await call(
        served, "GET", f"{base}/daily/v1", token=token,
        params={"eventTypes": "ENERGY_CONSUMPTION", "from": "2026-11-10", "to": "2026-11-10"},
    )  # fmt: skip
    assert fine == [{"day": "2026-11-10", "energyConsumption": 400.0}]
    _, monthly = await call(
        served, "GET", f"{base}/monthly/v1", token=token,
        params={"eventTypes": "ENERGY_CONSUMPTION,ENERGY_CONSUMPTION_YESTERDAY", "from": "2026-10", "to": "2026-11"},
    )  # fmt: skip
    assert monthly == [
        {"month": "2026-10", "energyConsumption": 10.0},
        {"month": "2026-11", "energyConsumption": 9275.0},
    ]


@pytest.mark.parametrize(
    ("resolution", "params", "status"),
    [
        (
            "hourly",
            {
                "eventTypes": "ENERGY_CONSUMPTION_YESTERDAY",
                "from": "2026-11-09",
                "to": "2026-11-09",
            },
            400,
        ),
        ("hourly", {"from": "2026-11-09", "to": "2026-11-09"}, 400),
        (
            "hourly",
            {"eventTypes": "ENERGY_CONSUMPTION", "from": "2026-11", "to": "2026-11-09"},
            400,
        ),
        (
            "daily",
            {
                "eventTypes": "ENERGY_CONSUMPTION",
                "from": "2026-11-10",
                "to": "2026-11-09",
            },
            400,
        ),
        (
            "daily",
            {
                "eventTypes": "ENERGY_CONSUMPTION",
                "from": "2024-01-01",
                "to": "2026-01-01",
            },
            400,
        ),
        (
            "daily",
            {
                "eventTypes": "ENERGY_CONSUMPTION",
                "from": "2026-02-30",
                "to": "2026-03-01",
            },
            400,
        ),
        (
            "monthly",
            {
                "eventTypes": "ENERGY_BASE_CONSUMPTION",
                "from": "2026-01",
                "to": "2026-02",
            },
            400,
        ),
        (
            "monthly",
            {"eventTypes": "ENERGY_CONSUMPTION", "from": "2026-01-01", "to": "2026-02"},
            400,
        ),
        (
            "monthly",
            {"eventTypes": "ENERGY_CONSUMPTION", "from": "2026-01", "to": "2026-12"},
            200,
        ),
        (
            "weekly",
            {"eventTypes": "ENERGY_CONSUMPTION", "from": "2026-01", "to": "2026-12"},
            404,
        ),
    ],
)
async def test_statistics_parameters(
    served: Served, resolution: str, params: dict[str, str], status: int
) -> None:
    """The spec's enums per resolution, date patterns, at most one year."""
    token = await with_building(served)
    path = f"/buildings/home/energy-statistics/{resolution}/v1"
    assert (await call(served, "GET", path, token=token, params=params))[0] == status


async def test_forecast(served: Served) -> None:
    """Off: empty; on: the mean of the same local hour; absent: 404; parameters."""
    sim = served[0]
    token = await with_building(served)
    days = [
        event(timestamp=_ts(f"2026-11-0{day}T10:15"), value=value)
        for day, value in ((7, 100), (8, 300))
    ] + [event(timestamp=_ts("2026-11-08T10:15"), type="ENERGY_GENERATION", value=50)]
    await call(served, "POST", "/events/historical/v1", token=token, body=days)
    path = "/buildings/home/energy-forecast/v1"
    start = _ts("2026-11-10T09:30")
    params = {
        "eventType": "ENERGY_CONSUMPTION_FORECAST_1H",
        "from": str(start),
        "to": str(start + 3 * 3600),
    }
    status, rows = await call(served, "GET", path, token=token, params=params)
    assert (status, rows) == (200, [])
    sim.generate_forecasts = True
    with freeze_time(NOW):
        _, rows = await call(served, "GET", path, token=token, params=params)
    # Hours from the first full one in the window; only hours with data.
    assert rows == [
        {
            "timestamp": NOW_TS,
            "forecastTimestamp": _ts("2026-11-10T10:00"),
            "value": 200.0,
        }
    ]
    _, rows = await call(
        served,
        "GET",
        path,
        token=token,
        params={**params, "eventType": "ENERGY_GENERATION_FORECAST_24H"},
    )
    assert [row["value"] for row in rows] == [50.0]
    _, rows = await call(
        served,
        "GET",
        path,
        token=token,
        params={**params, "from": str(_ts("2026-11-10T10:00"))},
    )
    assert len(rows) == 1
    sim.events.clear()
    assert (await call(served, "GET", path, token=token, params=params))[1] == []
    for bad in (
        {**params, "eventType": "ENERGY_CONSUMPTION"},
        {**params, "from": "soon"},
        {"eventType": "ENERGY_CONSUMPTION_FORECAST_1H"},
        {**params, "to": params["from"]},
        {**params, "to": str(start + 32 * 86400)},
    ):
        assert (await call(served, "GET", path, token=token, params=bad))[0] == 400
    assert (
        await call(
            served,
            "GET",
            "/buildings/nope/energy-forecast/v1",
            token=token,
            params=params,
        )
    )[0] == 404
    sim.forecast_available = False
    assert (await call(served, "GET", path, token=token, params=params))[0] == 404


async def test_building_time_zone_fallback(served: Served) -> None:
    """A stored zone that does not resolve counts in UTC (never a crash)."""
    sim = served[0]
    token = await with_building(served)
    sim.building()["timeZoneId"] = "Nowhere/City"  # type: ignore[index]
    await call(
        served,
        "POST",
        "/events/v1",
        token=token,
        body=event(timestamp=_ts("2026-11-09T00:15")),
    )
    _, daily = await call(
        served, "GET", "/buildings/home/energy-statistics/daily/v1", token=token,
        params={"eventTypes": "ENERGY_CONSUMPTION", "from": "2026-11-08", "to": "2026-11-09"},
    )  # fmt: skip
    assert daily == [{"day": "2026-11-08", "energyConsumption": 100.0}]


@pytest.mark.parametrize(
    "endpoint", ["token", "events", "historical", "notifications", "update_building"]
)
async def test_faults_on_every_route(served: Served, endpoint: str) -> None:
    """401, 429 + Retry-After, 500, malformed JSON: armed per endpoint, counted."""
    sim = served[0]
    token = await with_building(served)
    requests = {
        "token": (
            "GET",
            "/auth/token/v1",
            None,
            {"clientId": Sim.CLIENT_ID, "clientSecret": Sim.CLIENT_SECRET},
        ),
        "events": ("POST", "/events/v1", event(), None),
        "historical": ("POST", "/events/historical/v1", [event()], None),
        "notifications": ("GET", "/pushnotifications/buildings/home/v1", None, None),
        "update_building": ("PUT", "/buildings/v1", building(), None),
    }
    method, path, body, params = requests[endpoint]
    _, url, session = served
    sim.reset_counters()
    sim.faults.inject(Fault.UNAUTHORIZED, endpoint=endpoint)
    sim.faults.inject(Fault.RATE_LIMIT, endpoint=endpoint, retry_after=17)
    sim.faults.inject(Fault.SERVER_ERROR, endpoint=endpoint)
    sim.faults.inject(Fault.MALFORMED_JSON, endpoint=endpoint)
    seen = []
    for _ in range(4):
        async with session.request(
            method, f"{url}{path}", json=body, params=params,
            headers={"Authorization": f"Bearer {token}"},
        ) as response:  # fmt: skip
            seen.append((response.status, response.headers.get("Retry-After")))
    assert seen == [(401, None), (429, "17"), (500, None), (200, None)]
    assert sim.counters[endpoint] == 4
    status, _ = await call(served, method, path, token=token, body=body, params=params)
    assert status in (200, 201)


async def test_slow_fault(served: Served) -> None:
    """SLOW answers only after the delay."""
    sim = served[0]
    token = await with_building(served)
    sim.faults.inject(Fault.SLOW, endpoint="get_building", delay=0.3)
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert (await call(served, "GET", "/buildings/home/v1", token=token))[0] == 200
    assert loop.time() - began >= 0.3


async def test_empty_page_fault(served: Served) -> None:
    """EMPTY_PAGE empties the list endpoints that have one."""
    sim = served[0]
    token = await with_building(served)
    sim.fire()
    for endpoint, path, params in (
        ("get_buildings", "/buildings/v1", None),
        ("notifications", "/pushnotifications/buildings/home/v1", None),
        (
            "energy_statistics",
            "/buildings/home/energy-statistics/daily/v1",
            {
                "eventTypes": "ENERGY_CONSUMPTION",
                "from": "2026-11-09",
                "to": "2026-11-09",
            },
        ),
    ):
        sim.faults.inject(Fault.EMPTY_PAGE, endpoint=endpoint)
        assert await call(served, "GET", path, token=token, params=params) == (200, [])
    sim.generate_forecasts = True
    sim.faults.inject(Fault.EMPTY_PAGE, endpoint="forecast")
    params = {"eventType": "ENERGY_CONSUMPTION_FORECAST_1H", "from": "1", "to": "3600"}
    assert await call(
        served, "GET", "/buildings/home/energy-forecast/v1", token=token, params=params
    ) == (200, [])


async def test_second_customer_is_separate(served: Served) -> None:
    """Another API client sees only its own buildings; body JSON errors are 400."""
    sim = served[0]
    sim.add_client("otherclient", "other-secret", "c" * 24)
    token = await with_building(served)
    _, body = await call(
        served,
        "GET",
        "/auth/token/v1",
        params={"clientId": "otherclient", "clientSecret": "other-secret"},
    )
    other = body["access_token"]
    assert (await call(served, "GET", "/buildings/v1", token=other))[1] == []
    assert (await call(served, "GET", "/buildings/home/v1", token=other))[0] == 404
    # The first customer's event under the second one's token: 400.
    assert (await call(served, "POST", "/events/v1", token=other, body=event()))[
        0
    ] == 400
    _, url, session = served
    async with session.post(
        f"{url}/events/v1",
        data=b"{not json",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    ) as response:
        assert response.status == 400


async def test_every_route_needs_a_token(served: Served) -> None:
    """401 on every route but the token's without a valid bearer token."""
    sim = served[0]
    routes = [route for route in sim.routes() if route.kwargs.get("name") != "token"]
    assert len(routes) == 16
    for route in routes:
        path = (
            route.path.replace("{resolution:hourly|daily|monthly}", "daily")
            .replace("{building_id}", "home")
            .replace("{rule_id}", RULE_HIGH)
            .replace("{notification_id}", "a" * 24)
        )
        status, _ = await call(served, route.method, path, token="forged")
        assert status == 401, path


async def test_update_validation_and_unknown_building_stats(served: Served) -> None:
    """PUT validates like POST; statistics of an unknown building are 404."""
    token = await with_building(served)
    status, _ = await call(
        served, "PUT", "/buildings/v1", token=token, body=building(zip="bad zip!")
    )
    assert status == 400
    assert (
        await call(
            served, "POST", "/events/v1", token=token, body=event(value=float("inf"))
        )
    )[0] == 400
    status, _ = await call(
        served,
        "GET",
        "/buildings/nope/energy-statistics/daily/v1",
        token=token,
        params={
            "eventTypes": "ENERGY_CONSUMPTION",
            "from": "2026-11-09",
            "to": "2026-11-09",
        },
    )
    assert status == 404
    # INCLUDE mode keeps the rules as given; a null tariff is no tariff.
    status, created = await call(
        served,
        "POST",
        "/buildings/v1",
        token=token,
        body=building(
            customerBuildingId="inc",
            rulesOperator="INCLUDE",
            activeRules=[RULE_CAR],
            settings={"tariff": None},
        ),
    )
    assert (status, created["activeRules"]) == (201, [RULE_CAR])


@pytest.mark.parametrize(
    ("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25), ("2026-11-09", 24)]
)
async def test_statistics_on_dst_days(served: Served, day: str, hours: int) -> None:
    """92 / 100 / 96 slots: hours and the day's sum follow the local calendar."""
    from zoneinfo import ZoneInfo

    token = await with_building(served)
    zone = ZoneInfo("Europe/Zurich")
    start = datetime.fromisoformat(day).replace(tzinfo=zone).astimezone(UTC)
    end = (datetime.fromisoformat(day) + timedelta(days=1)).replace(tzinfo=zone)
    slots = int((end.astimezone(UTC) - start).total_seconds() // 900)
    assert slots == hours * 4
    body = [
        event(timestamp=int(start.timestamp()) + 900 * (slot + 1), value=1)
        for slot in range(slots)
    ]
    assert (
        await call(served, "POST", "/events/historical/v1", token=token, body=body)
    )[0] == 200
    params = {"eventTypes": "ENERGY_CONSUMPTION", "from": day, "to": day}
    base = "/buildings/home/energy-statistics"
    _, hourly = await call(
        served, "GET", f"{base}/hourly/v1", token=token, params=params
    )
    assert [row["energyConsumption"] for row in hourly] == [4.0] * hours
    assert hourly[0]["startTimestamp"] == int(start.timestamp())
    _, daily = await call(served, "GET", f"{base}/daily/v1", token=token, params=params)
    assert daily == [{"day": day, "energyConsumption": float(slots)}]


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from([Sim.CUSTOMER_ID, "home", "ha-gateway", "GATEWAY", "DUAL", "22:00"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=10,
)  # fmt: skip
_fields = st.sampled_from(
    [
        "customerId", "customerBuildingId", "deviceId", "deviceName", "type",
        "source", "value", "timestamp", "forecastTimestamp", "zip", "city",
        "countryCode", "timeZoneId", "devices", "settings", "activeRules",
        "rulesOperator",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(changes=st.dictionaries(_fields, _json, max_size=4))
def test_validation_never_crashes(changes: dict[str, Any]) -> None:
    """Any body is stored or refused with 400: never a 500 from the simulator."""
    sim = Sim()
    customer = sim.customer
    customer.buildings["home"] = {"customerBuildingId": "home"}
    for body, validate in (
        (event() | changes, lambda data: sim._event(data, customer, "event")),
        (building() | changes, lambda data: _building(data, customer)),
        (changes, lambda data: _device(data, 0)),
        (changes.get("settings"), _tariff),
    ):
        with contextlib.suppress(BadRequestError):
            validate(body)
