"""Energy-management actions of each EnerKey facility as a to-do list.

Items come from the coordinator, which reads the actions with the daily
structure (one call per 50 facilities). Marking an item done or open
updates the action the way EnerKey prescribes (contract: Action): get the
current object, change its status, send the whole object back. The stored
object EnerKey answers replaces the item at once, without another read.
"""

from typing import override

# The package re-exports these without __all__; mypy --strict wants the
# modules that define them.
from homeassistant.components.todo.const import TodoItemStatus, TodoListEntityFeature
from homeassistant.components.todo.entity import TodoItem, TodoListEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import ACTION_COMPLETED, ACTION_OPEN, Action, EnerKeyError
from .const import DOMAIN
from .coordinator import EnerKeyConfigEntry, EnerKeyCoordinator
from .entity import EnerKeyEntity, facility_device

# Updates go one at a time: each is a get and a put within the call budget.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnerKeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one to-do list per facility, also for facilities added later."""
    coordinator = entry.runtime_data
    known: set[str] = set()

    @callback
    def add_new_facilities() -> None:
        new = [f for f in coordinator.data.facilities if f not in known]
        known.update(new)
        async_add_entities(ActionsTodoList(coordinator, fid) for fid in new)

    add_new_facilities()
    entry.async_on_unload(coordinator.async_add_listener(add_new_facilities))


def todo_item(action: Action) -> TodoItem:
    """Return the to-do item of an action (any status but Completed is open)."""
    return TodoItem(
        uid=action.id,
        summary=action.title,
        status=(
            TodoItemStatus.COMPLETED if action.done else TodoItemStatus.NEEDS_ACTION
        ),
        due=dt_util.as_local(action.due).date() if action.due else None,
        description=action.description,
    )


class ActionsTodoList(EnerKeyEntity, TodoListEntity):
    """The energy-management actions of one facility."""

    _attr_translation_key = "actions"
    _attr_supported_features = TodoListEntityFeature.UPDATE_TODO_ITEM

    def __init__(self, coordinator: EnerKeyCoordinator, facility_id: str) -> None:
        """Create the list of a facility."""
        facility = coordinator.data.facilities[facility_id]
        super().__init__(
            coordinator, f"facility_{facility_id}_actions", facility_device(facility)
        )
        self._facility_id = facility_id

    @property
    @override
    def available(self) -> bool:
        """Unavailable when the facility is gone."""
        return super().available and (
            self._facility_id in self.coordinator.data.facilities
        )

    def _actions(self) -> list[Action]:
        return sorted(
            (
                action
                for action in self.coordinator.data.actions.values()
                if action.facility_id == self._facility_id
            ),
            key=lambda action: action.id,
        )

    @property
    @override
    def todo_items(self) -> list[TodoItem]:
        """Return the facility's actions as items."""
        return [todo_item(action) for action in self._actions()]

    @override
    async def async_update_todo_item(self, item: TodoItem) -> None:
        """Mark an action done or open in EnerKey: get, modify, send back."""
        current = self.coordinator.data.actions.get(item.uid or "")
        if current is None or current.facility_id != self._facility_id:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="unknown_action"
            )
        if item.summary not in (None, current.title):
            # EnerKey's actions are edited in EnerKey; here only their status.
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="status_only"
            )
        done = item.status == TodoItemStatus.COMPLETED
        if done == current.done:
            return
        try:
            stored = await self.coordinator.client.set_action_status(
                current.id, ACTION_COMPLETED if done else ACTION_OPEN
            )
        except EnerKeyError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="action_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.coordinator.store_action(stored)
