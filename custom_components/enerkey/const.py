"""Constants of the EnerKey integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "enerkey"
LOGGER = logging.getLogger(__package__)

CONF_API_KEY: Final = "api_key"
CONF_SECONDARY_API_KEY: Final = "secondary_api_key"

# EnerKey's values arrive hourly to daily from the readings it collects. A
# refresh every three hours costs, per 50 meters, one hourly and one monthly
# call: 1,000 meters in 200 facilities need 8 x 40 calls plus 29 daily ones
# (facilities, meters, normalized months, actions) = 349 calls a day, under
# 1 % of the 40,000-call production limit (docs/enerkey.md, Data updates).
UPDATE_INTERVAL: Final = timedelta(hours=3)

# A refresh sooner than this after the last one that reached EnerKey (a
# user's manual refresh, an automation's update_entity) answers from the
# data already fetched: a burst of them costs no call.
MIN_FETCH_SPACING: Final = timedelta(minutes=5)

# Facilities, meters and normalized months change rarely: read once a day.
STRUCTURE_INTERVAL: Final = timedelta(hours=24)

# First import: two years of hourly history, 31 days per call.
BACKFILL: Final = timedelta(days=730)

# Hourly-values calls per refresh at most: a long backfill continues at the
# next refresh instead of spending the burst limit (20 calls / 10 s) at once.
MAX_VALUE_CALLS: Final = 40

# Each refresh re-reads this much before the newest stored hour, so late
# readings and corrections in EnerKey reach the statistics (and the whole of
# yesterday is always in the answer).
REREAD_WINDOW: Final = timedelta(hours=48)

# A facility's consumption image is re-read at most this often (image.py).
IMAGE_INTERVAL: Final = timedelta(hours=24)
# After a failed re-read the last image is kept and tried again this late.
IMAGE_RETRY: Final = timedelta(hours=1)

# Options: a price per kWh makes a cost statistic of every energy meter.
CONF_PRICE_PER_KWH: Final = "price_per_kwh"
# The largest price the options accept, in the currency's units per kWh: far
# above any tariff in any currency (Iranian rial and Vietnamese dong tariffs
# are thousands per kWh), and 100 MWh in an hour at this price is still a
# plausible cost row (common/statistics.py MAX_PER_ROW: 1e10).
MAX_PRICE_PER_KWH: Final = 100_000.0
