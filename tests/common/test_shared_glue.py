"""The shared client and HA helpers added for hostile input, on every copy."""

from datetime import UTC, datetime, timedelta
from importlib import import_module
import logging
import math
from types import ModuleType
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.helpers import async_tick

from .conftest import copies, copy_id

HELPERS = pytest.mark.parametrize("helpers", copies("api_helpers"), ids=copy_id)
HA = pytest.mark.parametrize("ha", copies("ha")[1:], ids=copy_id)


@HELPERS
@pytest.mark.parametrize(
    "url",
    [
        "https://user:pass@api.example.com",
        "https://user@api.example.com",
        "https://api.example.com:99999",
        "http://127.0.0.1:notaport",
    ],
)
def test_base_url_refuses_userinfo_and_bad_ports(helpers: ModuleType, url: str) -> None:
    """Credentials in the URL would crash the next Bearer request."""
    with pytest.raises(ValueError):
        helpers.validate_base_url(url)


@HELPERS
def test_path_segments_are_quoted(helpers: ModuleType) -> None:
    """An id can never reach another path."""
    assert helpers.quote_segment("64d4a4ba8061") == "64d4a4ba8061"
    assert helpers.quote_segment("a/b?c#d") == "a%2Fb%3Fc%23d"
    assert helpers.quote_segment("%2F") == "%252F"
    assert helpers.quote_segment("../../access-token") == "..%2F..%2Faccess-token"
    assert helpers.quote_segment(42) == "42"
    for bad in ("", ".", "..", "..."):
        with pytest.raises(ValueError):
            helpers.quote_segment(bad)


@HELPERS
def test_secrets_never_leave_in_error_text(helpers: ModuleType) -> None:
    """A vendor echoing the request body does not leak the secret."""
    secret = "s3cr&t pass"
    echoed = b'{"message": "bad request: password=s3cr%26t+pass&user=x"}'
    assert "s3cr" not in helpers.error_message(echoed, [secret])
    assert "REDACTED" in helpers.error_message(echoed, [secret])
    plain = f"<html>{secret} {secret}</html>".encode()
    assert secret not in helpers.error_message(plain, [None, "", secret])
    assert len(helpers.error_message(b"x" * 5000)) == 200
    assert helpers.redact("abc", ["ab"]) == "abc"  # too short to be a secret


@HELPERS
def test_parsers_never_raise_on_extremes(helpers: ModuleType) -> None:
    """Out-of-range numbers and dates are unreadable, not a crash."""
    assert helpers.as_number(10**400) is None
    assert helpers.as_number("1e400") is None
    assert helpers.as_datetime("9999-12-31T23:00:00-05:00") is None
    assert helpers.as_datetime("0001-01-01T00:00:00+05:00") is None
    assert helpers.as_datetime("2026-01-01T00:00:00") is not None


@HELPERS
async def test_retry_gate(helpers: ModuleType, freezer: FrozenDateTimeFactory) -> None:
    """Nothing goes out before Retry-After has passed."""
    gate = helpers.RetryGate()
    gate.check(AssertionError)  # open: nothing raised
    gate.hold(None)
    gate.hold(math.inf)
    gate.hold(-3)
    assert gate.remaining() is None
    gate.hold(20)
    freezer.tick(11)
    with pytest.raises(helpers.VendorRateLimitError) as err:
        gate.check(lambda left: helpers.VendorRateLimitError(retry_after=left))
    assert err.value.retry_after == pytest.approx(9)
    gate.hold(5)  # a shorter wait never shortens the promise
    assert gate.remaining() == pytest.approx(9)
    freezer.tick(9.5)
    assert gate.remaining() is None


@HELPERS
async def test_bearer_token_header_and_fresh_refusal(helpers: ModuleType) -> None:
    """A token with CR/LF is a vendor error; a refused fresh token is no reauth."""

    async def crlf() -> tuple[str, float | None]:
        return "abc\r\nX-Evil: 1", None

    with pytest.raises(helpers.VendorResponseError):
        await helpers.BearerToken(crlf, lifetime=timedelta(hours=1)).get()

    async def good() -> tuple[str, float | None]:
        return "token", 3600.0

    class RefusedError(Exception):
        pass

    async def always_401(token: str) -> None:
        raise RefusedError

    token = helpers.BearerToken(good, lifetime=timedelta(hours=1))
    with pytest.raises(helpers.VendorResponseError):
        await token.call(always_401, RefusedError)
    assert token.requests == 2  # the cached token, then exactly one fresh one

    class DeniedError(Exception):
        pass

    with pytest.raises(DeniedError):
        await token.call(
            always_401, RefusedError, denied=lambda err: DeniedError(str(err))
        )


class _Coordinator(DataUpdateCoordinator[int]):
    """Counts its refreshes."""

    def __init__(self, hass: HomeAssistant) -> None:
        super().__init__(
            hass,
            logging.getLogger(__name__),
            config_entry=None,
            name="test",
            update_interval=timedelta(minutes=10),
        )
        self.calls = 0

    async def _async_update_data(self) -> int:
        self.calls += 1
        return self.calls


