"""Config flow of the Omnimetic integration.

Schemas use ``probatio``: Home Assistant >= 2026.10 validates with it (and
aliases ``voluptuous`` to it at run time), and its config-flow APIs are typed
for ``probatio.Schema``, so only this form passes ``mypy --strict``.
"""

from collections.abc import Mapping
import logging
import re
from typing import Any, Final, override

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_CLIENT_ID, CONF_CURRENCY, CONF_URL
from homeassistant.core import callback
from homeassistant.generated.currencies import ACTIVE_CURRENCIES
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import (
    DEFAULT_URL,
    OmnimeticAuthenticationError,
    OmnimeticClient,
    OmnimeticError,
    OmnimeticNotFoundError,
)
from .common.ha import finite_number, url_from_input, url_section
from .const import (
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_SECRET,
    CONF_SERVICE_ACCOUNT_ID,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
    MAX_BACKFILL_DAYS,
)
from .coordinator import OmnimeticConfigEntry

_LOGGER = logging.getLogger(__name__)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

SERVICE_ACCOUNT_ID_FORMAT: Final = re.compile(r"[0-9a-fA-F]{24}")
"""Every id in the reference is a MongoDB ObjectId: 24 hexadecimal digits.
Checking it keeps ``..``, ``/`` or ``x/../<id>`` (a second entry for one
meter under other statistic ids) out of the entry."""


def _user_schema(defaults: Mapping[str, Any]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(
                CONF_CLIENT_ID, default=defaults.get(CONF_CLIENT_ID, probatio.UNDEFINED)
            ): str,
            probatio.Required(CONF_CLIENT_SECRET): _PASSWORD,
            probatio.Required(
                CONF_SERVICE_ACCOUNT_ID,
                default=defaults.get(CONF_SERVICE_ACCOUNT_ID, probatio.UNDEFINED),
            ): str,
            **url_section(DEFAULT_URL, defaults.get(CONF_URL)),
        }
    )


class OmnimeticConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an Omnimetic utility service account."""

    VERSION = 2
    """2: statistic ids are injective (see ``async_migrate_entry``)."""

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: OmnimeticConfigEntry,
    ) -> OmnimeticOptionsFlow:
        """Return the options flow."""
        return OmnimeticOptionsFlow()

    async def _validate(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Log in and read the service account; return form errors."""
        client = OmnimeticClient(
            async_get_clientsession(self.hass),
            data[CONF_CLIENT_ID],
            data[CONF_CLIENT_SECRET],
            url=data[CONF_URL],
        )
        try:
            await client.authenticate()
            await client.service_account_info(data[CONF_SERVICE_ACCOUNT_ID])
        except OmnimeticAuthenticationError:
            return {"base": "invalid_auth"}
        except OmnimeticNotFoundError:
            return {"base": "service_account_not_found"}
        except OmnimeticError as err:
            _LOGGER.debug("Cannot reach Omnimetic: %s", err)
            return {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while validating Omnimetic credentials")
            return {"base": "unknown"}
        return {}

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API credentials and the service account."""
        errors: dict[str, str] = {}
        defaults: dict[str, Any] = {}
        if self.source == SOURCE_RECONFIGURE:
            defaults = dict(self._get_reconfigure_entry().data)
        if user_input is not None:
            data = {
                CONF_CLIENT_ID: user_input[CONF_CLIENT_ID].strip(),
                CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET],
                CONF_SERVICE_ACCOUNT_ID: user_input[CONF_SERVICE_ACCOUNT_ID].strip(),
            }
            defaults = data
            try:
                data[CONF_URL] = url_from_input(user_input)
            except ValueError:
                errors = {"base": "invalid_url"}
            if not SERVICE_ACCOUNT_ID_FORMAT.fullmatch(data[CONF_SERVICE_ACCOUNT_ID]):
                errors = {CONF_SERVICE_ACCOUNT_ID: "invalid_service_account_id"}
            if errors:
                return self._show_user_form(defaults, errors)
            await self.async_set_unique_id(data[CONF_SERVICE_ACCOUNT_ID])
            if self.source == SOURCE_RECONFIGURE:
                self._abort_if_unique_id_mismatch(reason="wrong_service_account")
            else:
                self._abort_if_unique_id_configured()
            if not (errors := await self._validate(data)):
                if self.source == SOURCE_RECONFIGURE:
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data_updates=data
                    )
                return self.async_create_entry(
                    title=f"Omnimetic {data[CONF_SERVICE_ACCOUNT_ID]}", data=data
                )
        return self._show_user_form(defaults, errors)

    def _show_user_form(
        self, defaults: Mapping[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="reconfigure" if self.source == SOURCE_RECONFIGURE else "user",
            data_schema=_user_schema(defaults),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change credentials or the API URL of an existing entry."""
        return await self.async_step_user(user_input)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after the credentials were refused."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new API credentials."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            updates = {
                CONF_CLIENT_ID: user_input[CONF_CLIENT_ID].strip(),
                CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET],
            }
            if not (errors := await self._validate({**entry.data, **updates})):
                return self.async_update_reload_and_abort(entry, data_updates=updates)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_CLIENT_ID, default=entry.data[CONF_CLIENT_ID]
                    ): str,
                    probatio.Required(CONF_CLIENT_SECRET): _PASSWORD,
                }
            ),
            description_placeholders={
                "service_account_id": entry.data[CONF_SERVICE_ACCOUNT_ID]
            },
            errors=errors,
        )


class OmnimeticOptionsFlow(OptionsFlowWithReload):
    """Choose the currency of the bills and how much history to import."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options form."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                # The number selector lets "nan" and "inf" through.
                days = finite_number(1, MAX_BACKFILL_DAYS)(
                    user_input[CONF_BACKFILL_DAYS]
                )
            except probatio.Invalid:
                errors[CONF_BACKFILL_DAYS] = "invalid_backfill_days"
            else:
                return self.async_create_entry(
                    data={
                        CONF_CURRENCY: user_input[CONF_CURRENCY],
                        CONF_BACKFILL_DAYS: int(days),
                    }
                )
        options = self.config_entry.options
        return self.async_show_form(
            errors=errors,
            step_id="init",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_CURRENCY,
                        default=options.get(CONF_CURRENCY, self.hass.config.currency),
                    ): SelectSelector(
                        SelectSelectorConfig(
                            options=sorted(ACTIVE_CURRENCIES),
                            mode=SelectSelectorMode.DROPDOWN,
                        )
                    ),
                    probatio.Required(
                        CONF_BACKFILL_DAYS,
                        default=options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=1,
                            max=MAX_BACKFILL_DAYS,
                            step=1,
                            mode=NumberSelectorMode.BOX,
                            unit_of_measurement="days",
                        )
                    ),
                }
            ),
        )
