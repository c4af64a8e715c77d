"""The Momentum Energi client on its own, against scripted answers (no HA).

These pin the tolerant readings of the doc's gaps: where the token arrives,
envelopes with and without paging, rows with odd or missing fields.
"""

from datetime import UTC, date, datetime
from urllib.parse import parse_qsl

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.momentum_energi.api import (
    MomentumEnergiAuthenticationError,
    MomentumEnergiClient,
    MomentumEnergiClientAuthError,
    MomentumEnergiConnectionError,
    MomentumEnergiForbiddenError,
    MomentumEnergiNotFoundError,
    MomentumEnergiRateLimitError,
    MomentumEnergiResponseError,
)
from simulators.framework import make_jwt
from tests.conftest import Replies

ROW = {
    "itemKey": "1001",
    "usageType": None,
    "mediaClass": "Värme",
    "mediaType": "Fjärrvärme",
    "startDate": "2026-10-01T00:00:00.0000000+02:00",
    "stopDate": "2026-11-01T00:00:00.0000000+01:00",
    "consumptionUnit": "MWh",
    "consumption": 41.5,
    "consumptionNormalized": 44.0,
    "energyUnit": "MWh",
    "energy": 41.5,
    "energyNormalized": None,
    "lastUpdated": "2026-11-02T06:00:00.3946315+01:00",
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed for client tests."""


def _api(
    client: ClientSession, mocked: Replies, **kwargs: object
) -> MomentumEnergiClient:
    return MomentumEnergiClient(
        client,
        "api@company",
        "password",
        "secret",
        url=mocked.base,
        request_timeout=0.5,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ({"payload": {"access_token": "opaque-token", "expires_in": 3600}}, "body"),
        ({"headers": {"access_token": "JWT"}}, "header access_token"),
        ({"headers": {"Authorization": "Bearer JWT"}}, "header authorization"),
        ({"headers": {"X-Something-Else": "JWT"}, "body": "{}"}, "any JWT header"),
    ],
)
async def test_token_from_body_or_any_header(
    client: ClientSession, mocked: Replies, reply: dict[str, object], kind: str
) -> None:
    """The token is taken from the JSON body or, as the doc says, a header."""
    jwt = make_jwt({"exp": 4_102_444_800}, b"k")
    if "headers" in reply:
        reply = {
            **reply,
            "headers": {
                key: value.replace("JWT", jwt)  # type: ignore[union-attr]
                for key, value in reply["headers"].items()  # type: ignore[union-attr]
            },
        }
    expected = "opaque-token" if kind == "body" else jwt
    api = _api(client, mocked)
    mocked.post(**reply)
    mocked.get(payload={"data": [], "total": 0, "take": 3000, "skip": 0})
    assert await api.structure("E") == []
    token_request = mocked.requests[0]
    assert token_request.path == "/identity/connect/token"
    assert token_request.content_type == "application/x-www-form-urlencoded"
    assert mocked.requests[1].headers["Authorization"] == f"Bearer {expected}"
    assert mocked.paths[1] == "/api/external/v2/structure/E?Take=3000&Skip=0"


async def test_token_request_is_the_documented_form(
    client: ClientSession, mocked: Replies
) -> None:
    """Password grant, client id external_access, scope external_access."""
    api = _api(client, mocked)
    mocked.post(payload={"access_token": "t"})
    await api.authenticate()
    assert dict(parse_qsl(mocked.bodies[0].decode())) == {
        "client_id": "external_access",
        "client_secret": "secret",
        "grant_type": "password",
        "username": "api@company",
        "password": "password",
        "scope": "external_access",
    }
    assert api.token_requests == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            {"status": 400, "payload": {"error": "invalid_grant"}},
            MomentumEnergiAuthenticationError,
        ),
        (
            {"status": 401, "payload": {"error": "invalid_client"}},
            MomentumEnergiClientAuthError,
        ),
        (
            {"status": 400, "payload": {"error": "invalid_scope"}},
            MomentumEnergiResponseError,
        ),
        (
            {"status": 200, "payload": {"token_type": "Bearer"}},
            MomentumEnergiResponseError,
        ),
        ({"status": 200, "body": "<html>"}, MomentumEnergiResponseError),
        ({"status": 503, "body": "down"}, MomentumEnergiResponseError),
        # Not a level or a right: a base URL that is not Momentum's.
        (
            {"status": 404, "payload": {"message": "Not Found"}},
            MomentumEnergiResponseError,
        ),
    ],
)
async def test_token_errors(
    client: ClientSession,
    mocked: Replies,
    reply: dict[str, object],
    error: type[Exception],
) -> None:
    """OAuth errors map to the right exception; a wrong password is not a bad secret."""
    api = _api(client, mocked)
    mocked.post(**reply)
    with pytest.raises(error) as raised:
        await api.authenticate()
    if error is MomentumEnergiAuthenticationError:
        assert not isinstance(raised.value, MomentumEnergiClientAuthError)
    assert not isinstance(raised.value, MomentumEnergiNotFoundError)


async def test_paging_until_total(client: ClientSession, mocked: Replies) -> None:
    """Pages are read with Take/Skip until ``total``; odd rows are skipped."""
    api = _api(client, mocked, page_size=2)
    mocked.post(payload={"access_token": "t"})
    mocked.get(payload={"data": [ROW, {**ROW, "itemKey": None}], "total": 3})
    mocked.get(
        payload={"data": [{**ROW, "consumption": "12.5", "extra": 1}], "total": 3}
    )
    rows = await api.statistics_period("E", date(2024, 11, 1), date(2026, 11, 9))
    assert mocked.paths[1:] == [
        "/api/external/v2/statistics/bylevel/E/2024-11-01/2026-11-09/groupbymedia?Take=2&Skip=0",
        "/api/external/v2/statistics/bylevel/E/2024-11-01/2026-11-09/groupbymedia?Take=2&Skip=2",
    ]
    assert [row.consumption for row in rows] == [41.5, 12.5]
    first = rows[0]
    assert first.medium == "Fjärrvärme"
    assert first.start == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert first.stop == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert first.energy_normalized is None
    # Seven fractional digits (.NET) are read, not refused.
    assert first.last_updated == datetime(2026, 11, 2, 5, 0, 0, 394631, tzinfo=UTC)


async def test_paging_variants(client: ClientSession, mocked: Replies) -> None:
    """A bare list is the whole set; without total a short page ends it."""
    api = _api(client, mocked, page_size=2)
    mocked.post(payload={"access_token": "t"})
    mocked.get(payload=[ROW, "junk"])
    assert len(await api.statistics_updated_after("B", date(2026, 11, 1))) == 1
    assert mocked.paths[-1].startswith(
        "/api/external/v2/statistics/bylevel/B/updatedAfter/2026-11-01/groupbymedia?"
    )
    mocked.get(payload={"data": [ROW, ROW]})
    mocked.get(payload={"data": [ROW]})
    assert len(await api.statistics_updated_after("B", date(2026, 11, 1))) == 3


async def test_page_ending_early_is_an_error(
    client: ClientSession, mocked: Replies
) -> None:
    """An empty page before ``total`` raises rather than returning half a set."""
    api = _api(client, mocked, page_size=2)
    mocked.post(payload={"access_token": "t"})
    mocked.get(payload={"data": [ROW, ROW], "total": 5})
    mocked.get(payload={"data": [], "total": 5})
    with pytest.raises(MomentumEnergiResponseError, match="empty"):
        await api.statistics_period("E", date(2026, 1, 1), date(2026, 2, 1))
    mocked.get(payload={"rows": []})
    with pytest.raises(MomentumEnergiResponseError, match="envelope"):
        await api.structure("E")


async def test_structure_items(client: ClientSession, mocked: Replies) -> None:
    """Structure rows become items; a row without key is skipped."""
    api = _api(client, mocked)
    mocked.post(payload={"access_token": "t"})
    mocked.get(
        payload={
            "data": [
                {
                    "key": "1001",
                    "parentKey": None,
                    "name": "Kv. Solrosen",
                    "number": "1001",
                    "level": "E",
                    "levelName": "Fastighet",
                },
                {"key": "1002", "name": None, "number": None},
                {"name": "no key"},
            ],
            "total": 3,
        }
    )
    items = await api.structure("E")
    assert [(item.key, item.display_name) for item in items] == [
        ("1001", "Kv. Solrosen"),
        ("1002", "1002"),
    ]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, MomentumEnergiForbiddenError),
        (404, MomentumEnergiNotFoundError),
        (415, MomentumEnergiResponseError),
        (422, MomentumEnergiResponseError),
        (500, MomentumEnergiResponseError),
    ],
)
async def test_api_errors_are_typed(
    client: ClientSession, mocked: Replies, status: int, error: type[Exception]
) -> None:
    """Each documented status maps to its exception; the message is kept."""
    api = _api(client, mocked)
    mocked.post(payload={"access_token": "t"})
    # A 404 is asked again of the deprecated v1 before it counts.
    for _ in range(2 if status == 404 else 1):
        mocked.get(status=status, payload={"message": "Nope"})
    with pytest.raises(error, match="Nope"):
        await api.structure("R")


async def test_rate_limit_and_renewal(
    client: ClientSession, mocked: Replies, freezer: FrozenDateTimeFactory
) -> None:
    """429 carries Retry-After, kept as a promise; a 401 renews the token once.

    Issue 12.9: until Retry-After has passed the client answers calls itself
    (rate-limited, with the time left) and sends nothing. Issue 8.9: a 401 on
    a token the vendor has just issued is not a wrong password.
    """
    api = _api(client, mocked)
    mocked.post(payload={"access_token": "t1"})
    mocked.get(status=429, payload={"message": "slow"}, headers={"Retry-After": "30"})
    with pytest.raises(MomentumEnergiRateLimitError) as raised:
        await api.structure("E")
    assert raised.value.retry_after == 30
    sent = len(mocked.requests)
    freezer.tick(20)
    with pytest.raises(MomentumEnergiRateLimitError) as raised:
        await api.structure("E")
    assert raised.value.retry_after == pytest.approx(10, abs=1)
    assert len(mocked.requests) == sent
    freezer.tick(11)
    mocked.get(status=401, payload={"message": "expired"})
    mocked.post(payload={"access_token": "t2"})
    mocked.get(payload={"data": [], "total": 0})
    assert await api.structure("E") == []
    assert api.token_requests == 2
    mocked.get(status=401, payload={"message": "expired"})
    mocked.post(payload={"access_token": "t3"})
    mocked.get(status=401, payload={"message": "still"})
    with pytest.raises(MomentumEnergiResponseError) as refused:
        await api.structure("E")
    assert not isinstance(refused.value, MomentumEnergiAuthenticationError)


async def test_timeouts_and_unreachable(client: ClientSession, mocked: Replies) -> None:
    """A slow or absent server is a connection error."""
    api = _api(client, mocked)
    mocked.post(payload={"access_token": "t"}, delay=2)
    with pytest.raises(MomentumEnergiConnectionError, match="Timeout"):
        await api.authenticate()
    gone = MomentumEnergiClient(client, "u", "p", "s", url="http://127.0.0.1:9")
    with pytest.raises(MomentumEnergiConnectionError):
        await gone.authenticate()


def test_https_required(client: ClientSession) -> None:
    """Plain HTTP is refused for anything but loopback."""
    with pytest.raises(ValueError, match="loopback"):
        MomentumEnergiClient(client, "u", "p", "s", url="http://api-rc.momentum.se")


async def test_falls_back_to_v1_once(client: ClientSession, mocked: Replies) -> None:
    """A server without v2 answers from v1; the client then stays on v1."""
    api = _api(client, mocked)
    mocked.post(payload={"token": "t"})
    mocked.get(status=404, payload={"message": "Not Found"})
    mocked.get(payload={"data": [ROW], "total": 1})
    mocked.get(payload={"data": [], "total": 0})
    assert len(await api.statistics_updated_after("E", date(2026, 11, 1))) == 1
    assert await api.structure("E") == []
    assert [path.split("?")[0] for path in mocked.paths[1:]] == [
        "/api/external/v2/statistics/bylevel/E/updatedAfter/2026-11-01/groupbymedia",
        "/api/external/v1/statistics/bylevel/E/updatedAfter/2026-11-01/groupbymedia",
        "/api/external/v1/structure/E",
    ]
    assert mocked.requests[1].headers["Authorization"] == "Bearer t"


async def test_missing_level_is_404_on_both_versions(
    client: ClientSession, mocked: Replies
) -> None:
    """A level that exists in neither version stays a NotFound error."""
    api = _api(client, mocked)
    mocked.post(payload={"access_token": "t"})
    mocked.get(status=404, payload={"message": "Not Found"})
    mocked.get(status=404, payload={"message": "Not Found"})
    with pytest.raises(MomentumEnergiNotFoundError):
        await api.structure("R")


async def test_token_400_without_oauth_code_is_a_refused_login(
    client: ClientSession, mocked: Replies
) -> None:
    """A bare 400 from the token endpoint is a wrong user or password."""
    api = _api(client, mocked)
    mocked.post(status=400, payload={"message": "Invalid username or password"})
    with pytest.raises(MomentumEnergiAuthenticationError):
        await api.authenticate()


async def test_rows_without_stop_date_or_consumption(
    client: ClientSession, mocked: Replies
) -> None:
    """A missing stopDate is the next month; energy alone is enough for a row."""
    api = _api(client, mocked)
    mocked.post(payload={"access_token": "t"})
    mocked.get(
        payload={
            "data": [
                {**ROW, "stopDate": None, "startDate": "2026-12-01T00:00:00Z"},
                {**ROW, "consumption": None},
                {**ROW, "consumption": None, "energy": None},
            ],
            "total": 3,
        }
    )
    first, second = await api.statistics_period("E", date(2026, 1, 1), date(2027, 1, 1))
    assert first.stop == datetime(2027, 1, 1, tzinfo=UTC)
    assert (second.consumption, second.energy) == (None, 41.5)