@HA
async def test_keep_alive_polls_without_entities(
    hass: HomeAssistant, ha: ModuleType, freezer: FrozenDateTimeFactory
) -> None:
    """Statistics keep coming when every sensor is disabled (issue 12.1)."""
    coordinator = _Coordinator(hass)
    await coordinator.async_refresh()
    await async_tick(hass, freezer, timedelta(minutes=30))
    assert coordinator.calls == 1  # no listener: a plain coordinator stops
    stop = ha.keep_alive(coordinator)
    await coordinator.async_refresh()
    for _ in range(3):
        await async_tick(hass, freezer, timedelta(minutes=10))
    assert coordinator.calls == 5
    stop()
    await async_tick(hass, freezer, timedelta(minutes=30))
    assert coordinator.calls == 5


@HA
def test_vendor_errors_map_to_ha(ha: ModuleType) -> None:
    """One mapping for every vendor: auth, 429, connection, the rest."""
    api = import_module(ha.__name__.rsplit(".", 1)[0] + ".api_helpers")
    auth = ha.vendor_error_to_ha(api.VendorAuthenticationError("no"), "dom")
    assert isinstance(auth, ConfigEntryAuthFailed)
    backoff = api.Backoff(timedelta(minutes=1), timedelta(hours=1))
    limited = ha.vendor_error_to_ha(
        api.VendorRateLimitError(retry_after=5), "dom", backoff=backoff
    )
    assert isinstance(limited, UpdateFailed)
    assert limited.retry_after == 60
    assert limited.translation_placeholders == {"retry_after": "60"}
    plain = ha.vendor_error_to_ha(api.VendorRateLimitError(retry_after=7), "dom")
    assert plain.retry_after == 7
    down = ha.vendor_error_to_ha(api.VendorConnectionError("timeout"), "dom")
    assert down.translation_key == "cannot_connect"
    bad = ha.vendor_error_to_ha(
        api.VendorResponseError("junk"), "dom", placeholders={"x": "1"}
    )
    assert bad.translation_key == "api_error"
    assert bad.translation_placeholders == {"error": "junk", "x": "1"}


@HA
def test_flow_helpers(ha: ModuleType) -> None:
    """The URL section validates; numbers must be finite and in range."""
    schema = probatio.Schema(ha.url_section("https://api.example.com"))
    data: dict[str, Any] = schema({"advanced": {}})
    assert data == {"advanced": {"url": "https://api.example.com"}}
    assert ha.url_from_input({"advanced": {"url": " https://a.example/ "}}) == (
        "https://a.example"
    )
    with pytest.raises(ValueError):
        ha.url_from_input({"advanced": {"url": "http://a.example"}})
    with pytest.raises(ValueError):
        ha.url_from_input({})
    number = ha.finite_number(1, 3650)
    assert number("30") == 30.0
    for bad in ("nan", "inf", "-inf", 0, 4000, "x", None):
        with pytest.raises(probatio.Invalid):
            number(bad)


@HA
async def test_remove_issues_of_an_entry(hass: HomeAssistant, ha: ModuleType) -> None:
    """Removing an entry leaves none of its repair issues behind."""
    for issue_id in ("forbidden_e1", "not_found_e1", "forbidden_e2"):
        ir.async_create_issue(
            hass,
            "dom",
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="x",
        )
    ir.async_create_issue(
        hass,
        "other",
        "x_e1",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="x",
    )
    ha.async_remove_issues(hass, "dom", "e1")
    left = set(ir.async_get(hass).issues)
    assert left == {("dom", "forbidden_e2"), ("other", "x_e1")}


@HA
async def test_loaded_entry_of_an_action(hass: HomeAssistant, ha: ModuleType) -> None:
    """An action names its entry: unknown, other domain, not loaded, loaded."""
    mine = MockConfigEntry(domain="dom", title="Mine")
    other = MockConfigEntry(domain="other", title="Other")
    mine.add_to_hass(hass)
    other.add_to_hass(hass)
    for entry_id, key in (
        ("nope", "entry_not_found"),
        (other.entry_id, "entry_not_found"),
        (mine.entry_id, "entry_not_loaded"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            ha.loaded_entry(hass, "dom", entry_id)
        assert err.value.translation_domain == "dom"
        assert err.value.translation_key == key
    mine.mock_state(hass, ConfigEntryState.LOADED)
    assert ha.loaded_entry(hass, "dom", mine.entry_id) is mine


@HA
async def test_assume_local(hass: HomeAssistant, ha: ModuleType) -> None:
    """A time without offset is HA's local time; one with an offset is kept."""
    await hass.config.async_set_time_zone("Europe/Helsinki")
    naive = datetime(2026, 10, 25, 3, 30, tzinfo=UTC).replace(tzinfo=None)
    assert ha.assume_local(naive).astimezone(UTC) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    aware = datetime(2026, 10, 25, 3, 30, tzinfo=UTC)
    assert ha.assume_local(aware) is aware
