"""Constants of the MOOST integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "moost"
LOGGER = logging.getLogger(__package__)

# Entry data (the config flow writes them; the push side reads them too).
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"
CONF_URL: Final = "url"
CONF_ADVANCED: Final = "advanced"
CONF_CUSTOMER_BUILDING_ID: Final = "customer_building_id"
CONF_ZIP: Final = "zip"
CONF_CITY: Final = "city"
CONF_COUNTRY_CODE: Final = "country_code"

# Options: the building's tariff (written to MOOST's settings.tariff).
CONF_TARIFF: Final = "tariff"
CONF_CURRENCY: Final = "currency"
CONF_PRICE_ENTITY: Final = "price_entity"
TARIFF_SINGLE: Final = "single"
TARIFF_DUAL: Final = "dual"
TARIFF_DYNAMIC: Final = "dynamic"
TARIFFS: Final = (TARIFF_SINGLE, TARIFF_DUAL, TARIFF_DYNAMIC)
WEEKDAYS: Final = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
"""Dual tariff options: ``<weekday>_start`` / ``<weekday>_end`` (HH:MM:SS)."""
DEFAULT_LOW_TARIFF_START: Final = "22:00:00"
DEFAULT_LOW_TARIFF_END: Final = "06:00:00"

# Patterns of MOOST's OpenAPI spec (schemas Building and TariffSettings).
BUILDING_ID_PATTERN: Final = r"^[a-zA-Z0-9:._-]{1,100}$"
ZIP_PATTERN: Final = r"^[A-Z0-9 -]{3,10}$"
CITY_PATTERN: Final = r"^.{1,100}$"
COUNTRY_PATTERN: Final = r"^[A-Z]{2}$"
CURRENCY_PATTERN: Final = r"^[A-Z]{3}$"

# Read-back cadence. MOOST's rules run on the events HA sends every 15
# minutes, so a recommendation can appear at any quarter hour: polling the
# push notifications every 5 minutes shows it within 5 minutes of its
# creation at 288 small calls a day. Rules change only when someone edits
# them (here, through the switches, which refresh at once), so they are
# re-read every 30 minutes; MOOST computes forecasts hourly ("Every hour" in
# its event type table), so they are re-read hourly. All in all ~ 400 calls a
# day, next to the ~ 100-200 event calls the push side makes.
UPDATE_INTERVAL: Final = timedelta(minutes=5)
RULES_INTERVAL: Final = timedelta(minutes=30)
FORECAST_INTERVAL: Final = timedelta(hours=1)
FORECAST_HORIZON: Final = timedelta(hours=24)
# After HTTP 429 without a longer Retry-After, retry after a minute, then
# twice as long each time, never later than this.
RATE_LIMIT_BACKOFF: Final = timedelta(minutes=1)
RATE_LIMIT_CAP: Final = timedelta(hours=1)

# The daily check that MOOST holds for yesterday what HA sent, once the
# _YESTERDAY events of the push side have gone out after local midnight.
STATISTICS_CHECK_AFTER: Final = timedelta(hours=3)
# Energy is sent in whole Wh per 15-minute slot; MOOST answers floats. A day
# differing by more than this (Wh) or this share is a real mismatch.
STATISTICS_TOLERANCE_WH: Final = 1.0
STATISTICS_TOLERANCE_SHARE: Final = 0.001

# Notification ids are remembered for two days after the newest one; one
# created more than an hour before the newest seen is old news (MOOST lists
# every notification it keeps, so an id forgotten must not fire again).
SEEN_KEEP: Final = timedelta(days=2)
SEEN_GUARD: Final = timedelta(hours=1)

EVENT_NOTIFICATION: Final = "moost_notification"
NOTIFICATION_EVENT_TYPE: Final = "recommendation"
NOTIFICATION_ACTIONS: Final = ("DISMISS", "OPENAPP", "STOPDELIVERY", "OPENWEB")

SERVICE_NOTIFICATION_FEEDBACK: Final = "notification_feedback"
SERVICE_SEND_HISTORY: Final = "send_history"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_NOTIFICATION_ID: Final = "notification_id"
ATTR_ACTION: Final = "action"
ATTR_START: Final = "start"
ATTR_END: Final = "end"

SUBENTRY_DEVICE: Final = "device"
