"""Config flow of the Momentum Energi integration.

Schemas use ``probatio``: Home Assistant >= 2026.10 validates with it (and
aliases ``voluptuous`` to it at run time), and its config-flow APIs are typed
for ``probatio.Schema``, so only this form passes ``mypy --strict``.
"""

from collections.abc import Mapping
import logging
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_CLIENT_ID, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import (
    DEFAULT_CLIENT_ID,
    DEFAULT_URL,
    MomentumEnergiAuthenticationError,
    MomentumEnergiClient,
    MomentumEnergiClientAuthError,
    MomentumEnergiError,
    MomentumEnergiForbiddenError,
    MomentumEnergiNotFoundError,
)
from .common.ha import finite_number, url_from_input
from .const import (
    CONF_ADVANCED,
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_SECRET,
    CONF_LEVEL,
    CONF_MEDIA,
    CONFIG_VERSION,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_LEVEL,
    DOMAIN,
    LEVELS,
    MAX_BACKFILL_DAYS,
    MIN_BACKFILL_DAYS,
)
from .coordinator import MomentumEnergiConfigEntry, company_of

_LOGGER = logging.getLogger(__name__)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _user_schema(defaults: Mapping[str, Any]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, probatio.UNDEFINED)
            ): TextSelector(TextSelectorConfig(autocomplete="username")),
            probatio.Required(CONF_PASSWORD): _PASSWORD,
            probatio.Required(CONF_CLIENT_SECRET): _PASSWORD,
            probatio.Required(CONF_ADVANCED): section(
                probatio.Schema(
                    {
                        probatio.Required(
                            CONF_URL, default=defaults.get(CONF_URL, DEFAULT_URL)
                        ): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
                        probatio.Required(
                            CONF_CLIENT_ID,
                            default=defaults.get(CONF_CLIENT_ID, DEFAULT_CLIENT_ID),
                        ): str,
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _client(hass: HomeAssistant, data: Mapping[str, Any]) -> MomentumEnergiClient:
    return MomentumEnergiClient(
        async_get_clientsession(hass),
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        data[CONF_CLIENT_SECRET],
        url=data[CONF_URL],
        client_id=data[CONF_CLIENT_ID],
    )


async def _check_level(client: MomentumEnergiClient, level: str) -> dict[str, str]:
    """Read a level's structure (which logs in first); return form errors.

    ``level`` is the option's lower-case key; the API's path wants upper case.
    """
    try:
        await client.structure(level.upper())
    except MomentumEnergiClientAuthError:
        return {"base": "invalid_client"}
    except MomentumEnergiAuthenticationError:
        return {"base": "invalid_auth"}
    except MomentumEnergiForbiddenError:
        return {"base": "forbidden"}
    except MomentumEnergiNotFoundError:
        return {"base": "level_not_available"}
    except MomentumEnergiError as err:
        _LOGGER.debug("Cannot reach Momentum Energi: %s", err)
        return {"base": "cannot_connect"}
    except Exception:
        _LOGGER.exception("Unexpected error while validating Momentum Energi access")
        return {"base": "unknown"}
    return {}


class MomentumEnergiConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Momentum Energi API user."""

    VERSION = CONFIG_VERSION

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: MomentumEnergiConfigEntry,
    ) -> MomentumEnergiOptionsFlow:
        """Return the options flow."""
        return MomentumEnergiOptionsFlow()

    async def _validate(
        self, data: Mapping[str, Any], level: str = DEFAULT_LEVEL
    ) -> dict[str, str]:
        try:
            url_from_input({CONF_ADVANCED: {CONF_URL: data[CONF_URL]}})
        except ValueError:
            return {"base": "invalid_url"}
        return await _check_level(_client(self.hass, data), level)

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API user, its password and the client secret."""
        errors: dict[str, str] = {}
        defaults: dict[str, Any] = {}
        reconfigure = self.source == SOURCE_RECONFIGURE
        if reconfigure:
            defaults = dict(self._get_reconfigure_entry().data)
        if user_input is not None:
            advanced = user_input[CONF_ADVANCED]
            data = {
                CONF_USERNAME: user_input[CONF_USERNAME].strip(),
                CONF_PASSWORD: user_input[CONF_PASSWORD],
                CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET],
                CONF_URL: advanced[CONF_URL].strip().rstrip("/"),
                CONF_CLIENT_ID: advanced[CONF_CLIENT_ID].strip(),
            }
            defaults = data
            # The company is the identity (every API user of a company sees
            # its estates); a user can be replaced by another of the company.
            company = company_of(data[CONF_USERNAME])
            if reconfigure:
                # Compared with the entry's user, not its unique id: a second
                # version-1 entry of a company kept its old key (migration.py).
                entry = self._get_reconfigure_entry()
                if company != company_of(entry.data[CONF_USERNAME]):
                    return self.async_abort(reason="wrong_account")
            else:
                await self.async_set_unique_id(company)
                self._abort_if_unique_id_configured()
            level = DEFAULT_LEVEL
            if reconfigure:
                level = self._get_reconfigure_entry().options.get(
                    CONF_LEVEL, DEFAULT_LEVEL
                )
            if not (errors := await self._validate(data, level)):
                if reconfigure:
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(), data_updates=data
                    )
                title = data[CONF_USERNAME].rpartition("@")[2]
                return self.async_create_entry(
                    title=f"Momentum Energi {title}", data=data
                )
        return self.async_show_form(
            step_id="reconfigure" if reconfigure else "user",
            data_schema=_user_schema(defaults),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials, the API URL or the client id of an entry."""
        return await self.async_step_user(user_input)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after the credentials were refused."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the password and the client secret again."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            updates = {
                CONF_PASSWORD: user_input[CONF_PASSWORD],
                CONF_CLIENT_SECRET: user_input[CONF_CLIENT_SECRET],
            }
            level = entry.options.get(CONF_LEVEL, DEFAULT_LEVEL)
            if not (errors := await self._validate({**entry.data, **updates}, level)):
                return self.async_update_reload_and_abort(entry, data_updates=updates)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_PASSWORD): _PASSWORD,
                    probatio.Required(CONF_CLIENT_SECRET): _PASSWORD,
                }
            ),
            description_placeholders={"username": entry.data[CONF_USERNAME]},
            errors=errors,
        )


class MomentumEnergiOptionsFlow(OptionsFlowWithReload):
    """Choose the structure level, the media and how much history to import."""

    def _known_media(self) -> list[SelectOptionDict]:
        entry: MomentumEnergiConfigEntry = self.config_entry
        names: dict[str, str] = {}
        if entry.state is ConfigEntryState.LOADED:
            names = {
                series.medium: series.name
                for series in entry.runtime_data.data.series.values()
            }
        for medium in entry.options.get(CONF_MEDIA, []):
            names.setdefault(medium, medium)
        return [
            SelectOptionDict(value=value, label=label)
            for value, label in sorted(names.items(), key=lambda item: item[1])
        ]

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options form; a new level is checked against the API."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            level = user_input[CONF_LEVEL]
            try:
                # The number selector lets "nan" through; int() of it fails.
                days = int(
                    finite_number(MIN_BACKFILL_DAYS, MAX_BACKFILL_DAYS)(
                        user_input[CONF_BACKFILL_DAYS]
                    )
                )
            except probatio.Invalid:
                errors = {CONF_BACKFILL_DAYS: "invalid_number"}
            else:
                if level != options.get(CONF_LEVEL, DEFAULT_LEVEL):
                    errors = await _check_level(
                        _client(self.hass, self.config_entry.data), level
                    )
            if not errors:
                return self.async_create_entry(
                    data={
                        CONF_LEVEL: level,
                        CONF_MEDIA: sorted(user_input.get(CONF_MEDIA, [])),
                        CONF_BACKFILL_DAYS: days,
                    }
                )
        return self.async_show_form(
            step_id="init",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_LEVEL, default=options.get(CONF_LEVEL, DEFAULT_LEVEL)
                    ): SelectSelector(
                        SelectSelectorConfig(
                            options=list(LEVELS),
                            mode=SelectSelectorMode.DROPDOWN,
                            translation_key=CONF_LEVEL,
                        )
                    ),
                    probatio.Optional(
                        CONF_MEDIA, default=options.get(CONF_MEDIA, [])
                    ): SelectSelector(
                        SelectSelectorConfig(
                            options=self._known_media(),
                            multiple=True,
                            mode=SelectSelectorMode.LIST,
                        )
                    ),
                    probatio.Required(
                        CONF_BACKFILL_DAYS,
                        default=options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_BACKFILL_DAYS,
                            max=MAX_BACKFILL_DAYS,
                            step=1,
                            mode=NumberSelectorMode.BOX,
                            unit_of_measurement="days",
                        )
                    ),
                }
            ),
            errors=errors,
        )
