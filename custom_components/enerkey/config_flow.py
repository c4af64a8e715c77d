"""Config flow of the EnerKey integration.

An entry is one EnerKey profile, identified by its smallest facility id
(EnerKey names no profile id; facility ids are unique in EnerKey), never by
a key. Each key is checked on its own by listing the profile's facilities,
so the form says which key was refused, and both must see the same profile.
"""

from collections.abc import Mapping
import logging
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_URL
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import (
    DEFAULT_URL,
    EnerKeyAuthenticationError,
    EnerKeyClient,
    EnerKeyError,
    EnerKeyRateLimitError,
)
from .common.ha import finite_number, url_from_input, url_section
from .const import (
    CONF_API_KEY,
    CONF_PRICE_PER_KWH,
    CONF_SECONDARY_API_KEY,
    DOMAIN,
    MAX_PRICE_PER_KWH,
)
from .coordinator import EnerKeyConfigEntry
from .subentry_flow import async_get_supported_subentry_types as subentry_types

_LOGGER = logging.getLogger(__name__)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _schema(*, required: bool, url: str | None) -> probatio.Schema:
    key = probatio.Required if required else probatio.Optional
    fields: dict[Any, Any] = {
        key(CONF_API_KEY): _PASSWORD,
        probatio.Optional(CONF_SECONDARY_API_KEY): _PASSWORD,
    }
    if url is not None:
        fields.update(url_section(DEFAULT_URL, url))
    return probatio.Schema(fields)


def _profile_id(facility_ids: set[str]) -> str:
    """Return the profile's identity: its smallest facility id."""
    return min(facility_ids, key=lambda fid: (len(fid), fid))


class EnerKeyConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one EnerKey profile with one or two API keys."""

    VERSION = 1

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: EnerKeyConfigEntry,
    ) -> EnerKeyOptionsFlow:
        """Return the options flow (a price per kWh for cost statistics)."""
        return EnerKeyOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry types: HA sensors pushed into EnerKey meters."""
        return subentry_types(config_entry)

    async def _facility_ids(self, url: str, key: str) -> set[str]:
        client = EnerKeyClient(async_get_clientsession(self.hass), key, url=url)
        return {facility.id for facility in await client.facilities()}

    async def _validate(
        self, url: str, key: str, secondary: str | None
    ) -> tuple[set[str] | None, dict[str, str]]:
        """List facilities with each key; return their ids or form errors."""
        if secondary is not None and secondary == key:
            return None, {CONF_SECONDARY_API_KEY: "same_key"}
        found: list[set[str]] = []
        for field, value in ((CONF_API_KEY, key), (CONF_SECONDARY_API_KEY, secondary)):
            if value is None:
                continue
            try:
                found.append(await self._facility_ids(url, value))
            except EnerKeyAuthenticationError:
                return None, {field: "invalid_auth"}
            except EnerKeyRateLimitError:
                return None, {"base": "rate_limited"}
            except EnerKeyError as err:
                _LOGGER.debug("Cannot reach EnerKey: %s", err)
                return None, {"base": "cannot_connect"}
            except Exception:
                _LOGGER.exception("Unexpected error while checking an EnerKey key")
                return None, {"base": "unknown"}
        if not found[0]:
            return None, {"base": "no_facilities"}
        if len(found) == 2 and found[0] != found[1]:
            return None, {CONF_SECONDARY_API_KEY: "other_profile"}
        return found[0], {}

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API key(s) and, folded away, the API URL."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                url = url_from_input(user_input)
            except ValueError:
                errors = {"base": "invalid_url"}
            else:
                key = user_input[CONF_API_KEY].strip()
                secondary = (user_input.get(CONF_SECONDARY_API_KEY) or "").strip()
                ids, errors = await self._validate(url, key, secondary or None)
                if ids is not None:
                    await self.async_set_unique_id(_profile_id(ids))
                    self._abort_if_unique_id_configured()
                    data = {CONF_API_KEY: key, CONF_URL: url}
                    if secondary:
                        data[CONF_SECONDARY_API_KEY] = secondary
                    return self.async_create_entry(
                        title=f"Profile {self.unique_id} ({len(ids)} facilities)",
                        data=data,
                    )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _schema(required=True, url=DEFAULT_URL), user_input
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after both keys were refused."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new keys; an empty field keeps the stored key."""
        return await self._update("reauth_confirm", user_input, with_url=False)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Replace either key or change the API URL."""
        return await self._update("reconfigure", user_input, with_url=True)

    async def _update(
        self, step_id: str, user_input: dict[str, Any] | None, *, with_url: bool
    ) -> ConfigFlowResult:
        entry = (
            self._get_reconfigure_entry()
            if self.source == SOURCE_RECONFIGURE
            else self._get_reauth_entry()
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                url = url_from_input(user_input) if with_url else entry.data[CONF_URL]
            except ValueError:
                errors = {"base": "invalid_url"}
            else:
                key = (user_input.get(CONF_API_KEY) or "").strip()
                key = key or entry.data[CONF_API_KEY]
                typed = (user_input.get(CONF_SECONDARY_API_KEY) or "").strip()
                secondary = typed or entry.data.get(CONF_SECONDARY_API_KEY, "")
                ids, errors = await self._validate(url, key, secondary or None)
                if not typed and errors == {CONF_SECONDARY_API_KEY: "invalid_auth"}:
                    # A stored second key EnerKey refuses, which the user did
                    # not retype, is dropped: otherwise a user with one
                    # renewed key could never save it. A renewed second key
                    # can be added later under Reconfigure.
                    secondary = ""
                    ids, errors = await self._validate(url, key, None)
                if ids is not None:
                    if entry.unique_id not in ids:
                        return self.async_abort(reason="wrong_profile")
                    data = {CONF_API_KEY: key, CONF_URL: url}
                    if secondary:
                        data[CONF_SECONDARY_API_KEY] = secondary
                    return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=_schema(
                required=False, url=entry.data[CONF_URL] if with_url else None
            ),
            errors=errors,
            description_placeholders={"title": entry.title},
        )


class EnerKeyOptionsFlow(OptionsFlowWithReload):
    """Set or clear the price per kWh that makes the cost statistics."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the price per kWh; an empty field means no cost statistics."""
        errors: dict[str, str] = {}
        if user_input is not None:
            price = user_input.get(CONF_PRICE_PER_KWH)
            if price is None:
                # A cleared field: no cost statistics (the stored ones stay).
                return self.async_create_entry(data={})
            try:
                # The number selector lets "nan" and "inf" through.
                value = finite_number(0, MAX_PRICE_PER_KWH)(price)
            except probatio.Invalid:
                errors[CONF_PRICE_PER_KWH] = "invalid_price"
            else:
                return self.async_create_entry(data={CONF_PRICE_PER_KWH: value})
        # Suggested, not a default: a default would come back in a cleared
        # field, and the price could never be removed.
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Optional(CONF_PRICE_PER_KWH): NumberSelector(
                            NumberSelectorConfig(
                                min=0,
                                max=MAX_PRICE_PER_KWH,
                                step="any",
                                mode=NumberSelectorMode.BOX,
                                unit_of_measurement=(
                                    f"{self.hass.config.currency}/kWh"
                                ),
                            )
                        )
                    }
                ),
                user_input or self.config_entry.options,
            ),
            errors=errors,
            description_placeholders={"currency": self.hass.config.currency},
        )
