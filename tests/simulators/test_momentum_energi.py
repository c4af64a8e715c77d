"""The Momentum Energi simulator follows the doc where clients rely on it."""

from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from freezegun import freeze_time
import pytest

from simulators.momentum_energi import MomentumEnergiSimulator as Sim

FORM = {
    "client_id": Sim.CLIENT_ID,
    "client_secret": Sim.CLIENT_SECRET,
    "grant_type": "password",
    "username": Sim.USERNAME,
    "password": Sim.PASSWORD,
    "scope": "external_access",
}


@pytest.fixture
async def served(
    socket_enabled: None,
) -> AsyncGenerator[tuple[Sim, str, ClientSession]]:
    sim = Sim(seed=3, tz="Europe/Stockholm", levels=("E", "B", "A"))
    server = TestServer(sim.build_app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    async with ClientSession() as session:
        yield sim, f"http://127.0.0.1:{server.port}", session
    await server.close()


async def _token(session: ClientSession, url: str) -> dict[str, str]:
    async with session.post(f"{url}/identity/connect/token", data=FORM) as response:
        body = await response.json()
    return {"Authorization": f"Bearer {body['access_token']}"}


@freeze_time("2026-11-24 12:00:00+00:00")
async def test_token_endpoint(served: tuple[Sim, str, ClientSession]) -> None:
    """Form only; OAuth errors; the token in the body or in a header."""
    sim, url, session = served
    token_url = f"{url}/identity/connect/token"
    async with session.post(token_url, json=FORM) as response:
        assert response.status == 415
    async with session.post(token_url, data={**FORM, "password": "x"}) as response:
        assert (response.status, (await response.json())["error"]) == (
            400,
            "invalid_grant",
        )
    async with session.post(token_url, data={**FORM, "client_secret": "x"}) as response:
        assert (response.status, (await response.json())["error"]) == (
            401,
            "invalid_client",
        )
    async with session.post(token_url, data={**FORM, "grant_type": "code"}) as response:
        assert response.status == 400
    async with session.post(token_url, data={**FORM, "scope": "all"}) as response:
        assert response.status == 400
    async with session.post(
        token_url, data={**FORM, "username": Sim.USERNAME.upper()}
    ) as response:
        body = await response.json()
        assert (body["expires_in"], body["token_type"]) == (3600, "Bearer")
    sim.token_in_header = True
    async with session.post(token_url, data=FORM) as response:
        assert response.status == 200
        assert response.headers["access_token"].startswith("eyJ")
        assert response.headers["expires_in"] == "3600"
        assert await response.read() == b""


@freeze_time("2026-11-24 12:00:00+00:00")
async def test_statistics_variants(served: tuple[Sim, str, ClientSession]) -> None:
    """Paging limits, updatedAfter in v1 and v2, by key, by usage, errors."""
    sim, url, session = served
    auth = await _token(session, url)
    base = f"{url}/api/external"

    async def get(path: str) -> tuple[int, dict[str, object]]:
        async with session.get(f"{base}{path}", headers=auth) as response:
            return response.status, await response.json()

    status, body = await get(
        "/v2/statistics/bylevel/E/2026-01-01/2026-04-01/groupbymedia?take=4&SKIP=2"
    )
    assert status == 200
    assert (body["total"], body["take"], body["skip"]) == (18, 4, 2)  # 3 months x 6
    assert len(body["data"]) == 4  # type: ignore[arg-type]
    assert (
        await get(
            "/v2/statistics/bylevel/E/2026-01-01/2026-04-01/groupbymedia?Take=10001"
        )
    )[0] == 400
    assert (
        await get("/v2/statistics/bylevel/E/2026-01-01/2026-04-01/groupbymedia?Take=x")
    )[0] == 400
    assert (await get("/v2/statistics/bylevel/E/2026-13-01/2026-04-01/groupbymedia"))[
        0
    ] == 400
    assert (await get("/v2/statistics/bylevel/E/2026-04-01/2026-04-01/groupbymedia"))[
        0
    ] == 422
    assert (await get("/v2/statistics/bylevel/R/2026-01-01/2026-04-01/groupbymedia"))[
        0
    ] == 404
    assert (await get("/v2/statistics/bylevel/E/2026-01-01/2026-04-01/groupbyfoo"))[
        0
    ] == 404

    # Only the running month changed since yesterday (v2); v1 answers every
    # medium of the months with a change, which here is the same set.
    _, v2 = await get("/v2/statistics/bylevel/E/updatedAfter/2026-11-23/groupbymedia")
    assert {row["startDate"][:7] for row in v2["data"]} == {"2026-11"}  # type: ignore[index,union-attr]
    sim.correct("1001-01", "Fjärrvärme", date(2025, 1, 1), 5.0)
    _, v2 = await get("/v2/statistics/bylevel/E/updatedAfter/2026-11-23/groupbymedia")
    _, v1 = await get("/v1/statistics/bylevel/E/updatedAfter/2026-11-23/groupbymedia")
    assert v1["total"] > v2["total"] == 7  # type: ignore[operator]

    _, by_key = await get(
        "/v2/statistics/bykey/1001-01-A1/2026-10-01/2026-11-01/groupbyusage"
    )
    (row,) = by_key["data"]  # type: ignore[misc]
    assert (row["usageType"], row["mediaType"], row["energyUnit"]) == (
        "Fastighetsdrift",
        None,
        "kWh",
    )
    assert (
        await get("/v2/statistics/bykey/nope/updatedAfter/2026-11-01/groupbymedia")
    )[0] == 404
    sim.forbidden_levels.add("B")
    assert (
        await get("/v2/statistics/bykey/1001-01/updatedAfter/2026-11-01/groupbymedia")
    )[0] == 403
    assert (await get("/v2/structure/B"))[0] == 403
    async with session.get(f"{base}/v2/structure/E") as response:
        assert response.status == 401


@freeze_time("2026-11-24 12:00:00+00:00")
def test_months_add_up_and_follow_the_import() -> None:
    """Estates sum their buildings; the running month is partial, water has no energy."""
    sim = Sim(seed=3, tz="Europe/Stockholm")
    estate = {
        (r["mediaType"], r["startDate"][:7]): r for r in sim.rows(sim.items["1001"])
    }
    buildings = [
        {(r["mediaType"], r["startDate"][:7]): r for r in sim.rows(sim.items[key])}
        for key in ("1001-01", "1001-02")
    ]
    key = ("Fjärrvärme", "2026-10")
    assert estate[key]["consumption"] == pytest.approx(
        sum(b[key]["consumption"] for b in buildings), abs=1e-6
    )
    assert estate[key]["stopDate"] == "2026-11-01T00:00:00.0000000+01:00"
    # Final after the import on the next month's first day, 06:00 local.
    assert datetime.fromisoformat(estate[key]["lastUpdated"]).astimezone(
        UTC
    ) < datetime(2026, 11, 1, 5, 1, tzinfo=UTC)
    running = estate["Fjärrvärme", "2026-11"]
    assert 0 < running["consumption"] < estate["Fjärrvärme", "2025-11"]["consumption"]
    water = estate["Kallvatten", "2026-10"]
    assert (water["energy"], water["energyUnit"], water["consumptionUnit"]) == (
        None,
        None,
        "m³",
    )
    assert sim.demo_credentials()["username"] == Sim.USERNAME
