"""Config flow of the eSmart Systems integration.

Schemas use ``probatio``: Home Assistant >= 2026.10 validates with it (and
aliases ``voluptuous`` to it at run time), and its config-flow APIs are typed
for ``probatio.Schema``, so only this form passes ``mypy --strict``.
"""

from collections.abc import Mapping
import logging
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import (
    Area,
    AuthResult,
    ESmartAuthenticationError,
    ESmartClient,
    ESmartError,
    ESmartNotInAreaError,
)
from .common.api_helpers import host_of, validate_base_url
from .const import AREA_NET, AREA_POWER, CONF_AREA, DOMAIN

_LOGGER = logging.getLogger(__name__)

EXAMPLE_URL = "https://nefwebapi.esmartapi.com"
"""One utility's host, from the vendor's help pages (each utility has its own)."""

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_AREA = SelectSelector(
    SelectSelectorConfig(
        options=[AREA_POWER, AREA_NET],
        mode=SelectSelectorMode.LIST,
        translation_key=CONF_AREA,
    )
)


def _schema(defaults: Mapping[str, Any], *, with_area: bool) -> probatio.Schema:
    fields: dict[Any, Any] = {
        probatio.Required(
            CONF_URL, default=defaults.get(CONF_URL, probatio.UNDEFINED)
        ): _URL,
        probatio.Required(
            CONF_USERNAME, default=defaults.get(CONF_USERNAME, probatio.UNDEFINED)
        ): str,
        probatio.Required(CONF_PASSWORD): _PASSWORD,
    }
    if with_area:
        fields[
            probatio.Required(CONF_AREA, default=defaults.get(CONF_AREA, AREA_POWER))
        ] = _AREA
    return probatio.Schema(fields)


def _title(data: Mapping[str, Any]) -> str:
    area = "Grid" if data[CONF_AREA] == AREA_NET else "Power"
    return f"{host_of(data[CONF_URL])} ({area})"


class ESmartSystemsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one user in one area of a utility's eSmart API."""

    VERSION = 1

    async def _validate(
        self, data: Mapping[str, Any]
    ) -> tuple[AuthResult | None, dict[str, str]]:
        """Authenticate; return the result or form errors."""
        try:
            url = validate_base_url(data[CONF_URL])
        except ValueError:
            return None, {CONF_URL: "invalid_url"}
        client = ESmartClient(
            async_get_clientsession(self.hass),
            url,
            data[CONF_USERNAME],
            data[CONF_PASSWORD],
            Area.NET if data[CONF_AREA] == AREA_NET else Area.POWER,
        )
        try:
            return await client.authenticate(), {}
        except ESmartAuthenticationError:
            return None, {"base": "invalid_auth"}
        except ESmartNotInAreaError:
            return None, {"base": "not_in_area"}
        except ESmartError as err:
            _LOGGER.debug("Cannot reach eSmart: %s", err)
            return None, {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while validating eSmart credentials")
            return None, {"base": "unknown"}

    @staticmethod
    def _clean(user_input: Mapping[str, Any], area: str) -> dict[str, Any]:
        return {
            CONF_URL: str(user_input[CONF_URL]).strip().rstrip("/"),
            CONF_USERNAME: str(user_input[CONF_USERNAME]).strip(),
            CONF_PASSWORD: user_input[CONF_PASSWORD],
            CONF_AREA: area,
        }

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the utility's API host, the login and the area."""
        errors: dict[str, str] = {}
        defaults: Mapping[str, Any] = {}
        if user_input is not None:
            data = self._clean(user_input, user_input[CONF_AREA])
            defaults = data
            result, errors = await self._validate(data)
            if result is not None:
                await self.async_set_unique_id(
                    f"{result.user_auth_id}_{data[CONF_AREA]}"
                )
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=_title(data), data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=_schema(defaults, with_area=True),
            errors=errors,
            description_placeholders={"example_url": EXAMPLE_URL},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the host or the login; the user and area stay the same."""
        entry = self._get_reconfigure_entry()
        return await self._update_step(
            "reconfigure", entry.data, user_input, with_url=True
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after the login was refused."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the login again."""
        entry = self._get_reauth_entry()
        return await self._update_step(
            "reauth_confirm", entry.data, user_input, with_url=False
        )

    async def _update_step(
        self,
        step_id: str,
        current: Mapping[str, Any],
        user_input: dict[str, Any] | None,
        *,
        with_url: bool,
    ) -> ConfigFlowResult:
        """Validate new settings of an existing entry and update it."""
        errors: dict[str, str] = {}
        defaults: Mapping[str, Any] = current
        if user_input is not None:
            data = self._clean({**current, **user_input}, current[CONF_AREA])
            defaults = data
            result, errors = await self._validate(data)
            if result is not None:
                await self.async_set_unique_id(
                    f"{result.user_auth_id}_{data[CONF_AREA]}"
                )
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                entry = (
                    self._get_reconfigure_entry()
                    if self.source == SOURCE_RECONFIGURE
                    else self._get_reauth_entry()
                )
                return self.async_update_reload_and_abort(
                    entry, data_updates=data, title=_title(data)
                )
        schema = _schema(defaults, with_area=False)
        if not with_url:
            schema = probatio.Schema(
                {
                    key: value
                    for key, value in schema.schema.items()
                    if str(key) != CONF_URL
                }
            )
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors,
            description_placeholders={"host": host_of(current[CONF_URL])},
        )
