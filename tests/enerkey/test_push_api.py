"""The EnerKey client's push (contract: Push): simulator and scripted answers."""

from datetime import UTC, datetime, timedelta, timezone
import json
import math

from aiohttp import ClientSession
import pytest

from custom_components.enerkey.api import (
    PRIMARY,
    PUSH_RANGE,
    SECONDARY,
    EnerKeyAuthenticationError,
    EnerKeyClient,
    EnerKeyConnectionError,
    EnerKeyRateLimitError,
    EnerKeyResponseError,
    PushResult,
    push_body,
)
from simulators.enerkey import EnerKeySimulator
from tests.conftest import Replies, StartSimulator

KEY1 = "key-one+/secret"
KEY2 = "key-two-secret"
T0 = datetime(2026, 10, 26, 22, tzinfo=UTC)
HOUR = timedelta(hours=1)
CONSUMPTIONS = "/api/v1/Values/PushConsumptionsForMeter"
CUMULATIVE = "/api/v1/Values/PushCumulativeReadingsForMeter"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed for client tests."""


def _api(client: ClientSession, mocked: Replies) -> EnerKeyClient:
    return EnerKeyClient(client, KEY1, KEY2, url=mocked.base, timeout=2)


async def _sim_api(
    client: ClientSession, start_simulator: StartSimulator
) -> tuple[EnerKeySimulator, EnerKeyClient]:
    sim = EnerKeySimulator(seed=4)
    url = await start_simulator(sim)
    api = EnerKeyClient(
        client, EnerKeySimulator.PRIMARY_KEY, EnerKeySimulator.SECONDARY_KEY, url=url
    )
    return sim, api


async def test_push_to_the_simulator(
    client: ClientSession, start_simulator: StartSimulator
) -> None:
    """Consumptions and readings arrive as sent; EnerKey's counts come back."""
    sim, api = await _sim_api(client, start_simulator)
    helsinki = timezone(timedelta(hours=2))
    result = await api.push_values(
        "2001",
        [(T0, 1.25), (T0 + HOUR, 0.75), ((T0 + 1.5 * HOUR).astimezone(helsinki), 0.1)],
    )
    assert result == PushResult(meter_id="2001", received=3, stored=2)
    assert sim.pushed[2001] == {T0: 1.25, T0 + HOUR: 0.85}
    message = sim.push_messages[0]
    assert message["meterId"] == 2001
    assert message["path"] == "consumptions"
    assert [v["timestamp"] for v in message["values"]] == [
        "2026-10-26T22:00:00Z",
        "2026-10-26T23:00:00Z",
        "2026-10-26T23:30:00Z",
    ]
    readings = [(T0 + n * HOUR, 100.0 + n) for n in range(4)]
    result = await api.push_values("2002", readings, cumulative=True)
    assert result == PushResult(meter_id="2002", received=4, stored=4)
    assert sim.derived(2002) == {T0 + n * HOUR: 1.0 for n in range(3)}
    assert sim.push_messages[1]["path"] == "cumulative"
    assert sim.counters["push_consumptions"] == sim.counters["push_cumulative"] == 1
    # What was pushed is what EnerKey serves back.
    hourly = await api.values("Hourly", ["2001"], T0, T0 + 2 * HOUR)
    assert hourly["2001"].values == [(T0, 1.25), (T0 + HOUR, 0.85)]
    assert api.calls_left == sim.calls_left()


async def test_push_refusals_raise_with_status(
    client: ClientSession, start_simulator: StartSimulator
) -> None:
    """400 and 404 raise EnerKeyResponseError with their status; 5xx connection."""
    sim, api = await _sim_api(client, start_simulator)
    with pytest.raises(EnerKeyResponseError) as err:
        await api.push_values("9", [(T0, 1.0)])
    assert err.value.status == 404
    with pytest.raises(EnerKeyResponseError) as err:
        await api.push_values("not-a-number", [(T0, 1.0)])
    assert err.value.status == 400
    sim.push_refusal = 400
    with pytest.raises(EnerKeyResponseError) as err:
        await api.push_values("2001", [(T0, 1.0)], cumulative=True)
    assert err.value.status == 400
    sim.push_refusal = 503
    with pytest.raises(EnerKeyConnectionError):
        await api.push_values("2001", [(T0, 1.0)])
    assert sim.push_messages == []
    sim.push_refusal = None
    assert (await api.push_values("2001", [(T0, 1.0)])).stored == 1
    # Other 4xx errors of the client keep working without a status.
    assert EnerKeyResponseError("x").status is None


