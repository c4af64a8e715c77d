"""What to forward: HA's Energy dashboard and the hand-added ``device`` subentries.

The Energy dashboard's preferences name STATISTIC ids. For sensors the
statistic id is the entity id, so those are followed live; an external
statistic (``domain:name``, imported by an integration) has no state to
follow and is skipped with a log line.

* grid import/export, solar, battery -> the household (``GATEWAY``);
* each battery -> a ``BATTERY`` device (``ENERGY_IMPORT`` = charged,
  ``ENERGY_EXPORT`` = discharged);
* each individual device -> a MOOST device per HA device, its type inferred
  from the names (a ``device`` subentry naming the same entity replaces it,
  which is how the inferred type is edited);
* each ``device`` subentry -> a device with the entities the user picked.

MOOST device ids follow the spec's ``^[a-zA-Z0-9:._-]{3,64}$`` and are made
from registry ids (HA device id, entity registry id, subentry id), never from
names, so they survive restarts and renames.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
import logging
import re
from typing import Any, Final, cast

from homeassistant.components.energy.data import EnergyPreferences, async_get_manager
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, split_entity_id, valid_entity_id
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.moost.api import GATEWAY, MoostDevice

from .aggregator import KIND_OF_TYPE, DeviceSpec, GatewaySpec, InputKind
from .catalog import DEVICE_EVENT_TYPES, DeviceType, EventType, entity_field

_LOGGER = logging.getLogger(__name__)

SUBENTRY_TYPE: Final = "device"
CONF_NAME: Final = "name"
CONF_DEVICE_TYPE: Final = "device_type"
GATEWAY_ID: Final = "ha.gateway"
VENDOR: Final = "Home Assistant"
_ID_CHARS: Final = re.compile(r"[^a-zA-Z0-9:._-]")
_CONTROL: Final = re.compile(r"[\r\n\x00-\x1f\x7f\u2028\u2029\x85]+")

# Words in a device's or entity's name that tell its MOOST type; the first
# match wins, so the more specific words come first.
_TYPE_WORDS: Final[tuple[tuple[DeviceType, tuple[str, ...]], ...]] = (
    (DeviceType.CAR_CHARGER, ("wallbox", "charger", "ladestation", "wall box", "evse")),
    (DeviceType.HEAT_PUMP, ("heat pump", "heatpump", "wärmepumpe", "waermepumpe")),
    (DeviceType.WATER_HEATER, ("boiler", "water heater", "warmwasser", "geyser")),
    (DeviceType.DISHWASHER, ("dishwasher", "geschirrspüler", "spülmaschine")),
    (DeviceType.WASHING_MACHINE, ("washing", "washer", "waschmaschine")),
    (DeviceType.DRYER, ("dryer", "trockner", "tumble")),
    (DeviceType.OVEN, ("oven", "backofen", "stove", "herd", "cooktop")),
    (
        DeviceType.REFRIGERATION,
        ("fridge", "freezer", "refrigerator", "kühlschrank", "gefrier"),
    ),
    (DeviceType.LIGHTING, ("light", "lamp", "licht", "lampe")),
    (DeviceType.ENTERTAINMENT, ("tv", "television", "fernseher", "media", "console")),
    (DeviceType.CAR, ("car", "auto", "vehicle", "tesla")),
    (DeviceType.SMART_PLUG, ("plug", "steckdose", "socket")),
)


def sanitize_id(raw: str) -> str:
    """Return a MOOST device id (``^[a-zA-Z0-9:._-]{3,64}$``) for a registry id."""
    cleaned = _ID_CHARS.sub("_", raw)[:64]
    return cleaned if len(cleaned) >= 3 else cleaned.ljust(3, "_")


def sanitize_name(raw: str | None, fallback: str) -> str:
    """Return a MOOST device name (``^.{1,100}$``: no line breaks, 1-100 chars)."""
    cleaned = _CONTROL.sub(" ", raw or "").strip()[:100].strip()
    return cleaned or fallback[:100]


def infer_type(*names: str | None) -> DeviceType:
    """Return the MOOST type a device's names suggest (APPLIANCE otherwise)."""
    text = " ".join(name.casefold() for name in names if name)
    for device_type, words in _TYPE_WORDS:
        if any(re.search(rf"\b{re.escape(word)}", text) for word in words):
            return device_type
    return DeviceType.APPLIANCE


