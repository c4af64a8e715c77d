"""Config flow of the MOOST integration.

Two steps: the API client's credentials (validated by getting a token, whose
``customerId`` becomes the entry's unique id), then the building MOOST
coaches (created there by the flow: ``POST``, or ``PUT`` when it exists).

Schemas use ``probatio``: Home Assistant >= 2026.10 validates with it (and
aliases ``voluptuous`` to it at run time), and its config-flow APIs are typed
for ``probatio.Schema``, so only this form passes ``mypy --strict``.
"""

from collections.abc import Mapping
import logging
import re
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.generated.currencies import ACTIVE_CURRENCIES
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
    TimeSelector,
)
from homeassistant.util import slugify
import probatio

from .api import (
    DEFAULT_URL,
    MoostAuthenticationError,
    MoostBadRequestError,
    MoostBuilding,
    MoostClient,
    MoostConflictError,
    MoostError,
    MoostNotFoundError,
)
from .common.api_helpers import validate_base_url
from .common.ha import url_section
from .const import (
    BUILDING_ID_PATTERN,
    CITY_PATTERN,
    CONF_ADVANCED,
    CONF_CITY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_COUNTRY_CODE,
    CONF_CURRENCY,
    CONF_CUSTOMER_BUILDING_ID,
    CONF_PRICE_ENTITY,
    CONF_TARIFF,
    CONF_URL,
    CONF_ZIP,
    COUNTRY_PATTERN,
    DEFAULT_LOW_TARIFF_END,
    DEFAULT_LOW_TARIFF_START,
    DOMAIN,
    TARIFF_DUAL,
    TARIFF_DYNAMIC,
    TARIFF_SINGLE,
    TARIFFS,
    WEEKDAYS,
    ZIP_PATTERN,
)
from .subentry_flow import async_get_supported_subentry_types as subentry_types
from .tariff import parse_price_slices

_LOGGER = logging.getLogger(__name__)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _credentials_schema(defaults: Mapping[str, Any]) -> dict[Any, Any]:
    return {
        probatio.Required(
            CONF_CLIENT_ID, default=defaults.get(CONF_CLIENT_ID, probatio.UNDEFINED)
        ): str,
        probatio.Required(CONF_CLIENT_SECRET): _PASSWORD,
        **url_section(DEFAULT_URL, defaults.get(CONF_URL)),
    }


def _building_schema(defaults: Mapping[str, Any], *, with_id: bool) -> dict[Any, Any]:
    fields: dict[Any, Any] = {}
    if with_id:
        fields[
            probatio.Required(
                CONF_CUSTOMER_BUILDING_ID,
                default=defaults.get(CONF_CUSTOMER_BUILDING_ID, probatio.UNDEFINED),
            )
        ] = str
    for key in (CONF_ZIP, CONF_CITY, CONF_COUNTRY_CODE):
        fields[
            probatio.Required(key, default=defaults.get(key) or probatio.UNDEFINED)
        ] = str
    return fields


