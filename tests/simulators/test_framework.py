"""The simulator framework: counters, every fault switch, tokens and synthetic data."""

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import ClientSession, ClientTimeout, web
from aiohttp.test_utils import TestServer
import pytest

from simulators import SIMULATOR, Fault, Simulator, registered
from simulators.framework import Faults, TokenStore
from simulators.synthetic import COMMERCIAL, HOUSEHOLD, LoadProfile, SyntheticMeter


class Echo(Simulator):
    """A minimal simulator: one JSON endpoint and one paginated one."""

    name = "echo"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/ping", self.ping, name="ping"),
            web.get("/rows", self.rows, name="rows"),
        ]

    async def ping(self, request: web.Request) -> web.Response:
        if self.rejects_unauthorized("ping"):
            return web.json_response({}, status=401)
        return web.json_response({"pong": True})

    async def rows(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self.page("rows", list(range(10)), 2, 3)})


@pytest.fixture
async def echo(socket_enabled: None) -> tuple[Echo, str]:
    sim = Echo()
    server = TestServer(sim.build_app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    yield sim, f"http://127.0.0.1:{server.port}"
    await server.close()


async def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    async with ClientSession() as session, session.get(url) as response:
        return response.status, dict(response.headers), await response.read()


async def test_counters_and_faults(echo: tuple[Echo, str]) -> None:
    """Each switch fires on its endpoint for the given number of requests."""
    sim, url = echo
    assert (await _get(f"{url}/ping"))[0] == 200
    sim.faults.inject(Fault.UNAUTHORIZED, endpoint="ping")
    sim.faults.inject(Fault.RATE_LIMIT, endpoint="ping", retry_after=7)
    sim.faults.inject(Fault.SERVER_ERROR, endpoint="ping")
    sim.faults.inject(Fault.MALFORMED_JSON, endpoint="ping")
    sim.faults.inject(Fault.EMPTY_PAGE, endpoint="rows", times=2)
    assert (await _get(f"{url}/ping"))[0] == 401
    status, headers, _ = await _get(f"{url}/ping")
    assert (status, headers["Retry-After"]) == (429, "7")
    assert (await _get(f"{url}/ping"))[0] == 500
    status, headers, body = await _get(f"{url}/ping")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        __import__("json").loads(body)
    assert (await _get(f"{url}/ping"))[2] == b'{"pong": true}'
    assert (await _get(f"{url}/rows"))[2] == b'{"data": []}'
    assert (await _get(f"{url}/rows"))[2] == b'{"data": []}'
    assert (await _get(f"{url}/rows"))[2] == b'{"data": [2, 3, 4]}'
    assert (await _get(f"{url}/nowhere"))[0] == 404
    assert sim.counters["ping"] == 6
    assert sim.counters["rows"] == 3
    assert sim.counters["unmatched"] == 1
    # Bytes of the bodies the handlers answered (not of injected faults).
    assert sim.bytes_served["rows"] == 2 * len(b'{"data": []}') + len(
        b'{"data": [2, 3, 4]}'
    )
    assert sim.bytes_served["ping"] == 2 * len(b'{"pong": true}')
    assert (
        sim.bytes_served["total"] == sim.bytes_served["rows"] + sim.bytes_served["ping"]
    )
    sim.reset_counters()
    assert sim.counters["ping"] == 0
    assert sim.bytes_served["total"] == 0


async def test_slow_fault_outlasts_client_timeout(echo: tuple[Echo, str]) -> None:
    """SLOW answers only after its delay, past a client's timeout."""
    sim, url = echo
    sim.faults.inject(Fault.SLOW, delay=0.5, times=None)
    async with ClientSession(timeout=ClientTimeout(total=0.1)) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(f"{url}/ping")
    sim.faults.clear()
    assert (await _get(f"{url}/ping"))[0] == 200


def test_faults_validation_and_app_key() -> None:
    """Invalid counts are refused; the app exposes its simulator."""
    with pytest.raises(ValueError):
        Faults().inject(Fault.SLOW, times=0)
    sim = Echo()
    assert sim.build_app()[SIMULATOR] is sim
    with pytest.raises(NotImplementedError):
        Simulator().routes()
    with pytest.raises(NotImplementedError):
        Simulator().demo_credentials()
    vendors = registered()
    assert {"omnimetic", "momentum_energi"} <= vendors.keys()
    offsets = [cls.port_offset for cls in vendors.values()]
    assert len(set(offsets)) == len(offsets), "each vendor needs its own port"


def test_token_store_expiry() -> None:
    """Tokens expire after their lifetime on the simulator's clock, or when revoked."""
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    store = TokenStore(timedelta(hours=1), lambda: now[0])
    issued = store.issue("acc")
    assert store.validate(issued.token) is issued
    assert store.validate(None) is None
    now[0] += timedelta(minutes=59)
    assert store.validate(issued.token) is issued
    now[0] += timedelta(minutes=1)
    assert store.validate(issued.token) is None
    fresh = store.issue("acc")
    store.expire_all()
    assert store.validate(fresh.token) is None


def test_synthetic_data_is_deterministic_and_realistic() -> None:
    """Same seed, same data; yearly totals near the profile; months sum their hours."""
    tz = ZoneInfo("Europe/Oslo")
    a = SyntheticMeter(HOUSEHOLD, seed=3, tz=tz)
    b = SyntheticMeter(HOUSEHOLD, seed=3, tz=tz)
    c = SyntheticMeter(HOUSEHOLD, seed=4, tz=tz)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    end = datetime(2026, 1, 1, tzinfo=UTC)
    hour = datetime(2025, 3, 3, 17, tzinfo=UTC)
    assert a.value(hour) == b.value(hour) != c.value(hour)
    assert 5000 < a.total(start, end) < 7000
    office = SyntheticMeter(COMMERCIAL, seed=3, tz=tz)
    assert 350_000 < office.total(start, end) < 450_000
    january = a.total(start, datetime(2025, 2, 1, tzinfo=UTC))
    july = a.total(datetime(2025, 7, 1, tzinfo=UTC), datetime(2025, 8, 1, tzinfo=UTC))
    assert january > 1.4 * july
    assert a.total(start, datetime(2025, 1, 3, tzinfo=UTC)) == pytest.approx(
        sum(v for _, v in a.hours(start, datetime(2025, 1, 3, tzinfo=UTC)))
    )
    # An evening peak above the night on a weekday.
    assert a.value(datetime(2025, 3, 4, 17, tzinfo=UTC)) > a.value(
        datetime(2025, 3, 4, 2, tzinfo=UTC)
    )
    a.correct(hour, 9.9999)
    assert a.value(hour) == 10.0
    with pytest.raises(ValueError):
        a.value(datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError):
        LoadProfile(
            name="bad", annual=1, weekday=(1.0,), weekend=(1.0,) * 24, winter_factor=1
        )
    assert (
        len(list(a.hours(start + timedelta(minutes=1), start + timedelta(hours=3))))
        == 2
    )
