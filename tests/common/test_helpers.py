"""The shared modules: behaviour of the helpers and identity of the copies."""

from datetime import UTC, datetime, timedelta
import email.utils
import filecmp
from pathlib import Path
from types import ModuleType
from unittest.mock import patch

import pytest

from simulators.framework import make_jwt

from .conftest import ROOT, copies, copy_id

HELPERS = pytest.mark.parametrize("helpers", copies("api_helpers"), ids=copy_id)


@pytest.mark.parametrize(
    "component",
    sorted(p for p in (ROOT / "custom_components").iterdir() if p.is_dir()),
    ids=lambda path: path.name,
)
def test_each_integration_carries_the_canonical_copy(component: Path) -> None:
    """Every integration vendors common/ unchanged (run scripts/sync-common)."""
    names = sorted(path.name for path in (ROOT / "common").glob("*.py"))
    match, mismatch, errors = filecmp.cmpfiles(
        ROOT / "common", component / "common", names, shallow=False
    )
    assert (mismatch, errors) == ([], []), "run scripts/sync-common"
    assert match == names


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.omnimetic.com/", True),
        ("http://127.0.0.1:8900/api", True),
        ("http://localhost:1/api", True),
        ("http://[::1]:8900", True),
        ("http://api.omnimetic.com", False),
        ("ftp://x", False),
        ("https://x/api?a=1", False),
        ("not a url", False),
    ],
)
@HELPERS
def test_validate_base_url(helpers: ModuleType, url: str, ok: bool) -> None:
    """HTTPS everywhere, plain HTTP only on loopback."""
    if ok:
        assert helpers.validate_base_url(url) == url.rstrip("/")
    else:
        with pytest.raises(ValueError):
            helpers.validate_base_url(url)


@HELPERS
def test_scalar_parsers(helpers: ModuleType) -> None:
    """Tolerant readers of JSON scalars."""
    as_str, as_number, as_datetime = (
        helpers.as_str,
        helpers.as_number,
        helpers.as_datetime,
    )
    assert as_str("  x ") == "x"
    assert as_str(12) == "12"
    assert as_str("") is None
    assert as_str({"a": 1}) is None
    assert as_number("1.5") == 1.5
    assert as_number(True) is None
    assert as_number("nan") is None
    assert as_number("x") is None
    assert as_datetime("2026-10-01T00:00:00+02:00") == datetime(
        2026, 9, 30, 22, tzinfo=UTC
    )
    assert as_datetime("2026-10-01T00:00:00") == datetime(2026, 10, 1, tzinfo=UTC)
    assert as_datetime("yesterday") is None
    assert as_datetime(5) is None


@HELPERS
def test_retry_after(helpers: ModuleType) -> None:
    """Seconds or an HTTP date; nonsense is ignored."""
    parse_retry_after = helpers.parse_retry_after
    assert parse_retry_after("120") == 120
    assert parse_retry_after("-3") == 0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = datetime.now(UTC) + timedelta(seconds=300)
    assert 200 < (parse_retry_after(email.utils.format_datetime(later)) or 0) <= 300


@HELPERS
def test_error_message_and_jwt(helpers: ModuleType) -> None:
    """Error bodies are cut short; a JWT's exp is read without verifying it."""
    error_message, jwt_expiry = helpers.error_message, helpers.jwt_expiry
    assert error_message(b'{"message": "Not Found"}') == "Not Found"
    assert error_message(b'{"error": "invalid_grant"}') == "invalid_grant"
    assert error_message(b"x" * 500) == "x" * 200
    assert error_message(b"[1]") == "[1]"
    assert jwt_expiry(make_jwt({"exp": 1700000000}, b"k")) == 1700000000
    assert jwt_expiry(make_jwt({"exp": True}, b"k")) is None
    assert jwt_expiry("opaque") is None
    assert helpers.host_of("https://api-rc.momentum.se/x?y=1") == "api-rc.momentum.se"
    assert helpers.is_loopback("127.0.0.2")
    assert not helpers.is_loopback("example.com")


@HELPERS
async def test_bearer_token(helpers: ModuleType) -> None:
    """Kept until the margin before expiry; one renewal per refusal; shared renewals."""
    issued: list[tuple[str, float | None]] = []
    now = [1_000_000.0]

    async def fetch() -> tuple[str, float | None]:
        token = make_jwt({"exp": int(now[0]) + 1800}, b"k") + str(len(issued))
        issued.append((token, None if len(issued) % 2 else 600.0))
        return issued[-1]

    with patch.object(helpers.time, "time", lambda: now[0]):
        bearer = helpers.BearerToken(fetch, lifetime=timedelta(hours=1))
        first = await bearer.get()
        assert await bearer.get() == first
        now[0] += 299  # expires_in 600 s, renewed 5 minutes before
        assert await bearer.get() == first
        now[0] += 2
        second = await bearer.get()
        assert second != first
        now[0] += 1498  # the JWT's exp (1800 s) beats the 1 h lifetime
        assert await bearer.get() == second
        now[0] += 2
        third = await bearer.get()
        assert bearer.requests == 3

        async def refused_once(token: str) -> str:
            if token == third:
                raise PermissionError
            return token

        assert await bearer.call(refused_once, PermissionError) == issued[3][0]
        assert bearer.requests == 4
        await bearer.renew()
        assert bearer.requests == 5


@HELPERS
def test_backoff(helpers: ModuleType) -> None:
    """Doubles from the first wait, respects Retry-After, caps, resets."""
    backoff = helpers.Backoff(timedelta(minutes=1), timedelta(minutes=5))
    assert [backoff.next(None) for _ in range(4)] == [60, 120, 240, 300]
    backoff.reset()
    assert backoff.next(90) == 90
    assert backoff.next(None) == 120
    assert backoff.next(10_000) == 300
