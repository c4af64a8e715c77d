"""Units of Momentum Energi rows mapped to Home Assistant's.

The API names units as free text (``kWh``, ``MWh``, ``m³``, ...; the doc gives
no list), so matching ignores case, spaces and the ways of writing "cubic".
"""

import unicodedata

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import UnitOfEnergy, UnitOfVolume

_ENERGY = {
    "wh": UnitOfEnergy.WATT_HOUR,
    "kwh": UnitOfEnergy.KILO_WATT_HOUR,
    "mwh": UnitOfEnergy.MEGA_WATT_HOUR,
    "gwh": UnitOfEnergy.GIGA_WATT_HOUR,
    "mj": UnitOfEnergy.MEGA_JOULE,
    "gj": UnitOfEnergy.GIGA_JOULE,
}
_VOLUME = {
    "m3": UnitOfVolume.CUBIC_METERS,
    "m³": UnitOfVolume.CUBIC_METERS,
    "m^3": UnitOfVolume.CUBIC_METERS,
    "cbm": UnitOfVolume.CUBIC_METERS,
    "kbm": UnitOfVolume.CUBIC_METERS,
    "kubikmeter": UnitOfVolume.CUBIC_METERS,
    "cubicmeter": UnitOfVolume.CUBIC_METERS,
    "cubicmeters": UnitOfVolume.CUBIC_METERS,
    "l": UnitOfVolume.LITERS,
    "liter": UnitOfVolume.LITERS,
    "litre": UnitOfVolume.LITERS,
}
_WATER_WORDS = ("vatten", "water")
_GAS_WORDS = ("gas",)
_COOLING_WORDS = ("kyla", "cool")
_HEATING_WORDS = ("värme", "varme", "heat")


def _key(unit: str | None) -> str:
    return "".join((unit or "").split()).lower()


def energy_unit(unit: str | None) -> UnitOfEnergy | None:
    """Return HA's energy unit for a Momentum unit string, if it is one."""
    return _ENERGY.get(_key(unit))


def volume_unit(unit: str | None) -> UnitOfVolume | None:
    """Return HA's volume unit for a Momentum unit string, if it is one."""
    return _VOLUME.get(_key(unit))


def native_unit(unit: str | None) -> str | None:
    """Return the unit a sensor shows: HA's spelling when known, else as sent."""
    return energy_unit(unit) or volume_unit(unit) or unit


def display_precision(unit: str | None) -> int | None:
    """Return the decimals worth showing of a monthly value in ``unit``."""
    if (energy := energy_unit(unit)) is not None:
        return (
            0 if energy in (UnitOfEnergy.WATT_HOUR, UnitOfEnergy.KILO_WATT_HOUR) else 2
        )
    if volume_unit(unit) is not None:
        return 1
    return None


def device_class(unit: str | None, medium: str) -> SensorDeviceClass | None:
    """Return the device class of a value in ``unit`` of ``medium``, if any."""
    if energy_unit(unit):
        return SensorDeviceClass.ENERGY
    if volume_unit(unit):
        name = medium.lower()
        if any(word in name for word in _WATER_WORDS):
            return SensorDeviceClass.WATER
        if any(word in name for word in _GAS_WORDS):
            return SensorDeviceClass.GAS
        return SensorDeviceClass.VOLUME
    return None


def medium_kind(media_class: str | None, name: str) -> str | None:
    """Return ``water``, ``cooling``, ``heating`` or ``gas`` for a medium, if known.

    Read from the vendor's class (``Värme``) and type (``Fjärrvärme``): their
    words, Swedish or English. None for electricity and anything else.
    """
    text = f"{media_class or ''} {name}".lower()
    for kind, words in (
        ("water", _WATER_WORDS),
        ("cooling", _COOLING_WORDS),
        ("heating", _HEATING_WORDS),
        ("gas", _GAS_WORDS),
    ):
        if any(word in text for word in words):
            return kind
    return None


def slug(text: str) -> str:
    """Return ``[a-z0-9_]`` of a name: ``Fjärrvärme`` -> ``fjarrvarme``."""
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    )
    cleaned = "".join(c if c.isalnum() else "_" for c in ascii_text)
    while "__" in cleaned:
        cleaned = cleaned.replace("__", "_")
    return cleaned.strip("_") or "unknown"
