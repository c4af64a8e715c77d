"""Home Assistant glue every integration shares (coordinators, flows, repairs).

Canonical copy: ``common/ha.py`` at the repository root; each integration
carries a byte-identical copy (``scripts/sync-common``). Edit the canonical
file.
"""

from collections.abc import Callable
from datetime import datetime
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.exceptions import ConfigEntryAuthFailed, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
import probatio

from .api_helpers import (
    Backoff,
    VendorAuthenticationError,
    VendorConnectionError,
    VendorError,
    VendorRateLimitError,
    validate_base_url,
)

CONF_ADVANCED = "advanced"
CONF_URL = "url"


@callback
def _no_op() -> None:
    """Listen to nothing; being a listener is the point."""


@callback
def keep_alive(coordinator: DataUpdateCoordinator[Any]) -> CALLBACK_TYPE:
    """Keep a coordinator polling when it has no entity listening.

    A coordinator schedules its next refresh only while it has listeners.
    Statistics are imported by the refresh itself, so a user who disables
    every sensor (and uses the statistics, as the docs suggest) must still
    get new data; core's opower does the same. Pass the returned callback to
    ``entry.async_on_unload``.
    """
    return coordinator.async_add_listener(_no_op)


def vendor_error_to_ha(
    err: VendorError,
    domain: str,
    *,
    backoff: Backoff | None = None,
    placeholders: dict[str, str] | None = None,
) -> Exception:
    """Return what a coordinator raises for a vendor error.

    Refused credentials start reauthentication; a 429 waits the back-off
    (never shorter than Retry-After); everything else makes the entities
    unavailable until the next refresh. Translation keys ``invalid_auth``,
    ``rate_limited`` (``{retry_after}``), ``cannot_connect`` and ``api_error``
    (``{error}``) must exist in the integration's ``exceptions``. The
    error's text is the client's, which redacts secrets before raising.
    """
    if isinstance(err, VendorAuthenticationError):
        return ConfigEntryAuthFailed(
            translation_domain=domain, translation_key="invalid_auth"
        )
    if isinstance(err, VendorRateLimitError):
        wait = backoff.next(err.retry_after) if backoff else err.retry_after
        return UpdateFailed(
            translation_domain=domain,
            translation_key="rate_limited",
            translation_placeholders={"retry_after": str(round(wait or 0))},
            retry_after=wait,
        )
    key = "cannot_connect" if isinstance(err, VendorConnectionError) else "api_error"
    return UpdateFailed(
        translation_domain=domain,
        translation_key=key,
        translation_placeholders={"error": str(err), **(placeholders or {})},
    )


def url_section(default: str, current: str | None = None) -> dict[Any, Any]:
    """Return the collapsed "Advanced" section holding the API base URL.

    Merge it into a step's schema dict; read the value back with
    :func:`url_from_input`, which also validates it.
    """
    return {
        probatio.Required(CONF_ADVANCED): section(
            probatio.Schema(
                {
                    probatio.Required(
                        CONF_URL, default=current or default
                    ): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
                }
            ),
            {"collapsed": True},
        )
    }


def url_from_input(user_input: dict[str, Any]) -> str:
    """Return the validated base URL of a step's input, else raise ValueError.

    HTTPS only (plain HTTP for loopback simulators), no user name or
    password, no query or fragment; the form shows ``invalid_url``.
    """
    advanced = user_input.get(CONF_ADVANCED) or {}
    return validate_base_url(str(advanced.get(CONF_URL, "")))


def finite_number(minimum: float, maximum: float) -> Callable[[Any], float]:
    """Return a validator of a number field: finite and within the bounds.

    The number selector lets "nan" and "inf" through; ``int()`` of them
    fails deep inside a flow (HTTP 500). This gives a form error instead.
    """

    def validate(value: Any) -> float:
        try:
            number = float(value)
        except TypeError, ValueError, OverflowError:
            raise probatio.Invalid("not a number") from None
        if not math.isfinite(number) or not minimum <= number <= maximum:
            raise probatio.Invalid(f"must be between {minimum:g} and {maximum:g}")
        return number

    return validate


@callback
def async_remove_issues(hass: HomeAssistant, domain: str, entry_id: str) -> None:
    """Delete every repair issue of one config entry (on its removal).

    The integrations name their issues ``<kind>_<entry_id>``; an issue left
    behind would point at an entry that no longer exists.
    """
    registry = ir.async_get(hass)
    for issue_domain, issue_id in list(registry.issues):
        if issue_domain == domain and issue_id.endswith(entry_id):
            ir.async_delete_issue(hass, domain, issue_id)


def loaded_entry(hass: HomeAssistant, domain: str, entry_id: str) -> ConfigEntry[Any]:
    """Return the loaded config entry of ``domain`` an action names.

    Raises a translated ``ServiceValidationError`` otherwise: keys
    ``entry_not_found`` (``{entry_id}``) and ``entry_not_loaded``
    (``{title}``) must exist in the integration's ``exceptions``.
    """
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != domain:
        raise ServiceValidationError(
            translation_domain=domain,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=domain,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def assume_local(moment: datetime) -> datetime:
    """Return an action's time zone-aware: without an offset it is HA's local time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt_util.get_default_time_zone())
    return moment