@dataclass(kw_only=True, slots=True)
class Plan:
    """Everything the forwarder follows and the devices MOOST gets."""

    gateway: GatewaySpec | None = None
    devices: list[DeviceSpec] = field(default_factory=list)
    moost_devices: dict[str, MoostDevice] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def entity_ids(self) -> set[str]:
        """Return every entity the plan reads."""
        ids = set(self.gateway.entities) if self.gateway else set()
        for device in self.devices:
            for entity_ids in device.energy.values():
                ids.update(entity_ids)
            ids.update(device.mean.values())
            ids.update(device.on_change.values())
        return ids


class _Builder:
    """Build a :class:`Plan` from the energy preferences and subentries."""

    def __init__(
        self, hass: HomeAssistant, location_name: str, *, statistics: bool = False
    ) -> None:
        self._hass = hass
        self._statistics = statistics
        self._entities = er.async_get(hass)
        self._devices = dr.async_get(hass)
        self._location = location_name
        self.plan = Plan()

    def live(self, statistic_id: str | None) -> str | None:
        """Return the entity id behind a statistic, or None (external / missing)."""
        if not statistic_id:
            return None
        if not valid_entity_id(statistic_id):
            if self._statistics:
                # History reads statistics: an external one is as good.
                return statistic_id
            if statistic_id not in self.plan.skipped:
                _LOGGER.info(
                    "%s is an external statistic: it has no live state to forward "
                    "(moost.send_history can send its past)",
                    statistic_id,
                )
                self.plan.skipped.append(statistic_id)
            return None
        return statistic_id

    def identity(
        self, entity_id: str
    ) -> tuple[str, str | None, dr.DeviceEntry | dr.ChildDeviceEntry | None]:
        """Return (stable MOOST id, entity name, HA device) of an entity."""
        if not valid_entity_id(entity_id):
            # An external statistic (history only): its id is stable.
            return sanitize_id(f"ha.stat.{entity_id}"), None, None
        entry = self._entities.async_get(entity_id)
        device = (
            self._devices.async_get(entry.device_id)
            if entry is not None and entry.device_id
            else None
        )
        state = self._hass.states.get(entity_id)
        name = state.name if state is not None else None
        if device is not None:
            return sanitize_id(f"ha.dev.{device.id}"), name, device
        if entry is not None:
            return sanitize_id(f"ha.ent.{entry.id}"), name or entry.original_name, None
        # Not in the registry (a YAML entity without unique_id): its entity
        # id is the only handle there is.
        return sanitize_id(f"ha.{split_entity_id(entity_id)[1]}"), name, None

    def add_device(
        self,
        device_id: str,
        name: str,
        device_type: DeviceType,
        ha_device: dr.DeviceEntry | dr.ChildDeviceEntry | None,
    ) -> None:
        """Describe a device for MOOST's Device schema (all five fields required)."""
        # A child device (HA 2026.10) has no model/manufacturer of its own.
        product = (
            getattr(ha_device, "model", None) or device_type.replace("_", " ").title()
        )
        vendor = getattr(ha_device, "manufacturer", None) or VENDOR
        self.plan.moost_devices[device_id] = MoostDevice(
            id=device_id,
            name=sanitize_name(name, device_id),
            type=device_type,
            product_name=sanitize_name(product, device_type),
            vendor_name=sanitize_name(vendor, VENDOR),
        )

    def energy_prefs(self, prefs: EnergyPreferences, taken: set[str]) -> None:
        """Map the Energy dashboard; entities in ``taken`` belong to subentries."""
        imports: list[str] = []
        exports: list[str] = []
        solar: list[str] = []
        charge: list[str] = []
        discharge: list[str] = []
        sources = cast("list[Mapping[str, Any]]", prefs.get("energy_sources", []))
        for source in sources:
            kind = source.get("type")
            if kind == "grid":
                # One object per grid connection since HA 2026.11 (the energy
                # manager migrates the older flow_from/flow_to lists on load).
                if flow := self.live(source.get("stat_energy_from")):
                    imports.append(flow)
                if flow := self.live(source.get("stat_energy_to")):
                    exports.append(flow)
            elif kind == "solar":
                if flow := self.live(source.get("stat_energy_from")):
                    solar.append(flow)
            elif kind == "battery":
                out_id = self.live(source.get("stat_energy_from"))
                in_id = self.live(source.get("stat_energy_to"))
                if out_id is None or in_id is None:
                    continue
                discharge.append(out_id)
                charge.append(in_id)
                if out_id in taken or in_id in taken:
                    continue
                device_id, name, ha_device = self.identity(out_id)
                label = source.get("name") or (
                    ha_device.name_by_user or ha_device.name if ha_device else None
                )
                self.add_device(
                    device_id, label or name or "Battery", DeviceType.BATTERY, ha_device
                )
                self.plan.devices.append(
                    DeviceSpec(
                        device_id=device_id,
                        energy={
                            EventType.ENERGY_IMPORT: (in_id,),
                            EventType.ENERGY_EXPORT: (out_id,),
                        },
                    )
                )
        if imports or exports or solar or charge:
            self.plan.gateway = GatewaySpec(
                device_id=GATEWAY_ID,
                grid_import=tuple(imports),
                grid_export=tuple(exports),
                solar=tuple(solar),
                battery_charge=tuple(charge),
                battery_discharge=tuple(discharge),
            )
            self.plan.moost_devices[GATEWAY_ID] = MoostDevice(
                id=GATEWAY_ID,
                name=sanitize_name(self._location, "Home"),
                type=GATEWAY,
                product_name=VENDOR,
                vendor_name=VENDOR,
            )
        self._individual(
            cast("list[Mapping[str, Any]]", prefs.get("device_consumption", [])), taken
        )

    def _individual(self, rows: Iterable[Mapping[str, Any]], taken: set[str]) -> None:
        """One MOOST device per HA device of the individual devices."""
        merged: dict[str, tuple[list[str], str | None, dict[str, Any]]] = {}
        for row in rows:
            entity_id = self.live(row.get("stat_consumption"))
            if entity_id is None or entity_id in taken:
                continue
            device_id, name, ha_device = self.identity(entity_id)
            entities, power, info = merged.setdefault(device_id, ([], None, {}))
            entities.append(entity_id)
            rate = row.get("stat_rate")
            if power is None and rate and valid_entity_id(rate) and rate not in taken:
                merged[device_id] = (entities, rate, info)
            info.setdefault("device", ha_device)
            info.setdefault(
                "name",
                row.get("name")
                or (ha_device.name_by_user or ha_device.name if ha_device else None)
                or name
                or entity_id,
            )
        for device_id, (entities, power, info) in merged.items():
            ha_device = info["device"]
            device_type = infer_type(
                info["name"], getattr(ha_device, "model", None), *entities
            )
            self.add_device(device_id, info["name"], device_type, ha_device)
            self.plan.devices.append(
                DeviceSpec(
                    device_id=device_id,
                    energy={EventType.ENERGY_CONSUMPTION: tuple(entities)},
                    mean={EventType.POWER_CONSUMPTION: power} if power else {},
                )
            )

    def subentry(self, subentry_id: str, data: Mapping[str, Any]) -> None:
        """A hand-added device: the entities picked per event type."""
        try:
            device_type = DeviceType(data[CONF_DEVICE_TYPE])
        except KeyError, ValueError:
            _LOGGER.warning(
                "Device %s has no valid MOOST type; not forwarded", subentry_id
            )
            return
        energy: dict[EventType, tuple[str, ...]] = {}
        mean: dict[EventType, str] = {}
        on_change: dict[EventType, str] = {}
        for event_type in DEVICE_EVENT_TYPES[device_type]:
            entity_id = data.get(entity_field(event_type))
            if not entity_id or not valid_entity_id(entity_id):
                continue
            kind = KIND_OF_TYPE[event_type]
            if kind is InputKind.ENERGY:
                energy[event_type] = (entity_id,)
            elif kind is InputKind.STATE:
                on_change[event_type] = entity_id
            else:
                mean[event_type] = entity_id
        device_id = sanitize_id(f"ha.sub.{subentry_id}")
        self.add_device(
            device_id,
            data.get(CONF_NAME) or device_type.replace("_", " ").title(),
            device_type,
            None,
        )
        self.plan.devices.append(
            DeviceSpec(
                device_id=device_id, energy=energy, mean=mean, on_change=on_change
            )
        )


def subentry_entities(entry: ConfigEntry) -> set[str]:
    """Return every entity a ``device`` subentry forwards."""
    taken: set[str] = set()
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_TYPE:
            continue
        for key, value in subentry.data.items():
            if key.endswith("_entity") and isinstance(value, str):
                taken.add(value)
    return taken


async def async_build_plan(
    hass: HomeAssistant, entry: ConfigEntry, *, statistics: bool = False
) -> Plan:
    """Return what to forward for this entry, as the prefs and subentries say now.

    ``statistics``: for history, external statistics are included too.
    """
    builder = _Builder(hass, hass.config.location_name, statistics=statistics)
    taken = subentry_entities(entry)
    manager = await async_get_manager(hass)
    if manager.data is not None:
        builder.energy_prefs(manager.data, taken)
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type == SUBENTRY_TYPE:
            builder.subentry(subentry_id, subentry.data)
    return builder.plan
