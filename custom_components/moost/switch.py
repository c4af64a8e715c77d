"""Rule switches of the MOOST integration: on = the rule is active for the building."""

from typing import Any, override

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import MoostError, MoostRule
from .const import DOMAIN
from .coordinator import MoostConfigEntry, MoostCoordinator
from .entity import MoostEntity

# Each switch change is one PUT; one at a time keeps MOOST's order.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MoostConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch per rule, also for rules MOOST adds later."""
    coordinator = entry.runtime_data.coordinator
    added: set[str] = set()

    @callback
    def _add_rules() -> None:
        if not coordinator.has_data:
            return
        new = [rule for rule in coordinator.data.rules if rule not in added]
        added.update(new)
        if new:
            async_add_entities(MoostRuleSwitch(coordinator, rule_id) for rule_id in new)

    _add_rules()
    entry.async_on_unload(coordinator.async_add_listener(_add_rules))


class MoostRuleSwitch(MoostEntity, SwitchEntity):
    """Whether one MOOST rule may make recommendations for the building."""

    _attr_entity_category = EntityCategory.CONFIG
    _attr_translation_key = "rule"

    def __init__(self, coordinator: MoostCoordinator, rule_id: str) -> None:
        """Create the switch of a rule; its name is the rule's name at MOOST."""
        super().__init__(coordinator, f"rule_{rule_id}")
        self.rule_id = rule_id
        self._attr_translation_placeholders = {"name": self._rule.name}

    @property
    def _rule(self) -> MoostRule:
        return self.coordinator.data.rules[self.rule_id]

    @property
    @override
    def available(self) -> bool:
        """Unavailable once MOOST no longer lists the rule."""
        return super().available and self.rule_id in self.coordinator.data.rules

    @property
    @override
    def is_on(self) -> bool:
        """Return whether the rule is active for the building."""
        return self._rule.active

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the rule's id and description."""
        return {
            "rule_id": self.rule_id,
            "description": self._rule.description,
            "paused": self._rule.paused,
        }

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Activate the rule for the building."""
        await self._async_set(True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Deactivate the rule for the building."""
        await self._async_set(False)

    async def _async_set(self, active: bool) -> None:
        coordinator = self.coordinator
        try:
            await coordinator.client.async_set_rule(
                coordinator.building_id, self.rule_id, active
            )
        except MoostError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="rule_failed",
                translation_placeholders={"name": self._rule.name, "error": str(err)},
            ) from err
        await coordinator.async_rule_changed(self.rule_id, active)