async def test_push_failover_and_retry_after(
    client: ClientSession, start_simulator: StartSimulator
) -> None:
    """A revoked key fails over for a push; a 429 closes the gate for pushes."""
    sim, api = await _sim_api(client, start_simulator)
    sim.revoke(EnerKeySimulator.PRIMARY_KEY)
    assert (await api.push_values("2001", [(T0, 1.0)])).stored == 1
    assert (api.active_key, api.failed_keys) == (SECONDARY, {PRIMARY})
    assert sim.keys_used == [EnerKeySimulator.SECONDARY_KEY]
    sim.revoke(EnerKeySimulator.SECONDARY_KEY)
    with pytest.raises(EnerKeyAuthenticationError):
        await api.push_values("2001", [(T0, 1.0)])
    sim.renew(EnerKeySimulator.PRIMARY_KEY)
    sim.burst_limit = len(sim.keys_used)
    with pytest.raises(EnerKeyRateLimitError) as err:
        await api.push_values("2001", [(T0, 2.0)])
    assert err.value.retry_after is not None
    sent = api.requests
    with pytest.raises(EnerKeyRateLimitError, match="Retry-After"):
        await api.push_values("2001", [(T0, 2.0)], cumulative=True)
    assert api.requests == sent
    assert sim.pushed[2001] == {T0: 1.0}


async def test_caller_errors_send_nothing(
    client: ClientSession, mocked: Replies
) -> None:
    """Empty, naive, non-finite or too long a span: ValueError, nothing sent."""
    api = _api(client, mocked)
    cases: list[list[tuple[datetime, float]]] = [
        [],
        [(T0.replace(tzinfo=None), 1.0)],
        [(T0, math.nan)],
        [(T0, math.inf)],
        [(T0, True)],
        [(T0, "1")],  # type: ignore[list-item]
        [(T0 + PUSH_RANGE, 1.0), (T0, 1.0)],
        [(T0, 1.0), (T0 + PUSH_RANGE + HOUR, 1.0)],
    ]
    for values in cases:
        for cumulative in (False, True):
            with pytest.raises(ValueError):
                await api.push_values("1", values, cumulative=cumulative)
    assert api.requests == 0
    assert mocked.requests == []
    # Just under 365 days is one message.
    mocked.post(payload={"received": 2, "stored": 2})
    last = T0 + PUSH_RANGE - HOUR
    assert (await api.push_values("1", [(T0, 1), (last, 2.5)])).received == 2
    sent = json.loads(mocked.bodies[0])
    assert sent == {
        "meterId": 1,
        "values": [
            {"timestamp": "2026-10-26T22:00:00Z", "value": 1},
            {"timestamp": "2027-10-26T21:00:00Z", "value": 2.5},
        ],
    }


async def test_body_shape_and_tolerant_answers(
    client: ClientSession, mocked: Replies
) -> None:
    """Ids as numbers when all digits; counts read tolerantly; empty 200 accepted."""
    api = _api(client, mocked)
    mocked.post(payload={"RECEIVED": "3", "Stored": "2.0", "meterId": 7})
    assert await api.push_values("7", [(T0, 1.0)]) == PushResult(
        meter_id="7", received=3, stored=2
    )
    request = mocked.requests[0]
    assert (request.method, mocked.paths[0]) == ("POST", CONSUMPTIONS)
    assert request.headers["Authorization"] == KEY1
    assert request.headers["Content-Type"].startswith("application/json")
    mocked.post(body="")
    assert await api.push_values("m-7", [(T0, 1.0)], cumulative=True) == PushResult(
        meter_id="m-7", received=None, stored=None
    )
    assert mocked.paths[1] == CUMULATIVE
    assert json.loads(mocked.bodies[1])["meterId"] == "m-7"
    for answer in (
        {"payload": [1, 2]},
        {"payload": "ok"},
        {"body": "OK"},
        {"body": "{", "content_type": "application/json"},
        {"payload": {"received": -1, "stored": 1.5}},
        {"payload": {"received": True, "stored": "many"}},
        {"payload": {"received": None}},
    ):
        mocked.post(**answer)
        result = await api.push_values("7", [(T0, 1.0)])
        assert (result.received, result.stored) == (None, None), answer
    assert push_body("0012", [(T0, 0)])["meterId"] == 12
    wide = "\uff11\uff12"  # full-width digits: not an EnerKey id number
    assert push_body(wide, [(T0, 0)])["meterId"] == wide


async def test_scripted_refusals(client: ClientSession, mocked: Replies) -> None:
    """4xx carry their status; 401 fails over; 429 holds the gate."""
    api = _api(client, mocked)
    mocked.post(payload={"status": 400, "detail": "span"}, status=400)
    with pytest.raises(EnerKeyResponseError, match="span") as err:
        await api.push_values("7", [(T0, 1.0)])
    assert err.value.status == 400
    mocked.post(status=404)
    with pytest.raises(EnerKeyResponseError) as err:
        await api.push_values("7", [(T0, 1.0)])
    assert err.value.status == 404
    mocked.post(status=401)
    mocked.post(payload={"received": 1, "stored": 1})
    assert (await api.push_values("7", [(T0, 1.0)])).stored == 1
    assert mocked.requests[-1].headers["Authorization"] == KEY2
    assert json.loads(mocked.bodies[-1]) == json.loads(mocked.bodies[-2])
    mocked.post(status=429, headers={"Retry-After": "30"})
    with pytest.raises(EnerKeyRateLimitError) as limited:
        await api.push_values("7", [(T0, 1.0)])
    assert limited.value.retry_after == 30
    with pytest.raises(EnerKeyRateLimitError):
        await api.push_values("7", [(T0, 1.0)])
    assert len(mocked.requests) == 5
