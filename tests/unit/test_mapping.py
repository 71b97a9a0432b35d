"""Records <-> domain for what SPEC R19 added to items and templates: every field survives the round
trip through the record's own serialisation (what the table holds), and records written before it
read as they did."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from portal_reminders import ids
from portal_reminders.models.domain import (
    ActionItem,
    Delivery,
    Invoice,
    InvoiceTerms,
    Kind,
    ReminderPlan,
    ReminderSettings,
    Schedule,
    SendingHours,
    SendingWindow,
    Step,
    StepStatus,
    Template,
    Tone,
    Weekday,
)
from portal_reminders.repository.mapping import (
    item_from_record,
    item_to_record,
    template_from_record,
    template_to_record,
)
from portal_reminders.repository.records import ItemRecord, TemplateRecord

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WEEKDAYS = SendingHours(days=frozenset({Weekday.MON, Weekday.FRI}), start=AT.time(), end=AT.time().replace(hour=17))


def stored(record: Any) -> Any:
    """The record as the table holds it and gives it back."""
    return type(record).from_raw_data(record.serialize())


def an_item(**overrides: Any) -> ActionItem:
    item = ActionItem(
        firm_id="firm-a",
        id=ids.new_id(ids.ITEM),
        account_id=ids.new_id(ids.ACCOUNT),
        kind=Kind.INVOICE,
        title="INV-1",
        sent_at=AT,
        created_by="user-1",
        invoice=Invoice(amount=Decimal("1250.00"), currency="EUR"),
        due_date=date(2026, 12, 17),
        version=1,
    )
    return replace(item, **overrides)


def test_an_item_on_a_due_date_schedule_round_trips() -> None:
    # Given an item with a due date, a sequence, marks, its client's zone and a round with a plan
    progress = Delivery(until=AT, started_at=AT, owner="w", plan=ReminderPlan(step=3, tone=Tone.FIRM))
    item = an_item(
        reminders=ReminderSettings(
            enabled=True,
            schedule=Schedule.DUE_DATE,
            steps=(Step(-3), Step(3, Tone.FIRM), Step(10)),
            escalate_after_days=14,
        ),
        step_marks={-3: StepStatus.SENT, 3: StepStatus.SKIPPED},
        zone="Europe/Lisbon",
        deliveries={"scheduled:2": progress},
    )

    # When it is written and read back
    back = item_from_record(stored(item_to_record(item, version=1)))

    # Then every field is as it was
    assert back == item


def test_the_clients_zone_is_kept_with_or_without_sending_hours() -> None:
    window = SendingWindow("America/Sao_Paulo", WEEKDAYS)
    with_hours = an_item(zone="America/Sao_Paulo", window=window)
    without = an_item(zone="Pacific/Auckland")
    for item in (with_hours, without):
        assert item_from_record(stored(item_to_record(item, version=1))) == item
    assert item_to_record(without, version=1).send_window == {"zone": "Pacific/Auckland"}
    assert item_to_record(an_item(), version=1).send_window is None  # UTC at any time, as before


def test_an_item_written_before_due_dates_reads_its_invoices_date_and_the_interval_schedule() -> None:
    # Given a record as written before: the due date only in the invoice, no schedule attributes
    record = stored(item_to_record(an_item(reminders=ReminderSettings(enabled=True, max_reminders=2)), version=1))
    record.due_date = None
    record.reminder_schedule = None

    # When it is read
    item = item_from_record(stored(record))

    # Then its due date is the invoice's, and its reminders the interval schedule
    assert item.due_date == date(2026, 12, 17)
    assert (item.reminders.schedule, item.reminders.steps, item.reminders.max_reminders) == (Schedule.INTERVAL, (), 2)
    assert isinstance(record, ItemRecord)


def test_a_template_round_trips_and_one_written_before_reads_due_in_days_from_its_invoice() -> None:
    template = Template(
        firm_id="firm-a",
        id=ids.new_id(ids.TEMPLATE),
        kind=Kind.INVOICE,
        name="Fee",
        created_at=AT,
        updated_at=AT,
        invoice=InvoiceTerms(amount=Decimal("300.00"), currency="EUR"),
        reminders={"enabled": True, "schedule": "due_date", "steps": [{"days": 0}]},
        due_in_days=30,
        version=1,
    )
    record = stored(template_to_record(template, version=1))
    assert template_from_record(record) == template

    record.due_in_days = None  # written before: only invoice.due_in_days
    assert isinstance(record, TemplateRecord)
    assert template_from_record(stored(record)).due_in_days == 30