def _clean_building(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the building fields as MOOST wants them, and form errors.

    Each field is checked against the spec's pattern here, so a typo shows
    at its field instead of as MOOST's 400.
    """
    data = {
        key: str(user_input[key]).strip()
        for key in (CONF_CUSTOMER_BUILDING_ID, CONF_ZIP, CONF_CITY, CONF_COUNTRY_CODE)
        if key in user_input
    }
    data[CONF_ZIP] = data[CONF_ZIP].upper()
    data[CONF_COUNTRY_CODE] = data[CONF_COUNTRY_CODE].upper()
    checks = (
        (CONF_CUSTOMER_BUILDING_ID, BUILDING_ID_PATTERN, "invalid_building_id"),
        (CONF_ZIP, ZIP_PATTERN, "invalid_zip"),
        (CONF_CITY, CITY_PATTERN, "invalid_city"),
        (CONF_COUNTRY_CODE, COUNTRY_PATTERN, "invalid_country_code"),
    )
    errors = {
        key: error
        for key, pattern, error in checks
        if key in data and not re.fullmatch(pattern, data[key])
    }
    return data, errors


class MoostConfigFlow(ConfigFlow, domain=DOMAIN):
    """Connect a MOOST API client and the building it coaches."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._credentials: dict[str, str] = {}
        self._customer_id: str | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> MoostOptionsFlow:
        """Return the options flow (the tariff)."""
        return MoostOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Devices added by hand are subentries (subentry_flow.py)."""
        return subentry_types(config_entry)

    def _client(self, data: Mapping[str, Any]) -> MoostClient:
        return MoostClient(
            async_get_clientsession(self.hass),
            data[CONF_CLIENT_ID],
            data[CONF_CLIENT_SECRET],
            data[CONF_URL],
        )

    async def _login(self, data: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
        """Get a token; return the customer id or form errors."""
        try:
            data[CONF_URL] = validate_base_url(data[CONF_URL])
        except ValueError:
            return None, {"base": "invalid_url"}
        try:
            customer_id = await self._client(data).async_login()
        except MoostAuthenticationError:
            return None, {"base": "invalid_auth"}
        except MoostError as err:
            _LOGGER.debug("Cannot reach MOOST: %s", err)
            return None, {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while logging in to MOOST")
            return None, {"base": "unknown"}
        return customer_id, {}

    async def _save_building(
        self, credentials: Mapping[str, Any], building: dict[str, str], *, create: bool
    ) -> dict[str, str]:
        """Create (or update) the building at MOOST; return form errors."""
        client = self._client(credentials)
        model = MoostBuilding(
            customer_building_id=building[CONF_CUSTOMER_BUILDING_ID],
            zip=building[CONF_ZIP],
            city=building[CONF_CITY],
            country_code=building[CONF_COUNTRY_CODE],
            time_zone_id=self.hass.config.time_zone,
        )
        try:
            if create:
                try:
                    await client.async_create_building(model)
                except MoostConflictError:
                    await client.async_update_building(model)
            else:
                try:
                    await client.async_update_building(model)
                except MoostNotFoundError:
                    await client.async_create_building(model)
        except MoostAuthenticationError:
            return {"base": "invalid_auth"}
        except MoostBadRequestError as err:
            _LOGGER.warning("MOOST refused the building: %s", err.message)
            return {"base": "building_refused"}
        except MoostError as err:
            _LOGGER.debug("Cannot reach MOOST: %s", err)
            return {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while saving the MOOST building")
            return {"base": "unknown"}
        return {}

    @staticmethod
    def _credentials_of(user_input: Mapping[str, Any]) -> dict[str, str]:
        return {
            CONF_CLIENT_ID: str(user_input[CONF_CLIENT_ID]).strip(),
            CONF_CLIENT_SECRET: str(user_input[CONF_CLIENT_SECRET]).strip(),
            CONF_URL: str(user_input[CONF_ADVANCED][CONF_URL]).strip(),
        }

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API client's credentials."""
        errors: dict[str, str] = {}
        defaults: Mapping[str, Any] = {}
        if user_input is not None:
            data = self._credentials_of(user_input)
            defaults = data
            customer_id, errors = await self._login(data)
            if customer_id is not None:
                await self.async_set_unique_id(customer_id)
                self._abort_if_unique_id_configured()
                self._credentials = data
                return await self.async_step_building()
        return self.async_show_form(
            step_id="user",
            data_schema=probatio.Schema(_credentials_schema(defaults)),
            errors=errors,
        )

    async def async_step_building(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Describe the building; the flow creates it at MOOST."""
        errors: dict[str, str] = {}
        defaults: Mapping[str, Any] = {
            CONF_CUSTOMER_BUILDING_ID: slugify(self.hass.config.location_name)
            or "home",
            CONF_COUNTRY_CODE: self.hass.config.country,
        }
        if user_input is not None:
            building, errors = _clean_building(user_input)
            defaults = building
            if not errors:
                errors = await self._save_building(
                    self._credentials, building, create=True
                )
            if not errors:
                return self.async_create_entry(
                    title=f"MOOST {building[CONF_CUSTOMER_BUILDING_ID]}",
                    data={**self._credentials, **building},
                )
        return self.async_show_form(
            step_id="building",
            data_schema=probatio.Schema(_building_schema(defaults, with_id=True)),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change credentials, URL or the building's address."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        defaults: Mapping[str, Any] = entry.data
        if user_input is not None:
            data = self._credentials_of(user_input)
            building, errors = _clean_building(
                {
                    **user_input,
                    CONF_CUSTOMER_BUILDING_ID: entry.data[CONF_CUSTOMER_BUILDING_ID],
                }
            )
            defaults = {**data, **building}
            if not errors:
                customer_id, errors = await self._login(data)
                if customer_id is not None:
                    await self.async_set_unique_id(customer_id)
                    self._abort_if_unique_id_mismatch(reason="wrong_account")
                    errors = await self._save_building(data, building, create=False)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates={**data, **building}
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=probatio.Schema(
                {
                    **_credentials_schema(defaults),
                    **_building_schema(defaults, with_id=False),
                }
            ),
            description_placeholders={
                "building_id": entry.data[CONF_CUSTOMER_BUILDING_ID]
            },
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after MOOST refused the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials of the same MOOST customer."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_CLIENT_ID: str(user_input[CONF_CLIENT_ID]).strip(),
                CONF_CLIENT_SECRET: str(user_input[CONF_CLIENT_SECRET]).strip(),
                CONF_URL: entry.data[CONF_URL],
            }
            customer_id, errors = await self._login(data)
            if customer_id is not None:
                await self.async_set_unique_id(customer_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data_updates=data)
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
            description_placeholders={"title": entry.title},
            errors=errors,
        )


class MoostOptionsFlow(OptionsFlow):
    """Choose the building's tariff model (written to MOOST's settings.tariff).

    Not an ``OptionsFlowWithReload``: reloading would restart the forwarder
    mid-slot for nothing; the running entry picks the new tariff up (see
    ``__init__.py``).
    """

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._options: dict[str, Any] = {}

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the tariff model and currency."""
        if user_input is not None:
            self._options = {
                CONF_TARIFF: user_input[CONF_TARIFF],
                CONF_CURRENCY: user_input[CONF_CURRENCY],
            }
            if user_input[CONF_TARIFF] == TARIFF_DUAL:
                return await self.async_step_dual()
            if user_input[CONF_TARIFF] == TARIFF_DYNAMIC:
                return await self.async_step_dynamic()
            return self.async_create_entry(data=self._options)
        options = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_TARIFF, default=options.get(CONF_TARIFF, TARIFF_SINGLE)
                    ): SelectSelector(
                        SelectSelectorConfig(
                            options=list(TARIFFS),
                            mode=SelectSelectorMode.LIST,
                            translation_key=CONF_TARIFF,
                        )
                    ),
                    probatio.Required(
                        CONF_CURRENCY,
                        default=options.get(CONF_CURRENCY, self.hass.config.currency),
                    ): SelectSelector(
                        SelectSelectorConfig(
                            options=sorted(ACTIVE_CURRENCIES),
                            mode=SelectSelectorMode.DROPDOWN,
                        )
                    ),
                }
            ),
        )

    async def async_step_dual(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set the low-tariff window of each weekday."""
        if user_input is not None:
            return self.async_create_entry(
                data={**self._options, **{k: user_input[k] for k in self._day_keys()}}
            )
        options = self.config_entry.options
        fields: dict[Any, Any] = {}
        for day in WEEKDAYS:
            for edge, fallback in (
                ("start", DEFAULT_LOW_TARIFF_START),
                ("end", DEFAULT_LOW_TARIFF_END),
            ):
                key = f"{day}_{edge}"
                fields[probatio.Required(key, default=options.get(key, fallback))] = (
                    TimeSelector()
                )
        return self.async_show_form(step_id="dual", data_schema=probatio.Schema(fields))

    @staticmethod
    def _day_keys() -> list[str]:
        return [f"{day}_{edge}" for day in WEEKDAYS for edge in ("start", "end")]

    async def async_step_dynamic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the entity that carries the upcoming prices."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entity_id = user_input[CONF_PRICE_ENTITY]
            state = self.hass.states.get(entity_id)
            if state is None or not parse_price_slices(state.attributes):
                errors[CONF_PRICE_ENTITY] = "no_prices"
            else:
                return self.async_create_entry(
                    data={**self._options, CONF_PRICE_ENTITY: entity_id}
                )
        default = self.config_entry.options.get(CONF_PRICE_ENTITY, probatio.UNDEFINED)
        return self.async_show_form(
            step_id="dynamic",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_PRICE_ENTITY, default=default): (
                        EntitySelector(EntitySelectorConfig(domain="sensor"))
                    )
                }
            ),
            errors=errors,
        )
