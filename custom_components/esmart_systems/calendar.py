"""Calendar of the eSmart Systems integration: invoice due dates per customer."""

from datetime import date, datetime, timedelta
from typing import override

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import Invoice
from .coordinator import ESmartConfigEntry, ESmartCoordinator
from .entity import ESmartEntity, customer_device

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ESmartConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one invoice calendar per customer."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        InvoiceCalendar(coordinator, customer_id)
        for customer_id in coordinator.data.customers
    )


class InvoiceCalendar(ESmartEntity[ESmartCoordinator], CalendarEntity):
    """All-day events on the due dates of a customer's invoices."""

    _attr_translation_key = "invoices"

    def __init__(self, coordinator: ESmartCoordinator, customer_id: str) -> None:
        """Create the calendar of one customer."""
        super().__init__(
            coordinator,
            f"{coordinator.area}_customer_{customer_id}_invoices",
            customer_device(coordinator.area, customer_id),
        )
        self._customer_id = customer_id

    def _events(self) -> list[CalendarEvent]:
        customer = self.coordinator.data.customers.get(self._customer_id)
        if customer is None:
            return []
        return [
            event
            for invoice in customer.invoices
            if (event := self._event(invoice)) is not None
        ]

    def _event(self, invoice: Invoice) -> CalendarEvent | None:
        if invoice.due_date is None:
            return None
        due: date = dt_util.as_local(invoice.due_date).date()
        currency = self.coordinator.currency
        lines = []
        if invoice.amount is not None:
            lines.append(f"Amount: {invoice.amount:.2f} {currency}")
        if invoice.unpaid is not None:
            lines.append(f"Unpaid: {invoice.unpaid:.2f} {currency}")
        return CalendarEvent(
            start=due,
            end=due + timedelta(days=1),
            summary=f"Invoice {invoice.invoice_no} due",
            description="\n".join(lines) or None,
            uid=f"{self._customer_id}_{invoice.invoice_no}",
        )

    @property
    @override
    def event(self) -> CalendarEvent | None:
        """Return the next (or today's) due date."""
        today = dt_util.now().date()
        upcoming = [e for e in self._events() if e.end > today]
        return min(upcoming, key=lambda e: e.start, default=None)

    @override
    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the due dates between two times."""
        return [
            event
            for event in self._events()
            if event.start_datetime_local < end_date
            and event.end_datetime_local > start_date
        ]
